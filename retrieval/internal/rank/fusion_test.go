package rank

import (
	"encoding/json"
	"math"
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
		if got := chunks(Fuse(kw, vec, tt.f)); !slices.Equal(got, tt.want) {
			t.Errorf("Fuse(%+v) ranks %v, want %v", tt.f, got, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Fuse with an unknown method did not panic")
		}
	}()
	Fuse(kw, vec, Fusion{Method: "linear", VectorWeight: 0.5})
}
