package rank

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestFusionValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	with := func(edit func(f *Fusion)) Fusion {
		f := DefaultFusion
		edit(&f)
		return f
	}
	tests := []struct {
		name string
		f    Fusion
		want string // "" for valid
	}{
		{"defaults", DefaultFusion, ""},
		{"rrf", with(func(f *Fusion) { f.Method = FusionRRF }), ""},
		{"keywords only", with(func(f *Fusion) { f.VectorWeight = 0 }), ""},
		{"vectors only", with(func(f *Fusion) { f.VectorWeight = 1 }), ""},
		{"one candidate", with(func(f *Fusion) { f.Candidates = 1 }), ""},
		{"most candidates", with(func(f *Fusion) { f.Candidates = 10000 }), ""},
		{"small rrf_k", with(func(f *Fusion) { f.RRFK = 0.001 }), ""},
		{"empty method", with(func(f *Fusion) { f.Method = "" }), `fusion.method must be weighted or rrf, got ""`},
		{"unknown method", with(func(f *Fusion) { f.Method = "RRF" }), `fusion.method must be weighted or rrf, got "RRF"`},
		{"negative vector weight", with(func(f *Fusion) { f.VectorWeight = -0.1 }), "fusion.vector_weight must be within [0, 1]"},
		{"vector weight above 1", with(func(f *Fusion) { f.VectorWeight = 1.1 }), "fusion.vector_weight must be within [0, 1]"},
		{"NaN vector weight", with(func(f *Fusion) { f.VectorWeight = nan }), "fusion.vector_weight must be within [0, 1]"},
		{"zero rrf_k", with(func(f *Fusion) { f.RRFK = 0 }), "fusion.rrf_k must be positive, got 0"},
		{"negative rrf_k", with(func(f *Fusion) { f.RRFK = -60 }), "fusion.rrf_k must be positive, got -60"},
		{"NaN rrf_k", with(func(f *Fusion) { f.RRFK = nan }), "fusion.rrf_k must be positive, got NaN"},
		{"infinite rrf_k", with(func(f *Fusion) { f.RRFK = inf }), "fusion.rrf_k must be finite, got +Inf"},
		{"no candidates", with(func(f *Fusion) { f.Candidates = 0 }), "fusion.candidates must be between 1 and 10000, got 0"},
		{"too many candidates", with(func(f *Fusion) { f.Candidates = 10001 }), "fusion.candidates must be between 1 and 10000, got 10001"},
		{"zero value", Fusion{}, `fusion.method must be weighted or rrf, got ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.f.Validate(), tt.want)
		})
	}
}

// The method's spellings in the config file and JSON are the ones users
// have always written.
func TestFusionMethodSpelling(t *testing.T) {
	for _, m := range []FusionMethod{FusionWeighted, FusionRRF} {
		var y Fusion
		if err := yaml.Unmarshal([]byte("method: "+string(m)), &y); err != nil || y.Method != m {
			t.Errorf("yaml method %s: got %q, %v", m, y.Method, err)
		}
		b, err := json.Marshal(Fusion{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		var j map[string]any
		if err := json.Unmarshal(b, &j); err != nil || j["method"] != string(m) {
			t.Errorf("json method %s: got %s, %v", m, b, err)
		}
	}
}

// Each method ranks as it always has, and a method Validate refuses is
// never taken for one of them.
func TestFuseMethods(t *testing.T) {
	kw := []Scored{{Chunk: 1, Score: 9}, {Chunk: 2, Score: 5}, {Chunk: 3, Score: 1}}
	vec := []Scored{{Chunk: 3, Score: 0.9}, {Chunk: 4, Score: 0.8}, {Chunk: 1, Score: 0.1}}
	chunks := func(s []Scored) []int {
		var out []int
		for _, x := range s {
			out = append(out, x.Chunk)
		}
		return out
	}
	tests := []struct {
		f    Fusion
		want []int
	}{
		// weighted, 0.5: 1 = 0.5, 2 = 0.25, 3 = 0.5, 4 = 0.5·(0.7/0.8)
		{Fusion{Method: FusionWeighted, VectorWeight: 0.5}, []int{1, 3, 4, 2}},
		// rrf, k 1: 1 = ½·½ + ½·¼, 3 = ½·¼ + ½·½, 2 = ½·⅓, 4 = ½·⅓
		{Fusion{Method: FusionRRF, VectorWeight: 0.5, RRFK: 1}, []int{1, 3, 2, 4}},
		{Fusion{Method: FusionWeighted, VectorWeight: 0.1}, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if got := chunks(Fuse(kw, vec, tt.f, -1)); !slices.Equal(got, tt.want) {
			t.Errorf("Fuse(%+v) ranks %v, want %v", tt.f, got, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Fuse with an unknown method did not panic")
		}
	}()
	Fuse(kw, vec, Fusion{Method: "linear", VectorWeight: 0.5}, -1)
}

// fuseMap is Fuse as it was, through a map and a sort of everything: the
// oracle the merge by chunk is held to, and BenchmarkFuse's comparison.
func fuseMap(kw, vec []Scored, f Fusion) []Scored {
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
	}
	out := make([]Scored, 0, len(acc))
	for c, s := range acc {
		out = append(out, Scored{Chunk: c, Score: s})
	}
	slices.SortFunc(out, func(a, b Scored) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(a.Chunk, b.Chunk)
	})
	return out
}

// randomRanking is up to max chunks drawn from [0, ids), best first, with
// scores on a coarse grid so that ties are common.
func randomRanking(r *rand.Rand, max, ids int, scale float64) []Scored {
	list := make([]Scored, 0, max)
	for _, c := range r.Perm(ids)[:r.IntN(min(max, ids)+1)] {
		list = append(list, Scored{Chunk: c, Score: scale * float64(r.IntN(20))})
	}
	return sortedBest(list)
}

func sortedBest(list []Scored) []Scored {
	slices.SortFunc(list, func(a, b Scored) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(a.Chunk, b.Chunk)
	})
	return list
}

var testFusions = []Fusion{
	{Method: FusionWeighted, VectorWeight: 0.1},
	{Method: FusionWeighted, VectorWeight: 0.5},
	{Method: FusionWeighted, VectorWeight: 1},
	{Method: FusionWeighted, VectorWeight: 0},
	{Method: FusionRRF, VectorWeight: 0.1, RRFK: 60},
	{Method: FusionRRF, VectorWeight: 0.7, RRFK: 1},
}

// cut is the first n of list (all for n < 0).
func cut(list []Scored, n int) []Scored {
	if n >= 0 && n < len(list) {
		return list[:n]
	}
	return list
}

// The merge by chunk ranks exactly as the map did: the same chunks, the
// same order, the same float64 scores, for every method and every n.
func TestFuseMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		ids := 1 + r.IntN(400)
		kw := randomRanking(r, 300, ids, 1.7)
		vec := randomRanking(r, 300, ids, 0.05)
		for _, f := range testFusions {
			want := fuseMap(kw, vec, f)
			for _, n := range []int{-1, 0, 1, 5, 15, len(want), len(want) + 3} {
				got := Fuse(kw, vec, f, n)
				sameRanking(t, fmt.Sprintf("case %d %+v n=%d", i, f, n), got, cut(want, n))
			}
		}
	}
}

// nearHalf is what FuseCandidates fuses: the candidates' vector scores at
// or above their median, ranked best first, as a vector search would list
// them.
func nearHalf(vec []Scored) []Scored {
	if len(vec) == 0 {
		return nil
	}
	scores := make([]float64, len(vec))
	for i, s := range vec {
		scores[i] = s.Score
	}
	slices.Sort(scores)
	floor := scores[(len(scores)-1)/2]
	var out []Scored
	for _, s := range vec {
		if s.Score >= floor {
			out = append(out, s)
		}
	}
	return sortedBest(out)
}

// FuseCandidates is Fuse of the keyword candidates and the near half of
// their vector scores, bit for bit.
func TestFuseCandidatesMatchesFuse(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 2000 {
		kw := randomRanking(r, 300, 1+r.IntN(5000), 1.3)
		// Vector scores for most candidates, in the candidates' order; a
		// few chunks have no vector.
		var vec []Scored
		for _, s := range kw {
			if r.IntN(10) > 0 {
				vec = append(vec, Scored{Chunk: s.Chunk, Score: float64(r.IntN(40)) / 40})
			}
		}
		for _, f := range testFusions {
			want := fuseMap(kw, nearHalf(vec), f)
			for _, n := range []int{-1, 0, 1, 5, 15, len(kw)} {
				sameRanking(t, fmt.Sprintf("case %d %+v n=%d", i, f, n), FuseCandidates(kw, vec, f, n), cut(want, n))
			}
		}
	}
}

func TestFuseCandidatesRefusesOtherChunks(t *testing.T) {
	kw := []Scored{{Chunk: 4, Score: 3}, {Chunk: 2, Score: 2}, {Chunk: 9, Score: 1}}
	for _, vec := range [][]Scored{
		{{Chunk: 5, Score: 1}},                       // not a candidate
		{{Chunk: 9, Score: 1}, {Chunk: 4, Score: 1}}, // out of order
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FuseCandidates(%v) did not panic", vec)
				}
			}()
			FuseCandidates(kw, vec, DefaultFusion, -1)
		}()
	}
}

// SelectBest keeps the n best in the order a full sort gives them.
func TestSelectBest(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 3000 {
		s := make([]Scored, r.IntN(200))
		for j := range s {
			s[j] = Scored{Chunk: r.IntN(1000), Score: float64(r.IntN(15))}
		}
		want := sortedBest(slices.Clone(s))
		for _, n := range []int{-1, 0, 1, 2, 7, len(s) / 2, len(s), len(s) + 1} {
			got := SelectBest(slices.Clone(s), n)
			if !slices.Equal(got, cut(want, n)) {
				t.Fatalf("case %d, n=%d: %v, want %v", i, n, got, cut(want, n))
			}
		}
	}
}

// BenchmarkFuse fuses rankings of the sizes a search fuses: the default
// 100 candidates (Search) and 300 (SearchDocuments for 100 documents),
// through the map as before, the merge by chunk, and the candidates'
// own vector scores.
func BenchmarkFuse(b *testing.B) {
	for _, size := range []int{100, 300} {
		r := rand.New(rand.NewPCG(11, 12))
		kw := make([]Scored, size)
		for i, c := range r.Perm(20_000)[:size] {
			kw[i] = Scored{Chunk: c, Score: 20 * r.Float64()}
		}
		kw = sortedBest(kw)
		vec := make([]Scored, size)
		for i, c := range r.Perm(20_000)[:size] {
			vec[i] = Scored{Chunk: c, Score: r.Float64()}
		}
		vec = sortedBest(vec)
		for i := range size / 3 { // a third of the vector ranking among the candidates
			vec[3*i].Chunk = kw[i].Chunk
		}
		own := make([]Scored, size)
		for i, s := range kw {
			own[i] = Scored{Chunk: s.Chunk, Score: r.Float64()}
		}
		f := DefaultFusion
		b.Run(fmt.Sprintf("candidates=%d/map", size), func(b *testing.B) {
			for b.Loop() {
				fuseMap(kw, vec, f)
			}
		})
		for _, n := range []int{15, -1} {
			b.Run(fmt.Sprintf("candidates=%d/merge/n=%d", size, n), func(b *testing.B) {
				for b.Loop() {
					Fuse(kw, vec, f, n)
				}
			})
			b.Run(fmt.Sprintf("candidates=%d/candidates/n=%d", size, n), func(b *testing.B) {
				for b.Loop() {
					FuseCandidates(kw, own, f, n)
				}
			})
		}
	}
}

// kthSmallest finds what sorting finds, with many equal scores or none.
func TestKthSmallest(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for i := range 3000 {
		s := make([]Scored, 1+r.IntN(100))
		levels := 1 + r.IntN(len(s)*2)
		for j := range s {
			s[j].Score = float64(r.IntN(levels))
		}
		sorted := make([]float64, len(s))
		for j, x := range s {
			sorted[j] = x.Score
		}
		slices.Sort(sorted)
		k := r.IntN(len(s))
		if got := kthSmallest(s, k); got != sorted[k] {
			t.Fatalf("case %d: kthSmallest(%d) = %v, sorting gives %v", i, k, got, sorted[k])
		}
	}
}
