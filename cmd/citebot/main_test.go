package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"citebot/answer"
	"citebot/chunking"
	"citebot/document"
	"citebot/internal/browsertest"
	"citebot/loader"
	"citebot/retrieval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// seeds is the corpus shipped with the bot, as an absolute path so that
// tests which change directory still find it.
var seeds string

// devSet is the QA set over the seeds (questions with gold evidence,
// unanswerable ones, a few in Russian), committed in testdata/.
const devSet = "../../testdata/seeds-dev.jsonl"

// shared holds the seeds index that read-only tests share (built once).
var shared struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	abs, err := filepath.Abs("../../seeds")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	seeds = abs
	// The tests run inside browsertest.Main, which stops the browser the
	// browser tests started; returning exits with the tests' result.
	browsertest.Main(m)
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// seedIndex returns an index folder of the seeds that a test may read but
// must not change.
func seedIndex(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "citebot-test-index-")
		if shared.err != nil {
			return
		}
		var out, errb bytes.Buffer
		shared.err = run(context.Background(), []string{"citebot", "index", "--docs", seeds, "--index", shared.dir},
			noenv, strings.NewReader(""), &out, &errb)
	})
	if shared.err != nil {
		t.Fatalf("index the seeds: %v", shared.err)
	}
	return shared.dir
}

func noenv(string) string { return "" }

// result is one in-process run of the command.
type result struct {
	stdout, stderr string
	err            error
	code           int
}

// cli runs citebot with args in-process; env is the whole environment.
func cli(t testing.TB, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), append([]string{"citebot"}, args...), getenv, strings.NewReader(stdin), &out, &errb)
	code := exitCode(err, &errb)
	return result{out.String(), errb.String(), err, code}
}

