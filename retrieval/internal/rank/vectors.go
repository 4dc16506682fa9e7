package rank

import (
	"fmt"
	"math"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"
)

// FlatVectors holds the index's embeddings, one row per chunk in chunk
// order, for the query path. chromem-go stays the on-disk format (each
// segment holds a chromem-go export of its vectors), but its exhaustive
// query takes a mutex per document and a map walk per query: 5 ms at 20k
// chunks on two cores here, against a 1 ms budget. A flat scan with a
// private top-k heap per core does the same cosine ranking in a fraction
// of that, and an update copies the rows of unchanged documents instead of
// adding each vector to a collection again. The rows are kept as int8
// with a scale each (see Quantize).
type FlatVectors struct {
	Dim   int       // 0 until a row is set
	data  []int8    // len(valid)*dim; rows of chunks without a vector are zero
	scale []float32 // per row, 0 for a chunk without a vector
	Valid []bool
	N     int // rows set
}

// Set stores the vector of row i, made unit length as chromem-go makes
// the vectors it stores, and quantized (Quantize). A row read back from a
// segment, where it was written quantized, goes in through SetQuantized
// as it is. An empty or all-zero vector is no vector: the chunk is found
// by its words only.
func (fv *FlatVectors) Set(i int, v []float32) error {
	if IsZero(v) {
		return nil
	}
	row, err := fv.row(i, len(v))
	if err != nil {
		return err
	}
	fv.scale[i] = Quantize(row, UnitVector(v))
	return nil
}

// SetQuantized stores row i as the integers q at scale s, as Quantize
// made them and a segment stores them; a zero scale or no nonzero
// integer is no vector.
func (fv *FlatVectors) SetQuantized(i int, q []int8, s float32) error {
	if s == 0 || !slices.ContainsFunc(q, func(x int8) bool { return x != 0 }) {
		return nil
	}
	if !(s > 0) || math.IsInf(float64(s), 0) {
		return fmt.Errorf("vector scale %v", s)
	}
	row, err := fv.row(i, len(q))
	if err != nil {
		return err
	}
	copy(row, q)
	fv.scale[i] = s
	return nil
}

// row is row i, of dim dimensions, marked as holding a vector; the rows
// are made when the first is set.
func (fv *FlatVectors) row(i, dim int) ([]int8, error) {
	if fv.Dim == 0 {
		fv.Dim = dim
		fv.alloc()
	}
	if dim != fv.Dim {
		return nil, fmt.Errorf("vector of %d dimensions, others %d", dim, fv.Dim)
	}
	if !fv.Valid[i] {
		fv.Valid[i] = true
		fv.N++
	}
	return fv.data[i*fv.Dim : (i+1)*fv.Dim], nil
}

// CopyRows copies n rows of src, from row from on, to rows to on: an
// unchanged document's vectors, already unit length.
func (fv *FlatVectors) CopyRows(to int, src *FlatVectors, from, n int) error {
	if !slices.Contains(src.Valid[from:from+n], true) {
		return nil
	}
	if fv.Dim == 0 {
		fv.Dim = src.Dim
		fv.alloc()
	}
	if src.Dim != fv.Dim {
		return fmt.Errorf("vectors of %d dimensions, others %d", src.Dim, fv.Dim)
	}
	copy(fv.data[to*fv.Dim:(to+n)*fv.Dim], src.data[from*fv.Dim:(from+n)*fv.Dim])
	copy(fv.scale[to:to+n], src.scale[from:from+n])
	for k := range n {
		if src.Valid[from+k] && !fv.Valid[to+k] {
			fv.Valid[to+k] = true
			fv.N++
		}
	}
	return nil
}

// alloc makes room for every row, once Dim is known.
func (fv *FlatVectors) alloc() {
	fv.data = make([]int8, len(fv.Valid)*fv.Dim)
	fv.scale = make([]float32, len(fv.Valid))
}

// Row returns the vector of row i, as float32 in a new slice, or nil.
func (fv *FlatVectors) Row(i int) []float32 {
	if !fv.Valid[i] {
		return nil
	}
	return Dequantize(fv.data[i*fv.Dim:(i+1)*fv.Dim], fv.scale[i])
}

// score is the similarity of the unit vector q to row i.
func (fv *FlatVectors) score(q []float32, i int) float64 {
	return float64(dotInt8(q, fv.data[i*fv.Dim:(i+1)*fv.Dim]) * fv.scale[i])
}

