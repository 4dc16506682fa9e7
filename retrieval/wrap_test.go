package retrieval

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// fold hard-wraps text the way a plain-text editor does: every line longer
// than width runes is broken at the last space that leaves at most width
// runes before it (or, for a longer word, at the first space after it). It
// only replaces ' ' with '\n', so every byte offset of text stays valid in
// the folded copy.
func fold(text string, width int) string {
	b := []byte(text)
	for ls := 0; ls < len(b); {
		le := bytes.IndexByte(b[ls:], '\n')
		if le < 0 {
			le = len(b)
		} else {
			le += ls
		}
		for s := ls; utf8.RuneCount(b[s:le]) > width; {
			cut, col := -1, 0
			for p := s; p < le; col++ {
				if b[p] == ' ' && p > s {
					if col > width && cut >= 0 {
						break
					}
					cut = p
					if col > width {
						break
					}
				}
				_, n := utf8.DecodeRune(b[p:le])
				p += n
			}
			if cut < 0 {
				break
			}
			b[cut] = '\n'
			s = cut + 1
		}
		ls = le + 1
	}
	return string(b)
}

func TestFold(t *testing.T) {
	text := strings.Repeat("word ", 40) + "end\n\nshort line\n" + strings.Repeat("я ", 50) + strings.Repeat("x", 80) + " y"
	got := fold(text, 72)
	if len(got) != len(text) {
		t.Fatalf("fold changed the length: %d, want %d", len(got), len(text))
	}
	for i := range len(text) {
		if got[i] != text[i] && !(text[i] == ' ' && got[i] == '\n') {
			t.Fatalf("byte %d: %q, want %q or a newline for a space", i, got[i], text[i])
		}
	}
	lines := strings.Split(got, "\n")
	off := 0
	for k, l := range lines {
		n := utf8.RuneCountInString(l)
		if n > 72 && strings.Contains(l, " ") {
			t.Errorf("line %d has %d runes: %q", k, n, l)
		}
		off += len(l)
		// Where fold broke the line, the next word would not have fitted.
		if off < len(text) && text[off] == ' ' && n <= 72 {
			next, _, _ := strings.Cut(lines[k+1], " ")
			if n+1+utf8.RuneCountInString(next) <= 72 {
				t.Errorf("line %d broken early: %q then %q", k, l, next)
			}
		}
		off++
	}
	if want := "word word"; !strings.HasPrefix(got, want) || strings.Count(got, "\n") < 6 {
		t.Errorf("fold gave %q", got)
	}
}

func BenchmarkSplitSentencesFolded(b *testing.B) {
	text := fold(readSeed(b, "000_a724e28377c96891.txt"), 72)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		SplitSentences(text, Span{0, len(text)})
	}
}
