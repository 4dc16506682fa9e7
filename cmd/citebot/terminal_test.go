package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/answer"
)

func TestVisible(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"plain", "Plain text, 12 words — «и по-русски».", "Plain text, 12 words — «и по-русски».", "Plain text, 12 words — «и по-русски»."},
		{"clear screen", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"window title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, `\x1b]0;pwned\x07`},
		{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x1b\\", `\x1b]52;c;cm0gLXJmIH4=\x1b\`, `\x1b]52;c;cm0gLXJmIH4=\x1b\`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`, `a\u009b2Jb`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`, `abc\u202edcba`},
		{"bidi isolate", "\u2067x\u2069", `\u2067x\u2069`, `\u2067x\u2069`},
		{"newline", "a.txt\n[2] forged", `a.txt\x0a[2] forged`, "a.txt\n[2] forged"},
		{"carriage return", "line\rover", `line\x0dover`, `line\x0dover`},
		{"tab kept", "a\tb", "a\tb", "a\tb"},
		{"not UTF-8", "bad\xff\xfe.txt", "bad\uFFFD\uFFFD.txt", "bad\uFFFD\uFFFD.txt"},
		{"delete", "a\x7fb", `a\x7fb`, `a\x7fb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := visibleLine(tt.in); got != tt.line {
				t.Errorf("visibleLine(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := visibleText(tt.in); got != tt.text {
				t.Errorf("visibleText(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

// What ask prints for a person carries nothing a terminal would act on,
// whatever the documents hold; the Sources block has one line per field.
func TestWriteAnswerHostile(t *testing.T) {
	a := answer.Answer{Found: true, Answer: "It says \x1b[2J so [1].\x1b]0;title\x07", Confidence: 0.9,
		Citations: []answer.Citation{{N: 1, Title: "T\u202eitle", Document: "x.txt\n[2] Forged\n    evil.txt, line 1",
			LineStart: 1, LineEnd: 2, Quote: "first \x1b]52;c;ZWNobw==\x07 line\nsecond\u009b31m line"}}}
	var b strings.Builder
	writeAnswer(&b, a)
	out := b.String()
	checkTerminalSafe(t, out, true)
	if strings.Count(out, "\n[") != 1 {
		t.Errorf("a file name forged a source line:\n%s", out)
	}
	b.Reset()
	writeAnswerLine(&b, a)
	checkTerminalSafe(t, b.String(), false)
	if strings.Count(b.String(), "\n") != 1 {
		t.Errorf("one answer, %d lines: %q", strings.Count(b.String(), "\n"), b.String())
	}
}

func checkTerminalSafe(t *testing.T, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not UTF-8: %q", out)
	}
	for _, r := range out {
		if shown(r, utf8.RuneLen(r), multiline) != "" && r != '\n' {
			t.Errorf("output holds %U: %q", r, out)
		}
	}
}

func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\u202e", "a\nb", "\xff", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line, text := visibleLine(s), visibleText(s)
		if strings.Contains(line, "\n") {
			t.Errorf("visibleLine(%q) = %q holds a newline", s, line)
		}
		for _, out := range []string{line, text} {
			if !utf8.ValidString(out) {
				t.Errorf("not UTF-8: %q", out)
			}
			for _, r := range out {
				if r != '\n' && shown(r, utf8.RuneLen(r), false) != "" {
					t.Errorf("%q -> %q holds %U", s, out, r)
				}
			}
		}
		if strings.Count(text, "\n") != strings.Count(s, "\n") {
			t.Errorf("visibleText(%q) = %q changed the lines", s, text)
		}
	})
}
