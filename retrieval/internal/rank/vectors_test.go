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

// The dot product of a query and a half-precision row, with AVX2 where
// the processor has it and in Go, is the plain loop's over the row read
// back as float32, up to float32 rounding, at every length (the tails
// after the last block of 32 or 8 included), and exactly it on integers,
// where no rounding happens. With and without AVX2 it has the same bits.
func TestDotHalf(t *testing.T) {
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
		hb, hib := make([]uint16, len(b)), make([]uint16, n)
		toHalves(hb, b)
		toHalves(hib, ib)
		for _, f := range []struct {
			name string
			dot  func(a []float32, b []uint16) float32
		}{{"dotHalf", dotHalf}, {"dotHalfGo", dotHalfGo}} {
			if got, want := f.dot(a, hb), dotPlain(a, fromHalves(hb)); math.Abs(float64(got-want)) > 1e-5*(1+mag) {
				t.Errorf("length %d: %s %v, plain loop %v", n, f.name, got, want)
			}
			if got, want := f.dot(ia, hib), dotPlain(ia, ib); got != want {
				t.Errorf("length %d, integers: %s %v, plain loop %v", n, f.name, got, want)
			}
		}
		if got, want := dotHalf(a, hb), dotHalfGo(a, hb); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("length %d: dotHalf %v, dotHalfGo %v: not the same bits", n, got, want)
		}
	}
}

// Every half converts to float32 exactly and back to itself; a float32
// rounds to the nearest half, ties to even, in Go as with F16C, for
// random bit patterns and the edges: zeros, the subnormal range and its
// ties, the largest half and the overflow to infinity, infinities, NaNs.
func TestHalves(t *testing.T) {
	for h := range 1 << 16 {
		f := fromHalf(uint16(h))
		want := halfValue(uint16(h))
		nan := math.IsNaN(want) && f != f
		if !nan && (f != float32(want) || math.Signbit(float64(f)) != math.Signbit(want)) {
			t.Fatalf("fromHalf(%#04x) = %v, want %v", h, f, want)
		}
		if back := toHalf(f); back != uint16(h) && !(math.IsNaN(want) && back == uint16(h)|0x200) {
			t.Fatalf("toHalf(fromHalf(%#04x)) = %#04x", h, back)
		}
	}
	edges := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65519.99, 65520, -65520, 1e9,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc12345),
		0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 0x1.8p-24, 0x1.4p-24, 0x1.cp-24, 0x1p-14, 0x1.ffcp-15, 0x1.ffep-15, 0x1.fffp-15,
		1 + 0x1p-11, 1 + 0x3p-11, 1 + 0x1p-11 + 0x1p-23, math.SmallestNonzeroFloat32, -math.MaxFloat32}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		edges = append(edges, math.Float32frombits(r.Uint32()), float32(r.NormFloat64()*0.1))
	}
	got, want := make([]uint16, len(edges)), make([]uint16, len(edges))
	toHalves(got, edges)
	for i, f := range edges {
		want[i] = toHalf(f)
		if math.IsNaN(float64(f)) {
			continue
		}
		// The nearest half: no half lies strictly closer to f.
		h := fromHalf(want[i])
		for _, nb := range []uint16{want[i] + 1, want[i] - 1} {
			if x := fromHalf(nb); !math.IsNaN(float64(x)) && !math.IsInf(float64(h), 0) && math.Abs(float64(x)-float64(f)) < math.Abs(float64(h)-float64(f)) {
				t.Fatalf("toHalf(%v) = %v, but %v is nearer", f, h, x)
			}
		}
	}
	for i := range edges {
		if got[i] != want[i] {
			t.Fatalf("toHalves(%v) = %#04x, toHalf %#04x", edges[i], got[i], want[i])
		}
	}
}

// halfValue is the value of the half h from its definition.
func halfValue(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, man := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0x1f:
		if man != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	case 0:
		return math.Copysign(man*0x1p-24, sign)
	}
	return sign * (1 + man/1024) * math.Ldexp(1, exp-15)
}

// BenchmarkDot scores rows of 100 dimensions: 1,000 rows (in cache) and
// 20,000 (more than the caches hold, as in a full scan), half-precision
// rows with and without AVX2 beside float32 rows in a plain and an
// unrolled loop.
func BenchmarkDot(b *testing.B) {
	const dim = 100
	for _, rows := range []int{1000, 20_000} {
		r := rand.New(rand.NewPCG(1, 2))
		data := make([]float32, dim*rows)
		for i := range data {
			data[i] = float32(r.NormFloat64())
		}
		halves := make([]uint16, len(data))
		toHalves(halves, data)
		q := data[:dim]
		for _, f := range []struct {
			name string
			dot  func(i int) float32
		}{
			{"dotHalf", func(i int) float32 { return dotHalf(q, halves[i*dim:(i+1)*dim]) }},
			{"dotHalfGo", func(i int) float32 { return dotHalfGo(q, halves[i*dim:(i+1)*dim]) }},
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

// rowScore is the score Search gives a row: the row (exactly its halves,
// as Row returns it) made halves again.
func rowScore(q, row []float32) float64 {
	h := make([]uint16, len(row))
	toHalves(h, row)
	return float64(dotHalf(q, h))
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
