package answer

import (
	"math"
	"slices"
	"strings"
	"sync"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval"
)

// The answer model sees each candidate sentence as a vector of features:
// how much of the question it holds and how closely, what its passage and
// context hold, whether it holds the kind of fact asked for and something
// the question does not already say. The weights are fitted on questions
// written by other people (tools/train); nothing here is tuned by hand.

// The model's inputs, in order.
const (
	fOwn           = iota // key-term weight the sentence holds, share of the question's
	fWindow               // the same within its densest window of content words
	fContext              // held only by the section heading or title
	fPassage              // held by the passage with its heading and title
	fPassageMiss          // share of key terms the passage and its context lack
	fBigram               // share of the question's neighbouring key terms found together
	fBm25                 // the sentence's own BM25 over the question's terms, per total weight
	fRank                 // 1/(1+the passage's rank)
	fScore                // the passage's score over the best passage's
	fRelOwn               // own over the best own among the candidates
	fBestOwn              // 1 when no candidate holds more
	fDateAsked            // the question asks when, and the sentence holds a date
	fNumberAsked          // asks how many/much, and the sentence holds a number the question lacks
	fNameAsked            // asks who or where, and the sentence holds a name the question lacks
	fWants                // the question asks for a kind of fact at all
	fNovel                // share of the sentence's terms the question lacks
	fNovelName            // the sentence names something the question does not
	fUnknown              // share of the question's weight the corpus lacks
	fUnknownEntity        // a name in the question the corpus never mentions
	fKeys                 // 1/(number of key terms)
	fLength               // log of the sentence's bytes
	fFirst                // the first sentence of its passage
	fForeign              // the question is in another script than the corpus
	fForeignOwn           // own, for such a question
	fForeignPass          // passage, for such a question
	fPrevOwn              // own of the sentence before, in the passage
	fNextOwn              // own of the sentence after
	fAnaphor              // the sentence opens by referring back (this, it, they …)
	fCarried              // own, with the sentence before for one that refers back to it
	fVector               // cosine of the question's and the sentence's word-vector means
	fPair                 // the candidate is a sentence with the next, which goes on about its subject
	numFeatures
)

// featureNames name the features in the model file, which is refused
// when fitted on other ones.
var featureNames = [numFeatures]string{
	fOwn:           "own",
	fWindow:        "window",
	fContext:       "context",
	fPassage:       "passage",
	fPassageMiss:   "passage_miss",
	fBigram:        "bigram",
	fBm25:          "bm25",
	fRank:          "rank",
	fScore:         "score",
	fRelOwn:        "rel_own",
	fBestOwn:       "best_own",
	fDateAsked:     "date_asked",
	fNumberAsked:   "number_asked",
	fNameAsked:     "name_asked",
	fWants:         "wants",
	fNovel:         "novel",
	fNovelName:     "novel_name",
	fUnknown:       "unknown",
	fUnknownEntity: "unknown_entity",
	fKeys:          "keys",
	fLength:        "length",
	fFirst:         "first",
	fForeign:       "foreign",
	fForeignOwn:    "foreign_own",
	fForeignPass:   "foreign_pass",
	fPrevOwn:       "prev_own",
	fNextOwn:       "next_own",
	fAnaphor:       "anaphor",
	fCarried:       "carried",
	fVector:        "vector",
	fPair:          "pair",
}

// questionFacts is what the features need of the question, computed once,
// with the scratch space an answer's candidates are built in. Facts are
// pooled (getFacts, release): the candidates, their features and the
// pairs of sentences were most of an answer's allocations.
type questionFacts struct {
	keys    []analysis.KeyTerm
	weights []float64 // per key
	total   float64
	unknown float64 // share of total the corpus lacks
	entity  bool    // a name the corpus lacks
	terms   map[string]bool
	// filter holds a bit for each of the key terms' Terms (mayBeKey).
	filter [64]uint64
	// sigs are the termSig of the key terms' Terms, key after key
	// (keySigs gives a key's), and sigSet has them all.
	sigs    []uint16
	sigAt   []int
	sigSet  [sigWords]uint64
	wants   analysis.Want
	foreign bool
	vec     []float32 // the question's word-vector mean, nil for a foreign one
	// scratch for sentenceFeatures
	hits    []hit
	tf      []float64
	present []uint64
	// scratch for candidates: the candidates, their features back to
	// back, the pairs of sentences with their terms and vectors, each
	// passage's analysis and context terms, and the spans already seen.
	out      []candidate
	xs       []float64
	pairs    []sentence
	strs     []string
	vecs     []float32
	sigbuf   []uint16
	analyses []*textAnalysis
	ctxs     []*textAnalysis
	ctxKeys  []uint64 // per passage, contextKeys of its ctxs
	seen     map[docSpan]bool
	probs    []float64
}

