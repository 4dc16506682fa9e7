package answer

import (
	"fmt"
	"reflect"
	"testing"

	"citebot/analysis"
	"citebot/document"
)

func TestMemoBounded(t *testing.T) {
	m := newMemo(10 * analysisCost("text 0"))
	builds := 0
	build := func(s string) *textAnalysis { builds++; return &textAnalysis{terms: termSet(s)} }
	a := m.get("alpha", build)
	if b := m.get("alpha", build); a != b || builds != 1 {
		t.Errorf("a repeated text was analysed again (%d builds)", builds)
	}
	for i := range 50 {
		m.get(fmt.Sprint("text ", i), build)
		if m.used > m.budget {
			t.Fatalf("memo holds %d bytes, over its budget %d", m.used, m.budget)
		}
		sum := 0
		for k := range m.m {
			sum += analysisCost(k)
		}
		if sum != m.used {
			t.Fatalf("memo counts %d bytes, holds %d", m.used, sum)
		}
	}
	huge := string(make([]byte, m.budget))
	if m.get(huge, build) == nil || m.m[huge] != nil {
		t.Error("a text over the whole budget was kept (or not analysed)")
	}
}

// The memoized analysis is exactly what tokenizing the text gives.
func TestAnalyzePassage(t *testing.T) {
	text := "The harbour of Vardø froze in 1966. It froze again in May.\n\nBoats wintered in Kirkenes."
	a := analyzePassage(text)
	if a != analyzePassage(text) {
		t.Error("not memoized")
	}
	spans := analysis.SplitSentences(text, document.Span{Start: 0, End: len(text)})
	if len(a.sentences) != len(spans) {
		t.Fatalf("%d sentences, want %d", len(a.sentences), len(spans))
	}
	for i, s := range a.sentences {
		st := text[spans[i].Start:spans[i].End]
		if s.span != spans[i] || !reflect.DeepEqual(s.seq, analysis.Terms(st)) || s.date != kind(st, "date") {
			t.Errorf("sentence %d: %+v, want the analysis of %q", i, s, st)
		}
	}
	if !reflect.DeepEqual(a.terms, termSet(text)) {
		t.Error("passage terms differ from the text's")
	}
}
