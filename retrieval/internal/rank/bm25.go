package rank

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// BM25Params are the keyword ranking's knobs. The field weights make the
// index BM25F-like: a chunk is found by its own words, by its document's
// title and by its section heading, yet only its own bytes are ever cited.
type BM25Params struct {
	K1            float64 `yaml:"k1" json:"k1"`
	B             float64 `yaml:"b" json:"b"`
	TitleWeight   float64 `yaml:"title_weight" json:"title_weight"`
	SectionWeight float64 `yaml:"section_weight" json:"section_weight"`
}

// DefaultBM25 holds the parameters tuned on SciFact train and the dev set
// (see README, "Tuning").
var DefaultBM25 = BM25Params{K1: 0.9, B: 0.4, TitleWeight: 1, SectionWeight: 0.5}

// Validate reports the first parameter the ranking cannot use, naming it
// as the config file does (bm25.k1 …), in the file's order. The ranges are
// the ones the CLI has always enforced. NaN and +Inf are refused too:
// either makes every score NaN, and a ranking of NaNs is chunk order.
func (p BM25Params) Validate() error {
	if err := nonNegative("bm25.k1", p.K1); err != nil {
		return err
	}
	if !(p.B >= 0 && p.B <= 1) { // written so that NaN fails
		return fmt.Errorf("bm25.b must be within [0, 1], got %v", p.B)
	}
	if err := nonNegative("bm25.title_weight", p.TitleWeight); err != nil {
		return err
	}
	return nonNegative("bm25.section_weight", p.SectionWeight)
}

// nonNegative refuses a setting below 0, NaN or +Inf.
func nonNegative(name string, v float64) error {
	switch {
	case !(v >= 0):
		return fmt.Errorf("%s must be ≥ 0, got %v", name, v)
	case math.IsInf(v, 1):
		return fmt.Errorf("%s must be finite, got %v", name, v)
	}
	return nil
}

// FieldTerms is what the keyword index sees of one chunk.
type FieldTerms struct {
	Body, Section, Title []string
}

// DocUnits is one document for the keyword index: whether it is short,
// and its chunks' range [first, first+count).
type DocUnits struct {
	Short        bool
	First, Count int
}

// A unit is what IDF counts once. A short document (one that fits in a
// passage, document.MaxPassageBytes) is one unit however many overlapping chunks,
// and a header chunk, it was cut into: counting those chunks would make a
// word that a few abstracts repeat look common, the opposite of what makes
// it telling (on SciFact train, nDCG@10 0.7067 counting chunks, 0.7080
// counting units). A long document's chunks are units of their own, so that
// in a corpus of a few long documents words still tell passages apart.

// posting is a term's raw count in each field of one chunk. The length
// normalisation, which depends on every chunk's lengths, is applied at
// query time from per-chunk weights: an update then keeps the postings of
// unchanged documents as they are, however the average lengths move.
// Counts beyond the fields' widths saturate (1,023 in the body, 7 in the
// heading and the title); no chunk of a thousand bytes, heading or title
// comes near them.
//
// A posting is six bytes: the chunk split in two halves and the three
// counts packed in one word. The postings are the largest part of the
// index after the text (some 11 million at 10,000 documents of 10 KB),
// and a Go struct of an int32 and the counts would be padded to eight.
type posting struct {
	lo, hi uint16 // the chunk's low and high halves
	counts uint16 // body<<6 | section<<3 | title
}

// Field count limits: the widths of posting.counts.
const (
	maxBodyCount  = 1<<10 - 1
	maxFieldCount = 1<<3 - 1
)

// newPosting is chunk's posting with the fields' counts, saturated.
func newPosting(chunk int32, body uint16, section, title uint8) posting {
	p := posting{counts: min(body, maxBodyCount)<<6 | uint16(min(section, maxFieldCount))<<3 | uint16(min(title, maxFieldCount))}
	p.setChunk(chunk)
	return p
}

func (p posting) chunk() int32      { return int32(uint32(p.lo) | uint32(p.hi)<<16) }
func (p *posting) setChunk(c int32) { p.lo, p.hi = uint16(c), uint16(uint32(c)>>16) }
func (p posting) body() uint16      { return p.counts >> 6 }
func (p posting) section() uint8    { return uint8(p.counts>>3) & maxFieldCount }
func (p posting) title() uint8      { return uint8(p.counts) & maxFieldCount }

