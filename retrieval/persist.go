package retrieval

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/philippgille/chromem-go"

	"citebot/document"
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// save writes the index into dir: the documents no segment in dir holds
// yet into new segment files, then the root that lists them all, then the
// manifest. Every file is written to a temporary file, fsynced and renamed
// into place, and the directory fsynced, so a crash leaves either the old
// index or the new one: the old root keeps listing the old segments until
// the new root replaces it. Segments no root lists any more are removed
// after that. chromem-go's NewPersistentDB is avoided on purpose: it names
// each document's file by a 32-bit hash of its ID (two IDs collided at
// about 11,000 chunks, and one was silently dropped on reload), writes
// without temporary file, rename or fsync, and fails the whole database
// on one truncated file. Each segment holds a chromem-go export of its
// vectors instead.
//
// It returns where the documents now are; ix.storedIn(s) is the index that
// knows it, so that the next save writes only what is new.
func (ix *Index) save(dir string) (stored, error) {
	if ix.local() == nil {
		return stored{}, errors.New("save index: it is kept in a remote store, not in a folder")
	}
	unlock, err := lockForSave(dir)
	if err != nil {
		return stored{}, fmt.Errorf("save index: %w", err)
	}
	defer unlock()

	present := ix.storedSegments(dir)
	root := ix.root(time.Now().UTC())
	entries := make(map[string]*docEntry, len(ix.docs))
	for i, d := range root.Docs {
		if !present[d.Segment] {
			root.Docs[i].Segment = ""
		}
		entries[d.ID] = ix.docs[i]
	}
	sum, err := snapshot.CommitRoot(dir, root, ix.segments, 0, func(ids []string) ([]snapshot.SegmentDoc, error) {
		// The term counts of all the part's chunks, read back from the
		// postings in one pass.
		var chunks []int32
		for _, id := range ids {
			e := entries[id]
			for k := range e.numChunks {
				chunks = append(chunks, int32(e.firstChunk+k))
			}
		}
		counts := ix.local().kw.Forward(chunks)
		out := make([]snapshot.SegmentDoc, len(ids))
		for i, id := range ids {
			e := entries[id]
			out[i] = ix.segmentDoc(e, counts[:e.numChunks:e.numChunks])
			counts = counts[e.numChunks:]
		}
		return out, nil
	})
	if err != nil {
		return stored{}, fmt.Errorf("save index: %w", err)
	}
	s := stored{dir: snapshot.AbsDir(dir), segOf: make(map[string]string, len(root.Docs)), segments: make(map[string]wire.SegmentRef, len(root.Segments)),
		sha: sum, created: root.Created}
	for _, d := range root.Docs {
		s.segOf[d.ID] = d.Segment
	}
	for _, ref := range root.Segments {
		s.segments[ref.Name] = ref
	}
	return s, nil
}

// lockForSave makes the index folder dir if need be, takes its lock and
// removes what earlier saves left half done; the caller calls unlock.
func lockForSave(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if unlock, err = snapshot.LockIndex(dir); err != nil {
		return nil, err
	}
	snapshot.RemoveGarbage(dir)
	return unlock, nil
}

// stored is where a save put an index's documents: the folder, the
// segment holding each document and the segments' references, and the
// root snapshot's checksum and time.
type stored struct {
	dir      string
	segOf    map[string]string
	segments map[string]wire.SegmentRef
	sha      string
	created  time.Time
}

// storedIn is a copy of ix that knows it is stored as s.
func (ix *Index) storedIn(s stored) *Index {
	cp := *ix
	cp.segDir, cp.segOf, cp.segments = s.dir, s.segOf, s.segments
	cp.snapSHA, cp.snapCreated = s.sha, s.created
	return &cp
}

// storedSegments lists the segments in dir that hold documents of ix:
// those it was opened from or saved to, still present at their size.
func (ix *Index) storedSegments(dir string) map[string]bool {
	out := map[string]bool{}
	if ix.segDir == "" || ix.segDir != snapshot.AbsDir(dir) {
		return out
	}
	for name, ref := range ix.segments {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Size() == ref.Size {
			out[name] = true
		}
	}
	return out
}

