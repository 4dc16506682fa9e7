//go:build !amd64

package rank

// dot is the dot product of a and b (b at least as long as a).
func dot(a, b []float32) float32 { return dotGo(a, b) }
