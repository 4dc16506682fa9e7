package retrieval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"citebot/analysis"
	"citebot/chunking"
	"citebot/document"
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// buildIntoFolder builds the index of docs from nothing straight into the
// folder dir and opens it from there. Built in memory and then saved, an
// index of 10,000 documents held every chunk's vector and term counts,
// the postings being grown term by term and, while the segments were
// written, their counts and chromem-go collections again: a peak of eleven
// times the text. Here each segment's documents are embedded and counted
// when that segment is written, and dropped once it is; the index is then
// opened as a cold start opens it, which holds little more than the index
// itself. It ranks as the one built in memory would: opening an index
// gives back, bit for bit, what was saved.
//
// An error from embedding is returned as build returns it. When the
// folder cannot be written, the index is built in memory instead and the
// error wraps ErrNotSaved, as Update's does.
func buildIntoFolder(ctx context.Context, docs []document.Document, skipped []document.Skipped, dir string, cfg Config, start time.Time, res UpdateResult) (UpdateResult, error) {
	if cfg.Embedder.Embed == nil {
		return UpdateResult{}, errors.New("build index: no embedder configured")
	}
	if err := cfg.Validate(); err != nil {
		return UpdateResult{}, fmt.Errorf("build index: %w", err)
	}
	m := meterFrom(ctx)
	m.toChunk(len(docs))
	chunks := make([][]document.Chunk, len(docs))
	if err := forEach(ctx, len(docs), func(_ context.Context, i int) error {
		chunks[i] = chunking.Split(docs[i], cfg.Chunk)
		m.chunkedDoc()
		return nil
	}); err != nil {
		return UpdateResult{}, err
	}
	total := 0
	for _, cs := range chunks {
		total += len(cs)
	}
	m.toEmbed(total)

	root := &wire.Root{Versions: cfg.versions(), Created: time.Now().UTC(), Skipped: snapshot.WireSkipped(skipped), Docs: make([]wire.RootDoc, len(docs))}
	w := &segmentWriter{docs: docs, chunks: chunks, cfg: cfg, at: make(map[string]int, len(docs)), root: root, m: m}
	for i, d := range docs {
		w.at[d.ID] = i
		root.Docs[i] = wire.RootDoc{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Aliases: d.Aliases, Pages: len(d.Pages), Chunks: len(chunks[i]), Bytes: len(d.Text)}
	}
	err := writeRoot(ctx, dir, root, w)
	m.built()
	var embedErr *embeddingError
	switch {
	case errors.As(err, &embedErr):
		return UpdateResult{}, embedErr.err
	case ctx.Err() != nil:
		return UpdateResult{}, ctx.Err()
	case err != nil:
		// The folder could not be written: the index is built in memory,
		// for a command that only needs answers to go on with.
		return notSaved(ctx, docs, skipped, cfg, start, res, err)
	}
	ix, err := openDirSharing(ctx, dir, cfg, docs, nil, "")
	if err != nil {
		return notSaved(ctx, docs, skipped, cfg, start, res, fmt.Errorf("open the index just written: %w", err))
	}
	res.Index, res.Saved = ix, true
	res.Summary = Summary{Added: len(docs), Skipped: append([]document.Skipped{}, skipped...), Chunks: total,
		TookMS: time.Since(start).Milliseconds(), Duplicates: duplicatesOf(docs)}
	return res, nil
}

// notSaved is buildIntoFolder's way out when the folder cannot hold the
// index: the index built in memory, and err wrapped in ErrNotSaved.
func notSaved(ctx context.Context, docs []document.Document, skipped []document.Skipped, cfg Config, start time.Time, res UpdateResult, err error) (UpdateResult, error) {
	ix, sum, berr := build(ctx, docs, skipped, cfg, nil)
	if berr != nil {
		return UpdateResult{}, berr
	}
	sum.TookMS = time.Since(start).Milliseconds()
	res.Index, res.Summary = ix, sum
	return res, fmt.Errorf("%w: save index: %w", ErrNotSaved, err)
}