// segmentDoc is one indexed document as a segment stores it, with its
// chunks' term counts.
func (ix *Index) segmentDoc(e *docEntry, counts []rank.ChunkCounts) snapshot.SegmentDoc {
	chunks := ix.docChunks(e)
	sd := snapshot.SegmentDoc{Doc: wire.SnapshotDoc{ID: e.ID, SHA256: e.SHA256, Text: e.Text, Pages: e.Pages, Chunks: snapshot.WireChunks(chunks)},
		Vectors: make([][]float32, len(chunks)), Terms: counts}
	for k := range chunks {
		sd.Vectors[k] = ix.local().flat.Row(e.firstChunk + k)
	}
	return sd
}

// manifest is the manifest of the snapshot ix was opened from or saved to,
// created at created with checksum sum.
func (ix *Index) manifest(created time.Time, sum string) snapshot.Manifest {
	return snapshot.ManifestOf(ix.root(created), sum)
}

// root describes ix as a root snapshot created at created would.
func (ix *Index) root(created time.Time) *wire.Root {
	root := &wire.Root{Versions: ix.versions, Created: created, Skipped: snapshot.WireSkipped(ix.skipped), Docs: make([]wire.RootDoc, 0, len(ix.docs))}
	for _, e := range ix.docs {
		root.Docs = append(root.Docs, wire.RootDoc{ID: e.ID, Title: e.Title, SHA256: e.SHA256, Aliases: e.Aliases, Pages: len(e.Pages), Chunks: e.numChunks,
			Bytes: len(e.Text), Segment: ix.segOf[e.ID]})
	}
	for _, name := range snapshot.ListedSegments(root.Docs) {
		root.Segments = append(root.Segments, ix.segments[name])
	}
	return root
}

