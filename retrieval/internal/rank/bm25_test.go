package rank

import (
	"math"
	"testing"
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
