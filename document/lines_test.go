package document

import (
	"strings"
	"testing"
)

func TestLineIndex(t *testing.T) {
	text := "a\nbc\r\n\ndef"
	li := NewLineIndex(text)
	for off := -2; off <= len(text)+2; off++ {
		want := 1 + strings.Count(text[:min(max(off, 0), len(text))], "\n")
		if off >= len(text) {
			want = 1 + strings.Count(text, "\n")
		}
		if got := li.Line(off); got != want {
			t.Errorf("Line(%d) = %d, want %d", off, got, want)
		}
	}
	if li.Lines() != 4 {
		t.Errorf("Lines() = %d, want 4", li.Lines())
	}
	if got := NewLineIndex("").Line(0); got != 1 {
		t.Errorf("empty text: Line(0) = %d", got)
	}
	if got := (LineIndex{}).Line(5); got != 1 {
		t.Errorf("zero LineIndex: Line(5) = %d", got)
	}
	if got := NewLineIndex("x\n").Line(2); got != 2 {
		t.Errorf("after the final newline: Line(2) = %d, want 2", got)
	}
}