// docSpan is a span of a document: passages of one document may overlap,
// and a sentence is a candidate once.
type docSpan struct {
	doc        string
	start, end int
}

var factsPool = sync.Pool{New: func() any {
	return &questionFacts{terms: map[string]bool{}, seen: map[docSpan]bool{}}
}}

// getFacts is newQuestionFacts in pooled memory; release gives it back
// once nothing it returned (candidates, features) is in use.
func getFacts(q analysis.Query, numChunks int) *questionFacts {
	f := factsPool.Get().(*questionFacts)
	f.init(q, numChunks)
	return f
}

// release returns f to the pool, dropping what it refers to.
func (f *questionFacts) release() {
	clear(f.keys)
	clear(f.out)
	clear(f.strs)
	clear(f.analyses)
	clear(f.ctxs)
	clear(f.terms)
	clear(f.seen)
	clear(f.pairs)
	f.keys, f.out, f.strs, f.analyses, f.ctxs, f.pairs = f.keys[:0], f.out[:0], f.strs[:0], f.analyses[:0], f.ctxs[:0], f.pairs[:0]
	f.vec = nil
	factsPool.Put(f)
}

func newQuestionFacts(q analysis.Query, numChunks int) *questionFacts {
	f := &questionFacts{terms: map[string]bool{}, seen: map[docSpan]bool{}}
	f.init(q, numChunks)
	return f
}

func (f *questionFacts) init(q analysis.Query, numChunks int) {
	f.keys = contentKeys(f.keys[:0], q.Keys)
	f.wants, f.foreign = q.Wants, q.Foreign
	f.total, f.unknown, f.entity, f.vec = 0, 0, false, nil
	if !q.Foreign {
		f.vec = embedSentence(q.Text)
	}

	unseen := math.Log(1 + (float64(numChunks)+0.5)/1.5)
	f.weights = slices.Grow(f.weights[:0], len(f.keys))[:len(f.keys)]
	clear(f.weights)
	var known, sumKnown float64
	clear(f.filter[:])
	clear(f.sigSet[:])
	f.sigs, f.sigAt = f.sigs[:0], append(f.sigAt[:0], 0)
	for i, kt := range f.keys {
		for _, t := range kt.Terms {
			f.terms[t] = true
			f.filter[filterSlot(t)] |= filterBit(t)
			sig := termSig(t)
			f.sigs = append(f.sigs, sig)
			addSig(&f.sigSet, sig)
		}
		f.sigAt = append(f.sigAt, len(f.sigs))
		if kt.Known() {
			f.weights[i] = kt.IDF
			known++
			sumKnown += kt.IDF
		}
	}
	var missing float64
	for i, kt := range f.keys {
		if kt.Known() {
			continue
		}
		// A word the corpus never uses is either a name, weighing double
		// the rarest term, or an ordinary word, often the asker's
		// paraphrase, weighing the mean of the known ones.
		switch {
		case kt.Entity:
			f.weights[i] = 2 * unseen
			f.entity = true
		case known > 0:
			f.weights[i] = sumKnown / known
		default:
			f.weights[i] = unseen
		}
		missing += f.weights[i]
	}
	for _, w := range f.weights {
		f.total += w
	}
	if f.total > 0 {
		f.unknown = missing / f.total
	}
}

// filterSlot and filterBit place a term in questionFacts.filter by its
// last byte and its length: two terms that differ there differ.
func filterSlot(t string) int   { return int(t[len(t)-1] & 63) }
func filterBit(t string) uint64 { return 1 << (len(t) & 63) }

