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
// Counts beyond the fields' widths saturate; no chunk, heading or title
// comes near them.
type posting struct {
	chunk   int32
	body    uint16
	section uint8
	title   uint8
}

// termPostings is a term's postings, in chunk order, and the number of
// units holding it.
type termPostings struct {
	postings []posting
	df       int
}

// fieldLengths is how many terms each field of a chunk has.
type fieldLengths struct{ body, section, title int }

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
// counts in the chunk's fields, and the fields' lengths.
type ChunkCounts struct {
	terms   []termCount
	lengths fieldLengths
}

type termCount struct {
	term   string
	counts posting // chunk unset
}

// CountTerms counts the terms of one chunk's fields.
func CountTerms(f FieldTerms) ChunkCounts {
	at := make(map[string]int, len(f.Body)/2+len(f.Section)+len(f.Title))
	var out []termCount
	count := func(terms []string, add func(p *posting)) {
		for _, t := range terms {
			i, ok := at[t]
			if !ok {
				i = len(out)
				at[t] = i
				out = append(out, termCount{term: t})
			}
			add(&out[i].counts)
		}
	}
	count(f.Body, func(p *posting) {
		if p.body < math.MaxUint16 {
			p.body++
		}
	})
	count(f.Section, func(p *posting) {
		if p.section < math.MaxUint8 {
			p.section++
		}
	})
	count(f.Title, func(p *posting) {
		if p.title < math.MaxUint8 {
			p.title++
		}
	})
	return ChunkCounts{terms: out, lengths: fieldLengths{len(f.Body), len(f.Section), len(f.Title)}}
}

// UpdateKeywordIndex indexes chunks, of docs: a chunk c with reuse[c] >= 0
// is chunk reuse[c] of prev (chunks[c] is then empty), the others are
// counted afresh. Postings of prev are remapped, not recounted, so an
// update after a small change costs a pass over the postings instead of
// tokenizing the corpus again; prev is not modified. prev and reuse are
// nil for a new index.
func UpdateKeywordIndex(prev *KeywordIndex, reuse []int32, chunks []ChunkCounts, docs []DocUnits, p BM25Params) *KeywordIndex {
	n := len(chunks)
	ix := &KeywordIndex{params: p, N: n, Lengths: make([]fieldLengths, n)}

	// Chunks counted afresh, their postings grouped by term in chunk
	// order: ranges of chunks on all cores, then joined in range order.
	// One goroutine per range: there are at most GOMAXPROCS.
	ranges := make([]map[string][]posting, min(runtime.GOMAXPROCS(0), n/4096+1))
	var count errgroup.Group
	for r := range ranges {
		count.Go(func() error {
			m := map[string][]posting{}
			for c := r * n / len(ranges); c < (r+1)*n/len(ranges); c++ {
				if reuse != nil && reuse[c] >= 0 {
					ix.Lengths[c] = prev.Lengths[reuse[c]]
					continue
				}
				ix.Lengths[c] = chunks[c].lengths
				for _, tc := range chunks[c].terms {
					tc.counts.chunk = int32(c)
					m[tc.term] = append(m[tc.term], tc.counts)
				}
			}
			ranges[r] = m
			return nil
		})
	}
	_ = count.Wait()
	fresh := ranges[0]
	for _, m := range ranges[1:] {
		for t, ps := range m {
			fresh[t] = append(fresh[t], ps...)
		}
	}

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
	chunkDoc := make([]int32, n)
	for i, d := range docs {
		for c := d.First; c < d.First+d.Count; c++ {
			chunkDoc[c] = int32(i)
		}
	}
	// A unit is a short document or a chunk of a long one.
	for _, d := range docs {
		if d.Short {
			ix.Units++
		} else {
			ix.Units += d.Count
		}
	}
	df := func(ps []posting) int {
		n, last := 0, int32(-1)
		for _, p := range ps {
			d := chunkDoc[p.chunk]
			if !docs[d].Short || d != last {
				n++ // postings are in chunk order, so a document's are adjacent
			}
			last = d
		}
		return n
	}

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
					// The same chunks of the same documents hold it.
					entries[i] = prev.Terms[t]
				default:
					entries[i] = &termPostings{postings: ps, df: df(ps)}
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
	norm := func(length int, avgLen float64) float64 {
		return 1 - p.B + p.B*float64(length)/avgLen
	}
	for c, l := range ix.Lengths {
		ix.Weights[c] = fieldWeights{body: 1 / norm(l.body, avgBody), section: p.SectionWeight / norm(l.section, avgSec),
			title: p.TitleWeight / norm(l.title, avgTitle)}
	}
	ix.accumulators.New = func() any {
		a := make([]float64, ix.N)
		return &a
	}
	return ix
}

// mergePostings is a term's postings after an update: old ones moved by
// remap (dropped where it says -1) merged with fresh ones, in chunk order.
// When nothing moved and nothing is added, old itself is returned: it is
// never modified, so two indexes may share it.
func mergePostings(old []posting, remap []int32, fresh []posting) []posting {
	if len(old) == 0 {
		return fresh
	}
	if len(fresh) == 0 {
		same := true
		for _, p := range old {
			if remap[p.chunk] != p.chunk {
				same = false
				break
			}
		}
		if same {
			return old
		}
	}
	out := make([]posting, 0, len(old)+len(fresh))
	j := 0
	for _, p := range old {
		to := remap[p.chunk]
		if to < 0 {
			continue
		}
		for j < len(fresh) && fresh[j].chunk < to {
			out = append(out, fresh[j])
			j++
		}
		p.chunk = to
		out = append(out, p)
	}
	return append(out, fresh[j:]...)
}

// idf is the inverse document frequency of a term held by df units.
func (ix *KeywordIndex) idf(df int) float64 {
	return math.Log(1 + (float64(ix.Units)-float64(df)+0.5)/(float64(df)+0.5))
}

// Search returns up to n chunks by BM25 score, best first. Repeated query
// terms count once: a question repeating a word does not mean it twice.
func (ix *KeywordIndex) Search(terms []WeightedTerm, n int) []Scored {
	if ix.N == 0 || n <= 0 {
		return nil
	}
	acc := ix.accumulators.Get().(*[]float64)
	defer ix.accumulators.Put(acc)
	scores := *acc
	var touched []int32
	k1 := ix.params.K1
	seen := make(map[string]bool, len(terms))
	for _, wt := range terms {
		t := wt.Term
		if seen[t] {
			continue
		}
		seen[t] = true
		tp := ix.Terms[t]
		if tp == nil {
			continue
		}
		idf := ix.idf(tp.df) * wt.Weight
		for _, p := range tp.postings {
			if scores[p.chunk] == 0 {
				touched = append(touched, p.chunk)
			}
			w := &ix.Weights[p.chunk]
			tf := float64(p.body)*w.body + float64(p.section)*w.section + float64(p.title)*w.title
			scores[p.chunk] += idf * tf * (k1 + 1) / (k1 + tf)
		}
	}
	out := make([]Scored, 0, len(touched))
	for _, c := range touched {
		out = append(out, Scored{Chunk: int(c), Score: scores[c]})
		scores[c] = 0
	}
	return topN(out, n)
}

type Scored struct {
	Chunk int
	Score float64
}

// topN keeps the n best, sorted best first with ties broken by chunk
// order so that rankings are deterministic. Selection through a bounded
// heap keeps it O(len·log n): a common query term touches most chunks.
func topN(s []Scored, n int) []Scored {
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
