package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"citebot/chunking"
	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/loader"
	"citebot/retrieval/internal/rank"
)

// seedIndex builds an index over ../seeds the way Update does.
func seedIndex(tb testing.TB) *Index {
	tb.Helper()
	cfg := benchConfig(tb)
	docs, skipped, err := loader.Load("../seeds", 0, func(text string) string { return chunking.Title(text, cfg.Chunk.Boilerplate) })
	if err != nil {
		tb.Fatal(err)
	}
	ix, _, err := build(context.Background(), docs, skipped, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

// checkPassages fails unless ps keeps what clients are promised: at most
// k passages, best first, each exactly the bytes it claims with the lines
// it claims, and no longer than document.MaxPassageBytes.
func checkPassages(tb testing.TB, ix *Index, query string, k int, ps []Passage) {
	tb.Helper()
	q := query
	if len(q) > 60 {
		q = q[:60] + "…"
	}
	if len(ps) > k {
		tb.Errorf("%q: %d passages, want at most k=%d", q, len(ps), k)
	}
	seen := make(map[string]bool)
	for i, p := range ps {
		d, ok := ix.Document(p.DocID)
		if !ok {
			tb.Errorf("%q #%d: unknown document %q", q, i, p.DocID)
			continue
		}
		if p.Start < 0 || p.Start >= p.End || p.End > len(d.Text) {
			tb.Errorf("%q #%d: span %d-%d outside %s (%d bytes)", q, i, p.Start, p.End, p.DocID, len(d.Text))
			continue
		}
		if p.Text != d.Text[p.Start:p.End] {
			tb.Errorf("%q #%d: Text is not the document's bytes %d-%d", q, i, p.Start, p.End)
		}
		if got, want := p.LineStart, 1+strings.Count(d.Text[:p.Start], "\n"); got != want {
			tb.Errorf("%q #%d: LineStart = %d, want %d", q, i, got, want)
		}
		if got, want := p.LineEnd, 1+strings.Count(d.Text[:p.End-1], "\n"); got != want {
			tb.Errorf("%q #%d: LineEnd = %d, want %d", q, i, got, want)
		}
		if n := p.End - p.Start; n > document.MaxPassageBytes {
			tb.Errorf("%q #%d: %d bytes, want at most %d", q, i, n, document.MaxPassageBytes)
		}
		if !utf8.ValidString(p.Text) {
			tb.Errorf("%q #%d: span %d-%d cuts a character", q, i, p.Start, p.End)
		}
		if p.Title != d.Title {
			tb.Errorf("%q #%d: Title = %q, want %q", q, i, p.Title, d.Title)
		}
		if math.IsNaN(p.Score) || math.IsInf(p.Score, 0) {
			tb.Errorf("%q #%d: Score = %v", q, i, p.Score)
		}
		if i > 0 && p.Score > ps[i-1].Score {
			tb.Errorf("%q #%d: Score %v above #%d's %v, want best first", q, i, p.Score, i-1, ps[i-1].Score)
		}
		key := fmt.Sprintf("%s#%d-%d", p.DocID, p.Start, p.End)
		if seen[key] {
			tb.Errorf("%q #%d: passage %s returned twice", q, i, key)
		}
		seen[key] = true
	}
}

func TestSearchPassages(t *testing.T) {
	ctx := context.Background()
	ix := seedIndex(t)
	for _, q := range seedQuestions {
		for _, k := range []int{1, 3, 5, 10} {
			ps, err := ix.Search(ctx, q, k)
			if err != nil {
				t.Fatalf("Search(%q, %d): %v", q, k, err)
			}
			checkPassages(t, ix, q, k, ps)
			if len(ps) == 0 {
				t.Errorf("Search(%q, %d) found nothing, want passages from the seeds", q, k)
			}
		}
	}
	// A query matching much of the corpus fills k exactly.
	for _, k := range []int{1, 2, 5, 8} {
		ps, err := ix.Search(ctx, "information security", k)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ps); got != k {
			t.Errorf("Search(\"information security\", %d) = %d passages, want %d", k, got, k)
		}
	}
}

func TestSearchQueries(t *testing.T) {
	ctx := context.Background()
	ix := seedIndex(t)
	long := strings.Repeat("What did the 77th session of the UN General Assembly adopt about security? ", 140)[:10000]
	var junk strings.Builder
	for i := 0; junk.Len() < 10000; i++ {
		fmt.Fprintf(&junk, "zq%xv ", i*7919)
	}
	tests := []struct {
		name    string
		query   string
		k       int
		wantErr bool
		wantNil bool // no passages at all
	}{
		{name: "empty", query: "", k: 5, wantErr: true},
		{name: "whitespace", query: " \t\r\n ", k: 5, wantErr: true},
		{name: "10,000-character question", query: long, k: 5},
		{name: "10,000 characters of unknown words", query: junk.String(), k: 5},
		{name: "10,000 characters of punctuation", query: strings.Repeat("?!", 5000), k: 5},
		{name: "unknown words", query: "qzxv wpfkj blorptang", k: 3},
		{name: "stop words only", query: "what is the of and", k: 3},
		{name: "Russian", query: "Что такое информационная безопасность?", k: 3},
		{name: "invalid UTF-8", query: "security \xff\xfe cooperation", k: 3},
		{name: "k larger than the corpus", query: "security", k: 100000},
		{name: "k the largest int", query: "security", k: math.MaxInt},
		{name: "k overflowing 3k", query: "security", k: 1 << 62},
		{name: "k zero", query: "security", k: 0, wantNil: true},
		{name: "k negative", query: "security", k: -3, wantNil: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ix.Search(ctx, tt.query, tt.k)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Search error = %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantNil && ps != nil {
				t.Errorf("Search = %d passages, want none", len(ps))
			}
			if err == nil {
				checkPassages(t, ix, tt.query, max(tt.k, 0), ps)
			}
		})
	}
}

