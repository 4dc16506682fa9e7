package retrieval

import (
	"context"

	"citebot/document"
)

// Shorthands for the tests of the folder store, which name the folders
// in every call.

func updateFolder(ctx context.Context, prev *Index, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	return NewFolderStore(indexDir, cfg).Update(ctx, prev, FromFolder(docsDir, maxFileBytes))
}

func refreshFolder(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	return NewFolderStore(indexDir, cfg).Refresh(ctx, FromFolder(docsDir, maxFileBytes))
}

// saveIndex saves ix into dir and, as a store does with the index it
// returns, makes ix know where its documents now are.
func saveIndex(ix *Index, dir string) error {
	s, err := ix.save(dir)
	if err == nil {
		*ix = *ix.storedIn(s)
	}
	return err
}

// updateNew is updateFolder without an index in memory.
func updateNew(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
	return updateFolder(ctx, nil, docsDir, indexDir, maxFileBytes, cfg)
}

// allChunks is every chunk of ix, in order, as the program sees them.
func allChunks(ix *Index) []document.Chunk {
	out := make([]document.Chunk, ix.NumChunks())
	for i := range out {
		out[i] = ix.chunk(i)
	}
	return out
}
