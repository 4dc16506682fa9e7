package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text output goes to terminals, which obey what they are sent: an escape
// sequence in a document could clear the screen, set the window title or
// write the clipboard (OSC 52), a bidi override could make a quote read
// backwards, and a newline in a file name could forge a line of the
// Sources block. As less and git do, such characters are shown, not sent:
// control characters as \x1b-style escapes, bidi controls as \u202e-style
// escapes, bytes that are not UTF-8 as U+FFFD. JSON output needs none of
// this; its encoder escapes what JSON must.

// visibleLine is s safe for one line of a terminal: nothing in it can
// move the cursor, end the line or change how the rest is shown.
func visibleLine(s string) string {
	return visible(s, false)
}

// visibleText is visibleLine for text that may span lines: its newlines
// are kept.
func visibleText(s string) string {
	return visible(s, true)
}

func visible(s string, newlines bool) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if shown(r, n, newlines) != "" {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if esc := shown(r, n, newlines); esc != "" {
			b.WriteString(esc)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// shown is how rune r, n bytes long, is written to a terminal when it must
// not be written as it is; "" when it may.
func shown(r rune, n int, newlines bool) string {
	switch {
	case r == utf8.RuneError && n == 1:
		return "\uFFFD"
	case r == '\t', r == '\n' && newlines:
		return ""
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf(`\x%02x`, r)
	case r >= 0x80 && r <= 0x9f: // C1 controls: CSI, OSC and others in one byte
		return fmt.Sprintf(`\u%04x`, r)
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		// Bidi marks, embeddings, overrides and isolates.
		return fmt.Sprintf(`\u%04x`, r)
	}
	return ""
}
