package answer

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Model is the fitted answer model: over the features of a candidate
// sentence (featureNames) it gives the probability that the sentence
// answers the question, as a logistic regression (Weights) or as boosted
// trees (Trees) whose summed leaves are the log-odds. The best candidate is quoted
// when its probability reaches Threshold; a runner-up is quoted beside it
// when its own reaches Second.
//
// The file is written by tools/train, which fits it on committed data
// (testdata/: the XQuAD development half and the seeds dev set); a test
// checks that training again reproduces it.
type Model struct {
	Features []string `json:"features"`
	// Mean and Scale standardise each feature before the weights apply.
	Mean    []float64 `json:"mean"`
	Scale   []float64 `json:"scale"`
	Weights []float64 `json:"weights,omitempty"`
	Bias    float64   `json:"bias"`
	Trees   []Tree    `json:"trees,omitempty"`
	// Threshold is the probability below which the documents "don't
	// say": chosen on out-of-fold predictions for the operating point
	// Trained describes.
	Threshold float64 `json:"threshold"`
	// ForeignThreshold is Threshold for a question in another script than
	// the documents', which reaches them through translation only: its
	// evidence is weaker, and the operating point is chosen on such
	// questions alone.
	ForeignThreshold float64 `json:"foreign_threshold"`
	// Trained says how the model was fitted and what it scored.
	Trained string `json:"trained"`
}

// DefaultModel is the model built into the binary: model.json, compiled
// in as data (model_builtin.go, written with it by tools/train), so that
// no command spends a cold start reading it. A test checks that the two
// are the same model and that it is sound. Callers must not modify it.
func DefaultModel() *Model { return &builtinModel }

// ParseModel reads a model file, checking that it was fitted on the
// features this build computes.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !slices.Equal(m.Features, featureNames[:]) {
		return nil, fmt.Errorf("model: fitted on features %q, this build computes %q", m.Features, featureNames)
	}
	n := len(m.Features)
	if len(m.Trees) > 0 {
		if len(m.Weights) > 0 {
			return nil, fmt.Errorf("model: both weights and trees")
		}
		for i, t := range m.Trees {
			if err := t.check(n); err != nil {
				return nil, fmt.Errorf("model: tree %d: %w", i, err)
			}
		}
	} else {
		if len(m.Mean) != n || len(m.Scale) != n || len(m.Weights) != n {
			return nil, fmt.Errorf("model: %d features but %d means, %d scales, %d weights", n, len(m.Mean), len(m.Scale), len(m.Weights))
		}
		for i, s := range m.Scale {
			if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("model: feature %s has scale %v", m.Features[i], s)
			}
		}
	}
	for _, t := range []float64{m.Threshold, m.ForeignThreshold} {
		if t < 0 || t > 1 || math.IsNaN(t) {
			return nil, fmt.Errorf("model: threshold %v must be within [0, 1]", t)
		}
	}
	return &m, nil
}

// ThresholdFor is the threshold for a question in the documents' script
// or, foreign, in another.
func (m *Model) ThresholdFor(foreign bool) float64 {
	if foreign {
		return m.ForeignThreshold
	}
	return m.Threshold
}

// Prob is the probability that a candidate with features x answers.
func (m *Model) Prob(x []float64) float64 {
	if m == &builtinModel && builtinLogOdds != nil {
		return 1 / (1 + math.Exp(-builtinLogOdds(x)))
	}
	z := m.Bias
	for i, w := range m.Weights {
		z += w * (x[i] - m.Mean[i]) / m.Scale[i]
	}
	for _, t := range m.Trees {
		z += t.Eval(x)
	}
	return 1 / (1 + math.Exp(-z))
}

// probs sets out[i] to what Choose needs of candidate i's probability
// for a threshold: Prob exactly for every candidate that could be quoted
// or is the most probable, and 0 for the others, which can be neither
// (their probabilities are below the threshold and the best's). Most
// candidates of an answer are such, and the exponential was a sixtieth
// of an answer.
func (m *Model) probs(cands []candidate, out []float64, threshold float64) {
	if m != &builtinModel || builtinLogOdds == nil {
		for i, c := range cands {
			out[i] = m.Prob(c.x)
		}
		return
	}
	best := math.Inf(-1)
	for i, c := range cands {
		out[i] = builtinLogOdds(c.x) // log-odds first
		if out[i] > best {
			best = out[i]
		}
	}
	// Below cut, a candidate's log-odds are short of both the
	// threshold's and the best's by far more than rounding could make up
	// (1e-9 against 1e-16): its probability is below the threshold and
	// below the best's, which is computed, as is every probability that
	// could reach the threshold.
	cut := min(math.Log(threshold/(1-threshold)), best) - 1e-9
	for i, z := range out {
		if z < cut {
			out[i] = 0
		} else {
			out[i] = 1 / (1 + math.Exp(-z))
		}
	}
}

// Tree is a regression tree over the features, its root first.
type Tree []Node

// Node is a split (x[Feature] <= Threshold goes Left, else Right) or, with
// Feature -1, a leaf adding Value to the log-odds.
type Node struct {
	Feature   int     `json:"f"`
	Threshold float64 `json:"t,omitempty"`
	Left      int     `json:"l,omitempty"`
	Right     int     `json:"r,omitempty"`
	Value     float64 `json:"v,omitempty"`
}

// Eval is the tree's value for x.
func (t Tree) Eval(x []float64) float64 {
	i := 0
	for {
		n := &t[i]
		if n.Feature < 0 {
			return n.Value
		}
		if x[n.Feature] <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// check makes sure a tree read from a file ends in leaves for every x:
// children come after their parent, features are in range.
func (t Tree) check(features int) error {
	if len(t) == 0 {
		return errors.New("empty")
	}
	for i, n := range t {
		if n.Feature < 0 {
			continue
		}
		if n.Feature >= features || n.Left <= i || n.Right <= i || n.Left >= len(t) || n.Right >= len(t) {
			return fmt.Errorf("node %d is malformed", i)
		}
	}
	return nil
}

// FeatureNames lists the features a model is fitted on, in order.
func FeatureNames() []string { return slices.Clone(featureNames[:]) }

// Choose picks what an answer quotes from its candidates' probabilities:
// the best candidate and, up to most in all, the next best ones that
// reach threshold too (the model would answer with each alone) and
// overlap none quoted before (overlap may be nil), best first; found is
// false when the best is below threshold. Ties go to the earlier
// candidate (the better-ranked passage); a probability that is not a
// number counts as none.
func Choose(probs []float64, threshold float64, most int, overlap func(i, j int) bool) (quoted []int, confidence float64, found bool) {
	best := -1
	for i, p := range probs {
		if !math.IsNaN(p) && (best < 0 || p > probs[best]) {
			best = i
		}
	}
	if best < 0 {
		return nil, 0, false
	}
	confidence = probs[best]
	if !(confidence >= threshold) {
		return nil, confidence, false
	}
	// Only the candidates that reach the threshold can be quoted: they
	// alone are ordered, best first, ties in their order (most of an
	// answer's candidates fall short).
	var order []int
	for i, p := range probs {
		if p >= threshold {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(probs[b], probs[a]) })
	for _, i := range order {
		if len(quoted) == max(most, 1) || probs[i] < threshold {
			break
		}
		if overlap != nil && slices.ContainsFunc(quoted, func(j int) bool { return overlap(i, j) }) {
			continue
		}
		quoted = append(quoted, i)
	}
	return quoted, confidence, true
}
