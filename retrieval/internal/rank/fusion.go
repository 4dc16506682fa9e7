package rank

import (
	"math"
)

// normalize returns v scaled to unit length: stored vectors are unit
// length, so the dot product is the cosine similarity.
func Normalize(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.Abs(sum-1) < 1e-6 {
		return v
	}
	inv := float32(1 / math.Sqrt(sum))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// fuse combines two rankings. Weighted fusion min-max normalises each list
// so that neither scale dominates; a chunk missing from a list scores that
// list's floor there.
func Fuse(kw, vec []Scored, f Fusion) []Scored {
	if len(vec) == 0 {
		return kw
	}
	acc := make(map[int]float64, len(kw)+len(vec))
	switch f.Method {
	case "rrf":
		for r, s := range kw {
			acc[s.Chunk] += (1 - f.VectorWeight) / (f.RRFK + float64(r+1))
		}
		for r, s := range vec {
			acc[s.Chunk] += f.VectorWeight / (f.RRFK + float64(r+1))
		}
	default:
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
	}
	out := make([]Scored, 0, len(acc))
	for c, s := range acc {
		out = append(out, Scored{Chunk: c, Score: s})
	}
	return topN(out, len(out))
}

// Fusion says how keyword and vector rankings are combined.
type Fusion struct {
	// Method is "weighted" (min-max normalised scores, linearly mixed) or
	// "rrf" (reciprocal-rank fusion with constant RRFK).
	Method       string  `yaml:"method" json:"method"`
	VectorWeight float64 `yaml:"vector_weight" json:"vector_weight"`
	RRFK         float64 `yaml:"rrf_k" json:"rrf_k"`
	// Candidates is how many chunks each ranking contributes before fusion.
	Candidates int `yaml:"candidates" json:"candidates"`
}

// DefaultFusion is the fusion measured best on SciFact train and the dev set.
var DefaultFusion = Fusion{Method: "weighted", VectorWeight: 0.1, RRFK: 60, Candidates: 100}
