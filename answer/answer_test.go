package answer

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"citebot/analysis"
	"citebot/chunking"
	"citebot/document"
	"citebot/embedding/wordvec"
	"citebot/retrieval"
)

func TestCheckQuestion(t *testing.T) {
	tests := []struct {
		q    string
		want error
	}{
		{"When was the SCO founded?", nil},
		{"Когда была принята Концепция?", nil},
		{"?", nil},
		{"  padded question  ", nil},
		{strings.Repeat("long ", document.MaxQuestionChars/5), nil},
		{strings.Repeat("ø", document.MaxQuestionChars), nil}, // characters are counted, not bytes
		{strings.Repeat("🧊", document.MaxQuestionChars), nil},
		{strings.Repeat("long ", document.MaxQuestionChars/5) + "?", ErrQuestionTooLong},
		{strings.Repeat("🧊", document.MaxQuestionChars+1), ErrQuestionTooLong},
		{strings.Repeat(" ", document.MaxQuestionChars+1), ErrEmptyQuestion}, // blank wins over long
		{"", ErrEmptyQuestion},
		{" ", ErrEmptyQuestion},
		{"\t\r\n  \n", ErrEmptyQuestion},
		{"\u00a0\u2003", ErrEmptyQuestion}, // Unicode spaces only
		{"caf\xe9?", ErrInvalidQuestion},
		{"\xff", ErrInvalidQuestion},
		{"ok \xed\xa0\x80 surrogate", ErrInvalidQuestion},
		{"\xff   ", ErrInvalidQuestion}, // invalid wins over blank
	}
	for _, tt := range tests {
		if got := CheckQuestion(tt.q); !errors.Is(got, tt.want) {
			t.Errorf("CheckQuestion(%.20q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

// tinyDocs are three small documents: LF and CRLF line ends, a Markdown
// title, a section heading, and a bibliography reference in a sentence.
var tinyDocs = map[string]string{
	"lighthouse.md": "# Lighthouses of the North Coast\n\n" +
		"The Cape Arrow lighthouse was built in 1871 by the harbour board.\n" +
		"Its lamp was converted to electricity in 1932.\n\n" +
		"## Visiting\n\n" +
		"The keeper's cottage now houses a small museum that opens every summer.\n",
	"orchard.txt": "Orchard notes\r\n\r\n" +
		"The orchard grows forty-two varieties of apple. Most trees were planted in the spring of 1988 by volunteers.\r\n" +
		"The cider press runs every October.\r\n",
	"sub/river.txt": "River survey\n\n" +
		"The river carries silt to the delta each spring [3]. Floods were recorded in 1910 and 1955.\n",
}

func tinyIndex(t testing.TB) *retrieval.Index {
	t.Helper()
	m, err := wordvec.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := retrieval.Config{
		Chunk:    chunking.Options{MaxBytes: 1000, Boilerplate: chunking.DefaultBoilerplate()},
		BM25:     retrieval.DefaultBM25,
		Fusion:   retrieval.DefaultFusion,
		Embedder: retrieval.Embedder{Name: wordvec.Version, Embed: m.EmbeddingFunc()},
	}
	var docs []document.Document
	for _, id := range []string{"lighthouse.md", "orchard.txt", "sub/river.txt"} {
		text := tinyDocs[id]
		docs = append(docs, document.Document{ID: id, Title: chunking.Title(text, cfg.Chunk.Boilerplate), Text: text})
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, nil))
	ix := built.Index
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

var markerRe = regexp.MustCompile(`\[(\d+)\]`)

// checkCitations checks that every citation is an exact span of its
// document with the right lines, and that markers and citations match
// one to one.
func checkCitations(t *testing.T, a Answer, docs map[string]string) {
	t.Helper()
	if a.Citations == nil {
		t.Errorf("citations is nil; the JSON must be [] not null")
	}
	if a.Mode != ModeExtractive {
		t.Errorf("mode = %q", a.Mode)
	}
	markers := markerRe.FindAllStringSubmatch(a.Answer, -1)
	if len(markers) != len(a.Citations) {
		t.Errorf("%d markers for %d citations in %q", len(markers), len(a.Citations), a.Answer)
	}
	for i, m := range markers {
		if n, _ := strconv.Atoi(m[1]); n != i+1 {
			t.Errorf("marker %d is [%d], want [%d], in %q", i, n, i+1, a.Answer)
		}
	}
	for i, c := range a.Citations {
		if c.N != i+1 {
			t.Errorf("citation %d has n %d", i, c.N)
		}
		text, ok := docs[c.Document]
		if !ok {
			t.Errorf("citation [%d] of unknown document %q", c.N, c.Document)
			continue
		}
		if c.Start < 0 || c.End > len(text) || c.Start >= c.End {
			t.Errorf("citation [%d]: span [%d, %d) outside %d bytes", c.N, c.Start, c.End, len(text))
			continue
		}
		if got := text[c.Start:c.End]; got != c.Quote {
			t.Errorf("citation [%d]: quote %q, but the bytes are %q", c.N, c.Quote, got)
		}
		if c.End-c.Start > document.MaxCitationBytes {
			t.Errorf("citation [%d]: %d bytes", c.N, c.End-c.Start)
		}
		if want := 1 + strings.Count(text[:c.Start], "\n"); c.LineStart != want {
			t.Errorf("citation [%d]: line_start %d, want %d", c.N, c.LineStart, want)
		}
		if want := 1 + strings.Count(text[:c.End-1], "\n"); c.LineEnd != want {
			t.Errorf("citation [%d]: line_end %d, want %d", c.N, c.LineEnd, want)
		}
		if strings.TrimSpace(c.Quote) != c.Quote {
			t.Errorf("citation [%d]: quote %q has surrounding space", c.N, c.Quote)
		}
		// The answer quotes the citation, re-flowed onto one line (any
		// bibliography marker such as "[3]" in it may be rewritten).
		flat := strings.Join(strings.Fields(c.Quote), " ")
		for _, piece := range markerRe.Split(flat, -1) {
			if piece = strings.TrimSpace(piece); !strings.Contains(a.Answer, piece) {
				t.Errorf("answer %q does not quote citation [%d] %q", a.Answer, c.N, flat)
			}
		}
	}
	for i, p := range a.Passages {
		text := docs[p.Document]
		if p.Rank != i+1 || p.Start < 0 || p.End > len(text) || text[p.Start:p.End] != p.Text {
			t.Errorf("passage %d (rank %d) is not an exact span of %s", i, p.Rank, p.Document)
		}
	}
}

func TestExtractiveCitesExactSpans(t *testing.T) {
	ex := Extractive{Index: tinyIndex(t), Tuning: DefaultTuning}
	tests := []struct {
		q        string
		document string
		quote    string // a part of the first citation
	}{
		{"When was the Cape Arrow lighthouse built?", "lighthouse.md", "built in 1871"},
		{"When was the lighthouse lamp converted to electricity?", "lighthouse.md", "1932"},
		{"What does the keeper's cottage house now?", "lighthouse.md", "museum"},
		{"How many varieties of apple does the orchard grow?", "orchard.txt", "forty-two varieties"},
		{"When does the cider press run?", "orchard.txt", "October"},
		{"When were floods recorded on the river?", "sub/river.txt", "1910 and 1955"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			a, err := ex.Answer(context.Background(), tt.q, 3)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Found {
				t.Fatalf("refused: %q", a.Answer)
			}
			checkCitations(t, a, tinyDocs)
			if a.Question != tt.q {
				t.Errorf("question = %q", a.Question)
			}
			if len(a.Passages) == 0 || len(a.Passages) > 3 {
				t.Errorf("%d passages for k=3", len(a.Passages))
			}
			// Citations are in document order, so the one holding the
			// fact need not be the first.
			hit := false
			for _, c := range a.Citations {
				hit = hit || c.Document == tt.document && strings.Contains(c.Quote, tt.quote)
			}
			if !hit {
				t.Errorf("answer %q: no citation of %s quotes %q", a.Answer, tt.document, tt.quote)
			}
		})
	}
}

// TestExtractiveReferenceBrackets: a quoted sentence that carries its own
// bibliography marker ("[3]") must not leave a marker in the answer without
// a citation.
func TestExtractiveReferenceBrackets(t *testing.T) {
	ex := Extractive{Index: tinyIndex(t), Tuning: DefaultTuning}
	a, err := ex.Answer(context.Background(), "What does the river carry to the delta?", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Found {
		t.Fatalf("refused: %q", a.Answer)
	}
	checkCitations(t, a, tinyDocs)
}

func TestExtractiveRefuses(t *testing.T) {
	ex := Extractive{Index: tinyIndex(t), Tuning: DefaultTuning}
	for _, q := range []string{
		"What is the boiling point of ethanol?",
		"Who is the president of Brazil?",
		"???",
		"the of and a",
	} {
		t.Run(q, func(t *testing.T) {
			a, err := ex.Answer(context.Background(), q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if a.Found {
				t.Errorf("answered %q", a.Answer)
			}
			if a.Answer != NotFoundText {
				t.Errorf("answer = %q, want the plain refusal", a.Answer)
			}
			checkCitations(t, a, tinyDocs)
			raw, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), `"citations":[]`) || !strings.Contains(string(raw), `"passages":[`) {
				t.Errorf("JSON %s: want \"citations\":[] and a passages array", raw)
			}
		})
	}
}

func TestExtractiveRejectsBadQuestions(t *testing.T) {
	ex := Extractive{Index: tinyIndex(t), Tuning: DefaultTuning}
	for q, want := range map[string]error{"": ErrEmptyQuestion, "  \n": ErrEmptyQuestion, "caf\xe9": ErrInvalidQuestion} {
		if _, err := ex.Answer(context.Background(), q, 5); !errors.Is(err, want) {
			t.Errorf("Answer(%q) error = %v, want %v", q, err, want)
		}
	}
}

func TestComposeNoPassages(t *testing.T) {
	ex := Extractive{Index: tinyIndex(t), Tuning: DefaultTuning}
	for _, ps := range [][]retrieval.Passage{nil, {}} {
		q := analysis.AnalyzeQuery("When was the lighthouse built?")
		a := ex.compose(q, ps, Script(q.Text))
		if a.Found || a.Answer != NotFoundText {
			t.Errorf("no passages: found %v, answer %q", a.Found, a.Answer)
		}
		raw, _ := json.Marshal(a)
		if !strings.Contains(string(raw), `"citations":[]`) || !strings.Contains(string(raw), `"passages":[]`) {
			t.Errorf("JSON %s: want empty arrays, not null", raw)
		}
	}
}

// TestComposeOffsets feeds compose a passage in the middle of a document:
// citations must be offsets into the document, not into the passage.
func TestComposeOffsets(t *testing.T) {
	ix := tinyIndex(t)
	ex := Extractive{Index: ix, Tuning: DefaultTuning}
	text := tinyDocs["orchard.txt"]
	start := strings.Index(text, "The orchard")
	end := len(text)
	p := retrieval.Passage{DocID: "orchard.txt", Title: "Orchard notes", Start: start, End: end,
		LineStart: 1 + strings.Count(text[:start], "\n"), LineEnd: 1 + strings.Count(text[:end-1], "\n"),
		Text: text[start:end], Score: 1}
	q := ix.Analyze("When were most trees planted in the orchard?")
	a := ex.compose(q, []retrieval.Passage{p}, Script(q.Text))
	if !a.Found {
		t.Fatalf("refused: %q", a.Answer)
	}
	checkCitations(t, a, tinyDocs)
	if !strings.Contains(a.Citations[0].Quote, "1988") {
		t.Errorf("cited %q, want the sentence about 1988", a.Citations[0].Quote)
	}
}

func TestTuningMaxSentences(t *testing.T) {
	ix := tinyIndex(t)
	for _, n := range []int{1, 2, 3} {
		ex := Extractive{Index: ix, Tuning: Tuning{MaxSentences: n, MinConfidence: 0.01}}
		a, err := ex.Answer(context.Background(), "When was the Cape Arrow lighthouse built and when was its lamp converted to electricity?", 5)
		if err != nil {
			t.Fatal(err)
		}
		checkCitations(t, a, tinyDocs)
		if len(a.Citations) > n {
			t.Errorf("MaxSentences %d: %d citations", n, len(a.Citations))
		}
	}
}

func TestTuningValidate(t *testing.T) {
	tests := []struct {
		name string
		t    Tuning
		want string // "" for valid
	}{
		{"defaults", DefaultTuning, ""},
		{"one sentence", Tuning{MaxSentences: 1}, ""},
		{"three sentences", Tuning{MaxSentences: 3}, ""},
		{"highest confidence", Tuning{MinConfidence: 1, MaxSentences: 2}, ""},
		{"negative confidence", Tuning{MinConfidence: -0.1, MaxSentences: 2}, "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"confidence above 1", Tuning{MinConfidence: 1.5, MaxSentences: 2}, "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"NaN confidence", Tuning{MinConfidence: math.NaN(), MaxSentences: 2}, "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"no sentences", Tuning{MaxSentences: 0}, "answer.max_sentences must be 1, 2 or 3"},
		{"four sentences", Tuning{MaxSentences: 4}, "answer.max_sentences must be 1, 2 or 3"},
		{"negative sentences", Tuning{MaxSentences: -1}, "answer.max_sentences must be 1, 2 or 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("Validate() = %q, want %q", err, tt.want)
			}
		})
	}
}

// A composer whose tuning the CLI would refuse does not answer, extractive
// or generative (whose fallback it is), whatever the question.
func TestComposersRefuseBadTuning(t *testing.T) {
	ix := tinyIndex(t)
	bad := Tuning{MaxSentences: 4}
	const want = "answer.max_sentences must be 1, 2 or 3"
	for _, q := range []string{"When was the Cape Arrow lighthouse built?", "Who wrote it?", ""} {
		if _, err := (Extractive{Index: ix, Tuning: bad}).Answer(context.Background(), q, 3); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("extractive, %q: err %v, want %q", q, err, want)
		}
		g := Generative{Index: ix, Extractive: Extractive{Index: ix, Tuning: bad}}
		if _, err := g.Answer(context.Background(), q, 3); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("generative, %q: err %v, want %q", q, err, want)
		}
		if _, err := g.Stream(context.Background(), q, 3, func(string) { t.Error("text sent") }); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("generative stream, %q: err %v, want %q", q, err, want)
		}
	}
}

func TestToPassages(t *testing.T) {
	ps := toPassages([]retrieval.Passage{{DocID: "a", Start: 0, End: 3, Text: "abc", Score: 0.123456}, {DocID: "b", Score: 0.1}})
	if len(ps) != 2 || ps[0].Rank != 1 || ps[1].Rank != 2 || ps[0].Score != 0.1235 || ps[0].Document != "a" {
		t.Errorf("toPassages = %+v", ps)
	}
	if got := toPassages(nil); got == nil || len(got) != 0 {
		t.Errorf("toPassages(nil) = %#v, want an empty non-nil slice", got)
	}
}
