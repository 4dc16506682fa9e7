package rank

import "golang.org/x/sys/cpu"

// haveAVX2 says whether the assembly can run here: the processor has AVX2
// and the half-precision conversions (F16C), and the operating system
// saves the registers.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasF16C

// dotHalfAVX2 is dotHalf with eight lanes at a time (dot_amd64.s); b must
// be at least as long as a.
//
//go:noescape
func dotHalfAVX2(a []float32, b []uint16) float32

// toHalvesF16C is toHalvesGo eight at a time with VCVTPS2PH
// (dot_amd64.s); dst must be at least as long as src.
//
//go:noescape
func toHalvesF16C(dst []uint16, src []float32)

// dotHalf is the dot product of a and the half-precision b (b at least as
// long as a): with AVX2 where the processor has it, else dotHalfGo.
func dotHalf(a []float32, b []uint16) float32 {
	if haveAVX2 {
		return dotHalfAVX2(a, b[:len(a)])
	}
	return dotHalfGo(a, b)
}

// toHalves stores src rounded to half precision in dst (as long as src).
func toHalves(dst []uint16, src []float32) {
	if haveAVX2 {
		toHalvesF16C(dst[:len(src)], src)
		return
	}
	toHalvesGo(dst, src)
}
