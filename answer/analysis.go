package answer

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"citebot/analysis"
	"citebot/document"
	"citebot/embedding/wordvec"
)

// textAnalysis is what the composer derives from a passage's text alone:
// its sentences with their terms, and all its terms. The same passages come
// back question after question, and tokenizing them was most of an
// answer's time, so analyses are memoized.
type textAnalysis struct {
	sentences []sentence
	terms     map[string]bool
	// sigs has bit termSig(t) set for each of terms: a question's key
	// terms, most of them absent (a Russian word's several renderings),
	// are turned away without a map lookup.
	sigs [sigWords]uint64
}

// sigWords is the size of a set of term signatures, in words: 4,096 bits.
const sigWords = 64

// sigSeed seeds termSig: signatures live in memory only, within one
// process.
var sigSeed = maphash.MakeSeed()

// termSig is a term's 12-bit signature.
func termSig(t string) uint16 { return uint16(maphash.String(sigSeed, t) % (sigWords * 64)) }

// addSig sets a signature's bit in a set of them.
func addSig(set *[sigWords]uint64, sig uint16) { set[sig/64] |= 1 << (sig % 64) }

// hasSig reports whether a set of signatures holds sig.
func hasSig(set *[sigWords]uint64, sig uint16) bool { return set[sig/64]&(1<<(sig%64)) != 0 }

// newTextAnalysis is the analysis of a set of terms, with their
// signatures.
func newTextAnalysis(terms map[string]bool) *textAnalysis {
	a := &textAnalysis{terms: terms}
	for t := range terms {
		addSig(&a.sigs, termSig(t))
	}
	return a
}

// holds reports whether the text holds term t, whose signature is sig.
func (a *textAnalysis) holds(t string, sig uint16) bool { return hasSig(&a.sigs, sig) && a.terms[t] }

type sentence struct {
	span   document.Span
	logLen float64         // logLen(span), the length feature
	seq    []string        // terms in order
	sigs   []uint16        // their termSig, in the same order
	terms  map[string]bool // the same, as a set
	date   bool            // holds a year or a month
	// names are the terms of words capitalised inside the sentence (a
	// first word is capitalised by grammar), numbers the terms that are
	// numbers: what a who, where or how-many question asks for.
	names   []string
	numbers []string
	anaphor bool // opens by referring back to what came before
	// vec is the sentence's embedded word-vector mean (unit length, or
	// zeros when no word is known).
	vec []float32
	// parts are the two sentences of a pair (pairOf), whose terms are
	// theirs: a pair has no set of its own.
	parts [2]*sentence
}

// has reports whether the sentence holds a term.
func (s *sentence) has(t string) bool {
	if s.parts[0] != nil {
		return s.parts[0].terms[t] || s.parts[1].terms[t]
	}
	return s.terms[t]
}

// memo maps a text to its analysis. It depends on the text only (and on the
// tokenizer, fixed in a process), so one memo serves every index. Its
// size is bounded by an estimate of the bytes held: when full, entries are
// dropped at random (map order) until a quarter of the budget is free.
// Its maps are shared: read them, never write.
type memo struct {
	mu     sync.RWMutex
	budget int // bytes
	used   int
	m      map[string]*textAnalysis
}

// analysisCost estimates the heap an analysis holds: measured at about
// ten times the text (term strings, slices and maps per sentence), plus a
// 400-byte vector per sentence of some 150 bytes, and the 512 bytes of
// its terms' signatures.
func analysisCost(text string) int { return 13*len(text) + 256 + 8*sigWords }

func newMemo(budget int) *memo { return &memo{budget: budget, m: map[string]*textAnalysis{}} }

// 8 MB holds every passage the 1,137 committed questions bring up on the
// seeds (2 MB), several times over. On a large corpus few passages come
// back, so a larger memo mostly holds garbage-to-be: at 10,000 documents
// 32 MB of it was a tenth of a server's heap, and maps of small strings
// that every collection marks.
var passages, contexts = newMemo(8 << 20), newMemo(4 << 20)

