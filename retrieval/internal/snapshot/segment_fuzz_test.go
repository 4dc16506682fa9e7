package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"citebot/retrieval/internal/rank"
	wire "citebot/retrieval/internal/wire"
)

func fuzzSeed(tb testing.TB) []byte {
	docs := []SegmentDoc{
		{Doc: wire.SnapshotDoc{ID: "a.txt", SHA256: "aa", Text: "Bees make honey. Hives.", Pages: []int{0, 9},
			Chunks: []wire.Chunk{{DocID: "a.txt", Start: 0, End: 16, Section: "Bees"}, {DocID: "a.txt", Start: 17, End: 23, Header: true}}},
			Vectors: [][]float32{{0.6, 0.8}, nil},
			Terms: []rank.ChunkCounts{rank.CountTerms(rank.FieldTerms{Body: []string{"bee", "make", "honey"}, Section: []string{"bee"}}),
				rank.CountTerms(rank.FieldTerms{Body: []string{"hive"}, Title: []string{"bee"}})}},
		{Doc: wire.SnapshotDoc{ID: "b.txt", SHA256: "bb", Text: "Tree rings.", Chunks: []wire.Chunk{{DocID: "b.txt", Start: 0, End: 11}}},
			Vectors: [][]float32{{1, 0}}, Terms: []rank.ChunkCounts{rank.CountTerms(rank.FieldTerms{Body: []string{"tree", "ring"}})}},
	}
	b, err := EncodeSegment(docs)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzDecodeSegment feeds the decoder segments whose checksum is right
// (the fuzzer could not get past a wrong one) and whose bytes are not: it
// must return an error wrapping ErrCorrupt or a segment whose chunks lie
// within their documents and whose keyword data is consistent or refused
// with rank.ErrStored, and never panic.
func FuzzDecodeSegment(f *testing.F) {
	seed := fuzzSeed(f)
	f.Add(seed[:len(seed)-sha256.Size])
	f.Add([]byte(SegmentMagic))
	f.Add([]byte(SegmentMagicV1 + "x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		raw := append(body, sum[:]...)
		// Streaming the rows reads the same file the same way.
		var streamed int
		_, _, serr := readSegment(bytesReaderAt(raw), int64(len(raw)), ReadOptions{Rows: func(s *Segment) func(int, []int8, float32) {
			return func(k int, q []int8, _ float32) {
				if k < 0 || k >= s.Chunks() || len(q) != s.Dim {
					t.Fatalf("row %d of %d, %d of %d dimensions", k, s.Chunks(), len(q), s.Dim)
				}
				streamed++
			}
		}})
		s, err := DecodeSegment(raw)
		if (err == nil) != (serr == nil) {
			t.Fatalf("decoded: %v; with the rows streamed: %v", err, serr)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		global := make([]int32, s.Chunks())
		for i := range global {
			global[i] = int32(i)
		}
		var units []rank.DocUnits
		for i, d := range s.Order {
			units = append(units, rank.DocUnits{First: s.First(i), Count: len(d.Chunks)})
			for _, c := range d.Chunks {
				if c.Start < 0 || c.End > len(d.Text) || c.Start >= c.End {
					t.Fatalf("chunk %d-%d outside %d bytes", c.Start, c.End, len(d.Text))
				}
			}
			if _, err := s.SegmentDoc(context.Background(), d.ID); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("SegmentDoc: error not wrapping ErrCorrupt: %v", err)
			}
		}
		row := make([]float32, s.Dim)
		rows := 0
		for k := range s.Chunks() {
			if s.Vector(k, row) {
				rows++
			}
		}
		if rows != streamed {
			t.Fatalf("%d rows, %d streamed", rows, streamed)
		}
		_, err = rank.LoadKeywordIndex([]rank.StoredChunks{s.Keywords(global)}, s.Chunks(), units, rank.DefaultBM25)
		if err != nil && !errors.Is(err, rank.ErrStored) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("keywords: error wrapping neither ErrStored nor ErrCorrupt: %v", err)
		}
	})
}

