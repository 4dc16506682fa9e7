package rank

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/philippgille/chromem-go"
)

// A row set from a fresh vector must hold the bits of the row set from
// chromem-go's copy of it, read back from a segment.
func TestUnitVectorIsChromemGos(t *testing.T) {
	ctx := context.Background()
	noEmbedding := func(context.Context, string) ([]float32, error) { return nil, fmt.Errorf("no embedding") }
	coll, err := chromem.NewDB().CreateCollection("c", nil, noEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		v := make([]float32, 100)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		id := fmt.Sprint(i)
		if err := coll.AddDocument(ctx, chromem.Document{ID: id, Embedding: v, Content: "x"}); err != nil {
			t.Fatal(err)
		}
		d, err := coll.GetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := UnitVector(v); !slices.Equal(got, d.Embedding) {
			t.Fatalf("vector %d: UnitVector differs from chromem-go's stored copy", i)
		}
		if got := UnitVector(d.Embedding); !slices.Equal(got, d.Embedding) {
			t.Fatalf("vector %d: UnitVector changes chromem-go's stored copy", i)
		}
	}
}

// dotPlain is the dot product in one running sum, the reference the
// unrolled one is held to.
func dotPlain(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// dot8 is the dot product unrolled by eight, measured in BenchmarkDot
// (on float32 rows it was no faster than the Go fallback's four sums).
func dot8(a, b []float32) float32 {
	b = b[:len(a)]
	var s [8]float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s[0] += aa[0] * bb[0]
		s[1] += aa[1] * bb[1]
		s[2] += aa[2] * bb[2]
		s[3] += aa[3] * bb[3]
		s[4] += aa[4] * bb[4]
		s[5] += aa[5] * bb[5]
		s[6] += aa[6] * bb[6]
		s[7] += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s[0] += a[i] * b[i]
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// The dot product of a query and a row of integers, with AVX2 where the
// processor has it and in Go, is the plain loop's over the integers as
// float32, up to float32 rounding, at every length (the tails after the
// last block of 32 or 8 included), and exactly it on integer queries,
// where no rounding happens. With and without AVX2 it has the same bits.
func TestDotInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 80 {
		a, ia := make([]float32, n), make([]float32, n)
		b := make([]int8, n+r.IntN(3))
		for i := range b {
			b[i] = int8(r.IntN(255) - 127)
		}
		var mag float64
		for i := range a {
			a[i], ia[i] = float32(r.NormFloat64()), float32(r.IntN(21)-10)
			mag += math.Abs(float64(a[i]) * float64(b[i]))
		}
		fb := Dequantize(b[:n], 1)
		for _, f := range []struct {
			name string
			dot  func(a []float32, b []int8) float32
		}{{"dotInt8", dotInt8}, {"dotInt8Go", dotInt8Go}} {
			if got, want := f.dot(a, b), dotPlain(a, fb); math.Abs(float64(got-want)) > 1e-5*(1+mag) {
				t.Errorf("length %d: %s %v, plain loop %v", n, f.name, got, want)
			}
			if got, want := f.dot(ia, b), dotPlain(ia, fb); got != want {
				t.Errorf("length %d, integers: %s %v, plain loop %v", n, f.name, got, want)
			}
		}
		if got, want := dotInt8(a, b), dotInt8Go(a, b); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("length %d: dotInt8 %v, dotInt8Go %v: not the same bits", n, got, want)
		}
	}
}

