package retrieval

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval/internal/rank"
)

// Passage is a ranked span of one document: one chunk, or neighbouring and
// overlapping chunks merged.
type Passage struct {
	DocID     string
	Title     string
	Section   string
	Start     int
	End       int
	LineStart int
	LineEnd   int
	Text      string // exactly the document's bytes [Start, End)
	Score     float64
	// Page is the 1-based page holding Start, 0 for documents without
	// pages; PageAt gives the page of any offset in the passage.
	Page  int
	pages []int
}

// PageAt returns the 1-based page holding the document offset off (a
// passage may run across a page break), 0 for documents without pages.
func (p Passage) PageAt(off int) int { return document.PageAt(p.pages, off) }

// DocScore is a document's rank score: the best score of its chunks.
type DocScore struct {
	DocID string
	Score float64
}

// Search returns the top k passages for query, best first.
func (ix *Index) Search(ctx context.Context, query string, k int) ([]Passage, error) {
	if k <= 0 {
		return nil, nil
	}
	return ix.SearchQuery(ctx, ix.Analyze(query), k)
}

// SearchQuery is Search for a question already analysed (Analyze).
func (ix *Index) SearchQuery(ctx context.Context, q analysis.Query, k int) ([]Passage, error) {
	if k <= 0 {
		return nil, nil
	}
	// There are never more passages than chunks; clamping also keeps 3k
	// and 4k below from overflowing into a negative slice bound.
	k = min(k, len(ix.chunks))
	// passages reads the best 3k only.
	ranked, err := ix.rank(ctx, q, max(ix.cfg.Fusion.Candidates, 4*k), 3*k)
	if err != nil {
		return nil, err
	}
	return ix.passages(ranked, k), nil
}

// SearchDocuments ranks whole documents, for document-level benchmarks
// such as BEIR.
func (ix *Index) SearchDocuments(ctx context.Context, query string, n int) ([]DocScore, error) {
	if n <= 0 {
		// As Search does; the loop below would otherwise never stop at n
		// and rank every document.
		return nil, nil
	}
	n = min(n, len(ix.docs)) // so that 3n cannot overflow
	// Every ranked chunk may be needed: the n documents are found among
	// them in order, however many chunks of one document come first.
	ranked, err := ix.rank(ctx, ix.Analyze(query), max(ix.cfg.Fusion.Candidates, 3*n), -1)
	if err != nil {
		return nil, err
	}
	out := make([]DocScore, 0, n)
	// The documents already listed, by first chunk (which names a
	// document), kept sorted: a binary search over at most n ints costs
	// less than a map built for each question.
	seen := make([]int, 0, n)
	for _, s := range ranked {
		d := ix.chunkDoc[s.Chunk]
		i, found := slices.BinarySearch(seen, d.firstChunk)
		if found {
			continue
		}
		seen = slices.Insert(seen, i, d.firstChunk)
		out = append(out, DocScore{DocID: d.ID, Score: s.Score})
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// queryEmbedTimeout bounds the wait for a question's vector.
const queryEmbedTimeout = 5 * time.Second

// rank fuses the keyword and vector rankings of chunks, best first: at
// least the need best of them (all for need < 0), the rest maybe cut.
func (ix *Index) rank(ctx context.Context, q analysis.Query, candidates, need int) ([]rank.Scored, error) {
	query := q.Text
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("search: empty query")
	}
	return ix.rk.rank(ctx, ix, q, candidates, need)
}

// ranker ranks an index's chunks for a query and knows its terms' IDF:
// in memory (*localRanker) or in a remote engine (*remoteState). rank
// returns chunks best first, at least the need best (all for need < 0):
// a ranker may stop ordering after those.
type ranker interface {
	rank(ctx context.Context, ix *Index, q analysis.Query, candidates, need int) ([]rank.Scored, error)
	idf(ix *Index, term string) (float64, bool)
}

// localRanker ranks in memory: BM25F over postings, vectors scored
// exactly.
type localRanker struct {
	kw   *rank.KeywordIndex
	flat *rank.FlatVectors
}

// local is ix's in-memory ranker, nil for an index kept in a remote
// engine.
func (ix *Index) local() *localRanker {
	l, _ := ix.rk.(*localRanker)
	return l
}

// isRemote reports whether ix is a view of an index kept in a remote
// engine.
func (ix *Index) isRemote() bool {
	if ix == nil {
		return false
	}
	_, ok := ix.rk.(*remoteState)
	return ok
}

func (l *localRanker) idf(_ *Index, term string) (float64, bool) {
	return l.kw.TermIDF(term)
}

// rank fuses the keyword and vector rankings of ix's chunks, best first:
// the need best in order, the rest of the candidates cut.
//
// Vectors refine what the words found; they are needed to find chunks
// only where the words found too few. So when the keyword search fills
// its candidates, only those are scored by vector (a few hundred dot
// products, not one per chunk of the collection: at 200,000 chunks that
// scan was three quarters of a search) and fused as FuseCandidates says;
// when it finds fewer chunks than asked for (a question in another
// language than the text, words the collection lacks), every chunk is
// scored and the vector ranking's best join the keyword ones, so that
// chunks the words missed still come in. A collection of at most twice
// the candidates is scanned whole too: scoring only the candidates
// would save at most half of a few microseconds there.
func (l *localRanker) rank(ctx context.Context, ix *Index, q analysis.Query, candidates, need int) ([]rank.Scored, error) {
	query := q.Text
	// Weighted fusion reads the keyword ranking as a set (its order is
	// the chunks'), so it is not sorted by score unless it ends up
	// ranking alone.
	weighted := ix.cfg.Fusion.Method == rank.FusionWeighted
	var kw []rank.Scored
	if weighted {
		kw = l.kw.SearchSet(bm25Terms(q, l.kw.Has), candidates)
	} else {
		kw = l.kw.Search(bm25Terms(q, l.kw.Has), candidates)
	}
	alone := func() []rank.Scored {
		if weighted {
			return rank.SelectBest(kw, -1)
		}
		return kw
	}
	var vec []rank.Scored
	if w := ix.cfg.Fusion.VectorWeight; w > 0 && l.flat.N > 0 {
		// An embedding service that is down must not stop answers: the
		// question is ranked by keywords alone (which decide most of the
		// ranking anyway), after a short wait at most.
		ectx, cancel := ctx, context.CancelFunc(func() {})
		if !ix.cfg.Embedder.Local {
			ectx, cancel = context.WithTimeout(ctx, queryEmbedTimeout)
		}
		qv, err := ix.cfg.Embedder.Embed(ectx, query)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("search: embed query: %w", err)
			}
			return rank.Fuse(alone(), nil, ix.cfg.Fusion, need), nil
		}
		if len(qv) != l.flat.Dim {
			// Scoring it would give every chunk 0: an error says why.
			return nil, fmt.Errorf("search: the question's vector has %d dimensions, the index's %d: the embedding model (%s) changed since the index was built; reindex", len(qv), l.flat.Dim, ix.cfg.Embedder.Name)
		}
		switch {
		case rank.IsZero(qv):
		case len(kw) == candidates && l.flat.N > 2*candidates:
			if vec = l.flat.ScoreChunks(rank.Normalize(qv), kw); len(vec) == 0 {
				return rank.Fuse(alone(), nil, ix.cfg.Fusion, need), nil
			}
			return rank.FuseCandidates(kw, vec, ix.cfg.Fusion, need), nil
		case weighted:
			// Weighted fusion reads the vector ranking as a set too.
			return rank.FuseNearest(kw, l.flat, rank.Normalize(qv), candidates, ix.cfg.Fusion, need), nil
		default:
			vec = l.flat.Search(rank.Normalize(qv), candidates)
		}
	}
	if len(vec) == 0 {
		return rank.Fuse(alone(), nil, ix.cfg.Fusion, need), nil
	}
	return rank.Fuse(kw, vec, ix.cfg.Fusion, need), nil
}