// termPostings is a term's postings, in chunk order, and the number of
// units holding it.
type termPostings struct {
	postings []posting
	df       int
	// The least and greatest term frequency (field counts folded with the
	// chunk's field weights) over the postings: Search bounds what the
	// term can add to any chunk's score from maxTF, and prunes only when
	// every posting adds a positive, finite amount (minTF > 0, maxTF
	// finite), which is what makes its bound sound. They depend on every
	// chunk's weights, so an update recomputes them for all terms.
	minTF, maxTF float64
}

// fieldLengths is how many terms each field of a chunk has.
type fieldLengths struct{ body, section, title int32 }

// fieldWeights is what one occurrence of a term in each field of a chunk
// adds to the term's frequency: the field's weight over the chunk's
// length normalisation in that field.
type fieldWeights struct{ body, section, title float64 }

// KeywordIndex is an inverted index over chunks.
type KeywordIndex struct {
	params  BM25Params
	N       int
	Units   int
	Terms   map[string]*termPostings
	Lengths []fieldLengths // per chunk
	Weights []fieldWeights // per chunk
	// accumulators recycles the dense score arrays: one allocation per
	// query of n floats would dominate search time on large corpora.
	accumulators sync.Pool
}

// ChunkCounts is what the keyword index keeps of one chunk: each term's
// counts in the chunk's fields (Terms, sorted by term, each term once), and
// the fields' lengths in terms.
type ChunkCounts struct {
	Terms                         []TermCount
	BodyLen, SectionLen, TitleLen int
}

// TermCount is a term's count in each field of one chunk; counts beyond
// the fields' widths saturate.
type TermCount struct {
	Term    string
	Body    uint16
	Section uint8
	Title   uint8
}

// CountTerms counts the terms of one chunk's fields. It sorts a copy of
// the body's terms and counts runs, rather than building a map per chunk:
// at 200,000 chunks the maps were a fifth of the build's allocations.
func CountTerms(f FieldTerms) ChunkCounts {
	body := slices.Clone(f.Body)
	slices.Sort(body)
	out := make([]TermCount, 0, len(body)/2+len(f.Section)+len(f.Title))
	for i := 0; i < len(body); {
		j := i + 1
		for j < len(body) && body[j] == body[i] {
			j++
		}
		out = append(out, TermCount{Term: body[i], Body: uint16(min(j-i, math.MaxUint16))})
		i = j
	}
	// Headings and titles are a few terms: each is found, or inserted,
	// by a binary search, which keeps out sorted.
	at := func(t string) *TermCount {
		k, found := slices.BinarySearchFunc(out, t, func(tc TermCount, t string) int { return cmp.Compare(tc.Term, t) })
		if !found {
			out = slices.Insert(out, k, TermCount{Term: t})
		}
		return &out[k]
	}
	for _, t := range f.Section {
		if tc := at(t); tc.Section < math.MaxUint8 {
			tc.Section++
		}
	}
	for _, t := range f.Title {
		if tc := at(t); tc.Title < math.MaxUint8 {
			tc.Title++
		}
	}
	return ChunkCounts{Terms: out, BodyLen: len(f.Body), SectionLen: len(f.Section), TitleLen: len(f.Title)}
}

func (cc ChunkCounts) fieldLengths() fieldLengths {
	return fieldLengths{int32(cc.BodyLen), int32(cc.SectionLen), int32(cc.TitleLen)}
}

// UpdateKeywordIndex indexes chunks, of docs: a chunk c with reuse[c] >= 0
// is chunk reuse[c] of prev (chunks[c] is then empty), the others are
// counted afresh. Postings of prev are remapped, not recounted, so an
// update after a small change costs a pass over the postings instead of
// tokenizing the corpus again; prev is not modified. prev and reuse are
// nil for a new index.
func UpdateKeywordIndex(prev *KeywordIndex, reuse []int32, chunks []ChunkCounts, docs []DocUnits, p BM25Params) *KeywordIndex {
	return UpdateKeywordIndexFunc(prev, reuse, len(chunks), func(c int) ChunkCounts { return chunks[c] }, docs, p)
}

