package retrieval

import (
	"context"
	"slices"
	"testing"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval/internal/rank"
)

// TestAnalyzeRussianNames: names asked about in Russian reach the corpus's
// own spelling of them, and only names do (words the documents write in
// lower case are not matched by sound).
func TestAnalyzeRussianNames(t *testing.T) {
	docs := []document.Document{{ID: "a.txt", Title: "Super Bowl 50", Text: "Super Bowl 50\n\nThe Carolina Panthers lost to the Denver Broncos. " +
		"Jared Allen sacked the quarterback. Börte was his wife. The system failed.\n"}}
	ix, _, err := build(context.Background(), docs, nil, benchConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := ix.Analyze("Кого победили Пэнтерс и что сделал Джаред Аллен? Кто такая Бортэ? Какая система?")
	renders := map[string][]string{}
	for _, k := range q.Keys {
		renders[k.Word] = k.Terms
	}
	for word, want := range map[string]string{"пэнтерс": "panther", "джаред": "jare", "аллен": "allen", "бортэ": "börte"} {
		if !slices.Contains(renders[word], want) {
			t.Errorf("%s renders as %q, want %q among them", word, renders[word], want)
		}
	}
	if got := ix.soundsLike("система", "систем"); slices.Contains(got, "system") {
		t.Errorf("soundsLike(система) = %q: a word the documents write in lower case is not a name", got)
	}
	for _, k := range q.Keys {
		if k.Word == "кого" || k.Word == "что" || k.Word == "какая" {
			t.Errorf("question word %q kept as a key term", k.Word)
		}
		if !k.Known() && (k.Word == "пэнтерс" || k.Word == "аллен") {
			t.Errorf("%s has no IDF though the corpus holds it", k.Word)
		}
	}
}

func TestBM25TermsShareAKeyTerm(t *testing.T) {
	q := analysis.Query{Keys: []analysis.KeyTerm{
		{Word: "a", Terms: []string{"x", "y", "z"}, Weights: []float64{1, 0.5, 0.5}},
		{Word: "b", Terms: []string{"b"}, Weights: []float64{1}},
	}}
	known := func(t string) bool { return t != "x" }
	got := bm25Terms(q, known)
	want := []rank.WeightedTerm{{Term: "y", Weight: 0.5}, {Term: "z", Weight: 0.5}, {Term: "b", Weight: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("bm25Terms = %v, want %v: a key term counts once, shared by the renderings the corpus has", got, want)
	}
	if got := bm25Terms(analysis.Query{Keys: []analysis.KeyTerm{{Word: "q", Terms: []string{"q"}}}}, func(string) bool { return false }); len(got) != 0 {
		t.Errorf("a key term the corpus lacks gives terms %v", got)
	}
}
