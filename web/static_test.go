package web

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/answer"
	"citebot/chunking"
	"citebot/corpus"
	"citebot/internal/testdocs"
	"citebot/retrieval"
)

// Assets: the hashed names the pages link are cached for a year; the
// plain names are revalidated; both answer If-None-Match with 304.
func TestStatic(t *testing.T) {
	h := New(Config{}, newTestLive(t, true), nil, testLogger())
	urls := embeddedAssets().urls
	tests := []struct {
		target, contentType, cache string
		status                     int
	}{
		{urls.CSS, "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{urls.JS, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{urls.Icon, "image/svg+xml", "public, max-age=31536000, immutable", 200},
		{"/static/site.css", "text/css; charset=utf-8", "no-cache", 200},
		{"/static/site.0123456789ab.css", "text/html; charset=utf-8", "", 404},
		{"/static/../web.go", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, body := get(t, h, tt.target)
			if tt.status == 0 {
				if res.StatusCode == http.StatusOK {
					t.Errorf("status 200 for %s", tt.target)
				}
				return
			}
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != tt.contentType || res.Header.Get("Cache-Control") != tt.cache {
				t.Fatalf("status %d, type %q, cache %q; want %d, %q, %q", res.StatusCode, res.Header.Get("Content-Type"),
					res.Header.Get("Cache-Control"), tt.status, tt.contentType, tt.cache)
			}
			if tt.status != 200 {
				return
			}
			name := tt.target[len("/static/"):]
			if parts := strings.Split(name, "."); len(parts) == 3 {
				name = parts[0] + "." + parts[2]
			}
			want, _ := fs.ReadFile(staticFiles, "static/"+name)
			if body != string(want) {
				t.Error("the body is not the embedded file")
			}
			etag := res.Header.Get("ETag")
			again, _ := get(t, h, tt.target, "If-None-Match", etag)
			if etag == "" || again.StatusCode != http.StatusNotModified {
				t.Errorf("ETag %q, revalidation status %d", etag, again.StatusCode)
			}
		})
	}
}

// pageBudget is what everything a page needs may weigh, uncompressed:
// the HTML, the stylesheet, the script and the icon.
const pageBudget = 60_000

// The heaviest ask page over the seeds (empty, or answering any question
// of the dev set and its extras, refusals with their closest passages
// included) and every embedded asset weigh no more than the budget
// together.
func TestPageWeight(t *testing.T) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	docs := testdocs.Seeds(t)
	for i := range docs {
		docs[i].Title = chunking.Title(docs[i].Text, cfg.Chunk.Boilerplate)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := corpus.New(ctx, func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.NewMemoryStore(cfg).Update(ctx, prev, retrieval.FromDocuments(docs, nil))
	}, func(ix *retrieval.Index) corpus.AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, corpus.Options{})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, live, live, testLogger())
	_, heaviest := get(t, h, "/")
	which := "the empty page"
	for _, set := range []string{"seeds-dev.jsonl", "seeds-extra.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", set))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var item struct{ Question string }
			if err := json.Unmarshal([]byte(line), &item); err != nil {
				t.Fatal(err)
			}
			if _, page := get(t, h, "/?q="+url.QueryEscape(item.Question)); len(page) > len(heaviest) {
				heaviest, which = page, item.Question
			}
		}
	}
	assets := 0
	entries, _ := fs.ReadDir(staticFiles, "static")
	for _, e := range entries {
		b, _ := fs.ReadFile(staticFiles, "static/"+e.Name())
		assets += len(b)
	}
	total := assets + len(heaviest)
	t.Logf("assets %d bytes, the heaviest ask page %d bytes (%q): %d of %d", assets, len(heaviest), which, total, pageBudget)
	if total > pageBudget {
		t.Errorf("the page needs %d bytes, over the budget of %d", total, pageBudget)
	}
}
