package bot

import (
	"strings"
	"testing"

	"citebot/answer"
	"citebot/bot/tghtml"
)

// TestPhrasesLabels checks that each language's labels reach the answer's
// layout: the confidence under the sources is in the asker's language.
func TestPhrasesLabels(t *testing.T) {
	a := answer.Answer{Answer: "In 2012 the treaty [1] was signed.", Found: true, Confidence: 0.874,
		Citations: []answer.Citation{{N: 1, Document: "001_8b87d517e2a49063.txt", Title: "The Role of the SCO in Regional Security", LineStart: 60, LineEnd: 60}}}
	if got, want := tghtml.Answer(a, russian.labels, 0)[1].HTML(), "\n<i>Уверенность: 87%</i>"; !strings.HasSuffix(got, want) {
		t.Errorf("Russian citation block = %q, want it to end with %q", got, want)
	}
	for _, tt := range []struct {
		c    float64
		l    tghtml.Labels
		want string
	}{
		{0.875, russian.labels, "Уверенность: 88%"},
		{1, english.labels, "Confidence: 100%"},
	} {
		if got := tt.l.ConfidenceLine(tt.c); got != tt.want {
			t.Errorf("ConfidenceLine(%v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