// passages turns ranked chunks into at most k passages, merging chunks of
// one document that overlap or touch, as long as the merged span stays
// within document.MaxPassageBytes. A merged passage keeps its best chunk's score.
func (ix *Index) passages(ranked []rank.Scored, k int) []Passage {
	out := make([]Passage, 0, k)
	// docs[i] is out[i]'s document: on the stack for the usual few
	// passages, and no lookup by name afterwards.
	var buf [16]*docEntry
	docs := buf[:0]
	// Only chunks near the top may extend a passage: a low-ranked
	// neighbour would dilute it with text the query did not match.
	if len(ranked) > 3*k {
		ranked = ranked[:3*k]
	}
	for _, s := range ranked {
		c := ix.chunk(s.Chunk)
		d := ix.chunkDoc[s.Chunk]
		merged, overlaps := false, false
		for i := range out {
			p := &out[i]
			if p.DocID != c.DocID || c.End <= p.Start || p.End <= c.Start {
				continue
			}
			start, end := min(p.Start, c.Start), max(p.End, c.End)
			if end-start > document.MaxPassageBytes {
				overlaps = true
				continue
			}
			if c.Start < p.Start && c.Section != "" {
				p.Section = c.Section
			}
			p.Start, p.End = start, end
			merged = true
			break
		}
		if merged || overlaps {
			// A chunk that overlaps a passage it cannot join would show
			// the same text twice and take the place of another passage.
			continue
		}
		if len(out) == k {
			// Keep scanning only to merge: later chunks may extend the
			// passages already chosen, but no new ones are added.
			continue
		}
		out = append(out, Passage{DocID: c.DocID, Title: d.Title, Section: c.Section, Start: c.Start, End: c.End, Score: s.Score})
		docs = append(docs, d)
	}
	for i := range out {
		p := &out[i]
		d := docs[i]
		p.Text = d.Text[p.Start:p.End]
		p.LineStart = d.lines.Line(p.Start)
		p.LineEnd = d.lines.Line(p.End - 1)
		p.pages = d.Pages
		p.Page = d.Page(p.Start)
	}
	slices.SortStableFunc(out, func(a, b Passage) int { return cmp.Compare(b.Score, a.Score) })
	return out
}
