package rank

import "golang.org/x/sys/cpu"

// haveAVX2 says whether dotInt8AVX2 can run here (the processor has AVX2
// and the operating system saves its registers).
var haveAVX2 = cpu.X86.HasAVX2

// dotInt8AVX2 is dotInt8 with eight lanes at a time (dot_amd64.s); b
// must be at least as long as a.
//
//go:noescape
func dotInt8AVX2(a []float32, b []int8) float32

// dotInt8 is the dot product of a and the integers b (b at least as long
// as a): with AVX2 where the processor has it, else dotInt8Go.
func dotInt8(a []float32, b []int8) float32 {
	if haveAVX2 {
		return dotInt8AVX2(a, b[:len(a)])
	}
	return dotInt8Go(a, b)
}