// mustRun runs citebot and fails the test unless it succeeds.
func mustRun(t testing.TB, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := cli(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("citebot %q: exit %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r
}

// copySeeds copies the seed documents into a fresh folder a test may change.
func copySeeds(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "docs")
	if err := os.CopyFS(dir, os.DirFS(seeds)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineOf is the 1-based line holding byte off of b.
func lineOf(b []byte, off int) int { return 1 + bytes.Count(b[:off], []byte("\n")) }

var markerRe = regexp.MustCompile(`\[(\d+)\]`)

// docReader reads the documents of a docs folder, each once.
type docReader struct {
	dir   string
	mu    sync.Mutex
	files map[string][]byte
}

func newDocReader(dir string) *docReader { return &docReader{dir: dir, files: map[string][]byte{}} }

func (d *docReader) read(t testing.TB, rel string) []byte {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if b, ok := d.files[rel]; ok {
		return b
	}
	if rel == "" || filepath.IsAbs(rel) || strings.Contains(rel, `\`) || strings.HasPrefix(rel, "../") || strings.Contains(rel, "/../") {
		t.Fatalf("document %q is not a slash-separated path relative to the docs folder", rel)
	}
	b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("document %q: %v", rel, err)
	}
	d.files[rel] = b
	return b
}

// checkSpan checks that [start, end) of a document is text, with its lines
// as the answer object promises: line_start is the 1-based line holding
// byte start, line_end the line holding byte end-1.
func checkSpan(t testing.TB, what string, file []byte, start, end, lineStart, lineEnd int, text string, maxBytes int) {
	t.Helper()
	if start < 0 || end > len(file) || start >= end {
		t.Errorf("%s: span [%d, %d) is not inside the document's %d bytes", what, start, end, len(file))
		return
	}
	if got := string(file[start:end]); got != text {
		t.Errorf("%s: text is not file[%d:%d]:\n got %q\nwant %q", what, start, end, text, got)
	}
	if n := end - start; n > maxBytes {
		t.Errorf("%s: %d bytes, the limit is %d", what, n, maxBytes)
	}
	if got, want := lineStart, lineOf(file, start); got != want {
		t.Errorf("%s: line_start = %d, want %d (line of byte %d)", what, got, want, start)
	}
	if got, want := lineEnd, lineOf(file, end-1); got != want {
		t.Errorf("%s: line_end = %d, want %d (line of byte %d)", what, got, want, end-1)
	}
}

// checkAnswer checks an answer against the answer object's promises to
// clients, reading the cited documents from disk.
func checkAnswer(t testing.TB, a answer.Answer, question string, k int, docs *docReader) {
	t.Helper()
	if a.Question != question && utf8.ValidString(question) {
		t.Errorf("question = %q, want %q", a.Question, question)
	}
	if a.Mode != answer.ModeExtractive && a.Mode != answer.ModeGenerative {
		t.Errorf("mode = %q, want %q or %q", a.Mode, answer.ModeExtractive, answer.ModeGenerative)
	}
	if strings.TrimSpace(a.Answer) == "" {
		t.Errorf("answer is empty")
	}
	if a.Citations == nil || a.Passages == nil {
		t.Errorf("citations or passages are nil (JSON null), want arrays")
	}
	if a.TookMS < 0 {
		t.Errorf("took_ms = %d", a.TookMS)
	}
	if !a.Found {
		if len(a.Citations) != 0 {
			t.Errorf("found is false but there are %d citations", len(a.Citations))
		}
	} else if len(a.Citations) == 0 {
		t.Errorf("found is true but there are no citations")
	}

	// Every [n] marker has exactly one citation; every citation is used.
	cited := map[int]int{}
	for i, c := range a.Citations {
		cited[c.N]++
		if c.N != i+1 {
			t.Errorf("citation %d has n = %d, want %d", i, c.N, i+1)
		}
	}
	for n, count := range cited {
		if count != 1 {
			t.Errorf("%d citations have n = %d", count, n)
		}
	}
	used := map[int]bool{}
	for _, m := range markerRe.FindAllStringSubmatch(a.Answer, -1) {
		n, _ := strconv.Atoi(m[1])
		used[n] = true
		if cited[n] != 1 {
			t.Errorf("marker [%d] in the answer has %d citations, want exactly 1; answer: %q", n, cited[n], a.Answer)
		}
	}
	for n := range cited {
		if !used[n] {
			t.Errorf("citation %d is not used in the answer %q", n, a.Answer)
		}
	}
	// An extractive answer is its quotes, each followed by its own marker:
	// a second [n] is a reference copied from a quote, which a reader
	// cannot tell from the answer's marker.
	if markers := markerRe.FindAllString(a.Answer, -1); a.Mode == answer.ModeExtractive && len(markers) != len(a.Citations) {
		t.Errorf("extractive answer has %d [n] markers for %d citations: %q", len(markers), len(a.Citations), a.Answer)
	}

	for _, c := range a.Citations {
		file := docs.read(t, c.Document)
		checkSpan(t, fmt.Sprintf("citation [%d] %s", c.N, c.Document), file, c.Start, c.End, c.LineStart, c.LineEnd, c.Quote, document.MaxCitationBytes)
		if c.Title == "" {
			t.Errorf("citation [%d] has no title", c.N)
		}
	}

	if len(a.Passages) > k {
		t.Errorf("%d passages, k = %d", len(a.Passages), k)
	}
	for i, p := range a.Passages {
		if p.Rank != i+1 {
			t.Errorf("passage %d has rank %d", i, p.Rank)
		}
		if i > 0 && p.Score > a.Passages[i-1].Score {
			t.Errorf("passage rank %d scores %v, more than rank %d's %v", p.Rank, p.Score, i, a.Passages[i-1].Score)
		}
		file := docs.read(t, p.Document)
		checkSpan(t, fmt.Sprintf("passage %d %s", p.Rank, p.Document), file, p.Start, p.End, p.LineStart, p.LineEnd, p.Text, document.MaxPassageBytes)
	}
}

// decodeAnswer decodes one `ask --json` object, checking that every key of
// the contract is there and that citations and passages are arrays.
func decodeAnswer(t testing.TB, raw []byte) answer.Answer {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, raw)
	}
	for _, k := range []string{"question", "answer", "found", "mode", "citations", "passages", "took_ms"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("answer object has no %q: %s", k, raw)
		}
	}
	for _, k := range []string{"citations", "passages"} {
		if v := bytes.TrimSpace(keys[k]); len(v) == 0 || v[0] != '[' {
			t.Errorf("%s = %s, want a JSON array", k, v)
		}
	}
	var a answer.Answer
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return a
}

// contractQuestions cover dates, names, lists, Russian, and questions the
// seeds do not answer.
var contractQuestions = []string{
	"When did the SCO agreement come into effect?",
	"When was the Union State of Belarus and Russia established?",
	"Which university is the author of the SCO paper from?",
	"What was the second peer reviewer's final recommendation?",
	"Where was the Digital International Relations conference held?",
	"Когда была принята Концепция информационной безопасности Союзного государства?",
	"What is the population of Brazil?",
	"What is the boiling point of ethanol?",
	"information security",
}

func TestAskJSONContract(t *testing.T) {
	ix := seedIndex(t)
	docs := newDocReader(seeds)
	found, refused := 0, 0
	for _, k := range []int{1, 3, 5, 12} {
		for _, q := range contractQuestions {
			t.Run(fmt.Sprintf("k=%d/%s", k, q), func(t *testing.T) {
				r := mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", "--k", strconv.Itoa(k), q)
				if n := strings.Count(strings.TrimSpace(r.stdout), "\n"); n != 0 {
					t.Errorf("ask --json printed %d lines, want 1", n+1)
				}
				a := decodeAnswer(t, []byte(r.stdout))
				checkAnswer(t, a, q, k, docs)
				if len(a.Passages) != k && k <= 5 {
					t.Errorf("%d passages, want k = %d (the seeds have plenty)", len(a.Passages), k)
				}
				if a.Found {
					found++
				} else {
					refused++
					if !strings.Contains(r.stdout, `"citations":[]`) {
						t.Errorf("found:false answer must have \"citations\":[]: %s", r.stdout)
					}
				}
			})
		}
	}
	if found == 0 || refused == 0 {
		t.Errorf("%d answered and %d refused: the questions should exercise both", found, refused)
	}
}

// TestAskReferenceBrackets asks for sentences of the seeds that end with a
// bibliography reference such as "[4]": the answer's own [n] markers must
// still match its citations one to one.
func TestAskReferenceBrackets(t *testing.T) {
	ix := seedIndex(t)
	docs := newDocReader(seeds)
	for _, q := range []string{
		"What affects the livelihoods of the population?",
		"What restrictive measures were imposed on the Union State?",
	} {
		t.Run(q, func(t *testing.T) {
			r := mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", q)
			checkAnswer(t, decodeAnswer(t, []byte(r.stdout)), q, 5, docs)
		})
	}
}

func TestAskKOutOfRange(t *testing.T) {
	ix := seedIndex(t)
	for _, k := range []string{"0", "51", "-1", "1000"} {
		t.Run(k, func(t *testing.T) {
			r := cli(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--k", k, "When was the SCO founded?")
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "between 1 and 50") {
				t.Errorf("stderr %q does not explain the range of k", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
	for _, k := range []string{"1", "50"} {
		r := mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", "--k", k, "information security")
		a := decodeAnswer(t, []byte(r.stdout))
		if n, _ := strconv.Atoi(k); len(a.Passages) > n || len(a.Passages) == 0 {
			t.Errorf("--k %s gave %d passages", k, len(a.Passages))
		}
	}
}

type summaryJSON struct {
	Added     int                `json:"added"`
	Changed   int                `json:"changed"`
	Removed   int                `json:"removed"`
	Unchanged int                `json:"unchanged"`
	Skipped   []document.Skipped `json:"skipped"`
	Chunks    int                `json:"chunks"`
	TookMS    int64              `json:"took_ms"`
}

// indexJSON runs `index --json` and decodes the summary, checking its shape.
func indexJSON(t testing.TB, docs, ix string) summaryJSON {
	t.Helper()
	r := mustRun(t, nil, "", "index", "--docs", docs, "--index", ix, "--json")
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
		t.Fatalf("index --json: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"added", "changed", "removed", "unchanged", "skipped", "chunks", "took_ms"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("summary has no %q: %s", k, r.stdout)
		}
	}
	if v := bytes.TrimSpace(keys["skipped"]); len(v) == 0 || v[0] != '[' {
		t.Errorf("skipped = %s, want a JSON array", v)
	}
	var s summaryJSON
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.TookMS < 0 || s.Chunks <= 0 {
		t.Errorf("summary %+v: want chunks > 0 and took_ms ≥ 0", s)
	}
	return s
}

func TestIndexJSONIncremental(t *testing.T) {
	docs := copySeeds(t)
	ix := filepath.Join(t.TempDir(), "index")

	type counts struct{ added, changed, removed, unchanged, skipped int }
	get := func(s summaryJSON) counts {
		return counts{s.Added, s.Changed, s.Removed, s.Unchanged, len(s.Skipped)}
	}

	s := indexJSON(t, docs, ix)
	if got, want := get(s), (counts{added: 3}); got != want {
		t.Errorf("first run: %+v, want %+v", got, want)
	}
	chunks := s.Chunks

	s = indexJSON(t, docs, ix)
	if got, want := get(s), (counts{unchanged: 3}); got != want {
		t.Errorf("second run: %+v, want %+v", got, want)
	}
	if s.Chunks != chunks {
		t.Errorf("second run: %d chunks, first %d", s.Chunks, chunks)
	}

	// Prepend text to a document: every offset in it moves.
	doc := filepath.Join(docs, "002_a2706c8e8d14140f.txt")
	old, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, doc, "Editor's note: the harbour of Vardø hosted the conference afterparty.\n\n"+string(old))
	s = indexJSON(t, docs, ix)
	if got, want := get(s), (counts{changed: 1, unchanged: 2}); got != want {
		t.Errorf("after an edit: %+v, want %+v", got, want)
	}
	// Citations follow the edited bytes.
	q := "Where was the Digital International Relations conference held?"
	r := mustRun(t, nil, "", "ask", "--docs", docs, "--index", ix, "--json", q)
	if r.stderr != "" {
		t.Errorf("ask after index wrote to stderr (should not reindex): %s", r.stderr)
	}
	checkAnswer(t, decodeAnswer(t, []byte(r.stdout)), q, 5, newDocReader(docs))

	// Files that cannot be indexed are reported, not fatal.
	writeFile(t, filepath.Join(docs, "image.bin"), "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	writeFile(t, filepath.Join(docs, "sub", "nul.txt"), "text\x00with a NUL byte\n")
	writeFile(t, filepath.Join(docs, "blank.txt"), " \n\t\n")
	s = indexJSON(t, docs, ix)
	if got, want := get(s), (counts{unchanged: 3, skipped: 3}); got != want {
		t.Errorf("after adding unindexable files: %+v, want %+v", got, want)
	}
	reasons := map[string]string{}
	for _, sk := range s.Skipped {
		reasons[sk.Document] = sk.Reason
	}
	for doc, word := range map[string]string{"image.bin": "unsupported", "sub/nul.txt": "binary", "blank.txt": "empty"} {
		if !strings.Contains(reasons[doc], word) {
			t.Errorf("skipped[%q] reason = %q, want one mentioning %q (skipped: %+v)", doc, reasons[doc], word, s.Skipped)
		}
	}

	// A new document, and a removed one.
	writeFile(t, filepath.Join(docs, "notes", "extra.md"), "# Harbour notes\n\nThe harbour of Vardø froze in 1966.\n")
	if err := os.Remove(filepath.Join(docs, "001_8b87d517e2a49063.txt")); err != nil {
		t.Fatal(err)
	}
	s = indexJSON(t, docs, ix)
	if got, want := get(s), (counts{added: 1, removed: 1, unchanged: 2, skipped: 3}); got != want {
		t.Errorf("after adding and removing: %+v, want %+v", got, want)
	}
	q = "When did the harbour of Vardø freeze?"
	r = mustRun(t, nil, "", "ask", "--docs", docs, "--index", ix, "--json", q)
	a := decodeAnswer(t, []byte(r.stdout))
	checkAnswer(t, a, q, 5, newDocReader(docs))
	if !a.Found || a.Citations[0].Document != "notes/extra.md" {
		t.Errorf("the new document is not cited: %s", r.stdout)
	}

	// The human summary says the same.
	r = mustRun(t, nil, "", "index", "--docs", docs, "--index", ix)
	for _, want := range []string{"unchanged 3", "skipped 3", "image.bin"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("human summary lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestBadInput(t *testing.T) {
	ix := seedIndex(t)
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	onlyBinary := filepath.Join(tmp, "only-binary")
	regular := filepath.Join(tmp, "regular-file")
	writeFile(t, filepath.Join(onlyBinary, "a.pdf"), "%PDF-1.4")
	writeFile(t, regular, "I am a file, not a folder.\n")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	badYAML := filepath.Join(tmp, "bad.yaml")
	writeFile(t, badYAML, "k: [1\n")
	unknownKey := filepath.Join(tmp, "unknown.yaml")
	writeFile(t, unknownKey, "docs: ./seeds\nkk: 3\n")
	zeroK := filepath.Join(tmp, "zero.yaml")
	writeFile(t, zeroK, "k: 0\n")
	missingDocs := filepath.Join(tmp, "no-such-folder")
	q := "When was the SCO founded?"

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		msg  []string // each must appear in stderr
	}{
		{"no command", nil, nil, 2, []string{"no command"}},
		{"unknown command", nil, []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"unknown flag", nil, []string{"ask", "--frob", q}, 2, []string{"frob"}},
		{"missing docs/index", nil, []string{"index", "--docs", missingDocs, "--index", filepath.Join(tmp, "i1")}, 2, []string{missingDocs}},
		{"missing docs/ask", nil, []string{"ask", "--docs", missingDocs, "--index", filepath.Join(tmp, "i2"), q}, 2, []string{missingDocs}},
		{"empty docs", nil, []string{"index", "--docs", empty, "--index", filepath.Join(tmp, "i3")}, 2, []string{empty, "no documents"}},
		{"docs without text files", nil, []string{"ask", "--docs", onlyBinary, "--index", filepath.Join(tmp, "i4"), q}, 2, []string{onlyBinary, "no documents"}},
		{"empty question", nil, []string{"ask", "--docs", seeds, "--index", ix, ""}, 2, []string{"empty"}},
		{"blank question", nil, []string{"ask", "--docs", seeds, "--index", ix, "  \t "}, 2, []string{"empty"}},
		{"invalid UTF-8 question", nil, []string{"ask", "--docs", seeds, "--index", ix, "caf\xe9?"}, 2, []string{"UTF-8"}},
		{"index under a file/index", nil, []string{"index", "--docs", seeds, "--index", filepath.Join(regular, "index")}, 1, []string{regular}},
		{"index under a file/ask", nil, []string{"ask", "--docs", seeds, "--index", filepath.Join(regular, "index"), q}, 1, []string{regular}},
		{"index is a file", nil, []string{"index", "--docs", seeds, "--index", regular}, 1, []string{regular}},
		{"bad YAML", nil, []string{"ask", "--config", badYAML, "--index", ix, q}, 2, []string{badYAML}},
		{"bad YAML via env", map[string]string{"CITEBOT_CONFIG": badYAML}, []string{"ask", "--index", ix, q}, 2, []string{badYAML}},
		{"missing config", nil, []string{"ask", "--config", filepath.Join(tmp, "nope.yaml"), q}, 2, []string{"nope.yaml"}},
		{"unknown config key", nil, []string{"ask", "--config", unknownKey, q}, 2, []string{"kk"}},
		{"k 0 in config", nil, []string{"ask", "--config", zeroK, "--docs", seeds, "--index", ix, q}, 2, []string{"between 1 and 50"}},
		{"CITEBOT_K=abc", map[string]string{"CITEBOT_K": "abc"}, []string{"ask", "--docs", seeds, "--index", ix, q}, 2, []string{"CITEBOT_K", "abc"}},
		{"CITEBOT_K=99", map[string]string{"CITEBOT_K": "99"}, []string{"ask", "--docs", seeds, "--index", ix, q}, 2, []string{"between 1 and 50"}},
		{"CITEBOT_MAX_FILE_BYTES=1e3", map[string]string{"CITEBOT_MAX_FILE_BYTES": "1e3"}, []string{"index", "--docs", seeds, "--index", ix}, 2, []string{"CITEBOT_MAX_FILE_BYTES"}},
		{"k not a number", nil, []string{"ask", "--k", "five", q}, 2, []string{"five"}},
		{"index with arguments", nil, []string{"index", "--docs", seeds, "--index", ix, "extra"}, 2, []string{"extra"}},
		{"eval without a set", nil, []string{"eval", "--docs", seeds, "--index", ix}, 2, []string{"--set"}},
		{"eval with both", nil, []string{"eval", "--set", "x.jsonl", "--beir", "dir"}, 2, []string{"exactly one"}},
		{"eval missing set", nil, []string{"eval", "--docs", seeds, "--index", ix, "--set", filepath.Join(tmp, "none.jsonl")}, 2, []string{"none.jsonl"}},
		{"eval missing beir", nil, []string{"eval", "--beir", filepath.Join(tmp, "nobeir")}, 2, []string{"nobeir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.env, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; err: %v", r.code, tt.code, r.err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(r.stderr, m) {
					t.Errorf("stderr does not mention %q:\n%s", m, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing on error", r.stdout)
			}
		})
	}
	// A failed run must not leave an index behind.
	for _, d := range []string{"i1", "i2", "i3", "i4"} {
		if _, err := os.Stat(filepath.Join(tmp, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed run created %s (stat: %v)", d, err)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"ask", "-h"}, {"index", "--help"}} {
		r := cli(t, nil, "", args...)
		if r.code != 0 {
			t.Errorf("citebot %q: exit %d, want 0", args, r.code)
		}
		if r.stdout+r.stderr == "" {
			t.Errorf("citebot %q printed nothing", args)
		}
	}
}

// The CLI keeps the question limit of the HTTP API: characters are
// counted, not bytes, and a question over the limit is a usage error.
func TestAskLongQuestion(t *testing.T) {
	ix := seedIndex(t)
	docs := newDocReader(seeds)
	base := "When did the SCO agreement on safeguarding international information security enter into force? "
	atLimit := strings.Repeat(base, document.MaxQuestionChars/len(base)+1)[:document.MaxQuestionChars]
	tests := []struct {
		name string
		q    string
		ok   bool
	}{
		{"at the limit", atLimit, true},
		{"at the limit in two-byte characters", strings.Repeat("информация ", document.MaxQuestionChars/11), true},
		{"at the limit in four-byte characters", strings.Repeat("🧊", document.MaxQuestionChars-4) + " SCO", true},
		{"one over", atLimit + "?", false},
		{"10,000 bytes", strings.Repeat("x", 10000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", tt.q)
			if !tt.ok {
				if r.code != 2 || !strings.Contains(r.stderr, "too long") || !strings.Contains(r.stderr, "the limit is 4000") {
					t.Errorf("exit %d, stderr %q; want 2 and the limit", r.code, r.stderr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkAnswer(t, decodeAnswer(t, []byte(r.stdout)), tt.q, 5, docs)
		})
	}
}

func TestCorruptSnapshot(t *testing.T) {
	docs := newDocReader(seeds)
	q := "Where was the Digital International Relations conference held?"
	corruptions := map[string]func([]byte) []byte{
		"garbage":   func([]byte) []byte { return []byte("not a snapshot at all\n") },
		"empty":     func([]byte) []byte { return nil },
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"bit flip": func(b []byte) []byte {
			c := bytes.Clone(b)
			c[len(c)/3] ^= 0x40
			return c
		},
	}
	for name, corrupt := range corruptions {
		t.Run(name, func(t *testing.T) {
			ix := filepath.Join(t.TempDir(), "index")
			indexJSON(t, seeds, ix)
			snap := filepath.Join(ix, retrieval.SnapshotFile)
			good, err := os.ReadFile(snap)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(snap, corrupt(good), 0o644); err != nil {
				t.Fatal(err)
			}

			// ask rebuilds the index and says so on stderr.
			r := mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", q)
			checkAnswer(t, decodeAnswer(t, []byte(r.stdout)), q, 5, docs)
			if !strings.Contains(r.stderr, "corrupt") || !strings.Contains(r.stderr, "rebuilt") {
				t.Errorf("ask over a corrupt snapshot should say it rebuilt it; stderr: %q", r.stderr)
			}
			// ... and the rebuilt index is reused quietly.
			r = mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, "--json", q)
			if r.stderr != "" {
				t.Errorf("second ask wrote to stderr: %q", r.stderr)
			}

			// index rebuilds it too, and says why.
			if err := os.WriteFile(snap, corrupt(good), 0o644); err != nil {
				t.Fatal(err)
			}
			r = mustRun(t, nil, "", "index", "--docs", seeds, "--index", ix)
			if !strings.Contains(r.stdout, "rebuilt") || !strings.Contains(r.stdout, "corrupt") {
				t.Errorf("index over a corrupt snapshot should say it rebuilt it:\n%s", r.stdout)
			}
			if s := indexJSON(t, seeds, ix); s.Unchanged != 3 {
				t.Errorf("after the rebuild: %+v, want unchanged 3", s)
			}
		})
	}
}

// TestConfigPrecedence checks flag > env > file > default for --docs,
// --index and --k. Each layer has its own docs folder of five one-chunk
// documents, its own index folder and its own k, so the answer shows which
// layer won.
func TestConfigPrecedence(t *testing.T) {
	layers := []string{"default", "file", "env", "flag"}
	kOf := map[string]int{"default": 5, "file": 2, "env": 3, "flag": 4}
	docsOf := map[string]string{"default": "seeds", "file": "docs-file", "env": "docs-env", "flag": "docs-flag"}
	indexOf := map[string]string{"default": filepath.Join("data", "index"), "file": "index-file", "env": "index-env", "flag": "index-flag"}

	type setting struct{ docs, index, k string } // the layer each comes from, "" when not set there
	tests := []struct {
		name  string
		file  setting
		env   setting
		flag  setting
		viaCF bool // config file named by CITEBOT_CONFIG instead of --config
		want  setting
	}{
		{name: "defaults", want: setting{"default", "default", "default"}},
		{name: "file", file: setting{"file", "file", "file"}, want: setting{"file", "file", "file"}},
		{name: "file via CITEBOT_CONFIG", file: setting{"file", "file", "file"}, viaCF: true, want: setting{"file", "file", "file"}},
		{name: "env", env: setting{"env", "env", "env"}, want: setting{"env", "env", "env"}},
		{name: "flag", flag: setting{"flag", "flag", "flag"}, want: setting{"flag", "flag", "flag"}},
		{name: "env over file", file: setting{"file", "file", "file"}, env: setting{"env", "env", "env"}, want: setting{"env", "env", "env"}},
		{name: "flag over file", file: setting{"file", "file", "file"}, flag: setting{"flag", "flag", "flag"}, want: setting{"flag", "flag", "flag"}},
		{name: "flag over env", env: setting{"env", "env", "env"}, flag: setting{"flag", "flag", "flag"}, want: setting{"flag", "flag", "flag"}},
		{name: "flag over env over file", file: setting{"file", "file", "file"}, env: setting{"env", "env", "env"}, flag: setting{"flag", "flag", "flag"}, viaCF: true, want: setting{"flag", "flag", "flag"}},
		{name: "mixed", file: setting{docs: "file", index: "file", k: "file"}, env: setting{index: "env", k: "env"}, flag: setting{k: "flag"}, want: setting{"file", "env", "flag"}},
		{name: "mixed 2", file: setting{k: "file"}, env: setting{docs: "env"}, flag: setting{index: "flag"}, want: setting{"env", "flag", "file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			t.Chdir(root)
			for _, l := range layers {
				for i := 1; i <= 6; i++ {
					writeFile(t, filepath.Join(root, docsOf[l], fmt.Sprintf("%s-%d.txt", l, i)),
						fmt.Sprintf("Note %d of the %s layer\n\nThe lighthouse keeper wrote note %d in the %s layer.\n", i, l, i, l))
				}
			}
			var yaml strings.Builder
			if tt.file.docs != "" {
				fmt.Fprintf(&yaml, "docs: %s\n", docsOf["file"])
			}
			if tt.file.index != "" {
				fmt.Fprintf(&yaml, "index: %s\n", indexOf["file"])
			}
			if tt.file.k != "" {
				fmt.Fprintf(&yaml, "k: %d\n", kOf["file"])
			}
			env := map[string]string{}
			var args []string
			if yaml.Len() > 0 {
				writeFile(t, filepath.Join(root, "citebot.yaml"), yaml.String())
				if tt.viaCF {
					env["CITEBOT_CONFIG"] = "citebot.yaml"
				} else {
					args = append(args, "--config", "citebot.yaml")
				}
			}
			if tt.env.docs != "" {
				env["CITEBOT_DOCS"] = docsOf["env"]
			}
			if tt.env.index != "" {
				env["CITEBOT_INDEX"] = indexOf["env"]
			}
			if tt.env.k != "" {
				env["CITEBOT_K"] = strconv.Itoa(kOf["env"])
			}
			if tt.flag.docs != "" {
				args = append(args, "--docs", docsOf["flag"])
			}
			if tt.flag.index != "" {
				args = append(args, "--index", indexOf["flag"])
			}
			if tt.flag.k != "" {
				args = append(args, "--k", strconv.Itoa(kOf["flag"]))
			}
			q := "What did the lighthouse keeper write?"
			r := mustRun(t, env, "", append(append([]string{"ask", "--json"}, args...), q)...)
			a := decodeAnswer(t, []byte(r.stdout))
			checkAnswer(t, a, q, kOf[tt.want.k], newDocReader(filepath.Join(root, docsOf[tt.want.docs])))

			if got, want := len(a.Passages), kOf[tt.want.k]; got != want {
				t.Errorf("k: %d passages, want %d (from %s)", got, want, tt.want.k)
			}
			for _, p := range a.Passages {
				if !strings.HasPrefix(p.Document, tt.want.docs+"-") {
					t.Errorf("docs: passage from %s, want the %s layer's documents", p.Document, tt.want.docs)
				}
			}
			for _, l := range layers {
				_, err := os.Stat(filepath.Join(root, indexOf[l], retrieval.SnapshotFile))
				if exists := err == nil; exists != (l == tt.want.index) {
					t.Errorf("index: %s layer's index exists = %v, want the index in %s", l, exists, indexOf[tt.want.index])
				}
			}
		})
	}
}

// errorResult is the line ask prints, with --json, for a line of standard
// input that gets no answer.
type errorResult struct {
	Question string `json:"question"`
	Error    string `json:"error"`
}

func TestAskStdin(t *testing.T) {
	ix := seedIndex(t)
	docs := newDocReader(seeds)
	questions := []string{
		"",
		"When did the SCO agreement come into effect?",
		"",
		"   ",
		"What is the boiling point of ethanol?",
		"Who wrote the article about the Union State?",
		"\t",
		"Когда была принята Концепция информационной безопасности Союзного государства?",
	}
	// A CRLF line end is not part of the question; the last line needs no end.
	input := "\n" + questions[1] + "\n\n   \n" + questions[4] + "\r\n" + questions[5] + "\n\t\n" + questions[7]

	t.Run("json", func(t *testing.T) {
		r := mustRun(t, nil, input, "ask", "--docs", seeds, "--index", ix, "--json", "--k", "3")
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(questions) {
			t.Fatalf("%d output lines for %d input lines:\n%s", len(lines), len(questions), r.stdout)
		}
		for i, l := range lines {
			if strings.TrimSpace(questions[i]) == "" {
				var e errorResult
				if err := json.Unmarshal([]byte(l), &e); err != nil || e.Question != questions[i] || e.Error != answer.ErrEmptyQuestion.Error() {
					t.Errorf("line %d = %s (%v), want an error result saying the question is empty", i+1, l, err)
				}
				continue
			}
			checkAnswer(t, decodeAnswer(t, []byte(l)), questions[i], 3, docs)
		}
	})
	t.Run("text", func(t *testing.T) {
		r := mustRun(t, nil, input, "ask", "--docs", seeds, "--index", ix)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(questions) {
			t.Fatalf("%d output lines for %d input lines:\n%s", len(lines), len(questions), r.stdout)
		}
		for _, i := range []int{0, 2, 3, 6} {
			if want := "error: " + answer.ErrEmptyQuestion.Error(); lines[i] != want {
				t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
			}
		}
		if !strings.HasPrefix(lines[4], answer.NotFoundText+" | closest: confidence 0.") {
			t.Errorf("line 5 = %q, want the refusal and how near the closest sentence came", lines[4])
		}
		if !regexp.MustCompile(`^.* \[1\] \| \[1\] \S+ lines? [\d-]+ \| confidence (0\.\d\d|1\.00)$`).MatchString(lines[1]) {
			t.Errorf("line 2 = %q, want the answer, its sources and its confidence", lines[1])
		}
	})
	// A line over the question limit is an error result like any bad
	// line, however long: the batch goes on (it used to end at 1 MiB with
	// "token too long", exit 1).
	long := "When did the SCO agreement come into effect? "
	atLimit := strings.Repeat(long, document.MaxQuestionChars/len(long)+1)[:document.MaxQuestionChars]
	for _, tt := range []struct {
		name, line, errText string
	}{
		{"invalid UTF-8", "caf\xe9?", "UTF-8"},
		{"one character over the limit", atLimit + "?", "4001 characters, the limit is 4000"},
		{"4,001 four-byte characters", strings.Repeat("🧊", document.MaxQuestionChars+1), "the limit is 4000 characters"},
		{"over the bytes kept", strings.Repeat("x", maxLineBytes+1), "the limit is 4000 characters"},
		{"2 MiB", strings.Repeat("information ", 2<<20/12), "the limit is 4000 characters"},
	} {
		t.Run("bad line/"+tt.name, func(t *testing.T) {
			in := questions[1] + "\n" + tt.line + "\r\n" + atLimit + "\n" + questions[4] + "\n"
			r := mustRun(t, nil, in, "ask", "--docs", seeds, "--index", ix, "--json")
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != 4 {
				t.Fatalf("%d output lines for 4 questions:\n%.2000s", len(lines), r.stdout)
			}
			var e errorResult
			if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || !strings.Contains(e.Error, tt.errText) {
				t.Errorf("line 2 = %.300s (%v), want an error result saying %q", lines[1], err, tt.errText)
			}
			if len(e.Question) > 1000 {
				t.Errorf("the error result repeats %d bytes of the question, want only its start", len(e.Question))
			}
			checkAnswer(t, decodeAnswer(t, []byte(lines[0])), questions[1], 5, docs)
			checkAnswer(t, decodeAnswer(t, []byte(lines[2])), atLimit, 5, docs)
			checkAnswer(t, decodeAnswer(t, []byte(lines[3])), questions[4], 5, docs)
		})
	}
}

// readLine keeps at most max bytes of a line, says when it was longer, and
// always goes on with the next line.
func TestReadLine(t *testing.T) {
	const max = 8
	tests := []struct {
		name  string
		input string
		want  []string // each line read; a "+" suffix marks one reported long
	}{
		{"empty input", "", nil},
		{"one line without an end", "abc", []string{"abc"}},
		{"LF and CRLF", "a\nb\r\nc\n", []string{"a", "b", "c"}},
		{"blank lines kept", "\n\r\n\n", []string{"", "", ""}},
		{"a CR alone stays", "a\rb\n", []string{"a\rb"}},
		{"exactly max", "12345678\n", []string{"12345678"}},
		{"exactly max with CRLF", "12345678\r\nx", []string{"12345678", "x"}},
		{"one over max", "123456789\nx\n", []string{"12345678+", "x"}},
		{"far over max", strings.Repeat("y", 100000) + "\nnext", []string{"yyyyyyyy+", "next"}},
		{"far over max, last line", strings.Repeat("z", 100000), []string{"zzzzzzzz+"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.input), 16) // smaller than the lines: they come in pieces
			var got []string
			for {
				line, long, err := readLine(r, max)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if long {
					line += "+"
				}
				got = append(got, line)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// qaMetrics is the part of the eval report the targets are about.
type qaMetrics struct {
	K            int     `json:"k"`
	Questions    int     `json:"questions"`
	Answerable   int     `json:"answerable"`
	Unanswerable int     `json:"unanswerable"`
	RecallAtK    float64 `json:"recall_at_k"`
	MRR          float64 `json:"mrr"`
	CitedHit     float64 `json:"cited_evidence_hit"`
	Refused      int     `json:"unanswerable_refused"`
	FalseRefused int     `json:"answerable_refused"`
	Misses       []struct {
		ID, What, Answer string
	} `json:"misses"`
}

// TestEvalDevSet is the integration test of the quality targets: it indexes
// the seeds and runs the dev set through `eval --set`.
func TestEvalDevSet(t *testing.T) {
	ix := filepath.Join(t.TempDir(), "index")
	r := mustRun(t, nil, "", "eval", "--docs", seeds, "--index", ix, "--set", devSet, "--json")
	var m qaMetrics
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, r.stdout)
	}
	t.Logf("dev set: %d questions (%d answerable, %d unanswerable), k=%d: recall@k %.3f, MRR %.3f, cited-evidence hit %.3f, unanswerable refused %d/%d, answerable refused %d/%d",
		m.Questions, m.Answerable, m.Unanswerable, m.K, m.RecallAtK, m.MRR, m.CitedHit, m.Refused, m.Unanswerable, m.FalseRefused, m.Answerable)
	for _, miss := range m.Misses {
		t.Logf("miss %s: %s\n    %.200s", miss.ID, miss.What, miss.Answer)
	}
	if m.Questions == 0 || m.Answerable == 0 || m.Unanswerable == 0 {
		t.Fatalf("dev set has %d questions, %d answerable, %d unanswerable", m.Questions, m.Answerable, m.Unanswerable)
	}
	if m.K != 5 {
		t.Errorf("k = %d, want the default 5", m.K)
	}
	if m.RecallAtK < 0.95 {
		t.Errorf("recall@%d = %.3f, target ≥ 0.95", m.K, m.RecallAtK)
	}
	if m.CitedHit < 0.85 {
		t.Errorf("cited-evidence hit = %.3f, target ≥ 0.85", m.CitedHit)
	}
	if m.Refused != m.Unanswerable {
		t.Errorf("refused %d of %d unanswerable questions, want all", m.Refused, m.Unanswerable)
	}
	if m.FalseRefused != 0 {
		t.Errorf("refused %d answerable questions, want none", m.FalseRefused)
	}
}

func TestEvalSetText(t *testing.T) {
	ix := seedIndex(t)
	set := filepath.Join(t.TempDir(), "qa.jsonl")
	writeFile(t, set, `{"id":"a","lang":"en","question":"When did the SCO agreement come into effect?","answerable":true,"document":"001_8b87d517e2a49063.txt","evidence":"SCO"}`+"\n\n"+
		`{"id":"b","lang":"en","question":"What is the boiling point of ethanol?","answerable":false}`+"\n")
	r := mustRun(t, nil, "", "eval", "--docs", seeds, "--index", ix, "--set", set)
	for _, want := range []string{"questions", "2 (1 answerable, 1 unanswerable)", "Recall@5", "cited-evidence hit"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval output lacks %q:\n%s", want, r.stdout)
		}
	}
	writeFile(t, set, `{"question": "x", "answerable": true}`+"\n")
	if r := cli(t, nil, "", "eval", "--docs", seeds, "--index", ix, "--set", set); r.code != 2 {
		t.Errorf("a QA row without evidence: exit %d, want 2", r.code)
	}
}

type beirMetrics struct {
	Split     string  `json:"split"`
	Queries   int     `json:"queries"`
	Documents int     `json:"documents"`
	Chunks    int     `json:"chunks"`
	NDCG10    float64 `json:"ndcg_at_10"`
	Recall10  float64 `json:"recall_at_10"`
	Recall100 float64 `json:"recall_at_100"`
	MRR10     float64 `json:"mrr_at_10"`
}

func TestEvalBEIR(t *testing.T) {
	const dir = "testdata/beir"
	eval := func(t *testing.T, split string) beirMetrics {
		t.Helper()
		r := mustRun(t, nil, "", "eval", "--beir", dir, "--split", split, "--json")
		var m beirMetrics
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("eval --beir --json: %v\n%s", err, r.stdout)
		}
		t.Logf("%s: %+v", split, m)
		if m.Split != split || m.Queries != 2 || m.Documents != 5 || m.Chunks < 5 {
			t.Errorf("report %+v: want split %s, 2 queries, 5 documents", m, split)
		}
		for name, v := range map[string]float64{"ndcg": m.NDCG10, "recall@10": m.Recall10, "recall@100": m.Recall100, "mrr": m.MRR10} {
			if v < 0 || v > 1 {
				t.Errorf("%s = %v, outside [0, 1]", name, v)
			}
		}
		if m.Recall100 < m.Recall10 {
			t.Errorf("recall@100 %v < recall@10 %v", m.Recall100, m.Recall10)
		}
		return m
	}
	t.Run("titles", func(t *testing.T) {
		// Each query is a document's title: the document must rank first.
		m := eval(t, "test")
		if m.NDCG10 != 1 || m.MRR10 != 1 || m.Recall10 != 1 {
			t.Errorf("title queries: nDCG@10 %v, MRR@10 %v, Recall@10 %v; want all 1", m.NDCG10, m.MRR10, m.Recall10)
		}
	})
	t.Run("wrong qrels", func(t *testing.T) {
		// The qrels name other documents than the titles' own: the
		// relevant ones cannot rank first.
		m := eval(t, "dev")
		if m.NDCG10 >= 1 || m.MRR10 >= 1 {
			t.Errorf("nDCG@10 %v, MRR@10 %v: want below 1 when the title's document is not the relevant one", m.NDCG10, m.MRR10)
		}
	})
	t.Run("text", func(t *testing.T) {
		r := mustRun(t, nil, "", "eval", "--beir", dir)
		for _, want := range []string{"nDCG@10", "1.0000", "2 queries, 5 documents"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("eval --beir output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("missing split", func(t *testing.T) {
		if r := cli(t, nil, "", "eval", "--beir", dir, "--split", "train"); r.code != 2 || !strings.Contains(r.stderr, "train.tsv") {
			t.Errorf("missing split: exit %d, stderr %q; want 2 naming train.tsv", r.code, r.stderr)
		}
	})
}

// TestAskGolden pins the human output of ask for one seed question and one
// the seeds do not answer (the refusal says how near the closest sentence
// came). Run `go test ./cmd/citebot -run Golden -update` after a deliberate
// change.
func TestAskGolden(t *testing.T) {
	ix := seedIndex(t)
	tests := []struct {
		golden, question string
		found            bool
	}{
		{"ask.golden", "Where was the Digital International Relations conference held?", true},
		{"ask_refusal.golden", "What is the boiling point of ethanol?", false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := mustRun(t, nil, "", "ask", "--docs", seeds, "--index", ix, tt.question)
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				writeFile(t, golden, r.stdout)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			// The confidence's figure moves whenever the answer model is
			// fitted again: it is compared by its format (below), not its
			// digits, so that retraining does not churn the golden files.
			if anyFigure(r.stdout) != anyFigure(string(want)) {
				t.Errorf("ask output differs from %s (run with -update if intended):\n got:\n%s\nwant:\n%s", golden, r.stdout, want)
			}
			// Whatever the wording, the human output quotes each citation
			// exactly and ends with the confidence on a line of its own.
			if tt.found {
				if !strings.Contains(r.stdout, "Sources:") || !strings.Contains(r.stdout, "    > ") {
					t.Errorf("human output has no sources:\n%s", r.stdout)
				}
				if !regexp.MustCompile(`\n\nconfidence (0\.\d\d|1\.00)\n$`).MatchString(r.stdout) {
					t.Errorf("human output does not end with its confidence:\n%s", r.stdout)
				}
				return
			}
			if !strings.HasPrefix(r.stdout, answer.NotFoundText+"\n") || !regexp.MustCompile(`\n\(closest: confidence 0\.\d\d\)\n$`).MatchString(r.stdout) {
				t.Errorf("refusal output is not the refusal and how near the closest sentence came:\n%s", r.stdout)
			}
		})
	}
}

var confidenceFigure = regexp.MustCompile(`confidence \d\.\d\d`)

// anyFigure blanks the digits of the confidences in ask's output.
func anyFigure(out string) string {
	return confidenceFigure.ReplaceAllString(out, "confidence #.##")
}

// TestWriteAnswerConfidence: the confidence is shown when the answer model
// gave one, and never for an answer a language model wrote (confidence 0)
// or a refusal with no sentence to judge.
func TestWriteAnswerConfidence(t *testing.T) {
	cite := []answer.Citation{{N: 1, Title: "T", Document: "d.txt", LineStart: 2, LineEnd: 2, Quote: "Q."}}
	tests := []struct {
		name     string
		a        answer.Answer
		text     string // the last line of writeAnswer's output
		line     string // writeAnswerLine's output
		notShown bool
	}{
		{"extractive", answer.Answer{Answer: "Q. [1]", Found: true, Mode: answer.ModeExtractive, Citations: cite, Confidence: 0.874},
			"confidence 0.87", "Q. [1] | [1] d.txt line 2 | confidence 0.87", false},
		{"refusal", answer.Answer{Answer: answer.NotFoundText, Mode: answer.ModeExtractive, Confidence: 0.12},
			"(closest: confidence 0.12)", answer.NotFoundText + " | closest: confidence 0.12", false},
		{"generative", answer.Answer{Answer: "Q [1].", Found: true, Mode: answer.ModeGenerative, Citations: cite},
			"    > Q.", "Q [1]. | [1] d.txt line 2", true},
		{"refusal, no passages", answer.Answer{Answer: answer.NotFoundText, Mode: answer.ModeExtractive},
			answer.NotFoundText, answer.NotFoundText, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, line strings.Builder
			writeAnswer(&text, tt.a)
			writeAnswerLine(&line, tt.a)
			out := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
			if got := out[len(out)-1]; got != tt.text {
				t.Errorf("writeAnswer ends with %q, want %q:\n%s", got, tt.text, text.String())
			}
			if got := strings.TrimSuffix(line.String(), "\n"); got != tt.line {
				t.Errorf("writeAnswerLine = %q, want %q", got, tt.line)
			}
			if shown := strings.Contains(text.String(), "confidence"); shown == tt.notShown {
				t.Errorf("confidence shown = %v, want %v:\n%s", shown, !tt.notShown, text.String())
			}
		})
	}
}

// fuzzIndex is the seeds index built in memory the way the CLI builds it.
var fuzzIndex struct {
	once sync.Once
	ex   answer.Extractive
	docs map[string]string
	err  error
}

func seedsExtractive(t testing.TB) (answer.Extractive, map[string]string) {
	t.Helper()
	fuzzIndex.once.Do(func() {
		c := defaultConfig()
		rc, err := retrievalConfig(c)
		if err != nil {
			fuzzIndex.err = err
			return
		}
		docs, skipped, err := loader.Load(seeds, c.MaxFileBytes, func(text string) string {
			return chunking.Title(text, rc.Chunk.Boilerplate)
		})
		if err != nil {
			fuzzIndex.err = err
			return
		}
		built, err := retrieval.NewMemoryStore(rc).Update(context.Background(), nil, retrieval.FromDocuments(docs, skipped))
		ix := built.Index
		if err != nil {
			fuzzIndex.err = err
			return
		}
		fuzzIndex.ex = newExtractive(ix, c)
		fuzzIndex.docs = map[string]string{}
		for _, d := range docs {
			fuzzIndex.docs[d.ID] = d.Text
		}
	})
	if fuzzIndex.err != nil {
		t.Fatal(fuzzIndex.err)
	}
	return fuzzIndex.ex, fuzzIndex.docs
}

// FuzzAsk sends arbitrary questions through the extractive composer over
// the seeds: it must never panic, must reject exactly the questions
// CheckQuestion rejects, and whatever it answers must cite exact bytes of
// the documents under markers that match the citations.
func FuzzAsk(f *testing.F) {
	for _, q := range contractQuestions {
		f.Add(q, 5)
	}
	for _, q := range []string{"", " ", "\xff", "[1]", "When [2] was it?", "?", "SCO SCO SCO", "a\x00b", "Who?\n\nWhen?", "Éstá ¿qué?", "🙂 information security 🙂"} {
		f.Add(q, 3)
	}
	docs := newDocReader(seeds)
	f.Fuzz(func(t *testing.T, q string, k int) {
		k = 1 + int(uint(k)%10) // larger k only slows the search down
		ex, _ := seedsExtractive(t)
		a, err := ex.Answer(context.Background(), q, k)
		if cerr := answer.CheckQuestion(q); cerr != nil {
			if err == nil {
				t.Fatalf("question %q: CheckQuestion says %v, Answer succeeded", q, cerr)
			}
			return
		}
		if err != nil {
			t.Fatalf("question %q: %v", q, err)
		}
		checkAnswer(t, a, q, k, docs)
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}
