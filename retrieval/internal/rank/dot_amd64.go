package rank

import "golang.org/x/sys/cpu"

// haveAVX2 says whether dotAVX2 can run here (the processor has AVX2 and
// the operating system saves its registers).
var haveAVX2 = cpu.X86.HasAVX2

// dotAVX2 is dot with eight lanes at a time (dot_amd64.s); b must be at
// least as long as a.
//
//go:noescape
func dotAVX2(a, b []float32) float32

// dot is the dot product of a and b (b at least as long as a): with AVX2
// where the processor has it, else dotGo.
func dot(a, b []float32) float32 {
	if haveAVX2 {
		return dotAVX2(a, b[:len(a)])
	}
	return dotGo(a, b)
}
