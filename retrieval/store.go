package retrieval

import (
	wire "citebot/retrieval/internal/wire"

	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/philippgille/chromem-go"
)

// Files of an index folder. The root snapshot lists the documents and the
// segment files that hold them (text, chunks and vectors). Segments are
// immutable once written and shared by successive roots, so saving after a
// small change writes one small segment and a new root rather than the
// whole corpus again; renaming the root into place is what commits a save.
// The manifest beside them is a readable summary (and a cheap staleness
// check) that is rewritten from the root whenever they disagree.
const (
	SnapshotFile = "index.snap"
	ManifestFile = "manifest.json"
	// SegmentGlob matches segment files. Those the root does not list
	// are leftovers of a save that crashed before its commit, or of the
	// root it replaced; the next save removes them.
	SegmentGlob = "seg-*.snap"
	// lockFile serialises the processes saving into one folder: a save
	// removes the segments no root lists, which must never be the
	// uncommitted ones of another save.
	lockFile = ".lock"
)

// Magic lines start every file; the trailing number is the format
// version, bumped whenever the encoded shape changes.
const (
	// snapshotMagicV1 starts the single-file snapshot of earlier
	// versions, which still opens (and is replaced by segments at the
	// next save).
	snapshotMagicV1 = "citebot-snapshot\n1\n"
	rootMagic       = "citebot-snapshot\n2\n"
	segmentMagic    = "citebot-segment\n1\n"
)

// ErrNoIndex means the index folder has no snapshot yet.
var ErrNoIndex = errors.New("no index")

// ErrCorrupt means a snapshot exists but cannot be read back; the files are
// left in place for inspection and `citebot index` replaces them.
var ErrCorrupt = errors.New("index snapshot is corrupt")

// Manifest describes an index: which documents, at which hashes, built by
// which chunker and embedder.
type Manifest struct {
	Versions       Versions           `json:"versions"`
	Created        time.Time          `json:"created"`
	SnapshotSHA256 string             `json:"snapshot_sha256"` // the root snapshot's checksum trailer: sha256 of the bytes before it
	Documents      []ManifestDocument `json:"documents"`
	Skipped        []Skipped          `json:"skipped"`
	Chunks         int                `json:"chunks"`
	// Segments is how many segment files hold the documents.
	Segments int `json:"segments"`
}

// ManifestDocument is one document's entry in the manifest.
type ManifestDocument struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
	Chunks int    `json:"chunks"`
	Pages  int    `json:"pages,omitempty"` // page count, for documents with pages (PDF)
	// Duplicates are the other paths with these bytes.
	Duplicates []string `json:"duplicates,omitempty"`
}

