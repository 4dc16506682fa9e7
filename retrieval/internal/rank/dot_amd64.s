#include "textflag.h"

// func dotInt8AVX2(a []float32, b []int8) float32
//
// Four accumulators of eight lanes each, so that an addition does not
// wait on the one before it; b's integers are widened (VPMOVSXBD) and
// converted exactly (VCVTDQ2PS); b is at least as long as a.
TEXT ·dotInt8AVX2(SB), NOSPLIT, $0-52
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
	VPMOVSXBD (DI)(AX*1), Y8
	VPMOVSXBD 8(DI)(AX*1), Y9
	VPMOVSXBD 16(DI)(AX*1), Y10
	VPMOVSXBD 24(DI)(AX*1), Y11
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	VCVTDQ2PS Y10, Y10
	VCVTDQ2PS Y11, Y11
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
	VPMOVSXBD (DI)(AX*1), Y8
	VCVTDQ2PS Y8, Y8
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
	CMPQ       AX, CX
	JGE        done
	MOVBLSX    (DI)(AX*1), BX
	VCVTSI2SSL BX, X2, X2
	VMULSS     (SI)(AX*4), X2, X1
	VADDSS     X1, X0, X0
	INCQ       AX
	JMP        scalar

done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET
