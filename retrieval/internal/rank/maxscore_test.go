package rank

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"citebot/analysis"
)

// The n the property tests compare at: search.go asks for its candidates
// (100 by default), the answer for a few.
var testNs = []int{1, 5, 10, 100, 300}

// sameRanking fails unless got is want exactly: the same chunks in the
// same order with the same scores, bit for bit.
func sameRanking(t *testing.T, what string, got, want []Scored) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, exhaustive %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].Chunk != want[i].Chunk || math.Float64bits(got[i].Score) != math.Float64bits(want[i].Score) {
			t.Fatalf("%s: result %d is %+v, exhaustive %+v", what, i, got[i], want[i])
		}
	}
}

// zipfWords draws words from a vocabulary of size v with Zipf-distributed
// frequencies, as natural text has them: a few very common terms (long
// postings) and a long tail.
type zipfWords struct {
	z *rand.Zipf
}

func newZipfWords(r *rand.Rand, v int) zipfWords {
	return zipfWords{rand.NewZipf(r, 1.1, 3, uint64(v-1))}
}

func (z zipfWords) words(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("w%d", z.z.Uint64())
	}
	return out
}

// syntheticChunks makes n chunks of Zipfian words in documents of one to
// four chunks, some short (one IDF unit), with headings and titles.
func syntheticChunks(r *rand.Rand, n, vocab int) ([]ChunkCounts, []DocUnits) {
	zw := newZipfWords(r, vocab)
	chunks := make([]ChunkCounts, n)
	var docs []DocUnits
	for c := 0; c < n; {
		d := DocUnits{Short: r.IntN(2) == 0, First: c, Count: min(1+r.IntN(4), n-c)}
		title := zw.words(r.IntN(8))
		for i := range d.Count {
			chunks[c+i] = CountTerms(FieldTerms{Body: zw.words(5 + r.IntN(150)), Section: zw.words(r.IntN(5)), Title: title})
		}
		docs = append(docs, d)
		c += d.Count
	}
	return chunks, docs
}

// randomQuery is 1–15 Zipfian terms, some repeated, some the index lacks,
// with weights in (0, 1] (bm25Terms's are shares of a key term's 1).
func randomQuery(r *rand.Rand, zw zipfWords) []WeightedTerm {
	q := make([]WeightedTerm, 1+r.IntN(15))
	for i := range q {
		q[i] = WeightedTerm{Term: zw.words(1)[0], Weight: 1}
		switch r.IntN(6) {
		case 0:
			q[i].Weight = 1 - r.Float64() // (0, 1]
		case 1:
			q[i].Term = "absent"
		case 2:
			if i > 0 {
				q[i] = q[r.IntN(i)]
			}
		}
	}
	return q
}

func checkQueries(t *testing.T, ix *KeywordIndex, r *rand.Rand, vocab, queries int) {
	t.Helper()
	zw := newZipfWords(r, vocab)
	for i := range queries {
		q := randomQuery(r, zw)
		for _, n := range testNs {
			sameRanking(t, fmt.Sprintf("query %d %v, n=%d", i, q, n), ix.Search(q, n), ix.searchExhaustive(q, n, true))
			// SearchSet finds the same chunks, scores and all.
			set := ix.SearchSet(q, n)
			sameRanking(t, fmt.Sprintf("query %d %v, n=%d, as a set", i, q, n), SelectBest(slices.Clone(set), -1), ix.Search(q, n))
		}
	}
}

// TestSearchMatchesExhaustive holds the pruned search to the exhaustive
// one on random queries over a synthetic index, for the default
// parameters and for those where pruning must give way (a zero field
// weight makes zero contributions, b = 1 makes NaNs of empty fields).
func TestSearchMatchesExhaustive(t *testing.T) {
	params := map[string]BM25Params{
		"default":          DefaultBM25,
		"k1 0":             {K1: 0, B: 0.75, TitleWeight: 1, SectionWeight: 0.5},
		"large k1":         {K1: 50, B: 0.3, TitleWeight: 3, SectionWeight: 2},
		"b 1":              {K1: 1.2, B: 1, TitleWeight: 1, SectionWeight: 0.5},
		"no section/title": {K1: 1.2, B: 0.75},
	}
	for name, p := range params {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, 2))
			const vocab = 5000
			chunks, docs := syntheticChunks(r, 20_000, vocab)
			ix := UpdateKeywordIndex(nil, nil, chunks, docs, p)
			checkQueries(t, ix, r, vocab, 200)
		})
	}
}

// TestSearchMatchesExhaustiveAfterUpdate checks the bounds of an index
// updated in place of one built afresh: the chunk weights move with the
// average lengths, so the bounds of terms whose postings stayed must move
// too.
func TestSearchMatchesExhaustiveAfterUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 3))
	const vocab = 3000
	chunks, docs := syntheticChunks(r, 5000, vocab)
	prev := UpdateKeywordIndex(nil, nil, chunks, docs, DefaultBM25)
	// Drop every third document, keep the others and append new ones
	// that are much longer, so that the average length changes.
	var reuse []int32
	var next []ChunkCounts
	var nextDocs []DocUnits
	for i, d := range docs {
		if i%3 == 0 {
			continue
		}
		nd := DocUnits{Short: d.Short, First: len(next), Count: d.Count}
		for c := d.First; c < d.First+d.Count; c++ {
			reuse = append(reuse, int32(c))
			next = append(next, ChunkCounts{})
		}
		nextDocs = append(nextDocs, nd)
	}
	zw := newZipfWords(r, vocab)
	for range 500 {
		nextDocs = append(nextDocs, DocUnits{First: len(next), Count: 1})
		reuse = append(reuse, -1)
		next = append(next, CountTerms(FieldTerms{Body: zw.words(400 + r.IntN(400))}))
	}
	ix := UpdateKeywordIndex(prev, reuse, next, nextDocs, DefaultBM25)
	for term, tp := range ix.Terms {
		lo, hi := ix.tfRange(tp.postings)
		if lo != tp.minTF || hi != tp.maxTF {
			t.Fatalf("term %q: bounds [%v, %v] after the update, [%v, %v] from its postings", term, tp.minTF, tp.maxTF, lo, hi)
		}
	}
	checkQueries(t, ix, r, vocab, 200)
	// prev is not modified: its own searches are still exact.
	checkQueries(t, prev, r, vocab, 50)
}

