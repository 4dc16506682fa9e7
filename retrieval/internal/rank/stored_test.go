package rank

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// storedPart is chunks (the counts of the index's chunks at, -1 for a
// chunk no longer held) as a segment stores them.
func storedPart(counts []ChunkCounts, at []int32) StoredChunks {
	n := map[string]int{}
	for _, cc := range counts {
		for _, tc := range cc.Terms {
			n[tc.Term]++
		}
	}
	p := StoredChunks{Chunks: at}
	for t := range n {
		p.Terms = append(p.Terms, t)
	}
	slices.Sort(p.Terms)
	id := map[string]int{}
	for i, t := range p.Terms {
		id[t] = i
		p.Postings = append(p.Postings, n[t])
	}
	p.Decode = func(chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error {
		for i, cc := range counts {
			if err := chunk(i, cc.BodyLen, cc.SectionLen, cc.TitleLen); err != nil {
				return err
			}
			for _, tc := range cc.Terms {
				if err := term(id[tc.Term], tc.Body, tc.Section, tc.Title); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return p
}

// An index loaded from stored counts is the index built from them: the
// same postings, df, bounds, weights, and search results, whether the
// parts hold runs of chunks or interleave, and with chunks of removed
// documents among them.
func TestLoadKeywordIndexMatchesBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	chunks, docs := syntheticChunks(r, 3000, 2000)
	want := UpdateKeywordIndex(nil, nil, chunks, docs, DefaultBM25)
	all := make([]int32, len(chunks))
	for i := range all {
		all[i] = int32(i)
	}
	forward := want.Forward(all)
	for i, cc := range forward {
		if !reflect.DeepEqual(cc, chunks[i]) {
			t.Fatalf("Forward: chunk %d read back as %+v, counted %+v", i, cc, chunks[i])
		}
	}
	split := func(assign func(c int) int, parts int, dead int) []StoredChunks {
		var counts = make([][]ChunkCounts, parts)
		var at = make([][]int32, parts)
		for c := range chunks {
			p := assign(c)
			counts[p] = append(counts[p], chunks[c])
			at[p] = append(at[p], int32(c))
		}
		// Dead chunks: counts of something removed, kept by a part.
		for d := range dead {
			p := d % parts
			counts[p] = append(counts[p], chunks[r.IntN(len(chunks))])
			at[p] = append(at[p], -1)
		}
		out := make([]StoredChunks, parts)
		for p := range out {
			out[p] = storedPart(counts[p], at[p])
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		parts []StoredChunks
	}{
		{"one part", split(func(int) int { return 0 }, 1, 0)},
		{"runs", split(func(c int) int { return c * 4 / len(chunks) }, 4, 0)},
		{"runs in reverse", split(func(c int) int { return 3 - c*4/len(chunks) }, 4, 0)},
		{"interleaved", split(func(c int) int { return c % 3 }, 3, 0)},
		{"with dead chunks", split(func(c int) int { return c * 2 / len(chunks) }, 2, 40)},
	} {
		// Finished on the caller's goroutine and on all cores.
		for _, serial := range []int{1 << 30, 0} {
			t.Run(fmt.Sprintf("%s/serial below %d", tt.name, serial), func(t *testing.T) {
				defer func(was int) { serialPostings = was }(serialPostings)
				serialPostings = serial
				got, err := LoadKeywordIndex(tt.parts, len(chunks), docs, DefaultBM25)
				if err != nil {
					t.Fatal(err)
				}
				if got.N != want.N || got.Units != want.Units || !reflect.DeepEqual(got.Lengths, want.Lengths) || !reflect.DeepEqual(got.Weights, want.Weights) {
					t.Fatalf("other lengths, weights or units")
				}
				if !reflect.DeepEqual(got.Terms, want.Terms) {
					t.Fatalf("other postings")
				}
				zw := newZipfWords(r, 2000)
				for range 50 {
					q := randomQuery(r, zw)
					if a, b := got.Search(q, 10), want.Search(q, 10); !reflect.DeepEqual(a, b) {
						t.Fatalf("Search(%v) = %v, built %v", q, a, b)
					}
				}
			})
		}
	}
}

// Stored counts that contradict themselves are refused, not loaded.
func TestLoadKeywordIndexRefuses(t *testing.T) {
	chunks := []ChunkCounts{CountTerms(FieldTerms{Body: []string{"a", "b", "a"}}), CountTerms(FieldTerms{Body: []string{"b"}})}
	docs := []DocUnits{{First: 0, Count: 2}}
	good := storedPart(chunks, []int32{0, 1})
	if _, err := LoadKeywordIndex([]StoredChunks{good}, 2, docs, DefaultBM25); err != nil {
		t.Fatal(err)
	}
	more := good
	more.Postings = []int{1, 1} // "b" is in two chunks
	fewer := good
	fewer.Postings = []int{1, 2}
	fewer.Decode = storedPart(chunks[:1], nil).Decode
	unsorted := good
	unsorted.Terms = []string{"b", "a"}
	twice := good
	twice.Chunks = []int32{0, 0}
	outside := good
	outside.Chunks = []int32{0, 5}
	zero := good
	zero.Decode = func(chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error {
		if err := chunk(0, 1, 0, 0); err != nil {
			return err
		}
		return term(0, 0, 0, 0)
	}
	for name, p := range map[string]StoredChunks{"more postings than recorded": more, "fewer": fewer, "dictionary out of order": unsorted,
		"a chunk twice": twice, "a chunk outside the index": outside, "a count of 0": zero} {
		if _, err := LoadKeywordIndex([]StoredChunks{p}, 2, docs, DefaultBM25); !errors.Is(err, ErrStored) {
			t.Errorf("%s: %v, want ErrStored", name, err)
		}
	}
}
