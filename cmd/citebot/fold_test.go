package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/analysis"
	"citebot/answer"
	"citebot/chunking"
	"citebot/document"
	"citebot/internal/testdocs"
)

// TestAskFoldedSeeds answers the dev set over the seeds hard-wrapped at 72
// columns and over the seeds as they are: folding only turns spaces into
// newlines, so byte offsets agree. Every answer must be found or refused
// alike and quote the same sentences first, and every quote over the
// folded seeds must be whole sentences of the seeds as they are. A
// runner-up may differ: where folding joins two paragraphs the chunks
// differ a little, and with them the terms' rarity the model weighs.
//
// Lines of site chrome are left unfolded: chrome comes from web pages, not
// from hard-wrapped text, and its patterns match whole lines, so a folded
// chrome paragraph ("Peer reviewers' evaluations remain confidential …")
// would lose its continuation lines to the index and to the answers.
func TestAskFoldedSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the seeds twice")
	}
	docs := filepath.Join(t.TempDir(), "docs")
	files, err := filepath.Glob(filepath.Join(seeds, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(docs, filepath.Base(f)), foldProse(string(b), 72))
	}
	ix := filepath.Join(t.TempDir(), "index")
	mustRun(t, nil, "", "index", "--docs", docs, "--index", ix)

	rows, err := readQA(devSet)
	if err != nil {
		t.Fatal(err)
	}
	var questions strings.Builder
	for _, r := range rows {
		questions.WriteString(r.Question + "\n")
	}
	orig := mustRun(t, nil, questions.String(), "ask", "--docs", seeds, "--index", seedIndex(t), "--json")
	folded := mustRun(t, nil, questions.String(), "ask", "--docs", docs, "--index", ix, "--json")
	want := strings.Split(strings.TrimSpace(orig.stdout), "\n")
	got := strings.Split(strings.TrimSpace(folded.stdout), "\n")
	if len(got) != len(rows) || len(want) != len(rows) {
		t.Fatalf("%d and %d answers to %d questions", len(got), len(want), len(rows))
	}
	starts, ends := map[string]bool{}, map[string]bool{} // "doc offset" where sentences of the seeds start and end
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range analysis.SplitSentences(string(b), document.Span{Start: 0, End: len(b)}) {
			starts[fmt.Sprintf("%s %d", filepath.Base(f), s.Start)] = true
			ends[fmt.Sprintf("%s %d", filepath.Base(f), s.End)] = true
		}
	}
	cited, same := 0, 0
	for i, r := range rows {
		g, w := decodeAnswer(t, []byte(got[i])), decodeAnswer(t, []byte(want[i]))
		cited += len(w.Citations)
		gs, ws := citedSpans(g.Citations), citedSpans(w.Citations)
		if gs == ws {
			same++
		}
		if g.Found != w.Found || len(g.Citations) > 0 && citedSpans(g.Citations[:1]) != citedSpans(w.Citations[:1]) {
			t.Errorf("%s %q: folded seeds cite %s (found %v), the seeds %s (found %v)", r.ID, r.Question, gs, g.Found, ws, w.Found)
		}
		for _, c := range g.Citations {
			if !starts[fmt.Sprintf("%s %d", c.Document, c.Start)] || !ends[fmt.Sprintf("%s %d", c.Document, c.End)] {
				t.Errorf("%s: over the folded seeds it quotes %s %d-%d, not whole sentences of the seeds", r.ID, c.Document, c.Start, c.End)
			}
		}
	}
	t.Logf("%d of %d answers cite the very same spans", same, len(rows))
	if cited == 0 {
		t.Error("no answer over the seeds cites anything")
	}
}

func citedSpans(cs []answer.Citation) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "[%s %d-%d]", c.Document, c.Start, c.End)
	}
	return b.String()
}

// foldProse folds every line of text but site chrome.
func foldProse(text string, width int) string {
	bp := chunking.DefaultBoilerplate()
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		line := strings.TrimSpace(l)
		chrome := false
		for _, re := range bp {
			chrome = chrome || re.MatchString(line)
		}
		if !chrome {
			lines[i] = testdocs.Fold(l, width)
		}
	}
	return strings.Join(lines, "")
}