// Quantizing what dequantizing gave returns the same integers and scale,
// for random unit vectors and for every scale of one binade (the scale's
// fix-up, one step down, always finds one that round-trips); the largest
// component becomes ±127 and each is within half a step of its value.
func TestQuantizeRoundTrips(t *testing.T) {
	for m := uint32(0); m < 1<<23; m++ {
		s := math.Float32frombits(127<<23 | m)
		if !scaleRoundTrips(s) && !scaleRoundTrips(math.Nextafter32(s, 0)) {
			t.Fatalf("neither %v nor the float32 below it round-trips", s)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for n := 1; n < 3000; n++ {
		v := make([]float32, 1+n%130)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		v = UnitVector(v)
		q := make([]int8, len(v))
		s := Quantize(q, v)
		big := false
		for j, x := range q {
			big = big || x == 127 || x == -127
			if d := math.Abs(float64(v[j]) - float64(x)*float64(s)); d > float64(s)*0.5001 {
				t.Fatalf("component %v quantized to %d × %v", v[j], x, s)
			}
		}
		if !big {
			t.Fatalf("%v: no component at ±127", q)
		}
		q2 := make([]int8, len(v))
		if s2 := Quantize(q2, Dequantize(q, s)); s2 != s || !slices.Equal(q2, q) {
			t.Fatalf("quantized again: scale %v, %v; first %v, %v", s2, q2, s, q)
		}
	}
	q := []int8{5, 5}
	if s := Quantize(q, []float32{0, 0}); s != 0 || q[0] != 0 || q[1] != 0 {
		t.Errorf("the zero vector: scale %v, %v", s, q)
	}
	if s := Quantize(q, []float32{float32(math.NaN()), 0.5}); q[0] != 0 || q[1] != 127 || s == 0 {
		t.Errorf("a NaN component: scale %v, %v", s, q)
	}
}

// BenchmarkDot scores rows of 100 dimensions: 1,000 rows (in cache) and
// 20,000 (more than the caches hold, as in a full scan), int8 rows with
// and without AVX2 beside float32 rows in a plain and an unrolled loop.
func BenchmarkDot(b *testing.B) {
	const dim = 100
	for _, rows := range []int{1000, 20_000} {
		r := rand.New(rand.NewPCG(1, 2))
		data := make([]float32, dim*rows)
		for i := range data {
			data[i] = float32(r.NormFloat64())
		}
		ints := make([]int8, len(data))
		for i := range rows {
			Quantize(ints[i*dim:(i+1)*dim], data[i*dim:(i+1)*dim])
		}
		q := data[:dim]
		for _, f := range []struct {
			name string
			dot  func(i int) float32
		}{
			{"dotInt8", func(i int) float32 { return dotInt8(q, ints[i*dim:(i+1)*dim]) }},
			{"dotInt8Go", func(i int) float32 { return dotInt8Go(q, ints[i*dim:(i+1)*dim]) }},
			{"float32/unrolled8", func(i int) float32 { return dot8(q, data[i*dim:(i+1)*dim]) }},
			{"float32/plain", func(i int) float32 { return dotPlain(q, data[i*dim:(i+1)*dim]) }},
		} {
			b.Run(fmt.Sprintf("rows=%d/%s", rows, f.name), func(b *testing.B) {
				var sink float32
				for b.Loop() {
					for i := range rows {
						sink += f.dot(i)
					}
				}
				_ = sink
			})
		}
	}
}

// rowScore is the score Search gives a row: the row (as Row returns it)
// quantized again.
func rowScore(q, row []float32) float64 {
	ints := make([]int8, len(row))
	s := Quantize(ints, row)
	return float64(dotInt8(q, ints) * s)
}

// randomFlat is rows unit vectors of dim dimensions, every seventh row
// without one.
func randomFlat(t testing.TB, r *rand.Rand, rows, dim int) *FlatVectors {
	fv := &FlatVectors{Valid: make([]bool, rows)}
	for i := range rows {
		if i%7 == 3 {
			continue
		}
		v := make([]float32, dim)
		for j := range v {
			// A coarse grid, so that some rows tie.
			v[j] = float32(r.IntN(5) - 2)
		}
		if err := fv.Set(i, v); err != nil {
			t.Fatal(err)
		}
	}
	return fv
}

// Search is the exhaustive ranking of every row, cut to n: one part or
// several (above 4,096 rows a part each core), with ties, and with n
// beyond the rows that have vectors.
func TestFlatSearchMatchesExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, rows := range []int{1, 10, 300, 9000} {
		fv := randomFlat(t, r, rows, 12)
		for range 5 {
			q := UnitVector(randomFlat(t, r, 1, 12).Row(0))
			var all []Scored
			for i := range rows {
				if row := fv.Row(i); row != nil {
					all = append(all, Scored{Chunk: i, Score: rowScore(q, row)})
				}
			}
			all = sortedBest(all)
			for _, n := range []int{1, 5, 100, rows + 10} {
				sameRanking(t, fmt.Sprintf("rows %d, n=%d", rows, n), fv.Search(q, n), cut(all, n))
			}
		}
	}
}

// SearchByChunk returns Search's chunks and scores, bit for bit, in
// chunk order, and weighted fusion of either ranks the same: with ties
// (randomFlat's grid), below and above the rows scored in one list, and
// with n beyond the rows that have vectors.
func TestSearchByChunkIsSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	f := Fusion{Method: FusionWeighted, VectorWeight: 0.3}
	for _, rows := range []int{1, 10, 122, 300, 9000} {
		fv := randomFlat(t, r, rows, 12)
		for range 5 {
			q := UnitVector(randomFlat(t, r, 1, 12).Row(0))
			// A keyword ranking of every third row, best first.
			var kw []Scored
			for i := 0; i < rows; i += 3 {
				kw = append(kw, Scored{Chunk: i, Score: float64(r.IntN(4))})
			}
			kw = sortedBest(kw)
			for _, n := range []int{1, 5, 100, rows*3/4 + 1, max(1, rows-1), rows + 10} {
				want := fv.Search(q, n)
				fused := Fuse(kw, want, f, 20)
				want = slices.Clone(want)
				slices.SortFunc(want, byChunk)
				got := fv.SearchByChunk(q, n)
				if !slices.Equal(got, want) {
					t.Fatalf("rows %d, n=%d: SearchByChunk = %v, Search's by chunk %v", rows, n, got, want)
				}
				if got := Fuse(kw, got, f, 20); !slices.Equal(got, fused) {
					t.Fatalf("rows %d, n=%d: fused %v, from Search %v", rows, n, got, fused)
				}
				// FuseNearest, the keyword ranking in chunk order.
				byChunkKW := slices.Clone(kw)
				slices.SortFunc(byChunkKW, byChunk)
				if got := FuseNearest(byChunkKW, fv, q, n, f, 20); !slices.Equal(got, fused) {
					t.Fatalf("rows %d, n=%d: FuseNearest %v, from Search %v", rows, n, got, fused)
				}
			}
		}
	}
}

