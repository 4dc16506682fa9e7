package answer

import (
	"cmp"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
)

// modelJSON is the trained model's file, which the binary holds as data
// (model_builtin.go).
var modelJSON = func() []byte {
	b, err := os.ReadFile("model.json")
	if err != nil {
		panic(err)
	}
	return b
}()

// The model compiled into the binary is model.json, figure for figure,
// and passes the checks a model file must.
func TestBuiltinModelIsModelJSON(t *testing.T) {
	m, err := ParseModel(modelJSON)
	if err != nil {
		t.Fatalf("model.json: %v", err)
	}
	if !reflect.DeepEqual(m, DefaultModel()) {
		t.Fatal("model_builtin.go is not model.json: run go run ./tools/train")
	}
}

// walkedProb is Prob with the trees walked as data, as for any model
// but the built-in one.
func walkedProb(m *Model, x []float64) float64 {
	c := *m
	return c.Prob(x)
}

// The built-in model's trees written out as code (builtinLogOdds) give
// Prob exactly what walking them as data gives: at every threshold of
// every split, just below and above it, at infinities and NaN, and at
// random points.
func TestBuiltinLogOddsIsTrees(t *testing.T) {
	m := DefaultModel()
	if builtinLogOdds == nil {
		t.Skip("a model without trees")
	}
	var values [numFeatures][]float64
	for i := range values {
		values[i] = []float64{0, 1, -1, math.Inf(1), math.Inf(-1), math.NaN()}
	}
	for _, tree := range m.Trees {
		for _, n := range tree {
			if n.Feature >= 0 {
				values[n.Feature] = append(values[n.Feature], n.Threshold, math.Nextafter(n.Threshold, math.Inf(-1)), math.Nextafter(n.Threshold, math.Inf(1)))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, numFeatures)
	check := func() {
		t.Helper()
		if got, want := m.Prob(x), walkedProb(m, x); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Prob(%v) = %v, the trees walked give %v", x, got, want)
		}
	}
	// Each value of each feature, the others drawn from their values.
	for f := range values {
		for _, v := range values[f] {
			for range 20 {
				for i := range x {
					x[i] = values[i][r.IntN(len(values[i]))]
				}
				x[f] = v
				check()
			}
		}
	}
	for range 10000 {
		for i := range x {
			x[i] = r.Float64()*2 - 0.5
		}
		check()
	}
}

func TestDefaultModelReads(t *testing.T) {
	m := DefaultModel()
	if len(m.Trees) == 0 && len(m.Weights) == 0 {
		t.Fatal("the built-in model has neither trees nor weights")
	}
	for _, th := range []float64{m.Threshold, m.ForeignThreshold} {
		if th <= 0 || th >= 1 {
			t.Errorf("threshold %v: a model that always or never answers", th)
		}
	}
	if m.Trained == "" {
		t.Error("the model does not say how it was trained")
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name      string
		probs     []float64
		threshold float64
		quoted    []int
		conf      float64
		found     bool
	}{
		{"none", nil, 0.2, nil, 0, false},
		{"below the threshold", []float64{0.1, 0.15}, 0.2, nil, 0.15, false},
		{"best only", []float64{0.1, 0.9, 0.15}, 0.2, []int{1}, 0.9, true},
		{"runner-up too", []float64{0.3, 0.9, 0.15}, 0.2, []int{1, 0}, 0.9, true},
		{"ties go to the earlier", []float64{0.5, 0.5}, 0.6, nil, 0.5, false},
		{"ties go to the earlier, found", []float64{0.7, 0.7, 0.7}, 0.6, []int{0, 1}, 0.7, true},
		{"not a number counts as none", []float64{math.NaN(), 0.7}, 0.6, []int{1}, 0.7, true},
		{"only NaN", []float64{math.NaN()}, 0.6, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, c, f := Choose(tt.probs, tt.threshold, 2, nil)
			if !slices.Equal(q, tt.quoted) || c != tt.conf || f != tt.found {
				t.Errorf("Choose(%v, %v) = %v, %v, %v; want %v, %v, %v", tt.probs, tt.threshold, q, c, f, tt.quoted, tt.conf, tt.found)
			}
		})
	}
}

func TestChooseMost(t *testing.T) {
	probs := []float64{0.5, 0.9, 0.7, 0.1}
	for most, want := range map[int][]int{0: {1}, 1: {1}, 2: {1, 2}, 3: {1, 2, 0}} {
		if q, _, _ := Choose(probs, 0.3, most, nil); !slices.Equal(q, want) {
			t.Errorf("Choose(most %d) = %v, want %v", most, q, want)
		}
	}
	// 2 overlaps 1, the best: 0 is quoted in its place.
	overlap := func(i, j int) bool { return i+j == 3 }
	if q, _, _ := Choose(probs, 0.3, 2, overlap); !slices.Equal(q, []int{1, 0}) {
		t.Errorf("Choose with overlaps = %v, want [1 0]", q)
	}
}

