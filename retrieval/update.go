package retrieval

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// UpdateResult is what Update did.
type UpdateResult struct {
	Index   *Index
	Summary Summary
	// Rebuilt says why the previous index was not reused, when it was not:
	// "" for an incremental update, else e.g. "no index", "corrupt
	// snapshot: …", "chunker version changed".
	Rebuilt string
	// Saved is false when nothing changed and the snapshot was kept as is.
	Saved bool
}

// Update brings the index in indexDir up to date with the documents in
// docsDir: only new and changed documents are chunked and embedded, removed
// ones are dropped, and the result is saved atomically. When nothing changed
// the old index is returned without rewriting it. A corrupt snapshot is
// rebuilt from the documents; until the new one is saved the old file stays
// where it is. When saving fails the error wraps ErrNotSaved and the
// result still carries the index.
func Update(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	return UpdateFrom(ctx, nil, docsDir, indexDir, maxFileBytes, cfg)
}

// UpdateFrom is Update for a caller that holds the current index in memory,
// such as a server reindexing live: a non-nil prev is reused instead of
// reading the snapshot back from indexDir.
func UpdateFrom(ctx context.Context, prev *Index, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	start := time.Now()
	docs, skipped, err := loadDocuments(docsDir, maxFileBytes, cfg)
	if err != nil {
		return UpdateResult{}, err
	}
	var res UpdateResult
	inMemory := prev != nil
	if !inMemory {
		prev, err = Open(ctx, indexDir, cfg)
	}
	switch {
	case err == nil:
		why, err := prev.staleVersions(ctx, cfg)
		if err != nil {
			return UpdateResult{}, err
		}
		if why != "" {
			res.Rebuilt = why
			prev = nil
		}
	case errors.Is(err, ErrNoIndex):
		res.Rebuilt = "no index"
	case errors.Is(err, ErrCorrupt):
		res.Rebuilt = err.Error()
	default:
		return UpdateResult{}, err
	}
	if prev != nil && prev.sameDocuments(docs) {
		res.Index = prev
		res.Summary = Summary{Unchanged: len(docs), Skipped: skipped, Chunks: len(prev.chunks), TookMS: time.Since(start).Milliseconds(),
			Duplicates: duplicatesOf(docs)}
		if res.Summary.Skipped == nil {
			res.Summary.Skipped = []Skipped{}
		}
		m, merr := ReadManifest(indexDir)
		manifestOK := merr == nil && m.SnapshotSHA256 == prev.snapSHA
		sameSkipped := slices.Equal(prev.skipped, skipped) || len(prev.skipped) == 0 && len(skipped) == 0
		switch {
		case !sameSkipped || prev.snapSHA == "" || inMemory && !manifestOK:
			// Save a copy: prev may be answering searches right now, and
			// an index held in memory may not be what the folder holds
			// (it was never saved, or the folder was changed under it).
			cp := *prev
			cp.skipped = skipped
			res.Index = &cp
			if err := cp.Save(indexDir); err != nil {
				return res, fmt.Errorf("%w: %w", ErrNotSaved, err)
			}
			res.Saved = true
		case !manifestOK:
			// The manifest summarises the snapshot: a crash between the
			// two renames in Save, or a deleted or damaged manifest,
			// leaves it describing something else. Rewrite it from the
			// snapshot just read, which stays as it is; the crash may also
			// have left the manifest's temporary file.
			removeStaleTemps(indexDir)
			if err := writeManifest(indexDir, prev.manifest(prev.snapCreated, prev.snapSHA)); err != nil {
				return res, fmt.Errorf("%w: repair index manifest: %w", ErrNotSaved, err)
			}
		}
		return res, nil
	}
	ix, sum, err := Build(ctx, docs, skipped, cfg, prev)
	if err != nil {
		return UpdateResult{}, err
	}
	sum.TookMS = time.Since(start).Milliseconds()
	res.Index, res.Summary = ix, sum
	if err := ix.Save(indexDir); err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	res.Saved = true
	return res, nil
}

// ErrNotSaved means Update built or refreshed an index it could not write:
// the result's Index is complete and usable, the folder keeps whatever it
// held before. A command that only needs answers can go on with a warning.
var ErrNotSaved = errors.New("index not saved")