// UpdateKeywordIndexFunc is UpdateKeywordIndex for n chunks counted by
// count(c), called once for each chunk not reused, from GOMAXPROCS
// goroutines at most: a build counts each chunk as its postings are made,
// instead of holding every chunk's counts (at 200,000 chunks, 300 MB)
// before the first posting.
func UpdateKeywordIndexFunc(prev *KeywordIndex, reuse []int32, n int, count func(c int) ChunkCounts, docs []DocUnits, p BM25Params) *KeywordIndex {
	ix := &KeywordIndex{params: p, N: n, Lengths: make([]fieldLengths, n)}

	// Chunks counted afresh, their postings grouped by term in chunk
	// order: ranges of chunks on all cores, then joined in range order.
	// One goroutine per range: there are at most GOMAXPROCS.
	ranges := make([]map[string][]posting, min(runtime.GOMAXPROCS(0), n/4096+1))
	var counting errgroup.Group
	for r := range ranges {
		counting.Go(func() error {
			m := map[string][]posting{}
			for c := r * n / len(ranges); c < (r+1)*n/len(ranges); c++ {
				if reuse != nil && reuse[c] >= 0 {
					ix.Lengths[c] = prev.Lengths[reuse[c]]
					continue
				}
				cc := count(c)
				ix.Lengths[c] = cc.fieldLengths()
				for _, tc := range cc.Terms {
					m[tc.Term] = append(m[tc.Term], newPosting(int32(c), tc.Body, tc.Section, tc.Title))
				}
			}
			ranges[r] = m
			return nil
		})
	}
	_ = counting.Wait()
	fresh := ranges[0]
	for _, m := range ranges[1:] {
		for t, ps := range m {
			fresh[t] = append(fresh[t], ps...)
		}
	}

	// The weights come before the postings: each term's bounds
	// (termPostings.minTF, maxTF) are taken from them.
	ix.weigh()

	// Where each chunk of prev went (-1: gone), and whether any moved:
	// a term whose postings all stay where they were keeps them.
	var remap []int32
	if prev != nil {
		remap = make([]int32, prev.N)
		for i := range remap {
			remap[i] = -1
		}
		for c, old := range reuse {
			if old >= 0 {
				remap[old] = int32(c)
			}
		}
	}
	ix.Units = units(docs)
	df := unitCounter(docs, n)

	var names []string
	if prev != nil {
		names = make([]string, 0, len(prev.Terms)+len(fresh))
		for t := range prev.Terms {
			names = append(names, t)
		}
	}
	for t := range fresh {
		if prev == nil || prev.Terms[t] == nil {
			names = append(names, t)
		}
	}
	entries := make([]*termPostings, len(names))
	// Blocks of terms, on at most GOMAXPROCS goroutines at a time: most
	// terms are merged in less time than a goroutine takes to start.
	const termBlock = 256
	var merge errgroup.Group
	merge.SetLimit(runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(names); lo += termBlock {
		merge.Go(func() error {
			for i := lo; i < min(lo+termBlock, len(names)); i++ {
				t := names[i]
				var old []posting
				if prev != nil {
					if tp := prev.Terms[t]; tp != nil {
						old = tp.postings
					}
				}
				switch ps := mergePostings(old, remap, fresh[t]); {
				case len(ps) == 0:
				case len(old) > 0 && &ps[0] == &old[0]:
					// The same chunks of the same documents hold it: its
					// postings and df are shared, not its bounds, since
					// the weights may have moved (prev is not modified).
					tp := *prev.Terms[t]
					tp.minTF, tp.maxTF = ix.tfRange(ps)
					entries[i] = &tp
				default:
					tp := &termPostings{postings: ps, df: df(ps)}
					tp.minTF, tp.maxTF = ix.tfRange(ps)
					entries[i] = tp
				}
			}
			return nil
		})
	}
	_ = merge.Wait()
	ix.Terms = make(map[string]*termPostings, len(names))
	for i, t := range names {
		if entries[i] != nil {
			ix.Terms[t] = entries[i]
		}
	}

	ix.accumulators.New = func() any {
		a := make([]float64, ix.N)
		return &a
	}
	return ix
}

// weigh sets the chunks' field weights from their lengths.
func (ix *KeywordIndex) weigh() {
	p, n := ix.params, ix.N
	ix.Weights = make([]fieldWeights, n)
	var sumBody, sumSec, sumTitle float64
	for _, l := range ix.Lengths {
		sumBody += float64(l.body)
		sumSec += float64(l.section)
		sumTitle += float64(l.title)
	}
	avg := func(sum float64) float64 {
		if n == 0 || sum == 0 {
			return 1
		}
		return sum / float64(n)
	}
	avgBody, avgSec, avgTitle := avg(sumBody), avg(sumSec), avg(sumTitle)
	norm := func(length int32, avgLen float64) float64 {
		return 1 - p.B + p.B*float64(length)/avgLen
	}
	for c, l := range ix.Lengths {
		ix.Weights[c] = fieldWeights{body: 1 / norm(l.body, avgBody), section: p.SectionWeight / norm(l.section, avgSec),
			title: p.TitleWeight / norm(l.title, avgTitle)}
	}
}

// units counts the units of docs: a short document, or a chunk of a long
// one.
func units(docs []DocUnits) int {
	n := 0
	for _, d := range docs {
		if d.Short {
			n++
		} else {
			n += d.Count
		}
	}
	return n
}

// unitCounter returns the df of postings in chunk order, over n chunks
// of docs: the number of units they fall in.
func unitCounter(docs []DocUnits, n int) func(ps []posting) int {
	chunkDoc := make([]int32, n)
	for i, d := range docs {
		for c := d.First; c < d.First+d.Count; c++ {
			chunkDoc[c] = int32(i)
		}
	}
	return func(ps []posting) int {
		n, last := 0, int32(-1)
		for _, p := range ps {
			d := chunkDoc[p.chunk()]
			if !docs[d].Short || d != last {
				n++ // postings are in chunk order, so a document's are adjacent
			}
			last = d
		}
		return n
	}
}

// tfRange is the least and greatest term frequency over ps, computed as
// Search computes it. NaN (an infinite weight times a zero count) makes
// both NaN, so that the term is never pruned.
func (ix *KeywordIndex) tfRange(ps []posting) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		tf := ix.tf(p)
		if tf != tf {
			return tf, tf
		}
		lo, hi = min(lo, tf), max(hi, tf)
	}
	return lo, hi
}

