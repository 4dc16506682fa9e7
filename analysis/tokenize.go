package analysis

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// TokenizerVersion changes whenever Terms produces different terms for the
// same text, which invalidates every stored keyword index.
const TokenizerVersion = "snowball-en-ru-v2"

// stemCache memoises stems: the Snowball stemmers allocate per call and a
// corpus repeats the same few thousand words millions of times. It stops
// growing at maxCachedStems words, so that a long-running server fed
// endless new words (questions, typos) keeps a bounded memory.
//
// It is plain maps, each behind a read-write lock, a word's shard chosen
// by its hash: a sync.Map kept every word in nodes of its own, with key
// and stem boxed, some 100 bytes a word beyond the strings, and its
// lookups chased pointers through a trie, most of a question's
// tokenising.
var (
	stemCache   [stemShards]stemShard
	stemSeed    = maphash.MakeSeed()
	cachedStems atomic.Int64
)

const stemShards = 64

type stemShard struct {
	mu sync.RWMutex
	m  map[string]string
}

const maxCachedStems = 1 << 20

// Terms splits text into the terms BM25 counts: lower-cased words, stop words
// dropped, English Snowball stems for Latin words and Russian stems for
// Cyrillic ones. Numbers are kept whole because years and article numbers are
// what many questions turn on.
func Terms(text string) []string {
	var out []string
	forEachWord(text, func(w string) {
		if t, ok := Term(w); ok {
			if out == nil {
				// About one term in ten bytes of prose: most texts need
				// no second allocation.
				out = make([]string, 0, len(text)/10+1)
			}
			out = append(out, t)
		}
	})
	return out
}

// Term maps one lower-cased word to its indexed form, or reports that the
// word is a stop word. w may be part of a longer text: what the cache
// keeps is a copy, so that it never holds on to the text.
func Term(w string) (string, bool) {
	sh := &stemCache[maphash.String(stemSeed, w)%stemShards]
	sh.mu.RLock()
	s, ok := sh.m[w]
	sh.mu.RUnlock()
	if ok {
		return s, s != ""
	}
	w = strings.Clone(w)
	s = stem(w)
	if cachedStems.Load() < maxCachedStems {
		sh.mu.Lock()
		if _, ok := sh.m[w]; !ok {
			if sh.m == nil {
				sh.m = make(map[string]string)
			}
			sh.m[w] = s
			cachedStems.Add(1)
		}
		sh.mu.Unlock()
	}
	return s, s != ""
}

func stem(w string) string {
	r, _ := utf8.DecodeRuneInString(w)
	switch {
	case unicode.IsDigit(r):
		return w
	case unicode.Is(unicode.Cyrillic, r):
		if russian.IsStopWord(w) {
			return ""
		}
		return russian.Stem(w, false)
	case r < utf8.RuneSelf:
		if len(w) == 1 || english.IsStopWord(w) {
			return ""
		}
		if base, ok := irregular[w]; ok {
			w = base
		}
		return english.Stem(w, false)
	default:
		return w
	}
}

// forEachWord calls fn with each lower-cased run of letters and digits. An
// apostrophe between letters stays inside the word so that the stemmer sees
// "organization's" whole; hyphens split, so "2019-2022" gives both years.
// The words are ForEachWordCase's, lower-cased as Lower does: most are
// lower case already and passed on as they are, with no copy.
func forEachWord(text string, fn func(string)) {
	ForEachWordCase(text, func(w string, _ bool) { fn(Lower(w)) })
}
