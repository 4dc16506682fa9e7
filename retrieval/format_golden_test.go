package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval/internal/rank"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

var updateFormat = flag.Bool("update-format", false, "rewrite testdata/format from the current encoders")

// The files an index writes outlive the program that wrote them: a change
// of their bytes means every user's index is rebuilt or, worse, misread.
// These golden files pin the root snapshot, a segment, the manifest, a
// remote store's document body and chunk terms, and the versions of the
// default configuration, so that a refactoring cannot change them unseen.
// Bump the format versions instead, and rewrite them with -update-format.

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "format", name)
	if *updateFormat {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the golden file's %d", name, len(got), len(want))
	}
}

func goldenDocument() (document.Document, []document.Chunk) {
	d := document.Document{ID: "notes/a.md", Title: "A title", Text: "# A title\n\nOne sentence here.\n", SHA256: "ab12", Pages: []int{0, 10}, Aliases: []string{"copy/a.md"}}
	return d, []document.Chunk{{DocID: d.ID, Start: 11, End: 29, LineStart: 3, LineEnd: 3, Section: "A title", Page: 2}}
}

func TestFormatGolden(t *testing.T) {
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.versions()
	if want := (Versions{Chunker: "chunk-5+25919ff4c48c", Tokenizer: "snowball-en-ru-v2", Embedder: v.Embedder}); v != want {
		t.Errorf("default versions %+v, want %+v: every user's index would be rebuilt", v, want)
	}
	vj, _ := json.Marshal(v)
	checkGolden(t, "versions.json", vj)

	d, chunks := goldenDocument()
	dir := t.TempDir()
	ref, err := snapshot.WriteSegment(dir, []snapshot.SegmentDoc{{Doc: wire.SnapshotDoc{ID: d.ID, SHA256: d.SHA256, Text: d.Text, Chunks: snapshot.WireChunks(chunks), Pages: d.Pages},
		Vectors: [][]float32{{0.6, 0.8}}, Terms: []rank.ChunkCounts{countChunk(d.Text, chunks[0], analysis.Terms(d.Title))}}})
	if err != nil {
		t.Fatal(err)
	}
	seg, err := os.ReadFile(filepath.Join(dir, ref.Name))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "segment.snap", seg)

	ref.Name = "seg-0123456789abcdef.snap"
	root := &wire.Root{Versions: v, Created: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC), Skipped: []wire.Skipped{{Document: "b.pdf", Reason: "encrypted PDF"}},
		Docs:     []wire.RootDoc{{ID: d.ID, Title: d.Title, SHA256: d.SHA256, Aliases: d.Aliases, Pages: 2, Chunks: 1, Bytes: len(d.Text), Segment: ref.Name}},
		Segments: []wire.SegmentRef{ref}}
	sum, err := snapshot.WriteRoot(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, snapshot.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "index.snap", raw)
	if err := snapshot.WriteManifest(dir, snapshot.ManifestOf(root, sum)); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(dir, snapshot.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "manifest.json", m)

	var r recordingRemote
	if err := putRemote(context.Background(), &r, d, docVectors{chunks: chunks, vectors: [][]float32{{3, 4}}}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "remote-body.gob", r.body)
	cj, _ := json.Marshal(r.chunks)
	checkGolden(t, "remote-chunks.json", cj)
}

// recordingRemote keeps what PutDocument was given.
type recordingRemote struct {
	Remote
	body   []byte
	chunks []RemoteChunk
}

func (r *recordingRemote) PutDocument(_ context.Context, _ string, body []byte, chunks []RemoteChunk) error {
	r.body, r.chunks = body, chunks
	return nil
}
