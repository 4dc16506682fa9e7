package rank

import "math"

// The rows of FlatVectors are kept as IEEE 754 half-precision floats: half
// the memory of float32 (35 MB less at 180,000 chunks of 100 dimensions)
// for a relative error of at most 2⁻¹¹ per component, well below the
// differences between the cosine scores that rank chunks. The conversion
// from float32 rounds to nearest, ties to even, as the processor's
// VCVTPS2PH does; the conversion back is exact, so a row written out as
// float32 and read back becomes the same half-precision row again.

// toHalf is f rounded to half precision (nearest, ties to even): beyond
// the largest half it becomes infinity, below the smallest it becomes a
// signed zero, and a NaN stays a quiet NaN with the top of its payload.
func toHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00 | uint16(man>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // the half's biased exponent
	switch {
	case e >= 0x1f:
		return sign | 0x7c00
	case e > 0:
		h := uint32(e)<<10 | man>>13
		rem := man & 0x1fff
		// A carry out of the mantissa moves to the next exponent, and
		// past the largest one to infinity: both what rounding asks.
		if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	// A subnormal half (or zero): the mantissa with its leading one,
	// shifted down to units of 2⁻²⁴.
	shift := uint(14 - e)
	if exp == 0 || shift > 24 {
		return sign
	}
	m := man | 0x800000
	h := m >> shift
	rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || rem == half && h&1 == 1 {
		h++
	}
	return sign | uint16(h)
}

// fromHalf is the float32 of the half h, exactly.
func fromHalf(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		// Subnormal: normalised, one exponent step per shift.
		e := uint32(127 - 14)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// toHalvesGo stores src rounded to half precision in dst (as long as src).
func toHalvesGo(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = toHalf(f)
	}
}

// fromHalves is the float32 vector of the halves h, exactly.
func fromHalves(h []uint16) []float32 {
	out := make([]float32, len(h))
	for i, x := range h {
		out[i] = fromHalf(x)
	}
	return out
}

// dotHalfGo is the dot product of a and the half-precision b (b at least
// as long as a) in Go, where dotHalf has no assembly. It adds in exactly
// dotHalfAVX2's order (four sums of eight lanes over blocks of 32, then
// blocks of 8 into the first, the lanes folded pairwise, the last few one
// by one), so that a score has the same bits on every machine: near ties
// between chunks, and the answers that depend on them, must not change
// with the processor. Reading a half is exact, as VCVTPH2PS is; the
// explicit float32 conversions round each product before it is added, as
// VMULPS and VADDPS do, and keep the compiler from fusing them into one
// multiply-add, which rounds once.
func dotHalfGo(a []float32, b []uint16) float32 {
	b = b[:len(a)]
	var acc [32]float32
	i := 0
	for ; i+32 <= len(a); i += 32 {
		aa, bb := a[i:i+32:i+32], b[i:i+32:i+32]
		for l := range 32 {
			acc[l] += float32(aa[l] * fromHalf(bb[l]))
		}
	}
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		for l := range 8 {
			acc[l] += float32(aa[l] * fromHalf(bb[l]))
		}
	}
	// VADDPS Y1,Y0; VADDPS Y3,Y2; VADDPS Y2,Y0: lane by lane.
	var y [8]float32
	for l := range 8 {
		y[l] = (acc[l] + acc[8+l]) + (acc[16+l] + acc[24+l])
	}
	// The upper half onto the lower, then two horizontal additions.
	x0, x1, x2, x3 := y[0]+y[4], y[1]+y[5], y[2]+y[6], y[3]+y[7]
	s := (x0 + x1) + (x2 + x3)
	for ; i < len(a); i++ {
		s += float32(a[i] * fromHalf(b[i]))
	}
	return s
}
