package snapshot

import (
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
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"citebot/document"
	wire "citebot/retrieval/internal/wire"
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
	// LockFile serialises the processes saving into one folder: a save
	// removes the segments no root lists, which must never be the
	// uncommitted ones of another save.
	LockFile = ".lock"
)

// Magic lines start every file; the trailing number is the format
// version, bumped whenever the encoded shape changes.
const (
	// SnapshotMagicV1 starts the single-file snapshot of earlier
	// versions, which still opens (and is replaced by segments at the
	// next save).
	SnapshotMagicV1 = "citebot-snapshot\n1\n"
	// RootMagicV2 starts a root listing segments of version 1, which
	// hold no term counts, and RootMagicV3 one listing segments of
	// version 2, whose vectors are float32 and whose text the trailer
	// covers: such an index is rebuilt (ErrOldSegments).
	RootMagicV2    = "citebot-snapshot\n2\n"
	RootMagicV3    = "citebot-snapshot\n3\n"
	RootMagic      = "citebot-snapshot\n4\n"
	SegmentMagicV1 = "citebot-segment\n1\n"
	SegmentMagic   = "citebot-segment\n3\n"
)

// ErrNoIndex means the index folder has no snapshot yet.
var ErrNoIndex = errors.New("no index")

// ErrCorrupt means a snapshot exists but cannot be read back; the files are
// left in place for inspection and `citebot index` replaces them.
var ErrCorrupt = errors.New("index snapshot is corrupt")