// mayBeKey reports whether t may be one of the key terms' Terms: false
// means it is none of them, without comparing it with each.
func (f *questionFacts) mayBeKey(t string) bool {
	return t != "" && f.filter[filterSlot(t)]&filterBit(t) != 0
}

// keySigs are the termSig of key term i's Terms, in order.
func (f *questionFacts) keySigs(i int) []uint16 { return f.sigs[f.sigAt[i]:f.sigAt[i+1]] }

// heldIn is held for the terms of a passage and of its heading and
// title, with their signatures.
func (f *questionFacts) heldIn(a, ctx *textAnalysis) (float64, int) {
	var w float64
	miss := 0
	for i, kt := range f.keys {
		sigs := f.keySigs(i)
		// kt.Match, the text holding what either holds.
		best := 0.0
		for j, t := range kt.Terms {
			if v := kt.Weight(j); v > best && (a.holds(t, sigs[j]) || ctx.holds(t, sigs[j])) {
				best = v
			}
		}
		if best > 0 {
			w += f.weights[i] * best
		} else {
			miss++
		}
	}
	return w, miss
}

// matchBits is kt.Match over the Terms whose bits are set (at most 64
// Terms): the best weight among them.
func matchBits(kt analysis.KeyTerm, bits uint64) float64 {
	if bits == 0 {
		return 0 // most key terms, in most sentences
	}
	best := 0.0
	for j := range kt.Terms {
		if w := kt.Weight(j); w > best && bits&(1<<j) != 0 {
			best = w
		}
	}
	return best
}

// heldBoth is held over the terms of two sentences together, from what
// sentenceFeatures found each holds (pa, pb), without looking a term up.
func (f *questionFacts) heldBoth(a, b *sentence, pa, pb []uint64) float64 {
	var w float64
	for i, kt := range f.keys {
		var m float64
		if len(kt.Terms) > 64 {
			m = kt.Match(func(t string) bool { return a.has(t) || b.has(t) }) // more Terms than bits
		} else {
			m = matchBits(kt, pa[i]|pb[i])
		}
		if m > 0 {
			w += f.weights[i] * m
		}
	}
	return w
}

// held is the key-term weight a set of terms holds, and how many key
// terms it misses.
func (f *questionFacts) held(has func(term string) bool) (float64, int) {
	var w float64
	miss := 0
	for i, kt := range f.keys {
		if m := kt.Match(has); m > 0 {
			w += f.weights[i] * m
		} else {
			miss++
		}
	}
	return w, miss
}

// novel reports whether a term of ts is none of the question's.
func (f *questionFacts) novel(ts []string) bool {
	for _, t := range ts {
		if !f.mayBeKey(t) || !f.terms[t] {
			return true
		}
	}
	return false
}

// hit is a term of a sentence that is one of the key terms' Terms: its
// position among the sentence's terms, the first key term it is one of,
// and the weight it holds of it.
type hit struct {
	pos, key int
	val      float64
}

// window is how many content words a sentence's key terms should fall
// within to count as said together.
const window = 12

