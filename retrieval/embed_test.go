package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citebot/document"
	"citebot/embedding"
	"citebot/embedding/embeddingtest"
	"citebot/embedding/wordvec"
	"citebot/internal/testdocs"
	"citebot/retrieval/internal/snapshot"
)

// wordvecDim is the dimension of the embedded word vectors.
const wordvecDim = 100

// builtVersions is what an index built with cfg's word vectors records:
// cfg's versions and the vectors' dimension.
func builtVersions(cfg Config) Versions {
	v := cfg.versions()
	v.Dimension = wordvecDim
	return v
}

// externalConfig is benchConfig with the fake server's model as the
// embedder, in batches of batch texts, retrying fast.
func externalConfig(tb testing.TB, srv *embeddingtest.Server, model string, batch int) Config {
	tb.Helper()
	o, err := embedding.NewOpenAI(embedding.OpenAIConfig{URL: srv.BaseURL(), Model: model, BatchSize: batch,
		MaxRetries: 2, Backoff: time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := benchConfig(tb)
	cfg.Embedder = Embedder{Name: o.Name(), Embed: o.Embed, EmbedBatch: o.EmbedBatch, Dimension: o.Dimension}
	return cfg
}

// A build sends the chunks in batches (not a request per chunk) and
// records the dimension of the vectors in the index and its manifest;
// searches then embed the question with the same model.
func TestBuildEmbedsInBatches(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	srv.Reverse(true)
	cfg := externalConfig(t, srv, "fake-embed", 5)
	_, indexDir, res := buildIndexDir(t, smallCorpus(), cfg)
	n := res.Index.NumChunks()
	if got, want := len(srv.Requests()), (n+4)/5; got != want {
		t.Errorf("%d requests for %d chunks in batches of 5, want %d", got, n, want)
	}
	if srv.Texts() != n {
		t.Errorf("%d texts sent, want one per chunk (%d)", srv.Texts(), n)
	}
	if res.Index.versions.Dimension != 8 || res.Index.local().flat.Dim != 8 {
		t.Errorf("index dimension %d (vectors %d), want 8", res.Index.versions.Dimension, res.Index.local().flat.Dim)
	}
	m, err := snapshot.ReadManifest(indexDir)
	if err != nil || m.Versions.Dimension != 8 || m.Versions.Embedder != cfg.Embedder.Name {
		t.Errorf("manifest versions %+v (err %v), want embedder %s of dimension 8", m.Versions, err, cfg.Embedder.Name)
	}
	raw, _ := os.ReadFile(filepath.Join(indexDir, snapshot.ManifestFile))
	if !strings.Contains(string(raw), `"dimension": 8`) {
		t.Errorf("manifest does not show the dimension:\n%s", raw)
	}

	// The chunk vectors are the model's: a chunk is nearest to itself.
	c := res.Index.chunk(3)
	q := res.Index.chunkDoc[3].Text[c.Start:c.End]
	qv, err := cfg.Embedder.Embed(ctx, embedText(res.Index.chunkDoc[3].Document, c))
	if err != nil {
		t.Fatal(err)
	}
	if top := res.Index.local().flat.Search(qv, 1); len(top) != 1 || top[0].Chunk != 3 {
		t.Errorf("nearest chunk to chunk 3's own vector: %+v", top)
	}
	srv.Reset()
	ps, err := res.Index.Search(ctx, q, 3)
	if err != nil || len(ps) == 0 {
		t.Fatalf("Search: %v, %d passages", err, len(ps))
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("a search made %d requests, want 1 (the question)", len(srv.Requests()))
	}

}

// The model's dimension changes behind the same name (a server given
// another model): everything is embedded again, and the rebuild says why.
// A question embedded with the new model against the old index is an
// error, not a silent zero score.
func TestDimensionChangeRebuilds(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	cfg := externalConfig(t, srv, "fake-embed", 16)
	docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), cfg)
	n := first.Index.NumChunks()

	srv.SetDim(12)
	if _, err := first.Index.Search(ctx, "aquifer groundwater recharge", 3); err == nil ||
		!strings.Contains(err.Error(), "12 dimensions, the index's 8") {
		t.Errorf("search with 12-d questions over an 8-d index: err %v, want a dimension error", err)
	}

	srv.Reset()
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rebuilt != "embedder dimension changed (8 -> 12)" {
		t.Errorf("Rebuilt = %q, want the dimension change", res.Rebuilt)
	}
	checkSummary(t, res.Summary, Summary{Added: 4, Skipped: jpegSkipped, Chunks: n})
	if got := srv.Texts(); got != n+1 {
		t.Errorf("%d texts sent, want every chunk (%d) and the probe", got, n)
	}
	if res.Index.versions.Dimension != 12 || res.Index.local().flat.Dim != 12 {
		t.Errorf("rebuilt index dimension %d, vectors %d; want 12", res.Index.versions.Dimension, res.Index.local().flat.Dim)
	}
	if _, err := res.Index.Search(ctx, "aquifer groundwater recharge", 3); err != nil {
		t.Errorf("search after the rebuild: %v", err)
	}

	// Then it is reused: one probe, no embedding.
	srv.Reset()
	res, err = updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil || res.Rebuilt != "" || res.Saved || srv.Texts() != 1 {
		t.Errorf("second Update: err %v, Rebuilt %q, Saved %v, %d texts sent; want a reuse after one probe", err, res.Rebuilt, res.Saved, srv.Texts())
	}

	// Refresh, which answers from the manifest, asks too.
	srv.SetDim(6)
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || res.Rebuilt != "embedder dimension changed (12 -> 6)" || res.Summary.Added != 4 {
		t.Errorf("Refresh after 12 -> 6: err %v, Rebuilt %q, summary %+v", err, res.Rebuilt, res.Summary)
	}
	srv.Reset()
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || res.Rebuilt != "" || res.Summary.Unchanged != 4 || srv.Texts() != 1 {
		t.Errorf("Refresh with nothing changed: err %v, Rebuilt %q, summary %+v, %d texts sent", err, res.Rebuilt, res.Summary, srv.Texts())
	}
}

