package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	log2of3 := math.Log2(3)
	tests := []struct {
		name   string
		qrels  map[string]map[string]int
		ranked map[string][]string
		want   Scores
	}{{
		name:   "relevant first and third of two",
		qrels:  map[string]map[string]int{"q1": {"a": 1, "b": 1}},
		ranked: map[string][]string{"q1": {"a", "x", "b"}},
		want:   Scores{Queries: 1, NDCG10: 1.5 / (1 + 1/log2of3), Recall10: 1, Recall100: 1, MRR10: 1},
	}, {
		name:   "a query with no run lines scores zero",
		qrels:  map[string]map[string]int{"q1": {"a": 1}, "q2": {"c": 1}},
		ranked: map[string][]string{"q1": {"a"}},
		want:   Scores{Queries: 2, NDCG10: 0.5, Recall10: 0.5, Recall100: 0.5, MRR10: 0.5},
	}, {
		name:   "grade 0 is not relevant",
		qrels:  map[string]map[string]int{"q1": {"a": 0, "b": 2}},
		ranked: map[string][]string{"q1": {"a", "b"}},
		want:   Scores{Queries: 1, NDCG10: 1 / log2of3, Recall10: 1, Recall100: 1, MRR10: 0.5},
	}, {
		name:   "found at rank 11 counts for Recall@100 only",
		qrels:  map[string]map[string]int{"q1": {"k": 1}},
		ranked: map[string][]string{"q1": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "k"}},
		want:   Scores{Queries: 1, Recall100: 1},
	}, {
		name:   "ideal DCG stops at 10 relevant",
		qrels:  map[string]map[string]int{"q1": {"0": 1, "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 1, "11": 1}},
		ranked: map[string][]string{"q1": {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		want:   Scores{Queries: 1, NDCG10: 1, Recall10: 10.0 / 12, Recall100: 10.0 / 12, MRR10: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := score(tt.qrels, tt.ranked)
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"nDCG@10", got.NDCG10, tt.want.NDCG10}, {"Recall@10", got.Recall10, tt.want.Recall10},
				{"Recall@100", got.Recall100, tt.want.Recall100}, {"MRR@10", got.MRR10, tt.want.MRR10}} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if got.Queries != tt.want.Queries {
				t.Errorf("queries = %d, want %d", got.Queries, tt.want.Queries)
			}
		})
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

func TestReadQrels(t *testing.T) {
	got, err := readQrels(writeFile(t, "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t0\n2\td3\t2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["1"]["d1"] != 1 || got["1"]["d2"] != 0 || got["2"]["d3"] != 2 {
		t.Errorf("got %v", got)
	}
	if _, err := readQrels(writeFile(t, "1\td1\tone\n")); err == nil || !strings.Contains(err.Error(), "bad score") {
		t.Errorf("a bad score: error %v", err)
	}
	if _, err := readQrels(writeFile(t, "query-id\tcorpus-id\tscore\n")); err == nil {
		t.Error("qrels without judgements: no error")
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
