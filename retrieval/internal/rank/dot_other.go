//go:build !amd64

package rank

// dotHalf is the dot product of a and the half-precision b (b at least as
// long as a).
func dotHalf(a []float32, b []uint16) float32 { return dotHalfGo(a, b) }

// toHalves stores src rounded to half precision in dst (as long as src).
func toHalves(dst []uint16, src []float32) { toHalvesGo(dst, src) }
