package extracttest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"strings"
)

// ZipBombDOCX returns a zip posing as a DOCX whose word/document.xml
// decompresses to size bytes: one short paragraph, then spaces up to the
// size. The zip's headers tell the truth about the size.
func ZipBombDOCX(size int64) []byte { return Bomb{Size: size}.DOCX() }

// LyingZipBombDOCX is ZipBombDOCX with headers that declare document.xml
// to be only declared bytes once decompressed.
func LyingZipBombDOCX(size, declared int64) []byte {
	return Bomb{Size: size, Declared: declared}.DOCX()
}

// Bomb describes a zip bomb posing as a DOCX.
type Bomb struct {
	// Size is word/document.xml's size once decompressed.
	Size int64
	// Declared is the uncompressed size the zip's headers state; 0
	// means Size.
	Declared int64
	// Fill is repeated to pad the document to Size: a space when
	// empty. Markup such as "<w:p/>" makes the bomb many elements
	// rather than one run of white space; "<w:p><w:r><w:t>x</w:t></w:r></w:p>"
	// makes it text.
	Fill string
}

const (
	bombPrefix = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="` + wordNS + `"><w:body><w:p><w:r><w:t>Bomb.</w:t></w:r></w:p>`
	bombSuffix = `</w:body></w:document>`
)

// DOCX writes the bomb. The deflate stream is built by hand (see
// deflateRepeat), so a gigabyte bomb is about a megabyte and made in
// milliseconds, without compressing a gigabyte first.
func (m Bomb) DOCX() []byte {
	fill := m.Fill
	if fill == "" {
		fill = " "
	}
	n := max(m.Size-int64(len(bombPrefix)+len(bombSuffix)), 0)
	// Whole units of the fill, then spaces up to the size: markup cut
	// in the middle would make the document malformed, not big.
	pad := n % int64(len(fill))
	n -= pad
	suffix := []byte(strings.Repeat(" ", int(pad)) + bombSuffix)
	comp := deflateRepeat([]byte(bombPrefix), fill, n, suffix)
	size := int64(len(bombPrefix)) + n + int64(len(suffix))
	declared := m.Declared
	if declared == 0 {
		declared = size
	}

	parts := DOCXParts(Para{Text: "placeholder"})
	delete(parts, "word/document.xml")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels"} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write([]byte(parts[name]))
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "word/document.xml",
		Method:             zip.Deflate,
		CRC32:              repeatCRC([]byte(bombPrefix), fill, n, suffix),
		CompressedSize64:   uint64(len(comp)),
		UncompressedSize64: uint64(declared),
	})
	if err != nil {
		panic(err)
	}
	w.Write(comp)
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ZlibRepeat returns a zlib stream (what PDF's FlateDecode reads) of
// prefix, n bytes of unit repeated, then suffix: about n/1000 bytes
// however large n is, made without compressing n bytes.
func ZlibRepeat(prefix, unit string, n int64, suffix string) []byte {
	if unit == "" {
		unit = " "
	}
	// The header: deflate, 32 KiB window, no dictionary, check bits.
	out := []byte{0x78, 0x01}
	out = append(out, deflateRepeat([]byte(prefix), unit, n, []byte(suffix))...)
	sum := adler32.Checksum([]byte(prefix))
	sum = adlerCombine(sum, adlerRepeat(unit, n), n)
	sum = adlerCombine(sum, adler32.Checksum([]byte(suffix)), int64(len(suffix)))
	return binary.BigEndian.AppendUint32(out, sum)
}

// adlerRepeat is the Adler-32 of n bytes of unit repeated, by doubling.
func adlerRepeat(unit string, n int64) uint32 {
	d := int64(len(unit))
	whole, rest := n/d, n%d
	sum := uint32(1) // the Adler-32 of nothing
	block, blockLen := adler32.Checksum([]byte(unit)), d
	for k := whole; k > 0; k >>= 1 {
		if k&1 == 1 {
			sum = adlerCombine(sum, block, blockLen)
		}
		block = adlerCombine(block, block, blockLen)
		blockLen *= 2
	}
	return adlerCombine(sum, adler32.Checksum([]byte(unit[:rest])), rest)
}

// adlerCombine is the Adler-32 of two strings joined, from each one's
// and the second's length (zlib's adler32_combine).
func adlerCombine(a1, a2 uint32, len2 int64) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	sum1 := a1 & 0xffff
	sum2 := rem * sum1 % base
	sum1 += a2&0xffff + base - 1
	sum2 += a1>>16 + a2>>16 + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum1 | sum2<<16
}

// repeatCRC is the CRC-32 of prefix, n bytes of unit repeated, suffix.
func repeatCRC(prefix []byte, unit string, n int64, suffix []byte) uint32 {
	crc := crc32.ChecksumIEEE(prefix)
	chunk := bytes.Repeat([]byte(unit), max(1, (1<<16)/len(unit)))
	for n > 0 {
		k := min(n, int64(len(chunk)))
		crc = crc32.Update(crc, crc32.IEEETable, chunk[:k])
		n -= k
	}
	return crc32.Update(crc, crc32.IEEETable, suffix)
}

// deflateRepeat returns a raw deflate stream (RFC 1951) of prefix, n
// bytes of unit repeated, then suffix. The repetition is one dynamic
// Huffman block of back-references of the longest length (258) at the
// unit's distance, each coded in two bits: with only end-of-block and
// length 258 in the literal/length code, and one distance code, each code
// is one bit long. The prefix, the first unit and the tail go in stored
// blocks.
func deflateRepeat(prefix []byte, unit string, n int64, suffix []byte) []byte {
	var w bitWriter
	d := len(unit)
	if d == 0 || d > 32768 || n < int64(d)+258 {
		head := append(append([]byte{}, prefix...), repeatBytes(unit, 0, n)...)
		w.stored(append(head, suffix...), true)
		return w.bytes()
	}
	w.stored(append(append([]byte{}, prefix...), unit...), false)
	copies := (n - int64(d)) / 258
	if copies > 0 {
		w.repeatBlock(d, copies)
	}
	done := int64(d) + 258*copies
	w.stored(append(repeatBytes(unit, done, n-done), suffix...), true)
	return w.bytes()
}

// repeatBytes is k bytes of unit repeated forever, from offset off.
func repeatBytes(unit string, off, k int64) []byte {
	out := make([]byte, k)
	for i := range out {
		out[i] = unit[(off+int64(i))%int64(len(unit))]
	}
	return out
}

type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

// bits writes the low n bits of v, least significant first (how deflate
// packs header fields and extra bits).
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

func (w *bitWriter) align() {
	if w.nbits > 0 {
		w.bits(0, 8-w.nbits)
	}
}

func (w *bitWriter) bytes() []byte {
	w.align()
	return w.out
}

// stored writes data as stored blocks (at most 65535 bytes each).
func (w *bitWriter) stored(data []byte, final bool) {
	for {
		k := min(len(data), 65535)
		last := final && k == len(data)
		w.bits(b2u(last), 1)
		w.bits(0, 2) // BTYPE 00: stored
		w.align()
		w.bits(uint64(k), 16)
		w.bits(uint64(^uint16(k)), 16)
		w.out = append(w.out, data[:k]...)
		data = data[k:]
		if len(data) == 0 {
			return
		}
	}
}

// repeatBlock writes a dynamic Huffman block of copies back-references of
// length 258 at distance d.
func (w *bitWriter) repeatBlock(d int, copies int64) {
	dcode, dextra, dbase := distanceCode(d)
	w.bits(0, 1) // not final
	w.bits(2, 2) // BTYPE 10: dynamic Huffman
	w.bits(286-257, 5)
	w.bits(uint64(dcode), 5) // HDIST: dcode+1 distance codes
	w.bits(18-4, 4)          // HCLEN: the first 18 code length codes
	// Code length code lengths, in the format's order 16, 17, 18, 0, 8,
	// 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1: symbols 0, 1, 17 and 18
	// get 2 bits each, a complete code: 0=00 1=01 17=10 18=11.
	for _, l := range []uint64{0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2} {
		w.bits(l, 3)
	}
	lengths := func(zeros int, one bool) {
		for zeros > 0 {
			switch {
			case zeros >= 11:
				k := min(zeros, 138)
				w.code(3, 2) // 18: k zeros
				w.bits(uint64(k-11), 7)
				zeros -= k
			case zeros >= 3:
				k := min(zeros, 10)
				w.code(2, 2) // 17: k zeros
				w.bits(uint64(k-3), 3)
				zeros -= k
			default:
				w.code(0, 2) // a zero
				zeros--
			}
		}
		if one {
			w.code(1, 2) // a length of 1
		}
	}
	// Literal/length codes: 256 (end of block) and 285 (length 258),
	// one bit each: 256=0, 285=1.
	lengths(256, true)
	lengths(28, true)
	// Distance codes: only dcode, one bit: 0.
	lengths(dcode, true)
	for range copies {
		w.code(1, 1) // length 258
		w.code(0, 1) // distance code
		w.bits(uint64(d-dbase), dextra)
	}
	w.code(0, 1) // end of block
}

// distanceCode returns deflate's distance code for d, its extra bits and
// its base distance.
func distanceCode(d int) (code int, extra uint, base int) {
	if d <= 4 {
		return d - 1, 0, d
	}
	for c := 4; c < 30; c++ {
		e := uint(c/2 - 1)
		b := (2+c%2)<<e + 1
		if d < b+1<<e {
			return c, e, b
		}
	}
	panic("distance over 32768")
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
