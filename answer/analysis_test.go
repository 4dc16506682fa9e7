package answer

import (
	"fmt"
	"reflect"
	"testing"

	"citebot/retrieval"
)

func TestMemoBounded(t *testing.T) {
	m := &memo{max: 3, m: map[string]*textAnalysis{}}
	builds := 0
	build := func(s string) *textAnalysis { builds++; return &textAnalysis{terms: termSet(s)} }
	a := m.get("alpha", build)
	if b := m.get("alpha", build); a != b || builds != 1 {
		t.Errorf("a repeated text was analysed again (%d builds)", builds)
	}
	for i := range 5 {
		m.get(fmt.Sprint("text ", i), build)
		if len(m.m) > m.max {
			t.Fatalf("memo holds %d entries, over its bound %d", len(m.m), m.max)
		}
	}
}

// The memoized analysis is exactly what tokenizing the text gives.
func TestAnalyzePassage(t *testing.T) {
	text := "The harbour of Vardø froze in 1966. It froze again in May.\n\nBoats wintered in Kirkenes."
	a := analyzePassage(text)
	if a != analyzePassage(text) {
		t.Error("not memoized")
	}
	spans := retrieval.SplitSentences(text, retrieval.Span{Start: 0, End: len(text)})
	if len(a.sentences) != len(spans) {
		t.Fatalf("%d sentences, want %d", len(a.sentences), len(spans))
	}
	for i, s := range a.sentences {
		st := text[spans[i].Start:spans[i].End]
		if s.span != spans[i] || !reflect.DeepEqual(s.seq, retrieval.Terms(st)) || s.date != kind(st, "date") || s.num != kind(st, "number") {
			t.Errorf("sentence %d: %+v, want the analysis of %q", i, s, st)
		}
	}
	if !reflect.DeepEqual(a.terms, termSet(text)) {
		t.Error("passage terms differ from the text's")
	}
}
