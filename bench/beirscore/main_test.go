package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/internal/beir"
)

// TestScore: each metric of internal/beir lands in its own field of the
// JSON line, none swapped for another.
func TestScore(t *testing.T) {
	qrels := map[string]map[string]int{"q1": {"a": 1, "b": 1}, "q2": {"k": 1}, "q3": {"c": 1}}
	ranked := map[string][]string{
		"q1": {"x", "a", "b"},
		"q2": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "k"},
	}
	got, want := score(qrels, ranked), beir.Score(qrels, ranked)
	if got.Queries != 3 || got.NDCG10 != want.NDCG10 || got.Recall10 != want.Recall10 ||
		got.Recall100 != want.Recall100 || got.MRR10 != want.MRR10 {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The figures differ from each other, so a swap would show.
	if got.NDCG10 == got.Recall10 || got.Recall10 == got.Recall100 || got.MRR10 == got.NDCG10 || got.MRR10 == got.Recall10 {
		t.Fatalf("metrics not all different: %+v", got)
	}
}

func writeFile(t testing.TB, text string) string {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadRun(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string][]string
		err        string
	}{
		{name: "ranks put in order", text: "q1 Q0 b 2 1.5 x\nq1 Q0 a 1 2 x\n\nq2 Q0 c 1 9 x\n",
			want: map[string][]string{"q1": {"a", "b"}, "q2": {"c"}}},
		{name: "a document listed twice counts once, at its best rank", text: "q1 Q0 a 3 1 x\nq1 Q0 b 2 1.5 x\nq1 Q0 a 1 2 x\n",
			want: map[string][]string{"q1": {"a", "b"}}},
		{name: "too few fields", text: "q1 Q0 a 1 2\n", err: "want 6 fields"},
		{name: "bad rank", text: "q1 Q0 a one 2 x\n", err: "bad rank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRun(writeFile(t, tt.text))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for q, docs := range tt.want {
				if strings.Join(got[q], ",") != strings.Join(docs, ",") {
					t.Errorf("%s: got %v, want %v", q, got[q], docs)
				}
			}
		})
	}
}

// TestReadQrels: the parsing is internal/beir's, tested there; beirscore
// adds refusing qrels that judge nothing.
func TestReadQrels(t *testing.T) {
	got, err := readQrels(writeFile(t, "query-id\tcorpus-id\tscore\n1\td1\t1\n"))
	if err != nil || got["1"]["d1"] != 1 {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := readQrels(writeFile(t, "1\td1\tone\n")); err == nil || !strings.Contains(err.Error(), "bad score") {
		t.Errorf("a bad score: error %v", err)
	}
	if _, err := readQrels(writeFile(t, "query-id\tcorpus-id\tscore\n")); err == nil || !strings.Contains(err.Error(), "no judgements") {
		t.Errorf("qrels without judgements: error %v", err)
	}
}

// FuzzReadRun: any file either fails to parse or gives each query its
// different documents, each once, and scoring it never leaves [0, 1].
func FuzzReadRun(f *testing.F) {
	f.Add("q1 Q0 b 2 1.5 x\nq1 Q0 a 1 2 x\n")
	f.Add("q1 Q0 a 1 2\n")
	f.Add("q Q0 d -3 NaN t\nq Q0 d 99999999999999999999 1 t\n")
	f.Fuzz(func(t *testing.T, text string) {
		ranked, err := readRun(writeFile(t, text))
		if err != nil {
			return
		}
		listed := map[string]map[string]bool{}
		for line := range strings.Lines(text) {
			if f := strings.Fields(line); len(f) == 6 {
				if listed[f[0]] == nil {
					listed[f[0]] = map[string]bool{}
				}
				listed[f[0]][f[2]] = true
			}
		}
		for q, docs := range ranked {
			if len(docs) != len(listed[q]) {
				t.Fatalf("query %q: %d documents, %d different ones listed", q, len(docs), len(listed[q]))
			}
		}
		qrels := map[string]map[string]int{}
		for q, docs := range ranked {
			qrels[q] = map[string]int{docs[0]: 1}
		}
		s := score(qrels, ranked)
		if s.NDCG10 < 0 || s.NDCG10 > 1+1e-9 || s.Recall100 < 0 || s.Recall100 > 1+1e-9 {
			t.Fatalf("scores out of range: %+v", s)
		}
	})
}
