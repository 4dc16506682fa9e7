package httpapi

import (
	"math"
	"strconv"
	"unicode/utf8"

	"citebot/answer"
)

// appendAnswer appends a as JSON, byte for byte what encoding/json's
// Encoder writes for it (HTML characters escaped, a newline after), and
// reports false, having appended nothing, for an answer that holds a
// number JSON cannot (NaN or an infinity), which encoding/json refuses.
// Encoding an answer through reflection was a tenth of a request's CPU:
// the answer is the one body every request to /v1/ask sends.
// TestAppendAnswerIsEncodingJSON holds the two together, field by field.
func appendAnswer(b []byte, a *answer.Answer) ([]byte, bool) {
	if !finite(a.Confidence) {
		return b, false
	}
	for i := range a.Citations {
		if !finite(a.Citations[i].Score) {
			return b, false
		}
	}
	for i := range a.Passages {
		if !finite(a.Passages[i].Score) {
			return b, false
		}
	}
	b = append(b, `{"question":`...)
	b = appendJSONString(b, a.Question)
	b = append(b, `,"answer":`...)
	b = appendJSONString(b, a.Answer)
	b = append(b, `,"found":`...)
	b = strconv.AppendBool(b, a.Found)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, a.Mode)
	b = append(b, `,"citations":`...)
	if a.Citations == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Citations {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCitation(b, &a.Citations[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"passages":`...)
	if a.Passages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Passages {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPassage(b, &a.Passages[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"confidence":`...)
	b = appendJSONFloat(b, a.Confidence)
	b = append(b, `,"took_ms":`...)
	b = strconv.AppendInt(b, a.TookMS, 10)
	if a.Note != "" {
		b = append(b, `,"note":`...)
		b = appendJSONString(b, a.Note)
	}
	return append(b, "}\n"...), true
}

func appendCitation(b []byte, c *answer.Citation) []byte {
	b = append(b, `{"n":`...)
	b = strconv.AppendInt(b, int64(c.N), 10)
	b = appendSpan(b, c.Document, c.Title, c.Start, c.End, c.LineStart, c.LineEnd, c.Page)
	b = append(b, `,"quote":`...)
	b = appendJSONString(b, c.Quote)
	b = append(b, `,"score":`...)
	b = appendJSONFloat(b, c.Score)
	return append(b, '}')
}

func appendPassage(b []byte, p *answer.Passage) []byte {
	b = append(b, `{"rank":`...)
	b = strconv.AppendInt(b, int64(p.Rank), 10)
	b = appendSpan(b, p.Document, p.Title, p.Start, p.End, p.LineStart, p.LineEnd, p.Page)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, p.Text)
	b = append(b, `,"score":`...)
	b = appendJSONFloat(b, p.Score)
	return append(b, '}')
}

// appendSpan writes the fields a citation and a passage share, in their
// order: where in which document they lie.
func appendSpan(b []byte, document, title string, start, end, lineStart, lineEnd, page int) []byte {
	b = append(b, `,"document":`...)
	b = appendJSONString(b, document)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, title)
	b = append(b, `,"start":`...)
	b = strconv.AppendInt(b, int64(start), 10)
	b = append(b, `,"end":`...)
	b = strconv.AppendInt(b, int64(end), 10)
	b = append(b, `,"line_start":`...)
	b = strconv.AppendInt(b, int64(lineStart), 10)
	b = append(b, `,"line_end":`...)
	b = strconv.AppendInt(b, int64(lineEnd), 10)
	if page != 0 {
		b = append(b, `,"page":`...)
		b = strconv.AppendInt(b, int64(page), 10)
	}
	return b
}

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

// appendJSONFloat appends a finite float64 as encoding/json does: as
// ES6 converts a number to a string, an exponent below 1e-6 and from
// 1e21 on, and that exponent not padded.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s quoted as encoding/json quotes a string with
// HTML escaping: `"` and `\` escaped, control characters as \n, \t … or
// \u00XX, <, > and & as \u003c …, invalid UTF-8 as \ufffd and U+2028,
// U+2029 as \u2028, \u2029. Runs of eight plain ASCII bytes, most of a
// passage's text, are passed over a word at a time.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i += plainWords(s[i:]); i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe(c) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
		default:
			i += size
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// load8 is s's first eight bytes as a little-endian word, which the
// compiler reads with one load.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// htmlSafe reports whether an ASCII byte goes into a JSON string as it
// is: printable (DEL included), and none of " \ < > &.
func htmlSafe(c byte) bool {
	return c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// plainWords is the length of s's longest prefix of whole eight-byte
// words of htmlSafe bytes.
func plainWords(s string) int {
	n := 0
	for n+8 <= len(s) && plainASCII8(load8(s[n:n+8])) {
		n += 8
	}
	return n
}

// plainASCII8 reports whether all eight bytes of x are htmlSafe.
func plainASCII8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A byte has its high bit set, or is below 0x20 (then subtracting
	// 0x20 borrows into its high bit, where x had none), or is one of the
	// five: " or & (0x22, 0x26: with bit 2 set, 0x26), < or > (0x3c,
	// 0x3e: with bit 1 set, 0x3e) or \, when that XOR it is a zero
	// byte, which subtracting one borrows from. Borrows between bytes
	// only follow a byte already flagged, so a word without one is
	// flagged nowhere.
	qa, lg, bs := (x|0x04*ones)^(0x26*ones), (x|0x02*ones)^(0x3e*ones), x^(0x5c*ones)
	bad := (x | (x-0x20*ones)&^x | (qa-ones)&^qa | (lg-ones)&^lg | (bs-ones)&^bs) & highs
	return bad == 0
}
