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

// dot8 is the dot product unrolled by eight, measured against dotGo in
// BenchmarkDot and found no faster.
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

// The dot product, with AVX2 where the processor has it and in Go, is the
// plain loop's up to float32 rounding, at every length (the tails after
// the last block of 32, 8 or 4 included), and exactly it on integers,
// where no rounding happens.
func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 80 {
		a, b := make([]float32, n), make([]float32, n+r.IntN(3))
		ia, ib := make([]float32, n), make([]float32, n)
		var mag float64
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			ia[i], ib[i] = float32(r.IntN(21)-10), float32(r.IntN(21)-10)
			mag += math.Abs(float64(a[i]) * float64(b[i]))
		}
		for _, f := range []struct {
			name string
			dot  func(a, b []float32) float32
		}{{"dot", dot}, {"dotGo", dotGo}} {
			if got, want := f.dot(a, b), dotPlain(a, b); math.Abs(float64(got-want)) > 1e-5*(1+mag) {
				t.Errorf("length %d: %s %v, plain loop %v", n, f.name, got, want)
			}
			if got, want := f.dot(ia, ib), dotPlain(ia, ib); got != want {
				t.Errorf("length %d, integers: %s %v, plain loop %v", n, f.name, got, want)
			}
		}
		// Scores, and the answers that rank by them, are the same bits
		// with and without AVX2.
		if got, want := dot(a, b), dotGo(a, b); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("length %d: dot %v, dotGo %v: not the same bits", n, got, want)
		}
	}
}

// BenchmarkDot scores rows of 100 dimensions with each dot product: 1,000
// rows (in cache) and 20,000 (8 MB, more than the caches hold, as in a
// full scan).
func BenchmarkDot(b *testing.B) {
	const dim = 100
	for _, rows := range []int{1000, 20_000} {
		r := rand.New(rand.NewPCG(1, 2))
		data := make([]float32, dim*rows)
		for i := range data {
			data[i] = float32(r.NormFloat64())
		}
		q := data[:dim]
		for _, f := range []struct {
			name string
			dot  func(a, b []float32) float32
		}{{"dot", dot}, {"dotGo", dotGo}, {"unrolled8", dot8}, {"plain", dotPlain}} {
			b.Run(fmt.Sprintf("rows=%d/%s", rows, f.name), func(b *testing.B) {
				var sink float32
				for b.Loop() {
					for i := range rows {
						sink += f.dot(q, data[i*dim:(i+1)*dim])
					}
				}
				_ = sink
			})
		}
	}
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
					all = append(all, Scored{Chunk: i, Score: float64(dot(q, row))})
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
		{Chunk: 40, Score: float64(dotPlain(q, fv.Row(40)))},
		// Chunks 3 and 10 have no vector (randomFlat leaves out every seventh).
		{Chunk: 7, Score: float64(dotPlain(q, fv.Row(7)))},
		{Chunk: 11, Score: float64(dotPlain(q, fv.Row(11)))},
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
