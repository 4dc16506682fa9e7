package rank

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Fuse combines two rankings, each best first (in any order for
// weighted fusion, which reads them as sets), and returns the n best of
// the fused ranking, best first (all of them for n < 0), ties broken by
// chunk order. Weighted fusion min-max normalises each list so that
// neither scale dominates; a chunk missing from a list scores that list's
// floor there. f must pass Validate: an unknown method panics.
//
// The two lists are merged by chunk, not through a map: chunks are dense
// ids and the lists a few hundred long, so sorting each list's
// contributions by chunk and walking the two together costs less than
// hashing every one.
func Fuse(kw, vec []Scored, f Fusion, n int) []Scored {
	if len(vec) == 0 {
		return firstN(kw, n)
	}
	scratch := getScratch(len(kw) + len(vec))
	defer putScratch(scratch)
	kc, vc := (*scratch)[:len(kw)], (*scratch)[len(kw):]
	wk, wv := 1-f.VectorWeight, f.VectorWeight
	switch f.Method {
	case FusionRRF:
		for r, s := range kw {
			kc[r] = Scored{Chunk: s.Chunk, Score: wk / (f.RRFK + float64(r+1))}
		}
		for r, s := range vec {
			vc[r] = Scored{Chunk: s.Chunk, Score: wv / (f.RRFK + float64(r+1))}
		}
	case FusionWeighted:
		norm := minMax(kw)
		for r, s := range kw {
			kc[r] = Scored{Chunk: s.Chunk, Score: wk * norm(s.Score)}
		}
		norm = minMax(vec)
		for r, s := range vec {
			vc[r] = Scored{Chunk: s.Chunk, Score: wv * norm(s.Score)}
		}
	default:
		unknownMethod(f)
	}
	for _, c := range [...][]Scored{kc, vc} {
		if !slices.IsSortedFunc(c, byChunk) {
			slices.SortFunc(c, byChunk)
		}
	}
	// The keyword contribution is added first, then the vector one, so
	// that a chunk in both lists sums to the same float64 whichever way
	// the lists are walked.
	merged := getScratch(len(kc) + len(vc))
	defer putScratch(merged)
	out := (*merged)[:0]
	i, j := 0, 0
	for i < len(kc) || j < len(vc) {
		switch {
		case j == len(vc) || (i < len(kc) && kc[i].Chunk < vc[j].Chunk):
			out = append(out, kc[i])
			i++
		case i == len(kc) || vc[j].Chunk < kc[i].Chunk:
			out = append(out, vc[j])
			j++
		default:
			out = append(out, Scored{Chunk: kc[i].Chunk, Score: kc[i].Score + vc[j].Score})
			i++
			j++
		}
	}
	// The n best are the caller's; the merged list goes back.
	return slices.Clone(SelectBest(out, n))
}

func byChunk(a, b Scored) int { return cmp.Compare(a.Chunk, b.Chunk) }

// FuseNearest is weighted fusion (f's method must be FusionWeighted) of
// the keyword ranking kw, in any order, with fv's SearchByChunk(q,
// candidates), found in pooled memory: Fuse(kw, that, f, n), or kw's n
// best when no chunk has a vector. A small collection's every score was
// a new list each question.
func FuseNearest(kw []Scored, fv *FlatVectors, q []float32, candidates int, f Fusion, n int) []Scored {
	scratch := getScratch(0)
	defer putScratch(scratch)
	vec := fv.searchByChunk(*scratch, q, candidates)
	if cap(vec) > cap(*scratch) && cap(vec) <= 1<<12 {
		*scratch = vec[:0] // grown: keep the larger list
	}
	if len(vec) == 0 {
		return SelectBest(kw, n)
	}
	return Fuse(kw, vec, f, n)
}

// scratches are lists a search works in and drops before it returns
// (Fuse's contributions by chunk, SearchByChunk's scores to select
// from): a few kilobytes a question, most of what ranking allocated.
var scratches = sync.Pool{New: func() any { return new([]Scored) }}

// getScratch returns a list of n elements, to give back with putScratch.
func getScratch(n int) *[]Scored {
	s := scratches.Get().(*[]Scored)
	if cap(*s) < n {
		*s = make([]Scored, n)
	}
	*s = (*s)[:n]
	return s
}

// putScratch gives a list back, unless it grew beyond what a usual
// search needs (a collection-wide fallback ranks every chunk).
func putScratch(s *[]Scored) {
	if cap(*s) <= 1<<12 {
		scratches.Put(s)
	}
}

// FuseCandidates fuses the keyword ranking kw (best first) with vec, the
// vector scores of kw's own chunks in kw's order (a chunk without a
// vector left out), and returns the n best, best first (all of them for
// n < 0).
//
// Only the candidates at least as near the question as their median
// (vec's lower middle score) take part in the vector ranking: the others
// score its floor, as a chunk outside the vector ranking does in Fuse.
// The vector ranking used to be the collection's nearest chunks, so only
// candidates among those gained from their vector; min-max over all the
// candidates instead spread the vector's share over chunks that are not
// near at all, and cost 0.003 nDCG@10 on SciFact (train and test). The
// upper half of the candidates is the cut with no parameter to tune
// (SciFact train 0.7082 against 0.7079 before); higher cuts raise train a
// little more (0.7097 at the upper quarter, 0.7099 at the upper tenth)
// but move test both ways (0.6931, 0.6882), so no cut was tuned.
//
// The result is Fuse(kw, that upper half ranked best first, f, n), bit
// for bit, with no merge: every chunk of vec is in kw, so each keyword
// candidate gets its vector score added in place.
func FuseCandidates(kw, vec []Scored, f Fusion, n int) []Scored {
	if countIn(kw, vec) != len(vec) {
		panic("rank: FuseCandidates: the vector scores are not of the keyword candidates, in their order")
	}
	if len(vec) == 0 {
		return firstN(kw, n)
	}
	// out is scratch for the median first: every element is set below.
	out := make([]Scored, len(kw))
	floor := kthSmallest(out[:copy(out, vec)], (len(vec)-1)/2)
	wk, wv := 1-f.VectorWeight, f.VectorWeight
	switch f.Method {
	case FusionRRF:
		// Reciprocal ranks need the near half's positions by score, which
		// kw's order is not: rank[j] is vec[j]'s.
		order := make([]int, 0, len(vec))
		for j, s := range vec {
			if s.Score >= floor {
				order = append(order, j)
			}
		}
		slices.SortFunc(order, func(a, b int) int {
			switch {
			case better(vec[a], vec[b]):
				return -1
			case better(vec[b], vec[a]):
				return 1
			}
			return 0
		})
		rank := make([]int, len(vec))
		for r, j := range order {
			rank[j] = r
		}
		j := 0
		for r, s := range kw {
			out[r] = Scored{Chunk: s.Chunk, Score: wk / (f.RRFK + float64(r+1))}
			if j < len(vec) && vec[j].Chunk == s.Chunk {
				if vec[j].Score >= floor {
					out[r].Score += wv / (f.RRFK + float64(rank[j]+1))
				}
				j++
			}
		}
	case FusionWeighted:
		nk := minMax(kw)
		hi := floor
		for _, s := range vec {
			hi = max(hi, s.Score)
		}
		span := hi - floor
		j := 0
		for r, s := range kw {
			out[r] = Scored{Chunk: s.Chunk, Score: wk * nk(s.Score)}
			if j < len(vec) && vec[j].Chunk == s.Chunk {
				if x := vec[j].Score; x >= floor {
					v := 1.0
					if span > 0 {
						v = (x - floor) / span
					}
					out[r].Score += wv * v
				}
				j++
			}
		}
	default:
		unknownMethod(f)
	}
	return SelectBest(out, n)
}

// kthSmallest reorders s and returns its k-th smallest score (from 0):
// a selection in linear time on average, where sorting the scores to
// read their median was the largest cost of FuseCandidates.
func kthSmallest(s []Scored, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		pivot := s[lo+(hi-lo)/2].Score
		i, j := lo, hi
		for i <= j {
			for s[i].Score < pivot {
				i++
			}
			for s[j].Score > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		// s[lo:j+1] ≤ pivot ≤ s[i:hi+1], and whatever lies between
		// equals the pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k].Score
		}
	}
	return s[k].Score
}