// Manifest describes an index: which documents, at which hashes, built by
// which chunker and embedder.
type Manifest struct {
	Versions       wire.Versions      `json:"versions"`
	Created        time.Time          `json:"created"`
	SnapshotSHA256 string             `json:"snapshot_sha256"` // the root snapshot's checksum trailer: sha256 of the bytes before it
	Documents      []ManifestDocument `json:"documents"`
	Skipped        []document.Skipped `json:"skipped"`
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

// Segment sizes and counts: what a save writes and when it compacts.
const (
	// segmentTargetBytes is the text a save puts in one segment when it
	// writes many documents (a first build): several segments are
	// written, and later read, in parallel, and what writing one holds
	// besides the index (its term counts, vectors, chromem-go collection
	// and export: some six times its text) stays small. At most
	// maxSegments/2 are written at once, larger for a larger corpus, so
	// that later saves have room before compaction.
	segmentTargetBytes = 8 << 20
	// maxSegments bounds how many segments an index has: beyond it a
	// save merges the smallest ones, which are those of earlier small
	// saves, into its own.
	maxSegments = 32
	// maxDeadShare is the share of the listed segments' text that may
	// belong to documents since changed or removed before a save
	// rewrites every document into new segments.
	maxDeadShare = 0.3
)

// CommitRoot saves root into dir: documents without a Segment, and those
// of segments compaction picks, are written by load into new segments,
// whose names and references are filled in; then the root is written,
// which commits the save, then the manifest; last, segments no longer
// listed are removed. known describes the segments root's documents
// refer to. atOnce parts are loaded and written at once (0: GOMAXPROCS).
// The caller holds dir's lock. It returns the root's checksum.
func CommitRoot(dir string, root *wire.Root, known map[string]wire.SegmentRef, atOnce int, load func(ids []string) ([]SegmentDoc, error)) (string, error) {
	rewrite := compaction(root.Docs, known)
	var pending []int
	for i, d := range root.Docs {
		if d.Segment == "" || rewrite[d.Segment] {
			root.Docs[i].Segment = ""
			pending = append(pending, i)
		}
	}
	root.Segments = root.Segments[:0]
	for _, name := range ListedSegments(root.Docs) {
		root.Segments = append(root.Segments, known[name])
	}
	parts := splitParts(root.Docs, pending)
	refs := make([]wire.SegmentRef, len(parts))
	// At most atOnce parts at a time; after the first error no other
	// part starts, and that error is returned.
	if atOnce <= 0 {
		atOnce = runtime.GOMAXPROCS(0)
	}
	g, failed := errgroup.WithContext(context.Background())
	g.SetLimit(atOnce)
	for p := range parts {
		if failed.Err() != nil {
			break
		}
		g.Go(func() error {
			ids := make([]string, len(parts[p]))
			for j, i := range parts[p] {
				ids[j] = root.Docs[i].ID
			}
			docs, err := load(ids)
			if err != nil {
				return err
			}
			refs[p], err = WriteSegment(dir, docs)
			return err
		})
	}
	if err := g.Wait(); err != nil {
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
	sum, err := WriteRoot(dir, root)
	if err != nil {
		// The new segments stay: the root may have been renamed into
		// place before the error (fsyncing the folder, say). If it was
		// not, the next save removes them.
		return "", err
	}
	if err := WriteManifest(dir, ManifestOf(root, sum)); err != nil {
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

// ListedSegments names the segments docs refer to, sorted.
func ListedSegments(docs []wire.RootDoc) []string {
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
	n := min(max(1, int((total+segmentTargetBytes-1)/segmentTargetBytes)), maxSegments/2)
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

// ManifestOf is the manifest of a root whose checksum is sum.
func ManifestOf(root *wire.Root, sum string) Manifest {
	m := Manifest{Versions: root.Versions, Created: root.Created, SnapshotSHA256: sum, Skipped: ModelSkipped(root.Skipped), Segments: len(root.Segments),
		Documents: make([]ManifestDocument, 0, len(root.Docs))}
	for _, d := range root.Docs {
		m.Documents = append(m.Documents, ManifestDocument{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Bytes: d.Bytes, Chunks: d.Chunks, Pages: d.Pages, Duplicates: d.Aliases})
		m.Chunks += d.Chunks
	}
	if m.Skipped == nil {
		m.Skipped = []document.Skipped{}
	}
	return m
}

func WriteManifest(dir string, m Manifest) error {
	return writeAtomic(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// WriteRoot writes the root snapshot and returns its checksum.
func WriteRoot(dir string, root *wire.Root) (string, error) {
	h := sha256.New()
	err := writeAtomic(filepath.Join(dir, SnapshotFile), func(w io.Writer) error {
		mw := io.MultiWriter(w, h)
		if _, err := io.WriteString(mw, RootMagic); err != nil {
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

// ReadRoot reads the root snapshot of dir and returns it with its
// checksum. An error wraps ErrNoIndex when there is none and ErrCorrupt
// when it cannot be read back; errOldFormat says it is a version 1
// snapshot, raw then holding its bytes.
func ReadRoot(dir string) (root *wire.Root, sum string, raw []byte, err error) {
	return ReadRootKnown(dir, nil, "")
}

// ReadRootKnown is ReadRoot for a caller that has decoded the root whose
// checksum is knownSum: while the folder still holds that root, known is
// returned as it is rather than decoded again (each gob decoder compiles
// its types anew, the better part of reading a small root). The caller
// must not have changed it.
func ReadRootKnown(dir string, known *wire.Root, knownSum string) (root *wire.Root, sum string, raw []byte, err error) {
	path := filepath.Join(dir, SnapshotFile)
	raw, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil, fmt.Errorf("open index %s: %w", dir, ErrNoIndex)
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("open index: %w", err)
	}
	if bytes.HasPrefix(raw, []byte(SnapshotMagicV1)) {
		return nil, "", raw, ErrOldFormat
	}
	if bytes.HasPrefix(raw, []byte(RootMagicV2)) || bytes.HasPrefix(raw, []byte(RootMagicV3)) {
		// It wraps ErrCorrupt too: whoever cannot open it rebuilds it.
		return nil, "", nil, fmt.Errorf("open index %s: %w: %w", dir, ErrCorrupt, ErrOldSegments)
	}
	body, trailer, err := VerifyChecksum(raw, RootMagic)
	if err != nil {
		return nil, "", nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	sum = hex.EncodeToString(trailer)
	if known != nil && sum == knownSum {
		return known, sum, nil, nil
	}
	root = new(wire.Root)
	if err := gob.NewDecoder(bytes.NewReader(body[len(RootMagic):])).Decode(root); err != nil {
		return nil, "", nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	return root, sum, nil, nil
}

// ErrOldFormat marks a version 1 snapshot.
var ErrOldFormat = errors.New("snapshot of format version 1")

// ErrOldSegments marks an index whose segments are of an earlier format:
// version 1 lacks the term counts and vector rows opening now reads,
// version 2 holds float32 rows and checks the text with the rest.
// Working those out again is what a rebuild does anyway, so the index is
// rebuilt, once, rather than read.
var ErrOldSegments = errors.New("index format changed (segments of an earlier version; this citebot writes version 3, with term counts, int8 vector rows and the text checked on its own)")

// VerifyChecksum checks a file's magic and checksum trailer and returns
// the bytes before the trailer and the trailer.
func VerifyChecksum(raw []byte, magic string) (body, sum []byte, err error) {
	if len(raw) < len(magic)+sha256.Size || string(raw[:len(magic)]) != magic {
		return nil, nil, errors.New("not a citebot file of this kind and version")
	}
	body, sum = raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, errors.New("checksum mismatch (truncated or damaged)")
	}
	return body, sum, nil
}

// SegmentsIntact reports whether every segment root lists is in dir at
// its recorded size and checksum. A byte flipped on disk keeps the size,
// and only the checksum tells: each file is hashed, all of them at once.
// This reads every segment; it costs what reading them costs, and spares
// a command that reports "unchanged" from vouching for an index that no
// longer opens.
func SegmentsIntact(dir string, root *wire.Root) bool {
	refs := make(map[string]wire.SegmentRef, len(root.Segments))
	for _, r := range root.Segments {
		refs[r.Name] = r
	}
	names := ListedSegments(root.Docs)
	for _, name := range names {
		r, ok := refs[name]
		if !ok {
			return false
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() != r.Size {
			return false
		}
	}
	g := new(errgroup.Group)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, name := range names {
		g.Go(func() error { return checkSegment(dir, refs[name]) })
	}
	return g.Wait() == nil
}

// checkSegment verifies a segment file's checksums against its bytes
// and against the root's record.
func checkSegment(dir string, ref wire.SegmentRef) error {
	f, err := os.Open(filepath.Join(dir, ref.Name))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return VerifySegment(f, fi.Size(), ref)
}

// garbage lists what crashed saves left in dir: temporary files, and
// segments root does not list (renamed into place, never committed, or
// listed by the root it replaced). Without a root (nil: there is none that
// can be read) segments are not garbage: they may be what someone wants
// to inspect.
func garbage(dir string, root *wire.Root) []string {
	// The folder is listed once for every pattern (a glob each listed it
	// four times, on every ask), in name order as a glob lists it.
	entries, _ := os.ReadDir(dir)
	matching := func(pattern string) []string {
		var names []string
		for _, e := range entries {
			if ok, _ := filepath.Match(pattern, e.Name()); ok {
				names = append(names, e.Name())
			}
		}
		return names
	}
	var out []string
	for _, pattern := range []string{"." + SnapshotFile + ".tmp-*", "." + ManifestFile + ".tmp-*", "." + SegmentGlob + ".tmp-*"} {
		for _, name := range matching(pattern) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	if root == nil {
		return out
	}
	listed := ListedSegments(root.Docs)
	for _, name := range matching(SegmentGlob) {
		if _, found := slices.BinarySearch(listed, name); !found {
			out = append(out, filepath.Join(dir, name))
		}
	}
	return out
}

// currentRoot is the root in dir for garbage: an empty one for a version
// 1 snapshot (it lists no segment), nil when there is none to read. known,
// of checksum knownSum, is as ReadRootKnown takes it.
func currentRoot(dir string, known *wire.Root, knownSum string) *wire.Root {
	root, _, _, err := ReadRootKnown(dir, known, knownSum)
	switch {
	case errors.Is(err, ErrOldFormat):
		return &wire.Root{}
	case err != nil:
		return nil
	}
	return root
}

// RemoveGarbage deletes the garbage in dir. The caller holds dir's lock,
// so no save is under way whose segments no root lists yet.
func RemoveGarbage(dir string) {
	for _, f := range garbage(dir, currentRoot(dir, nil, "")) {
		os.Remove(f)
	}
}

// Tidy removes the garbage in dir, if there is any, so that a run with
// nothing to save still cleans up after a crashed one. It is best effort:
// a folder it cannot lock or write (read-only) keeps its garbage. known,
// of checksum knownSum, is the root the caller read, if any, as
// ReadRootKnown takes it.
func Tidy(dir string, known *wire.Root, knownSum string) {
	if len(garbage(dir, currentRoot(dir, known, knownSum))) == 0 {
		return
	}
	unlock, err := LockIndex(dir)
	if err != nil {
		return
	}
	defer unlock()
	RemoveGarbage(dir)
}

// AbsDir names a folder independently of the working directory, so that
// an index knows whether a save goes where its segments are.
func AbsDir(dir string) string {
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