func TestSearchConcurrent(t *testing.T) {
	ctx := context.Background()
	ix := seedIndex(t)
	want := make([][]Passage, len(seedQuestions))
	for i, q := range seedQuestions {
		ps, err := ix.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = ps
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 10 {
				i := (g + r) % len(seedQuestions)
				got, err := ix.Search(ctx, seedQuestions[i], 5)
				if err != nil {
					t.Error(err)
					return
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("concurrent Search(%q) differs from a sequential one", seedQuestions[i])
				}
			}
		}()
	}
	wg.Wait()
}

func TestSearchDocuments(t *testing.T) {
	ctx := context.Background()
	ix := seedIndex(t)
	for _, n := range []int{0, 1, 2, 3, 10, 1 << 62, math.MaxInt} {
		got, err := ix.SearchDocuments(ctx, "information security of the Union State", n)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(n, len(ix.Documents())); len(got) != want {
			t.Errorf("SearchDocuments(n=%d) = %d documents, want %d", n, len(got), want)
		}
		seen := make(map[string]bool)
		for i, d := range got {
			if seen[d.DocID] {
				t.Errorf("n=%d: %s listed twice", n, d.DocID)
			}
			seen[d.DocID] = true
			if i > 0 && d.Score > got[i-1].Score {
				t.Errorf("n=%d: #%d scores %v above #%d's %v", n, i, d.Score, i-1, got[i-1].Score)
			}
		}
	}
	// Each document in the order of its best chunk, with that chunk's
	// score: the ranking of chunks read through a map, as SearchDocuments
	// once did.
	const query = "information security of the Union State"
	ranked, err := ix.rank(ctx, ix.Analyze(query), ix.cfg.Fusion.Candidates, -1)
	if err != nil {
		t.Fatal(err)
	}
	var want []DocScore
	listed := make(map[string]bool)
	for _, s := range ranked {
		if d := ix.chunkDoc[s.Chunk]; !listed[d.ID] {
			listed[d.ID] = true
			want = append(want, DocScore{DocID: d.ID, Score: s.Score})
		}
	}
	got, err := ix.SearchDocuments(ctx, query, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("SearchDocuments = %v, want %v", got, want)
	}
	if _, err := ix.SearchDocuments(ctx, "  ", 3); err == nil {
		t.Errorf("SearchDocuments of a blank query: nil error, want one")
	}
}