// countIn is how many of vec's first chunks are in kw, in kw's order.
func countIn(kw, vec []Scored) int {
	j := 0
	for _, s := range kw {
		if j < len(vec) && vec[j].Chunk == s.Chunk {
			j++
		}
	}
	return j
}

// firstN is the n best of a list already best first.
func firstN(list []Scored, n int) []Scored {
	if n >= 0 && n < len(list) {
		return list[:n]
	}
	return list
}

// minMax returns the min-max normalisation of list's scores: its best 1,
// its worst 0, and 1 for all when they are equal.
func minMax(list []Scored) func(float64) float64 {
	if len(list) == 0 {
		return func(float64) float64 { return 0 }
	}
	lo, hi := list[0].Score, list[0].Score
	for _, s := range list[1:] {
		lo, hi = min(lo, s.Score), max(hi, s.Score)
	}
	span := hi - lo
	return func(x float64) float64 {
		if span > 0 {
			return (x - lo) / span
		}
		return 1
	}
}

func unknownMethod(f Fusion) {
	// Fuse has no error to return, and guessing would silently rank by
	// a method nobody chose: an unknown method is the caller's bug, one
	// Fusion.Validate reports.
	panic(fmt.Sprintf("rank: unknown fusion method %q (Fusion.Validate refuses it)", f.Method))
}

