package rank

import (
	"math"
	"slices"
	"testing"
	"unsafe"
)

func TestBM25ParamsValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	with := func(edit func(p *BM25Params)) BM25Params {
		p := DefaultBM25
		edit(&p)
		return p
	}
	tests := []struct {
		name string
		p    BM25Params
		want string // "" for valid
	}{
		{"defaults", DefaultBM25, ""},
		{"all zero", BM25Params{}, ""},
		{"b 1", with(func(p *BM25Params) { p.B = 1 }), ""},
		{"large k1", with(func(p *BM25Params) { p.K1 = 1e6 }), ""},
		{"negative k1", with(func(p *BM25Params) { p.K1 = -1 }), "bm25.k1 must be ≥ 0, got -1"},
		{"NaN k1", with(func(p *BM25Params) { p.K1 = nan }), "bm25.k1 must be ≥ 0, got NaN"},
		{"infinite k1", with(func(p *BM25Params) { p.K1 = inf }), "bm25.k1 must be finite, got +Inf"},
		{"negative b", with(func(p *BM25Params) { p.B = -0.1 }), "bm25.b must be within [0, 1], got -0.1"},
		{"b above 1", with(func(p *BM25Params) { p.B = 1.5 }), "bm25.b must be within [0, 1], got 1.5"},
		{"NaN b", with(func(p *BM25Params) { p.B = nan }), "bm25.b must be within [0, 1], got NaN"},
		{"negative title weight", with(func(p *BM25Params) { p.TitleWeight = -2 }), "bm25.title_weight must be ≥ 0, got -2"},
		{"infinite title weight", with(func(p *BM25Params) { p.TitleWeight = inf }), "bm25.title_weight must be finite, got +Inf"},
		{"negative section weight", with(func(p *BM25Params) { p.SectionWeight = -0.5 }), "bm25.section_weight must be ≥ 0, got -0.5"},
		{"NaN section weight", with(func(p *BM25Params) { p.SectionWeight = nan }), "bm25.section_weight must be ≥ 0, got NaN"},
		{"first in file order", BM25Params{K1: -1, B: 2}, "bm25.k1 must be ≥ 0, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.p.Validate(), tt.want)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("Validate() = %v, want nil", err)
	case want != "" && err == nil:
		t.Errorf("Validate() = nil, want %q", want)
	case want != "" && err.Error() != want:
		t.Errorf("Validate() = %q, want %q", err, want)
	}
}

// A posting keeps any chunk number and the counts up to the fields'
// widths, and saturates beyond them.
func TestPostingPacking(t *testing.T) {
	for _, tc := range []struct {
		chunk                  int32
		body                   uint16
		section, title         uint8
		wantBody               uint16
		wantSection, wantTitle uint8
	}{
		{0, 1, 0, 0, 1, 0, 0},
		{65535, 3, 1, 2, 3, 1, 2},
		{65536, 1023, 7, 7, 1023, 7, 7},
		{1<<31 - 1, 1024, 8, 200, 1023, 7, 7},
		{123456, 65535, 255, 0, 1023, 7, 0},
	} {
		p := newPosting(tc.chunk, tc.body, tc.section, tc.title)
		if p.chunk() != tc.chunk || p.body() != tc.wantBody || p.section() != tc.wantSection || p.title() != tc.wantTitle {
			t.Errorf("newPosting(%d, %d, %d, %d) reads back chunk %d, counts %d/%d/%d", tc.chunk, tc.body, tc.section, tc.title, p.chunk(), p.body(), p.section(), p.title())
		}
	}
	if size := unsafe.Sizeof(posting{}); size != 6 {
		t.Errorf("a posting takes %d bytes, want 6", size)
	}
}

// mergePostings gives what merging gives, and old itself, shared, when
// that is old: a changed document whose chunks count a term as before
// does not copy the term's list.
func TestMergePostings(t *testing.T) {
	p := func(c int32, body uint16) posting { return newPosting(c, body, 0, 0) }
	old := []posting{p(1, 1), p(4, 2), p(7, 1), p(9, 3)}
	keep := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	dropSeven := []int32{0, 1, 2, 3, 4, 5, 6, -1, 8, 9}
	shift := []int32{0, 1, 2, 3, 4, 5, 6, 7, 9, 10}
	for _, tt := range []struct {
		name   string
		remap  []int32
		fresh  []posting
		want   []posting
		shared bool
	}{
		{"nothing changed", keep, nil, old, true},
		{"a chunk counted again the same", dropSeven, []posting{p(7, 1)}, old, true},
		{"a chunk counted again otherwise", dropSeven, []posting{p(7, 5)}, []posting{p(1, 1), p(4, 2), p(7, 5), p(9, 3)}, false},
		{"a chunk no longer holds it", dropSeven, nil, []posting{p(1, 1), p(4, 2), p(9, 3)}, false},
		{"a new chunk holds it", keep, []posting{p(5, 1)}, []posting{p(1, 1), p(4, 2), p(5, 1), p(7, 1), p(9, 3)}, false},
		{"chunks moved", shift, nil, []posting{p(1, 1), p(4, 2), p(7, 1), p(10, 3)}, false},
		{"counted the same, and one more", dropSeven, []posting{p(7, 1), p(8, 1)}, []posting{p(1, 1), p(4, 2), p(7, 1), p(8, 1), p(9, 3)}, false},
	} {
		got := mergePostings(old, tt.remap, tt.fresh)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		if shared := len(got) > 0 && &got[0] == &old[0]; shared != tt.shared {
			t.Errorf("%s: shares old: %v, want %v", tt.name, shared, tt.shared)
		}
	}
}
