package retrieval

import (
	"bytes"
	"slices"
	"sync"

	"citebot/analysis"
)

// A name asked about in Russian ("Пэнтерс", "Джаред Аллен") is in no
// dictionary; the English corpus writes it "Panthers", "Jared Allen".
// soundsLike finds such words in the corpus's own vocabulary: both sides
// are reduced to a rough sound key (transliteration, then the consonants
// in order), and a Russian word's renderings are the corpus terms with its
// key. Many international words (система, метод) match their English
// cognates the same way.

// soundsLike returns the corpus's terms for names that sound like a
// Cyrillic word, matched with and without its case ending (stem is the
// word's Russian stem).
func (ix *Index) soundsLike(word, stem string) []string {
	si := ix.sounds
	if si == nil {
		si = new(soundIndex)
	}
	si.once.Do(func() { si.keys = ix.soundKeys() })
	var out []string
	var buf [256]byte
	for _, w := range [...]string{word, stem} {
		keys := analysis.AppendSoundKeys(buf[:0], w)
		for len(keys) > 0 {
			end := bytes.IndexByte(keys, 0)
			for _, c := range si.keys[string(keys[:end])] {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
			keys = keys[end+1:]
		}
	}
	return out
}

// soundIndex maps sound keys to the terms of the corpus's names with
// that key.
type soundIndex struct {
	once sync.Once
	keys map[string][]string
}

// soundKeys indexes the documents' names by the sound key of the word as
// written, to its term. A name is a word the documents write with a
// capital and never in lower case: sentence-initial "However" or "War" is
// also written "however", "war", and matching ordinary words by sound
// would match unrelated ones. It runs once per index, at the first
// question in Cyrillic, over the documents' text.
func (ix *Index) soundKeys() map[string][]string {
	capital := map[string]bool{} // lower-cased words seen with a capital
	lowerSeen := map[string]bool{}
	for _, d := range ix.docs {
		analysis.ForEachWordCase(d.Text, func(w string, isCapital bool) {
			lw := analysis.Lower(w)
			if isCapital {
				capital[lw] = true
			} else if lw == w {
				lowerSeen[lw] = true
			}
		})
	}
	keys := map[string][]string{}
	for lw := range capital {
		if lowerSeen[lw] {
			continue
		}
		t, ok := analysis.Term(lw)
		if !ok {
			continue
		}
		for _, k := range analysis.NameKeys(analysis.FoldLatin(lw)) {
			if !slices.Contains(keys[k], t) {
				keys[k] = append(keys[k], t)
			}
		}
	}
	for _, ts := range keys {
		slices.Sort(ts) // map order must not decide a query's terms
	}
	return keys
}
