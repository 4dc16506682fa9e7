#include "textflag.h"

// func axpyInt8AVX2(sum []float32, w float32, v string)
//
// sum[j] += w * float32(int8(v[j])), eight lanes at a time: each lane is
// the scalar loop's own multiplication and addition (no fused
// multiply-add), so the sums are the same bits. len(v) <= len(sum).
TEXT ·axpyInt8AVX2(SB), NOSPLIT, $0-48
	MOVQ         sum_base+0(FP), DI
	MOVSS        w+24(FP), X0
	MOVQ         v_base+32(FP), SI
	MOVQ         v_len+40(FP), CX
	VBROADCASTSS X0, Y0
	XORQ         AX, AX
	MOVQ         CX, DX
	ANDQ         $-8, DX

loop8:
	CMPQ      AX, DX
	JGE       tail
	VPMOVSXBD (SI)(AX*1), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    Y0, Y1, Y1
	VADDPS    (DI)(AX*4), Y1, Y1
	VMOVUPS   Y1, (DI)(AX*4)
	ADDQ      $8, AX
	JMP       loop8

tail:
	CMPQ       AX, CX
	JGE        done
	MOVBLSX    (SI)(AX*1), BX
	VCVTSI2SSL BX, X1, X1
	VMULSS     X0, X1, X1
	VADDSS     (DI)(AX*4), X1, X1
	VMOVSS     X1, (DI)(AX*4)
	INCQ       AX
	JMP        tail

done:
	VZEROUPPER
	RET