// tf is a posting's term frequency: its field counts weighted by the
// chunk's field weights.
func (ix *KeywordIndex) tf(p posting) float64 {
	w := &ix.Weights[p.chunk()]
	// The conversions round each product, so that no compiler fuses them
	// into a multiply-add differently in one caller than in another: the
	// pruned and exhaustive searches must agree bit for bit.
	return float64(float64(p.body())*w.body) + float64(float64(p.section())*w.section) + float64(float64(p.title())*w.title)
}

// contribution is what a term of weight idfw (its IDF times its weight in
// the query) with frequency tf adds to a chunk's score.
func contribution(idfw, tf, k1 float64) float64 {
	return float64(float64(idfw*tf)*(k1+1)) / (k1 + tf)
}

// mergePostings is a term's postings after an update: old ones moved by
// remap (dropped where it says -1) merged with fresh ones, in chunk order.
// When that gives old back, old itself is returned: it is never modified,
// so two indexes may share it.
func mergePostings(old []posting, remap []int32, fresh []posting) []posting {
	if len(old) == 0 {
		return fresh
	}
	if mergesToOld(old, remap, fresh) {
		return old
	}
	out := make([]posting, 0, len(old)+len(fresh))
	j := 0
	for _, p := range old {
		to := remap[p.chunk()]
		if to < 0 {
			continue
		}
		for j < len(fresh) && fresh[j].chunk() < to {
			out = append(out, fresh[j])
			j++
		}
		p.setChunk(to)
		out = append(out, p)
	}
	return append(out, fresh[j:]...)
}

// mergesToOld reports whether merging fresh into old, moved by remap,
// gives old back: nothing moves, and each posting dropped is replaced by
// the same fresh one. A changed document's chunks are counted afresh, yet
// most of its terms count as before; without this every one of them got
// a copy of its whole list (25 MB at 10,000 documents for one document
// edited), and the list the served index shares with it stayed as well.
func mergesToOld(old []posting, remap []int32, fresh []posting) bool {
	if len(fresh) > len(old) {
		return false
	}
	j := 0
	for _, p := range old {
		c := p.chunk()
		switch to := remap[c]; {
		case to < 0:
			if j == len(fresh) || fresh[j] != p {
				return false
			}
			j++
		case to != c, j < len(fresh) && fresh[j].chunk() < c:
			return false
		}
	}
	return j == len(fresh)
}

// idf is the inverse document frequency of a term held by df units.
func (ix *KeywordIndex) idf(df int) float64 {
	return math.Log(1 + (float64(ix.Units)-float64(df)+0.5)/(float64(df)+0.5))
}

// Search returns up to n chunks by BM25 score, best first. Repeated query
// terms count once: a question repeating a word does not mean it twice.
//
// It returns exactly what searchExhaustive returns (the same chunks, order
// and scores bit for bit) but stops early with MaxScore (Turtle & Flood
// 1995): chunks are visited in chunk order, and once n chunks are held,
// the terms whose bounds sum below the n-th best score cannot lift a chunk
// into the n best alone; only chunks holding one of the other
// ("essential") terms are candidates, and a candidate is dropped as soon
// as what it has plus what its remaining terms could add falls short.
func (ix *KeywordIndex) Search(terms []WeightedTerm, n int) []Scored {
	return ix.search(terms, n, true)
}

// SearchSet returns the chunks Search returns, with their scores, in no
// particular order: what weighted fusion reads, which orders them by
// chunk itself, so that they are not sorted by score first.
func (ix *KeywordIndex) SearchSet(terms []WeightedTerm, n int) []Scored {
	return ix.search(terms, n, false)
}

