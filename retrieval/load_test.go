package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"citebot/internal/testdocs"
	"citebot/retrieval/internal/snapshot"
)

// sameRanking fails unless got ranks exactly as want: the same chunks,
// vectors bit for bit, the same postings, weights and bounds, and the
// same results and scores for every query.
func sameRanking(t *testing.T, got, want *Index, queries []string) {
	t.Helper()
	if !reflect.DeepEqual(got.Documents(), want.Documents()) || !reflect.DeepEqual(allChunks(got), allChunks(want)) {
		t.Fatalf("other documents or chunks")
	}
	for i, e := range got.docs {
		if e.Text != want.docs[i].Text || !reflect.DeepEqual(e.lines, want.docs[i].lines) {
			t.Fatalf("%s: other text or lines", e.ID)
		}
	}
	if !reflect.DeepEqual(got.local().flat, want.local().flat) {
		t.Errorf("other vectors")
	}
	g, w := got.local().kw, want.local().kw
	if g.N != w.N || g.Units != w.Units || !reflect.DeepEqual(g.Lengths, w.Lengths) || !reflect.DeepEqual(g.Weights, w.Weights) {
		t.Errorf("other chunk lengths, weights or units")
	}
	if !reflect.DeepEqual(g.Terms, w.Terms) {
		t.Errorf("other postings: %d terms, want %d", len(g.Terms), len(w.Terms))
	}
	ctx := context.Background()
	for _, q := range queries {
		a, err := got.Search(ctx, q, 20)
		if err != nil {
			t.Fatal(err)
		}
		b, err := want.Search(ctx, q, 20)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Search(%q): results or scores differ", q)
		}
	}
}

// loadQueries are questions over syntheticDocs and smallCorpus.
func loadQueries() []string {
	q := []string{"aquifer recharge in arid basins", "colony collapse of bees", "cipher key protocol", "dating by tree rings",
		"Synthetic document number 17", "information security cooperation treaty", "cyber threat data protection", "term12 term7 council"}
	for i := range 20 {
		q = append(q, fmt.Sprintf("term%d governance term%d", i*37, i*11))
	}
	return q
}

// An index opened from its folder ranks exactly as the one built and
// saved: after a first build, and after updates that leave dead documents
// in old segments and add new segments whose documents interleave with
// the first build's.
func TestReopenedRanksAsBuilt(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := smallCorpus()
	for i, d := range syntheticDocs(300) {
		files[fmt.Sprintf("syn/%03d.txt", i)] = d.Text
	}
	docsDir, indexDir, built := buildIndexDir(t, files, cfg)
	if n := len(segmentNames(t, indexDir)); n < 1 {
		t.Fatalf("%d segments", n)
	}
	opened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameRanking(t, opened, built.Index, loadQueries())

	// Change, add and remove documents: the first segment keeps dead
	// documents, a new one holds the rest.
	testdocs.WriteTree(t, docsDir, map[string]string{
		"syn/005.txt":  "A new text about aquifers and cipher keys.\n",
		"syn/150a.txt": topicDoc("Dendrochronology revisited", "tree ring dating council", 3),
		"b.txt":        files["b.txt"] + "\nA new paragraph about varroa mites and colony collapse.\n",
	})
	if err := os.Remove(filepath.Join(docsDir, "syn", "100.txt")); err != nil {
		t.Fatal(err)
	}
	for _, refresh := range []bool{false, true} {
		var res UpdateResult
		if refresh {
			testdocs.WriteTree(t, docsDir, map[string]string{"syn/200.txt": "Once more: aquifer governance.\n"})
			res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
		} else {
			res, err = updateFolder(ctx, opened, docsDir, indexDir, 0, cfg)
		}
		if err != nil || !res.Saved || res.Rebuilt != "" {
			t.Fatalf("update: %v, saved %v, rebuilt %q", err, res.Saved, res.Rebuilt)
		}
		reopened, err := openDir(ctx, indexDir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := updateNew(ctx, docsDir, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		sameRanking(t, reopened, fresh.Index, loadQueries())
		if res.Index != nil {
			sameRanking(t, reopened, res.Index, loadQueries())
		}
		opened = reopened
	}
}

// An index whose segments are of an earlier format (version 1, without
// term counts, in testdata/index-v2; version 2, with float32 rows and the
// text under the trailer, in testdata/index-v3, each written by the
// citebot of its time) is never read as this version's: it is rebuilt
// once, saying why, and its old segments go.
func TestOldSegmentsRebuilt(t *testing.T) {
	for _, dir := range []string{"index-v2", "index-v3"} {
		t.Run(dir, func(t *testing.T) { testOldSegmentsRebuilt(t, filepath.Join("testdata", dir)) })
	}
}

func testOldSegmentsRebuilt(t *testing.T, oldDir string) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, smallCorpus())
	indexDir := t.TempDir()
	old := indexFiles(t, oldDir)
	writeIndexFiles(t, indexDir, old)

	_, err := openDir(ctx, indexDir, cfg)
	if !errors.Is(err, snapshot.ErrOldSegments) {
		t.Fatalf("Open of an index of the previous version: %v, want ErrOldSegments", err)
	}
	res, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || !res.Saved || res.Rebuilt != snapshot.ErrOldSegments.Error() || res.Summary.Added != 4 {
		t.Fatalf("Refresh: %v, Saved %v, Rebuilt %q, %+v; want a rebuild saying the format changed", err, res.Saved, res.Rebuilt, res.Summary)
	}
	if !strings.Contains(res.Rebuilt, "format changed") {
		t.Errorf("Rebuilt = %q, want it to say the format changed", res.Rebuilt)
	}
	for name := range old {
		if strings.HasPrefix(name, "seg-") {
			if _, err := os.Stat(filepath.Join(indexDir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("old segment %s still there: %v", name, err)
			}
		}
	}
	checkIndexFiles(t, indexDir)
	ix := checkOpens(t, docsDir, indexDir, cfg)
	fresh, err := updateNew(ctx, docsDir, t.TempDir(), 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameRanking(t, ix, fresh.Index, loadQueries())
	// Once: the next run finds nothing to do.
	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || res.Saved || res.Rebuilt != "" || res.Summary.Unchanged != 4 {
		t.Fatalf("second Refresh: %v, Saved %v, Rebuilt %q, %+v; want nothing to do", err, res.Saved, res.Rebuilt, res.Summary)
	}
}

// An index opened by a caller holding the documents shares their text,
// and never takes the text of a document the segment does not hold.
func TestOpenSharesText(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir, built := buildIndexDir(t, smallCorpus(), cfg)
	docs, _, err := loadDocuments(ctx, docsDir, 0, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := openDirSharing(ctx, indexDir, cfg, docs, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	sameRanking(t, ix, built.Index, loadQueries())
	for i, d := range docs {
		if unsafe.StringData(ix.docs[i].Text) != unsafe.StringData(d.Text) {
			t.Errorf("%s: text copied, not shared", d.ID)
		}
	}

	// A document of another hash (changed since): the segment's text is
	// read. (A document's text is decided by its bytes, whose SHA-256 the
	// segment records: the caller's is taken on that hash, unread.)
	docs[1].Text, docs[1].SHA256 = strings.ToUpper(docs[1].Text), "other"
	ix, err = openDirSharing(ctx, indexDir, cfg, docs, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	sameRanking(t, ix, built.Index, loadQueries())
	if ix.docs[1].Text == docs[1].Text {
		t.Errorf("took the caller's text over the segment's")
	}
}
