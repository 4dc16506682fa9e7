package rank

import "fmt"

// SetUnit stores row i as v, which is already unit length: a row read
// back from a segment, where it was written from Row. Set would normalise
// it again, in a fresh slice per row, and might move it by an ulp; the
// row is copied as it is, so that an index opened from a segment ranks
// bit for bit as the one saved.
func (fv *FlatVectors) SetUnit(i int, v []float32) error {
	if IsZero(v) {
		return nil
	}
	if fv.Dim == 0 {
		fv.Dim = len(v)
		fv.data = make([]float32, len(fv.Valid)*fv.Dim)
	}
	if len(v) != fv.Dim {
		return fmt.Errorf("vector of %d dimensions, others %d", len(v), fv.Dim)
	}
	copy(fv.data[i*fv.Dim:(i+1)*fv.Dim], v)
	if !fv.Valid[i] {
		fv.Valid[i] = true
		fv.N++
	}
	return nil
}
