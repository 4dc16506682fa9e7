package corpus

import (
	"context"
	"errors"
	"slices"
	"testing"

	"citebot/answer"
	"citebot/document"
	"citebot/loader/extract"
	"citebot/retrieval"
)

// newTestLive is a Live whose updates return what update returns, with
// an extractive answerer.
func newTestLive(update Updater) *Live {
	return New(context.Background(), update,
		func(ix *retrieval.Index) AnswerFunc { return answer.Extractive{Index: ix}.Answer }, Options{Observer: &observed{}})
}

// View is not ok until an index serves, whichever way a nil index is
// offered: no front end can get a nil index inside a non-nil View.
func TestViewNotReady(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		offer func(l *Live) error
	}{
		{"nothing loaded", func(l *Live) error { return nil }},
		{"a nil fallback", func(l *Live) error {
			if l.Fallback(nil) {
				return errors.New("Fallback(nil) reported serving")
			}
			return nil
		}},
		{"a nil follow", func(l *Live) error {
			if l.Follow(nil) {
				return errors.New("Follow(nil) reported serving")
			}
			return nil
		}},
		{"an update without an index", func(l *Live) error {
			if _, err := l.Reindex(ctx); err == nil {
				return errors.New("a reindex that gave no index succeeded")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := newTestLive(func(context.Context, *retrieval.Index) (retrieval.UpdateResult, error) {
				return retrieval.UpdateResult{}, nil
			})
			if err := tt.offer(live); err != nil {
				t.Fatal(err)
			}
			if v, ok := live.View(); ok || v != nil {
				t.Errorf("View() = %v, %v; want nil, false", v, ok)
			}
			if live.Ready() {
				t.Error("Ready() before an index serves")
			}
			if _, err := live.Ask(ctx, "When did the harbour freeze?", 3); !errors.Is(err, ErrNotReady) {
				t.Errorf("Ask: err %v, want ErrNotReady", err)
			}
		})
	}
}

// View is the index being served, a new one after each reindex; what it
// returns cannot change the index.
func TestView(t *testing.T) {
	ctx := context.Background()
	a, b := buildIndex(t, v1), buildIndex(t, v2)
	next := a
	live := newTestLive(func(context.Context, *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.UpdateResult{Index: next}, nil
	})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	v, ok := live.View()
	if !ok || v != View(a) {
		t.Fatalf("View() = %v, %v; want the loaded index", v, ok)
	}

	docs := v.Documents()
	docs[0].ID, docs[0].SHA256 = "changed.txt", "changed"
	if got := v.Documents()[0].ID; got != "a.txt" {
		t.Errorf("changing the listed documents changed the index: %q", got)
	}
	sections := v.Sections("a.txt")
	before := slices.Clone(sections)
	for i := range sections {
		sections[i] = "changed"
	}
	if got := v.Sections("a.txt"); !slices.Equal(got, before) {
		t.Errorf("changing the sections changed the index: %q, want %q", got, before)
	}
	text, ok := v.DocumentText("a.txt")
	if !ok || text.Text != v1 {
		t.Fatalf("DocumentText(a.txt) = %q, %v; want the document's text", text.Text, ok)
	}
	if _, ok := v.DocumentText("missing.txt"); ok {
		t.Error("DocumentText found a document that is not indexed")
	}

	next = b
	if _, err := live.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if w, ok := live.View(); !ok || w == v || w != View(b) {
		t.Errorf("after a reindex View() = %v, %v; want the new index", w, ok)
	}
}

// DocumentText's version is the file's hash, with the extractors'
// version when an extractor read the text, and the page map answers for
// the text it came with.
func TestDocumentTextVersion(t *testing.T) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	docs := []document.Document{
		{ID: "notes.txt", Title: "Notes", Text: "Plain notes about the harbour.\n", SHA256: "aa11"},
		{ID: "page.HTML", Title: "Page", Text: "A page about the lighthouse.\n", SHA256: "bb22"},
		{ID: "report.pdf", Title: "Report", Text: "First page.\nSecond page.\n", SHA256: "cc33", Pages: []int{0, 12}},
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, nil))
	ix := built.Index
	if err != nil {
		t.Fatal(err)
	}
	var v View = ix
	tests := []struct {
		id, version string
		page        [2]int // offset, its page
	}{
		{"notes.txt", "aa11", [2]int{5, 0}},
		{"page.HTML", "bb22." + extract.Version, [2]int{5, 0}},
		{"report.pdf", "cc33." + extract.Version, [2]int{12, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := v.DocumentText(tt.id)
			if !ok {
				t.Fatal("not found")
			}
			if d.Version != tt.version {
				t.Errorf("Version %q, want %q", d.Version, tt.version)
			}
			if got := d.Page(tt.page[0]); got != tt.page[1] {
				t.Errorf("Page(%d) = %d, want %d", tt.page[0], got, tt.page[1])
			}
		})
	}
}

// Skipped lists the files the view's build could not index, and the list
// is the caller's.
func TestViewSkipped(t *testing.T) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	docs := []document.Document{{ID: "notes.txt", Title: "Notes", Text: "Plain notes about the harbour.\n", SHA256: "aa11"}}
	skipped := []document.Skipped{{Document: "scan.pdf", Reason: "no text layer"}, {Document: "x.bin", Reason: "not a supported format"}}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, skipped))
	if err != nil {
		t.Fatal(err)
	}
	var v View = built.Index
	got := v.Skipped()
	if !slices.Equal(got, skipped) {
		t.Fatalf("Skipped() = %+v, want %+v", got, skipped)
	}
	got[0].Reason = "changed"
	if again := v.Skipped(); again[0].Reason != "no text layer" {
		t.Errorf("changing the listed skipped files changed the index: %+v", again)
	}
}
