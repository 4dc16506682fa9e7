package extract

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ledongthuc/pdf"
)

// maxPages bounds the pages read from one PDF; a page tree claiming more
// is hostile or broken.
const maxPages = 20000

// PDF extracts the text of each page, in page order, pages separated by a
// blank line; Text.Pages records where each page starts. Lines follow the
// text positioning of the content stream: a move to another baseline
// starts a new line, a move along the same baseline (or a wide kerning
// gap) is a space between words.
//
// github.com/ledongthuc/pdf parses the file (cross-reference tables and
// streams, filters, font encodings and ToUnicode maps, the standard
// security handler); it reports malformed input by panicking, which is
// recovered here and reported as a broken file.
func PDF(data []byte, limit int) (t Text, err error) {
	defer func() {
		if x := recover(); x != nil {
			t = Text{}
			if e, ok := x.(error); ok && errors.Is(e, ErrTooLarge) {
				err = e
				return
			}
			err = fmt.Errorf("broken PDF: %v", x)
		}
	}()
	// The parser accepts only PDF 1.x headers; 2.0 files keep the same
	// syntax for everything it reads.
	if bytes.HasPrefix(data, []byte("%PDF-2.")) {
		data = append([]byte("%PDF-1.7"), data[8:]...)
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return Text{}, ErrEncrypted
		}
		return Text{}, fmt.Errorf("broken PDF: %w", err)
	}
	pages, err := pageList(r.Trailer().Key("Root").Key("Pages"))
	if err != nil {
		return Text{}, err
	}
	var b strings.Builder
	var starts []int
	for _, p := range pages {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		starts = append(starts, b.Len())
		s := pageText(p, limit-b.Len())
		b.WriteString(s)
	}
	text := b.String()
	if strings.TrimSpace(text) == "" {
		return Text{}, ErrNoText
	}
	return Text{Text: text + "\n", Pages: starts}, nil
}

// pageList walks the page tree itself, rather than through Reader.Page(n)
// per page: that is quadratic in the page count and trusts /Count. A
// hostile tree may loop or fan out; depth and visits are bounded.
func pageList(root pdf.Value) ([]pdf.Page, error) {
	var out []pdf.Page
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
			out = append(out, pdf.Page{V: v})
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

// pageText reads one page's content stream. It panics with ErrTooLarge
// once the text would pass limit, which PDF recovers.
func pageText(p pdf.Page, limit int) string {
	contents := p.V.Key("Contents")
	if contents.Kind() == pdf.Null {
		return ""
	}
	fonts := map[string]pdf.TextEncoding{}
	for _, name := range p.Fonts() {
		f := p.Font(name)
		fonts[name] = f.Encoder()
	}
	var (
		b       strings.Builder
		enc     pdf.TextEncoding
		y       float64 // baseline of the text position (the text line matrix's y)
		lineY   float64 // baseline of the last text written
		leading float64 // TL: the distance T* moves down
		written bool    // some text is on the page
		moved   bool    // the position moved since the last text
	)
	// show writes text at the current position: on a new line when the
	// baseline changed, after a space when the position moved along it.
	show := func(raw string) {
		s := raw
		if enc != nil {
			s = enc.Decode(raw)
		}
		if written && math.Abs(y-lineY) > 0.5 {
			b.WriteByte('\n')
		} else if moved && written {
			b.WriteByte(' ')
		}
		written, moved, lineY = true, false, y
		for _, r := range s {
			if r == 0 || r == '\uFFFD' || (r < ' ' && r != '\t') {
				continue
			}
			b.WriteRune(r)
		}
		if limit > 0 && b.Len() > limit {
			panic(fmt.Errorf("%w: over %d bytes of text", ErrTooLarge, limit))
		}
	}
	pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].Float64()
			}
			return 0
		}
		switch op {
		case "BT": // the text matrix starts at the origin
			y, moved = 0, true
		case "Tf":
			if len(args) == 2 {
				enc = fonts[args[0].Name()]
			}
		case "TL":
			leading = num(0)
		case "Td":
			y += num(1)
			moved = true
		case "TD":
			leading = -num(1)
			y += num(1)
			moved = true
		case "Tm":
			y = num(5)
			moved = true
		case "T*":
			y -= leading
			moved = true
		case "'", "\"":
			y -= leading
			moved = true
			if len(args) > 0 {
				show(args[len(args)-1].RawString())
			}
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			v := args[0]
			for i := 0; i < v.Len(); i++ {
				x := v.Index(i)
				switch x.Kind() {
				case pdf.String:
					show(x.RawString())
				case pdf.Integer, pdf.Real:
					// Displacements are in thousandths of the font
					// size; a gap wider than a quarter em is a space.
					if x.Float64() < -250 {
						moved = true
					}
				}
			}
		}
	})
	return tidy(b.String())
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
