package wordvec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// axpyInt8, with AVX2 where the processor has it, gives the Go loop's
// bits at every length (the tail after the last eight included), for
// every byte value, and leaves sum past len(v) alone.
func TestAxpyInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 70 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		v := string(b)
		w := float32(r.NormFloat64())
		got, want := make([]float32, n+3), make([]float32, n+3)
		for i := range got {
			got[i] = float32(r.NormFloat64())
			want[i] = got[i]
		}
		axpyInt8(got, w, v)
		axpyInt8Go(want, w, v)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("length %d, element %d: %v, the Go loop %v", n, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkAxpyInt8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]byte, 100)
	for i := range v {
		v[i] = byte(r.UintN(256))
	}
	sum := make([]float32, 100)
	for _, f := range []struct {
		name string
		axpy func([]float32, float32, string)
	}{{"axpyInt8", axpyInt8}, {"go", axpyInt8Go}} {
		b.Run(fmt.Sprintf("dim=100/%s", f.name), func(b *testing.B) {
			for b.Loop() {
				f.axpy(sum, 0.5, string(v))
			}
		})
	}
}
