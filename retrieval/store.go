package retrieval

import (
	"bufio"
	"bytes"
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
	"time"

	"github.com/philippgille/chromem-go"
)

// Files of an index folder. The snapshot is the source of truth; the
// manifest beside it is a readable summary (and a cheap staleness check)
// that is rewritten from the snapshot whenever they disagree.
const (
	SnapshotFile = "index.snap"
	ManifestFile = "manifest.json"
)

// snapshotMagic starts every snapshot; the trailing line is the format
// version, bumped whenever snapshotData changes shape.
const snapshotMagic = "citebot-snapshot\n1\n"

// ErrNoIndex means the index folder has no snapshot yet.
var ErrNoIndex = errors.New("no index")

// ErrCorrupt means a snapshot exists but cannot be read back; the file is
// left in place for inspection and `citebot index` replaces it.
var ErrCorrupt = errors.New("index snapshot is corrupt")

type snapshotData struct {
	Versions Versions
	Created  time.Time
	Docs     []snapshotDoc
	Skipped  []Skipped
	// Vectors is chromem-go's own export of the vector collection.
	Vectors []byte
}

type snapshotDoc struct {
	ID, Title, SHA256, Text string
	Chunks                  []Chunk
	Aliases                 []string // gob: absent in snapshots before duplicates were folded
	Pages                   []int    // where each page starts (PDF); absent before pages were kept
}

