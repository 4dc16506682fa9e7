package retrieval

import (
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
)

// Ranking settings, part of Config.
type (
	// BM25Params are the keyword ranking's parameters.
	BM25Params = rank.BM25Params
	// Fusion says how keyword and vector rankings are combined.
	Fusion = rank.Fusion
)

// DefaultBM25 and DefaultFusion are the settings measured best on SciFact
// train and the dev set.
var (
	DefaultBM25   = rank.DefaultBM25
	DefaultFusion = rank.DefaultFusion
)

// Files of an index folder: the root snapshot, the readable manifest, and
// the segment files holding the documents.
const (
	SnapshotFile = snapshot.SnapshotFile
	ManifestFile = snapshot.ManifestFile
	SegmentGlob  = snapshot.SegmentGlob
)

// Errors of an index folder.
var (
	// ErrNoIndex means the index folder has no snapshot yet.
	ErrNoIndex = snapshot.ErrNoIndex
	// ErrCorrupt means a snapshot exists but cannot be read back; the
	// files are left in place for inspection and a rebuild replaces them.
	ErrCorrupt = snapshot.ErrCorrupt
)

// Manifest describes an index: which documents, at which hashes, built by
// which chunker and embedder.
type (
	Manifest         = snapshot.Manifest
	ManifestDocument = snapshot.ManifestDocument
)

// ReadManifest reads the manifest of the index folder dir.
func ReadManifest(dir string) (Manifest, error) { return snapshot.ReadManifest(dir) }
