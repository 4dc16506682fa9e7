package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"citebot/answer"
)

// l2 is the ridge penalty on standardised weights: enough to keep weights
// finite on features that separate a few questions perfectly.
const l2 = 1.0

// fitLogistic fits a logistic regression by Newton's method (iteratively
// reweighted least squares) on standardised features. It is
// deterministic: the same rows give the same model.
func fitLogistic(xs [][]float64, ys []bool, ws []float64) (*answer.Model, error) {
	if len(xs) == 0 {
		return nil, errors.New("no training rows")
	}
	d := len(xs[0])
	m := &answer.Model{Features: answer.FeatureNames(), Mean: make([]float64, d), Scale: make([]float64, d), Weights: make([]float64, d)}
	for _, x := range xs {
		for j, v := range x {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(len(xs))
	}
	for _, x := range xs {
		for j, v := range x {
			m.Scale[j] += (v - m.Mean[j]) * (v - m.Mean[j])
		}
	}
	for j := range m.Scale {
		m.Scale[j] = math.Sqrt(m.Scale[j] / float64(len(xs)))
		if m.Scale[j] < 1e-9 {
			m.Scale[j] = 1 // a constant feature: its weight stays 0
		}
	}
	// w[0] is the bias, w[1:] the weights.
	n := d + 1
	w := make([]float64, n)
	z := make([]float64, n)
	for iter := 0; iter < 100; iter++ {
		g := make([]float64, n)
		h := make([][]float64, n)
		for i := range h {
			h[i] = make([]float64, n)
		}
		for r, x := range xs {
			z[0] = 1
			for j, v := range x {
				z[j+1] = (v - m.Mean[j]) / m.Scale[j]
			}
			s := 0.0
			for j := range z {
				s += w[j] * z[j]
			}
			p := 1 / (1 + math.Exp(-s))
			y := 0.0
			if ys[r] {
				y = 1
			}
			v := max(p*(1-p), 1e-12) * ws[r]
			for a := range z {
				g[a] += (p - y) * z[a] * ws[r]
				if z[a] == 0 {
					continue
				}
				for b := a; b < n; b++ {
					h[a][b] += v * z[a] * z[b]
				}
			}
		}
		for a := 1; a < n; a++ {
			g[a] += l2 * w[a]
			h[a][a] += l2
		}
		for a := range n {
			for b := 0; b < a; b++ {
				h[a][b] = h[b][a]
			}
		}
		step, err := solve(h, g)
		if err != nil {
			return nil, err
		}
		norm := 0.0
		for j := range w {
			w[j] -= step[j]
			norm += step[j] * step[j]
		}
		if norm < 1e-20 {
			break
		}
	}
	m.Bias = w[0]
	copy(m.Weights, w[1:])
	return m, nil
}

// solve solves a x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64{}, a[i]...), b[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-300 {
			return nil, errors.New("singular system")
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x, nil
}

// rows flattens questions into labelled candidate rows.
func rows(qs []question) ([][]float64, []bool, []float64) {
	var xs [][]float64
	var ys []bool
	var ws []float64
	for _, q := range qs {
		w := 1.0
		for i, c := range q.cands {
			xs = append(xs, c.Features)
			ys = append(ys, q.labels[i])
			ws = append(ws, w)
		}
	}
	return xs, ys, ws
}

// outcome is what a model made of one question: the best candidate's
// probability, whether it holds the answer, and whether the runner-up
// (the second best) would be quoted and holds it.
type outcome struct {
	q         *question
	bestIdx   int
	best      float64
	bestRight bool
	nextP     float64
	nextRight bool
}

func predict(m *answer.Model, q *question) outcome {
	o := outcome{q: q, bestIdx: -1}
	probs := make([]float64, len(q.cands))
	for i, c := range q.cands {
		probs[i] = m.Prob(c.Features)
	}
	overlap := func(i, j int) bool {
		a, b := q.cands[i], q.cands[j]
		return a.Document == b.Document && a.Start < b.End && b.Start < a.End
	}
	quoted, conf, _ := answer.Choose(probs, 0, 2, overlap)
	o.best = conf
	if len(quoted) > 0 {
		o.bestIdx = quoted[0]
		o.bestRight = q.labels[quoted[0]]
	}
	if len(quoted) > 1 {
		o.nextP = probs[quoted[1]]
		o.nextRight = q.labels[quoted[1]]
	}
	return o
}

