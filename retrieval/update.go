package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"citebot/analysis"
	"citebot/chunking"
	"citebot/document"
	"citebot/loader"
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// UpdateResult is what a Store's Update did.
type UpdateResult struct {
	Index   *Index
	Summary Summary
	// Rebuilt says why everything was built anew, when it was: "" for an
	// incremental update, else e.g. "no index", "corrupt snapshot: …",
	// "chunker version changed".
	Rebuilt string
	// First marks a first build: the store held no index to reuse, so
	// Rebuilt is no news to report.
	First bool
	// Saved is false when nothing changed and the snapshot was kept as is.
	Saved bool
}

// reasonNoIndex is Rebuilt for a first build.
const reasonNoIndex = "no index"

// noIndex marks res as a first build.
func (res *UpdateResult) noIndex() {
	res.Rebuilt, res.First = reasonNoIndex, true
}

// Update brings the index in the folder up to date with the documents of
// src: only new and changed documents are chunked and embedded, removed
// ones are dropped, and the result is saved atomically. When nothing
// changed the old index is returned without rewriting it. A corrupt
// snapshot is rebuilt from the documents; until the new one is saved the
// old files stay where they are. When saving fails the error wraps
// ErrNotSaved and the result still carries the index. A non-nil prev, the
// index being served, is reused instead of reading the snapshot back.
func (s *folderStore) Update(ctx context.Context, prev *Index, src Source) (UpdateResult, error) {
	start := time.Now()
	indexDir, cfg := s.dir, s.cfg
	if err := cfg.Validate(); err != nil {
		return UpdateResult{}, fmt.Errorf("update index: %w", err)
	}
	var root *wire.Root
	var rootSum string
	k := prev.knownFrom(cfg)
	if prev == nil {
		root, rootSum, _, _ = snapshot.ReadRoot(indexDir)
		k = rootKnown(root, indexDir, cfg)
	}
	docs, skipped, err := src.load(ctx, cfg, k)
	if err != nil {
		return UpdateResult{}, err
	}
	return update(ctx, prev, root, rootSum, docs, skipped, indexDir, cfg, start, true)
}

// update is Update once the documents are loaded. Without prev, root
// is the root snapshot of indexDir when it could be read: an index built
// by other versions is rebuilt without reading its segments. rootSum is
// root's checksum when it is not to be decoded again while the folder
// holds it, else "". With share, documents the segments hold with the
// same bytes are taken from docs, and the segments' copies of their
// text are not read; without, every segment is read whole, so that a
// damaged copy is found and rewritten.
func update(ctx context.Context, prev *Index, root *wire.Root, rootSum string, docs []document.Document, skipped []document.Skipped, indexDir string, cfg Config, start time.Time, share bool) (UpdateResult, error) {
	var res UpdateResult
	inMemory := prev != nil
	var err error
	if !inMemory && root != nil {
		// The root tells whether the index can be reused before its
		// segments are read.
		why, err := staleVersions(ctx, root.Versions, root.Versions.Dimension, cfg)
		if err != nil {
			return UpdateResult{}, err
		}
		if why != "" {
			return buildAndSave(ctx, nil, docs, skipped, indexDir, cfg, start, UpdateResult{Rebuilt: why})
		}
	}
	if !inMemory {
		shared := docs
		if !share {
			shared = nil
		}
		prev, err = openDirSharing(ctx, indexDir, cfg, shared, root, rootSum)
	}
	switch {
	case err == nil && !inMemory && root != nil:
		// Checked above.
	case err == nil:
		why, err := staleVersions(ctx, prev.versions, prev.dimension(), cfg)
		if err != nil {
			return UpdateResult{}, err
		}
		if why != "" {
			res.Rebuilt = why
			prev = nil
		}
	case errors.Is(err, snapshot.ErrNoIndex):
		res.noIndex()
	case errors.Is(err, snapshot.ErrOldSegments):
		res.Rebuilt = snapshot.ErrOldSegments.Error()
	case errors.Is(err, snapshot.ErrCorrupt):
		res.Rebuilt = err.Error()
	default:
		return UpdateResult{}, err
	}
	if prev != nil && prev.sameDocuments(docs) {
		res.Index = prev
		res.Summary = Summary{Unchanged: len(docs), Skipped: skipped, Chunks: len(prev.chunks), TookMS: time.Since(start).Milliseconds(),
			Duplicates: duplicatesOf(docs)}
		if res.Summary.Skipped == nil {
			res.Summary.Skipped = []document.Skipped{}
		}
		m, merr := snapshot.ReadManifest(indexDir)
		manifestOK := merr == nil && m.SnapshotSHA256 == prev.snapSHA
		switch {
		case !sameSkipped(prev.skipped, skipped) || prev.snapSHA == "" || inMemory && !manifestOK:
			// Save a copy: prev may be answering searches right now, and
			// an index held in memory may not be what the folder holds
			// (it was never saved, or the folder was changed under it).
			// The segments still in the folder are kept, so this writes
			// little more than a root.
			cp := *prev
			cp.skipped = skipped
			res.Index = &cp
			saved, err := cp.save(indexDir)
			if err != nil {
				return res, fmt.Errorf("%w: %w", ErrNotSaved, err)
			}
			res.Index, res.Saved = cp.storedIn(saved), true
		case !manifestOK:
			// The manifest summarises the root: a crash between the two
			// renames of a save, or a deleted or damaged manifest, leaves
			// it describing something else. Rewrite it from the root
			// just read, which stays as it is.
			if err := repairManifest(indexDir, prev.snapSHA, prev.manifest(prev.snapCreated, prev.snapSHA)); err != nil {
				return res, fmt.Errorf("%w: repair index manifest: %w", ErrNotSaved, err)
			}
		default:
			snapshot.Tidy(indexDir, root, rootSum)
		}
		return res, nil
	}
	return buildAndSave(ctx, prev, docs, skipped, indexDir, cfg, start, res)
}

