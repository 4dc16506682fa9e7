package rank

import (
	"errors"
	"fmt"
	"math"
)

// Fuse combines two rankings. Weighted fusion min-max normalises each list
// so that neither scale dominates; a chunk missing from a list scores that
// list's floor there. f must pass Validate: an unknown method panics.
func Fuse(kw, vec []Scored, f Fusion) []Scored {
	if len(vec) == 0 {
		return kw
	}
	acc := make(map[int]float64, len(kw)+len(vec))
	switch f.Method {
	case FusionRRF:
		for r, s := range kw {
			acc[s.Chunk] += (1 - f.VectorWeight) / (f.RRFK + float64(r+1))
		}
		for r, s := range vec {
			acc[s.Chunk] += f.VectorWeight / (f.RRFK + float64(r+1))
		}
	case FusionWeighted:
		add := func(list []Scored, w float64) {
			if len(list) == 0 {
				return
			}
			hi, lo := list[0].Score, list[len(list)-1].Score
			span := hi - lo
			for _, s := range list {
				v := 1.0
				if span > 0 {
					v = (s.Score - lo) / span
				}
				acc[s.Chunk] += w * v
			}
		}
		add(kw, 1-f.VectorWeight)
		add(vec, f.VectorWeight)
	default:
		// Fuse has no error to return, and guessing would silently rank by
		// a method nobody chose: an unknown method is the caller's bug,
		// one Fusion.Validate reports.
		panic(fmt.Sprintf("rank: unknown fusion method %q (Fusion.Validate refuses it)", f.Method))
	}
	out := make([]Scored, 0, len(acc))
	for c, s := range acc {
		out = append(out, Scored{Chunk: c, Score: s})
	}
	return topN(out, len(out))
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
