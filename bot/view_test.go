package bot

import (
	"context"
	"strings"
	"testing"

	"citebot/answer"
	"citebot/corpus"
	"citebot/retrieval"
)

// A button from another replica (or before a restart) names its passage;
// resolve finds it in the corpus being served, or reports it gone.
func TestSourceRefResolve(t *testing.T) {
	lib := newTestLibrary(t)
	v, ok := lib.View()
	if !ok {
		t.Fatal("the test library is not loaded")
	}
	harbour := testDocs["harbour.txt"]
	doc, ok := v.DocumentText("harbour.txt")
	if !ok {
		t.Fatal("harbour.txt is not indexed")
	}
	start := strings.Index(harbour, "The harbour")
	end := strings.Index(harbour, "1987.") + len("1987.")
	ref := func(doc string, start, end int, text string) sourceRef {
		r, ok := parseRef(callbackPrefix + "k:0:" + source{N: 1, Document: doc, Start: start, End: end, Text: text}.ref())
		if !ok {
			t.Fatalf("parseRef failed for %s [%d, %d)", doc, start, end)
		}
		return r
	}
	tests := []struct {
		name string
		ref  sourceRef
		want *source
	}{
		{"the passage", ref("harbour.txt", start, end, harbour[start:end]), &source{N: 1, Document: "harbour.txt", Title: doc.Title,
			Start: start, End: end, Text: harbour[start:end], LineStart: 3, LineEnd: 3}},
		{"other text there now", ref("harbour.txt", start, end, "The harbour of Vardø froze in 1966, and again in 1988."), nil},
		{"past the document's end", ref("harbour.txt", start, len(harbour)+10, harbour[start:]), nil},
		{"a document no longer indexed", ref("gone.txt", 0, 5, "Gone."), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.ref.resolve(v)
			if tt.want == nil {
				if ok {
					t.Errorf("resolved to %+v, want nothing", got)
				}
				return
			}
			if !ok || got != *tt.want {
				t.Errorf("resolve = %+v, %v; want %+v", got, ok, *tt.want)
			}
		})
	}
}

// Before the first index loads, every command that reads the corpus says
// so, and a button from another replica has expired; once one serves, the
// bot reads it.
func TestNotReady(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	live := corpus.New(ctx,
		func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
			t.Error("a reindex the test did not ask for")
			return retrieval.UpdateResult{}, ctx.Err()
		},
		func(ix *retrieval.Index) corpus.AnswerFunc {
			return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
		}, corpus.Options{})
	h := launch(t, &spyLibrary{testLibrary: &testLibrary{Live: live}}, Config{})
	notReady := english.notReady
	for _, tc := range []struct{ text, want, unwanted string }{
		{"/sources", notReady, ""},
		{"When did the harbour of Vardø freeze?", notReady, ""},
		{"/start", "Hello! I am Citebot.", english.examplesHead},
	} {
		got := shown(text(h.ask(privateText(5, "en", tc.text))))
		if !strings.Contains(got, tc.want) || (tc.unwanted != "" && strings.Contains(got, tc.unwanted)) {
			t.Errorf("%s: %q, want %q (and not %q)", tc.text, got, tc.want, tc.unwanted)
		}
	}
	data := callbackPrefix + "gone:0:" + source{N: 1, Document: "harbour.txt", Start: 0, End: 5, Text: "Harbo"}.ref()
	if cb := h.press(5, 5, "en", data); cb.Params["text"] != english.expired {
		t.Errorf("a button from another replica: %q, want %q", cb.Params["text"], english.expired)
	}

	// Once an index serves, the same bot reads it.
	if !live.Fallback(newTestLibrary(t).Index()) {
		t.Fatal("the index did not serve")
	}
	for _, tc := range []struct{ text, want string }{
		{"/sources", "harbour.txt"},
		{"/start", english.examplesHead},
	} {
		if got := shown(text(h.ask(privateText(5, "en", tc.text)))); !strings.Contains(got, tc.want) {
			t.Errorf("after the load, %s: %q, want %q in it", tc.text, got, tc.want)
		}
	}
}
