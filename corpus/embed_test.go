package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citebot/answer"
	"citebot/embedding"
	"citebot/embedding/embeddingtest"
	"citebot/retrieval"
)

// A live reindex whose embedding server fails (after its retries) keeps
// the previous index serving, and its error says which endpoint failed
// and how; once the server is back, the next reindex goes through.
func TestLiveReindexEmbeddingServerDown(t *testing.T) {
	ctx := context.Background()
	srv := embeddingtest.New(t, 16)
	o, err := embedding.NewOpenAI(embedding.OpenAIConfig{URL: srv.BaseURL(), Model: "fake-embed",
		MaxRetries: 2, Backoff: time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Embedder = retrieval.Embedder{Name: o.Name(), Embed: o.Embed, EmbedBatch: o.EmbedBatch, Dimension: o.Dimension}
	docs, indexDir := t.TempDir(), filepath.Join(t.TempDir(), "index")
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", v1)
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.NewFolderStore(indexDir, cfg).Update(ctx, prev, retrieval.FromFolder(docs, 0))
	}
	live := New(ctx, update, func(ix *retrieval.Index) AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, Options{})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	before := live.Index()

	write("b.txt", v2)
	srv.Down(&embeddingtest.Failure{Status: 500, Message: "CUDA out of memory"})
	_, err = live.Reindex(ctx)
	if err == nil {
		t.Fatal("the reindex succeeded with the embedding server down")
	}
	for _, want := range []string{"reindex", srv.BaseURL() + "/embeddings", "fake-embed", "HTTP 500", "CUDA out of memory", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if live.Index() != before {
		t.Fatal("a failed reindex replaced the index")
	}

	srv.Down(nil)
	if a, err := live.Ask(ctx, "When was the lighthouse of Vardø painted red?", 3); err != nil || a.Found {
		t.Errorf("the previous index answers: found %v, err %v; want a refusal (b.txt is not in it)", a.Found, err)
	}
	res, err := live.Reindex(ctx)
	if err != nil || res.Added != 1 || live.Index() == before {
		t.Fatalf("reindex after recovery: %+v, err %v", res, err)
	}
	if a, err := live.Ask(ctx, "When was the lighthouse of Vardø painted red?", 3); err != nil || !a.Found {
		t.Errorf("after the reindex: found %v, err %v; want the lighthouse answered", a.Found, err)
	}
}