// Manifest describes an index: which documents, at which hashes, built by
// which chunker and embedder.
type Manifest struct {
	Versions       Versions           `json:"versions"`
	Created        time.Time          `json:"created"`
	SnapshotSHA256 string             `json:"snapshot_sha256"` // the snapshot's checksum trailer: sha256 of the bytes before it
	Documents      []ManifestDocument `json:"documents"`
	Skipped        []Skipped          `json:"skipped"`
	Chunks         int                `json:"chunks"`
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

// Save writes the index into dir as one snapshot, atomically: a temporary
// file is written, fsynced and renamed over the old snapshot, and the
// directory is fsynced, so a crash leaves either the old index or the new
// one. chromem-go's NewPersistentDB is avoided on purpose (DESIGN.md).
//
// Save records the snapshot's identity in ix, so call it before ix is
// shared with other goroutines.
func (ix *Index) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	removeStaleTemps(dir)
	var vec bytes.Buffer
	if err := ix.db.ExportToWriter(&vec, false, ""); err != nil {
		return fmt.Errorf("save index: export vectors: %w", err)
	}
	data := snapshotData{Versions: ix.versions, Created: time.Now().UTC(), Skipped: ix.skipped, Vectors: vec.Bytes()}
	for _, d := range ix.docs {
		data.Docs = append(data.Docs, snapshotDoc{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Text: d.Text, Aliases: d.Aliases, Pages: d.Pages,
			Chunks: ix.chunks[d.firstChunk : d.firstChunk+d.numChunks]})
	}
	h := sha256.New()
	err := writeAtomic(filepath.Join(dir, SnapshotFile), func(w io.Writer) error {
		mw := io.MultiWriter(w, h)
		if _, err := io.WriteString(mw, snapshotMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(mw).Encode(&data); err != nil {
			return err
		}
		// The checksum trailer catches truncation and bit rot that gob
		// might decode into plausible garbage.
		_, err := w.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	m := ix.manifest(data.Created, hex.EncodeToString(h.Sum(nil)))
	if err := writeManifest(dir, m); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	ix.snapSHA, ix.snapCreated = m.SnapshotSHA256, m.Created
	return nil
}

func (ix *Index) manifest(created time.Time, snapSHA string) Manifest {
	m := Manifest{Versions: ix.versions, Created: created, SnapshotSHA256: snapSHA, Skipped: ix.skipped, Chunks: len(ix.chunks)}
	for _, d := range ix.docs {
		m.Documents = append(m.Documents, ManifestDocument{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Bytes: len(d.Text), Chunks: d.numChunks, Pages: len(d.Pages), Duplicates: d.Aliases})
	}
	if m.Skipped == nil {
		m.Skipped = []Skipped{}
	}
	return m
}

func writeManifest(dir string, m Manifest) error {
	return writeAtomic(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// removeStaleTemps deletes temporary files a crashed Save left behind; the
// snapshot they were to become never replaced the old one.
func removeStaleTemps(dir string) {
	for _, name := range []string{SnapshotFile, ManifestFile} {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
		for _, f := range stale {
			os.Remove(f)
		}
	}
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
// when there is none, and one wrapping ErrCorrupt when the snapshot cannot be
// read back. An index built by other chunker, tokenizer or embedder versions
// loads fine; Build notices and rebuilds it.
func Open(ctx context.Context, dir string, cfg Config) (*Index, error) {
	if cfg.Embedder.Embed == nil {
		return nil, errors.New("open index: no embedder configured")
	}
	path := filepath.Join(dir, SnapshotFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open index %s: %w", dir, ErrNoIndex)
	}
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	data, err := decodeSnapshot(raw)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	ix := &Index{cfg: cfg, versions: data.Versions, byID: make(map[string]*docEntry, len(data.Docs)), skipped: data.Skipped,
		snapSHA: hex.EncodeToString(raw[len(raw)-sha256.Size:]), snapCreated: data.Created}
	for _, sd := range data.Docs {
		e := &docEntry{Document: Document{ID: sd.ID, Title: sd.Title, SHA256: sd.SHA256, Text: sd.Text, Aliases: sd.Aliases, Pages: sd.Pages},
			lines: NewLineIndex(sd.Text), firstChunk: len(ix.chunks), numChunks: len(sd.Chunks)}
		for _, c := range sd.Chunks {
			if c.Start < 0 || c.End > len(sd.Text) || c.Start >= c.End {
				return nil, fmt.Errorf("open index %s: %w: chunk %d-%d outside %s", path, ErrCorrupt, c.Start, c.End, sd.ID)
			}
			ix.chunks = append(ix.chunks, c)
			ix.chunkDoc = append(ix.chunkDoc, e)
		}
		ix.docs = append(ix.docs, e)
		ix.byID[e.ID] = e
		for _, a := range sd.Aliases {
			ix.byID[a] = e
		}
	}
	ix.db = chromem.NewDB()
	if err := ix.db.ImportFromReader(bytes.NewReader(data.Vectors), ""); err != nil {
		return nil, fmt.Errorf("open index %s: %w: vectors: %v", path, ErrCorrupt, err)
	}
	ix.vectors = ix.db.GetCollection(collectionName, cfg.Embedder.Embed)
	if ix.vectors == nil {
		return nil, fmt.Errorf("open index %s: %w: no vector collection", path, ErrCorrupt)
	}
	if err := ix.indexVectors(ctx); err != nil {
		return nil, fmt.Errorf("open index %s: %w: %v", path, ErrCorrupt, err)
	}
	if d := data.Versions.Dimension; d != 0 && ix.flat.dim != 0 && d != ix.flat.dim {
		return nil, fmt.Errorf("open index %s: %w: vectors of %d dimensions, %d recorded", path, ErrCorrupt, ix.flat.dim, d)
	}
	ix.buildKeywords()
	return ix, nil
}

// verifySnapshot checks a snapshot's magic and checksum trailer and
// returns the encoded body and the checksum.
func verifySnapshot(raw []byte) (body, sum []byte, err error) {
	if len(raw) < len(snapshotMagic)+sha256.Size || string(raw[:len(snapshotMagic)]) != snapshotMagic {
		return nil, nil, errors.New("not a citebot snapshot of this version")
	}
	body, sum = raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, errors.New("checksum mismatch (truncated or damaged)")
	}
	return body, sum, nil
}

func decodeSnapshot(raw []byte) (*snapshotData, error) {
	body, _, err := verifySnapshot(raw)
	if err != nil {
		return nil, err
	}
	var data snapshotData
	if err := gob.NewDecoder(bytes.NewReader(body[len(snapshotMagic):])).Decode(&data); err != nil {
		return nil, err
	}
	return &data, nil
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