// openDir loads the index saved in dir. It returns an error wrapping
// ErrNoIndex when there is none, and one wrapping ErrCorrupt when the root
// snapshot or one of its segments cannot be read back. An index built by
// other chunker, tokenizer or embedder versions loads fine; an update
// notices and rebuilds it.
func openDir(ctx context.Context, dir string, cfg Config) (*Index, error) {
	if cfg.Embedder.Embed == nil {
		return nil, errors.New("open index: no embedder configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	return openRetrying(ctx, dir, cfg, snapshot.ReadRoot, nil)
}

// openDirSharing is openDir for a caller that has loaded docs: those
// the index holds with the same bytes share their text with it, so that
// a cold start does not hold the corpus twice. known, of checksum
// knownSum, is the root the caller read, if any, as
// snapshot.ReadRootKnown takes it.
func openDirSharing(ctx context.Context, dir string, cfg Config, docs []document.Document, known *wire.Root, knownSum string) (*Index, error) {
	if cfg.Embedder.Embed == nil {
		return nil, errors.New("open index: no embedder configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	byID := make(map[string]*document.Document, len(docs))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	have := func(id, sha string) (string, bool) {
		d, ok := byID[id]
		if !ok || d.SHA256 != sha {
			return "", false
		}
		return d.Text, true
	}
	readRoot := func(dir string) (*wire.Root, string, []byte, error) {
		return snapshot.ReadRootKnown(dir, known, knownSum)
	}
	return openRetrying(ctx, dir, cfg, readRoot, have)
}

// openRetrying is openDir reading roots with readRoot: snapshot.ReadRoot,
// or a test's that saves another index once it has read the first root.
func openRetrying(ctx context.Context, dir string, cfg Config, readRoot func(dir string) (*wire.Root, string, []byte, error), have func(id, sha string) (string, bool)) (*Index, error) {
	ix, err := open(ctx, dir, cfg, readRoot, have)
	var se *segmentError
	if errors.As(err, &se) {
		// Another process may have saved between our reading the root
		// and its segments, and removed one the old root listed: a new
		// root then lists what to read.
		if _, sum, _, rerr := readRoot(dir); rerr == nil && sum != se.rootSHA {
			ix, err = open(ctx, dir, cfg, readRoot, have)
		}
	}
	return ix, err
}

// segmentError is a segment that cannot be read; it wraps ErrCorrupt.
type segmentError struct {
	rootSHA string // of the root that lists it
	err     error
}

func (e *segmentError) Error() string { return e.err.Error() }

func (e *segmentError) Unwrap() error { return e.err }

func open(ctx context.Context, dir string, cfg Config, readRoot func(dir string) (*wire.Root, string, []byte, error), have func(id, sha string) (string, bool)) (*Index, error) {
	root, sum, raw, err := readRoot(dir)
	if errors.Is(err, snapshot.ErrOldFormat) {
		return openV1(ctx, dir, raw, cfg)
	}
	if err != nil {
		return nil, err
	}
	return openSegments(ctx, dir, cfg, root, sum, have)
}

// openSegments opens the index root lists, whose checksum is sum. Every
// document's place among the chunks comes from the root, so each segment
// is read, on all cores, straight into its place: its text becomes the
// documents' text (one buffer per segment, sliced, not copied), its
// vector rows are copied into the index's, and its term counts are the
// postings, with no chunk tokenised again.
func openSegments(ctx context.Context, dir string, cfg Config, root *wire.Root, sum string, have func(id, sha string) (string, bool)) (*Index, error) {
	names := snapshot.ListedSegments(root.Docs)
	refs := make(map[string]wire.SegmentRef, len(root.Segments))
	for _, r := range root.Segments {
		refs[r.Name] = r
	}
	ix := &Index{sounds: new(soundIndex), cfg: cfg, versions: root.Versions, skipped: snapshot.ModelSkipped(root.Skipped), snapSHA: sum, snapCreated: root.Created,
		segDir: snapshot.AbsDir(dir), segOf: make(map[string]string, len(root.Docs)), segments: refs, byID: make(map[string]*docEntry, len(root.Docs))}
	total := 0
	entries := make([]docEntry, len(root.Docs))
	at := make(map[string]int, len(root.Docs))
	for i, rd := range root.Docs {
		if rd.Chunks < 0 || rd.Bytes < 0 {
			return nil, fmt.Errorf("open index %s: %w: %s has %d chunks", dir, snapshot.ErrCorrupt, rd.ID, rd.Chunks)
		}
		if _, dup := at[rd.ID]; dup || rd.Segment == "" {
			return nil, fmt.Errorf("open index %s: %w: %s listed twice or in no segment", dir, snapshot.ErrCorrupt, rd.ID)
		}
		at[rd.ID] = i
		e := &entries[i]
		e.firstChunk, e.numChunks = total, rd.Chunks
		total += rd.Chunks
		ix.docs = append(ix.docs, e)
		ix.byID[rd.ID] = e
		for _, a := range rd.Aliases {
			ix.byID[a] = e
		}
		ix.segOf[rd.ID] = rd.Segment
	}
	ix.chunks = make([]chunkRec, total)
	ix.chunkDoc = make([]*docEntry, total)
	loc := &localRanker{flat: &rank.FlatVectors{Valid: make([]bool, total)}}
	ix.rk = loc
	// Every segment's documents and dictionary first, so that each
	// term's postings have their place before any counts are read; then
	// each segment's text, vectors and counts, the counts placed as soon
	// as the segment is verified and then dropped, never all held at once.
	metas := make([]*snapshot.Segment, len(names))
	globals := make([][]int32, len(names))
	parts := make([]rank.StoredChunks, len(names))
	err := forEach(ctx, len(names), func(_ context.Context, i int) error {
		name := names[i]
		ref, ok := refs[name]
		if !ok {
			return fmt.Errorf("open index %s: %w: segment %s is not described", dir, snapshot.ErrCorrupt, name)
		}
		refuse := func(err error) error {
			// The whole file says best what is wrong: a checksum
			// mismatch before whatever damaged bytes seem to say.
			if _, full := snapshot.ReadSegment(dir, ref); full != nil {
				err = full
			}
			return &segmentError{rootSHA: sum, err: fmt.Errorf("open index %s: %w: %w", dir, snapshot.ErrCorrupt, err)}
		}
		seg, err := snapshot.ReadSegmentMeta(dir, ref)
		if err != nil {
			return refuse(err)
		}
		// Each chunk's row in the index, -1 for one of a document the
		// index no longer holds (dead until compaction drops it). The
		// chunks of those it holds are placed now, and the segment's
		// copies dropped: they need not wait for its text.
		global := make([]int32, seg.Chunks())
		for j, sd := range seg.Order {
			first := seg.First(j)
			ri, ok := at[sd.ID]
			if !ok || root.Docs[ri].Segment != name {
				for k := range sd.Chunks {
					global[first+k] = -1
				}
				continue
			}
			rd := root.Docs[ri]
			if sd.SHA256 != rd.SHA256 || len(sd.Chunks) != rd.Chunks {
				return refuse(fmt.Errorf("segment %s does not hold %s as the root describes it", name, rd.ID))
			}
			e := &entries[ri]
			for k, c := range sd.Chunks {
				if c.DocID != rd.ID {
					return refuse(fmt.Errorf("segment %s holds a chunk of %s under %s", name, c.DocID, rd.ID))
				}
				global[first+k] = int32(e.firstChunk + k)
				ix.chunks[e.firstChunk+k] = packChunk(e, document.Chunk(c))
				ix.chunkDoc[e.firstChunk+k] = e
			}
			sd.Chunks = nil
		}
		metas[i], globals[i], parts[i] = seg, global, seg.Keywords(global)
		return nil
	})
	if err != nil {
		return nil, err
	}
	load, err := rank.PlanKeywordLoad(parts, total)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", dir, snapshot.ErrCorrupt, err)
	}
	parts = nil
	var vecMu sync.Mutex
	// The term counts are read into buffers that go from one segment to
	// the next (one for each segment read at once), placed, then dropped.
	scratch := make(chan *[]byte, len(names))
	err = forEach(ctx, len(names), func(_ context.Context, i int) error {
		name, global := names[i], globals[i]
		buf := new([]byte)
		select {
		case buf = <-scratch:
		default:
		}
		defer func() { scratch <- buf }()
		var rowErr error
		rows := func(*snapshot.Segment) func(int, []int8, float32) {
			return func(k int, q []int8, scale float32) {
				if g := global[k]; g >= 0 && rowErr == nil {
					vecMu.Lock()
					rowErr = loc.flat.SetQuantized(int(g), q, scale)
					vecMu.Unlock()
				}
			}
		}
		seg, err := snapshot.ReadSegmentWith(dir, refs[name], snapshot.ReadOptions{Have: have, Rows: rows, Meta: metas[i], Scratch: buf})
		metas[i] = nil
		if err != nil {
			return &segmentError{rootSHA: sum, err: fmt.Errorf("open index %s: %w: %w", dir, snapshot.ErrCorrupt, err)}
		}
		if rowErr != nil {
			return fmt.Errorf("open index %s: %w: segment %s: %v", dir, snapshot.ErrCorrupt, name, rowErr)
		}
		for _, sd := range seg.Order {
			ri, ok := at[sd.ID]
			if !ok || root.Docs[ri].Segment != name {
				continue
			}
			rd := root.Docs[ri]
			if len(sd.Text) != rd.Bytes {
				return fmt.Errorf("open index %s: %w: segment %s does not hold %s as the root describes it", dir, snapshot.ErrCorrupt, name, rd.ID)
			}
			e := &entries[ri]
			e.Document = document.Document{ID: rd.ID, Title: rd.Title, SHA256: rd.SHA256, Text: sd.Text, Aliases: rd.Aliases, Pages: sd.Pages}
			e.lines = document.NewLineIndex(e.Text)
		}
		if err := load.Fill(i, seg.Keywords(global).Decode); err != nil {
			return fmt.Errorf("open index %s: %w: segment %s: %v", dir, snapshot.ErrCorrupt, name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, e := range ix.docs {
		if e.ID != root.Docs[i].ID {
			return nil, fmt.Errorf("open index %s: %w: segment %s lacks %s", dir, snapshot.ErrCorrupt, root.Docs[i].Segment, root.Docs[i].ID)
		}
	}
	if d := ix.versions.Dimension; d != 0 && loc.flat.Dim != 0 && d != loc.flat.Dim {
		return nil, fmt.Errorf("open index %s: %w: vectors of %d dimensions, %d recorded", dir, snapshot.ErrCorrupt, loc.flat.Dim, d)
	}
	kw, err := load.Finish(ix.docUnits(), cfg.BM25)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", dir, snapshot.ErrCorrupt, err)
	}
	loc.kw = kw
	return ix, nil
}

// openV1 opens a version 1 snapshot, which holds everything in one file;
// the index has no segments, so its next save writes them all.
func openV1(ctx context.Context, dir string, raw []byte, cfg Config) (*Index, error) {
	path := filepath.Join(dir, snapshot.SnapshotFile)
	body, trailer, err := snapshot.VerifyChecksum(raw, snapshot.SnapshotMagicV1)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, snapshot.ErrCorrupt, err)
	}
	var data wire.SnapshotV1
	if err := gob.NewDecoder(bytes.NewReader(body[len(snapshot.SnapshotMagicV1):])).Decode(&data); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, snapshot.ErrCorrupt, err)
	}
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(data.Vectors), ""); err != nil {
		return nil, fmt.Errorf("open index %s: %w: vectors: %v", path, snapshot.ErrCorrupt, err)
	}
	coll := db.GetCollection(snapshot.CollectionName, snapshot.NoEmbedding)
	if coll == nil {
		return nil, fmt.Errorf("open index %s: %w: no vector collection", path, snapshot.ErrCorrupt)
	}
	ix := &Index{sounds: new(soundIndex), cfg: cfg, versions: data.Versions, skipped: snapshot.ModelSkipped(data.Skipped), snapSHA: hex.EncodeToString(trailer), snapCreated: data.Created}
	if err := ix.assemble(ctx, data.Docs, func(int) *chromem.Collection { return coll }); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, snapshot.ErrCorrupt, err)
	}
	return ix, nil
}

