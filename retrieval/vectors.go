package retrieval

import (
	"container/heap"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// flatVectors holds the index's embeddings, one row per chunk in chunk
// order, for the query path. chromem-go stays the on-disk format (each
// segment holds a chromem-go export of its vectors), but its exhaustive
// query takes a mutex per document and a map walk per query: 5 ms at 20k
// chunks on two cores here, against a 1 ms budget. A flat scan with a
// private top-k heap per core does the same cosine ranking in a fraction
// of that, and an update copies the rows of unchanged documents instead of
// adding each vector to a collection again.
type flatVectors struct {
	dim   int       // 0 until a row is set
	data  []float32 // len(valid)*dim; rows of chunks without a vector are zero
	valid []bool
	n     int // rows set
}

// set stores the vector of row i, made unit length as chromem-go makes
// the vectors it stores, so that a vector read back from a segment is the
// one set here. An empty or all-zero vector is no vector: the chunk is
// found by its words only.
func (fv *flatVectors) set(i int, v []float32) error {
	if isZero(v) {
		return nil
	}
	if fv.dim == 0 {
		fv.dim = len(v)
		fv.data = make([]float32, len(fv.valid)*fv.dim)
	}
	if len(v) != fv.dim {
		return fmt.Errorf("vector of %d dimensions, others %d", len(v), fv.dim)
	}
	copy(fv.data[i*fv.dim:(i+1)*fv.dim], unitVector(v))
	if !fv.valid[i] {
		fv.valid[i] = true
		fv.n++
	}
	return nil
}

// copyRows copies n rows of src, from row from on, to rows to on: an
// unchanged document's vectors, already unit length.
func (fv *flatVectors) copyRows(to int, src *flatVectors, from, n int) error {
	if !slices.Contains(src.valid[from:from+n], true) {
		return nil
	}
	if fv.dim == 0 {
		fv.dim = src.dim
		fv.data = make([]float32, len(fv.valid)*fv.dim)
	}
	if src.dim != fv.dim {
		return fmt.Errorf("vectors of %d dimensions, others %d", src.dim, fv.dim)
	}
	copy(fv.data[to*fv.dim:(to+n)*fv.dim], src.data[from*fv.dim:(from+n)*fv.dim])
	for k := range n {
		if src.valid[from+k] && !fv.valid[to+k] {
			fv.valid[to+k] = true
			fv.n++
		}
	}
	return nil
}

// row returns the vector of row i (shared, not to be modified), or nil.
func (fv *flatVectors) row(i int) []float32 {
	if !fv.valid[i] {
		return nil
	}
	return fv.data[i*fv.dim : (i+1)*fv.dim : (i+1)*fv.dim]
}

// unitVector is v scaled to unit length exactly as chromem-go's
// AddDocument scales it (same tolerance, same arithmetic); v itself when
// it already is.
func unitVector(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	if math.Abs(math.Sqrt(sq)-1) < 1e-6 {
		return v
	}
	var norm float32
	for _, x := range v {
		norm += x * x
	}
	norm = float32(math.Sqrt(float64(norm)))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / norm
	}
	return out
}

// search returns the n chunks most similar to the unit vector q.
func (fv *flatVectors) search(q []float32, n int) []scored {
	rows := len(fv.valid)
	if fv.dim == 0 || len(q) != fv.dim || n <= 0 || rows == 0 {
		return nil
	}
	// Below a few thousand rows a goroutine costs more than it saves.
	parts := min(runtime.GOMAXPROCS(0), max(1, rows/4096))
	heaps := make([]scoreHeap, parts)
	scan := func(p int) {
		lo, hi := p*rows/parts, (p+1)*rows/parts
		h := make(scoreHeap, 0, n+1)
		for i := lo; i < hi; i++ {
			if !fv.valid[i] {
				continue
			}
			s := dot(q, fv.data[i*fv.dim:(i+1)*fv.dim])
			if len(h) < n {
				heap.Push(&h, scored{chunk: i, score: float64(s)})
			} else if float64(s) > h[0].score {
				h[0] = scored{chunk: i, score: float64(s)}
				heap.Fix(&h, 0)
			}
		}
		heaps[p] = h
	}
	if parts == 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { scan(p) })
		}
		wg.Wait()
	}
	var all []scored
	for _, h := range heaps {
		all = append(all, h...)
	}
	return topN(all, n)
}

// dot is unrolled by four: the Go compiler does not vectorise, and this
// halves the scan time of the plain loop.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// scoreHeap is a min-heap of scores: the root is the weakest of the best n.
type scoreHeap []scored

func (h scoreHeap) Len() int { return len(h) }
func (h scoreHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].chunk > h[j].chunk
}
func (h scoreHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *scoreHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *scoreHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
