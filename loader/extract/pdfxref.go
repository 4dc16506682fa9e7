package extract

import (
	"bytes"
	"errors"
	"fmt"
)

// checkXref walks the cross-reference sections the PDF library will read
// (from the last startxref through the /Prev chain, found the way the
// library finds them) and rejects what would make it allocate without
// bound or loop: the library sizes its object table from numbers in these
// sections before checking them, so "xref 99999999999 1" in a 400-byte
// file is a multi-terabyte allocation (a fatal, unrecoverable out of
// memory, not a panic), and a /Prev pointing back at its own section
// loops forever.
//
// It reads only the sections' syntax. Anything it does not understand is
// left for the library, which reports the file as broken.
func checkXref(data []byte) error {
	if err := checkColumns(data); err != nil {
		return err
	}
	// An object table entry is 40 bytes; real files have far fewer
	// objects than bytes.
	maxObjects := int64(min(max(len(data), 1<<16), 1<<22))
	start, ok := startXref(data)
	if !ok {
		return nil
	}
	seen := map[int64]bool{}
	for off := start; off >= 0; {
		if seen[off] {
			return errors.New("broken PDF: cross-reference sections form a loop (/Prev)")
		}
		if len(seen) >= 256 {
			return errors.New("broken PDF: over 256 cross-reference sections")
		}
		seen[off] = true
		if off >= int64(len(data)) {
			return nil
		}
		l := newLexer(bytes.NewReader(data[off:]), 0)
		var err error
		if off, err = xrefSection(l, maxObjects); err != nil {
			return err
		}
	}
	return nil
}

// startXref finds the offset after the final startxref as the library
// does: in the last 100 bytes, which must end with %%EOF, on a line of
// its own.
func startXref(data []byte) (int64, bool) {
	const endChunk = 100
	if len(data) < endChunk {
		return 0, false
	}
	buf := bytes.TrimRight(data[len(data)-endChunk:], "\r\n\t ")
	if !bytes.HasSuffix(buf, []byte("%%EOF")) {
		return 0, false
	}
	i := lastLine(buf, "startxref")
	if i < 0 {
		return 0, false
	}
	l := newLexer(bytes.NewReader(buf[i:]), 0)
	if t := l.next(); t.kind != tKeyword || string(t.str) != "startxref" {
		return 0, false
	}
	t := l.next()
	if t.kind != tNum || !t.isInt {
		return 0, false
	}
	return int64(t.num), true
}

func lastLine(buf []byte, s string) int {
	end := len(buf)
	for {
		i := bytes.LastIndex(buf[:end], []byte(s))
		if i <= 0 || i+len(s) >= len(buf) {
			return -1
		}
		if (buf[i-1] == '\n' || buf[i-1] == '\r') && (buf[i+len(s)] == '\n' || buf[i+len(s)] == '\r') {
			return i
		}
		end = i
	}
}

// xrefSection checks one section (a table and its trailer, or a
// cross-reference stream's dictionary) and returns its /Prev offset, or
// -1 at the end of the chain.
func xrefSection(l *lexer, maxObjects int64) (int64, error) {
	t := l.next()
	var d map[string]any
	switch {
	case t.kind == tKeyword && string(t.str) == "xref":
		for {
			t = l.next()
			if t.kind == tKeyword && string(t.str) == "trailer" {
				break
			}
			first, n := t, l.next()
			if first.kind != tNum || !first.isInt || n.kind != tNum || !n.isInt {
				return -1, nil
			}
			for i := int64(0); i < int64(n.num); i++ {
				// Each entry the library reads grows its table to the
				// entry's object number.
				if int64(first.num)+i >= maxObjects {
					return -1, fmt.Errorf("broken PDF: cross-reference entry for object %d (over %d)", int64(first.num)+i, maxObjects)
				}
				off, gen, kw := l.next(), l.next(), l.next()
				if off.kind != tNum || gen.kind != tNum || kw.kind != tKeyword || (string(kw.str) != "n" && string(kw.str) != "f") {
					return -1, nil
				}
			}
		}
		if l.next().kind != tDictOpen {
			return -1, nil
		}
		d = xrefDict(l, 0)
	case t.kind == tNum:
		// "n g obj << ... >> stream": a cross-reference stream.
		if l.next().kind != tNum {
			return -1, nil
		}
		if t := l.next(); t.kind != tKeyword || string(t.str) != "obj" {
			return -1, nil
		}
		if l.next().kind != tDictOpen {
			return -1, nil
		}
		d = xrefDict(l, 0)
		if err := checkXrefStream(d, maxObjects); err != nil {
			return -1, err
		}
	default:
		return -1, nil
	}
	if prev, ok := d["Prev"].(float64); ok {
		return int64(prev), nil
	}
	return -1, nil
}