// FuseNearest over a collection without vectors is the keyword ranking's
// best, as Fuse gives them with no vector ranking.
func TestFuseNearestWithoutVectors(t *testing.T) {
	kw := []Scored{{Chunk: 4, Score: 1}, {Chunk: 1, Score: 3}, {Chunk: 7, Score: 3}, {Chunk: 2, Score: 2}}
	fv := &FlatVectors{Valid: make([]bool, 10)}
	q := []float32{1, 0}
	want := Fuse(sortedBest(slices.Clone(kw)), nil, DefaultFusion, 3)
	if got := FuseNearest(slices.Clone(kw), fv, q, 100, DefaultFusion, 3); !slices.Equal(got, want) {
		t.Fatalf("FuseNearest = %v, want %v", got, want)
	}
}

// ScoreChunks scores the chunks it is given, in their order, as Search
// scores them, and leaves out those without a vector.
func TestScoreChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	fv := randomFlat(t, r, 50, 9)
	q := UnitVector(randomFlat(t, r, 1, 9).Row(0))
	list := []Scored{{Chunk: 40, Score: 9}, {Chunk: 3, Score: 8}, {Chunk: 7, Score: 7}, {Chunk: 10, Score: 2}, {Chunk: 11, Score: 1}}
	want := []Scored{
		{Chunk: 40, Score: rowScore(q, fv.Row(40))},
		// Chunks 3 and 10 have no vector (randomFlat leaves out every seventh).
		{Chunk: 7, Score: rowScore(q, fv.Row(7))},
		{Chunk: 11, Score: rowScore(q, fv.Row(11))},
	}
	got := fv.ScoreChunks(q, list)
	if len(got) != len(want) {
		t.Fatalf("ScoreChunks = %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Chunk != want[i].Chunk || math.Abs(got[i].Score-want[i].Score) > 1e-6 {
			t.Fatalf("ScoreChunks = %v, want %v", got, want)
		}
	}
	if got := fv.ScoreChunks(q[:8], list); got != nil {
		t.Errorf("a query of another dimension scored %v", got)
	}
}