func TestParseModelRejects(t *testing.T) {
	names := `["` + joinNames() + `"]`
	tests := map[string]string{
		"not JSON":             `{`,
		"other features":       `{"features":["own"],"mean":[0],"scale":[1],"weights":[1],"threshold":0.5}`,
		"short weights":        `{"features":` + names + `,"weights":[1],"threshold":0.5}`,
		"threshold above 1":    `{"features":` + names + `,"trees":[[{"f":-1,"v":1}]],"threshold":2}`,
		"looping tree":         `{"features":` + names + `,"trees":[[{"f":0,"t":1,"l":0,"r":0}]],"threshold":0.5}`,
		"feature out of range": `{"features":` + names + `,"trees":[[{"f":999,"t":1,"l":1,"r":2},{"f":-1},{"f":-1}]],"threshold":0.5}`,
		"empty tree":           `{"features":` + names + `,"trees":[[]],"threshold":0.5}`,
	}
	for name, in := range tests {
		if _, err := ParseModel([]byte(in)); err == nil {
			t.Errorf("%s: ParseModel accepted %s", name, in)
		}
	}
}

func joinNames() string {
	s := ""
	for i, n := range featureNames {
		if i > 0 {
			s += `","`
		}
		s += n
	}
	return s
}

// FuzzParseModel: whatever a model file holds, ParseModel refuses it or
// gives a model whose probabilities are numbers in [0, 1], in bounded time.
func FuzzParseModel(f *testing.F) {
	f.Add(modelJSON)
	names := `["` + joinNames() + `"]`
	f.Add([]byte(`{"features":` + names + `,"trees":[[{"f":3,"t":0.5,"l":1,"r":2},{"f":-1,"v":-1},{"f":-1,"v":1}]],"threshold":0.3,"foreign_threshold":0.3}`))
	f.Add([]byte(`{"features":` + names + `,"trees":[[{"f":1,"t":0.5,"l":2,"r":1}]],"threshold":0.3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseModel(b)
		if err != nil {
			return
		}
		for _, x := range [][]float64{make([]float64, numFeatures), filled(math.Inf(1)), filled(-1e300), filled(math.NaN())} {
			if p := m.Prob(x); !(p >= 0 && p <= 1) && !math.IsNaN(x[0]) {
				t.Fatalf("Prob = %v", p)
			}
		}
	})
}

func filled(v float64) []float64 {
	x := make([]float64, numFeatures)
	for i := range x {
		x[i] = v
	}
	return x
}

// chooseBefore is Choose as it was, every candidate sorted.
func chooseBefore(probs []float64, threshold float64, most int, overlap func(i, j int) bool) (quoted []int, confidence float64, found bool) {
	order := make([]int, 0, len(probs))
	for i, p := range probs {
		if !math.IsNaN(p) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(probs[b], probs[a]) })
	if len(order) == 0 {
		return nil, 0, false
	}
	confidence = probs[order[0]]
	if !(confidence >= threshold) {
		return nil, confidence, false
	}
	for _, i := range order {
		if len(quoted) == max(most, 1) || probs[i] < threshold {
			break
		}
		if overlap != nil && slices.ContainsFunc(quoted, func(j int) bool { return overlap(i, j) }) {
			continue
		}
		quoted = append(quoted, i)
	}
	return quoted, confidence, true
}

// Choose quotes what it quoted when it sorted every candidate: with ties,
// NaN, overlaps, thresholds at and between the probabilities.
func TestChooseAsBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	levels := []float64{0, 0.1, 0.25, 0.3, 0.5, 0.9, 1, math.NaN()}
	for range 20000 {
		probs := make([]float64, r.IntN(12))
		for i := range probs {
			if r.IntN(2) == 0 {
				probs[i] = levels[r.IntN(len(levels))]
			} else {
				probs[i] = r.Float64()
			}
		}
		threshold := levels[r.IntN(len(levels)-1)]
		if r.IntN(3) == 0 && len(probs) > 0 {
			threshold = probs[r.IntN(len(probs))]
		}
		most := r.IntN(4)
		seed := r.Uint64()
		overlap := func(i, j int) bool { return (uint64(i*31+j*17)^seed)%5 == 0 }
		if r.IntN(4) == 0 {
			overlap = nil
		}
		gq, gc, gf := Choose(probs, threshold, most, overlap)
		wq, wc, wf := chooseBefore(probs, threshold, most, overlap)
		if !slices.Equal(gq, wq) || math.Float64bits(gc) != math.Float64bits(wc) || gf != wf {
			t.Fatalf("Choose(%v, %v, %d) = %v %v %v, before %v %v %v", probs, threshold, most, gq, gc, gf, wq, wc, wf)
		}
	}
}