// UnitVector is v scaled to unit length exactly as chromem-go's
// AddDocument scales it (same tolerance, same arithmetic: the norm summed
// in float32, each component divided by it); v itself when it already is.
// The vectors a segment stores are made unit length by it, so that a row
// set from a fresh vector and the row set from chromem-go's copy of it
// when the index is opened again hold the same bits.
//
// Normalize below does the same with other arithmetic, and the two are
// kept apart on purpose: query vectors and the vectors a remote store
// holds are made by Normalize, and for a vector not already unit length
// (an external embedder's, say) the two differ in the last bits of most
// components (up to a dozen units in the last place at 768 dimensions,
// the float32 sum's rounding), so one function for both would change
// search scores or what remote stores hold. The built-in embedder's
// vectors are unit length already: both return them unchanged.
func UnitVector(v []float32) []float32 {
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

// Normalize returns v scaled to unit length, for query vectors and the
// vectors of a remote store: the squared norm summed in float64, each
// component multiplied by the float32 inverse of its root; v itself when
// it is all zeros or its squared norm is within 1e-6 of 1. Stored vectors
// are unit length, so the dot product is the cosine similarity. See
// UnitVector for why there are two.
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

// Search returns the n chunks most similar to the unit vector q, best
// first: every row is scored. Each part of the rows keeps its n best in a
// bounded heap of its own, and the parts' heaps are then cut to the n
// best overall, sorting only those.
func (fv *FlatVectors) Search(q []float32, n int) []Scored {
	rows := len(fv.Valid)
	if fv.Dim == 0 || len(q) != fv.Dim || n <= 0 || rows == 0 {
		return nil
	}
	n = min(n, rows) // no more room than there can be results
	// Below a few thousand rows a goroutine costs more than it saves.
	parts := min(runtime.GOMAXPROCS(0), max(1, rows/4096))
	all := make([]Scored, parts*n)
	sizes := make([]int, parts)
	scan := func(p int) {
		lo, hi := p*rows/parts, (p+1)*rows/parts
		h := all[p*n : p*n : (p+1)*n]
		for i := lo; i < hi; i++ {
			if !fv.Valid[i] {
				continue
			}
			x := Scored{Chunk: i, Score: fv.score(q, i)}
			switch {
			case len(h) < n:
				h = append(h, x)
				if len(h) == n {
					for j := n/2 - 1; j >= 0; j-- {
						siftWorst(h, j)
					}
				}
			case better(x, h[0]):
				h[0] = x
				siftWorst(h, 0)
			}
		}
		sizes[p] = len(h)
	}
	if parts == 1 {
		scan(0)
	} else {
		// One goroutine per part: parts is at most GOMAXPROCS.
		var g errgroup.Group
		for p := range parts {
			g.Go(func() error { scan(p); return nil })
		}
		_ = g.Wait()
	}
	found := all[:0]
	for p, size := range sizes {
		found = append(found, all[p*n:p*n+size]...)
	}
	return SelectBest(found, n)
}

// SearchByChunk returns the chunks Search returns, with the same scores,
// in chunk order: all weighted fusion needs, which orders its lists by
// chunk. A collection of up to a few times n rows (the seeds', a small
// folder's) is scored into one list, already in chunk order, and cut to
// the n best; the sort by score Search ends with, and fusion's sort back
// by chunk, were a tenth of such a search. Larger collections are
// Search's, sorted by chunk.
func (fv *FlatVectors) SearchByChunk(q []float32, n int) []Scored {
	return fv.searchByChunk(nil, q, n)
}

// searchByChunk is SearchByChunk, the scores of a small collection
// appended to dst.
func (fv *FlatVectors) searchByChunk(dst []Scored, q []float32, n int) []Scored {
	rows := len(fv.Valid)
	if rows > 4*n || runtime.GOMAXPROCS(0) > 1 && rows >= 2*4096 {
		s := fv.Search(q, n)
		slices.SortFunc(s, byChunk)
		return s
	}
	if fv.Dim == 0 || len(q) != fv.Dim || n <= 0 || rows == 0 {
		return nil
	}
	all := slices.Grow(dst[:0], rows)
	for i := range rows {
		if fv.Valid[i] {
			all = append(all, Scored{Chunk: i, Score: fv.score(q, i)})
		}
	}
	if len(all) <= n {
		return all
	}
	// Search's n best, ties going to the earlier chunk: every row that
	// scores above the n-th best score, and as many of those that score
	// it, in chunk order, as make n. A selection finds that score in
	// linear time, where a heap of the rows cut or kept cost twice as
	// much as the dot products.
	scratch := getScratch(len(all))
	cut := kthSmallest((*scratch)[:copy(*scratch, all)], len(all)-n)
	putScratch(scratch)
	ties := n
	for _, x := range all {
		if x.Score > cut {
			ties--
		}
	}
	out := all[:0]
	for _, x := range all {
		if x.Score > cut || x.Score == cut && ties > 0 {
			if x.Score == cut {
				ties--
			}
			out = append(out, x)
		}
	}
	return out
}

// ScoreChunks returns the similarity of the unit vector q to the rows of
// list's chunks, in list's order, leaving out chunks without a vector: a
// few hundred dot products where Search makes one per row.
func (fv *FlatVectors) ScoreChunks(q []float32, list []Scored) []Scored {
	if fv.Dim == 0 || len(q) != fv.Dim {
		return nil
	}
	out := make([]Scored, 0, len(list))
	for _, s := range list {
		if fv.Valid[s.Chunk] {
			out = append(out, Scored{Chunk: s.Chunk, Score: fv.score(q, s.Chunk)})
		}
	}
	return out
}

// scoreHeap is a min-heap of scores: the root is the weakest of the best n.
type scoreHeap []Scored

func (h scoreHeap) Len() int { return len(h) }
func (h scoreHeap) Less(i, j int) bool {
	if h[i].Score != h[j].Score {
		return h[i].Score < h[j].Score
	}
	return h[i].Chunk > h[j].Chunk
}
func (h scoreHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *scoreHeap) Push(x any)   { *h = append(*h, x.(Scored)) }
func (h *scoreHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func IsZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
