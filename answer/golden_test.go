package answer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"citebot/chunking"
	"citebot/loader"
	"citebot/retrieval"
)

var updateAnswers = flag.Bool("update-answers", false, "rewrite testdata/answers.golden from this build's answers")

// goldenQuestion is a question of the committed question sets.
type goldenQuestion struct {
	ID       string `json:"id"`
	Question string `json:"question"`
}

// readQuestions reads the questions of a JSON Lines question set.
func readQuestions(tb testing.TB, path string) []goldenQuestion {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var qs []goldenQuestion
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var q goldenQuestion
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return qs
}

// folderIndex indexes a folder with the shipped configuration.
func folderIndex(tb testing.TB, dir string) *retrieval.Index {
	tb.Helper()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		tb.Fatal(err)
	}
	docs, skipped, err := loader.Load(dir, 1<<30, func(s string) string { return chunking.Title(s, cfg.Chunk.Boilerplate) })
	if err != nil {
		tb.Fatal(err)
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, skipped))
	if err != nil {
		tb.Fatal(err)
	}
	return built.Index
}

// answerDigest is what pins one answer: the answer object as JSON but its
// timing, and every feature of every candidate the model saw, bit for bit.
// A hash keeps the file small; the line names what differs when the
// answer itself differs.
func answerDigest(tb testing.TB, ex Extractive, q string) string {
	tb.Helper()
	a, err := ex.Answer(context.Background(), q, 5)
	if err != nil {
		tb.Fatal(err)
	}
	a.TookMS = 0
	j, err := json.Marshal(a)
	if err != nil {
		tb.Fatal(err)
	}
	h := sha256.New()
	h.Write(j)
	cands, _, err := ex.Candidates(context.Background(), q, 5)
	if err != nil {
		tb.Fatal(err)
	}
	var b [8]byte
	for _, c := range cands {
		fmt.Fprintf(h, "%s %d %d", c.Document, c.Start, c.End)
		for _, x := range c.Features {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
			h.Write(b[:])
		}
	}
	var cites []string
	for _, c := range a.Citations {
		cites = append(cites, fmt.Sprintf("%s:%d-%d", c.Document, c.Start, c.End))
	}
	return fmt.Sprintf("found=%t confidence=%v cites=[%s] candidates=%d sha256=%s",
		a.Found, a.Confidence, strings.Join(cites, " "), len(cands), hex.EncodeToString(h.Sum(nil))[:16])
}

// TestAnswersGolden pins the extractive answers, and the features behind
// them, to every committed question over the seeds and over the XQuAD
// documents: the composer's speed work must not move a byte of them.
// A deliberate change to ranking or composition rewrites the file with
// -update-answers (and the model with go run ./tools/train).
func TestAnswersGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes two corpora and answers a thousand questions")
	}
	var out strings.Builder
	for _, set := range []struct {
		docs  string
		files []string
	}{
		{"../seeds", []string{"../testdata/seeds-dev.jsonl", "../testdata/seeds-extra.jsonl"}},
		{"../testdata/xquad/docs", []string{"../testdata/xquad/qa.jsonl"}},
	} {
		ex := Extractive{Index: folderIndex(t, set.docs), Tuning: DefaultTuning, CorpusScript: "latin"}
		for _, file := range set.files {
			for _, q := range readQuestions(t, file) {
				fmt.Fprintf(&out, "%s %s %s\n", filepath.Base(file), q.ID, answerDigest(t, ex, q.Question))
			}
		}
	}
	path := filepath.Join("testdata", "answers.golden")
	if *updateAnswers {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-answers to create it)", err)
	}
	got := strings.Split(out.String(), "\n")
	wantLines := strings.Split(string(want), "\n")
	if len(got) != len(wantLines) {
		t.Fatalf("%d answers, the golden file has %d", len(got), len(wantLines))
	}
	bad := 0
	for i := range got {
		if got[i] != wantLines[i] {
			bad++
			if bad <= 10 {
				t.Errorf("answer changed:\n got %s\nwant %s", got[i], wantLines[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d answers changed", bad, len(got)-1)
	}
}

// TestAnswersConcurrent answers the same questions from several
// goroutines at once, each in its own order, as a server does: an answer
// must not depend on what the pooled scratch space held before, or on
// who else is answering.
func TestAnswersConcurrent(t *testing.T) {
	ex := Extractive{Index: folderIndex(t, "../seeds"), Tuning: DefaultTuning, CorpusScript: "latin"}
	var questions []string
	for _, file := range []string{"../testdata/seeds-dev.jsonl", "../testdata/seeds-extra.jsonl", "../testdata/xquad/qa.jsonl"} {
		for _, q := range readQuestions(t, file) {
			questions = append(questions, q.Question)
		}
	}
	if testing.Short() {
		questions = questions[:101]
	}
	encode := func(q string) string {
		a, err := ex.Answer(context.Background(), q, 5)
		if err != nil {
			t.Error(err)
			return ""
		}
		a.TookMS = 0
		j, _ := json.Marshal(a)
		return string(j)
	}
	want := make([]string, len(questions))
	for i, q := range questions {
		want[i] = encode(q)
	}
	var wg sync.WaitGroup
	for g, step := range []int{1, 5, 7, 11} {
		wg.Go(func() {
			for n := range questions {
				// A different order each (the steps share no factor with
				// the count, 3×379, or 101 when short).
				i := (n*step + g*97) % len(questions)
				if got := encode(questions[i]); got != want[i] {
					t.Errorf("goroutine %d, %q: answered\n%s\nalone\n%s", g, questions[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