// buildAndSave builds the index of docs, reusing what it can of prev, and
// saves it; res says why prev is nil, if it is.
func buildAndSave(ctx context.Context, prev *Index, docs []document.Document, skipped []document.Skipped, indexDir string, cfg Config, start time.Time, res UpdateResult) (UpdateResult, error) {
	if prev == nil {
		return buildIntoFolder(ctx, docs, skipped, indexDir, cfg, start, res)
	}
	ix, sum, err := build(ctx, docs, skipped, cfg, prev)
	if err != nil {
		return UpdateResult{}, err
	}
	sum.TookMS = time.Since(start).Milliseconds()
	res.Index, res.Summary = ix, sum
	saved, err := ix.save(indexDir)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	res.Index, res.Saved = ix.storedIn(saved), true
	return res, nil
}

// repairManifest rewrites the manifest m of the root whose checksum is
// sum, unless another save replaced that root meanwhile (its own manifest
// then follows). A save that crashed between its root and its manifest
// also left the manifest's temporary file, and the segments its root no
// longer lists: they go too.
func repairManifest(dir, sum string, m snapshot.Manifest) error {
	unlock, err := snapshot.LockIndex(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if _, now, _, err := snapshot.ReadRoot(dir); err == nil && now != sum {
		return nil
	}
	snapshot.RemoveGarbage(dir)
	return snapshot.WriteManifest(dir, m)
}

func sameSkipped(a, b []document.Skipped) bool {
	return slices.Equal(a, b) || len(a) == 0 && len(b) == 0
}

// ErrNotSaved means Update built or refreshed an index it could not write:
// the result's Index is complete and usable, the folder keeps whatever it
// held before. A command that only needs answers can go on with a warning.
var ErrNotSaved = errors.New("index not saved")

// staleVersions says why an index built with versions v, of vectors of
// dim dimensions (0 when unknown), cannot be reused, or "". An embedder
// that can tell its dimension is asked for it, so that a model swapped
// behind the same name is noticed; an error means it could not answer.
func staleVersions(ctx context.Context, v Versions, dim int, cfg Config) (string, error) {
	want := cfg.versions()
	switch {
	case v.Chunker != want.Chunker:
		return fmt.Sprintf("chunker version changed (%s -> %s)", v.Chunker, want.Chunker), nil
	case v.Tokenizer != want.Tokenizer:
		return fmt.Sprintf("tokenizer version changed (%s -> %s)", v.Tokenizer, want.Tokenizer), nil
	case v.Embedder != want.Embedder:
		return fmt.Sprintf("embedder changed (%s -> %s)", v.Embedder, want.Embedder), nil
	}
	if dim != 0 {
		got, err := embedderDimension(ctx, cfg.Embedder)
		if err != nil {
			return "", err
		}
		if got != 0 && got != dim {
			return dimensionChanged(dim, got), nil
		}
	}
	return "", nil
}

// embedderDimension asks the embedder how long its vectors are; 0 when it
// cannot tell (the name fixes it).
func embedderDimension(ctx context.Context, e Embedder) (int, error) {
	if e.Dimension == nil {
		return 0, nil
	}
	d, err := e.Dimension(ctx)
	if err != nil {
		return 0, fmt.Errorf("check the dimension of %s: %w", e.Name, err)
	}
	return d, nil
}

func dimensionChanged(from, to int) string {
	return fmt.Sprintf("embedder dimension changed (%d -> %d)", from, to)
}

// sameDocuments reports whether docs are exactly the indexed documents at
// the same hashes (and titles, which come from the configured boilerplate).
func (ix *Index) sameDocuments(docs []document.Document) bool {
	if len(docs) != len(ix.docs) {
		return false
	}
	for i, d := range docs {
		e := ix.docs[i]
		if e.ID != d.ID || e.SHA256 != d.SHA256 || e.Title != d.Title || !slices.Equal(e.Aliases, d.Aliases) {
			return false
		}
	}
	return true
}

// Refresh is Update for callers that need only the summary, such as
// `citebot index`. When the root snapshot was built by the same versions
// and lists segments that are all in place and intact (their checksums
// are verified), it works from the root alone: added and changed
// documents are chunked and embedded into a new segment, and a new root
// and manifest are written, without decoding the other segments or
// building the search structures; when nothing changed nothing is
// written. The result's Index is then nil. Otherwise it falls back to
// Update, which rebuilds what is damaged, and the Index is set.
func (s *folderStore) Refresh(ctx context.Context, src Source) (UpdateResult, error) {
	start := time.Now()
	indexDir, cfg := s.dir, s.cfg
	if err := cfg.Validate(); err != nil {
		return UpdateResult{}, fmt.Errorf("update index: %w", err)
	}
	root, sum, _, _ := snapshot.ReadRoot(indexDir)
	docs, skipped, err := src.load(ctx, cfg, rootKnown(root, indexDir, cfg))
	if err != nil {
		return UpdateResult{}, err
	}
	intact := root != nil && root.Versions.SameBuilder(cfg.versions()) && snapshot.SegmentsIntact(indexDir, root)
	if intact {
		res, done, err := refreshFromRoot(ctx, root, sum, docs, skipped, indexDir, cfg, start)
		if err != nil || done {
			return res, err
		}
	}
	// A damaged folder is read whole: a segment's copy of a text is not
	// read when the documents are at hand, so a damage there would
	// otherwise stay.
	return update(ctx, nil, root, "", docs, skipped, indexDir, cfg, start, intact)
}

// refreshFromRoot is Refresh's work from the root snapshot root, whose
// checksum is sum. It reports false, having written nothing, when only a
// full update will do: the embedder's dimension changed, or another
// process saved meanwhile.
func refreshFromRoot(ctx context.Context, root *wire.Root, sum string, docs []document.Document, skipped []document.Skipped, dir string, cfg Config, start time.Time) (UpdateResult, bool, error) {
	// A root without a dimension records no vector: the embedder's name
	// is trusted.
	rootDim := root.Versions.Dimension
	if rootDim != 0 {
		d, err := embedderDimension(ctx, cfg.Embedder)
		if err != nil {
			return UpdateResult{}, false, err
		}
		if d != 0 && d != rootDim {
			return UpdateResult{}, false, nil
		}
	}
	old := make(map[string]wire.RootDoc, len(root.Docs))
	for _, d := range root.Docs {
		old[d.ID] = d
	}
	s := Summary{Skipped: skipped, Duplicates: duplicatesOf(docs)}
	if s.Skipped == nil {
		s.Skipped = []document.Skipped{}
	}
	next := &wire.Root{Versions: cfg.versions(), Created: time.Now().UTC(), Skipped: snapshot.WireSkipped(skipped), Docs: make([]wire.RootDoc, len(docs))}
	var todo []int
	fresh := map[string]int{}
	sameAliases := true
	for i, d := range docs {
		next.Docs[i] = wire.RootDoc{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Aliases: d.Aliases, Pages: len(d.Pages), Bytes: len(d.Text)}
		o, ok := old[d.ID]
		switch {
		case ok && o.SHA256 == d.SHA256:
			next.Docs[i].Chunks, next.Docs[i].Segment = o.Chunks, o.Segment
			s.Unchanged++
			sameAliases = sameAliases && slices.Equal(o.Aliases, d.Aliases)
			continue
		case ok:
			s.Changed++
		default:
			s.Added++
		}
		todo = append(todo, i)
		fresh[d.ID] = i
	}
	s.Removed = len(root.Docs) - s.Unchanged - s.Changed
	done := func(res UpdateResult) (UpdateResult, bool, error) {
		for _, d := range next.Docs {
			res.Summary.Chunks += d.Chunks
		}
		res.Summary.TookMS = time.Since(start).Milliseconds()
		return res, true, nil
	}
	if len(todo) == 0 && s.Removed == 0 && sameAliases && sameSkipped(snapshot.ModelSkipped(root.Skipped), skipped) {
		next.Docs = root.Docs
		if m, err := snapshot.ReadManifest(dir); err == nil && m.SnapshotSHA256 == sum {
			snapshot.Tidy(dir, root, sum)
			return done(UpdateResult{Summary: s})
		}
		// As in Update: the manifest describes another root (a crash
		// between the renames) or is damaged; the root stays as it is.
		if err := repairManifest(dir, sum, snapshot.ManifestOf(root, sum)); err != nil {
			return UpdateResult{}, false, fmt.Errorf("%w: repair index manifest: %w", ErrNotSaved, err)
		}
		return done(UpdateResult{Summary: s})
	}

	results := make([]docVectors, len(docs))
	dim, err := embedDocuments(ctx, docs, todo, results, cfg.Chunk, cfg.Embedder)
	if err != nil {
		return UpdateResult{}, false, err
	}
	if dim != 0 && rootDim != 0 && dim != rootDim {
		return UpdateResult{}, false, nil
	}
	next.Versions.Dimension = cmp.Or(rootDim, dim)
	for _, i := range todo {
		next.Docs[i].Chunks = len(results[i].chunks)
	}

	unlock, err := snapshot.LockIndex(dir)
	if err != nil {
		return UpdateResult{}, false, fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	defer unlock()
	if _, now, _, err := snapshot.ReadRoot(dir); err != nil || now != sum {
		return UpdateResult{}, false, nil
	}
	snapshot.RemoveGarbage(dir)
	refs := make(map[string]wire.SegmentRef, len(root.Segments))
	for _, r := range root.Segments {
		refs[r.Name] = r
	}
	was := make(map[string]string, len(root.Docs))
	for _, d := range next.Docs {
		was[d.ID] = d.Segment
	}
	// Compaction may rewrite documents of old segments: those are read
	// once each, as the new segments ask for them.
	var mu sync.Mutex
	opened := map[string]*snapshot.Segment{}
	readOld := func(name string) (*snapshot.Segment, error) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := opened[name]; ok {
			return s, nil
		}
		s, err := snapshot.ReadSegment(dir, refs[name])
		if err != nil {
			return nil, fmt.Errorf("compact: %w: %v", snapshot.ErrCorrupt, err)
		}
		opened[name] = s
		return s, nil
	}
	load := func(ids []string) ([]snapshot.SegmentDoc, error) {
		out := make([]snapshot.SegmentDoc, len(ids))
		for j, id := range ids {
			if i, ok := fresh[id]; ok {
				out[j] = newSegmentDoc(docs[i], results[i])
				continue
			}
			seg, err := readOld(was[id])
			if err != nil {
				return nil, err
			}
			if out[j], err = seg.SegmentDoc(ctx, id); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if _, err := snapshot.CommitRoot(dir, next, refs, 0, load); err != nil {
		if errors.Is(err, snapshot.ErrCorrupt) {
			// A segment to compact is damaged: Update notices it too,
			// and rebuilds.
			return UpdateResult{}, false, nil
		}
		return UpdateResult{}, false, fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	return done(UpdateResult{Summary: s, Saved: true})
}

// newSegmentDoc is a freshly chunked and embedded document as a segment
// stores it, its vectors unit length as the index holds them.
func newSegmentDoc(d document.Document, r docVectors) snapshot.SegmentDoc {
	sd := snapshot.SegmentDoc{Doc: wire.SnapshotDoc{ID: d.ID, SHA256: d.SHA256, Text: d.Text, Pages: d.Pages, Chunks: snapshot.WireChunks(r.chunks)}, Vectors: make([][]float32, len(r.chunks)),
		Terms: make([]rank.ChunkCounts, len(r.chunks))}
	title := analysis.Terms(d.Title)
	for k, c := range r.chunks {
		sd.Terms[k] = countChunk(d.Text, c, title)
	}
	for k, v := range r.vectors {
		if !rank.IsZero(v) {
			sd.Vectors[k] = rank.UnitVector(v)
		}
	}
	return sd
}

// known is what an index built by the running chunker and extractors
// says about the files it holds, so that loading an unchanged one costs
// little more than hashing it: its title (finding one classifies the
// text's lines, most of loading's time on a large corpus of text files)
// and, for PDF, DOCX and HTML files, its extracted text (extraction costs
// far more than hashing). Titles come from the chunker's rules, so a change
// to those changes Version, and nothing is known then.
type known struct {
	titles map[string]string // by sha256
	doc    loader.Known
}

// knownFrom is what ix knows, or nil.
func (ix *Index) knownFrom(cfg Config) *known {
	if ix == nil || !ix.versions.SameBuilder(cfg.versions()) {
		return nil
	}
	k := &known{titles: make(map[string]string, len(ix.docs))}
	for _, d := range ix.docs {
		k.titles[d.SHA256] = d.Title
	}
	k.doc = func(id, sha string) (document.Document, bool) {
		e, ok := ix.byID[id]
		if !ok || e.SHA256 != sha {
			return document.Document{}, false
		}
		return e.Document, true
	}
	return k
}

// rootKnown is Index.knownFrom for the index whose root in dir is r. An
// extracted document's text is read from its segment when asked for, each
// segment once; one that cannot be read knows nothing.
func rootKnown(r *wire.Root, dir string, cfg Config) *known {
	if r == nil || !r.Versions.SameBuilder(cfg.versions()) {
		return nil
	}
	k := &known{titles: make(map[string]string, len(r.Docs))}
	byID := make(map[string]wire.RootDoc, len(r.Docs))
	for _, d := range r.Docs {
		k.titles[d.SHA256] = d.Title
		byID[d.ID] = d
		for _, a := range d.Aliases {
			byID[a] = d
		}
	}
	refs := make(map[string]wire.SegmentRef, len(r.Segments))
	for _, s := range r.Segments {
		refs[s.Name] = s
	}
	var mu sync.Mutex
	read := map[string]map[string]*wire.SnapshotDoc{}
	k.doc = func(id, sha string) (document.Document, bool) {
		d, ok := byID[id]
		if !ok || d.SHA256 != sha || d.Segment == "" {
			return document.Document{}, false
		}
		mu.Lock()
		docs, ok := read[d.Segment]
		if !ok {
			docs, _ = snapshot.ReadSegmentDocs(dir, refs[d.Segment])
			read[d.Segment] = docs
		}
		mu.Unlock()
		sd, ok := docs[d.ID]
		if !ok || sd.SHA256 != sha {
			return document.Document{}, false
		}
		return document.Document{ID: id, Title: d.Title, SHA256: sha, Text: sd.Text, Pages: sd.Pages}, true
	}
	return k
}

// titlePending is the title Load gives a document whose title must come
// from its text: loadDocuments then finds it, or knows it already. No
// title found in a document can contain a NUL byte.
const titlePending = "\x00title pending\x00"

// loadDocuments loads the docs folder for cfg: titles from the configured
// boilerplate, and documents that hold nothing but site chrome skipped
// with a reason rather than indexed as empty. What k knows (it may be nil)
// is not worked out again.
func loadDocuments(ctx context.Context, dir string, maxFileBytes int64, cfg Config, k *known) ([]document.Document, []document.Skipped, error) {
	m := meterFrom(ctx)
	defer m.loadDone()
	var titles map[string]string
	var doc loader.Known
	if k != nil {
		titles, doc = k.titles, k.doc
	}
	docs, skipped, err := loader.LoadCounted(ctx, dir, maxFileBytes, func(string) string { return titlePending }, doc, m.readFile)
	if err != nil {
		return nil, skipped, err
	}
	kept := docs[:0]
	for _, d := range docs {
		title, indexed := titles[d.SHA256]
		if d.Title == titlePending {
			if !indexed {
				title = cmp.Or(chunking.Title(d.Text, cfg.Chunk.Boilerplate), d.ID)
			}
			d.Title = title
		}
		if indexed || chunking.HasContent(d.Text, cfg.Chunk.Boilerplate) {
			kept = append(kept, d)
		} else {
			skipped = append(skipped, document.Skipped{Document: d.ID, Reason: "no text to index (only site chrome)"})
		}
	}
	if len(kept) == 0 {
		return nil, skipped, loader.NoDocuments(dir, skipped)
	}
	slices.SortFunc(skipped, func(a, b document.Skipped) int { return strings.Compare(a.Document, b.Document) })
	return kept, skipped, nil
}