// Save writes the index into dir: the documents no segment in dir holds
// yet into new segment files, then the root that lists them all, then the
// manifest. Every file is written to a temporary file, fsynced and renamed
// into place, and the directory fsynced, so a crash leaves either the old
// index or the new one: the old root keeps listing the old segments until
// the new root replaces it. Segments no root lists any more are removed
// after that. chromem-go's NewPersistentDB is avoided on purpose
// (DESIGN.md); each segment holds a chromem-go export of its vectors.
//
// Save records where the documents were written in ix, so call it before
// ix is shared with other goroutines.
func (ix *Index) Save(dir string) error {
	if ix.remote != nil {
		return errors.New("save index: it is kept in a remote store, not in a folder")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	unlock, err := lockIndex(dir)
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	defer unlock()
	removeGarbage(dir)

	stored := ix.storedSegments(dir)
	root := ix.root(time.Now().UTC())
	entries := make(map[string]*docEntry, len(ix.docs))
	for i, d := range root.Docs {
		if !stored[d.Segment] {
			root.Docs[i].Segment = ""
		}
		entries[d.ID] = ix.docs[i]
	}
	sum, err := commitRoot(dir, root, ix.segments, func(ids []string) ([]segmentDoc, error) {
		out := make([]segmentDoc, len(ids))
		for i, id := range ids {
			out[i] = ix.segmentDoc(entries[id])
		}
		return out, nil
	})
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	ix.segDir, ix.segOf, ix.segments = absDir(dir), make(map[string]string, len(root.Docs)), make(map[string]wire.SegmentRef, len(root.Segments))
	for _, d := range root.Docs {
		ix.segOf[d.ID] = d.Segment
	}
	for _, s := range root.Segments {
		ix.segments[s.Name] = s
	}
	ix.snapSHA, ix.snapCreated = sum, root.Created
	return nil
}

// storedSegments lists the segments in dir that hold documents of ix:
// those it was opened from or saved to, still present at their size.
func (ix *Index) storedSegments(dir string) map[string]bool {
	out := map[string]bool{}
	if ix.segDir == "" || ix.segDir != absDir(dir) {
		return out
	}
	for name, ref := range ix.segments {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Size() == ref.Size {
			out[name] = true
		}
	}
	return out
}

// segmentDoc is one indexed document as a segment stores it.
func (ix *Index) segmentDoc(e *docEntry) segmentDoc {
	chunks := ix.chunks[e.firstChunk : e.firstChunk+e.numChunks]
	sd := segmentDoc{doc: wire.SnapshotDoc{ID: e.ID, SHA256: e.SHA256, Text: e.Text, Pages: e.Pages, Chunks: wireChunks(chunks)},
		vectors: make([][]float32, len(chunks))}
	for k := range chunks {
		sd.vectors[k] = ix.flat.row(e.firstChunk + k)
	}
	return sd
}

// Segment sizes and counts: what a save writes and when it compacts.
const (
	// segmentTargetBytes is the text a save puts in one segment when it
	// writes many documents (a first build): several segments are
	// written, and later read, in parallel.
	segmentTargetBytes = 16 << 20
	// maxSegments bounds how many segments an index has: beyond it a
	// save merges the smallest ones, which are those of earlier small
	// saves, into its own.
	maxSegments = 32
	// maxDeadShare is the share of the listed segments' text that may
	// belong to documents since changed or removed before a save
	// rewrites every document into new segments.
	maxDeadShare = 0.3
)

// commitRoot saves root into dir: documents without a Segment, and those
// of segments compaction picks, are written by load into new segments,
// whose names and references are filled in; then the root is written,
// which commits the save, then the manifest; last, segments no longer
// listed are removed. known describes the segments root's documents
// refer to. The caller holds dir's lock. It returns the root's checksum.
func commitRoot(dir string, root *wire.Root, known map[string]wire.SegmentRef, load func(ids []string) ([]segmentDoc, error)) (string, error) {
	rewrite := compaction(root.Docs, known)
	var pending []int
	for i, d := range root.Docs {
		if d.Segment == "" || rewrite[d.Segment] {
			root.Docs[i].Segment = ""
			pending = append(pending, i)
		}
	}
	root.Segments = root.Segments[:0]
	for _, name := range listedSegments(root.Docs) {
		root.Segments = append(root.Segments, known[name])
	}
	parts := splitParts(root.Docs, pending)
	refs := make([]wire.SegmentRef, len(parts))
	err := forEachParallel(context.Background(), len(parts), func(_ context.Context, p int) error {
		ids := make([]string, len(parts[p]))
		for j, i := range parts[p] {
			ids[j] = root.Docs[i].ID
		}
		docs, err := load(ids)
		if err != nil {
			return err
		}
		refs[p], err = writeSegment(dir, docs)
		return err
	})
	if err != nil {
		// Whatever was written is listed nowhere.
		for _, r := range refs {
			if r.Name != "" {
				os.Remove(filepath.Join(dir, r.Name))
			}
		}
		return "", err
	}
	for p, part := range parts {
		for _, i := range part {
			root.Docs[i].Segment = refs[p].Name
		}
		root.Segments = append(root.Segments, refs[p])
	}
	slices.SortFunc(root.Segments, func(a, b wire.SegmentRef) int { return cmp.Compare(a.Name, b.Name) })
	sum, err := writeRoot(dir, root)
	if err != nil {
		// The new segments stay: the root may have been renamed into
		// place before the error (fsyncing the folder, say). If it was
		// not, the next save removes them.
		return "", err
	}
	if err := writeManifest(dir, manifestOf(root, sum)); err != nil {
		return "", err
	}
	for _, f := range garbage(dir, root) {
		os.Remove(f)
	}
	return sum, nil
}

// compaction picks the segments whose documents a save rewrites: all of
// them when too much of what they hold is dead, else, when there are too
// many, the smallest. Both keep reading an index fast without making a
// small save rewrite the corpus.
func compaction(docs []wire.RootDoc, known map[string]wire.SegmentRef) map[string]bool {
	live := map[string]int64{}
	for _, d := range docs {
		if d.Segment != "" {
			live[d.Segment] += int64(d.Bytes)
		}
	}
	var total, alive int64
	var refs []wire.SegmentRef
	for name, n := range live {
		ref := known[name]
		refs = append(refs, ref)
		total += ref.TextBytes
		alive += n
	}
	rewrite := map[string]bool{}
	if total > 0 && float64(total-alive) > maxDeadShare*float64(total) {
		for _, r := range refs {
			rewrite[r.Name] = true
		}
		return rewrite
	}
	if len(refs)+1 > maxSegments {
		slices.SortFunc(refs, func(a, b wire.SegmentRef) int {
			return cmp.Or(cmp.Compare(a.Size, b.Size), cmp.Compare(a.Name, b.Name))
		})
		for _, r := range refs[:len(refs)+1-maxSegments/2] {
			rewrite[r.Name] = true
		}
	}
	return rewrite
}

// listedSegments names the segments docs refer to, sorted.
func listedSegments(docs []wire.RootDoc) []string {
	var names []string
	for _, d := range docs {
		if d.Segment != "" {
			names = append(names, d.Segment)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// splitParts groups the pending documents (indexes into docs, in order)
// into segments of about segmentTargetBytes of text each.
func splitParts(docs []wire.RootDoc, pending []int) [][]int {
	var total int64
	for _, i := range pending {
		total += int64(docs[i].Bytes)
	}
	n := max(1, int((total+segmentTargetBytes-1)/segmentTargetBytes))
	if len(pending) == 0 {
		return nil
	}
	n = min(n, len(pending))
	parts := make([][]int, 0, n)
	var cur []int
	var acc int64
	for k, i := range pending {
		cur = append(cur, i)
		acc += int64(docs[i].Bytes)
		// Cut where the running total crosses the next part's share, so
		// that parts come out about even.
		if len(parts) < n-1 && acc*int64(n) >= total*int64(len(parts)+1) && k < len(pending)-1 {
			parts = append(parts, cur)
			cur = nil
		}
	}
	return append(parts, cur)
}

// manifestOf is the manifest of a root whose checksum is sum.
func manifestOf(root *wire.Root, sum string) Manifest {
	m := Manifest{Versions: root.Versions, Created: root.Created, SnapshotSHA256: sum, Skipped: modelSkipped(root.Skipped), Segments: len(root.Segments),
		Documents: make([]ManifestDocument, 0, len(root.Docs))}
	for _, d := range root.Docs {
		m.Documents = append(m.Documents, ManifestDocument{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Bytes: d.Bytes, Chunks: d.Chunks, Pages: d.Pages, Duplicates: d.Aliases})
		m.Chunks += d.Chunks
	}
	if m.Skipped == nil {
		m.Skipped = []Skipped{}
	}
	return m
}

// manifest is the manifest of the snapshot ix was opened from or saved to,
// created at created with checksum sum.
func (ix *Index) manifest(created time.Time, sum string) Manifest {
	return manifestOf(ix.root(created), sum)
}

// root describes ix as a root snapshot created at created would.
func (ix *Index) root(created time.Time) *wire.Root {
	root := &wire.Root{Versions: ix.versions, Created: created, Skipped: wireSkipped(ix.skipped), Docs: make([]wire.RootDoc, 0, len(ix.docs))}
	for _, e := range ix.docs {
		root.Docs = append(root.Docs, wire.RootDoc{ID: e.ID, Title: e.Title, SHA256: e.SHA256, Aliases: e.Aliases, Pages: len(e.Pages), Chunks: e.numChunks,
			Bytes: len(e.Text), Segment: ix.segOf[e.ID]})
	}
	for _, name := range listedSegments(root.Docs) {
		root.Segments = append(root.Segments, ix.segments[name])
	}
	return root
}

func writeManifest(dir string, m Manifest) error {
	return writeAtomic(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// writeRoot writes the root snapshot and returns its checksum.
func writeRoot(dir string, root *wire.Root) (string, error) {
	h := sha256.New()
	err := writeAtomic(filepath.Join(dir, SnapshotFile), func(w io.Writer) error {
		mw := io.MultiWriter(w, h)
		if _, err := io.WriteString(mw, rootMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(mw).Encode(root); err != nil {
			return err
		}
		// The checksum trailer catches truncation and bit rot that gob
		// might decode into plausible garbage.
		_, err := w.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("write root snapshot: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readRoot reads the root snapshot of dir and returns it with its
// checksum. An error wraps ErrNoIndex when there is none and ErrCorrupt
// when it cannot be read back; errOldFormat says it is a version 1
// snapshot, raw then holding its bytes.
func readRoot(dir string) (root *wire.Root, sum string, raw []byte, err error) {
	path := filepath.Join(dir, SnapshotFile)
	raw, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil, fmt.Errorf("open index %s: %w", dir, ErrNoIndex)
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("open index: %w", err)
	}
	if bytes.HasPrefix(raw, []byte(snapshotMagicV1)) {
		return nil, "", raw, errOldFormat
	}
	body, trailer, err := verifyChecksum(raw, rootMagic)
	if err != nil {
		return nil, "", nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	root = new(wire.Root)
	if err := gob.NewDecoder(bytes.NewReader(body[len(rootMagic):])).Decode(root); err != nil {
		return nil, "", nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	return root, hex.EncodeToString(trailer), nil, nil
}

// errOldFormat marks a version 1 snapshot.
var errOldFormat = errors.New("snapshot of format version 1")

// verifyChecksum checks a file's magic and checksum trailer and returns
// the bytes before the trailer and the trailer.
func verifyChecksum(raw []byte, magic string) (body, sum []byte, err error) {
	if len(raw) < len(magic)+sha256.Size || string(raw[:len(magic)]) != magic {
		return nil, nil, errors.New("not a citebot file of this kind and version")
	}
	body, sum = raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, errors.New("checksum mismatch (truncated or damaged)")
	}
	return body, sum, nil
}

// segmentsPresent reports whether every segment root lists is in dir at
// its recorded size: a cheap check that a save or a crash did not leave
// the root pointing at nothing (Open verifies the checksums).
func segmentsPresent(dir string, root *wire.Root) bool {
	refs := make(map[string]wire.SegmentRef, len(root.Segments))
	for _, r := range root.Segments {
		refs[r.Name] = r
	}
	for _, name := range listedSegments(root.Docs) {
		r, ok := refs[name]
		if !ok {
			return false
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() != r.Size {
			return false
		}
	}
	return true
}

// garbage lists what crashed saves left in dir: temporary files, and
// segments root does not list (renamed into place, never committed, or
// listed by the root it replaced). Without a root (nil: there is none that
// can be read) segments are not garbage: they may be what someone wants
// to inspect.
func garbage(dir string, root *wire.Root) []string {
	var out []string
	for _, pattern := range []string{"." + SnapshotFile + ".tmp-*", "." + ManifestFile + ".tmp-*", "." + SegmentGlob + ".tmp-*"} {
		temps, _ := filepath.Glob(filepath.Join(dir, pattern))
		out = append(out, temps...)
	}
	if root == nil {
		return out
	}
	listed := listedSegments(root.Docs)
	segments, _ := filepath.Glob(filepath.Join(dir, SegmentGlob))
	for _, f := range segments {
		if _, found := slices.BinarySearch(listed, filepath.Base(f)); !found {
			out = append(out, f)
		}
	}
	return out
}

// currentRoot is the root in dir for garbage: an empty one for a version
// 1 snapshot (it lists no segment), nil when there is none to read.
func currentRoot(dir string) *wire.Root {
	root, _, _, err := readRoot(dir)
	switch {
	case errors.Is(err, errOldFormat):
		return &wire.Root{}
	case err != nil:
		return nil
	}
	return root
}

// removeGarbage deletes the garbage in dir. The caller holds dir's lock,
// so no save is under way whose segments no root lists yet.
func removeGarbage(dir string) {
	for _, f := range garbage(dir, currentRoot(dir)) {
		os.Remove(f)
	}
}

// tidy removes the garbage in dir, if there is any, so that a run with
// nothing to save still cleans up after a crashed one. It is best effort:
// a folder it cannot lock or write (read-only) keeps its garbage.
func tidy(dir string) {
	if len(garbage(dir, currentRoot(dir))) == 0 {
		return
	}
	unlock, err := lockIndex(dir)
	if err != nil {
		return
	}
	defer unlock()
	removeGarbage(dir)
}

// absDir names a folder independently of the working directory, so that
// an index knows whether a save goes where its segments are.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

// writeAtomic writes path through a temporary file in the same directory.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	// CreateTemp makes the file private; an index is read by whoever
	// serves it (another user, a container's non-root user).
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open loads the index saved in dir. It returns an error wrapping ErrNoIndex
// when there is none, and one wrapping ErrCorrupt when the root snapshot or
// one of its segments cannot be read back. An index built by other chunker,
// tokenizer or embedder versions loads fine; Build notices and rebuilds it.
func Open(ctx context.Context, dir string, cfg Config) (*Index, error) {
	if cfg.Embedder.Embed == nil {
		return nil, errors.New("open index: no embedder configured")
	}
	ix, err := open(ctx, dir, cfg)
	var se *segmentError
	if errors.As(err, &se) {
		// Another process may have saved between our reading the root
		// and its segments, and removed one the old root listed: a new
		// root then lists what to read.
		if _, sum, _, rerr := readRoot(dir); rerr == nil && sum != se.rootSHA {
			ix, err = open(ctx, dir, cfg)
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

// testHookRootRead, when set, runs once Open has read a root and before
// it reads the segments.
var testHookRootRead func()

func open(ctx context.Context, dir string, cfg Config) (*Index, error) {
	root, sum, raw, err := readRoot(dir)
	if errors.Is(err, errOldFormat) {
		return openV1(ctx, dir, raw, cfg)
	}
	if err != nil {
		return nil, err
	}
	if testHookRootRead != nil {
		testHookRootRead()
	}
	names := listedSegments(root.Docs)
	refs := make(map[string]wire.SegmentRef, len(root.Segments))
	for _, r := range root.Segments {
		refs[r.Name] = r
	}
	segs := make([]*segment, len(names))
	err = forEachParallel(ctx, len(names), func(_ context.Context, i int) error {
		ref, ok := refs[names[i]]
		if !ok {
			return fmt.Errorf("open index %s: %w: segment %s is not described", dir, ErrCorrupt, names[i])
		}
		s, err := readSegment(dir, ref)
		if err != nil {
			return &segmentError{rootSHA: sum, err: fmt.Errorf("open index %s: %w: %v", dir, ErrCorrupt, err)}
		}
		segs[i] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*segment, len(names))
	for i, name := range names {
		byName[name] = segs[i]
	}
	ix := &Index{sounds: new(soundIndex), cfg: cfg, versions: root.Versions, skipped: modelSkipped(root.Skipped), snapSHA: sum, snapCreated: root.Created,
		segDir: absDir(dir), segOf: make(map[string]string, len(root.Docs)), segments: refs}
	docs := make([]wire.SnapshotDoc, len(root.Docs))
	for i, rd := range root.Docs {
		seg := byName[rd.Segment]
		sd, ok := seg.docs[rd.ID]
		if !ok || sd.SHA256 != rd.SHA256 || len(sd.Chunks) != rd.Chunks || len(sd.Text) != rd.Bytes {
			return nil, fmt.Errorf("open index %s: %w: segment %s does not hold %s as the root describes it", dir, ErrCorrupt, rd.Segment, rd.ID)
		}
		sd.Title, sd.Aliases = rd.Title, rd.Aliases
		docs[i] = *sd
		ix.segOf[rd.ID] = rd.Segment
	}
	vectors := func(i int) *chromem.Collection { return byName[root.Docs[i].Segment].vectors }
	if err := ix.assemble(ctx, docs, vectors); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", dir, ErrCorrupt, err)
	}
	return ix, nil
}

// openV1 opens a version 1 snapshot, which holds everything in one file;
// the index has no segments, so its next save writes them all.
func openV1(ctx context.Context, dir string, raw []byte, cfg Config) (*Index, error) {
	path := filepath.Join(dir, SnapshotFile)
	body, trailer, err := verifyChecksum(raw, snapshotMagicV1)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	var data wire.SnapshotV1
	if err := gob.NewDecoder(bytes.NewReader(body[len(snapshotMagicV1):])).Decode(&data); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(data.Vectors), ""); err != nil {
		return nil, fmt.Errorf("open index %s: %w: vectors: %v", path, ErrCorrupt, err)
	}
	coll := db.GetCollection(collectionName, noEmbedding)
	if coll == nil {
		return nil, fmt.Errorf("open index %s: %w: no vector collection", path, ErrCorrupt)
	}
	ix := &Index{sounds: new(soundIndex), cfg: cfg, versions: data.Versions, skipped: modelSkipped(data.Skipped), snapSHA: hex.EncodeToString(trailer), snapCreated: data.Created}
	if err := ix.assemble(ctx, data.Docs, func(int) *chromem.Collection { return coll }); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
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
	ix.chunks = make([]Chunk, 0, total)
	ix.chunkDoc = make([]*docEntry, 0, total)
	for _, sd := range docs {
		e := &docEntry{Document: Document{ID: sd.ID, Title: sd.Title, SHA256: sd.SHA256, Text: sd.Text, Aliases: sd.Aliases, Pages: sd.Pages},
			firstChunk: len(ix.chunks), numChunks: len(sd.Chunks)}
		for _, c := range sd.Chunks {
			if c.Start < 0 || c.End > len(sd.Text) || c.Start >= c.End {
				return fmt.Errorf("chunk %d-%d outside %s", c.Start, c.End, sd.ID)
			}
			ix.chunks = append(ix.chunks, Chunk(c))
			ix.chunkDoc = append(ix.chunkDoc, e)
		}
		ix.docs = append(ix.docs, e)
		ix.byID[e.ID] = e
		for _, a := range sd.Aliases {
			ix.byID[a] = e
		}
	}
	_ = forEachParallel(ctx, len(ix.docs), func(_ context.Context, i int) error {
		ix.docs[i].lines = NewLineIndex(ix.docs[i].Text)
		return nil
	})
	ix.flat = &flatVectors{valid: make([]bool, len(ix.chunks))}
	for i, e := range ix.docs {
		coll := vectors(i)
		for k := range e.numChunks {
			row := e.firstChunk + k
			d, err := coll.GetByID(ctx, vectorID(ix.chunks[row]))
			if err != nil {
				continue // not stored: the chunk had no known word
			}
			if err := ix.flat.set(row, d.Embedding); err != nil {
				return fmt.Errorf("chunk %s: %w", vectorID(ix.chunks[row]), err)
			}
		}
	}
	if d := ix.versions.Dimension; d != 0 && ix.flat.dim != 0 && d != ix.flat.dim {
		return fmt.Errorf("vectors of %d dimensions, %d recorded", ix.flat.dim, d)
	}
	ix.buildKeywords(nil, nil)
	return nil
}

// ReadManifest reads the manifest of the index in dir.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("read manifest %s: %w", dir, ErrNoIndex)
	}
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("read manifest %s: %w: %v", dir, ErrCorrupt, err)
	}
	return m, nil
}
