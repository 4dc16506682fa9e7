//go:build !amd64

package wordvec

// axpyInt8 adds w times the signed bytes of v to sum, element by element.
func axpyInt8(sum []float32, w float32, v string) { axpyInt8Go(sum, w, v) }