// An embedder that cannot tell its dimension in advance is caught by the
// vectors it makes: a changed document embedded at another dimension than
// the reused ones makes Build embed everything again.
func TestDimensionChangeFoundWhileBuilding(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	cfg := externalConfig(t, srv, "fake-embed", 16)
	cfg.Embedder.Dimension = nil
	files := smallCorpus()
	docsDir, indexDir, first := buildIndexDir(t, files, cfg)

	srv.SetDim(12)
	srv.Reset()
	testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"] + "Varroa mites spread between apiaries.\n"})
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Added != 4 || res.Summary.Unchanged != 0 {
		t.Errorf("summary %+v, want all 4 documents embedded again", res.Summary)
	}
	if got, want := srv.Texts(), res.Index.NumChunks(); got != want {
		t.Errorf("%d texts sent, want b.txt's chunks, then the others' (%d in all)", got, want)
	}
	if res.Index.local().flat.Dim != 12 || res.Index.versions.Dimension != 12 || first.Index.local().flat.Dim != 8 {
		t.Errorf("dimension %d (recorded %d), want 12 (the held index: %d, want 8)", res.Index.local().flat.Dim, res.Index.versions.Dimension, first.Index.local().flat.Dim)
	}
}

// Another model name is another embedder: a full re-embed.
func TestModelChangeRebuilds(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), externalConfig(t, srv, "model-a", 16))
	srv.Reset()
	cfg := externalConfig(t, srv, "model-b", 16)
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := "embedder changed (openai:model-a@" + srv.BaseURL() + " -> openai:model-b@" + srv.BaseURL() + ")"
	if res.Rebuilt != want {
		t.Errorf("Rebuilt = %q, want %q", res.Rebuilt, want)
	}
	if srv.Texts() != first.Index.NumChunks() {
		t.Errorf("%d texts sent, want every chunk (%d)", srv.Texts(), first.Index.NumChunks())
	}
	for _, r := range srv.Requests() {
		if r.Model != "model-b" {
			t.Errorf("request for model %q, want model-b", r.Model)
		}
	}
}

// An index built with the embedded word vectors, opened with an external
// embedder, is embedded again by it, and the other way round.
func TestWordVectorsToExternalAndBack(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 16)
	docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), benchConfig(t))
	ext := externalConfig(t, srv, "fake-embed", 64)
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, ext)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Rebuilt, "embedder changed ("+wordvec.Version+" -> openai:fake-embed@") {
		t.Errorf("Rebuilt = %q", res.Rebuilt)
	}
	if srv.Texts() != first.Index.NumChunks() || res.Index.versions.Dimension != 16 {
		t.Errorf("%d texts sent (want %d), dimension %d (want 16)", srv.Texts(), first.Index.NumChunks(), res.Index.versions.Dimension)
	}
	back, err := updateFolder(ctx, nil, docsDir, indexDir, 0, benchConfig(t))
	if err != nil || !strings.HasPrefix(back.Rebuilt, "embedder changed (openai:") || back.Index.versions.Dimension != wordvecDim {
		t.Errorf("back to word vectors: err %v, Rebuilt %q, dimension %d", err, back.Rebuilt, back.Index.versions.Dimension)
	}
}