// sentenceFeatures fills the features a sentence has on its own; those
// of its passage and those that compare it with the other candidates are
// set by candidates.
//
// inContext has bit i set when the passage's section heading or title
// holds key term i (contextKeys): the same for all its sentences.
//
// present receives, for each key term, which of its Terms the sentence
// holds (bit j for Terms[j]), for heldBoth.
func (f *questionFacts) sentenceFeatures(x []float64, present []uint64, s *sentence, inContext uint64, avgLen float64) {
	n := float64(len(f.keys))
	// The sentence's terms that are key terms (hits), in order, for the
	// window, bigrams and novelty, and which of each key term's Terms the
	// sentence holds, by index: the scan finds them all, so that what the
	// sentence holds is not looked up again term by term, and the rest
	// walks the hits, a few at most, not every term of the sentence.
	// Scratch space reused from sentence to sentence: these were most of
	// an answer's allocations.
	if cap(f.tf) < len(f.keys) {
		f.tf = make([]float64, len(f.keys))
	}
	tf := f.tf[:len(f.keys)]
	clear(tf)
	clear(present)
	hits := f.hits[:0]
	for p, sig := range s.sigs {
		if !hasSig(&f.sigSet, sig) {
			continue // most of a sentence's terms, never read
		}
		t := s.seq[p]
		h := hit{pos: p, key: -1}
		for i, kt := range f.keys {
			for j, kt2 := range kt.Terms {
				if kt2 != t {
					continue
				}
				present[i] |= 1 << min(j, 63)
				if h.key < 0 {
					h.key, h.val = i, f.weights[i]*kt.Weights[j]
					tf[i]++
				}
			}
		}
		if h.key >= 0 {
			hits = append(hits, h)
		}
	}
	f.hits = hits
	// matched is kt.Match over the sentence's terms.
	matched := func(i int) float64 {
		kt := f.keys[i]
		if len(kt.Terms) > 64 {
			return kt.Match(s.has) // more Terms than bits
		}
		return matchBits(kt, present[i])
	}
	var own, ctxOnly float64
	for i := range f.keys {
		if m := matched(i); m > 0 {
			own += f.weights[i] * m
		} else if inContext&(1<<i) != 0 {
			ctxOnly += f.weights[i]
		}
	}
	// The densest window: from each hit, the weight of the distinct key
	// terms within the next window terms.
	best := 0.0
	for a, start := range hits {
		var seen uint64 // key terms counted, by index (contentKeys keeps at most 64)
		var w float64
		for _, h := range hits[a:] {
			if h.pos >= start.pos+window {
				break
			}
			if seen&(1<<h.key) == 0 {
				seen |= 1 << h.key
				w += h.val
			}
		}
		best = max(best, w)
	}
	// Neighbouring key terms of the question found within three terms of
	// each other.
	pairs := 0
	for i := 0; i+1 < len(f.keys) && len(hits) > 1; i++ {
		found := false
		for _, h := range hits {
			if h.key != i {
				continue
			}
			for _, h2 := range hits {
				if h2.key == i+1 && h2.pos >= h.pos-3 && h2.pos < h.pos+4 {
					found = true
					break
				}
			}
			if found {
				pairs++
				break
			}
		}
	}
	const k1, b = 1.2, 0.75
	var bm float64
	norm := k1 * (1 - b + b*float64(len(s.seq))/max(avgLen, 1))
	for i, c := range tf {
		if c > 0 {
			bm += f.weights[i] * c * (k1 + 1) / (c + norm)
		}
	}
	novel := len(s.seq) - len(hits) // terms of no key term: not the question's
	novelName, novelNumber := f.novel(s.names), f.novel(s.numbers)
	x[fOwn] = own / f.total
	x[fWindow] = best / f.total
	x[fContext] = ctxOnly / f.total
	x[fBigram] = float64(pairs) / max(1, n-1)
	x[fBm25] = bm / f.total
	x[fDateAsked] = b2f(f.wants == analysis.WantDate && s.date)
	x[fNumberAsked] = b2f(f.wants == analysis.WantNumber && novelNumber)
	x[fNameAsked] = b2f((f.wants == analysis.WantPerson || f.wants == analysis.WantPlace) && novelName)
	x[fWants] = b2f(f.wants != analysis.WantOther)
	if len(s.seq) > 0 {
		x[fNovel] = float64(novel) / float64(len(s.seq))
	}
	x[fNovelName] = b2f(novelName)
	x[fUnknown] = f.unknown
	x[fUnknownEntity] = b2f(f.entity)
	x[fKeys] = 1 / max(n, 1)
	x[fLength] = s.logLen
	x[fForeign] = b2f(f.foreign)
	x[fForeignOwn] = x[fForeign] * x[fOwn]
	x[fVector] = cosine(f.vec, s.vec)
}

// contextKeys has bit i set when ctx holds key term i: what a passage's
// heading and title hold, looked up once for all its sentences.
func (f *questionFacts) contextKeys(ctx *textAnalysis) uint64 {
	var bits uint64
	for i, kt := range f.keys {
		sigs := f.keySigs(i)
		for j, t := range kt.Terms {
			if kt.Weight(j) > 0 && ctx.holds(t, sigs[j]) {
				bits |= 1 << i
				break
			}
		}
	}
	return bits
}

