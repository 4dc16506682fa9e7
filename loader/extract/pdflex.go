package extract

import "io"

// A lexer reads PDF tokens: content streams, ToUnicode CMaps and, for the
// cross-reference check, the file itself. It is ours rather than the PDF
// library's because the library's tokenizer loops forever on a hex string
// cut off by the end of a stream and keeps every operand it reads; this
// one stops at the end of its input, whatever it is in the middle of,
// reads at most max bytes, and bounds every token.
type lexer struct {
	r     io.Reader
	buf   []byte
	pos   int   // next byte in buf
	end   int   // end of the bytes read into buf
	n     int64 // bytes read from r
	max   int64 // bytes that may be read; 0 means no bound
	over  bool  // reading stopped at max
	eof   bool
	tmp   []byte
	ahead []token // tokens read ahead, next last
}

// maxTokenBytes bounds one string, name or keyword; the rest of a longer
// one is read and dropped. No real string shown on a page or mapped by a
// CMap comes near it.
const maxTokenBytes = 1 << 20

type tokKind uint8

const (
	tEOF        tokKind = iota
	tNum                // num
	tString             // str: the string's bytes
	tName               // str: the name without its slash, #xx decoded
	tKeyword            // str: an operator, or true, false, null
	tArrayOpen          // [
	tArrayClose         // ]
	tDictOpen           // <<
	tDictClose          // >>
	tBrace              // { or }, PostScript procedures, ignored
)

type token struct {
	kind  tokKind
	num   float64
	isInt bool
	str   []byte  // owned by the token for strings; for names and keywords, valid until the next token
	arr   []token // an array's elements, for the operators that take one
}

func newLexer(r io.Reader, max int64) *lexer {
	return &lexer{r: r, buf: make([]byte, 32<<10), max: max}
}

// readByte returns the next byte; false at the end of the input (or of
// what may be read of it).
func (l *lexer) readByte() (byte, bool) {
	if l.pos < l.end {
		c := l.buf[l.pos]
		l.pos++
		return c, true
	}
	if !l.fill() {
		return 0, false
	}
	c := l.buf[l.pos]
	l.pos++
	return c, true
}

// fill reads more input, keeping the last byte read so that it can
// always be unread.
func (l *lexer) fill() bool {
	if l.eof {
		return false
	}
	keep := 0
	if l.end > 0 {
		l.buf[0] = l.buf[l.end-1]
		keep = 1
	}
	l.pos, l.end = keep, keep
	want := int64(len(l.buf) - keep)
	if l.max > 0 {
		if l.n >= l.max {
			l.eof, l.over = true, true
			return false
		}
		want = min(want, l.max-l.n)
	}
	for l.end == keep {
		k, err := l.r.Read(l.buf[keep : keep+int(want)])
		l.end += k
		l.n += int64(k)
		if k == 0 && err != nil {
			// A stream that fails to decode part-way (a damaged deflate
			// stream) ends there, as if it ended.
			l.eof = true
			return false
		}
	}
	return true
}

// unreadByte steps back over the byte just read.
func (l *lexer) unreadByte() {
	if !l.eof && l.pos > 0 {
		l.pos--
	}
}

func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// unread pushes a token back; next returns it again.
func (l *lexer) unread(t token) {
	if t.kind == tName || t.kind == tKeyword {
		t.str = append([]byte(nil), t.str...)
	}
	l.ahead = append(l.ahead, t)
}

// next returns the next token; tEOF at the end of the input.
func (l *lexer) next() token {
	if n := len(l.ahead); n > 0 {
		t := l.ahead[n-1]
		l.ahead = l.ahead[:n-1]
		return t
	}
	for {
		c, ok := l.readByte()
		if !ok {
			return token{kind: tEOF}
		}
		switch {
		case isPDFSpace(c):
			continue
		case c == '%':
			for ok && c != '\n' && c != '\r' {
				c, ok = l.readByte()
			}
			continue
		case c == '(':
			return token{kind: tString, str: l.literal()}
		case c == '<':
			if c2, ok := l.readByte(); ok && c2 == '<' {
				return token{kind: tDictOpen}
			} else if ok {
				l.unreadByte()
			}
			return token{kind: tString, str: l.hex()}
		case c == '>':
			if c2, ok := l.readByte(); ok && c2 == '>' {
				return token{kind: tDictClose}
			} else if ok {
				l.unreadByte()
			}
			continue // a stray '>'
		case c == '[':
			return token{kind: tArrayOpen}
		case c == ']':
			return token{kind: tArrayClose}
		case c == '{' || c == '}':
			return token{kind: tBrace}
		case c == ')':
			continue // a stray ')'
		case c == '/':
			return token{kind: tName, str: l.regular(true)}
		default:
			l.unreadByte()
			s := l.regular(false)
			if n, isInt, ok := parseNumber(s); ok {
				return token{kind: tNum, num: n, isInt: isInt}
			}
			return token{kind: tKeyword, str: s}
		}
	}
}

