package retrieval

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/loader"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// numberedCorpus is n documents of a few chunks each, on distinct topics.
func numberedCorpus(n int) map[string]string {
	topics := []string{"aquifer groundwater recharge basin", "beekeeping colony hive pollination", "cipher encryption key protocol",
		"dendrochronology tree ring dating", "estuary tide salinity mixing", "glacier moraine ice retreat"}
	files := map[string]string{}
	for i := range n {
		topic := topics[i%len(topics)]
		files[fmt.Sprintf("doc%02d.txt", i)] = topicDoc(fmt.Sprintf("Report %d on the %s", i, strings.Fields(topic)[0]), topic+fmt.Sprintf(" report%d", i), 3)
	}
	return files
}

// newSegments lists the segment files in after that are not in before.
func newSegments(before, after map[string][]byte) []string {
	var out []string
	for name := range after {
		if _, ok := before[name]; !ok && isSegmentFile(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func isSegmentFile(name string) bool {
	ok, _ := filepath.Match(snapshot.SegmentGlob, name)
	return ok
}

// segmentDocIDs lists the documents a segment file holds.
func segmentDocIDs(tb testing.TB, dir, name string) []string {
	tb.Helper()
	root, _, _, err := snapshot.ReadRoot(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ref := range root.Segments {
		if ref.Name == name {
			docs, err := snapshot.ReadSegmentDocs(dir, ref)
			if err != nil {
				tb.Fatal(err)
			}
			return slices.Sorted(maps.Keys(docs))
		}
	}
	tb.Fatalf("the root does not list %s", name)
	return nil
}

// checkOpens opens the index in dir and checks that it holds exactly the
// documents of docsDir.
func checkOpens(tb testing.TB, docsDir, indexDir string, cfg Config) *Index {
	tb.Helper()
	ix, err := openDir(context.Background(), indexDir, cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	docs, _, err := loader.Load(docsDir, 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	want := map[string]string{}
	for _, d := range docs {
		for _, id := range append([]string{d.ID}, d.Aliases...) {
			want[id] = d.Text
		}
	}
	got := map[string]string{}
	for _, d := range ix.Documents() {
		doc, _ := ix.Document(d.ID)
		got[d.ID] = doc.Text
	}
	if !maps.Equal(got, want) {
		tb.Errorf("the index holds %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	return ix
}

// A save after a small change writes one small segment with the changed
// documents (or none, when nothing needs writing) and leaves the others
// byte for byte, whichever way the update runs.
func TestSaveWritesOnlyNewDocuments(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := numberedCorpus(20)
	docsDir, indexDir, _ := buildIndexDir(t, files, cfg)
	if segs := segmentNames(t, indexDir); len(segs) != 1 {
		t.Fatalf("a first build of a small corpus wrote %d segments, want 1", len(segs))
	}
	update := func(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
		return updateFolder(ctx, nil, docsDir, indexDir, maxFileBytes, cfg)
	}
	inMemory := func(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error) {
		held, err := openDir(ctx, indexDir, cfg)
		if err != nil {
			return UpdateResult{}, err
		}
		return updateFolder(ctx, held, docsDir, indexDir, maxFileBytes, cfg)
	}
	steps := []struct {
		name    string
		change  map[string]string // files written; "" removes one
		update  func(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error)
		wantNew []string // the new segment's documents; nil for no new segment
	}{
		{"edit, Update", map[string]string{"doc03.txt": files["doc03.txt"] + "An appendix on recharge rates.\n"}, update, []string{"doc03.txt"}},
		{"add, Refresh", map[string]string{"new/doc99.txt": topicDoc("Report 99 on volcanoes", "volcano magma eruption", 2)}, refreshFolder, []string{"new/doc99.txt"}},
		{"edit, in memory", map[string]string{"doc05.txt": files["doc05.txt"] + "An appendix on moraines.\n"}, inMemory, []string{"doc05.txt"}},
		{"remove, Update", map[string]string{"doc07.txt": ""}, update, nil},
		{"copy, Refresh", map[string]string{"zcopy/doc01.txt": files["doc01.txt"]}, refreshFolder, nil},
		{"edit and remove, Refresh", map[string]string{"doc08.txt": files["doc08.txt"] + "A note.\n", "doc09.txt": ""}, refreshFolder, []string{"doc08.txt"}},
	}
	for _, st := range steps {
		before := indexFiles(t, indexDir)
		for name, content := range st.change {
			if content == "" {
				if err := os.Remove(filepath.Join(docsDir, name)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			testdocs.WriteTree(t, docsDir, map[string]string{name: content})
		}
		res, err := st.update(ctx, docsDir, indexDir, 0, cfg)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !res.Saved || res.Rebuilt != "" {
			t.Errorf("%s: Saved %v, Rebuilt %q; want true, \"\"", st.name, res.Saved, res.Rebuilt)
		}
		after := indexFiles(t, indexDir)
		for name, b := range before {
			if isSegmentFile(name) && !reflect.DeepEqual(after[name], b) {
				t.Errorf("%s: segment %s was rewritten or removed", st.name, name)
			}
		}
		added := newSegments(before, after)
		switch {
		case st.wantNew == nil && len(added) != 0:
			t.Errorf("%s: new segments %q, want none", st.name, added)
		case st.wantNew != nil && len(added) != 1:
			t.Errorf("%s: new segments %q, want one", st.name, added)
		case st.wantNew != nil:
			if got := segmentDocIDs(t, indexDir, added[0]); !slices.Equal(got, st.wantNew) {
				t.Errorf("%s: the new segment holds %q, want %q", st.name, got, st.wantNew)
			}
		}
		checkIndexFiles(t, indexDir)
		checkOpens(t, docsDir, indexDir, cfg)
	}
}

// When enough of what the segments hold is dead, a save rewrites every
// document into one new segment and removes the old ones; Refresh, which
// works from the root, reads the old segments to do so.
func TestCompaction(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	tests := []struct {
		name   string
		update func(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error)
	}{
		{"Update", updateNew},
		{"Refresh", refreshFolder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := smallCorpus()
			docsDir, indexDir, _ := buildIndexDir(t, files, cfg)
			first := segmentNames(t, indexDir)
			// Each edit kills about a fifth of the first segment.
			for i, id := range []string{"b.txt", "notes/c.md"} {
				testdocs.WriteTree(t, docsDir, map[string]string{id: files[id] + "An appendix.\n"})
				if _, err := tt.update(ctx, docsDir, indexDir, 0, cfg); err != nil {
					t.Fatal(err)
				}
				segs := segmentNames(t, indexDir)
				if i == 0 && len(segs) != 2 {
					t.Fatalf("after one edit: segments %q, want the first and a new one", segs)
				}
				if i == 1 && (len(segs) != 1 || slices.Contains(first, segs[0])) {
					t.Fatalf("after two edits: segments %q, want one new one", segs)
				}
			}
			checkIndexFiles(t, indexDir)
			ix := checkOpens(t, docsDir, indexDir, cfg)
			ps, err := ix.Search(ctx, "beekeeping colony appendix", 3)
			if err != nil || len(ps) == 0 {
				t.Fatalf("search after compaction: %v, %d passages", err, len(ps))
			}
		})
	}
}

// Refresh's work from the root gives the index a full build gives: the same
// documents, chunks and search results, having embedded only what changed.
func TestRefreshMatchesFullBuild(t *testing.T) {
	ctx := context.Background()
	var log embedLog
	cfg := log.wrap(benchConfig(t))
	files := smallCorpus()
	files["notes/dup.txt"] = files["notes/d.txt"]
	docsDir, indexDir, _ := buildIndexDir(t, files, cfg)
	log.take()

	testdocs.WriteTree(t, docsDir, map[string]string{
		"b.txt":          files["b.txt"] + "Varroa mites spread between apiaries in the autumn.\n",
		"e.md":           topicDoc("Estuaries and tidal mixing", "estuary tide salinity mixing", 3),
		"notes/zcopy.md": files["notes/c.md"],
		"notes/bad.txt":  "\x00\x01 not text",
	})
	for _, f := range []string{"a.txt", "notes/dup.txt"} {
		if err := os.Remove(filepath.Join(docsDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != nil || !res.Saved || res.Rebuilt != "" {
		t.Errorf("Refresh: Index %v, Saved %v, Rebuilt %q; want no index, saved, not rebuilt", res.Index != nil, res.Saved, res.Rebuilt)
	}
	embedded := len(log.take())

	fullDir := filepath.Join(t.TempDir(), "full")
	full, err := updateFolder(ctx, nil, docsDir, fullDir, 0, benchConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	want := full.Index
	wantSummary := Summary{Added: 1, Changed: 1, Removed: 1, Unchanged: 2, Skipped: want.Skipped(), Chunks: want.NumChunks(), Duplicates: full.Summary.Duplicates}
	checkSummary(t, res.Summary, wantSummary)
	if n := len(docChunks(want, "b.txt")) + len(docChunks(want, "e.md")); embedded != n {
		t.Errorf("Refresh embedded %d texts, want %d (the chunks of b.txt and e.md)", embedded, n)
	}

	got := checkOpens(t, docsDir, indexDir, cfg)
	if !reflect.DeepEqual(got.Documents(), want.Documents()) {
		t.Errorf("documents:\n got %+v\nwant %+v", got.Documents(), want.Documents())
	}
	if !reflect.DeepEqual(allChunks(got), allChunks(want)) || !reflect.DeepEqual(got.Skipped(), want.Skipped()) {
		t.Errorf("chunks or skipped files differ from a full build's")
	}
	if !reflect.DeepEqual(got.local().flat, want.local().flat) {
		t.Errorf("vectors differ from a full build's")
	}
	for _, q := range append(slices.Clone(seedQuestions), "varroa mites in apiaries", "tidal mixing in estuaries", "cipher key protocol") {
		g, err := got.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Search(%q):\n got %+v\nwant %+v", q, g, w)
		}
	}
	gm, err := snapshot.ReadManifest(indexDir)
	if err != nil {
		t.Fatal(err)
	}
	wm, err := snapshot.ReadManifest(fullDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gm.Documents, wm.Documents) || !reflect.DeepEqual(gm.Skipped, wm.Skipped) || gm.Chunks != wm.Chunks || gm.Versions != wm.Versions {
		t.Errorf("manifest:\n got %+v\nwant %+v", gm, wm)
	}

	// Nothing changed since: nothing is written, nothing embedded.
	log.take()
	state := agedState(t, indexDir)
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, res.Summary, Summary{Unchanged: 4, Skipped: want.Skipped(), Chunks: want.NumChunks(), Duplicates: full.Summary.Duplicates})
	if res.Saved || len(log.take()) != 0 {
		t.Errorf("an unchanged Refresh saved (%v) or embedded", res.Saved)
	}
	state.check(t, indexDir)
}

// A snapshot of format version 1 (one file) still opens; the first save
// after a change replaces it with a root and segments.
func TestOpenOldFormat(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := smallCorpus()
	docsDir, builtDir, built := buildIndexDir(t, files, cfg)
	indexDir := t.TempDir()
	old := encodeV1(t, built.Index)
	manifest := built.Index.manifest(built.Index.snapCreated, fmt.Sprintf("%x", old[len(old)-32:]))
	if err := snapshot.WriteManifest(indexDir, manifest); err != nil {
		t.Fatal(err)
	}
	writeIndexFiles(t, indexDir, map[string][]byte{snapshot.SnapshotFile: old, snapshot.ManifestFile: testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.ManifestFile))})

	ix, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatalf("Open of a version 1 snapshot: %v", err)
	}
	want, err := openDir(ctx, builtDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ix.Documents(), want.Documents()) || !reflect.DeepEqual(allChunks(ix), allChunks(want)) || !reflect.DeepEqual(ix.local().flat, want.local().flat) {
		t.Errorf("the version 1 snapshot opens as another index")
	}
	for _, q := range seedQuestions {
		g, _ := ix.Search(ctx, q, 5)
		w, _ := want.Search(ctx, q, 5)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Search(%q) differs", q)
		}
	}

	// Unchanged documents: it is kept as it is.
	res, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || res.Saved || res.Rebuilt != "" || res.Summary.Unchanged != 4 {
		t.Fatalf("Refresh: %v, Saved %v, Rebuilt %q, %+v; want nothing to do", err, res.Saved, res.Rebuilt, res.Summary)
	}
	if got := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile)); !reflect.DeepEqual(got, old) {
		t.Errorf("an unchanged Refresh rewrote the version 1 snapshot")
	}
	// A change: the documents are reused, and saved as segments.
	testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"] + "A new paragraph about varroa mites.\n"})
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || !res.Saved || res.Rebuilt != "" || res.Summary.Changed != 1 || res.Summary.Unchanged != 3 {
		t.Fatalf("Refresh after an edit: %v, Saved %v, Rebuilt %q, %+v; want one changed and a save", err, res.Saved, res.Rebuilt, res.Summary)
	}
	checkIndexFiles(t, indexDir)
	checkOpens(t, docsDir, indexDir, cfg)
}

// A reader that finds a segment gone because a save replaced the root
// meanwhile reads the new root.
func TestOpenRetriesWhenRootReplaced(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := smallCorpus()
	docsDir, indexDir, first := buildIndexDir(t, files, cfg)
	testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"] + "A new paragraph about varroa mites.\n"})
	docs, skipped, err := loadDocuments(context.Background(), docsDir, 0, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Built from scratch, the new index shares no segment with the old.
	next, _, err := build(ctx, docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another process saves the new index between Open's reading the
	// root and its reading the segments that root lists.
	saves := 0
	readRoot := func(dir string) (*wire.Root, string, []byte, error) {
		root, sum, raw, err := snapshot.ReadRoot(dir)
		if saves == 0 {
			saves++
			if err := saveIndex(next, indexDir); err != nil {
				t.Errorf("Save: %v", err)
			}
		}
		return root, sum, raw, err
	}
	ix, err := openRetrying(ctx, indexDir, cfg, readRoot, nil)
	if err != nil {
		t.Fatalf("Open while a save replaced the root: %v", err)
	}
	if d, _ := ix.Document("b.txt"); !strings.Contains(d.Text, "varroa") {
		t.Errorf("Open read the old index (%d chunks), want the new one", first.Index.NumChunks())
	}
}

// Saves of two processes into one folder take turns: whichever root is
// last, the segments it lists are all there.
func TestConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	var indexes []*Index
	for _, files := range []map[string]string{smallCorpus(), numberedCorpus(5)} {
		_, _, res := buildIndexDir(t, files, cfg)
		indexes = append(indexes, res.Index)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	for _, ix := range indexes {
		// Each goroutine saves its own copy, as two processes would.
		cp := *ix
		wg.Go(func() {
			for range 5 {
				if err := saveIndex(&cp, dir); err != nil {
					t.Errorf("Save: %v", err)
				}
			}
		})
	}
	wg.Wait()
	got, err := openDir(ctx, dir, cfg)
	if err != nil {
		t.Fatalf("Open after concurrent saves: %v", err)
	}
	if d := got.Documents(); !reflect.DeepEqual(d, indexes[0].Documents()) && !reflect.DeepEqual(d, indexes[1].Documents()) {
		t.Errorf("the index holds neither corpus")
	}
	checkIndexFiles(t, dir)
}

// A run with nothing to save still removes what a crashed save left:
// temporary files, and segments the root does not list. The root and its
// segments stay as they are.
func TestNothingToSaveCleansUp(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir, _ := buildIndexDir(t, smallCorpus(), cfg)
	for _, tt := range []struct {
		name   string
		update func(ctx context.Context, docsDir, indexDir string, maxFileBytes int64, cfg Config) (UpdateResult, error)
	}{
		{"Update", updateNew},
		{"Refresh", refreshFolder},
	} {
		state := agedState(t, indexDir)
		leftovers := map[string]string{"seg-00000000deadbeef.snap": "never committed", "." + snapshot.SnapshotFile + ".tmp-123": "half a root",
			".seg-0000000000000001.snap.tmp-456": "half a segment", "." + snapshot.ManifestFile + ".tmp-789": "{"}
		testdocs.WriteTree(t, indexDir, leftovers)
		res, err := tt.update(ctx, docsDir, indexDir, 0, cfg)
		if err != nil || res.Saved {
			t.Fatalf("%s: %v, Saved %v; want nothing saved", tt.name, err, res.Saved)
		}
		checkIndexFiles(t, indexDir)
		state.check(t, indexDir)
	}
}

// An update's keyword index, made by moving the postings of unchanged
// documents, is the one a build from scratch makes: same postings, counts
// and weights, so the same rankings.
func TestKeywordIndexUpdateMatchesBuild(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := numberedCorpus(8)
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, files)
	load := func() ([]document.Document, []document.Skipped) {
		docs, skipped, err := loadDocuments(context.Background(), docsDir, 0, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return docs, skipped
	}
	docs, skipped := load()
	prev, _, err := build(ctx, docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first document grows (every later chunk moves), one in the
	// middle goes, two come (one between others, one last), one gets a
	// copy, and one gets words no other has.
	testdocs.WriteTree(t, docsDir, map[string]string{
		"doc00.txt":  files["doc00.txt"] + topicDoc("", "aquifer recharge appendix", 3),
		"doc03b.txt": topicDoc("Report on volcanoes", "volcano magma eruption", 2),
		"zz.txt":     topicDoc("Report on lichens", "lichen fungus symbiosis", 2),
		"doc05.txt":  files["doc05.txt"] + "Zyxwv qwerty appear here only.\n",
		"doc06b.txt": files["doc06.txt"],
	})
	if err := os.Remove(filepath.Join(docsDir, "doc04.txt")); err != nil {
		t.Fatal(err)
	}
	docs, skipped = load()
	got, sum, err := build(ctx, docs, skipped, cfg, prev)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unchanged == 0 {
		t.Fatalf("nothing reused: %+v", sum)
	}
	want, _, err := build(ctx, docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, w := got.local().kw, want.local().kw
	if g.N != w.N || g.Units != w.Units || !reflect.DeepEqual(g.Lengths, w.Lengths) || !reflect.DeepEqual(g.Weights, w.Weights) {
		t.Errorf("chunks, units, lengths or weights differ: %d/%d chunks, %d/%d units", g.N, w.N, g.Units, w.Units)
	}
	if !reflect.DeepEqual(g.Terms, w.Terms) {
		for term, tp := range w.Terms {
			if !reflect.DeepEqual(g.Terms[term], tp) {
				t.Errorf("term %q: got %+v, want %+v", term, g.Terms[term], tp)
				break
			}
		}
		t.Errorf("postings differ: %d terms, want %d", len(g.Terms), len(w.Terms))
	}
	for _, q := range []string{"aquifer recharge appendix", "volcano magma", "zyxwv", "glacier moraine report5", "lichen symbiosis"} {
		gs, _ := got.Search(ctx, q, 5)
		ws, _ := want.Search(ctx, q, 5)
		if !reflect.DeepEqual(gs, ws) {
			t.Errorf("Search(%q):\n got %+v\nwant %+v", q, gs, ws)
		}
	}
	// The previous index is as it was.
	again, _, err := build(ctx, prev.documentsForTest(), prev.skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(prev.local().kw.Terms, again.local().kw.Terms) {
		t.Errorf("the update modified the previous index's postings")
	}
}

// documentsForTest returns the documents ix indexes.
func (ix *Index) documentsForTest() []document.Document {
	var out []document.Document
	for _, d := range ix.docs {
		out = append(out, d.Document)
	}
	return out
}