func TestDecodeSegmentSeed(t *testing.T) {
	s, err := DecodeSegment(fuzzSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Order) != 2 || s.Docs["a.txt"].Text != "Bees make honey. Hives." || s.Dim != 2 || s.Chunks() != 3 {
		t.Fatalf("decoded %d docs, %d chunks of dim %d", len(s.Order), s.Chunks(), s.Dim)
	}
	// The rows as the index keeps them: int8 with a scale.
	row, q := make([]float32, 2), make([]int8, 2)
	want := rank.Dequantize(q, rank.Quantize(q, []float32{0.6, 0.8}))
	if !s.Vector(0, row) || !slices.Equal(row, want) || s.Vector(1, row) {
		t.Errorf("vectors read back as %v, want %v", row, want)
	}
	sd, err := s.SegmentDoc(context.Background(), "a.txt")
	if err != nil || len(sd.Terms) != 2 || len(sd.Terms[0].Terms) != 3 || sd.Terms[0].Terms[0].Term != "bee" || sd.Terms[0].Terms[0].Section != 1 {
		t.Fatalf("SegmentDoc: %v, %+v", err, sd.Terms)
	}
	raw := fuzzSeed(t)
	ref := wire.SegmentRef{Name: "seg", Size: int64(len(raw)), SHA256: hex.EncodeToString(raw[len(raw)-sha256.Size:])}
	if err := VerifySegment(bytesReaderAt(raw), int64(len(raw)), ref); err != nil {
		t.Fatalf("VerifySegment: %v", err)
	}
	for _, tt := range []struct {
		name   string
		at     int
		opened bool // opening does not read the export
	}{
		{"metadata", len(SegmentMagic) + 1, false},
		{"export", len(raw) - sha256.Size - footerLen - 10, true},
		{"footer", len(raw) - sha256.Size - 1, false},
		{"trailer", len(raw) - 1, false},
	} {
		b := bytes.Clone(raw)
		b[tt.at] ^= 1
		if _, err := DecodeSegment(b); tt.opened != (err == nil) || err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("a byte flipped in the %s: DecodeSegment %v", tt.name, err)
		}
		if err := VerifySegment(bytesReaderAt(b), int64(len(b)), ref); !errors.Is(err, ErrCorrupt) {
			t.Errorf("a byte flipped in the %s: VerifySegment %v, want ErrCorrupt", tt.name, err)
		}
	}
}

// A segment read in two passes, its metadata first (as opening an index
// reads every segment's dictionary before any counts), is the segment
// read at once; a byte changed between the passes is found.
func TestReadSegmentInTwoPasses(t *testing.T) {
	dir := t.TempDir()
	raw := fuzzSeed(t)
	ref := wire.SegmentRef{Name: "seg-two.snap", Size: int64(len(raw)), SHA256: hex.EncodeToString(raw[len(raw)-sha256.Size:])}
	path := filepath.Join(dir, ref.Name)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	whole, err := ReadSegment(dir, ref)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := ReadSegmentMeta(dir, ref)
	if err != nil {
		t.Fatal(err)
	}
	two, err := ReadSegmentWith(dir, ref, ReadOptions{Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if len(two.Order) != len(whole.Order) {
		t.Fatalf("%d documents in two passes, %d at once", len(two.Order), len(whole.Order))
	}
	for i, d := range whole.Order {
		if got := two.Order[i]; got.ID != d.ID || got.Text != d.Text || !slices.Equal(got.Chunks, d.Chunks) {
			t.Errorf("document %d: %+v in two passes, %+v at once", i, got, d)
		}
	}
	if !slices.Equal(two.dict, whole.dict) || !bytes.Equal(two.terms, whole.terms) {
		t.Error("the term counts differ")
	}

	meta, err = ReadSegmentMeta(dir, ref)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(raw)
	changed[len(SegmentMagic)+int(meta.frame.lens[0])] ^= 1 // the text's first byte
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSegmentWith(dir, ref, ReadOptions{Meta: meta}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a segment changed between the passes: %v, want an error wrapping ErrCorrupt", err)
	}
}
