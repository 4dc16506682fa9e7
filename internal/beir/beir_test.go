package beir

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"citebot/document"
)

func TestScore(t *testing.T) {
	log2of3 := math.Log2(3)
	tests := []struct {
		name   string
		qrels  Qrels
		ranked map[string][]string
		want   Metrics
	}{{
		name:   "relevant first and third of two",
		qrels:  Qrels{"q1": {"a": 1, "b": 1}},
		ranked: map[string][]string{"q1": {"a", "x", "b"}},
		want:   Metrics{Queries: 1, NDCG10: 1.5 / (1 + 1/log2of3), Recall10: 1, Recall100: 1, MRR10: 1},
	}, {
		name:   "a query with no ranking scores zero",
		qrels:  Qrels{"q1": {"a": 1}, "q2": {"c": 1}},
		ranked: map[string][]string{"q1": {"a"}},
		want:   Metrics{Queries: 2, NDCG10: 0.5, Recall10: 0.5, Recall100: 0.5, MRR10: 0.5},
	}, {
		name:   "grade 0 is not relevant",
		qrels:  Qrels{"q1": {"a": 0, "b": 2}},
		ranked: map[string][]string{"q1": {"a", "b"}},
		want:   Metrics{Queries: 1, NDCG10: 1 / log2of3, Recall10: 1, Recall100: 1, MRR10: 0.5},
	}, {
		name:   "a query whose judgements are all 0 counts, and scores 0",
		qrels:  Qrels{"q1": {"a": 0}, "q2": {"b": 1}},
		ranked: map[string][]string{"q1": {"a"}, "q2": {"b"}},
		want:   Metrics{Queries: 2, NDCG10: 0.5, Recall10: 0.5, Recall100: 0.5, MRR10: 0.5},
	}, {
		name:   "MRR@10 is the first relevant document's rank only",
		qrels:  Qrels{"q1": {"b": 1, "c": 1}},
		ranked: map[string][]string{"q1": {"x", "x2", "b", "c"}},
		want: Metrics{Queries: 1, NDCG10: (1/math.Log2(4) + 1/math.Log2(5)) / (1 + 1/log2of3),
			Recall10: 1, Recall100: 1, MRR10: 1.0 / 3},
	}, {
		name:   "found at rank 11 counts for Recall@100 only",
		qrels:  Qrels{"q1": {"k": 1}},
		ranked: map[string][]string{"q1": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "k"}},
		want:   Metrics{Queries: 1, Recall100: 1},
	}, {
		name:   "found at rank 101 counts for nothing",
		qrels:  Qrels{"q1": {"k": 1}},
		ranked: map[string][]string{"q1": append(make([]string, 100), "k")},
		want:   Metrics{Queries: 1},
	}, {
		name:   "ideal DCG stops at 10 relevant",
		qrels:  Qrels{"q1": {"0": 1, "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 1, "11": 1}},
		ranked: map[string][]string{"q1": {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		want:   Metrics{Queries: 1, NDCG10: 1, Recall10: 10.0 / 12, Recall100: 10.0 / 12, MRR10: 1},
	}, {
		name:   "no qrels, no queries",
		qrels:  Qrels{},
		ranked: map[string][]string{"q1": {"a"}},
		want:   Metrics{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.qrels, tt.ranked)
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

// TestScoreOrder: the sums run in the queries' sorted order, so the same
// qrels and rankings give the same bits every time, though maps have no
// order.
func TestScoreOrder(t *testing.T) {
	qrels, ranked := Qrels{}, map[string][]string{}
	for i := range 50 {
		q := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		qrels[q] = map[string]int{"d": 1, "e": 1, "f": i % 3}
		ranked[q] = []string{"z", "e", "y", "d", "f"}[:1+i%5]
	}
	first := Score(qrels, ranked)
	for range 20 {
		if got := Score(qrels, ranked); got != first {
			t.Fatalf("%+v, then %+v", first, got)
		}
	}
}

func writeFile(t testing.TB, text string) string {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkRead fails t unless a reader gave want, or, when wantErr is not
// empty, an error saying it.
func checkRead[T any](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want one saying %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestReadQrels(t *testing.T) {
	tests := []struct {
		name, text string
		want       Qrels
		err        string
	}{
		{name: "header skipped", text: "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t0\n2\td3\t2\n",
			want: Qrels{"1": {"d1": 1, "d2": 0}, "2": {"d3": 2}}},
		{name: "lines of another shape skipped", text: "\n1\td1\t1\nnot a judgement\n2 d3 2\n",
			want: Qrels{"1": {"d1": 1}}},
		{name: "a header past the first line is a bad score", text: "1\td1\t1\nquery-id\tcorpus-id\tscore\n",
			err: "line 2: bad score"},
		{name: "bad score", text: "1\td1\tone\n", err: "bad score"},
		{name: "only a header", text: "query-id\tcorpus-id\tscore\n", want: Qrels{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadQrels(writeFile(t, tt.text))
			checkRead(t, got, err, tt.want, tt.err)
		})
	}
	if _, err := ReadQrels(filepath.Join(t.TempDir(), "missing.tsv")); !os.IsNotExist(err) {
		t.Errorf("a missing file: error %v", err)
	}
}

func TestReadCorpus(t *testing.T) {
	tests := []struct {
		name, text string
		want       []document.Document
		err        string
	}{
		{name: "title, blank line, abstract; sorted by id",
			text: `{"_id":"b","title":"T","text":"Body."}` + "\n\n" + `{"_id":"a","title":"","text":"Only text."}` + "\n",
			want: []document.Document{{ID: "a", Text: "Only text."}, {ID: "b", Title: "T", Text: "T\n\nBody."}}},
		{name: "empty documents left out",
			text: `{"_id":"a","title":"","text":"  "}` + "\n" + `{"_id":"b","title":"T","text":""}` + "\n",
			want: []document.Document{{ID: "b", Title: "T", Text: "T\n\n"}}},
		{name: "bad JSON names its line", text: `{"_id":"a","text":"x"}` + "\n{\n", err: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCorpus(writeFile(t, tt.text))
			checkRead(t, got, err, tt.want, tt.err)
		})
	}
}

func TestReadQueries(t *testing.T) {
	got, err := ReadQueries(writeFile(t, `{"_id":"1","text":"why?","metadata":{}}`+"\n  \n"+`{"_id":"2","text":"how?"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"1": "why?", "2": "how?"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := ReadQueries(writeFile(t, `{"_id":1}`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("an id that is a number: error %v", err)
	}
}

// FuzzReadQrels: any file either fails to parse or gives every query it
// lists at least one judgement, and no more judgements than it has lines of
// three tab-separated fields.
func FuzzReadQrels(f *testing.F) {
	f.Add("query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t0\n")
	f.Add("1\td1\tone\n")
	f.Add("q\td\t-3\n\tq\td\t99999999999999999999\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ReadQrels(writeFile(t, text))
		if err != nil {
			return
		}
		judged := 0
		for _, docs := range got {
			if len(docs) == 0 {
				t.Fatalf("a query without judgements: %v", got)
			}
			judged += len(docs)
		}
		lines := 0
		for line := range strings.Lines(text) {
			if len(strings.Split(strings.TrimSpace(line), "\t")) == 3 {
				lines++
			}
		}
		if judged > lines {
			t.Fatalf("%d judgements from %d lines of three fields", judged, lines)
		}
	})
}