// search is Search, the result sorted best first when ordered.
func (ix *KeywordIndex) search(terms []WeightedTerm, n int, ordered bool) []Scored {
	if ix.N == 0 || n <= 0 {
		return nil
	}
	k1 := ix.params.K1
	if !(k1 >= 0) || math.IsInf(k1, 1) {
		return ix.searchExhaustive(terms, n, ordered)
	}
	// A cursor moves by its index, never by reslicing ps: a slice stored
	// back into the heap is a pointer write, which pays the collector's
	// write barrier whenever a collection is running, and with a server's
	// heap kept tight one often is (a tenth of the CPU at 10,000
	// documents).
	type cursor struct {
		ps   []posting
		at   int // the next posting
		idfw float64
		ub   float64 // at least what it adds to any chunk
		q    int     // position among the query's distinct terms
	}
	cs := make([]cursor, 0, len(terms))
	seen := newTermSet(len(terms))
	total := 0
	for _, wt := range terms {
		t := wt.Term
		if seen.add(t) {
			continue
		}
		tp := ix.Terms[t]
		if tp == nil {
			continue
		}
		idfw := ix.idf(tp.df) * wt.Weight
		// The bound is sound only if every posting adds a positive,
		// finite amount: then a chunk is scored by its terms alone, in
		// the same order as the exhaustive sum, and no sum is NaN. A zero
		// contribution, which the exhaustive search would count as a
		// touched chunk, sends the query there. 1e-200 keeps far from
		// underflow.
		lo := contribution(idfw, tp.minTF, k1)
		ub := contribution(idfw, tp.maxTF, k1)
		if !(lo > 1e-200) || !(ub < math.MaxFloat64/1e6) {
			return ix.searchExhaustive(terms, n, ordered)
		}
		// Rounding may make a posting's contribution exceed the bound
		// computed from maxTF by an ulp or two; the slack covers that
		// and the rounding of the sums (a few ulps per term, far below
		// 1e-9 of the score).
		cs = append(cs, cursor{ps: tp.postings, idfw: idfw, ub: ub * (1 + 1e-9), q: len(cs)})
		total += len(tp.postings)
	}
	if len(cs) == 0 {
		return nil
	}
	if total <= n {
		// Every chunk found is returned: there is nothing to prune. (And
		// every posting adds a positive amount, as checked above.)
		return ix.searchAll(terms, n, ordered)
	}
	// Ascending bounds: the first nonEssential terms are those whose
	// bounds, summed (prefix), stay below the threshold.
	slices.SortStableFunc(cs, func(a, b cursor) int { return cmp.Compare(a.ub, b.ub) })
	prefix := make([]float64, len(cs))
	sum := 0.0
	for i, c := range cs {
		sum += c.ub
		prefix[i] = sum
	}
	// contrib[q] is what query term q adds to the candidate, 0 if the
	// candidate lacks it.
	contrib := make([]float64, len(cs))
	h := make(scoreHeap, 0, n+1)
	threshold := math.Inf(-1) // the n-th best score, once n are held
	nonEssential := 0
	const slack = 1 + 1e-9
	// The next candidate: the least chunk among essential terms. The pass
	// that scores a candidate finds the one after it, over the terms that
	// were essential then: if some have become non-essential since, the
	// candidate may be one of theirs only, which costs a visit but loses
	// nothing.
	next := int32(math.MaxInt32)
	for _, c := range cs {
		if len(c.ps) > 0 && c.ps[0].chunk() < next {
			next = c.ps[0].chunk()
		}
	}
	for next != math.MaxInt32 {
		have := 0.0
		after := int32(math.MaxInt32)
		for i := nonEssential; i < len(cs); i++ {
			c := &cs[i]
			if c.at == len(c.ps) {
				continue
			}
			if p := c.ps[c.at]; p.chunk() == next {
				v := contribution(c.idfw, ix.tf(p), k1)
				contrib[c.q] = v
				have += v
				c.at++
				if c.at == len(c.ps) {
					continue
				}
			}
			after = min(after, c.ps[c.at].chunk())
		}
		// The non-essential terms, greatest bound first, while the
		// candidate can still reach the threshold.
		pruned := false
		for i := nonEssential - 1; i >= 0; i-- {
			if (have+prefix[i])*slack < threshold {
				pruned = true
				break
			}
			c := &cs[i]
			c.at += seek(c.ps[c.at:], next)
			if c.at < len(c.ps) && c.ps[c.at].chunk() == next {
				v := contribution(c.idfw, ix.tf(c.ps[c.at]), k1)
				contrib[c.q] = v
				have += v
			}
		}
		if !pruned {
			// The score, summed in query order as the exhaustive search
			// sums it.
			// (Skipping the terms it lacks: adding their zeros would not
			// change the sum anyway.)
			score := 0.0
			for _, v := range contrib {
				if v != 0 {
					score += v
				}
			}
			x := Scored{Chunk: int(next), Score: score}
			switch {
			case len(h) < n:
				h = append(h, x)
				h.up(len(h) - 1)
			case x.Score > h[0].Score || (x.Score == h[0].Score && x.Chunk < h[0].Chunk):
				h[0] = x
				h.down(0)
			}
			if len(h) == n && h[0].Score > threshold {
				threshold = h[0].Score
				for nonEssential < len(cs) && prefix[nonEssential]*slack < threshold {
					nonEssential++
				}
			}
		}
		clear(contrib)
		next = after
	}
	return topN(h, n, ordered)
}

