package retrieval

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"citebot/chunking"
	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/loader"
	"citebot/retrieval/internal/snapshot"
)

// embedLog wraps a real embedder and records the texts it embeds, to show
// which chunks an update re-embedded.
type embedLog struct {
	mu    sync.Mutex
	texts []string
}

func (l *embedLog) wrap(cfg Config) Config {
	embed := cfg.Embedder.Embed
	cfg.Embedder.Embed = func(ctx context.Context, text string) ([]float32, error) {
		l.mu.Lock()
		l.texts = append(l.texts, text)
		l.mu.Unlock()
		return embed(ctx, text)
	}
	return cfg
}

// take returns the texts embedded since the last call.
func (l *embedLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.texts
	l.texts = nil
	return t
}

// indexState is what an update must leave alone when nothing changed.
type indexState struct {
	files map[string][]byte
	mtime time.Time
}

// agedState backdates the root snapshot so that a rewrite shows in its
// mtime, then records the folder's files.
func agedState(tb testing.TB, dir string) indexState {
	tb.Helper()
	path := filepath.Join(dir, snapshot.SnapshotFile)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		tb.Fatal(err)
	}
	return indexState{indexFiles(tb, dir), old}
}

func (s indexState) check(tb testing.TB, dir string) {
	tb.Helper()
	fi, err := os.Stat(filepath.Join(dir, snapshot.SnapshotFile))
	if err != nil {
		tb.Fatal(err)
	}
	if !fi.ModTime().Equal(s.mtime) {
		tb.Errorf("snapshot mtime = %v, want %v (not rewritten)", fi.ModTime(), s.mtime)
	}
	got := indexFiles(tb, dir)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(s.files))) {
		tb.Errorf("index folder holds %q, want %q (untouched)", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(s.files)))
	}
	for name, b := range s.files {
		if g, ok := got[name]; ok && !bytes.Equal(g, b) {
			tb.Errorf("%s changed, want it untouched", name)
		}
	}
}