// TestSearchMatchesExhaustive200k is the same at the size of the issue's
// 200,000-chunk corpus, where pruning pays most.
func TestSearchMatchesExhaustive200k(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200,000-chunk index")
	}
	r := rand.New(rand.NewPCG(17, 4))
	const vocab = 50_000
	chunks, docs := syntheticChunks(r, 200_000, vocab)
	ix := UpdateKeywordIndex(nil, nil, chunks, docs, DefaultBM25)
	checkQueries(t, ix, r, vocab, 100)
}

// scifactPath is the BEIR copy of SciFact next to the repository, absent
// from a fresh clone.
var scifactPath = filepath.Join("..", "..", "..", "..", "shared", "bench", "scifact")

func readJSONL(t *testing.T, path string, each func(line []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("needs %s, not in a fresh clone: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		each(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestSearchMatchesExhaustiveSciFact compares on SciFact's corpus (one
// chunk per abstract, its title as the title field) with its test
// questions analysed as citebot analyses questions, weighted as
// retrieval's bm25Terms weights them.
func TestSearchMatchesExhaustiveSciFact(t *testing.T) {
	var chunks []ChunkCounts
	var docs []DocUnits
	readJSONL(t, filepath.Join(scifactPath, "corpus.jsonl"), func(line []byte) {
		var d struct{ Title, Text string }
		if err := json.Unmarshal(line, &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, DocUnits{Short: true, First: len(chunks), Count: 1})
		chunks = append(chunks, CountTerms(FieldTerms{Body: analysis.Terms(d.Text), Title: analysis.Terms(d.Title)}))
	})
	ix := UpdateKeywordIndex(nil, nil, chunks, docs, DefaultBM25)

	test := map[string]bool{}
	qrels, err := os.ReadFile(filepath.Join(scifactPath, "qrels", "test.tsv"))
	if err != nil {
		t.Skipf("needs the SciFact test qrels: %v", err)
	}
	for _, l := range strings.Split(string(qrels), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			test[f[0]] = true
		}
	}
	queries := 0
	readJSONL(t, filepath.Join(scifactPath, "queries.jsonl"), func(line []byte) {
		var q struct {
			ID   string `json:"_id"`
			Text string
		}
		if err := json.Unmarshal(line, &q); err != nil {
			t.Fatal(err)
		}
		if !test[q.ID] {
			return
		}
		queries++
		terms := weightedTerms(analysis.AnalyzeQuery(q.Text), ix.Has)
		for _, n := range testNs {
			sameRanking(t, fmt.Sprintf("query %s %q, n=%d", q.ID, q.Text, n), ix.Search(terms, n), ix.searchExhaustive(terms, n, true))
		}
	})
	if queries != 300 {
		t.Errorf("%d SciFact test questions, want 300", queries)
	}
}

// weightedTerms is retrieval's bm25Terms (which this package cannot
// import): each key term's weight shared among the renderings the corpus
// has.
func weightedTerms(q analysis.Query, known func(string) bool) []WeightedTerm {
	var out []WeightedTerm
	for _, kt := range q.Keys {
		sum := 0.0
		for i, t := range kt.Terms {
			if known(t) {
				sum += kt.Weight(i)
			}
		}
		if sum == 0 {
			continue
		}
		for i, t := range kt.Terms {
			if known(t) {
				out = append(out, WeightedTerm{Term: t, Weight: kt.Weight(i) / sum})
			}
		}
	}
	return out
}

// BenchmarkKeywordSearch10k and 200k time the keyword stage alone at
// 10,000 and 200,000 chunks, pruned and exhaustive, on the same random questions, for the
// candidates search.go asks for (100) and for an answer's few (10).
func BenchmarkKeywordSearch10k(b *testing.B)  { benchKeywordSearch(b, 10_000) }
func BenchmarkKeywordSearch200k(b *testing.B) { benchKeywordSearch(b, 200_000) }

func benchKeywordSearch(b *testing.B, size int) {
	r := rand.New(rand.NewPCG(17, 4))
	const vocab = 50_000
	chunks, docs := syntheticChunks(r, size, vocab)
	ix := UpdateKeywordIndex(nil, nil, chunks, docs, DefaultBM25)
	zw := newZipfWords(r, vocab)
	queries := make([][]WeightedTerm, 64)
	for i := range queries {
		queries[i] = randomQuery(r, zw)
	}
	for _, n := range []int{10, 100} {
		for _, s := range []struct {
			name   string
			search func([]WeightedTerm, int) []Scored
		}{{"maxscore", ix.Search}, {"exhaustive", func(q []WeightedTerm, n int) []Scored { return ix.searchExhaustive(q, n, true) }}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, s.name), func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					s.search(queries[i%len(queries)], n)
				}
			})
		}
	}
}
