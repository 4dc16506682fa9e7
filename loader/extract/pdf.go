package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// Bounds on what one PDF may make the extractor do.
const (
	// maxPages bounds the pages read from one PDF; a page tree claiming
	// more is hostile or broken.
	maxPages = 20000
	// maxOperands bounds the operands kept before an operator; none of
	// the text operators takes more than six.
	maxOperands = 64
	// maxArray bounds the elements kept of an array operand (a TJ line).
	maxArray = 1 << 16
	// maxContentParts bounds a page's /Contents array.
	maxContentParts = 10000
)

// maxContentBytes bounds the page content read from one PDF, all streams
// decompressed: a few kilobytes of deflate can claim gigabytes, and every
// page may point at the same stream. A variable so that tests can reach it
// quickly.
var maxContentBytes int64 = 256 << 20

// PDF extracts the text of each page, in page order, pages separated by a
// blank line; Text.Pages records where each page starts (a page without
// text starts where the next one does). Lines follow the text positioning
// of the content stream: a move to another baseline starts a new line, a
// move along the same baseline (or a wide kerning gap) is a space between
// words.
//
// github.com/ledongthuc/pdf parses the file's structure (cross-reference
// tables and streams, objects, filters, the standard security handler and
// simple font encodings); it reports malformed input by panicking, which
// is recovered here and reported as a broken file. Content streams and
// ToUnicode CMaps, where a file's bulk is, are read by this package's own
// bounded tokenizer (see lexer), and the cross-reference sections are
// checked before the library sizes anything by them (see checkXref).
func PDF(data []byte, limit int) (Text, error) {
	t, err := pdfExtract(data, limit)
	return t, clean(err)
}

func pdfExtract(data []byte, limit int) (t Text, err error) {
	defer func() {
		if x := recover(); x != nil {
			t = Text{}
			if e, ok := x.(error); ok && errors.Is(e, ErrTooLarge) {
				err = e
				return
			}
			err = fmt.Errorf("broken PDF: %s", cleanMessage(fmt.Sprint(x)))
		}
	}()
	// The parser accepts only PDF 1.x headers; 2.0 files keep the same
	// syntax for everything it reads.
	if bytes.HasPrefix(data, []byte("%PDF-2.")) {
		data = append([]byte("%PDF-1.7"), data[8:]...)
	}
	if err := checkXref(data); err != nil {
		return Text{}, err
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return Text{}, ErrEncrypted
		}
		return Text{}, fmt.Errorf("broken PDF: %s", cleanMessage(err.Error()))
	}
	if err := checkEncryption(r.Trailer().Key("Encrypt")); err != nil {
		return Text{}, err
	}
	pages, err := pageList(r.Trailer().Key("Root").Key("Pages"))
	if err != nil {
		return Text{}, err
	}
	x := pdfText{budget: maxContentBytes}
	var b strings.Builder
	starts := make([]int, len(pages))
	empty := 0 // pages without text since the last page with text
	for i, p := range pages {
		room := -1
		if limit > 0 {
			room = max(0, limit-b.Len()-len("\n\n"))
		}
		s, err := x.page(p, room)
		if err != nil {
			return Text{}, err
		}
		if s == "" {
			empty++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		// Pages without text before this one start where it does: they
		// hold no byte of the text.
		for j := i - empty; j <= i; j++ {
			starts[j] = b.Len()
		}
		empty = 0
		b.WriteString(s)
		if limit > 0 && b.Len()+1 > limit {
			return Text{}, fmt.Errorf("%w: over %d bytes of text", ErrTooLarge, limit)
		}
	}
	for j := len(pages) - empty; j < len(pages); j++ {
		starts[j] = b.Len()
	}
	text := b.String()
	if strings.TrimSpace(text) == "" {
		return Text{}, ErrNoText
	}
	return Text{Text: text + "\n", Pages: starts}, nil
}

// checkEncryption refuses encryption the library opens but decrypts
// wrongly: it keys each object with all 16 bytes of the MD5 digest where
// the standard says n+5 of them, so 40-bit (and other short-key) RC4
// files, which open without a password when only their permissions are
// restricted, would come out as garbage rather than an error.
func checkEncryption(enc pdf.Value) error {
	if enc.IsNull() {
		return nil
	}
	bits := enc.Key("Length").Int64()
	r2 := enc.Key("R").Int64() == 2
	if bits == 0 || r2 {
		bits = 40 // revision 2 keys are 40-bit whatever /Length says
	}
	if r2 || (enc.Key("V").Int64() != 4 && bits < 88) {
		return fmt.Errorf("%w: %d-bit RC4 encryption, which is not supported", ErrEncrypted, bits)
	}
	return nil
}