// better reports whether a ranks before b: the higher score, or the
// earlier chunk at equal scores, so that rankings are deterministic.
func better(a, b Scored) bool {
	return a.Score > b.Score || (a.Score == b.Score && a.Chunk < b.Chunk)
}

// SelectBest reorders s so that its n best come first, best first, and
// returns them (all of s for n < 0 or n ≥ len(s)). Only those n are
// sorted: a bounded heap of the n best (its root the weakest) keeps the
// rest at O(len(s)·log n) comparisons, most of them one against the root.
func SelectBest(s []Scored, n int) []Scored {
	if n < 0 || n > len(s) {
		n = len(s)
	}
	if n < len(s) {
		if n > 0 {
			heapBest(s[:n], s[n:])
		}
		s = s[:n]
	}
	slices.SortFunc(s, func(a, b Scored) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(a.Chunk, b.Chunk)
	})
	return s
}

// heapBest makes h (not empty) the best of h and rest, as a heap whose
// root, h[0], is the weakest of them; rest is read only.
func heapBest(h, rest []Scored) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftWorst(h, i)
	}
	for _, x := range rest {
		if better(x, h[0]) {
			h[0] = x
			siftWorst(h, 0)
		}
	}
}

// siftWorst moves h[i] down a heap whose root is its worst element.
func siftWorst(h []Scored, i int) {
	for {
		w := i
		if l := 2*i + 1; l < len(h) && better(h[w], h[l]) {
			w = l
		}
		if r := 2*i + 2; r < len(h) && better(h[w], h[r]) {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// FusionMethod names how Fuse combines two rankings. Its values are how
// the config file and JSON spell them.
type FusionMethod string

const (
	// FusionWeighted mixes min-max normalised scores linearly.
	FusionWeighted FusionMethod = "weighted"
	// FusionRRF is reciprocal-rank fusion with constant RRFK.
	FusionRRF FusionMethod = "rrf"
)

// Fusion says how keyword and vector rankings are combined.
type Fusion struct {
	Method       FusionMethod `yaml:"method" json:"method"`
	VectorWeight float64      `yaml:"vector_weight" json:"vector_weight"`
	RRFK         float64      `yaml:"rrf_k" json:"rrf_k"`
	// Candidates is how many chunks each ranking contributes before fusion.
	Candidates int `yaml:"candidates" json:"candidates"`
}

// DefaultFusion is the fusion measured best on SciFact train and the dev set.
var DefaultFusion = Fusion{Method: FusionWeighted, VectorWeight: 0.1, RRFK: 60, Candidates: 100}

// maxCandidates bounds Fusion.Candidates: every candidate is scored and
// fused on each search, and an answer uses at most a few dozen passages.
const maxCandidates = 10000

// Validate reports the first setting Fuse cannot use, naming it as the
// config file does (fusion.method …), in the file's order. The rules are
// the ones the CLI has always enforced, except that NaN is refused where
// it slipped past the range checks (it fails every comparison) and so is
// an infinite rrf_k, which would score every chunk 0.
func (f Fusion) Validate() error {
	switch f.Method {
	case FusionWeighted, FusionRRF:
	default:
		return fmt.Errorf("fusion.method must be %s or %s, got %q", FusionWeighted, FusionRRF, f.Method)
	}
	switch {
	case !(f.VectorWeight >= 0 && f.VectorWeight <= 1):
		return errors.New("fusion.vector_weight must be within [0, 1]")
	case !(f.RRFK > 0):
		return fmt.Errorf("fusion.rrf_k must be positive, got %v", f.RRFK)
	case math.IsInf(f.RRFK, 1):
		return fmt.Errorf("fusion.rrf_k must be finite, got %v", f.RRFK)
	case f.Candidates < 1 || f.Candidates > maxCandidates:
		return fmt.Errorf("fusion.candidates must be between 1 and %d, got %d", maxCandidates, f.Candidates)
	}
	return nil
}