// writeRoot commits root into dir, its documents' segments written by w,
// as a save does.
func writeRoot(ctx context.Context, dir string, root *wire.Root, w *segmentWriter) error {
	unlock, err := lockForSave(dir)
	if err != nil {
		return err
	}
	defer unlock()
	// One segment at a time, each made on all cores: what one holds
	// beside the index (its vectors, term counts and chromem-go
	// collection) is then there once, not once per core.
	_, err = snapshot.CommitRoot(dir, root, nil, 1, func(ids []string) ([]snapshot.SegmentDoc, error) { return w.segment(ctx, ids) })
	return err
}

// segmentWriter makes the documents of one segment at a time: their
// chunks' vectors and term counts, made when the segment is written.
type segmentWriter struct {
	docs   []document.Document
	chunks [][]document.Chunk
	cfg    Config
	at     map[string]int // docs' positions by ID
	m      *Meter

	mu sync.Mutex
	// root is the root being committed: its dimension is the first
	// vector's (0 when no chunk has one, as build records it), set
	// before the root is written, once every segment is.
	root     *wire.Root
	firstDoc string // whose vector gave it
}

// embeddingError is an error of the embedder while a segment was being
// made, as opposed to one of writing it.
type embeddingError struct{ err error }

func (e *embeddingError) Error() string { return e.err.Error() }

// segment is snapshot.CommitRoot's loader: the documents ids, chunked,
// embedded and counted.
func (w *segmentWriter) segment(ctx context.Context, ids []string) ([]snapshot.SegmentDoc, error) {
	var texts []string
	var owner []int
	for _, id := range ids {
		i := w.at[id]
		for _, c := range w.chunks[i] {
			texts = append(texts, embedText(w.docs[i], c))
			owner = append(owner, i)
		}
	}
	vecs, err := embedTexts(ctx, w.cfg.Embedder, texts, func(j int) string { return w.docs[owner[j]].ID }, w.m)
	if err != nil {
		return nil, &embeddingError{fmt.Errorf("embed %d chunks of %d documents: %w", len(texts), len(ids), err)}
	}
	// Each document's vectors start after those of the ones before it.
	from := make([]int, len(ids))
	for k := 1; k < len(ids); k++ {
		from[k] = from[k-1] + len(w.chunks[w.at[ids[k-1]]])
	}
	out := make([]snapshot.SegmentDoc, len(ids))
	err = forEach(ctx, len(ids), func(_ context.Context, k int) error {
		i := w.at[ids[k]]
		d, cs := w.docs[i], w.chunks[i]
		title := analysis.Terms(d.Title)
		sd := snapshot.SegmentDoc{Doc: wire.SnapshotDoc{ID: d.ID, SHA256: d.SHA256, Text: d.Text, Pages: d.Pages, Chunks: snapshot.WireChunks(cs)},
			Vectors: make([][]float32, len(cs)), Terms: make([]rank.ChunkCounts, len(cs))}
		for c := range cs {
			v := vecs[from[k]+c]
			if err := w.vector(d.ID, v); err != nil {
				return &embeddingError{err}
			}
			if !rank.IsZero(v) {
				sd.Vectors[c] = rank.UnitVector(v)
			}
			sd.Terms[c] = countChunk(d.Text, cs[c], title)
		}
		out[k] = sd
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// vector checks that v, a vector of document id, has the dimension of
// every other: an empty one is no vector.
func (w *segmentWriter) vector(id string, v []float32) error {
	if len(v) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch dim := w.root.Versions.Dimension; {
	case dim == 0:
		w.root.Versions.Dimension, w.firstDoc = len(v), id
	case len(v) != dim:
		return fmt.Errorf("embed: %s gave vectors of %d dimensions (%s) and of %d (%s)", w.cfg.Embedder.Name, dim, w.firstDoc, len(v), id)
	}
	return nil
}