// staleVersions says why an index built by other code or another model
// cannot be reused, or "". An embedder that can tell its dimension is
// asked for it, so that a model swapped behind the same name is noticed;
// an error means it could not answer.
func (ix *Index) staleVersions(ctx context.Context, cfg Config) (string, error) {
	want := cfg.versions()
	switch {
	case ix.versions.Chunker != want.Chunker:
		return fmt.Sprintf("chunker version changed (%s -> %s)", ix.versions.Chunker, want.Chunker), nil
	case ix.versions.Tokenizer != want.Tokenizer:
		return fmt.Sprintf("tokenizer version changed (%s -> %s)", ix.versions.Tokenizer, want.Tokenizer), nil
	case ix.versions.Embedder != want.Embedder:
		return fmt.Sprintf("embedder changed (%s -> %s)", ix.versions.Embedder, want.Embedder), nil
	}
	if have := ix.dimension(); have != 0 {
		got, err := embedderDimension(ctx, cfg.Embedder)
		if err != nil {
			return "", err
		}
		if got != 0 && got != have {
			return dimensionChanged(have, got), nil
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
func (ix *Index) sameDocuments(docs []Document) bool {
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
// `citebot index`: when the manifest shows the documents, versions and
// skipped files unchanged and the snapshot's checksum verifies, it answers
// without decoding the snapshot or rebuilding the keyword index, which is
// most of a no-change run's time. Otherwise it falls back to Update, and
// the result's Index is then set.
func Refresh(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	start := time.Now()
	docs, skipped, err := loadDocuments(docsDir, maxFileBytes, cfg)
	if err != nil {
		return UpdateResult{}, err
	}
	if m, err := ReadManifest(indexDir); err == nil && m.Versions.sameBuilder(cfg.versions()) && m.matches(docs, skipped) && snapshotVerifies(indexDir, m.SnapshotSHA256) {
		// A manifest without a dimension predates its recording: the
		// embedder's name is trusted, as it was then.
		if m.Versions.Dimension != 0 {
			d, err := embedderDimension(ctx, cfg.Embedder)
			if err != nil {
				return UpdateResult{}, err
			}
			if d != 0 && d != m.Versions.Dimension {
				return Update(ctx, docsDir, indexDir, maxFileBytes, cfg)
			}
		}
		if skipped == nil {
			skipped = []Skipped{}
		}
		return UpdateResult{Summary: Summary{Unchanged: len(docs), Skipped: skipped, Chunks: m.Chunks, Duplicates: duplicatesOf(docs),
			TookMS: time.Since(start).Milliseconds()}}, nil
	}
	return Update(ctx, docsDir, indexDir, maxFileBytes, cfg)
}

func (m Manifest) matches(docs []Document, skipped []Skipped) bool {
	if len(docs) != len(m.Documents) || !slices.Equal(m.Skipped, skipped) && !(len(m.Skipped) == 0 && len(skipped) == 0) {
		return false
	}
	for i, d := range docs {
		e := m.Documents[i]
		if e.ID != d.ID || e.SHA256 != d.SHA256 || e.Title != d.Title || !slices.Equal(e.Duplicates, d.Aliases) {
			return false
		}
	}
	return true
}

// snapshotVerifies reports whether the snapshot in dir is whole and is the
// one the manifest describes.
func snapshotVerifies(dir, want string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, SnapshotFile))
	if err != nil {
		return false
	}
	_, sum, err := verifySnapshot(raw)
	return err == nil && hex.EncodeToString(sum) == want
}

// loadDocuments loads the docs folder for cfg: titles from the configured
// boilerplate, and documents that hold nothing but site chrome skipped
// with a reason rather than indexed as empty.
func loadDocuments(dir string, maxFileBytes int64, cfg Config) ([]Document, []Skipped, error) {
	docs, skipped, err := Load(dir, maxFileBytes, func(text string) string {
		return DocumentTitle(text, cfg.Chunk.Boilerplate)
	})
	if err != nil {
		return nil, skipped, err
	}
	kept := docs[:0]
	for _, d := range docs {
		if hasContent(d.Text, cfg.Chunk.Boilerplate) {
			kept = append(kept, d)
		} else {
			skipped = append(skipped, Skipped{Document: d.ID, Reason: "no text to index (only site chrome)"})
		}
	}
	if len(kept) == 0 {
		return nil, skipped, noDocuments(dir, skipped)
	}
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.Document, b.Document) })
	return kept, skipped, nil
}
