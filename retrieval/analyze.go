package retrieval

import (
	"slices"

	"citebot/analysis"
	"citebot/retrieval/internal/rank"
)

// Analyze analyses a question against this index: names written in
// Cyrillic are matched to the corpus's own words by their sound, and every
// key term gets its IDF, looked up once.
func (ix *Index) Analyze(q string) analysis.Query {
	query := analysis.AnalyzeQuery(q)
	for i := range query.Keys {
		kt := &query.Keys[i]
		if analysis.IsCyrillicWord(kt.Word) {
			for _, t := range ix.soundsLike(kt.Word, kt.Terms[0]) {
				if j := slices.Index(kt.Terms, t); j >= 0 {
					kt.Weights[j] = 1
				} else {
					kt.Terms = append(kt.Terms, t)
					kt.Weights = append(kt.Weights, 1)
				}
			}
		}
		for _, t := range kt.Terms {
			if v, ok := ix.IDF(t); ok && v > kt.IDF {
				kt.IDF = v
			}
		}
	}
	return query
}

// bm25Terms are the weighted BM25 terms of a query: each key term counts
// once in all, shared between the renderings the corpus holds in
// proportion to their weights, so that a Russian word with three
// renderings does not outweigh an English word with one, and one the
// corpus lacks does not dilute one it has.
func bm25Terms(q analysis.Query, known func(string) bool) []rank.WeightedTerm {
	var out []rank.WeightedTerm
	for _, kt := range q.Keys {
		sum := 0.0
		for i, t := range kt.Terms {
			if known == nil || known(t) {
				sum += kt.Weight(i)
			}
		}
		if sum == 0 {
			continue
		}
		for i, t := range kt.Terms {
			if known == nil || known(t) {
				out = append(out, rank.WeightedTerm{Term: t, Weight: kt.Weight(i) / sum})
			}
		}
	}
	return out
}