// checkXrefStream checks the numbers the library allocates by: /Size
// (the table), /W (one entry's bytes) and /Index (the object numbers the
// entries fill in, read without bound when /W is all zeros).
func checkXrefStream(d map[string]any, maxObjects int64) error {
	if size, ok := d["Size"].(float64); ok && size > float64(maxObjects) {
		return fmt.Errorf("broken PDF: cross-reference stream /Size %.0f (over %d)", size, maxObjects)
	}
	if w, ok := d["W"].([]float64); ok {
		for _, x := range w {
			if x > 8 {
				return fmt.Errorf("broken PDF: cross-reference stream field of %.0f bytes", x)
			}
		}
	}
	if idx, ok := d["Index"].([]float64); ok {
		for i := 0; i+1 < len(idx); i += 2 {
			if idx[i]+idx[i+1] > float64(maxObjects) {
				return fmt.Errorf("broken PDF: cross-reference stream /Index reaches object %.0f (over %d)", idx[i]+idx[i+1], maxObjects)
			}
		}
	}
	return nil
}

// xrefDict reads a dictionary after its <<, keeping the integer values
// and arrays of numbers the checks need: an integer followed by another
// and R is a reference, not a number, as to the library.
func xrefDict(l *lexer, depth int) map[string]any {
	d := map[string]any{}
	for {
		t := l.next()
		if t.kind != tName {
			return d // >>, the end, or something the library rejects
		}
		key := string(t.str)
		if v, ok := xrefValue(l, depth); ok {
			d[key] = v
		}
	}
}

func xrefValue(l *lexer, depth int) (any, bool) {
	t := l.next()
	switch t.kind {
	case tNum:
		if !t.isInt {
			return nil, false
		}
		t2 := l.next()
		if t2.kind == tNum && t2.isInt {
			t3 := l.next()
			if t3.kind == tKeyword && string(t3.str) == "R" {
				return nil, false
			}
			l.unread(t3)
		}
		l.unread(t2)
		return t.num, true
	case tArrayOpen:
		var nums []float64
		for {
			t := l.next()
			switch t.kind {
			case tArrayClose, tEOF:
				return nums, true
			case tNum:
				nums = append(nums, t.num)
			case tArrayOpen, tDictOpen:
				l.unread(t)
				if depth > 32 {
					return nil, false
				}
				xrefValue(l, depth+1)
			}
		}
	case tDictOpen:
		if depth > 32 {
			return nil, false
		}
		xrefDict(l, depth+1)
	}
	return nil, false
}

// maxColumns bounds a PNG predictor's /Columns: the library allocates two
// rows of that many bytes when it opens a stream, and its own objects
// (object and cross-reference streams) are opened where no check of ours
// can come between. Real rows are images' widths, thousands at most.
const maxColumns = 1 << 20

// checkColumns looks for /Columns anywhere in the file, as any dictionary
// of a stream the library may open (all of them lie in the file itself:
// object streams hold no streams) states it there.
func checkColumns(data []byte) error {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '/')
		if j < 0 {
			return nil
		}
		i += j + 1
		end, ok := nameIs(data, i, "Columns")
		if !ok {
			continue
		}
		// Skip white space and comments to the value.
		k := end
		for k < len(data) && (isPDFSpace(data[k]) || data[k] == '%') {
			if data[k] == '%' {
				for k < len(data) && data[k] != '\n' && data[k] != '\r' {
					k++
				}
				continue
			}
			k++
		}
		e := k
		for e < len(data) && e-k < 32 && !isPDFSpace(data[e]) && !isPDFDelim(data[e]) {
			e++
		}
		if n, _, ok := parseNumber(data[k:e]); ok && n > maxColumns {
			return fmt.Errorf("broken PDF: a stream's /Columns is %.0f (over %d)", n, maxColumns)
		}
	}
}

// nameIs reports whether the name starting at data[i] (after its slash)
// is want, #xx escapes decoded, and where it ends.
func nameIs(data []byte, i int, want string) (int, bool) {
	n := 0
	for i < len(data) && !isPDFSpace(data[i]) && !isPDFDelim(data[i]) {
		c := data[i]
		i++
		if c == '#' && i+1 < len(data) && unhex(data[i]) >= 0 && unhex(data[i+1]) >= 0 {
			c = byte(unhex(data[i])<<4 | unhex(data[i+1]))
			i += 2
		}
		if n >= len(want) || want[n] != c {
			return i, false
		}
		n++
	}
	return i, n == len(want)
}