// The vector stage scores the keyword candidates alone when the words
// fill them in a collection more than twice their number; when the words
// find fewer, or the collection is small, every chunk is scored and
// chunks the words missed come in.
func TestRankVectorStage(t *testing.T) {
	ctx := context.Background()
	const candidates = 100
	large, err := func() (*Index, error) {
		ix, _, err := build(ctx, syntheticDocs(1000), nil, benchConfig(t), nil)
		return ix, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	// A rare word of the synthetic corpus: it is in fewer chunks than
	// the candidates.
	rare := ""
	for i := 2999; i > 0 && rare == ""; i-- {
		w := fmt.Sprintf("term%d", i)
		if n := len(large.local().kw.Search(bm25Terms(large.Analyze(w), large.local().kw.Has), candidates)); n > 2 && n < candidates/2 {
			rare = w
		}
	}
	if rare == "" {
		t.Fatal("no word of the synthetic corpus is in 3 to 49 chunks")
	}
	tests := []struct {
		name     string
		ix       *Index
		question string
		full     bool // every chunk scored, not the candidates alone
		words    func(n int) bool
	}{
		{"words fill the candidates", large, "information security cooperation between member states", false, func(n int) bool { return n == candidates }},
		{"a rare word", large, rare + " penguins swim", true, func(n int) bool { return n > 0 && n < candidates }},
		{"no word in the collection", large, "why do penguins swim", true, func(n int) bool { return n == 0 }},
		{"a small collection", seedIndex(t), "information security of the Union State", true, func(n int) bool { return n == candidates }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, f := tt.ix.local(), tt.ix.cfg.Fusion
			q := tt.ix.Analyze(tt.question)
			kw := l.kw.Search(bm25Terms(q, l.kw.Has), candidates)
			if !tt.words(len(kw)) {
				t.Fatalf("the words find %d chunks: not the case this tests", len(kw))
			}
			qv, err := tt.ix.cfg.Embedder.Embed(ctx, q.Text)
			if err != nil {
				t.Fatal(err)
			}
			qv = rank.Normalize(qv)
			var want []rank.Scored
			if tt.full {
				want = rank.Fuse(kw, l.flat.Search(qv, candidates), f, -1)
			} else {
				want = rank.FuseCandidates(kw, l.flat.ScoreChunks(qv, kw), f, -1)
			}
			got, err := l.rank(ctx, tt.ix, q, candidates, -1)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("rank = %v\nwant %v", got, want)
			}
			found := make(map[int]bool)
			for _, s := range kw {
				found[s.Chunk] = true
			}
			missed := 0
			for _, s := range got {
				if !found[s.Chunk] {
					missed++
				}
			}
			if tt.full != (missed > 0) {
				t.Errorf("%d of %d ranked chunks are not the words', with every chunk scored %v", missed, len(got), tt.full)
			}
			// A ranking cut at need is the first need of the whole one.
			for _, need := range []int{0, 1, 15} {
				cut, err := l.rank(ctx, tt.ix, q, candidates, need)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(cut, got[:min(need, len(got))]) {
					t.Errorf("need %d: %v, want %v", need, cut, got[:min(need, len(got))])
				}
			}
		})
	}
}

// TestSearchNoChunks: a folder of site chrome alone has nothing to index,
// and Update says so with the reason; an index without chunks (a document
// whose text is all chrome, given to Build directly) is still valid and
// searching it finds nothing without failing.
func TestSearchNoChunks(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	chrome := "Translate this page:\nYour profile\n\nBack to contents\n"
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, map[string]string{"chrome.txt": chrome})
	_, err := updateFolder(ctx, nil, docsDir, filepath.Join(t.TempDir(), "index"), 0, cfg)
	if !errors.Is(err, loader.ErrNoDocuments) || !strings.Contains(fmt.Sprint(err), "chrome.txt: no text to index") {
		t.Fatalf("Update of a folder of chrome: %v, want ErrNoDocuments naming chrome.txt and why", err)
	}
	built, _, err := build(ctx, []document.Document{{ID: "chrome.txt", Title: "chrome.txt", Text: chrome}}, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := built.NumChunks(); got != 0 {
		t.Fatalf("%d chunks, want 0 for a page of site chrome", got)
	}
	indexDir := t.TempDir()
	if err := saveIndex(built, indexDir); err != nil {
		t.Fatal(err)
	}
	res := UpdateResult{Index: built}
	opened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatalf("Open of an index without chunks: %v", err)
	}
	for _, ix := range []*Index{res.Index, opened} {
		ps, err := ix.Search(ctx, "translate profile contents", 5)
		if err != nil || len(ps) != 0 {
			t.Errorf("Search = %+v, %v; want nothing, nil", ps, err)
		}
		ds, err := ix.SearchDocuments(ctx, "translate profile contents", 5)
		if err != nil || len(ds) != 0 {
			t.Errorf("SearchDocuments = %+v, %v; want nothing, nil", ds, err)
		}
	}
}
