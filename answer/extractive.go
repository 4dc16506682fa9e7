package answer

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"citebot/retrieval"
)

// Tuning are the extractive composer's knobs, calibrated on the dev set
// (README, "Tuning").
type Tuning struct {
	// MinCoverage is the share of the question's key-term weight that the
	// best passage (with its title and section) must hold; below it the
	// composer answers "the documents don't say".
	MinCoverage float64 `yaml:"min_coverage" json:"min_coverage"`
	// MaxSentences caps how many sentences an answer quotes (1 to 3).
	MaxSentences int `yaml:"max_sentences" json:"max_sentences"`
	// ContextWeight is how much a key term found only in a sentence's
	// section heading or document title counts, relative to one in the
	// sentence itself.
	ContextWeight float64 `yaml:"context_weight" json:"context_weight"`
}

// DefaultTuning is the calibrated default.
var DefaultTuning = Tuning{MinCoverage: 0.5, MaxSentences: 2, ContextWeight: 0.5}

// Extractive answers by quoting sentences of the retrieved passages.
type Extractive struct {
	Index  Searcher
	Tuning Tuning
}

// candidate is one sentence of a retrieved passage.
type candidate struct {
	passage  int // index into the passages
	span     retrieval.Span
	own      float64 // key-term weight the sentence itself holds
	context  float64 // key-term weight held only by its section or title
	score    float64
	terms    map[string]bool
	position int // order within the passage
}

// Answer answers question from the k best passages.
func (e Extractive) Answer(ctx context.Context, question string, k int) (Answer, error) {
	start := time.Now()
	if err := CheckQuestion(question); err != nil {
		return Answer{}, err
	}
	ps, err := e.Index.Search(ctx, question, k)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	a := e.compose(question, ps)
	a.TookMS = time.Since(start).Milliseconds()
	return a, nil
}

func (e Extractive) compose(question string, ps []retrieval.Passage) Answer {
	t := e.Tuning
	if t.MaxSentences < 1 {
		t.MaxSentences = 1
	}
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}, Passages: toPassages(ps)}
	keys := retrieval.KeyTerms(question)
	weights, total := e.weigh(keys)

	var cands []candidate
	for pi, p := range ps {
		ctxTerms := termSet(p.Section + "\n" + p.Title)
		for si, s := range retrieval.SplitSentences(p.Text, retrieval.Span{Start: 0, End: len(p.Text)}) {
			terms := termSet(p.Text[s.Start:s.End])
			c := candidate{passage: pi, span: s, terms: terms, position: si}
			for i, kt := range keys {
				switch {
				case hasAny(terms, kt.Terms):
					c.own += weights[i]
				case hasAny(ctxTerms, kt.Terms):
					c.context += weights[i]
				}
			}
			cands = append(cands, c)
		}
	}
	if total == 0 || len(cands) == 0 {
		a.Answer = NotFoundText
		return a
	}
	top := ps[0].Score
	for i := range cands {
		c := &cands[i]
		rel := 0.0
		if top > 0 {
			rel = ps[c.passage].Score / top
		}
		c.score = (c.own+t.ContextWeight*c.context)/total + 0.15*rel
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	best := cands[0]
	if coverage := e.passageCoverage(keys, weights, ps[best.passage]) / total; coverage < t.MinCoverage {
		a.Answer = NotFoundText
		return a
	}

	chosen := []candidate{best}
	covered := coveredKeys(keys, best.terms)
	for _, c := range cands[1:] {
		if len(chosen) == t.MaxSentences {
			break
		}
		// A further sentence must add a key term the answer lacks, and be
		// nearly as good as the best: quoting the runner-up for its own
		// sake only lengthens the answer.
		gain := 0.0
		for i, kt := range keys {
			if !covered[i] && hasAny(c.terms, kt.Terms) {
				gain += weights[i]
			}
		}
		if gain/total < 0.2 || c.score < 0.6*best.score {
			continue
		}
		chosen = append(chosen, c)
		for i, kt := range keys {
			if hasAny(c.terms, kt.Terms) {
				covered[i] = true
			}
		}
	}
	// Quote in document order so that the answer reads as the source does.
	sort.SliceStable(chosen, func(i, j int) bool {
		pi, pj := ps[chosen[i].passage], ps[chosen[j].passage]
		if pi.DocID != pj.DocID {
			return chosen[i].score > chosen[j].score
		}
		return pi.Start+chosen[i].span.Start < pj.Start+chosen[j].span.Start
	})
	var b strings.Builder
	for n, c := range chosen {
		p := ps[c.passage]
		quote := p.Text[c.span.Start:c.span.End]
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(flatten(quote))
		b.WriteString(" [" + strconv.Itoa(n+1) + "]")
		a.Citations = append(a.Citations, Citation{
			N: n + 1, Document: p.DocID, Title: p.Title,
			Start: p.Start + c.span.Start, End: p.Start + c.span.End,
			LineStart: p.LineStart + strings.Count(p.Text[:c.span.Start], "\n"),
			LineEnd:   p.LineStart + strings.Count(p.Text[:c.span.End-1], "\n"),
			Quote:     quote, Score: round(c.score),
		})
	}
	a.Answer = b.String()
	a.Found = true
	return a
}

// weigh gives each key term its weight: its IDF, or, for a term the
// corpus never uses, the IDF of a term seen once, because an unknown word
// is as telling as the rarest known one.
func (e Extractive) weigh(keys []retrieval.KeyTerm) ([]float64, float64) {
	n := float64(e.Index.NumChunks())
	unseen := math.Log(1 + (n+0.5)/1.5)
	w := make([]float64, len(keys))
	var total float64
	for i, kt := range keys {
		best := 0.0
		for _, t := range kt.Terms {
			if v, ok := e.Index.IDF(t); ok && v > best {
				best = v
			}
		}
		if best == 0 {
			best = unseen
		}
		w[i] = best
		total += best
	}
	return w, total
}

// passageCoverage is the key-term weight a passage holds in its text,
// section or title.
func (e Extractive) passageCoverage(keys []retrieval.KeyTerm, weights []float64, p retrieval.Passage) float64 {
	terms := termSet(p.Text + "\n" + p.Section + "\n" + p.Title)
	var c float64
	for i, kt := range keys {
		if hasAny(terms, kt.Terms) {
			c += weights[i]
		}
	}
	return c
}

func coveredKeys(keys []retrieval.KeyTerm, terms map[string]bool) map[int]bool {
	out := make(map[int]bool)
	for i, kt := range keys {
		if hasAny(terms, kt.Terms) {
			out[i] = true
		}
	}
	return out
}

func termSet(text string) map[string]bool {
	s := make(map[string]bool)
	for _, t := range retrieval.Terms(text) {
		s[t] = true
	}
	return s
}

func hasAny(set map[string]bool, terms []string) bool {
	for _, t := range terms {
		if set[t] {
			return true
		}
	}
	return false
}

// flatten joins a quote's lines for the answer text; the citation keeps the
// exact bytes.
func flatten(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
