package weaviatestore

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/retrieval"
)

// The same corpus indexed in Weaviate and in the embedded store answers
// the same questions from the same places, with spans that hold against
// the documents; an update writes only what changed, and a replica that
// only reads sees it.
func TestUpdateRemote(t *testing.T) {
	s := testStore(t)
	ctx := context.Background()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(t.TempDir(), "docs")
	if err := os.CopyFS(docs, os.DirFS("../../seeds")); err != nil {
		t.Fatal(err)
	}
	res, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, nil, retrieval.FromFolder(docs, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Added != 3 || res.Rebuilt != "no index" || !res.Saved {
		t.Fatalf("first update: %+v, rebuilt %q", res.Summary, res.Rebuilt)
	}
	remote := res.Index
	local, err := retrieval.NewFolderStore(t.TempDir(), cfg).Update(ctx, nil, retrieval.FromFolder(docs, 0))
	if err != nil {
		t.Fatal(err)
	}
	if remote.NumChunks() != local.Index.NumChunks() || len(remote.Documents()) != 3 {
		t.Errorf("remote view: %d chunks, %d documents; embedded %d chunks", remote.NumChunks(), len(remote.Documents()), local.Index.NumChunks())
	}
	questions := map[string]string{
		"When did the SCO agreement come into effect?":                     "January 5, 2012",
		"When was the SCO Information Security Working Group established?": "Information Security Working Group was established",
	}
	for q, fact := range questions {
		ps, err := remote.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range ps {
			d, _ := remote.Document(p.DocID)
			if p.Text != d.Text[p.Start:p.End] {
				t.Errorf("%q: passage is not its document's bytes %d-%d", q, p.Start, p.End)
			}
			found = found || strings.Contains(p.Text, fact)
		}
		if !found {
			t.Errorf("%q: no passage of the top 5 holds %q", q, fact)
		}
	}
	if idf, ok := remote.IDF("agreement"); !ok || idf <= 0 {
		t.Errorf("IDF(agreement) = %v, %v", idf, ok)
	}
	if _, ok := remote.IDF("zzzunknownzzz"); ok {
		t.Error("IDF of a term no chunk holds is ok")
	}

	// Nothing changed: nothing is written.
	again, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, remote, retrieval.FromFolder(docs, 0))
	if err != nil {
		t.Fatal(err)
	}
	if again.Saved || again.Summary.Unchanged != 3 || again.Index.Generation() != remote.Generation() {
		t.Errorf("no-change update: saved %v, %+v, generation %d→%d", again.Saved, again.Summary, remote.Generation(), again.Index.Generation())
	}

	// A replica with no documents folder builds its view from the store.
	follower, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, nil, retrieval.FromFolder("", 0))
	if err != nil {
		t.Fatal(err)
	}
	if follower.Index.Generation() != remote.Generation() || follower.Index.NumChunks() != remote.NumChunks() {
		t.Errorf("follower: generation %d, %d chunks; want %d, %d", follower.Index.Generation(), follower.Index.NumChunks(), remote.Generation(), remote.NumChunks())
	}

	// Add, change and remove through one replica...
	names, _ := filepath.Glob(filepath.Join(docs, "*.txt"))
	if err := os.Remove(names[0]); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(names[1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\nThe harbour of Vardø froze in 1966, and again in 1987.\n")
	f.Close()
	if err := os.WriteFile(filepath.Join(docs, "lamps.md"), []byte("# Lamps\n\nThe Greyhaven lighthouse lamp was replaced in March 2019.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	upd, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, again.Index, retrieval.FromFolder(docs, 0))
	if err != nil {
		t.Fatal(err)
	}
	if sum := upd.Summary; sum.Added != 1 || sum.Changed != 1 || sum.Removed != 1 || sum.Unchanged != 1 || upd.Index.Generation() == remote.Generation() {
		t.Errorf("update: %+v, generation %d", sum, upd.Index.Generation())
	}
	// ...and the other sees it.
	seen, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, follower.Index, retrieval.FromFolder("", 0))
	if err != nil {
		t.Fatal(err)
	}
	if seen.Index.Generation() != upd.Index.Generation() || len(seen.Index.Documents()) != 3 {
		t.Errorf("follower after the update: generation %d, %d documents", seen.Index.Generation(), len(seen.Index.Documents()))
	}
	for q, want := range map[string]string{
		"When did the harbour of Vardø freeze?":            "froze in 1966",
		"When was the Greyhaven lighthouse lamp replaced?": "March 2019",
	} {
		ps, err := seen.Index.Search(ctx, q, 3)
		if err != nil || len(ps) == 0 || !strings.Contains(ps[0].Text, want) {
			t.Errorf("%q on the follower: %v %+v", q, err, ps)
		}
	}
	removed := filepath.Base(names[0])
	if _, ok := seen.Index.Document(removed); ok {
		t.Errorf("removed document %s still served", removed)
	}
	if ps, _ := seen.Index.Search(ctx, "SCO agreement", 10); len(ps) > 0 {
		for _, p := range ps {
			if p.DocID == removed {
				t.Errorf("a removed document's chunk is still found")
			}
		}
	}

	// A store written by another layout is rebuilt from empty: nothing of
	// the old build is left to be found or counted.
	if err := s.PutDocument(ctx, "stray.txt", []byte("x"), []retrieval.RemoteChunk{{N: 0, Terms: []string{"zzstray"}}}); err != nil {
		t.Fatal(err)
	}
	m, _, err := retrieval.ReadRemoteManifest(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	m.Layout = "remote-0"
	raw, _ := json.Marshal(m)
	if err := s.PutMeta(ctx, raw); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := retrieval.NewRemoteStore(s, cfg).Update(ctx, seen.Index, retrieval.FromFolder(docs, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rebuilt.Rebuilt, "layout") || rebuilt.Summary.Added != 3 {
		t.Errorf("other layout: rebuilt %q, %+v", rebuilt.Rebuilt, rebuilt.Summary)
	}
	if n, err := s.DocFreq(ctx, "zzstray"); err != nil || n != 0 {
		t.Errorf("a chunk of the old build survived the rebuild: %d, %v", n, err)
	}
}