// pageList walks the page tree itself, rather than through Reader.Page(n)
// per page: that is quadratic in the page count and trusts /Count. A
// hostile tree may loop or fan out; depth and visits are bounded.
func pageList(root pdf.Value) ([]pdf.Value, error) {
	var out []pdf.Value
	visits := 0
	var walk func(v pdf.Value, depth int) error
	walk = func(v pdf.Value, depth int) error {
		if visits++; visits > 4*maxPages {
			return fmt.Errorf("broken PDF: page tree has over %d nodes (a loop?)", 4*maxPages)
		}
		if depth > 64 {
			return errors.New("broken PDF: page tree nested too deeply (a loop?)")
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array {
			if len(out) >= maxPages {
				return fmt.Errorf("broken PDF: more than %d pages", maxPages)
			}
			out = append(out, v)
			return nil
		}
		for i := 0; i < kids.Len(); i++ {
			if err := walk(kids.Index(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("broken PDF: no pages")
	}
	return out, nil
}

// inherited looks key up on a page and then its ancestors, as page
// attributes such as /Resources are inherited. The library's own lookup
// follows /Parent without end, so a page whose parent is itself hangs it.
func inherited(v pdf.Value, key string) pdf.Value {
	for range 64 {
		if v.IsNull() {
			break
		}
		if r := v.Key(key); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

// pdfText is what the pages of one document share.
type pdfText struct {
	fonts  fontSet
	budget int64 // content stream bytes left to read
}

// page returns one page's text, tidied. room bounds it in bytes; -1
// means no bound.
func (x *pdfText) page(p pdf.Value, room int) (string, error) {
	contents := p.Key("Contents")
	if contents.IsNull() {
		return "", nil
	}
	resFonts := inherited(p, "Resources").Key("Font")
	pt := pageText{fonts: map[string]decoder{}, room: room}
	pt.font = func(name string) (decoder, error) {
		if d, ok := pt.fonts[name]; ok {
			return d, nil
		}
		f := resFonts.Key(name)
		if f.Kind() != pdf.Dict {
			pt.fonts[name] = nil
			return nil, nil
		}
		d, err := x.fonts.decoder(f)
		if err != nil {
			return nil, err
		}
		if len(pt.fonts) < 1024 {
			pt.fonts[name] = d
		}
		return d, nil
	}
	cr := &contentReader{v: contents}
	l := newLexer(cr, x.budget+1)
	err := pt.run(l)
	x.budget -= l.n
	if err == nil {
		err = cr.err
	}
	if err != nil {
		return "", err
	}
	if l.over || x.budget < 0 {
		return "", fmt.Errorf("%w: page content decompresses to over %d bytes", ErrTooLarge, maxContentBytes)
	}
	return tidy(pt.b.String()), nil
}

// contentReader reads a page's /Contents: one stream, or an array of
// streams read as one, opened one at a time. A stream that cannot be
// opened (a filter the library lacks) is an error kept in err; one that
// fails part-way through decoding ends there.
type contentReader struct {
	v   pdf.Value
	i   int
	cur io.ReadCloser
	err error
}

func (c *contentReader) Read(b []byte) (int, error) {
	for {
		if c.cur != nil {
			n, err := c.cur.Read(b)
			if n > 0 || (err != nil && err != io.EOF) {
				return n, err
			}
			c.cur.Close()
			c.cur = nil
			if c.v.Kind() != pdf.Array {
				return 0, io.EOF
			}
			// Streams of an array are joined at token boundaries.
			b[0] = '\n'
			return 1, nil
		}
		var s pdf.Value
		switch {
		case c.v.Kind() == pdf.Stream && c.i == 0:
			s = c.v
		case c.v.Kind() == pdf.Array && c.i < min(c.v.Len(), maxContentParts):
			s = c.v.Index(c.i)
		default:
			return 0, io.EOF
		}
		c.i++
		if s.Kind() != pdf.Stream {
			continue
		}
		rc, err := streamReader(s)
		if err != nil {
			c.err = err
			return 0, err
		}
		c.cur = rc
	}
}

// streamReader opens a stream, turning the library's panic on a filter it
// does not know into an error.
func streamReader(v pdf.Value) (rc io.ReadCloser, err error) {
	defer func() {
		if x := recover(); x != nil {
			rc, err = nil, fmt.Errorf("broken PDF: %s", cleanMessage(fmt.Sprint(x)))
		}
	}()
	return v.Reader(), nil
}

// pageText interprets one page's content stream for its text.
type pageText struct {
	b     strings.Builder
	room  int // bytes of text the page may take; -1 for no bound
	fonts map[string]decoder
	font  func(name string) (decoder, error)

	enc     decoder
	y       float64 // baseline of the text position (the text line matrix's y)
	lineY   float64 // baseline of the last text written
	leading float64 // TL: the distance T* moves down
	written bool    // some text is on the page
	moved   bool    // the position moved since the last text
}

// run reads the content stream's tokens, keeping the last few operands
// and acting on the text operators.
func (pt *pageText) run(l *lexer) error {
	var stk []token
	push := func(t token) {
		if len(stk) >= maxOperands {
			stk = append(stk[:0], stk[len(stk)-maxOperands/2:]...)
		}
		stk = append(stk, t)
	}
	for {
		t := l.next()
		switch t.kind {
		case tEOF:
			return nil
		case tNum, tString, tName:
			if t.kind == tName {
				t.str = append([]byte(nil), t.str...)
			}
			push(t)
		case tArrayOpen:
			push(readArray(l))
		case tDictOpen:
			skipDict(l)
			push(token{kind: tDictOpen})
		case tKeyword:
			op := string(t.str)
			switch op {
			case "true", "false", "null":
				push(token{kind: tKeyword})
				continue
			case "BI":
				// An inline image: its dictionary, then binary data.
				for t := l.next(); t.kind != tEOF && !(t.kind == tKeyword && string(t.str) == "ID"); t = l.next() {
				}
				l.skipInlineImage()
			default:
				if err := pt.op(op, stk); err != nil {
					return err
				}
			}
			stk = stk[:0]
		}
	}
}

// readArray reads an array operand after its [; nested arrays and
// dictionaries are skipped.
func readArray(l *lexer) token {
	arr := token{kind: tArrayOpen}
	for depth := 0; ; {
		t := l.next()
		switch t.kind {
		case tEOF:
			return arr
		case tArrayOpen:
			depth++
		case tArrayClose:
			if depth == 0 {
				return arr
			}
			depth--
		case tDictOpen:
			skipDict(l)
		case tNum, tString:
			if depth == 0 && len(arr.arr) < maxArray {
				arr.arr = append(arr.arr, t)
			}
		}
	}
}

// skipDict skips a dictionary after its <<.
func skipDict(l *lexer) {
	for depth := 0; ; {
		switch l.next().kind {
		case tEOF:
			return
		case tDictOpen:
			depth++
		case tDictClose:
			if depth == 0 {
				return
			}
			depth--
		}
	}
}

// op acts on one operator with the operands before it (the last ones
// last).
func (pt *pageText) op(op string, args []token) error {
	// arg returns the i-th operand from the end (0 is the last).
	arg := func(i int) token {
		if i < len(args) {
			return args[len(args)-1-i]
		}
		return token{}
	}
	num := func(i int) float64 {
		if a := arg(i); a.kind == tNum {
			return a.num
		}
		return 0
	}
	switch op {
	case "BT": // the text matrix starts at the origin
		pt.y, pt.moved = 0, true
	case "Tf":
		if a := arg(1); a.kind == tName {
			enc, err := pt.font(string(a.str))
			if err != nil {
				return err
			}
			pt.enc = enc
		}
	case "TL":
		pt.leading = num(0)
	case "Td":
		pt.y += num(0)
		pt.moved = true
	case "TD":
		pt.leading = -num(0)
		pt.y += num(0)
		pt.moved = true
	case "Tm":
		pt.y = num(0)
		pt.moved = true
	case "T*":
		pt.y -= pt.leading
		pt.moved = true
	case "'", "\"":
		pt.y -= pt.leading
		pt.moved = true
		if a := arg(0); a.kind == tString {
			return pt.show(a.str)
		}
	case "Tj":
		if a := arg(0); a.kind == tString {
			return pt.show(a.str)
		}
	case "TJ":
		a := arg(0)
		if a.kind != tArrayOpen {
			return nil
		}
		for _, x := range a.arr {
			switch x.kind {
			case tString:
				if err := pt.show(x.str); err != nil {
					return err
				}
			case tNum:
				// Displacements are in thousandths of the font size; a
				// gap wider than a quarter em is a space.
				if x.num < -250 {
					pt.moved = true
				}
			}
		}
	}
	return nil
}

// show writes text at the current position: on a new line when the
// baseline changed, after a space when the position moved along it.
func (pt *pageText) show(raw []byte) error {
	s := string(raw)
	if pt.enc != nil {
		s = pt.enc.Decode(s)
	}
	if pt.written && math.Abs(pt.y-pt.lineY) > 0.5 {
		pt.b.WriteByte('\n')
	} else if pt.moved && pt.written {
		pt.b.WriteByte(' ')
	}
	pt.written, pt.moved, pt.lineY = true, false, pt.y
	for _, r := range s {
		if r == 0 || r == utf8.RuneError || (r < ' ' && r != '\t') || unicode.Is(unicode.Cc, r) {
			continue
		}
		pt.b.WriteRune(r)
	}
	// tidy only shrinks the text, by runs of white space; so much more
	// than the room is over it whatever the spaces.
	if pt.room >= 0 && pt.b.Len() > 2*pt.room+4096 {
		return fmt.Errorf("%w: over %d bytes of text", ErrTooLarge, pt.room)
	}
	return nil
}

// tidy collapses runs of spaces, trims each line and drops blank lines:
// a page's lines are where the content stream put its baselines, and a
// blank one only means an empty text object.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
