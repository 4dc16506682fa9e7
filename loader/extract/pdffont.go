package extract

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// decoder turns a font's character codes into text.
type decoder interface {
	Decode(raw string) string
}

// Bounds on fonts: the PDF library decodes a /Differences encoding by
// scanning the whole array for every character, and builds ToUnicode maps
// with loops whose counts come from the file.
const (
	maxDifferences = 1024    // entries in an encoding's /Differences
	maxCMapBytes   = 8 << 20 // one ToUnicode CMap, decompressed
	maxCMapEntries = 1 << 18 // mappings kept from one CMap
	maxFontsCached = 4096
)

// fontSet resolves and caches the decoders of a document's fonts.
type fontSet struct {
	cache map[string]decoder
}

// decoder returns the decoder for font dictionary f. Fonts are cached by
// their dictionary's text (which names the objects it refers to), so the
// same font used on many pages is read once.
func (fs *fontSet) decoder(f pdf.Value) (decoder, error) {
	key := f.String()
	if d, ok := fs.cache[key]; ok {
		return d, nil
	}
	d, err := fontDecoder(f)
	if err != nil {
		return nil, err
	}
	if len(fs.cache) < maxFontsCached && len(key) < 64<<10 {
		if fs.cache == nil {
			fs.cache = map[string]decoder{}
		}
		fs.cache[key] = d
	}
	return d, nil
}

func fontDecoder(f pdf.Value) (decoder, error) {
	// A ToUnicode CMap is what maps a font's codes to text, whatever its
	// encoding says (composite fonts have nothing else). It is read here:
	// the library's reader trusts the entry counts the CMap states.
	if tu := f.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		m, err := readCMap(tu)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fontLabel(f), err)
		}
		return m, nil
	}
	enc := f.Key("Encoding")
	switch {
	case enc.Kind() == pdf.Name && enc.Name() == "UniGB-UCS2-H":
		return (&pdf.Font{V: f}).Encoder(), nil // two bytes a code
	case enc.Kind() == pdf.Dict:
		if n := enc.Key("Differences").Len(); n > maxDifferences {
			return nil, fmt.Errorf("broken PDF: %s: encoding differences has %d entries", fontLabel(f), n)
		}
	}
	return byteTable((&pdf.Font{V: f}).Encoder()), nil
}

// fontLabel names a font in an error.
func fontLabel(f pdf.Value) string {
	if name := f.Key("BaseFont").Name(); name != "" {
		return "font " + cleanMessage(name)
	}
	return "a font"
}

// byteTable turns a single-byte encoding into a table of its 256 codes,
// so decoding is a lookup per byte whatever the encoding's form.
func byteTable(enc pdf.TextEncoding) decoder {
	var t table
	for i := range t {
		t[i] = enc.Decode(string([]byte{byte(i)}))
	}
	return &t
}

type table [256]string

func (t *table) Decode(raw string) string {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		b = append(b, t[raw[i]]...)
	}
	return string(b)
}

// cmap is a ToUnicode CMap: codes of one to four bytes, within the
// codespace ranges, map to UTF-16 text by single codes (bfchar) or
// ranges (bfrange).
type cmap struct {
	space  [4][]codeRange // by code length - 1
	chars  map[uint64]string
	ranges []bfRange // sorted by length, then first code
}

type codeRange struct{ lo, hi uint32 }

type bfRange struct {
	n      int
	lo, hi uint32
	dst    []byte   // UTF-16BE of lo; later codes add to its last unit
	dsts   []string // or one text per code
}

func codeKey(n int, code uint32) uint64 { return uint64(n)<<32 | uint64(code) }

