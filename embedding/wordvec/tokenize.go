package wordvec

import (
	"bytes"
	"context"
	"unicode"
	"unicode/utf8"
)

// The tokenizer has to produce exactly the keys the vocabulary uses, and the
// vocabulary (GloVe 6B as cleaned by wink) is: lowercase ASCII letters and
// digits, optionally joined by single hyphens ("well-known", "h1n1"), with no
// apostrophes, no single letters and no pure numbers. So a token is a run of
// Unicode letters/digits, joined across single hyphens and apostrophes, then
// lowercased and folded to ASCII where a Latin letter has an obvious base
// ("café" -> "cafe"), because the vocabulary has no accented words at all.
//
// Lookup order for a token: the whole token if it is hyphenated and known
// (compounds carry their own meaning); otherwise each hyphen-separated part.
// Apostrophes never occur in the vocabulary: English clitics are stripped
// ("it's" -> "it", "students'" -> "students"), "n't" becomes "not"
// ("don't" -> "do not", "can't" -> "can not"), and any other apostrophe
// splits ("o'neill" -> "o", "neill").

// ctxCheckEvery bounds the work between cancellation checks.
const ctxCheckEvery = 256

// scan feeds the rows of the known words of text, in order, to a.
func (m *Model) scan(ctx context.Context, text string, a *accumulator) error {
	var stack [64]byte
	tok := stack[:0]
	var pending byte // connector ('-' or '\'') seen after the last letter, not yet appended
	tokens := 0
	flush := func() error {
		if len(tok) > 0 {
			m.token(tok, a)
			tok = tok[:0]
			tokens++
			if tokens%ctxCheckEvery == 0 {
				return ctx.Err()
			}
		}
		pending = 0
		return nil
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c == '-' || c == '\'':
				if len(tok) > 0 && pending == 0 {
					pending = c
					continue
				}
				// A leading or doubled connector ("--" as a dash) ends the token.
				if err := flush(); err != nil {
					return err
				}
				continue
			default:
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			if pending != 0 {
				tok = append(tok, pending)
				pending = 0
			}
			tok = append(tok, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == '\u2019' || r == '\u2018' || r == '\u02bc' || r == '\u2010' || r == '\u2011':
			conn := byte('\'')
			if r == '\u2010' || r == '\u2011' {
				conn = '-'
			}
			if len(tok) > 0 && pending == 0 {
				pending = conn
				continue
			}
			if err := flush(); err != nil {
				return err
			}
		case r == '\u00ad' || r == '\u200c' || r == '\u200d' || unicode.Is(unicode.Mn, r):
			// Soft hyphens (common in PDF extractions), zero-width joiners
			// and combining accents sit inside words: skip them so
			// "docu\u00adment" and decomposed "cafe\u0301" still match.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if pending != 0 {
				tok = append(tok, pending)
				pending = 0
			}
			tok = appendFolded(tok, r)
		default:
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// token resolves one token to vocabulary rows.
func (m *Model) token(tok []byte, a *accumulator) {
	if bytes.IndexByte(tok, '-') < 0 {
		m.part(tok, a)
		return
	}
	if bytes.IndexByte(tok, '\'') < 0 {
		if row := m.lookup(tok); row >= 0 {
			a.add(row)
			return
		}
	}
	for len(tok) > 0 {
		i := bytes.IndexByte(tok, '-')
		if i < 0 {
			m.part(tok, a)
			return
		}
		m.part(tok[:i], a)
		tok = tok[i+1:]
	}
}

var notKey = []byte("not")

// part resolves a hyphen-free piece, which may still contain apostrophes.
func (m *Model) part(p []byte, a *accumulator) {
	nots := 0
	for {
		i := bytes.LastIndexByte(p, '\'')
		if i < 0 {
			break
		}
		suffix := string(p[i+1:])
		if suffix == "s" || suffix == "re" || suffix == "ve" || suffix == "ll" || suffix == "d" || suffix == "m" {
			p = p[:i]
			continue
		}
		if suffix == "t" && i > 0 && p[i-1] == 'n' {
			p = p[:i-1]
			nots++
			continue
		}
		break
	}
	if nots > 0 {
		// Stems that "n't" mangles: can't, won't, shan't, ain't.
		switch string(p) {
		case "ca":
			p = []byte("can")
		case "wo":
			p = []byte("will")
		case "sha":
			p = []byte("shall")
		case "ai":
			p = nil
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\'')
		piece := p
		if i >= 0 {
			piece, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		if row := m.lookup(piece); row >= 0 {
			a.add(row)
		}
	}
	for range nots {
		if row := m.lookup(notKey); row >= 0 {
			a.add(row)
		}
	}
}

// appendFolded appends the lowercase form of a non-ASCII letter or digit,
// reduced to ASCII for Latin-1 and Latin Extended-A letters. Other scripts
// are kept as UTF-8; they never match, which is the honest outcome.
func appendFolded(dst []byte, r rune) []byte {
	if r >= 0xC0 && r < 0x180 {
		return append(dst, latinFold[r-0xC0]...)
	}
	r = unicode.ToLower(r)
	if r >= 0xC0 && r < 0x180 {
		return append(dst, latinFold[r-0xC0]...)
	}
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// latinFold maps U+00C0..U+017F to lowercase ASCII (NFKD minus marks, plus
// the usual transliterations for ß, æ, œ, ø, ł, þ ...). Entries for × and ÷
// are empty; they are not letters and never reach here.
var latinFold = [0x180 - 0xC0]string{
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // U+00C0
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", // U+00D0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // U+00E0
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y", // U+00F0
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", // U+0100
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", // U+0110
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", // U+0120
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", // U+0130
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", // U+0140
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", // U+0150
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", // U+0160
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s", // U+0170
}