// newParagraph reports whether the space between two sentences holds a
// blank line: a pair is two sentences of one paragraph.
func newParagraph(between string) bool {
	return strings.Count(strings.ReplaceAll(between, "\r\n", "\n"), "\n") >= 2
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// candidate is one sentence of a retrieved passage, as the model sees it.
type candidate struct {
	passage  int // index into the passages
	position int // order within the passage
	span     document.Span
	sentence *sentence
	x        []float64
	p        float64 // the model's probability that it answers
}

// pairOf is a sentence and the next one, which opens by referring back to
// it ("…the Agreement on … was adopted in June 2009. This agreement, which
// came into effect on January 5, 2012, …"), as one sentence: the fact
// asked for is often in the second, the words that name its subject in
// the first. Its terms, names and vector are kept in f's scratch space,
// and its set of terms is the union of the two sentences' sets.
func (f *questionFacts) pairOf(a, b *sentence) *sentence {
	span := document.Span{Start: a.span.Start, End: b.span.End}
	f.pairs = append(f.pairs, sentence{span: span, logLen: logLen(span), date: a.date || b.date,
		anaphor: a.anaphor, parts: [2]*sentence{a, b}})
	s := &f.pairs[len(f.pairs)-1]
	s.seq = f.concat(a.seq, b.seq)
	start := len(f.sigbuf)
	f.sigbuf = append(append(f.sigbuf, a.sigs...), b.sigs...)
	s.sigs = f.sigbuf[start:len(f.sigbuf):len(f.sigbuf)]
	s.names = f.concat(a.names, b.names)
	s.numbers = f.concat(a.numbers, b.numbers)
	if len(a.vec) == len(b.vec) && len(a.vec) > 0 {
		start := len(f.vecs)
		f.vecs = append(f.vecs, make([]float32, len(a.vec))...)
		s.vec = f.vecs[start:len(f.vecs):len(f.vecs)]
		var ss float64
		for i := range s.vec {
			s.vec[i] = a.vec[i] + b.vec[i]
			ss += float64(s.vec[i]) * float64(s.vec[i])
		}
		if ss > 0 {
			inv := float32(1 / math.Sqrt(ss))
			for i := range s.vec {
				s.vec[i] *= inv
			}
		}
	}
	return s
}

// concat is a followed by b, in f's scratch space.
func (f *questionFacts) concat(a, b []string) []string {
	start := len(f.strs)
	f.strs = append(append(f.strs, a...), b...)
	return f.strs[start:len(f.strs):len(f.strs)]
}

// candidates describes every sentence of the passages for the model. The
// candidates and their features live in f's scratch space.
func (f *questionFacts) candidates(ps []retrieval.Passage) []candidate {
	if len(ps) == 0 || f.total == 0 {
		return nil
	}
	var lens, count float64
	f.analyses, f.ctxs, f.ctxKeys = f.analyses[:0], f.ctxs[:0], f.ctxKeys[:0]
	for _, p := range ps {
		a := analyzePassage(p.Text)
		f.analyses = append(f.analyses, a)
		ctx := contextTerms(p.Section, p.Title)
		f.ctxs = append(f.ctxs, ctx)
		f.ctxKeys = append(f.ctxKeys, f.contextKeys(ctx))
		for _, s := range a.sentences {
			lens += float64(len(s.seq))
			count++
		}
	}
	avgLen := lens / max(count, 1)
	top := ps[0].Score
	// At most every sentence, and a pair for all but the last: the
	// features and the pairs are allocated once, so that the slices and
	// pointers handed out stay put.
	most := 2 * int(count)
	if cap(f.xs) < most*numFeatures {
		f.xs = make([]float64, most*numFeatures)
	}
	clear(f.xs[:most*numFeatures])
	if cap(f.pairs) < int(count) {
		f.pairs = make([]sentence, 0, int(count))
	}
	// The pairs of an earlier call (release clears them, and the room
	// beyond them was never used): all of the room, cleared each time,
	// was a sixtieth of an answer.
	clear(f.pairs)
	f.pairs, f.strs, f.vecs, f.sigbuf = f.pairs[:0], f.strs[:0], f.vecs[:0], f.sigbuf[:0]
	features := func(n int) []float64 { // the n-th candidate's
		return f.xs[n*numFeatures : (n+1)*numFeatures : (n+1)*numFeatures]
	}
	// What each candidate holds of each key term (sentenceFeatures).
	nk := len(f.keys)
	if cap(f.present) < most*nk {
		f.present = make([]uint64, most*nk)
	}
	present := func(n int) []uint64 { return f.present[n*nk : (n+1)*nk : (n+1)*nk] }
	out := f.out[:0]
	clear(f.seen)
	// Only passages that overlap (or touch) another of their document's
	// can share a sentence with it: most questions have none, and then
	// no sentence is looked up.
	overlap := false
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			overlap = overlap || ps[i].DocID == ps[j].DocID && ps[i].Start <= ps[j].End && ps[j].Start <= ps[i].End
		}
	}
	for pi, p := range ps {
		a := f.analyses[pi]
		ctx := f.ctxs[pi]
		pw, miss := f.heldIn(a, ctx)
		rel := 0.0
		if top > 0 {
			rel = p.Score / top
		}
		for si := range a.sentences {
			s := &a.sentences[si]
			if isHeading(p.Text, s.span, p.Section) {
				continue // a heading names a topic; it answers nothing
			}
			// Passages of one document may overlap: a sentence is a
			// candidate once, in its best-ranked passage.
			if k := (docSpan{p.DocID, p.Start + s.span.Start, p.Start + s.span.End}); overlap && f.seen[k] {
				continue
			} else if overlap {
				f.seen[k] = true
			}
			x := features(len(out))
			f.sentenceFeatures(x, present(len(out)), s, f.ctxKeys[pi], avgLen)
			x[fPassage] = pw / f.total
			x[fPassageMiss] = float64(miss) / float64(len(f.keys))
			x[fRank] = 1 / float64(2+pi)
			x[fScore] = rel
			x[fFirst] = b2f(si == 0)
			x[fForeignPass] = x[fForeign] * x[fPassage]
			out = append(out, candidate{passage: pi, position: si, span: s.span, sentence: s, x: x})
		}
	}
	// Neighbours: a sentence that goes on about the one before ("This
	// region includes …") often holds the fact asked for, with the
	// subject's name left behind.
	for i := range out {
		c := &out[i]
		c.x[fCarried] = c.x[fOwn]
		if i > 0 && out[i-1].passage == c.passage && out[i-1].position == c.position-1 {
			c.x[fPrevOwn] = out[i-1].x[fOwn]
			if c.sentence.anaphor {
				c.x[fCarried] = f.heldBoth(c.sentence, out[i-1].sentence, present(i), present(i-1)) / f.total
			}
		}
		if i+1 < len(out) && out[i+1].passage == c.passage && out[i+1].position == c.position+1 {
			c.x[fNextOwn] = out[i+1].x[fOwn]
		}
		c.x[fAnaphor] = b2f(c.sentence.anaphor)
	}
	best := 0.0
	for _, c := range out {
		best = max(best, c.x[fOwn])
	}
	singles := len(out)
	for i := 0; i+1 < singles; i++ {
		c, n := out[i], out[i+1]
		p := ps[c.passage]
		if n.passage != c.passage || n.position != c.position+1 || !n.sentence.anaphor ||
			n.span.End-c.span.Start > document.MaxCitationBytes || newParagraph(p.Text[c.span.End:n.span.Start]) {
			continue
		}
		s := f.pairOf(c.sentence, n.sentence)
		x := features(len(out))
		f.sentenceFeatures(x, present(len(out)), s, f.ctxKeys[c.passage], avgLen)
		for _, j := range [...]int{fPassage, fPassageMiss, fRank, fScore, fFirst, fForeignPass, fPrevOwn, fAnaphor} {
			x[j] = c.x[j]
		}
		x[fNextOwn] = n.x[fNextOwn]
		x[fCarried] = x[fOwn]
		if c.sentence.anaphor && i > 0 && out[i-1].passage == c.passage && out[i-1].position == c.position-1 {
			x[fCarried] = f.heldBoth(s, out[i-1].sentence, present(len(out)), present(i-1)) / f.total
		}
		x[fPair] = 1
		out = append(out, candidate{passage: c.passage, position: c.position, span: s.span, sentence: s, x: x})
	}
	for _, c := range out {
		if best > 0 {
			c.x[fRelOwn] = c.x[fOwn] / best
		}
		c.x[fBestOwn] = b2f(c.x[fOwn] >= best)
	}
	f.out = out
	return out
}
