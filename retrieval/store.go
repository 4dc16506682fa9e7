package retrieval

import (
	"context"
	"fmt"

	"citebot/document"
	"citebot/retrieval/internal/snapshot"
)

// Store keeps an index: in a folder (NewFolderStore), in a search engine
// that replicas share (NewRemoteStore), or only in memory (NewMemoryStore,
// for evaluations). The program picks one when it starts; everything
// after that is the same for all three.
type Store interface {
	// Update brings the store up to date with the documents of src and
	// returns the index it then holds. prev, the index being served
	// (nil for none), is reused where unchanged instead of being read
	// back; it is never modified.
	Update(ctx context.Context, prev *Index, src Source) (UpdateResult, error)
	// Refresh is Update for a caller that needs only the summary; the
	// result's Index may be nil, when the store could bring itself up to
	// date without building one.
	Refresh(ctx context.Context, src Source) (UpdateResult, error)
	// Open returns the index the store holds, without reading any
	// documents: an error wrapping ErrNoIndex when it holds none.
	Open(ctx context.Context, prev *Index) (*Index, error)
	// String names the store in messages.
	String() string
}

// Shared is a Store that other processes may change: Generation tells
// whether the index it holds is newer than one being served
// (Index.Generation); ok is false when it holds none.
type Shared interface {
	Store
	Generation(ctx context.Context) (gen int64, ok bool, err error)
}

// Source is where an update takes the documents from: a folder
// (FromFolder) or documents loaded already (FromDocuments).
type Source interface {
	// load returns the documents; k is what the store knows of the
	// documents it holds (nil for nothing), so that unchanged files are
	// not extracted again.
	load(ctx context.Context, cfg Config, k *known) ([]document.Document, []document.Skipped, error)
}

// FromFolder is the documents of the folder dir, files larger than
// maxFileBytes skipped (0: loader.DefaultMaxFileBytes).
func FromFolder(dir string, maxFileBytes int64) Source {
	return folderSource{dir: dir, maxFileBytes: maxFileBytes}
}

type folderSource struct {
	dir          string
	maxFileBytes int64
}

func (f folderSource) load(ctx context.Context, cfg Config, k *known) ([]document.Document, []document.Skipped, error) {
	return loadDocuments(ctx, f.dir, f.maxFileBytes, cfg, k)
}

// FromDocuments is documents loaded already (a benchmark's corpus, say),
// with the files left out; the store is brought to hold exactly docs.
func FromDocuments(docs []document.Document, skipped []document.Skipped) Source {
	return loadedSource{docs: docs, skipped: skipped}
}

type loadedSource struct {
	docs    []document.Document
	skipped []document.Skipped
}

func (l loadedSource) load(context.Context, Config, *known) ([]document.Document, []document.Skipped, error) {
	return l.docs, l.skipped, nil
}

// NewFolderStore keeps the index in the folder dir: a root snapshot, the
// segment files it lists and a manifest, written atomically.
func NewFolderStore(dir string, cfg Config) Store {
	return &folderStore{dir: dir, cfg: cfg}
}

type folderStore struct {
	dir string
	cfg Config
}

// Open loads the index saved in the folder; prev is not needed.
func (s *folderStore) Open(ctx context.Context, _ *Index) (*Index, error) {
	return openDir(ctx, s.dir, s.cfg)
}

func (s *folderStore) String() string { return s.dir }

// NewRemoteStore keeps the index in the engine r: chunks, vectors and
// terms, the documents' bodies and the manifest, so that any number of
// stateless replicas answer from the same corpus.
func NewRemoteStore(r Remote, cfg Config) Shared {
	return &remoteStore{r: r, cfg: cfg}
}

type remoteStore struct {
	r   Remote
	cfg Config
}

func (s *remoteStore) String() string {
	if n, ok := s.r.(fmt.Stringer); ok {
		return n.String()
	}
	return "a remote store"
}

// NewMemoryStore keeps the index in memory only: it holds nothing until
// an update, and forgets it with the process.
func NewMemoryStore(cfg Config) Store {
	return memoryStore{cfg: cfg}
}

type memoryStore struct {
	cfg Config
}

// Update builds the index of src's documents, reusing prev's chunks and
// vectors for those unchanged.
func (s memoryStore) Update(ctx context.Context, prev *Index, src Source) (UpdateResult, error) {
	docs, skipped, err := src.load(ctx, s.cfg, prev.knownFrom(s.cfg))
	if err != nil {
		return UpdateResult{}, err
	}
	ix, sum, err := build(ctx, docs, skipped, s.cfg, prev)
	if err != nil {
		return UpdateResult{}, err
	}
	res := UpdateResult{Index: ix, Summary: sum}
	if prev == nil {
		res.noIndex()
	}
	return res, nil
}

func (s memoryStore) Refresh(ctx context.Context, src Source) (UpdateResult, error) {
	return s.Update(ctx, nil, src)
}

func (s memoryStore) Open(context.Context, *Index) (*Index, error) {
	return nil, fmt.Errorf("open index: %w (it is kept in memory only)", snapshot.ErrNoIndex)
}

func (s memoryStore) String() string { return "memory" }