// readCMap parses a ToUnicode CMap stream, at most maxCMapBytes of it.
func readCMap(v pdf.Value) (*cmap, error) {
	rc, err := streamReader(v)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	l := newLexer(rc, maxCMapBytes)
	m := &cmap{chars: map[uint64]string{}}
	var ops []token       // operands of the current section
	var arrays [][][]byte // the section's array operands, by index in num
	entries := 0
	section := ""
	for {
		t := l.next()
		switch t.kind {
		case tEOF:
			if l.over {
				return nil, fmt.Errorf("%w: a ToUnicode CMap over %d bytes", ErrTooLarge, maxCMapBytes)
			}
			m.finish()
			return m, nil
		case tString, tNum:
			if section != "" && len(ops) < 3*maxCMapEntries {
				ops = append(ops, t)
			}
		case tArrayOpen:
			// bfrange destinations may be arrays of strings; keep the
			// strings, in a token of their own.
			arr := token{kind: tArrayOpen}
			var items [][]byte
			for {
				t := l.next()
				if t.kind == tArrayClose || t.kind == tEOF {
					break
				}
				if t.kind == tString && len(items) < 1<<16 {
					items = append(items, t.str)
				}
			}
			if section != "" && len(ops) < 3*maxCMapEntries {
				arr.num = float64(len(arrays))
				arrays = append(arrays, items)
				ops = append(ops, arr)
			}
		case tKeyword:
			switch op := string(t.str); op {
			case "begincodespacerange", "beginbfchar", "beginbfrange":
				section, ops, arrays = op, ops[:0], arrays[:0]
			case "endcodespacerange":
				for i := 0; i+1 < len(ops); i += 2 {
					lo, hi := ops[i].str, ops[i+1].str
					if ops[i].kind == tString && len(lo) >= 1 && len(lo) <= 4 && len(hi) == len(lo) && len(m.space[len(lo)-1]) < 256 {
						m.space[len(lo)-1] = append(m.space[len(lo)-1], codeRange{code(lo), code(hi)})
					}
				}
				section, ops = "", ops[:0]
			case "endbfchar":
				for i := 0; i+1 < len(ops) && entries < maxCMapEntries; i += 2 {
					src, dst := ops[i], ops[i+1]
					if src.kind == tString && dst.kind == tString && len(src.str) >= 1 && len(src.str) <= 4 {
						m.chars[codeKey(len(src.str), code(src.str))] = utf16Text(dst.str)
						entries++
					}
				}
				section, ops = "", ops[:0]
			case "endbfrange":
				for i := 0; i+2 < len(ops) && entries < maxCMapEntries; i += 3 {
					lo, hi, dst := ops[i], ops[i+1], ops[i+2]
					if lo.kind != tString || hi.kind != tString || len(lo.str) < 1 || len(lo.str) > 4 || len(hi.str) != len(lo.str) {
						continue
					}
					r := bfRange{n: len(lo.str), lo: code(lo.str), hi: code(hi.str)}
					if r.hi < r.lo {
						continue
					}
					switch dst.kind {
					case tString:
						r.dst = dst.str
					case tArrayOpen:
						for _, s := range arrays[int(dst.num)] {
							r.dsts = append(r.dsts, utf16Text(s))
						}
					default:
						continue
					}
					m.ranges = append(m.ranges, r)
					entries++
				}
				section, ops, arrays = "", ops[:0], arrays[:0]
			}
		}
	}
}

// code is a big-endian character code of one to four bytes.
func code(b []byte) uint32 { return codeOf(string(b)) }

func codeOf(s string) uint32 {
	var c uint32
	for i := 0; i < len(s); i++ {
		c = c<<8 | uint32(s[i])
	}
	return c
}

// finish sorts the ranges for lookup and, for a CMap that declares no
// codespace (a common omission), takes the code lengths its mappings use.
func (m *cmap) finish() {
	slices.SortStableFunc(m.ranges, func(a, b bfRange) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return int(int64(a.lo) - int64(b.lo))
	})
	for n := range m.space {
		if len(m.space[n]) > 0 {
			return
		}
	}
	used := [4]bool{}
	for k := range m.chars {
		used[k>>32-1] = true
	}
	for _, r := range m.ranges {
		used[r.n-1] = true
	}
	for n, u := range used {
		if u {
			m.space[n] = []codeRange{{0, 1<<(8*uint(n+1)) - 1}}
		}
	}
}

// Decode maps each code to its text; a code without a mapping gives
// nothing, bytes outside every codespace are skipped one at a time.
func (m *cmap) Decode(raw string) string {
	var out []byte
	for len(raw) > 0 {
		matched := false
		for n := 1; n <= 4 && n <= len(raw); n++ {
			c := codeOf(raw[:n])
			if !inSpace(m.space[n-1], c) {
				continue
			}
			out = append(out, m.lookup(n, c)...)
			raw = raw[n:]
			matched = true
			break
		}
		if !matched {
			raw = raw[1:]
		}
	}
	return string(out)
}

func inSpace(rs []codeRange, c uint32) bool {
	for _, r := range rs {
		if r.lo <= c && c <= r.hi {
			return true
		}
	}
	return false
}

func (m *cmap) lookup(n int, c uint32) string {
	if s, ok := m.chars[codeKey(n, c)]; ok {
		return s
	}
	// The last range starting at or before c, by length then first code.
	k := codeKey(n, c)
	i := sort.Search(len(m.ranges), func(i int) bool { return codeKey(m.ranges[i].n, m.ranges[i].lo) > k })
	if i == 0 {
		return ""
	}
	r := m.ranges[i-1]
	if r.n != n || c < r.lo || c > r.hi {
		return ""
	}
	off := c - r.lo
	if r.dsts != nil {
		if int(off) < len(r.dsts) {
			return r.dsts[off]
		}
		return ""
	}
	if len(r.dst) < 2 {
		return utf16Text(r.dst)
	}
	// Codes after the first map to the destination with its last UTF-16
	// unit incremented.
	d := slices.Clone(r.dst)
	last := binary.BigEndian.Uint16(d[len(d)-2:])
	binary.BigEndian.PutUint16(d[len(d)-2:], last+uint16(off))
	return utf16Text(d)
}

// utf16Text decodes UTF-16BE (an odd last byte is dropped).
func utf16Text(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
