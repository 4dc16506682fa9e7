//go:build !amd64

package rank

// dotInt8 is the dot product of a and the integers b (b at least as long
// as a).
func dotInt8(a []float32, b []int8) float32 { return dotInt8Go(a, b) }