// skipInlineImage skips an inline image's data, after its ID operator:
// binary bytes up to EI standing alone after white space.
func (l *lexer) skipInlineImage() {
	prevSpace := true
	for {
		c, ok := l.readByte()
		if !ok {
			return
		}
		if prevSpace && c == 'E' {
			if c2, ok := l.readByte(); !ok {
				return
			} else if c2 == 'I' {
				c3, ok := l.readByte()
				if !ok {
					return
				}
				if isPDFSpace(c3) || isPDFDelim(c3) {
					l.unreadByte()
					return
				}
			} else {
				l.unreadByte()
			}
		}
		prevSpace = isPDFSpace(c)
	}
}

// regular reads a run of regular characters (a keyword, number or name),
// decoding #xx escapes in names.
func (l *lexer) regular(name bool) []byte {
	b := l.tmp[:0]
	for {
		// The run within the buffer at once, then byte by byte.
		i := l.pos
		for i < l.end && !isPDFSpace(l.buf[i]) && !isPDFDelim(l.buf[i]) && (!name || l.buf[i] != '#') {
			i++
		}
		if len(b) < maxTokenBytes {
			b = append(b, l.buf[l.pos:min(i, l.pos+maxTokenBytes-len(b))]...)
		}
		l.pos = i
		c, ok := l.readByte()
		if !ok {
			break
		}
		if isPDFSpace(c) || isPDFDelim(c) {
			l.unreadByte()
			break
		}
		if name && c == '#' {
			// #xx is the byte xx; a # not followed by two hex digits is
			// itself.
			if h, ok := l.readByte(); !ok || unhex(h) < 0 {
				if ok {
					l.unreadByte()
				}
			} else if lo, ok := l.readByte(); ok && unhex(lo) >= 0 {
				c = byte(unhex(h)<<4 | unhex(lo))
			} else {
				if ok {
					l.unreadByte()
				}
				if len(b) < maxTokenBytes {
					b = append(b, '#')
				}
				c = h
			}
		}
		if len(b) < maxTokenBytes {
			b = append(b, c)
		}
	}
	l.tmp = b
	return b
}

// literal reads a (string) after its opening parenthesis.
func (l *lexer) literal() []byte {
	var b []byte
	put := func(c byte) {
		if len(b) < maxTokenBytes {
			b = append(b, c)
		}
	}
	depth := 1
	for {
		c, ok := l.readByte()
		if !ok {
			return b
		}
		switch c {
		case '(':
			depth++
			put(c)
		case ')':
			if depth--; depth == 0 {
				return b
			}
			put(c)
		case '\\':
			c, ok = l.readByte()
			if !ok {
				return b
			}
			switch c {
			case 'n':
				put('\n')
			case 'r':
				put('\r')
			case 't':
				put('\t')
			case 'b':
				put('\b')
			case 'f':
				put('\f')
			case '\r':
				// A line continuation: the backslash and the end of line
				// are not part of the string.
				if c2, ok := l.readByte(); ok && c2 != '\n' {
					l.unreadByte()
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				x := int(c - '0')
				for range 2 {
					c2, ok := l.readByte()
					if !ok {
						break
					}
					if c2 < '0' || c2 > '7' {
						l.unreadByte()
						break
					}
					x = x*8 + int(c2-'0')
				}
				put(byte(x))
			default:
				put(c) // \( \) \\, and an unknown escape is the character
			}
		default:
			put(c)
		}
	}
}

// hex reads a <hex string> after its opening bracket; white space and
// anything else that is not a hex digit is skipped, an odd final digit is
// followed by 0.
func (l *lexer) hex() []byte {
	var b []byte
	var hi int
	half := false
	for {
		c, ok := l.readByte()
		if !ok || c == '>' {
			break
		}
		d := unhex(c)
		if d < 0 {
			continue
		}
		if !half {
			hi, half = d, true
			continue
		}
		if len(b) < maxTokenBytes {
			b = append(b, byte(hi<<4|d))
		}
		half = false
	}
	if half && len(b) < maxTokenBytes {
		b = append(b, byte(hi<<4))
	}
	return b
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseNumber parses a PDF number: an optional sign, digits and at most
// one point (no exponents, no "inf"). Integers too long for int64 are
// numbers all the same, as reals.
func parseNumber(s []byte) (n float64, isInt, ok bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits, dot := 0, false
	var whole float64
	scale := 1.0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			whole = whole*10 + float64(c-'0')
			if dot {
				scale *= 10
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false, false
		}
	}
	if digits == 0 {
		return 0, false, false
	}
	n = whole / scale
	if neg {
		n = -n
	}
	return n, !dot && digits <= 18, true
}