func checkSummary(tb testing.TB, got Summary, want Summary) {
	tb.Helper()
	got.TookMS, want.TookMS = 0, 0
	if want.Skipped == nil {
		want.Skipped = []document.Skipped{}
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
}

var jpegSkipped = []document.Skipped{{Document: "ignored.jpeg", Reason: "unsupported file type (indexed: .txt, .md, .pdf, .docx, .html)"}}

func TestUpdateIncremental(t *testing.T) {
	ctx := context.Background()
	var log embedLog
	cfg := log.wrap(benchConfig(t))
	files := smallCorpus()
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, files)
	indexDir := t.TempDir()
	update := func() UpdateResult {
		t.Helper()
		res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		checkIndexFiles(t, indexDir)
		return res
	}

	// A fresh folder: everything is added, chunked, embedded and saved.
	res := update()
	ix := res.Index
	checkSummary(t, res.Summary, Summary{Added: 4, Skipped: jpegSkipped, Chunks: ix.NumChunks()})
	if res.Rebuilt != "no index" || !res.Saved {
		t.Errorf("fresh Update: Rebuilt %q, Saved %v; want \"no index\", true", res.Rebuilt, res.Saved)
	}
	if got, want := len(log.take()), ix.NumChunks(); got != want {
		t.Errorf("fresh Update embedded %d texts, want one per chunk (%d)", got, want)
	}
	for id := range files {
		if id == "ignored.jpeg" {
			continue
		}
		if len(docChunks(ix, id)) < 2 {
			t.Fatalf("%s has %d chunks, want several for this test to mean anything", id, len(docChunks(ix, id)))
		}
	}

	// Nothing changed: the index is reused and the files are not rewritten.
	state := agedState(t, indexDir)
	res = update()
	checkSummary(t, res.Summary, Summary{Unchanged: 4, Skipped: jpegSkipped, Chunks: ix.NumChunks()})
	if res.Rebuilt != "" || res.Saved {
		t.Errorf("unchanged Update: Rebuilt %q, Saved %v; want \"\", false", res.Rebuilt, res.Saved)
	}
	if got := log.take(); len(got) != 0 {
		t.Errorf("unchanged Update embedded %d texts, want none", len(got))
	}
	state.check(t, indexDir)

	// One document edited: only it is chunked and embedded again.
	before := res.Index
	edited := files["b.txt"] + "Varroa mites spread between apiaries in the autumn.\n"
	testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": edited})
	res = update()
	ix = res.Index
	checkSummary(t, res.Summary, Summary{Changed: 1, Unchanged: 3, Skipped: jpegSkipped, Chunks: ix.NumChunks()})
	if res.Rebuilt != "" || !res.Saved {
		t.Errorf("edit: Rebuilt %q, Saved %v; want \"\", true", res.Rebuilt, res.Saved)
	}
	newB, _ := ix.Document("b.txt")
	wantB := chunking.Split(newB, cfg.Chunk)
	if got := docChunks(ix, "b.txt"); !reflect.DeepEqual(got, wantB) {
		t.Errorf("b.txt chunks after the edit:\n got %+v\nwant %+v", got, wantB)
	}
	if got, want := len(log.take()), len(wantB); got != want {
		t.Errorf("edit embedded %d texts, want %d (the chunks of b.txt only)", got, want)
	}
	for _, id := range []string{"a.txt", "notes/c.md", "notes/d.txt"} {
		if got, want := docChunks(ix, id), docChunks(before, id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s chunks changed though the file did not:\n got %+v\nwant %+v", id, got, want)
		}
	}
	ps, err := ix.Search(ctx, "varroa mites apiaries", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].DocID != "b.txt" || !strings.Contains(ps[0].Text, "Varroa") {
		t.Errorf("Search for the edited words = %+v, want the new paragraph of b.txt", ps)
	}
	log.take() // the query's own embedding

	// A document added.
	testdocs.WriteTree(t, docsDir, map[string]string{"e.md": topicDoc("Estuaries and tidal mixing", "estuary tide salinity mixing", 3)})
	res = update()
	ix = res.Index
	checkSummary(t, res.Summary, Summary{Added: 1, Unchanged: 4, Skipped: jpegSkipped, Chunks: ix.NumChunks()})
	if got, want := len(log.take()), len(docChunks(ix, "e.md")); got != want {
		t.Errorf("add embedded %d texts, want %d (the chunks of e.md only)", got, want)
	}

	// A document removed.
	if err := os.Remove(filepath.Join(docsDir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	res = update()
	ix = res.Index
	checkSummary(t, res.Summary, Summary{Removed: 1, Unchanged: 4, Skipped: jpegSkipped, Chunks: ix.NumChunks()})
	if got := log.take(); len(got) != 0 {
		t.Errorf("removal embedded %d texts, want none", len(got))
	}
	if _, ok := ix.Document("a.txt"); ok {
		t.Errorf("a.txt is still indexed after its removal")
	}
	ps, err = ix.Search(ctx, "aquifers groundwater recharge", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.DocID == "a.txt" {
			t.Errorf("Search returned the removed a.txt")
		}
	}
	log.take() // the query's own embedding

	// Only the skipped files changed: the documents are reused, and the
	// summary of what was skipped is saved.
	testdocs.WriteTree(t, docsDir, map[string]string{"notes/empty.md": "  \n"})
	res = update()
	skipped := []document.Skipped{{Document: "ignored.jpeg", Reason: jpegSkipped[0].Reason}, {Document: "notes/empty.md", Reason: "empty"}}
	checkSummary(t, res.Summary, Summary{Unchanged: 4, Skipped: skipped, Chunks: ix.NumChunks()})
	if !res.Saved {
		t.Errorf("Saved = false after the skipped files changed, want true")
	}
	if got := log.take(); len(got) != 0 {
		t.Errorf("a change in skipped files embedded %d texts, want none", len(got))
	}
	m, err := snapshot.ReadManifest(indexDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Skipped, skipped) {
		t.Errorf("manifest skipped = %+v, want %+v", m.Skipped, skipped)
	}

	// What was saved is what Update returned.
	opened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(allChunks(opened), allChunks(res.Index)) || !reflect.DeepEqual(opened.Documents(), res.Index.Documents()) {
		t.Errorf("the saved index differs from the one Update returned")
	}
	if !reflect.DeepEqual(opened.Skipped(), skipped) {
		t.Errorf("Skipped after Open = %+v, want %+v", opened.Skipped(), skipped)
	}
}

func TestUpdateRebuildsOnConfigChange(t *testing.T) {
	ctx := context.Background()
	base := benchConfig(t)
	withBoilerplate := func(bp []*regexp.Regexp) Config { c := base; c.Chunk.Boilerplate = bp; return c }
	tests := []struct {
		name        string
		cfg         Config
		wantRebuilt string // "" for no rebuild
	}{
		{"same config", base, ""},
		{"other embedder", func() Config { c := base; c.Embedder.Name = "other-embedder-v2"; return c }(), "embedder changed"},
		{"other chunk size", func() Config { c := base; c.Chunk.MaxBytes = 600; return c }(), "chunker version changed"},
		{"boilerplate removal off", withBoilerplate([]*regexp.Regexp{}), "chunker version changed"},
		{"extra boilerplate", withBoilerplate(append(chunking.DefaultBoilerplate(), regexp.MustCompile(`(?i)^jane q\. author.*$`))), "chunker version changed"},
		// nil means the default patterns, so spelling them out changes nothing.
		{"default boilerplate spelled out", withBoilerplate(chunking.DefaultBoilerplate()), ""},
		// Ranking parameters are applied when an index is opened.
		{"other BM25 and fusion", func() Config { c := base; c.BM25.K1 = 1.5; c.Fusion.VectorWeight = 0; return c }(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docsDir, indexDir, first := buildIndexDir(t, smallCorpus(), base)
			n := len(first.Index.docs)
			res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, tt.cfg)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if tt.wantRebuilt == "" {
				if res.Rebuilt != "" || res.Saved || res.Summary.Unchanged != n {
					t.Errorf("Rebuilt %q, Saved %v, Unchanged %d; want \"\", false, %d", res.Rebuilt, res.Saved, res.Summary.Unchanged, n)
				}
				return
			}
			if !strings.Contains(res.Rebuilt, tt.wantRebuilt) {
				t.Errorf("Rebuilt = %q, want it to say %q", res.Rebuilt, tt.wantRebuilt)
			}
			checkSummary(t, res.Summary, Summary{Added: n, Skipped: jpegSkipped, Chunks: res.Index.NumChunks()})
			if !res.Saved {
				t.Errorf("Saved = false after a rebuild, want true")
			}
			ix, err := openDir(ctx, indexDir, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ix.versions, builtVersions(tt.cfg); got != want {
				t.Errorf("saved versions = %+v, want %+v", got, want)
			}
			// The rebuilt index is then reused under the new config.
			again, err := updateFolder(ctx, nil, docsDir, indexDir, 0, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if again.Rebuilt != "" || again.Summary.Unchanged != n {
				t.Errorf("second Update: Rebuilt %q, Unchanged %d; want \"\", %d", again.Rebuilt, again.Summary.Unchanged, n)
			}
		})
	}
}

func TestUpdateFailureKeepsIndex(t *testing.T) {
	ctx := context.Background()
	base := benchConfig(t)
	files := smallCorpus()
	docsDir, indexDir, _ := buildIndexDir(t, files, base)

	// An embedder that fails on one word, as a remote one may fail mid-way.
	failing := base
	failing.Embedder.Embed = func(ctx context.Context, text string) ([]float32, error) {
		if strings.Contains(text, "EMBEDFAIL") {
			return nil, errors.New("embedding service unavailable")
		}
		return base.Embedder.Embed(ctx, text)
	}
	tests := []struct {
		name   string
		change func(t *testing.T)
		cfg    Config
		wantIs error
	}{
		{"embedder fails", func(t *testing.T) {
			testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"] + "EMBEDFAIL here.\n"})
		}, failing, nil},
		{"docs folder emptied", func(t *testing.T) {
			for _, f := range []string{"a.txt", "b.txt", "notes/c.md", "notes/d.txt"} {
				if err := os.Remove(filepath.Join(docsDir, f)); err != nil {
					t.Fatal(err)
				}
			}
		}, base, loader.ErrNoDocuments},
		{"docs folder removed", func(t *testing.T) {
			if err := os.RemoveAll(docsDir); err != nil {
				t.Fatal(err)
			}
		}, base, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := agedState(t, indexDir)
			tt.change(t)
			res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, tt.cfg)
			if err == nil {
				t.Fatalf("Update = %+v, nil error; want an error", res.Summary)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Update error = %v, want one wrapping %v", err, tt.wantIs)
			}
			state.check(t, indexDir)
			checkIndexFiles(t, indexDir)
			ix, err := openDir(ctx, indexDir, base)
			if err != nil {
				t.Fatalf("Open after a failed update: %v", err)
			}
			if got, _ := ix.Document("b.txt"); got.Text != files["b.txt"] {
				t.Errorf("b.txt in the index changed after a failed update")
			}
		})
	}
}

func TestUpdateRepairsManifest(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir, _ := buildIndexDir(t, smallCorpus(), cfg)
	good := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.ManifestFile))
	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"deleted", os.Remove},
		{"garbage", func(path string) error { return os.WriteFile(path, []byte("{not json"), 0o644) }},
		// A crash between renaming the snapshot and the manifest leaves
		// the previous manifest beside the new snapshot.
		{"from another snapshot", func(path string) error {
			return os.WriteFile(path, bytes.Replace(good, []byte(`"snapshot_sha256": "`), []byte(`"snapshot_sha256": "00`), 1), 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(indexDir, snapshot.ManifestFile)
			if err := tt.damage(path); err != nil {
				t.Fatal(err)
			}
			snap := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile))
			res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if res.Rebuilt != "" || res.Saved || res.Summary.Unchanged != 4 {
				t.Errorf("Rebuilt %q, Saved %v, Unchanged %d; want \"\", false, 4", res.Rebuilt, res.Saved, res.Summary.Unchanged)
			}
			if got := testdocs.ReadFile(t, path); !bytes.Equal(got, good) {
				t.Errorf("manifest after Update:\n%s\nwant\n%s", got, good)
			}
			if got := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile)); !bytes.Equal(got, snap) {
				t.Errorf("repairing the manifest rewrote the snapshot")
			}
			checkIndexFiles(t, indexDir)
		})
	}
}