func (c *memo) get(text string, build func(string) *textAnalysis) *textAnalysis {
	if a, ok := lookup(c, text); ok {
		return a
	}
	a := build(text)
	cost := analysisCost(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[text]; ok {
		return a
	}
	if c.used+cost > c.budget {
		for k := range c.m {
			delete(c.m, k)
			c.used -= analysisCost(k)
			if c.used+cost <= c.budget*3/4 {
				break
			}
		}
	}
	if cost <= c.budget {
		c.m[text] = a
		c.used += cost
	}
	return a
}

// lookup returns the analysis memoized for a text, given as a string or
// as bytes (which the map lookup does not copy).
func lookup[T string | []byte](c *memo, text T) (*textAnalysis, bool) {
	c.mu.RLock()
	a, ok := c.m[string(text)]
	c.mu.RUnlock()
	return a, ok
}

// analyzePassage splits a passage into sentences and tokenizes them.
func analyzePassage(text string) *textAnalysis {
	return passages.get(text, func(string) *textAnalysis {
		a := newTextAnalysis(termSet(text))
		for _, s := range analysis.SplitSentences(text, document.Span{Start: 0, End: len(text)}) {
			st := text[s.Start:s.End]
			seq := analysis.Terms(st)
			terms := make(map[string]bool, len(seq))
			sigs := make([]uint16, len(seq))
			for i, t := range seq {
				terms[t] = true
				sigs[i] = termSig(t)
			}
			names, numbers := namesAndNumbers(st)
			a.sentences = append(a.sentences, sentence{span: s, logLen: logLen(s), seq: seq, sigs: sigs, terms: terms, date: kind(st, "date"),
				names: names, numbers: numbers, anaphor: opensWithAnaphor(st), vec: embedSentence(st)})
		}
		return a
	})
}

// logLen is the log of a span's bytes (plus one), computed once per
// sentence when its passage is analysed, not for every question.
func logLen(s document.Span) float64 { return math.Log(float64(1 + s.Len())) }

// numberWords are numbers written as words ("nine nations"); "one" is
// left out, being mostly a pronoun.
var numberWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`two three four five six seven eight nine ten eleven twelve thirteen fourteen
		fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
		hundred hundreds thousand thousands million millions billion billions trillion dozen dozens half`) {
		numberWords[w] = true
	}
}

// namesAndNumbers returns the terms of a sentence's capitalised words but
// the first, and of its numbers.
func namesAndNumbers(s string) (names, numbers []string) {
	first := true
	analysis.ForEachWordCase(s, func(w string, capital bool) {
		isFirst := first
		first = false
		r, _ := utf8.DecodeRuneInString(w)
		switch {
		case unicode.IsDigit(r), numberWords[strings.ToLower(w)]:
			numbers = append(numbers, analysis.Terms(w)...)
		case capital && !isFirst:
			names = append(names, analysis.Terms(w)...)
		}
	})
	return names, numbers
}

// anaphors open a sentence that continues the previous one's subject.
var anaphors = map[string]bool{"this": true, "these": true, "that": true, "those": true, "it": true, "its": true,
	"they": true, "their": true, "them": true, "such": true, "he": true, "she": true, "his": true, "her": true,
	"there": true, "here": true, "latter": true, "former": true, "both": true,
	"этот": true, "эта": true, "это": true, "эти": true, "этой": true, "этом": true, "он": true, "она": true,
	"оно": true, "они": true, "его": true, "её": true, "ее": true, "их": true, "такой": true, "такая": true, "такие": true}

// opensWithAnaphor reports whether one of a sentence's first two words
// refers back ("This region …", "During this hold …").
func opensWithAnaphor(s string) bool {
	n, found := 0, false
	analysis.ForEachWordCase(s, func(w string, _ bool) {
		n++
		if n <= 2 && !found {
			found = anaphors[strings.ToLower(w)]
		}
	})
	return found
}

// vectors is the embedded word-vector model, for sentence similarity; nil
// when it cannot be read (the feature is then 0 everywhere).
var vectors = sync.OnceValue(func() *wordvec.Model {
	m, err := wordvec.Default()
	if err != nil {
		return nil
	}
	return m
})

func embedSentence(s string) []float32 {
	if m := vectors(); m != nil {
		return m.Embed(s)
	}
	return nil
}

// cosine of two unit vectors (0 when either is missing or zero).
func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

// contextTerms analyses a passage's section heading and title, as one
// set of terms. The two are looked up as one text, put together on the
// stack.
func contextTerms(section, title string) *textAnalysis {
	var buf [256]byte
	key := append(append(append(buf[:0], section...), '\n'), title...)
	if a, ok := lookup(contexts, key); ok {
		return a
	}
	return contexts.get(string(key), func(s string) *textAnalysis {
		return newTextAnalysis(termSet(s))
	})
}
