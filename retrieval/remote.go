package retrieval

import (
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// Remote is an external engine that keeps an index's chunks, their
// vectors and keyword terms, and ranks them (weaviatestore.Store is the
// one citebot ships). Documents' bodies and the manifest live there too,
// so that any number of stateless replicas build the same view of the
// corpus from it.
type Remote interface {
	// Ensure prepares the engine's collections, with BM25's k1 and b.
	Ensure(ctx context.Context, k1, b float64) error
	// Drop deletes the collections and all they hold: a rebuild starts
	// empty, without objects of an earlier build (or of another vector
	// size, which the engine would refuse beside the new ones).
	Drop(ctx context.Context) error
	// PutDocument replaces a document's chunks and stored body: the new
	// ones are written over the old (same ids), then chunks beyond the
	// new count deleted, so that a failure leaves a document whole, old
	// or new, never missing.
	PutDocument(ctx context.Context, id string, body []byte, chunks []RemoteChunk) error
	// DeleteDocument removes a document; an unknown one is no error.
	DeleteDocument(ctx context.Context, id string) error
	// Document returns a stored body; ok is false for an unknown id.
	Document(ctx context.Context, id string) (body []byte, ok bool, err error)
	// Meta returns the stored manifest; ok is false when there is none.
	Meta(ctx context.Context) (data []byte, ok bool, err error)
	PutMeta(ctx context.Context, data []byte) error
	// Search ranks chunks by BM25 over their terms fused with vector
	// similarity (Alpha: the vector side's weight).
	Search(ctx context.Context, q RemoteQuery) ([]RemoteHit, error)
	// DocFreq counts the chunks holding a term.
	DocFreq(ctx context.Context, term string) (int, error)
}

// RemoteChunk is a chunk as a Remote keeps it: citebot's vector and its
// terms (its own, its document title's and its section heading's),
// tokenized and stemmed the way the embedded index does it.
type RemoteChunk struct {
	N      int // ordinal within the document
	Vector []float32
	Terms  []string
}

// RemoteQuery is a hybrid query.
type RemoteQuery struct {
	Terms  []string
	Vector []float32 // unit length; nil ranks by keywords only
	Alpha  float64
	Limit  int
}

// RemoteHit is a chunk a Remote found: the N-th chunk of document Doc.
type RemoteHit struct {
	Doc   string
	N     int
	Score float64
}

// RemoteManifest is the manifest a Remote holds. Generation changes with
// every reindex that changed something: replicas compare it with their
// view's to notice another replica's reindex.
type RemoteManifest struct {
	// Layout names what the engine's objects hold (remoteLayout); the
	// store is rewritten when it differs.
	Layout     string                      `json:"layout"`
	Generation int64                       `json:"generation"`
	Versions   Versions                    `json:"versions"`
	Created    time.Time                   `json:"created"`
	Documents  []snapshot.ManifestDocument `json:"documents"`
	Skipped    []document.Skipped          `json:"skipped"`
	Chunks     int                         `json:"chunks"`
}

// remoteLayout is the version of what putRemote writes: bump it whenever
// the terms, vectors or bodies written change shape.
const remoteLayout = "remote-4"

// remoteState is what an index served from a Remote adds: the engine, the
// manifest generation it was built from, and document frequencies asked
// of the engine so far (for IDF).
type remoteState struct {
	store      Remote
	generation int64
	mu         sync.Mutex
	df         map[string]int
}

// ReadRemoteManifest returns the manifest held by r; ok is false when
// there is none yet.
func ReadRemoteManifest(ctx context.Context, r Remote) (m RemoteManifest, ok bool, err error) {
	data, ok, err := r.Meta(ctx)
	if err != nil || !ok {
		return m, ok, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, false, fmt.Errorf("remote manifest: %w: %v", snapshot.ErrCorrupt, err)
	}
	return m, true, nil
}

// Generation is the remote manifest generation the index was built from,
// 0 for an embedded index.
func (ix *Index) Generation() int64 {
	if ix == nil {
		return 0
	}
	if rs, ok := ix.rk.(*remoteState); ok {
		return rs.generation
	}
	return 0
}

// Update brings the store up to date with the documents of src (none
// when src is a folder named "": a replica that only serves, which takes
// what the store holds): they are compared with the store's manifest, new
// and changed ones are chunked, embedded and written, removed ones
// deleted, and the manifest written last with a new generation. The
// result's Index is a view of what the store holds: documents and chunk
// spans in memory (reused from prev where unchanged), ranking in the
// engine.
func (s *remoteStore) Update(ctx context.Context, prev *Index, src Source) (UpdateResult, error) {
	start := time.Now()
	m, have, res, err := remoteBase(ctx, s.r, s.cfg)
	if err != nil {
		return UpdateResult{}, err
	}
	if f, ok := src.(folderSource); ok && f.dir == "" {
		return s.view(ctx, prev, m, have, res, start)
	}
	var k *known
	if prev.isRemote() {
		k = prev.knownFrom(s.cfg)
	}
	docs, skipped, err := src.load(ctx, s.cfg, k)
	if err != nil {
		return UpdateResult{}, err
	}
	return syncRemote(ctx, start, res, m, have, docs, skipped, s.cfg, s.r, prev)
}

// Refresh is Update: a view of the store costs no more than the summary.
func (s *remoteStore) Refresh(ctx context.Context, src Source) (UpdateResult, error) {
	return s.Update(ctx, nil, src)
}

// Open returns a view of what the store holds, reusing prev's documents
// where they are unchanged.
func (s *remoteStore) Open(ctx context.Context, prev *Index) (*Index, error) {
	start := time.Now()
	m, have, res, err := remoteBase(ctx, s.r, s.cfg)
	if err != nil {
		return nil, err
	}
	res, err = s.view(ctx, prev, m, have, res, start)
	return res.Index, err
}

// Generation is the generation of the store's manifest; ok is false when
// it holds none.
func (s *remoteStore) Generation(ctx context.Context) (gen int64, ok bool, err error) {
	m, ok, err := ReadRemoteManifest(ctx, s.r)
	return m.Generation, ok, err
}

// view is the index the store holds, its manifest m read already.
func (s *remoteStore) view(ctx context.Context, prev *Index, m RemoteManifest, have bool, res UpdateResult, start time.Time) (UpdateResult, error) {
	if !have {
		return UpdateResult{}, fmt.Errorf("remote index: %w (and no documents folder to build one from)", snapshot.ErrNoIndex)
	}
	ix, err := remoteView(ctx, s.r, m, prev, s.cfg)
	if err != nil {
		return UpdateResult{}, err
	}
	res.Index = ix
	res.Summary = Summary{Unchanged: len(m.Documents), Skipped: orEmpty(m.Skipped), Chunks: m.Chunks,
		TookMS: time.Since(start).Milliseconds()}
	return res, nil
}

// remoteBase reads r's manifest and says in res why what r holds cannot be
// reused (nothing when it can): no index yet, a damaged manifest, other
// versions, another layout, or an embedding model of another dimension.
// have is false when there is no usable manifest.
func remoteBase(ctx context.Context, r Remote, cfg Config) (m RemoteManifest, have bool, res UpdateResult, err error) {
	if cfg.Embedder.Embed == nil {
		// Documents and questions alike need vectors.
		return m, false, res, errors.New("remote index: no embedder configured")
	}
	if err := cfg.Validate(); err != nil {
		return m, false, res, fmt.Errorf("remote index: %w", err)
	}
	m, have, err = ReadRemoteManifest(ctx, r)
	switch {
	case errors.Is(err, snapshot.ErrCorrupt):
		return m, false, UpdateResult{Rebuilt: err.Error()}, nil
	case err != nil:
		return m, false, res, err
	case !have:
		res.noIndex()
		return m, false, res, nil
	case !m.Versions.SameBuilder(cfg.versions()):
		return m, true, UpdateResult{Rebuilt: "chunker, tokenizer or embedder version changed"}, nil
	case m.Layout != remoteLayout:
		return m, true, UpdateResult{Rebuilt: "the store's layout changed (" + cmp.Or(m.Layout, "none") + " → " + remoteLayout + ")"}, nil
	}
	d, err := embedderDimension(ctx, cfg.Embedder)
	if err != nil {
		return m, true, res, err
	}
	if d != 0 && m.Versions.Dimension != 0 && d != m.Versions.Dimension {
		return m, true, UpdateResult{Rebuilt: dimensionChanged(m.Versions.Dimension, d)}, nil
	}
	return m, true, res, nil
}

// syncRemote writes what differs between docs and the manifest m into r,
// and returns the view of the result.
func syncRemote(ctx context.Context, start time.Time, res UpdateResult, m RemoteManifest, have bool, docs []document.Document, skipped []document.Skipped,
	cfg Config, r Remote, prev *Index) (UpdateResult, error) {
	old := map[string]snapshot.ManifestDocument{}
	if have && res.Rebuilt == "" {
		for _, d := range m.Documents {
			old[d.ID] = d
		}
	}
	var sum Summary
	var todo []int
	seen := map[string]bool{}
	for i, d := range docs {
		seen[d.ID] = true
		o, ok := old[d.ID]
		switch {
		case !ok:
			sum.Added++
		case o.SHA256 != d.SHA256 || o.Title != d.Title || !slices.Equal(o.Duplicates, d.Aliases):
			sum.Changed++
		default:
			sum.Unchanged++
			continue
		}
		todo = append(todo, i)
	}
	var removed []string
	if have {
		for _, d := range m.Documents {
			if !seen[d.ID] {
				removed = append(removed, d.ID)
			}
		}
	}
	sum.Removed = len(removed)
	sum.Skipped = orEmpty(skipped)
	sum.Duplicates = duplicatesOf(docs)
	sameSkipped := slices.Equal(m.Skipped, skipped) || len(m.Skipped) == 0 && len(skipped) == 0
	next := m
	if res.Rebuilt != "" && !res.First {
		if err := r.Drop(ctx); err != nil {
			return UpdateResult{}, fmt.Errorf("update remote index: start the rebuild empty: %w", err)
		}
	}
	// Every sync: the BM25 parameters may have been changed in the
	// config, and they are the engine's.
	if err := r.Ensure(ctx, cfg.BM25.K1, cfg.BM25.B); err != nil {
		return UpdateResult{}, err
	}
	if len(todo) > 0 || len(removed) > 0 || !have || res.Rebuilt != "" || !sameSkipped {
		results := make([]docVectors, len(docs))
		dim, err := embedDocuments(ctx, docs, todo, results, cfg.Chunk, cfg.Embedder)
		if err != nil {
			return UpdateResult{}, err
		}
		// A few writes at a time: the engine batches within a document.
		sem := make(chan struct{}, 4)
		err = forEach(ctx, len(todo), func(ctx context.Context, j int) error {
			sem <- struct{}{}
			defer func() { <-sem }()
			i := todo[j]
			return putRemote(ctx, r, docs[i], results[i])
		})
		if err != nil {
			return UpdateResult{}, fmt.Errorf("update remote index: %w", err)
		}
		for _, id := range removed {
			if err := r.DeleteDocument(ctx, id); err != nil {
				return UpdateResult{}, fmt.Errorf("update remote index: %w", err)
			}
		}
		next = RemoteManifest{Layout: remoteLayout, Generation: max(m.Generation+1, time.Now().UnixNano()), Versions: cfg.versions(), Created: time.Now().UTC(),
			Skipped: sum.Skipped}
		next.Versions.Dimension = cmp.Or(dim, m.Versions.Dimension)
		written := make(map[int]bool, len(todo))
		for _, i := range todo {
			written[i] = true
		}
		for i, d := range docs {
			n := old[d.ID].Chunks
			if written[i] {
				n = len(results[i].chunks)
			}
			next.Documents = append(next.Documents, snapshot.ManifestDocument{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Bytes: len(d.Text),
				Chunks: n, Pages: len(d.Pages), Duplicates: d.Aliases})
			next.Chunks += n
		}
		data, err := json.Marshal(next)
		if err != nil {
			return UpdateResult{}, err
		}
		// The manifest goes last: a replica reading it finds every
		// document it lists already written.
		if err := r.PutMeta(ctx, data); err != nil {
			return UpdateResult{}, fmt.Errorf("update remote index: %w", err)
		}
		res.Saved = true
	}
	ix, err := remoteView(ctx, r, next, prev, cfg)
	if err != nil {
		return UpdateResult{}, err
	}
	sum.Chunks = len(ix.chunks)
	sum.TookMS = time.Since(start).Milliseconds()
	res.Index, res.Summary = ix, sum
	return res, nil
}

// putRemote writes one document: its body, and its chunks with their
// vectors and terms.
func putRemote(ctx context.Context, r Remote, d document.Document, dv docVectors) error {
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(wire.RemoteBody{Doc: wire.Document(d), Chunks: snapshot.WireChunks(dv.chunks)}); err != nil {
		return fmt.Errorf("encode %s: %w", d.ID, err)
	}
	title := analysis.Terms(d.Title)
	chunks := make([]RemoteChunk, len(dv.chunks))
	for n, c := range dv.chunks {
		// The title and section words join the chunk's own: Weaviate
		// scores boosted properties as separate BM25 sums, which on
		// SciFact test lost 0.07 nDCG@10 against citebot's BM25F; one
		// field holding all three keeps within 0.01 (README).
		terms := analysis.Terms(d.Text[c.Start:c.End])
		terms = append(terms, title...)
		terms = append(terms, analysis.Terms(c.Section)...)
		chunks[n] = RemoteChunk{N: n, Terms: terms}
		if v := dv.vectors[n]; !rank.IsZero(v) {
			chunks[n].Vector = rank.Normalize(v)
		}
	}
	return r.PutDocument(ctx, d.ID, body.Bytes(), chunks)
}

// docBody is one document's body as a remote store holds it.
type docBody struct {
	Doc    document.Document
	Chunks []document.Chunk
}

// remoteView builds the in-memory side of an index kept in r: documents
// and chunk spans (fetched for documents prev does not hold at the same
// hash), no postings and no vectors.
func remoteView(ctx context.Context, r Remote, m RemoteManifest, prev *Index, cfg Config) (*Index, error) {
	bodies := make([]*docBody, len(m.Documents))
	var fetch []int
	for i, md := range m.Documents {
		if prev.isRemote() && prev.versions.SameBuilder(m.Versions) {
			// Reused only when chunked the same way: the engine's chunk
			// numbers must name the spans held here.
			if e, ok := prev.byID[md.ID]; ok && e.ID == md.ID && e.SHA256 == md.SHA256 && e.Title == md.Title && slices.Equal(e.Aliases, md.Duplicates) {
				bodies[i] = &docBody{Doc: e.Document, Chunks: prev.docChunks(e)}
				continue
			}
		}
		fetch = append(fetch, i)
	}
	err := forEach(ctx, len(fetch), func(ctx context.Context, j int) error {
		i := fetch[j]
		id := m.Documents[i].ID
		raw, ok, err := r.Document(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			// Removed since the manifest was read (a reindex running
			// elsewhere): this view cannot be whole; the caller keeps
			// serving the one it has and tries again.
			return fmt.Errorf("remote index: %s is listed but not stored (a reindex is running?)", id)
		}
		var b wire.RemoteBody
		if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&b); err != nil {
			return fmt.Errorf("remote index: %w: body of %s: %v", snapshot.ErrCorrupt, id, err)
		}
		for _, c := range b.Chunks {
			if c.Start < 0 || c.End > len(b.Doc.Text) || c.Start >= c.End {
				return fmt.Errorf("remote index: %w: chunk %d-%d outside %s", snapshot.ErrCorrupt, c.Start, c.End, id)
			}
		}
		if b.Doc.SHA256 != m.Documents[i].SHA256 {
			return fmt.Errorf("remote index: %s is stored at another version than listed (a reindex is running?)", id)
		}
		bodies[i] = &docBody{Doc: document.Document(b.Doc), Chunks: snapshot.ModelChunks(b.Chunks)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load remote index: %w", err)
	}
	ix := &Index{sounds: new(soundIndex), cfg: cfg, versions: m.Versions, byID: make(map[string]*docEntry, len(m.Documents)), skipped: m.Skipped,
		rk: &remoteState{store: r, generation: m.Generation, df: map[string]int{}}}
	sort.SliceStable(bodies, func(i, j int) bool {
		if bodies[i] == nil || bodies[j] == nil {
			return bodies[j] == nil && bodies[i] != nil
		}
		return bodies[i].Doc.ID < bodies[j].Doc.ID
	})
	for _, b := range bodies {
		if b == nil {
			continue
		}
		e := &docEntry{Document: b.Doc, lines: document.NewLineIndex(b.Doc.Text), firstChunk: len(ix.chunks), numChunks: len(b.Chunks)}
		ix.docs = append(ix.docs, e)
		ix.byID[e.ID] = e
		for _, a := range e.Aliases {
			ix.byID[a] = e
		}
		ix.appendChunks(e, b.Chunks)
	}
	return ix, nil
}

// rank ranks ix's chunks in the remote engine: BM25 over the question's
// terms fused with its vector's similarity, the embedded index's weights.
func (rs *remoteState) rank(ctx context.Context, ix *Index, query analysis.Query, candidates, _ int) ([]rank.Scored, error) {
	var terms []string
	for _, t := range bm25Terms(query, nil) {
		if !slices.Contains(terms, t.Term) {
			terms = append(terms, t.Term)
		}
	}
	q := RemoteQuery{Terms: terms, Alpha: ix.cfg.Fusion.VectorWeight, Limit: candidates}
	if q.Alpha > 0 {
		ectx, cancel := context.WithTimeout(ctx, queryEmbedTimeout)
		qv, err := ix.cfg.Embedder.Embed(ectx, query.Text)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("search: embed query: %w", err)
		case err == nil && !rank.IsZero(qv):
			q.Vector = rank.Normalize(qv)
		}
	}
	if len(q.Terms) == 0 && q.Vector == nil {
		return nil, nil
	}
	hits, err := rs.store.Search(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]rank.Scored, 0, len(hits))
	for _, h := range hits {
		e, ok := ix.byID[h.Doc]
		if !ok || e.ID != h.Doc || h.N < 0 || h.N >= e.numChunks {
			continue // written after this view was built
		}
		out = append(out, rank.Scored{Chunk: e.firstChunk + h.N, Score: h.Score})
	}
	return out, nil
}

// idf is IDF over the remote engine's chunks: document frequencies are
// asked once per term and view.
func (rs *remoteState) idf(ix *Index, term string) (float64, bool) {
	rs.mu.Lock()
	df, ok := rs.df[term]
	rs.mu.Unlock()
	if !ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := rs.store.DocFreq(ctx, strings.TrimSpace(term))
		cancel()
		if err != nil {
			return 0, false
		}
		df = n
		rs.mu.Lock()
		rs.df[term] = df
		rs.mu.Unlock()
	}
	if df == 0 {
		return 0, false
	}
	// The count is the store's now, the chunks the view's: a reindex
	// elsewhere may have added some, and IDF must not go negative.
	n := math.Max(float64(len(ix.chunks)), float64(df))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5)), true
}

// orEmpty makes a nil list an empty one: the summary's JSON says [].
func orEmpty(s []document.Skipped) []document.Skipped {
	if s == nil {
		return []document.Skipped{}
	}
	return s
}
