package rank

import (
	"math"
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