// assemble fills ix with docs, whose vectors the collection vectors(i)
// holds, and builds the search structures.
func (ix *Index) assemble(ctx context.Context, docs []wire.SnapshotDoc, vectors func(i int) *chromem.Collection) error {
	ix.byID = make(map[string]*docEntry, len(docs))
	total := 0
	for _, sd := range docs {
		total += len(sd.Chunks)
	}
	ix.chunks = make([]chunkRec, 0, total)
	ix.chunkDoc = make([]*docEntry, 0, total)
	for _, sd := range docs {
		e := &docEntry{Document: document.Document{ID: sd.ID, Title: sd.Title, SHA256: sd.SHA256, Text: sd.Text, Aliases: sd.Aliases, Pages: sd.Pages},
			firstChunk: len(ix.chunks), numChunks: len(sd.Chunks)}
		for _, c := range sd.Chunks {
			if c.Start < 0 || c.End > len(sd.Text) || c.Start >= c.End {
				return fmt.Errorf("chunk %d-%d outside %s", c.Start, c.End, sd.ID)
			}
			if c.DocID != sd.ID {
				return fmt.Errorf("a chunk of %s under %s", c.DocID, sd.ID)
			}
			ix.chunks = append(ix.chunks, packChunk(e, document.Chunk(c)))
			ix.chunkDoc = append(ix.chunkDoc, e)
		}
		ix.docs = append(ix.docs, e)
		ix.byID[e.ID] = e
		for _, a := range sd.Aliases {
			ix.byID[a] = e
		}
	}
	_ = forEach(ctx, len(ix.docs), func(_ context.Context, i int) error {
		ix.docs[i].lines = document.NewLineIndex(ix.docs[i].Text)
		return nil
	})
	loc := &localRanker{flat: &rank.FlatVectors{Valid: make([]bool, len(ix.chunks))}}
	ix.rk = loc
	for i, e := range ix.docs {
		coll := vectors(i)
		for k := range e.numChunks {
			row := e.firstChunk + k
			d, err := coll.GetByID(ctx, snapshot.VectorID(ix.chunk(row)))
			if err != nil {
				continue // not stored: the chunk had no known word
			}
			if err := loc.flat.Set(row, d.Embedding); err != nil {
				return fmt.Errorf("chunk %s: %w", snapshot.VectorID(ix.chunk(row)), err)
			}
		}
	}
	if d := ix.versions.Dimension; d != 0 && loc.flat.Dim != 0 && d != loc.flat.Dim {
		return fmt.Errorf("vectors of %d dimensions, %d recorded", loc.flat.Dim, d)
	}
	ix.buildKeywords(nil, nil)
	return nil
}
