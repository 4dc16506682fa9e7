package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"citebot/answer"
	"citebot/corpus"
	"citebot/document"
	"citebot/retrieval"
)

// hostile is a document that tries everything a page could fall for:
// markup, script, links, event handlers, a closing textarea and pre, an
// entity, carriage returns, and bidi overrides and isolates left open.
const hostile = "Hostile notes\r\n\r\n" +
	"The zorblax test <script>alert('script')</script> was run in 1999.\r\n" +
	"A <a href=\"javascript:alert('link')\">link</a> and <img src=x onerror=\"alert('img')\"> and </textarea></pre><b>bold</b> &amp; done.\r\n" +
	"Overrides: \u202Eevil override\u202C and \u2066isolate left open and \u202Bembedding.\r\n" +
	"The zorblax frequency is 42 hertz according to the 1999 manual.\r\n"

// testDocs is the corpus the tests serve: known facts, a nested path, a
// file name that needs escaping, the hostile document, and a PDF's
// extracted text with three pages.
var testDocs = []document.Document{
	{ID: "harbour.txt", Title: "Harbour notes", Text: "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n\nFishing boats wintered in Kirkenes during the freeze.\n"},
	{ID: "sub/treaty.md", Title: "The Treaty of Examples", Text: "# The Treaty of Examples\n\n## Signing in Oslo\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n\nIt entered into force on 1 January 1922, after ratification by both parties.\n"},
	{ID: "odd name (1)'s & <notes>.txt", Title: "Odd <name> notes", Text: "Odd <name> notes\n\nThe lighthouse at Bø was painted green in 1911.\n"},
	{ID: "hostile.txt", Title: "Hostile notes", Text: hostile},
	{ID: "report.pdf", Title: "Annual report", Text: "Annual report\n\nPage one text about the budget.\n\nPage two says the budget rose by 4 percent in 2020.\n\nPage three is the appendix.\n",
		Pages: []int{0, 47, 100}},
}

var testSkipped = []document.Skipped{{Document: "scan <1>.pdf", Reason: "no text layer (a scan?) <script>alert(1)</script>"}}

// newTestLive is a Live over testDocs, loaded unless load is false.
func newTestLive(t testing.TB, load bool) *corpus.Live {
	t.Helper()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	live := corpus.New(ctx, func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.NewMemoryStore(cfg).Update(ctx, prev, retrieval.FromDocuments(testDocs, testSkipped))
	}, func(ix *retrieval.Index) corpus.AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, corpus.Options{CacheSize: 16})
	if load {
		if _, err := live.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { cancel(); live.Wait() })
	return live
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// get serves one request and returns the response and its body.
func serve(t testing.TB, h http.Handler, r *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func get(t testing.TB, h http.Handler, target string, header ...string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return serve(t, h, r)
}

func post(t testing.TB, h http.Handler, target string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return serve(t, h, r)
}