// The embedding server failing (after its retries) fails the update with
// a message that says where and why; the index folder keeps the previous
// snapshot, which still opens and answers, and an index held in memory is
// untouched.
func TestEmbeddingFailureKeepsPreviousIndex(t *testing.T) {
	for _, probe := range []bool{true, false} {
		name := map[bool]string{true: "dimension probe fails", false: "chunk embedding fails"}[probe]
		t.Run(name, func(t *testing.T) { testEmbeddingFailure(t, probe) })
	}
}

func testEmbeddingFailure(t *testing.T, probe bool) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	cfg := externalConfig(t, srv, "fake-embed", 16)
	if !probe {
		cfg.Embedder.Dimension = nil
	}
	docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), cfg)
	state := agedState(t, indexDir)

	testdocs.WriteTree(t, docsDir, map[string]string{"e.md": topicDoc("Estuaries and tidal mixing", "estuary tide salinity mixing", 3)})
	srv.Down(&embeddingtest.Failure{Status: 503, Message: "upstream overloaded"})
	for _, held := range []*Index{nil, first.Index} {
		srv.Reset()
		_, err := updateFolder(ctx, held, docsDir, indexDir, 0, cfg)
		if err == nil {
			t.Fatal("UpdateFrom succeeded with the embedding server down")
		}
		var e *embedding.Error
		if !errors.As(err, &e) || e.Status != 503 || e.Attempts != 3 {
			t.Errorf("err = %v; want an *embedding.Error, 503 after 3 attempts", err)
		}
		for _, want := range []string{srv.BaseURL() + "/embeddings", "fake-embed", "HTTP 503", "upstream overloaded", "3 attempts"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if n := len(srv.Requests()); n != 3 {
			t.Errorf("%d requests, want 3 (the first attempt and 2 retries)", n)
		}
		state.check(t, indexDir)
	}
	if _, ok := first.Index.Document("e.md"); ok {
		t.Error("the held index was modified")
	}

	// The server recovers: the old index opens and answers, and the
	// update goes through.
	srv.Down(nil)
	ix, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(ctx, "aquifer groundwater", 3); err != nil {
		t.Errorf("search over the previous index: %v", err)
	}
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil || res.Summary.Added != 1 || res.Summary.Unchanged != 4 {
		t.Errorf("Update after recovery: err %v, summary %+v; want e.md added, 4 unchanged", err, res.Summary)
	}
}

// A 429 while building is waited out and retried, and the build succeeds.
func TestBuildRetries429(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.FailNext(embeddingtest.Failure{Status: 429, RetryAfter: "0"}, embeddingtest.Failure{Status: 429})
	_, _, res := buildIndexDir(t, smallCorpus(), externalConfig(t, srv, "fake-embed", 1000))
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("%d requests, want 3 (two 429s, then the batch)", got)
	}
	if res.Index.local().flat.Dim != 8 {
		t.Errorf("dimension %d, want 8", res.Index.local().flat.Dim)
	}
}

// An index saved before dimensions were recorded (Dimension 0) still opens
// and is trusted by its embedder's name; Refresh asks nothing.
func TestIndexWithoutRecordedDimension(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 8)
	cfg := externalConfig(t, srv, "fake-embed", 16)
	docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), cfg)
	old := *first.Index
	old.versions.Dimension = 0
	if err := saveIndex(&old, indexDir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(indexDir, snapshot.ManifestFile))
	if strings.Contains(string(raw), "dimension") {
		t.Fatalf("a manifest without a dimension still names it:\n%s", raw)
	}
	srv.Reset()
	res, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || res.Summary.Unchanged != 4 || len(srv.Requests()) != 0 {
		t.Errorf("Refresh: err %v, summary %+v, %d requests; want unchanged, none", err, res.Summary, len(srv.Requests()))
	}
	ix, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ix.versions.Dimension != 0 || ix.dimension() != 8 {
		t.Errorf("opened: recorded %d, vectors %d; want 0 and 8", ix.versions.Dimension, ix.dimension())
	}
}

// A question whose vector cannot be had (the embedding service is down) is
// ranked by keywords alone rather than failing.
func TestSearchWithoutQueryVector(t *testing.T) {
	cfg := benchConfig(t)
	docs := []document.Document{{ID: "a.txt", Title: "Harbour notes", Text: "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n"}}
	ix, _, err := build(context.Background(), docs, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix.cfg.Embedder.Embed = func(ctx context.Context, text string) ([]float32, error) {
		return nil, errors.New("embedding service down")
	}
	ps, err := ix.Search(context.Background(), "When did the harbour freeze?", 3)
	if err != nil || len(ps) == 0 || !strings.Contains(ps[0].Text, "1966") {
		t.Errorf("search without a query vector: %v, %v", ps, err)
	}
}
