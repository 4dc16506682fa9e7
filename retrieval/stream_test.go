package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citebot/internal/testdocs"
	"citebot/retrieval/internal/snapshot"
)

// A build from nothing into a folder ranks exactly as the same documents
// built in memory, and leaves a folder a cold start opens as that index.
func TestBuildIntoFolderIsBuild(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir := t.TempDir()
	copySeeds(t, docsDir)
	testdocs.WriteTree(t, docsDir, smallCorpus())
	docs, skipped, err := loadDocuments(ctx, docsDir, 0, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem, memSum, err := build(ctx, docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	indexDir := filepath.Join(t.TempDir(), "index")
	var m Meter
	res, err := buildIntoFolder(WithMeter(ctx, &m), docs, skipped, indexDir, cfg, time.Now(), UpdateResult{Rebuilt: "no index"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Saved || res.Rebuilt != "no index" || res.Summary.Added != len(docs) || res.Summary.Chunks != memSum.Chunks {
		t.Errorf("result: saved %v, rebuilt %q, %+v; want saved, %d added, %d chunks", res.Saved, res.Rebuilt, res.Summary, len(docs), memSum.Chunks)
	}
	queries := append(loadQueries(), seedQuestions...)
	sameRanking(t, res.Index, mem, queries)
	if p := m.Progress(); p.Chunks != memSum.Chunks || p.Embedded != memSum.Chunks {
		t.Errorf("progress %+v, want %d chunks chunked and embedded", p, memSum.Chunks)
	}
	opened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameRanking(t, opened, mem, queries)
	checkIndexFiles(t, indexDir)
}

// When the folder cannot be written, the index is built in memory all
// the same and the error says it was not saved; when the embedder fails,
// that is the error, and the folder holds nothing of the attempt.
func TestBuildIntoFolderFailures(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, smallCorpus())
	docs, skipped, err := loadDocuments(ctx, docsDir, 0, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem, _, err := build(ctx, docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := buildIntoFolder(ctx, docs, skipped, filepath.Join(file, "index"), cfg, time.Now(), UpdateResult{})
	if !errors.Is(err, ErrNotSaved) || res.Saved || res.Index == nil {
		t.Fatalf("folder under a file: %v, saved %v, index %v; want ErrNotSaved and the index", err, res.Saved, res.Index != nil)
	}
	sameRanking(t, res.Index, mem, loadQueries())

	failing := cfg
	failing.Embedder.Embed = func(ctx context.Context, text string) ([]float32, error) {
		if strings.Contains(text, "aquifer") {
			return nil, errors.New("embedding service unavailable")
		}
		return cfg.Embedder.Embed(ctx, text)
	}
	indexDir := t.TempDir()
	res, err = buildIntoFolder(ctx, docs, skipped, indexDir, failing, time.Now(), UpdateResult{})
	if err == nil || !strings.Contains(err.Error(), "embedding service unavailable") || errors.Is(err, ErrNotSaved) || res.Index != nil {
		t.Fatalf("embedder failing: %v, index %v; want the embedder's error", err, res.Index != nil)
	}
	if _, err := openDir(ctx, indexDir, cfg); !errors.Is(err, snapshot.ErrNoIndex) {
		t.Errorf("after a failed build the folder opens with %v, want ErrNoIndex", err)
	}
	for _, name := range testdocs.Names(t, indexDir) {
		if strings.HasPrefix(name, "seg-") {
			t.Errorf("segment %s left behind", name)
		}
	}
}