// crossValidateWith predicts every question with a model fitted on the other
// folds' articles.
func crossValidateWith(qs []question, folds int, fit func([][]float64, []bool, []float64) (*answer.Model, error)) ([]outcome, error) {
	groups := foldsOf(qs, folds)
	out := make([]outcome, len(qs))
	for f := range folds {
		var train []question
		for _, q := range qs {
			if groups[q.group] != f {
				train = append(train, q)
			}
		}
		m, err := fit(rows(train))
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		for i := range qs {
			if groups[qs[i].group] == f {
				out[i] = predict(m, &qs[i])
			}
		}
	}
	return out, nil
}

// misses lists the answerable questions whose best candidate is wrong,
// with what was chosen and what was right.
func misses(oof []outcome) string {
	var b strings.Builder
	for _, o := range oof {
		if !o.q.answerable || o.bestRight {
			continue
		}
		fmt.Fprintf(&b, "miss %s [%s] %.2f %s\n", o.q.id, o.q.lang, o.best, o.q.text)
		fmt.Fprintf(&b, "   chose: %s\n", o.q.quote(o.bestIdx))
		if o.bestIdx >= 0 {
			fmt.Fprintf(&b, "          %s\n", featureLine(o.q.cands[o.bestIdx].Features))
		}
		for i, l := range o.q.labels {
			if l {
				fmt.Fprintf(&b, "   right: %s\n", o.q.quote(i))
				fmt.Fprintf(&b, "          %s\n", featureLine(o.q.cands[i].Features))
				break
			}
		}
	}
	return b.String()
}

// foldsOf assigns each article to a fold, in name order.
func foldsOf(qs []question, folds int) map[string]int {
	groups := map[string]int{}
	var names []string
	for _, q := range qs {
		if _, ok := groups[q.group]; !ok {
			groups[q.group] = 0
			names = append(names, q.group)
		}
	}
	sort.Strings(names)
	for i, g := range names {
		groups[g] = i % folds
	}
	return groups
}

// featureLine shows a candidate's features by name.
func featureLine(x []float64) string {
	var b strings.Builder
	for i, n := range answer.FeatureNames() {
		if x[i] != 0 {
			fmt.Fprintf(&b, "%s=%.2f ", n, x[i])
		}
	}
	return b.String()
}

// figures are the XQuAD scorer's measures of a set of outcomes at a
// threshold.
type figures struct {
	n, answerable, unanswerable                                      int
	recall, hit1, hit, falseRefusal, refused, accuracy, top1, oracle float64
}

func measure(os []outcome, th thresholds, keep func(*question) bool) figures {
	var f figures
	var rec, h1, h, fr, ref, acc float64
	for _, o := range os {
		if !keep(o.q) {
			continue
		}
		f.n++
		threshold := th.of(o.q)
		found := o.best >= threshold
		if !o.q.answerable {
			f.unanswerable++
			if !found {
				ref++
				acc++
			}
			continue
		}
		f.answerable++
		if o.q.retrieved {
			rec++
		}
		if o.bestRight {
			f.top1++
		}
		if slices.Contains(o.q.labels, true) {
			f.oracle++
		}
		switch {
		case !found:
			fr++
		case o.bestRight:
			h1++
			h++
			acc++
		case o.nextRight && o.nextP >= threshold:
			h++
			acc++
		}
	}
	if f.answerable > 0 {
		a := float64(f.answerable)
		f.recall, f.hit1, f.hit, f.falseRefusal = rec/a, h1/a, h/a, fr/a
		f.top1, f.oracle = f.top1/a, f.oracle/a
	}
	if f.unanswerable > 0 {
		f.refused = ref / float64(f.unanswerable)
	}
	if f.n > 0 {
		f.accuracy = acc / float64(f.n)
	}
	return f
}

func (f figures) String() string {
	return fmt.Sprintf("n=%d+%d R@5 %.3f hit %.3f hit@1 %.3f false-refusal %.3f refused-unanswerable %.3f accuracy %.3f (best sentence right %.3f, any %.3f)",
		f.answerable, f.unanswerable, f.recall, f.hit, f.hit1, f.falseRefusal, f.refused, f.accuracy, f.top1, f.oracle)
}

// thresholds are the operating points for questions in the documents'
// language and in another (the Russian questions).
type thresholds struct{ native, foreign float64 }

func (th thresholds) of(q *question) float64 {
	if q.foreign() {
		return th.foreign
	}
	return th.native
}

func (q *question) foreign() bool { return q.lang == "ru" }