func TestConfigVersions(t *testing.T) {
	base := benchConfig(t)
	with := func(f func(c *Config)) Config { c := base; f(&c); return c }
	same := []Config{
		with(func(c *Config) { c.Chunk.Boilerplate = chunking.DefaultBoilerplate() }),
		with(func(c *Config) { c.BM25.B = 0.9 }),
		with(func(c *Config) { c.Fusion.Method = "rrf" }),
	}
	for i, c := range same {
		if got, want := c.versions(), base.versions(); got != want {
			t.Errorf("same[%d]: versions %+v, want %+v", i, got, want)
		}
	}
	differ := []Config{
		with(func(c *Config) { c.Chunk.Boilerplate = []*regexp.Regexp{} }),
		with(func(c *Config) { c.Chunk.Boilerplate = chunking.DefaultBoilerplate()[1:] }),
		with(func(c *Config) { c.Chunk.MaxBytes = 2000 }),
		with(func(c *Config) { c.Embedder.Name = "x" }),
	}
	seen := []Versions{base.versions()}
	for i, c := range differ {
		v := c.versions()
		if slices.Contains(seen, v) {
			t.Errorf("differ[%d]: versions %+v, want them unlike every other config's", i, v)
		}
		seen = append(seen, v)
	}
}

// UpdateFrom reuses the index a server holds in memory: nothing is read
// back from the folder, nothing rewritten when nothing changed, and the
// held index is never modified (it may be answering searches).
func TestUpdateFromMemory(t *testing.T) {
	ctx := context.Background()
	var log embedLog
	cfg := log.wrap(benchConfig(t))
	docsDir, indexDir := t.TempDir(), t.TempDir()
	testdocs.WriteTree(t, docsDir, smallCorpus())
	first, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	log.take()
	held := first.Index
	skippedBefore := slices.Clone(held.Skipped())

	// Nothing changed: the held index comes back, the folder is untouched.
	state := agedState(t, indexDir)
	res, err := updateFolder(ctx, held, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != held || res.Saved {
		t.Errorf("no change: got a new index (%v) or a save (%v)", res.Index != held, res.Saved)
	}
	state.check(t, indexDir)

	// A skipped file goes away: a copy is saved, the held index keeps its list.
	if err := os.Remove(filepath.Join(docsDir, "ignored.jpeg")); err != nil {
		t.Fatal(err)
	}
	res, err = updateFolder(ctx, held, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Index == held || !res.Saved || len(res.Index.Skipped()) != 0 {
		t.Errorf("skipped list changed: same index %v, saved %v, skipped %v", res.Index == held, res.Saved, res.Index.Skipped())
	}
	if !reflect.DeepEqual(held.Skipped(), skippedBefore) {
		t.Errorf("the held index was modified: skipped %v, want %v", held.Skipped(), skippedBefore)
	}

	// A new document: only its chunks are embedded, and the result is saved
	// and is what Open reads back.
	testdocs.WriteTree(t, docsDir, map[string]string{"new.txt": "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n"})
	res, err = updateFolder(ctx, res.Index, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(log.take()); n != len(docChunks(res.Index, "new.txt")) {
		t.Errorf("embedded %d texts, want only the new document's %d chunks", n, len(docChunks(res.Index, "new.txt")))
	}
	reopened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reopened.Document("new.txt"); !ok || reopened.NumChunks() != res.Index.NumChunks() {
		t.Errorf("the saved index lacks the new document (%v) or has %d chunks, want %d", ok, reopened.NumChunks(), res.Index.NumChunks())
	}

	// The folder was changed behind the server's back (here: emptied): the
	// held index is saved again rather than described by a stale manifest.
	for _, f := range []string{snapshot.SnapshotFile, snapshot.ManifestFile} {
		if err := os.Remove(filepath.Join(indexDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if res, err = updateFolder(ctx, res.Index, docsDir, indexDir, 0, cfg); err != nil || !res.Saved {
		t.Fatalf("UpdateFrom after the folder was emptied: saved %v, err %v", res.Saved, err)
	}
	if _, err := openDir(ctx, indexDir, cfg); err != nil {
		t.Errorf("Open after re-saving: %v", err)
	}
}

// Files with the same bytes are indexed once and found under every name;
// the summary, the manifest and the reopened index say so, and adding or
// removing a copy is noticed.
func TestUpdateDuplicates(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir := t.TempDir(), t.TempDir()
	text := "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n"
	testdocs.WriteTree(t, docsDir, map[string]string{"a.txt": text, "copy/b.txt": text, "other.txt": "Other\n\nThe treaty was signed in 1921.\n"})
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []Duplicate{{Document: "copy/b.txt", SameAs: "a.txt"}}
	if !reflect.DeepEqual(res.Summary.Duplicates, want) || res.Summary.Added != 2 {
		t.Errorf("summary %+v, want 2 added and %v", res.Summary, want)
	}
	check := func(ix *Index, aliases ...string) {
		t.Helper()
		var listed []string
		for _, d := range ix.Documents() {
			listed = append(listed, d.ID+"="+d.SameAs)
		}
		wantListed := []string{"a.txt="}
		for _, a := range aliases {
			wantListed = append(wantListed, a+"=a.txt")
		}
		wantListed = append(wantListed, "other.txt=")
		slices.Sort(wantListed)
		if !slices.Equal(listed, wantListed) {
			t.Errorf("documents %v, want %v", listed, wantListed)
		}
		for _, a := range aliases {
			if d, ok := ix.Document(a); !ok || d.ID != "a.txt" || d.Text != text {
				t.Errorf("Document(%s) = %+v, %v: want a.txt's", a, d.ID, ok)
			}
		}
		if n := len(docChunks(ix, "a.txt")); n == 0 || ix.NumChunks() != n+len(docChunks(ix, "other.txt")) {
			t.Errorf("%d chunks: the copy must not be indexed again", ix.NumChunks())
		}
	}
	check(res.Index, "copy/b.txt")
	reopened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	check(reopened, "copy/b.txt")
	m, err := snapshot.ReadManifest(indexDir)
	if err != nil || !reflect.DeepEqual(m.Documents[0].Duplicates, []string{"copy/b.txt"}) {
		t.Errorf("manifest %+v, %v", m.Documents, err)
	}

	// Another copy: noticed, nothing re-embedded for it, and saved.
	testdocs.WriteTree(t, docsDir, map[string]string{"z.txt": text})
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || !res.Saved {
		t.Fatalf("refresh after a new copy: %v (saved %v): the copy must be noticed", err, res.Saved)
	}
	if len(res.Summary.Duplicates) != 2 {
		t.Errorf("duplicates %v", res.Summary.Duplicates)
	}
	reopened, err = openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	check(reopened, "copy/b.txt", "z.txt")
}
