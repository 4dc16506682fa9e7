package wordvec

import "golang.org/x/sys/cpu"

// haveAVX2 says whether axpyInt8AVX2 can run here (the processor has
// AVX2 and the operating system saves its registers).
var haveAVX2 = cpu.X86.HasAVX2

// axpyInt8AVX2 is axpyInt8Go eight lanes at a time (axpy_amd64.s); v must
// be no longer than sum.
//
//go:noescape
func axpyInt8AVX2(sum []float32, w float32, v string)

// axpyInt8 adds w times the signed bytes of v to sum, element by element:
// with AVX2 where the processor has it, else in Go. Both give the same
// bits.
func axpyInt8(sum []float32, w float32, v string) {
	if haveAVX2 {
		axpyInt8AVX2(sum[:len(v)], w, v)
		return
	}
	axpyInt8Go(sum, w, v)
}
