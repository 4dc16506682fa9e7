package corpus

import (
	"context"
	"strings"
	"sync"
	"testing"

	"citebot/answer"
	"citebot/document"
	"citebot/retrieval"
)

// askCounter is a Library that counts the questions asked of it.
type askCounter struct {
	*Live
	mu    sync.Mutex
	asked []string
}

func (c *askCounter) Ask(ctx context.Context, q string, k int) (answer.Answer, error) {
	c.mu.Lock()
	c.asked = append(c.asked, q)
	c.mu.Unlock()
	return c.Live.Ask(ctx, q, k)
}

func (c *askCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.asked)
}

var exampleDocs = []document.Document{
	{ID: "treaty.md", Title: "The Treaty of Examples", Text: "# The Treaty of Examples\n\n## Signing in Oslo\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n\n## References\n\nNone.\n"},
	{ID: "harbour.md", Title: "Harbour notes: Vardø", Text: "# Harbour notes: Vardø\n\n## The harbour freezing over\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n"},
}

func exampleIndex(t *testing.T, docs []document.Document) *retrieval.Index {
	t.Helper()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, nil))
	if err != nil {
		t.Fatal(err)
	}
	return built.Index
}

// Examples are answerable questions from headings and titles, taken
// round-robin over the documents, worked out once per view and again
// after a reindex.
func TestExamples(t *testing.T) {
	ctx := context.Background()
	ix := exampleIndex(t, exampleDocs)
	next := ix
	live := New(ctx, func(context.Context, *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.UpdateResult{Index: next}, nil
	}, func(ix *retrieval.Index) AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, Options{})
	lib := &askCounter{Live: live}
	ex := NewExamples(lib, 5, 3)
	if qs := ex.Questions(ctx); qs != nil || lib.count() != 0 {
		t.Fatalf("before the first load: %q after %d questions; want none", qs, lib.count())
	}
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	qs := ex.Questions(ctx)
	t.Logf("examples: %q", qs)
	if len(qs) == 0 || len(qs) > 3 {
		t.Fatalf("examples %q; want 1 to 3", qs)
	}
	for _, q := range qs {
		if strings.Contains(q, "References") {
			t.Errorf("a generic section made an example: %q", q)
		}
		if a, err := live.Ask(ctx, q, 5); err != nil || !a.Found {
			t.Errorf("example %q is not answered (found %v, err %v)", q, a.Found, err)
		}
	}
	// The first two come from different documents.
	if len(qs) >= 2 && (strings.Contains(qs[0], "Oslo") == strings.Contains(qs[1], "Oslo")) {
		t.Errorf("the first two examples %q come from one document", qs[:2])
	}
	asked := lib.count()
	if again := ex.Questions(ctx); strings.Join(again, "\n") != strings.Join(qs, "\n") || lib.count() != asked {
		t.Errorf("asked again: %q after %d more questions; want the same, none asked", again, lib.count()-asked)
	}

	next = exampleIndex(t, exampleDocs[1:])
	if _, err := live.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	after := ex.Questions(ctx)
	if lib.count() == asked {
		t.Error("a new view was not asked about")
	}
	for _, q := range after {
		if strings.Contains(q, "Oslo") || strings.Contains(q, "Treaty") {
			t.Errorf("after the treaty was removed, example %q", q)
		}
	}
}

// Many callers at once share one working-out.
func TestExamplesConcurrent(t *testing.T) {
	ctx := context.Background()
	ix := exampleIndex(t, exampleDocs)
	live := New(ctx, func(context.Context, *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.UpdateResult{Index: ix}, nil
	}, func(ix *retrieval.Index) AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, Options{})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	lib := &askCounter{Live: live}
	ex := NewExamples(lib, 5, 3)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { ex.Questions(ctx) })
	}
	wg.Wait()
	once := lib.count()
	lib.asked = nil
	NewExamples(lib, 5, 3).Questions(ctx)
	if alone := lib.count(); once != alone {
		t.Errorf("8 callers at once asked %d questions; one caller asks %d", once, alone)
	}
}
