#include "textflag.h"

// func dotHalfAVX2(a []float32, b []uint16) float32
//
// Four accumulators of eight lanes each, so that an addition does not
// wait on the one before it; b (half precision, widened exactly by
// VCVTPH2PS) is at least as long as a.
TEXT ·dotHalfAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX
	CMPQ AX, DX
	JGE  tail8

loop32:
	VCVTPH2PS (DI)(AX*2), Y8
	VCVTPH2PS 16(DI)(AX*2), Y9
	VCVTPH2PS 32(DI)(AX*2), Y10
	VCVTPH2PS 48(DI)(AX*2), Y11
	VMULPS    (SI)(AX*4), Y8, Y4
	VMULPS    32(SI)(AX*4), Y9, Y5
	VMULPS    64(SI)(AX*4), Y10, Y6
	VMULPS    96(SI)(AX*4), Y11, Y7
	VADDPS    Y4, Y0, Y0
	VADDPS    Y5, Y1, Y1
	VADDPS    Y6, Y2, Y2
	VADDPS    Y7, Y3, Y3
	ADDQ      $32, AX
	CMPQ      AX, DX
	JL        loop32

tail8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ AX, DX
	JGE  reduce

loop8:
	VCVTPH2PS (DI)(AX*2), Y8
	VMULPS    (SI)(AX*4), Y8, Y4
	VADDPS    Y4, Y0, Y0
	ADDQ      $8, AX
	CMPQ      AX, DX
	JL        loop8

reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0

scalar:
	CMPQ      AX, CX
	JGE       done
	MOVWLZX   (DI)(AX*2), BX
	VMOVD     BX, X2
	VCVTPH2PS X2, X2
	VMULSS    (SI)(AX*4), X2, X1
	VADDSS    X1, X0, X0
	INCQ      AX
	JMP       scalar

done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func toHalvesF16C(dst []uint16, src []float32)
//
// Eight at a time, rounding to nearest, ties to even (immediate 0); the
// last few one by one.
TEXT ·toHalvesF16C(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ AX, DX
	JGE  tail

loop:
	VMOVUPS   (SI)(AX*4), Y0
	VCVTPS2PH $0, Y0, (DI)(AX*2)
	ADDQ      $8, AX
	CMPQ      AX, DX
	JL        loop

tail:
	CMPQ      AX, CX
	JGE       out
	VMOVSS    (SI)(AX*4), X0
	VCVTPS2PH $0, X0, X1
	VMOVD     X1, BX
	MOVW      BX, (DI)(AX*2)
	INCQ      AX
	JMP       tail

out:
	VZEROUPPER
	RET
