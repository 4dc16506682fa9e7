package retrieval

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"sync"
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

// fieldTerms is what the keyword index sees of one chunk.
type fieldTerms struct {
	body, section, title []string
}

// docUnits is one document for the keyword index: whether it is short,
// and its chunks' range [first, first+count).
type docUnits struct {
	short        bool
	first, count int
}

// A unit is what IDF counts once. A short document (one that fits in a
// passage, MaxPassageBytes) is one unit however many overlapping chunks,
// and a header chunk, it was cut into: counting those chunks would make a
// word that a few abstracts repeat look common, the opposite of what makes
// it telling (on SciFact train, nDCG@10 0.7067 counting chunks, 0.7080
// counting units). A long document's chunks are units of their own, so that
// in a corpus of a few long documents words still tell passages apart.

type posting struct {
	chunk int32
	// tf is the field-weighted, length-normalised term frequency, computed
	// once at build time so that a query only sums.
	tf float32
}

// keywordIndex is an inverted index over chunks.
type keywordIndex struct {
	params   BM25Params
	n        int
	postings map[string][]posting
	idf      map[string]float64
	// accumulators recycles the dense score arrays: one allocation per
	// query of n floats would dominate search time on large corpora.
	accumulators sync.Pool
}

func newKeywordIndex(fields []fieldTerms, docs []docUnits, p BM25Params) *keywordIndex {
	ix := &keywordIndex{params: p, n: len(fields), postings: make(map[string][]posting)}
	var sumBody, sumSec, sumTitle float64
	for _, f := range fields {
		sumBody += float64(len(f.body))
		sumSec += float64(len(f.section))
		sumTitle += float64(len(f.title))
	}
	avg := func(sum float64, n int) float64 {
		if n == 0 || sum == 0 {
			return 1
		}
		return sum / float64(n)
	}
	avgBody, avgSec, avgTitle := avg(sumBody, ix.n), avg(sumSec, ix.n), avg(sumTitle, ix.n)
	norm := func(length int, avgLen float64) float64 {
		return 1 - p.B + p.B*float64(length)/avgLen
	}
	tf := make(map[string]float64)
	for i, f := range fields {
		clear(tf)
		add := func(terms []string, w, nrm float64) {
			if w == 0 {
				return
			}
			for _, t := range terms {
				tf[t] += w / nrm
			}
		}
		add(f.body, 1, norm(len(f.body), avgBody))
		add(f.section, p.SectionWeight, norm(len(f.section), avgSec))
		add(f.title, p.TitleWeight, norm(len(f.title), avgTitle))
		for t, v := range tf {
			ix.postings[t] = append(ix.postings[t], posting{chunk: int32(i), tf: float32(v)})
		}
	}

	chunkDoc := make([]int32, ix.n)
	for i, d := range docs {
		for c := d.first; c < d.first+d.count; c++ {
			chunkDoc[c] = int32(i)
		}
	}

	// IDF over units: a short document, or a chunk of a long one.
	units := 0
	for _, d := range docs {
		if d.short {
			units++
		} else {
			units += d.count
		}
	}
	ix.idf = make(map[string]float64, len(ix.postings))
	for t, ps := range ix.postings {
		df, last := 0, int32(-1)
		for _, p := range ps {
			d := chunkDoc[p.chunk]
			if !docs[d].short {
				df++
			} else if d != last {
				df++ // postings are in chunk order, so a document's are adjacent
			}
			last = d
		}
		ix.idf[t] = math.Log(1 + (float64(units)-float64(df)+0.5)/(float64(df)+0.5))
	}
	ix.accumulators.New = func() any {
		a := make([]float64, ix.n)
		return &a
	}
	return ix
}

// search returns up to n chunks by BM25 score, best first. Repeated query
// terms count once: a question repeating a word does not mean it twice.
func (ix *keywordIndex) search(terms []weightedTerm, n int) []scored {
	if ix.n == 0 || n <= 0 {
		return nil
	}
	acc := ix.accumulators.Get().(*[]float64)
	defer ix.accumulators.Put(acc)
	scores := *acc
	var touched []int32
	k1 := ix.params.K1
	seen := make(map[string]bool, len(terms))
	for _, wt := range terms {
		t := wt.term
		if seen[t] {
			continue
		}
		seen[t] = true
		idf := ix.idf[t] * wt.weight
		for _, p := range ix.postings[t] {
			if scores[p.chunk] == 0 {
				touched = append(touched, p.chunk)
			}
			tf := float64(p.tf)
			scores[p.chunk] += idf * tf * (k1 + 1) / (k1 + tf)
		}
	}
	out := make([]scored, 0, len(touched))
	for _, c := range touched {
		out = append(out, scored{chunk: int(c), score: scores[c]})
		scores[c] = 0
	}
	return topN(out, n)
}

type scored struct {
	chunk int
	score float64
}

// topN keeps the n best, sorted best first with ties broken by chunk
// order so that rankings are deterministic. Selection through a bounded
// heap keeps it O(len·log n): a common query term touches most chunks.
func topN(s []scored, n int) []scored {
	if n < len(s) {
		h := make(scoreHeap, 0, n+1)
		for _, x := range s {
			if len(h) < n {
				heap.Push(&h, x)
			} else if x.score > h[0].score || (x.score == h[0].score && x.chunk < h[0].chunk) {
				h[0] = x
				heap.Fix(&h, 0)
			}
		}
		s = h
	}
	slices.SortFunc(s, func(a, b scored) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Compare(a.chunk, b.chunk)
	})
	return s
}

// termIDF is a term's inverse document frequency, and whether the corpus
// has the term at all.
func (ix *keywordIndex) termIDF(t string) (float64, bool) {
	v, ok := ix.idf[t]
	return v, ok
}
