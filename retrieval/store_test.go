package retrieval

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/retrieval/internal/snapshot"
	wire "citebot/retrieval/internal/wire"
)

// seedQuestions are asked of the seed corpus; the ranking is not checked
// here, only what every answer must satisfy.
var seedQuestions = []string{
	"When was the Union State of Belarus and Russia established?",
	"What did the 77th session of the UN General Assembly adopt?",
	"Who is the author of the article about the SCO?",
	"What are the limitations of the study?",
	"Когда было создано Союзное государство?",
	"information security cooperation",
}

// copySeeds copies the shipped corpus into dir.
func copySeeds(tb testing.TB, dir string) {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "seeds", "*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds in ../seeds: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// smallCorpus is a few documents of several chunks each, distinct enough
// for searches to tell them apart.
func smallCorpus() map[string]string {
	return map[string]string{
		"a.txt":        topicDoc("Aquifers and groundwater recharge in arid basins", "aquifer groundwater recharge basin", 6),
		"b.txt":        topicDoc("Beekeeping practice and colony collapse", "beekeeping colony hive pollination", 6),
		"notes/c.md":   "# Cryptography notes\n\n" + topicDoc("", "cipher encryption key protocol", 5),
		"notes/d.txt":  topicDoc("Dendrochronology: dating by tree rings", "dendrochronology tree ring dating", 4),
		"ignored.jpeg": "not text",
	}
}

// topicDoc writes a title line and n paragraphs of about 400 bytes that
// use the topic's words, so that a document makes several chunks.
func topicDoc(title, topic string, n int) string {
	words := strings.Fields(topic)
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n\nJane Q. Author, Institute of Examples\n\n")
	}
	for p := range n {
		fmt.Fprintf(&b, "Paragraph %d discusses the %s. ", p+1, words[p%len(words)])
		for s := 0; b.Len()%400 < 360 && s < 12; s++ {
			fmt.Fprintf(&b, "The %s relates to the %s in study number %d. ", words[(p+s)%len(words)], words[(p+s+1)%len(words)], p*10+s)
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// checkIndexFiles fails unless dir holds exactly a root snapshot, the
// segments it lists, a manifest and the lock file: a temporary file or an
// unlisted segment left behind means a save was not cleaned up.
func checkIndexFiles(tb testing.TB, dir string) {
	tb.Helper()
	root, _, _, err := snapshot.ReadRoot(dir)
	if err != nil {
		tb.Fatalf("read root: %v", err)
	}
	want := append([]string{snapshot.LockFile, snapshot.SnapshotFile, snapshot.ManifestFile}, snapshot.ListedSegments(root.Docs)...)
	slices.Sort(want)
	if got := testdocs.Names(tb, dir); !slices.Equal(got, want) {
		tb.Errorf("index folder holds %q, want %q", got, want)
	}
}

// indexFiles reads every file of an index folder.
func indexFiles(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, name := range testdocs.Names(tb, dir) {
		out[name] = testdocs.ReadFile(tb, filepath.Join(dir, name))
	}
	return out
}

// writeIndexFiles makes dir hold exactly files.
func writeIndexFiles(tb testing.TB, dir string, files map[string][]byte) {
	tb.Helper()
	for _, name := range testdocs.Names(tb, dir) {
		if _, ok := files[name]; !ok {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// segmentNames lists the segments the root in dir lists.
func segmentNames(tb testing.TB, dir string) []string {
	tb.Helper()
	root, _, _, err := snapshot.ReadRoot(dir)
	if err != nil {
		tb.Fatalf("read root: %v", err)
	}
	return snapshot.ListedSegments(root.Docs)
}

// docChunks returns the chunks an index holds for one document.
func docChunks(ix *Index, id string) []document.Chunk {
	e, ok := ix.byID[id]
	if !ok {
		return nil
	}
	return ix.docChunks(e)
}

// buildIndexDir indexes docs into a fresh index folder and returns both.
func buildIndexDir(tb testing.TB, files map[string]string, cfg Config) (docsDir, indexDir string, res UpdateResult) {
	tb.Helper()
	docsDir = tb.TempDir()
	testdocs.WriteTree(tb, docsDir, files)
	indexDir = filepath.Join(tb.TempDir(), "index")
	res, err := updateFolder(context.Background(), nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		tb.Fatalf("Update: %v", err)
	}
	return docsDir, indexDir, res
}

func TestOpenMatchesBuilt(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir := t.TempDir()
	copySeeds(t, docsDir)
	testdocs.WriteTree(t, docsDir, map[string]string{"skip.bin": "\x00"})
	indexDir := filepath.Join(t.TempDir(), "nested", "index") // Save creates it
	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, want := res.Rebuilt, "no index"; got != want {
		t.Errorf("Rebuilt = %q, want %q", got, want)
	}
	if !res.Saved {
		t.Errorf("Saved = false on a fresh index, want true")
	}
	checkIndexFiles(t, indexDir)

	built := res.Index
	opened, err := openDir(ctx, indexDir, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got, want := opened.Documents(), built.Documents(); !reflect.DeepEqual(got, want) {
		t.Errorf("Documents after Open:\n got %+v\nwant %+v", got, want)
	}
	if got, want := allChunks(opened), allChunks(built); !reflect.DeepEqual(got, want) {
		t.Errorf("chunks after Open differ: got %d, want %d", len(got), len(want))
	}
	if got, want := opened.Skipped(), built.Skipped(); !reflect.DeepEqual(got, want) {
		t.Errorf("Skipped after Open = %+v, want %+v", got, want)
	}
	if got, want := opened.versions, builtVersions(cfg); got != want {
		t.Errorf("versions after Open = %+v, want %+v", got, want)
	}
	for _, d := range built.Documents() {
		bd, _ := built.Document(d.ID)
		od, ok := opened.Document(d.ID)
		if !ok || !reflect.DeepEqual(od, bd) {
			t.Errorf("Document(%s) after Open differs from the built one", d.ID)
		}
	}
	for _, q := range seedQuestions {
		want, err := built.Search(ctx, q, 5)
		if err != nil {
			t.Fatalf("built.Search(%q): %v", q, err)
		}
		got, err := opened.Search(ctx, q, 5)
		if err != nil {
			t.Fatalf("opened.Search(%q): %v", q, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Search(%q) after Open:\n got %+v\nwant %+v", q, got, want)
		}
	}

	m, err := snapshot.ReadManifest(indexDir)
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	if got, want := m.Versions, builtVersions(cfg); got != want {
		t.Errorf("manifest versions = %+v, want %+v", got, want)
	}
	if got, want := m.Chunks, built.NumChunks(); got != want {
		t.Errorf("manifest chunks = %d, want %d", got, want)
	}
	var docs []DocumentInfo
	for _, d := range m.Documents {
		docs = append(docs, DocumentInfo{ID: d.ID, Title: d.Title, Bytes: d.Bytes, Chunks: d.Chunks, SHA256: d.SHA256})
	}
	if got, want := docs, built.Documents(); !reflect.DeepEqual(got, want) {
		t.Errorf("manifest documents:\n got %+v\nwant %+v", got, want)
	}
	if got, want := m.Skipped, []document.Skipped{{Document: "skip.bin", Reason: "unsupported file type (indexed: .txt, .md, .pdf, .docx, .html)"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("manifest skipped = %+v, want %+v", got, want)
	}
	raw := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile))
	if got, want := m.SnapshotSHA256, fmt.Sprintf("%x", raw[len(raw)-sha256.Size:]); got != want {
		t.Errorf("manifest snapshot_sha256 = %s, want the snapshot's checksum %s", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	_, indexDir, _ := buildIndexDir(t, smallCorpus(), cfg)
	noEmbedder := cfg
	noEmbedder.Embedder.Embed = nil
	tests := []struct {
		name   string
		dir    string
		cfg    Config
		wantIs error
	}{
		{"missing folder", filepath.Join(t.TempDir(), "nope"), cfg, snapshot.ErrNoIndex},
		{"empty folder", t.TempDir(), cfg, snapshot.ErrNoIndex},
		{"no embedder", indexDir, noEmbedder, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := openDir(ctx, tt.dir, tt.cfg)
			if err == nil {
				t.Fatalf("Open = %v, nil error; want an error", ix)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Open error = %v, want one wrapping %v", err, tt.wantIs)
			}
			if errors.Is(err, snapshot.ErrCorrupt) {
				t.Errorf("Open error = %v, want it not to claim corruption", err)
			}
		})
	}
	if _, err := snapshot.ReadManifest(t.TempDir()); !errors.Is(err, snapshot.ErrNoIndex) {
		t.Errorf("ReadManifest of an empty folder: %v, want ErrNoIndex", err)
	}
}

// encodeFile frames body the way Save does: magic, body, checksum.
func encodeFile(magic string, body []byte) []byte {
	b := append([]byte(magic), body...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// encodeRoot encodes a root snapshot, checksum included, so that tests can
// craft roots that pass the checksum but are inconsistent.
func encodeRoot(tb testing.TB, root *wire.Root) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(root); err != nil {
		tb.Fatal(err)
	}
	return encodeFile(snapshot.RootMagic, b.Bytes())
}

// encodeSegment encodes a segment of docs.
func encodeSegment(tb testing.TB, docs []snapshot.SegmentDoc) []byte {
	tb.Helper()
	b, err := snapshot.EncodeSegment(docs)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sectionAt is where section i of seg (0 the metadata, 1 the text, 2 the
// vectors, 3 the term counts, 4 the export) starts.
func sectionAt(seg []byte, i int) int {
	footer := seg[len(seg)-sha256.Size-5*8-2*sha256.Size:]
	at := len(snapshot.SegmentMagic)
	for j := range i {
		at += int(binary.BigEndian.Uint64(footer[8*j:]))
	}
	return at
}

// withFooter is seg with the length of its section i set to n, and its
// trailer made to match (the text and the export, which the trailer does
// not cover, are left out of the hash).
func withFooter(seg []byte, i int, n uint64) []byte {
	body := slices.Clone(seg[:len(seg)-sha256.Size])
	footer := body[len(body)-5*8-2*sha256.Size:]
	meta := binary.BigEndian.Uint64(footer)
	text := binary.BigEndian.Uint64(footer[8:])
	export := binary.BigEndian.Uint64(footer[4*8:])
	textAt := len(snapshot.SegmentMagic) + int(meta)
	h := sha256.New()
	h.Write(body[:textAt])
	h.Write(body[textAt+int(text) : len(body)-len(footer)-int(export)])
	binary.BigEndian.PutUint64(footer[8*i:], n)
	h.Write(footer)
	return h.Sum(body)
}

// decodeRootFile decodes a root snapshot's bytes.
func decodeRootFile(tb testing.TB, raw []byte) *wire.Root {
	tb.Helper()
	var root wire.Root
	if err := gob.NewDecoder(bytes.NewReader(raw[len(snapshot.RootMagic) : len(raw)-sha256.Size])).Decode(&root); err != nil {
		tb.Fatal(err)
	}
	return &root
}

// withSegment returns the files of an index with segment name replaced
// by data, the root's reference updated to match, so that only the
// segment's contents are wrong.
func withSegment(tb testing.TB, files map[string][]byte, name string, data []byte) map[string][]byte {
	tb.Helper()
	out := maps.Clone(files)
	out[name] = data
	root := decodeRootFile(tb, files[snapshot.SnapshotFile])
	for i, r := range root.Segments {
		if r.Name == name {
			// The trailer: what the root records of a segment.
			root.Segments[i].SHA256, root.Segments[i].Size = hex.EncodeToString(data[max(0, len(data)-sha256.Size):]), int64(len(data))
		}
	}
	out[snapshot.SnapshotFile] = encodeRoot(tb, root)
	return out
}

func TestOpenCorrupt(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, goodDir, good := buildIndexDir(t, smallCorpus(), cfg)
	files := indexFiles(t, goodDir)
	raw := files[snapshot.SnapshotFile]
	segName := segmentNames(t, goodDir)[0]
	seg := files[segName]
	flip := func(b []byte, i int) []byte {
		b = slices.Clone(b)
		b[i] ^= 0x20
		return b
	}
	with := func(name string, data []byte) map[string][]byte {
		out := maps.Clone(files)
		if data == nil {
			delete(out, name)
		} else {
			out[name] = data
		}
		return out
	}
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	// Segments whose checksum and size match the root's reference but
	// whose contents do not fit it.
	s, err := snapshot.ReadSegment(goodDir, wire.SegmentRef{Name: segName, SHA256: decodeRootFile(t, raw).Segments[0].SHA256, Size: int64(len(seg))})
	if err != nil {
		t.Fatal(err)
	}
	var docs []snapshot.SegmentDoc
	for _, id := range slices.Sorted(maps.Keys(s.Docs)) {
		d, err := s.SegmentDoc(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	outside := slices.Clone(docs)
	outside[1].Doc.Chunks = slices.Clone(outside[1].Doc.Chunks)
	outside[1].Doc.Chunks[0].End = len(outside[1].Doc.Text) + 1
	otherText := slices.Clone(docs)
	otherText[0].Doc.Text += "!"
	root := decodeRootFile(t, raw)
	root.Docs[0].Segment = "seg-0000000000000000.snap"
	unlisted := encodeRoot(t, root)
	root = decodeRootFile(t, raw)
	root.Docs[2].Chunks++
	chunkCount := encodeRoot(t, root)

	tests := []struct {
		name  string
		files map[string][]byte
	}{
		{"root empty", with(snapshot.SnapshotFile, []byte{})},
		{"root truncated to half", with(snapshot.SnapshotFile, raw[:len(raw)/2])},
		{"root's last byte missing", with(snapshot.SnapshotFile, raw[:len(raw)-1])},
		{"byte flipped in the root", with(snapshot.SnapshotFile, flip(raw, len(raw)/2))},
		{"byte flipped in the root's checksum", with(snapshot.SnapshotFile, flip(raw, len(raw)-1))},
		{"byte flipped in the magic", with(snapshot.SnapshotFile, flip(raw, 0))},
		{"other format version", with(snapshot.SnapshotFile, append([]byte(strings.TrimSuffix(snapshot.RootMagic, "4\n")+"999\n"), raw[len(snapshot.RootMagic):]...))},
		{"root garbage", with(snapshot.SnapshotFile, garbage)},
		{"magic then garbage", with(snapshot.SnapshotFile, append([]byte(snapshot.RootMagic), garbage...))},
		{"segment missing", with(segName, nil)},
		{"segment empty", with(segName, []byte{})},
		{"segment truncated", with(segName, seg[:len(seg)-1])},
		{"byte flipped in a segment's metadata", with(segName, flip(seg, sectionAt(seg, 0)+2))},
		{"byte flipped in a segment's vectors", with(segName, flip(seg, sectionAt(seg, 2)+1))},
		{"byte flipped in a segment's term counts", with(segName, flip(seg, sectionAt(seg, 3)+1))},
		{"segment's checksum zeroed", with(segName, append(seg[:len(seg)-sha256.Size:len(seg)-sha256.Size], make([]byte, sha256.Size)...))},
		{"root lists a segment it does not describe", with(snapshot.SnapshotFile, unlisted)},
		{"root counts other chunks", with(snapshot.SnapshotFile, chunkCount)},
		{"chunk outside its document", withSegment(t, files, segName, encodeSegment(t, outside))},
		{"segment holds other text", withSegment(t, files, segName, encodeSegment(t, otherText))},
		{"a segment's sections longer than the file", withSegment(t, files, segName, withFooter(seg, 1, 1<<40))},
		{"a segment's sections shorter than the file", withSegment(t, files, segName, withFooter(seg, 4, 0))},
		{"a segment of version 1", withSegment(t, files, segName, append([]byte(snapshot.SegmentMagicV1), seg[len(snapshot.SegmentMagicV1):]...))},
		{"old format damaged", with(snapshot.SnapshotFile, flip(encodeV1(t, good.Index), 100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			indexDir := t.TempDir()
			writeIndexFiles(t, indexDir, tt.files)
			if _, err := openDir(ctx, indexDir, cfg); !errors.Is(err, snapshot.ErrCorrupt) {
				t.Fatalf("Open error = %v, want one wrapping ErrCorrupt", err)
			}
			// Open leaves the damaged files in place for inspection.
			if got := indexFiles(t, indexDir); !reflect.DeepEqual(got, tt.files) {
				t.Errorf("Open changed the index folder")
			}
			res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
			if err != nil {
				t.Fatalf("Update over a corrupt snapshot: %v", err)
			}
			if !strings.Contains(res.Rebuilt, snapshot.ErrCorrupt.Error()) {
				t.Errorf("Rebuilt = %q, want it to say %q", res.Rebuilt, snapshot.ErrCorrupt)
			}
			if !res.Saved {
				t.Errorf("Saved = false after a rebuild, want true")
			}
			if got, want := res.Summary.Added, len(good.Index.docs); got != want {
				t.Errorf("Added = %d, want %d", got, want)
			}
			ix, err := openDir(ctx, indexDir, cfg)
			if err != nil {
				t.Fatalf("Open after the rebuild: %v", err)
			}
			if !reflect.DeepEqual(allChunks(ix), allChunks(good.Index)) {
				t.Errorf("chunks after the rebuild differ from a clean build")
			}
			checkIndexFiles(t, indexDir)
		})
	}
}

// encodeV1 encodes ix as a snapshot of format version 1 (one file).
func encodeV1(tb testing.TB, ix *Index) []byte {
	tb.Helper()
	db := chromem.NewDB()
	coll, err := db.CreateCollection(snapshot.CollectionName, nil, snapshot.NoEmbedding)
	if err != nil {
		tb.Fatal(err)
	}
	data := wire.SnapshotV1{Versions: ix.versions, Created: time.Now().UTC(), Skipped: snapshot.WireSkipped(ix.skipped)}
	for _, e := range ix.docs {
		sd := ix.segmentDoc(e, nil)
		sd.Doc.Title, sd.Doc.Aliases = e.Title, e.Aliases
		data.Docs = append(data.Docs, sd.Doc)
		for k, v := range sd.Vectors {
			if v == nil {
				continue
			}
			// The embedder's own vector, as a version-1 citebot stored
			// it: the index keeps its rows quantized, and Row gives
			// those back, which chromem-go would scale to unit length
			// again.
			c := document.Chunk(sd.Doc.Chunks[k])
			v, err := ix.cfg.Embedder.Embed(context.Background(), embedText(e.Document, c))
			if err != nil {
				tb.Fatal(err)
			}
			if err := coll.AddDocument(context.Background(), chromem.Document{ID: snapshot.VectorID(c), Embedding: v}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	var vec bytes.Buffer
	if err := db.ExportToWriter(&vec, false, ""); err != nil {
		tb.Fatal(err)
	}
	data.Vectors = vec.Bytes()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&data); err != nil {
		tb.Fatal(err)
	}
	return encodeFile(snapshot.SnapshotMagicV1, b.Bytes())
}

func TestSaveFailureKeepsSnapshot(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	files := smallCorpus()
	docsDir, indexDir, built := buildIndexDir(t, files, cfg)
	snap := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile))
	manifest := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.ManifestFile))

	t.Run("index folder under a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		testdocs.WriteTree(t, filepath.Dir(file), map[string]string{"file": "x"})
		res, err := updateFolder(ctx, nil, docsDir, filepath.Join(file, "sub"), 0, cfg)
		if err == nil {
			t.Fatalf("Update into a folder under a file = %+v, nil error; want an error", res.Summary)
		}
		if _, err := built.Index.save(filepath.Join(file, "sub")); err == nil {
			t.Fatalf("Save into a folder under a file: nil error, want an error")
		}
	})
	t.Run("read-only index folder", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: a read-only folder is still writable")
		}
		testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"] + "A new paragraph about varroa mites.\n"})
		t.Cleanup(func() { testdocs.WriteTree(t, docsDir, map[string]string{"b.txt": files["b.txt"]}) })
		if err := os.Chmod(indexDir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(indexDir, 0o755) })
		if _, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg); err == nil {
			t.Fatalf("Update into a read-only folder: nil error, want an error")
		}
	})
	if got := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.SnapshotFile)); !bytes.Equal(got, snap) {
		t.Errorf("a failed save changed the existing snapshot")
	}
	if got := testdocs.ReadFile(t, filepath.Join(indexDir, snapshot.ManifestFile)); !bytes.Equal(got, manifest) {
		t.Errorf("a failed save changed the existing manifest")
	}
	checkIndexFiles(t, indexDir)
	if _, err := openDir(ctx, indexDir, cfg); err != nil {
		t.Errorf("Open after a failed save: %v", err)
	}
}

// A segment with one byte flipped keeps its size: Refresh (`citebot
// index`) must not call the index unchanged, but rebuild it, so that a
// serve started without its documents folder still has an index to open.
func TestRefreshRebuildsCorruptSegment(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir, _ := buildIndexDir(t, smallCorpus(), cfg)
	path := filepath.Join(indexDir, segmentNames(t, indexDir)[0])
	raw := testdocs.ReadFile(t, path)
	raw[len(raw)/2] ^= 0x01
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rebuilt == "" || res.Summary.Unchanged != 0 {
		t.Fatalf("a damaged segment was taken for an unchanged index: %+v", res.Summary)
	}
	if _, err := openDir(ctx, indexDir, cfg); err != nil {
		t.Errorf("the rebuilt index does not open: %v", err)
	}
	if again, err := refreshFolder(ctx, docsDir, indexDir, 0, cfg); err != nil || again.Rebuilt != "" || again.Summary.Unchanged != res.Summary.Added {
		t.Errorf("after the rebuild: %+v, %v; want unchanged", again.Summary, err)
	}
}

// A damaged byte in a segment's copy of a text: opening with the
// documents at hand does not read that copy and answers as before;
// citebot index (Refresh) checks every segment whole and rewrites it.
func TestDamagedTextCopy(t *testing.T) {
	ctx := context.Background()
	cfg := benchConfig(t)
	docsDir, indexDir, good := buildIndexDir(t, smallCorpus(), cfg)
	segName := segmentNames(t, indexDir)[0]
	damaged := indexFiles(t, indexDir)
	seg := slices.Clone(damaged[segName])
	seg[sectionAt(seg, 1)+3] ^= 0x20
	damaged[segName] = seg
	writeIndexFiles(t, indexDir, damaged)

	res, err := updateFolder(ctx, nil, docsDir, indexDir, 0, cfg)
	if err != nil || res.Rebuilt != "" {
		t.Fatalf("Update: %v, Rebuilt %q; want the documents' own text taken", err, res.Rebuilt)
	}
	sameRanking(t, res.Index, good.Index, loadQueries())
	if _, err := openDir(ctx, indexDir, cfg); !errors.Is(err, snapshot.ErrCorrupt) {
		t.Fatalf("Open without the documents: %v, want the damage found", err)
	}

	res, err = refreshFolder(ctx, docsDir, indexDir, 0, cfg)
	if err != nil || !res.Saved || !strings.Contains(res.Rebuilt, "text checksum mismatch") {
		t.Fatalf("Refresh: %v, Saved %v, Rebuilt %q; want the segment rewritten", err, res.Saved, res.Rebuilt)
	}
	if _, err := openDir(ctx, indexDir, cfg); err != nil {
		t.Fatalf("Open after the Refresh: %v", err)
	}
}