// chooseThresholds is the operating point: for the questions in the
// documents' language and, apart, for those in another, the threshold
// that answers the most of them rightly (a hit, or a refusal of an
// unanswerable or off-topic one) over all out-of-fold predictions. The
// curve is flat near its top, so the point taken is the middle of the
// thresholds within half a point of the best: the top alone moves with
// every refit.
func chooseThresholds(os []outcome) thresholds {
	best := func(foreign bool) float64 {
		keep := func(q *question) bool { return q.foreign() == foreign }
		var acc [101]float64
		top := -1.0
		for i := range acc {
			t := float64(i) / 100
			acc[i] = measure(os, thresholds{t, t}, keep).accuracy
			top = max(top, acc[i])
		}
		var near []int
		for i, a := range acc {
			if a >= top-0.005 {
				near = append(near, i)
			}
		}
		return float64(near[len(near)/2]) / 100
	}
	return thresholds{best(false), best(true)}
}

// train measures the learners against each other by cross-validation,
// chooses the threshold on the chosen one's out-of-fold predictions, fits
// it on everything and reports.
func train(qs []question, folds int, verbose bool) (*answer.Model, string, error) {
	boost := func(xs [][]float64, ys []bool, ws []float64) (*answer.Model, error) {
		return fitBoost(xs, ys, ws, defaultBoost)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cross-validated over articles (%d folds); each learner at the threshold that answers most questions rightly:\n", folds)
	logOOF, err := crossValidateWith(qs, folds, fitLogistic)
	if err != nil {
		return nil, "", err
	}
	report(&b, "logistic regression", logOOF, chooseThresholds(logOOF))
	lw, err := listwiseTop1(qs, folds)
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintf(&b, "listwise ranker (softmax over each question's candidates), best sentence right: xquad en %.3f, xquad ru %.3f, seeds %.3f\n",
		lw["xquad en"], lw["xquad ru"], lw["seeds en"])
	oof, err := crossValidateWith(qs, folds, boost)
	if err != nil {
		return nil, "", err
	}
	t := chooseThresholds(oof)
	lines := report(&b, "boosted trees (the model)", oof, t)
	b.WriteString(reliability(oof))
	if verbose {
		b.WriteString(misses(oof))
	}
	m, err := boost(rows(qs))
	if err != nil {
		return nil, "", err
	}
	m.Threshold, m.ForeignThreshold = t.native, t.foreign
	m.Trained = fmt.Sprintf("boosted trees (%d of depth %d, shrinkage %g) fitted by go run ./tools/train on testdata/xquad and testdata/seeds-dev.jsonl; "+
		"thresholds %.2f (English) and %.2f (Russian) answer the most out-of-fold questions rightly; cross-validated over articles: %s",
		defaultBoost.trees, defaultBoost.depth, defaultBoost.rate, t.native, t.foreign, strings.Join(lines, "; "))
	return m, b.String(), nil
}

// reliability tabulates the out-of-fold confidence (the best candidate's
// probability) against how often that candidate answers: a calibrated
// model's answers are right about as often as it says.
func reliability(oof []outcome) string {
	var n, right, sum [10]float64
	for _, o := range oof {
		i := min(int(o.best*10), 9)
		n[i]++
		sum[i] += o.best
		if o.bestRight {
			right[i]++
		}
	}
	var b strings.Builder
	b.WriteString("reliability (out of fold): confidence bin, questions, mean confidence, share whose best sentence answers\n")
	for i := range n {
		if n[i] > 0 {
			fmt.Fprintf(&b, "  %.1f-%.1f %5.0f %.3f %.3f\n", float64(i)/10, float64(i+1)/10, n[i], sum[i]/n[i], right[i]/n[i])
		}
	}
	return b.String()
}

// report writes a learner's out-of-fold figures per set and language, and
// returns them as lines.
func report(b *strings.Builder, name string, oof []outcome, t thresholds) []string {
	fmt.Fprintf(b, "%s, thresholds %.2f and, for Russian questions, %.2f:\n", name, t.native, t.foreign)
	var lines []string
	for _, part := range []struct{ set, lang string }{{"xquad", "en"}, {"xquad", "ru"}, {"xquad-off", "en"}, {"xquad-off", "ru"}, {"seeds", ""}} {
		f := measure(oof, t, func(q *question) bool { return q.set == part.set && (part.lang == "" || q.lang == part.lang) })
		lines = append(lines, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s", part.set, part.lang, f)), " "))
		fmt.Fprintf(b, "  %s\n", lines[len(lines)-1])
	}
	return lines
}

// encodeModel writes a model with its numbers rounded to 6 significant
// digits, so that the file does not change with the last bits of
// floating-point arithmetic.
func encodeModel(m *answer.Model) ([]byte, error) {
	r := *m
	round := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i], _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
		}
		return out
	}
	r.Mean, r.Scale, r.Weights = round(r.Mean), round(r.Scale), round(r.Weights)
	r.Bias = round([]float64{r.Bias})[0]
	r.Trees = make([]answer.Tree, len(m.Trees))
	for i, t := range m.Trees {
		r.Trees[i] = slices.Clone(t)
		for j := range t {
			n := &r.Trees[i][j]
			n.Threshold, n.Value = round([]float64{n.Threshold})[0], round([]float64{n.Value})[0]
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fitListwise fits a conditional logit (softmax over each question's
// candidates, the gold ones as the target), by Newton's method: a ranker,
// measured against the pointwise model. Its scores are not probabilities.
func fitListwise(qs []question, std *answer.Model) ([]float64, error) {
	d := len(std.Mean)
	type group struct {
		zs     [][]float64
		target []float64
	}
	var gs []group
	for _, q := range qs {
		npos := 0
		for _, l := range q.labels {
			if l {
				npos++
			}
		}
		if npos == 0 || npos == len(q.labels) {
			continue // nothing to rank
		}
		g := group{zs: make([][]float64, len(q.cands)), target: make([]float64, len(q.cands))}
		for i, c := range q.cands {
			z := make([]float64, d)
			for j, v := range c.Features {
				z[j] = (v - std.Mean[j]) / std.Scale[j]
			}
			g.zs[i] = z
			if q.labels[i] {
				g.target[i] = 1 / float64(npos)
			}
		}
		gs = append(gs, g)
	}
	probs := func(g group, w []float64) []float64 {
		ps := make([]float64, len(g.zs))
		mx := math.Inf(-1)
		for i, z := range g.zs {
			for j := range z {
				ps[i] += w[j] * z[j]
			}
			mx = max(mx, ps[i])
		}
		var sum float64
		for i := range ps {
			ps[i] = math.Exp(ps[i] - mx)
			sum += ps[i]
		}
		for i := range ps {
			ps[i] /= sum
		}
		return ps
	}
	loss := func(w []float64) float64 {
		l := 0.0
		for _, g := range gs {
			for i, p := range probs(g, w) {
				if g.target[i] > 0 {
					l -= g.target[i] * math.Log(max(p, 1e-300))
				}
			}
		}
		for _, v := range w {
			l += l2 / 2 * v * v
		}
		return l
	}
	w := make([]float64, d)
	cur := loss(w)
	for iter := 0; iter < 50; iter++ {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for _, gr := range gs {
			ps := probs(gr, w)
			mean := make([]float64, d)
			for i, z := range gr.zs {
				for a := range z {
					g[a] += (ps[i] - gr.target[i]) * z[a]
					mean[a] += ps[i] * z[a]
					for b := range z {
						h[a][b] += ps[i] * z[a] * z[b]
					}
				}
			}
			for a := range mean {
				for b := range mean {
					h[a][b] -= mean[a] * mean[b]
				}
			}
		}
		for a := range d {
			g[a] += l2 * w[a]
			h[a][a] += l2
		}
		step, err := solve(h, g)
		if err != nil {
			return nil, err
		}
		// Newton's step, halved until the loss goes down.
		next := make([]float64, d)
		for t := 1.0; t > 1e-6; t /= 2 {
			for j := range w {
				next[j] = w[j] - t*step[j]
			}
			if l := loss(next); l < cur {
				break
			}
		}
		l := loss(next)
		if l >= cur {
			break
		}
		done := cur-l < 1e-9*cur
		copy(w, next)
		cur = l
		if done {
			break
		}
	}
	return w, nil
}

// listwiseTop1 is the share of answerable questions whose best candidate
// by a listwise ranker (cross-validated like the pointwise model) is
// right, per set and language.
func listwiseTop1(qs []question, folds int) (map[string]float64, error) {
	groups := foldsOf(qs, folds)
	right, n := map[string]float64{}, map[string]float64{}
	for f := range folds {
		var fit []question
		for _, q := range qs {
			if groups[q.group] != f {
				fit = append(fit, q)
			}
		}
		std, err := fitLogistic(rows(fit))
		if err != nil {
			return nil, err
		}
		w, err := fitListwise(fit, std)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			if groups[q.group] != f || !q.answerable {
				continue
			}
			key := q.set + " " + q.lang
			n[key]++
			best, bi := math.Inf(-1), -1
			for i, c := range q.cands {
				s := 0.0
				for j, v := range c.Features {
					s += w[j] * (v - std.Mean[j]) / std.Scale[j]
				}
				if s > best {
					best, bi = s, i
				}
			}
			if bi >= 0 && q.labels[bi] {
				right[key]++
			}
		}
	}
	for k := range right {
		right[k] /= n[k]
	}
	return right, nil
}
