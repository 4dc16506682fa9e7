package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"citebot/answer"
	"citebot/corpus"
	"citebot/retrieval"
)

// testDocs is a small corpus with known facts; tests add to it.
var testDocs = map[string]string{
	"harbour.txt":          "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n\nFishing boats wintered in Kirkenes during the freeze.\n",
	"sub/treaty.md":        "# The Treaty of Examples\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n\nIt entered into force on 1 January 1922, after ratification by both parties.\n",
	"secret-neighbour.txt": "Neighbour\n\nThis file is indexed; the one outside the docs folder is not.\n",
}

// testEnv is a real corpus on disk, a Live over it, and the API on a real
// HTTP server.
type testEnv struct {
	Docs, IndexDir string
	Live           *corpus.Live
	Server         *httptest.Server
	Metrics        *Metrics
}

// newTestEnv writes testDocs into a temp folder (with a secret file beside
// it, outside the docs folder), loads the index unless cfg says not to, and
// starts the API. The server and the live corpus stop at the test's end.
func newTestEnv(t testing.TB, cfg Config, load bool) *testEnv {
	t.Helper()
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	for name, text := range testDocs {
		writeTestFile(t, filepath.Join(docs, name), text)
	}
	writeTestFile(t, filepath.Join(root, "secret.txt"), "TOP-SECRET-OUTSIDE-DOCS\n")
	indexDir := filepath.Join(root, "index")

	rc, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	metrics := NewMetrics()
	live := corpus.New(ctx,
		func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
			return retrieval.NewFolderStore(indexDir, rc).Update(ctx, prev, retrieval.FromFolder(docs, 1<<20))
		},
		func(ix *retrieval.Index) corpus.AnswerFunc {
			return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
		},
		corpus.Options{CacheSize: 64, Observer: metrics})
	if load {
		if _, err := live.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := httptest.NewServer(NewServer(cfg, live, log, metrics))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		live.Wait()
	})
	return &testEnv{Docs: docs, IndexDir: indexDir, Live: live, Server: srv, Metrics: metrics}
}

func writeTestFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
