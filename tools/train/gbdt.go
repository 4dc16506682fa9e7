package main

import (
	"math"
	"slices"

	"citebot/answer"
)

// Boosted trees for the logistic loss, second-order (each leaf the Newton
// step over its rows), on features cut into quantile bins. Deterministic:
// the same rows give the same trees.
type boostParams struct {
	trees   int
	depth   int
	rate    float64 // shrinkage
	lambda  float64 // L2 on leaf values
	minLeaf int     // rows
	bins    int
	minHess float64
}

var defaultBoost = boostParams{trees: 150, depth: 3, rate: 0.1, lambda: 1, minLeaf: 20, bins: 32, minHess: 1}

// binEdges are each feature's cut points: up to bins-1 quantiles of its
// distinct values.
func binEdges(xs [][]float64, bins int) [][]float64 {
	d := len(xs[0])
	edges := make([][]float64, d)
	col := make([]float64, len(xs))
	for j := range d {
		for i, x := range xs {
			col[i] = x[j]
		}
		slices.Sort(col)
		var e []float64
		for b := 1; b < bins; b++ {
			v := col[len(col)*b/bins]
			if len(e) == 0 || v > e[len(e)-1] {
				e = append(e, v)
			}
		}
		// A cut at the largest value would put everything left.
		if len(e) > 0 && e[len(e)-1] >= col[len(col)-1] {
			e = e[:len(e)-1]
		}
		edges[j] = e
	}
	return edges
}

func fitBoost(xs [][]float64, ys []bool, ws []float64, p boostParams) (*answer.Model, error) {
	n, d := len(xs), len(xs[0])
	edges := binEdges(xs, p.bins)
	// bin[i*d+j]: the bin of row i's feature j (values <= edges[b] go to bin b).
	bin := make([]uint8, n*d)
	for i, x := range xs {
		for j, v := range x {
			b, _ := slices.BinarySearch(edges[j], v)
			bin[i*d+j] = uint8(b)
		}
	}
	pos := 0.0
	for _, y := range ys {
		if y {
			pos++
		}
	}
	rate := (pos + 1) / (float64(n) + 2)
	m := &answer.Model{Features: answer.FeatureNames(), Bias: math.Log(rate / (1 - rate))}
	f := make([]float64, n)
	for i := range f {
		f[i] = m.Bias
	}
	g := make([]float64, n)
	h := make([]float64, n)
	rowsAll := make([]int, n)
	for i := range rowsAll {
		rowsAll[i] = i
	}
	for range p.trees {
		for i := range n {
			pr := 1 / (1 + math.Exp(-f[i]))
			y := 0.0
			if ys[i] {
				y = 1
			}
			g[i], h[i] = (pr-y)*ws[i], max(pr*(1-pr), 1e-9)*ws[i]
		}
		var t answer.Tree
		var grow func(rows []int, depth int) int
		grow = func(rows []int, depth int) int {
			var G, H float64
			for _, r := range rows {
				G += g[r]
				H += h[r]
			}
			idx := len(t)
			t = append(t, answer.Node{Feature: -1, Value: -G / (H + p.lambda) * p.rate})
			if depth == p.depth || len(rows) < 2*p.minLeaf {
				return idx
			}
			bestGain, bestF, bestB := 0.0, -1, 0
			parent := G * G / (H + p.lambda)
			gs := make([]float64, p.bins)
			hs := make([]float64, p.bins)
			cs := make([]int, p.bins)
			for j := range d {
				nb := len(edges[j]) + 1
				if nb < 2 {
					continue
				}
				clear(gs)
				clear(hs)
				clear(cs)
				for _, r := range rows {
					b := bin[r*d+j]
					gs[b] += g[r]
					hs[b] += h[r]
					cs[b]++
				}
				var gl, hl float64
				cl := 0
				for b := 0; b < nb-1; b++ {
					gl += gs[b]
					hl += hs[b]
					cl += cs[b]
					gr, hr, cr := G-gl, H-hl, len(rows)-cl
					if cl < p.minLeaf || cr < p.minLeaf || hl < p.minHess || hr < p.minHess {
						continue
					}
					gain := gl*gl/(hl+p.lambda) + gr*gr/(hr+p.lambda) - parent
					if gain > bestGain+1e-12 {
						bestGain, bestF, bestB = gain, j, b
					}
				}
			}
			if bestF < 0 {
				return idx
			}
			var left, right []int
			for _, r := range rows {
				if int(bin[r*d+bestF]) <= bestB {
					left = append(left, r)
				} else {
					right = append(right, r)
				}
			}
			t[idx].Feature = bestF
			t[idx].Threshold = edges[bestF][bestB]
			l := grow(left, depth+1)
			r := grow(right, depth+1)
			t[idx].Left, t[idx].Right = l, r
			return idx
		}
		grow(rowsAll, 0)
		for i, x := range xs {
			f[i] += t.Eval(x)
		}
		m.Trees = append(m.Trees, t)
	}
	return m, nil
}