// up and down restore the heap order after h[i] is added or replaced,
// as container/heap does but without its calls through an interface,
// which were a tenth of the keyword search's time.
func (h scoreHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.Less(i, parent) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (h scoreHeap) down(i int) {
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h.Less(l, least) {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h.Less(r, least) {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}

// termSet is the set of a query's terms seen so far: a list for the
// usual few, searched in turn, where a map was made for each search.
type termSet struct {
	list []string
	m    map[string]bool
}

func newTermSet(n int) termSet {
	if n > 32 {
		return termSet{m: make(map[string]bool, n)}
	}
	return termSet{list: make([]string, 0, n)}
}

// add adds t and reports whether it was there already.
func (s *termSet) add(t string) bool {
	if s.m != nil {
		if s.m[t] {
			return true
		}
		s.m[t] = true
		return false
	}
	if slices.Contains(s.list, t) {
		return true
	}
	s.list = append(s.list, t)
	return false
}

// seek returns the index in ps of its first posting at or after chunk c
// (len(ps) for none): galloping, then a binary search, since a
// non-essential term is consulted for few of its postings.
func seek(ps []posting, c int32) int {
	if len(ps) == 0 || ps[0].chunk() >= c {
		return 0
	}
	step := 1
	for step < len(ps) && ps[step].chunk() < c {
		step *= 2
	}
	lo, hi := step/2, min(step, len(ps))
	i, _ := slices.BinarySearchFunc(ps[lo:hi], c, func(p posting, c int32) int { return cmp.Compare(p.chunk(), c) })
	return lo + i
}

// searchExhaustive is Search without pruning: every posting of every
// query term is scored into a dense accumulator. Search falls back to it
// where pruning would not be exact, and the tests hold Search to it.
func (ix *KeywordIndex) searchExhaustive(terms []WeightedTerm, n int, ordered bool) []Scored {
	return ix.exhaustive(terms, n, ordered, false)
}

// searchAll is searchExhaustive for terms whose every posting adds a
// positive amount: unordered, a small collection's chunks then come in
// chunk order, read off the accumulator, which weighted fusion needs
// and would otherwise sort them into.
func (ix *KeywordIndex) searchAll(terms []WeightedTerm, n int, ordered bool) []Scored {
	return ix.exhaustive(terms, n, ordered, true)
}

// exhaustive is searchExhaustive; positive tells that every posting adds
// a positive amount, so that a chunk is touched when its score is not 0.
func (ix *KeywordIndex) exhaustive(terms []WeightedTerm, n int, ordered, positive bool) []Scored {
	if ix.N == 0 || n <= 0 {
		return nil
	}
	acc := ix.accumulators.Get().(*[]float64)
	defer ix.accumulators.Put(acc)
	scores := *acc
	var touched []int32
	k1 := ix.params.K1
	seen := newTermSet(len(terms))
	for _, wt := range terms {
		t := wt.Term
		if seen.add(t) {
			continue
		}
		tp := ix.Terms[t]
		if tp == nil {
			continue
		}
		idfw := ix.idf(tp.df) * wt.Weight
		for _, p := range tp.postings {
			if scores[p.chunk()] == 0 {
				touched = append(touched, p.chunk())
			}
			scores[p.chunk()] += contribution(idfw, ix.tf(p), k1)
		}
	}
	out := make([]Scored, 0, len(touched))
	if !ordered && positive && len(touched) <= n && ix.N <= 4*len(touched) {
		for c, v := range scores[:ix.N] {
			if v != 0 {
				out = append(out, Scored{Chunk: c, Score: v})
				scores[c] = 0
			}
		}
		return out
	}
	for _, c := range touched {
		out = append(out, Scored{Chunk: int(c), Score: scores[c]})
		scores[c] = 0
	}
	return topN(out, n, ordered)
}

type Scored struct {
	Chunk int
	Score float64
}

// topN keeps the n best, sorted best first with ties broken by chunk
// order so that rankings are deterministic (unsorted unless ordered).
// Selection through a bounded heap keeps it O(len·log n): a common
// query term touches most chunks.
func topN(s []Scored, n int, ordered bool) []Scored {
	if n < len(s) {
		h := make(scoreHeap, 0, n+1)
		for _, x := range s {
			if len(h) < n {
				heap.Push(&h, x)
			} else if x.Score > h[0].Score || (x.Score == h[0].Score && x.Chunk < h[0].Chunk) {
				h[0] = x
				heap.Fix(&h, 0)
			}
		}
		s = h
	}
	if !ordered {
		return s
	}
	slices.SortFunc(s, func(a, b Scored) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(a.Chunk, b.Chunk)
	})
	return s
}

// Has reports whether the corpus holds a term.
func (ix *KeywordIndex) Has(t string) bool {
	_, ok := ix.Terms[t]
	return ok
}

// TermIDF is a term's inverse document frequency, and whether the corpus
// has the term at all.
func (ix *KeywordIndex) TermIDF(t string) (float64, bool) {
	tp, ok := ix.Terms[t]
	if !ok {
		return 0, false
	}
	return ix.idf(tp.df), true
}

type WeightedTerm struct {
	Term   string
	Weight float64
}
