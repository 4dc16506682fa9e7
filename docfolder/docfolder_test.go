package docfolder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citebot/answer"
	"citebot/corpus"
	"citebot/internal/testdocs"
	"citebot/loader/extract/extracttest"
	"citebot/retrieval"
)

var testDocs = map[string]string{
	"harbour.txt":   "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n",
	"sub/treaty.md": "# The Treaty of Examples\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n",
}

// env is a folder of testDocs, a live index over it and the Folder that
// writes into it.
type env struct {
	root, docs string
	live       *corpus.Live
	folder     *Folder
	reindexes  atomic.Int64
}

func newEnv(t *testing.T, maxBytes int64) *env {
	t.Helper()
	e := &env{root: t.TempDir()}
	e.docs = filepath.Join(e.root, "docs")
	testdocs.WriteTree(t, e.docs, testDocs)
	rc, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.live = corpus.New(ctx,
		func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
			e.reindexes.Add(1)
			return retrieval.NewFolderStore(filepath.Join(e.root, "index"), rc).Update(ctx, prev, retrieval.FromFolder(e.docs, maxBytes))
		},
		func(ix *retrieval.Index) corpus.AnswerFunc {
			return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
		}, corpus.Options{})
	if _, err := e.live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e.reindexes.Store(0)
	t.Cleanup(func() { cancel(); e.live.Wait() })
	e.folder = New(e.docs, maxBytes, e.live)
	return e
}

// indexed maps the served index's documents to their sha256.
func (e *env) indexed(t *testing.T) map[string]string {
	t.Helper()
	v, ok := e.live.View()
	if !ok {
		t.Fatal("no index")
	}
	out := map[string]string{}
	for _, d := range v.Documents() {
		out[d.ID] = d.SHA256
	}
	return out
}

var reportPages = [][]string{
	{"Glacier survey 2020", "The Brenndal glacier retreated 412 metres between 1990 and 2020."},
	{"Methods", "Positions were measured with differential GPS every autumn."},
}

func TestPut(t *testing.T) {
	e := newEnv(t, 1<<20)
	ctx := context.Background()
	const lighthouse = "Lighthouses\n\nThe Glimmerfen lighthouse was built in 1888 by Ada Brand.\n"
	put := func(name, content string) Report {
		t.Helper()
		rep, err := e.folder.Put(ctx, name, strings.NewReader(content))
		if err != nil {
			t.Fatalf("Put %s: %v", name, err)
		}
		if len(rep.Files) != 1 || rep.Files[0].Path != name {
			t.Fatalf("Put %s: files %+v", name, rep.Files)
		}
		return rep
	}

	rep := put("lighthouse.txt", lighthouse)
	if r := rep.Files[0]; r.Result != Added || r.Chunks == 0 || r.Reason != "" {
		t.Errorf("new file: %+v, want added with its chunks", r)
	}
	if rep.Added != 1 || rep.Unchanged != 2 {
		t.Errorf("summary %+v, want 1 added, 2 unchanged", rep.Summary)
	}
	if got := e.indexed(t)["lighthouse.txt"]; got != testdocs.SHA256Hex(lighthouse) {
		t.Errorf("the index holds lighthouse.txt as %q", got)
	}

	// The same bytes again: nothing written.
	path := filepath.Join(e.docs, "lighthouse.txt")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(path, old, old)
	if r := put("lighthouse.txt", lighthouse).Files[0]; r.Result != Unchanged {
		t.Errorf("same bytes: %+v, want unchanged", r)
	}
	if fi, err := os.Stat(path); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("same bytes: the file was rewritten (%v)", err)
	}

	// New bytes replace the file.
	const rebuilt = "Lighthouses\n\nThe Glimmerfen lighthouse was rebuilt in 1931.\n"
	if r := put("lighthouse.txt", rebuilt).Files[0]; r.Result != Changed {
		t.Errorf("new bytes: %+v, want changed", r)
	}
	if got := e.indexed(t)["lighthouse.txt"]; got != testdocs.SHA256Hex(rebuilt) {
		t.Errorf("after the change the index holds %q", got)
	}

	// A PDF in a new folder: pages and chunks.
	pdf := extracttest.PDF(reportPages...)
	if r := put("reports/2020/glacier.pdf", string(pdf)).Files[0]; r.Result != Added || r.Pages != 2 || r.Chunks == 0 {
		t.Errorf("PDF: %+v, want added with 2 pages", r)
	}

	// The first version under another name; then a duplicate, indexed
	// once, under the first name.
	if r := put("copy.txt", lighthouse).Files[0]; r.Result != Added || r.SameAs != "" {
		t.Errorf("copy: %+v", r)
	}
	if r := put("z-copy.txt", rebuilt).Files[0]; r.Result != Added || r.SameAs != "lighthouse.txt" {
		t.Errorf("duplicate: %+v, want added, same as lighthouse.txt", r)
	}

	want := map[string]string{"harbour.txt": testDocs["harbour.txt"], "sub/treaty.md": testDocs["sub/treaty.md"],
		"lighthouse.txt": rebuilt, "reports/2020/glacier.pdf": string(pdf), "copy.txt": lighthouse, "z-copy.txt": rebuilt}
	if got := testdocs.ReadTree(t, e.docs); !mapsEqual(got, want) {
		t.Errorf("the folder holds %v, want %v (no temporary file left)", keys(got), keys(want))
	}
}

// TestPutRefused: files the loader would skip are refused with its reason
// and not kept, and no reindex runs for them; errors keep nothing.
func TestPutRefused(t *testing.T) {
	e := newEnv(t, 64<<10)
	ctx := context.Background()
	before := testdocs.ReadTree(t, e.docs)
	tests := []struct {
		name    string
		body    string
		reason  string // for a file skipped
		wantErr error  // for a call that fails
	}{
		{"locked.pdf", string(extracttest.EncryptedPDF("secret", reportPages...)), "encrypted PDF", nil},
		{"locked.docx", string(extracttest.EncryptedDOCX()), "encrypted DOCX", nil},
		{"scan.pdf", string(extracttest.PDF([]string{})), "no extractable text", nil},
		{"empty.txt", "", "empty", nil},
		{"utf16.txt", "h\x00i\x00 \x00", "binary", nil},
		{"binary.md", "PK\x03\x04\x00\x00", "binary", nil},
		{"tool.exe", "MZ\x90\x00", "unsupported file type", nil},
		{"archive.zip", "PK", "unsupported file type", nil},
		{"big.txt", strings.Repeat("x", 64<<10+1), "", ErrTooLarge},
		{"../escape.txt", "x", "", ErrBadPath},
		{"CON.txt", "x", "", ErrBadPath},
		{".hidden.txt", "x", "", ErrBadPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := e.folder.Put(ctx, tt.name, strings.NewReader(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Files) != 1 || rep.Files[0].Result != Skipped || !strings.Contains(rep.Files[0].Reason, tt.reason) || !rep.Refused() {
				t.Errorf("files %+v, want skipped saying %q", rep.Files, tt.reason)
			}
		})
	}
	if got := testdocs.ReadTree(t, e.docs); !mapsEqual(got, before) {
		t.Errorf("the folder holds %v, want only what it held (%v)", keys(got), keys(before))
	}
	if n := e.reindexes.Load(); n != 0 {
		t.Errorf("%d reindexes for refused files, want none", n)
	}
}

func TestPutAll(t *testing.T) {
	e := newEnv(t, 1<<20)
	ctx := context.Background()
	seq := func(fs ...File) func(func(File, error) bool) {
		return func(yield func(File, error) bool) {
			for _, f := range fs {
				if !yield(f, nil) {
					return
				}
			}
		}
	}
	before := testdocs.ReadTree(t, e.docs)

	// A bad name anywhere: nothing kept, whatever came before it.
	_, err := e.folder.PutAll(ctx, seq(File{"a.txt", strings.NewReader("Alpha notes.\n")}, File{"b/../../x.txt", strings.NewReader("x")}))
	if !errors.Is(err, ErrBadPath) {
		t.Errorf("a bad name second: %v, want ErrBadPath", err)
	}
	// A body that fails: nothing kept.
	_, err = e.folder.PutAll(ctx, seq(File{"a.txt", strings.NewReader("Alpha notes.\n")}, File{"b.txt", io.MultiReader(strings.NewReader("Bravo"), errReader{})}))
	if !errors.Is(err, ErrUpload) {
		t.Errorf("a failing body: %v, want ErrUpload", err)
	}
	// The iterator's own error.
	_, err = e.folder.PutAll(ctx, func(yield func(File, error) bool) {
		if yield(File{"a.txt", strings.NewReader("Alpha notes.\n")}, nil) {
			yield(File{}, errors.New("malformed part"))
		}
	})
	if !errors.Is(err, ErrUpload) || !strings.Contains(err.Error(), "malformed part") {
		t.Errorf("the iterator's error: %v", err)
	}
	if got := testdocs.ReadTree(t, e.docs); !mapsEqual(got, before) {
		t.Errorf("after failed calls the folder holds %v, want %v", keys(got), keys(before))
	}
	if n := e.reindexes.Load(); n != 0 {
		t.Errorf("%d reindexes after failed calls", n)
	}

	// Several files, one refused: one reindex for the others.
	rep, err := e.folder.PutAll(ctx, seq(
		File{"notes/a.txt", strings.NewReader("Alpha notes\n\nThe alpha station opened in 1901.\n")},
		File{"notes/locked.pdf", strings.NewReader(string(extracttest.EncryptedPDF("pw", reportPages...)))},
		File{"harbour.txt", strings.NewReader(testDocs["harbour.txt"])},
		File{"notes/b.md", strings.NewReader("# Bravo\n\nThe bravo station closed in 1950.\n")},
	))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Files {
		got = append(got, f.Path+" "+f.Result)
	}
	want := []string{"notes/a.txt added", "notes/locked.pdf skipped", "harbour.txt unchanged", "notes/b.md added"}
	if !slices.Equal(got, want) || rep.Refused() {
		t.Errorf("results %q, want %q", got, want)
	}
	if rep.Added != 2 || e.reindexes.Load() != 1 {
		t.Errorf("summary %+v after %d reindexes, want 2 added by one", rep.Summary, e.reindexes.Load())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestPutAfterReindexSkips: a file the loader reads but the index skips
// (nothing but site chrome) is reported skipped with the index's reason.
func TestPutAfterReindexSkips(t *testing.T) {
	e := newEnv(t, 1<<20)
	rep, err := e.folder.Put(context.Background(), "chrome.txt", strings.NewReader("Translate this page:\nYour profile\n\nBack to contents\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Files[0]; r.Result != Skipped || !strings.Contains(r.Reason, "no text to index") {
		t.Errorf("%+v, want skipped: no text to index", r)
	}
}

func TestRemove(t *testing.T) {
	e := newEnv(t, 1<<20)
	ctx := context.Background()
	rep, err := e.folder.Remove(ctx, "sub/treaty.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0] != (FileResult{Path: "sub/treaty.md", Result: Removed}) || rep.Removed != 1 {
		t.Errorf("report %+v", rep)
	}
	if _, ok := e.indexed(t)["sub/treaty.md"]; ok {
		t.Error("the removed document is still indexed")
	}
	if _, err := os.Stat(filepath.Join(e.docs, "sub", "treaty.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	for _, tt := range []struct {
		id   string
		want error
	}{
		{"sub/treaty.md", ErrNotFound},
		{"nothing.txt", ErrNotFound},
		{"sub", ErrNotFound},
		{"sub.txt", ErrNotFound},
		{"../docs/harbour.txt", ErrBadPath},
		{"harbour.txt%00", ErrNotFound},
		{"harbour.txt\x00", ErrBadPath},
		{"harbour.txt", ErrLastDocument},
	} {
		if _, err := e.folder.Remove(ctx, tt.id); !errors.Is(err, tt.want) {
			t.Errorf("Remove(%q): %v, want %v", tt.id, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(e.docs, "harbour.txt")); err != nil {
		t.Errorf("the last document was removed: %v", err)
	}
}

// TestSymbolicLinks: nothing is written through a link, whether it points
// out of the folder or within it.
func TestSymbolicLinks(t *testing.T) {
	e := newEnv(t, 1<<20)
	ctx := context.Background()
	outside := filepath.Join(e.root, "outside")
	testdocs.WriteTree(t, outside, map[string]string{"secret.txt": "TOP SECRET\n"})
	if err := os.Symlink(outside, filepath.Join(e.docs, "out")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(e.docs, "secret.txt"))
	os.Symlink("sub", filepath.Join(e.docs, "inner"))

	for _, name := range []string{"out/new.txt", "out/secret.txt", "inner/new.txt"} {
		rep, err := e.folder.Put(ctx, name, strings.NewReader("Overwritten?\n"))
		if err != nil || !rep.Refused() || !strings.Contains(rep.Files[0].Reason, "symbolic link") {
			t.Errorf("Put %s: %+v, %v; want skipped: a symbolic link", name, rep.Files, err)
		}
	}
	// A link in the file's own place is replaced, not followed.
	if _, err := e.folder.Put(ctx, "secret.txt", strings.NewReader("Replaced notes\n\nThe link became a file.\n")); err != nil {
		t.Fatal(err)
	}
	if got := testdocs.ReadTree(t, outside); !mapsEqual(got, map[string]string{"secret.txt": "TOP SECRET\n"}) {
		t.Errorf("outside the folder: %v", got)
	}
	if fi, err := os.Lstat(filepath.Join(e.docs, "secret.txt")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("secret.txt in the folder: %v, %v; want a regular file", fi, err)
	}
	if _, err := e.folder.Remove(ctx, "out/secret.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove through a link: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "secret.txt")); err != nil {
		t.Errorf("the file outside is gone: %v", err)
	}
}

func TestNoFolder(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "missing")} {
		f := New(dir, 0, nil)
		if _, err := f.Put(ctx, "a.txt", strings.NewReader("a")); !errors.Is(err, ErrNoFolder) {
			t.Errorf("Put into %q: %v, want ErrNoFolder", dir, err)
		}
		if _, err := f.Remove(ctx, "a.txt"); !errors.Is(err, ErrNoFolder) {
			t.Errorf("Remove from %q: %v, want ErrNoFolder", dir, err)
		}
		if err := f.Writable(); !errors.Is(err, ErrNoFolder) {
			t.Errorf("Writable %q: %v, want ErrNoFolder", dir, err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	e := newEnv(t, 1<<20)
	if err := e.folder.Writable(); err != nil {
		t.Fatalf("Writable before: %v", err)
	}
	before := testdocs.ReadTree(t, e.docs)
	testdocs.ReadOnly(t, e.docs)
	if err := e.folder.Writable(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Writable: %v, want ErrReadOnly", err)
	}
	if got := testdocs.ReadTree(t, e.docs); !mapsEqual(got, before) {
		t.Errorf("Writable left files behind: %v", got)
	}
	ctx := context.Background()
	if _, err := e.folder.Put(ctx, "new.txt", strings.NewReader("New notes\n\nA fact.\n")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put: %v, want ErrReadOnly", err)
	}
	if _, err := e.folder.Remove(ctx, "harbour.txt"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Remove: %v, want ErrReadOnly", err)
	}
}

func TestClean(t *testing.T) {
	e := newEnv(t, 1<<20)
	stale := filepath.Join(e.docs, tempPrefix+"0000000000000001.tmp")
	fresh := filepath.Join(e.docs, tempPrefix+"0000000000000002.tmp")
	other := filepath.Join(e.docs, ".keep")
	for _, p := range []string{stale, fresh, other} {
		os.WriteFile(p, []byte("half a fi"), 0o644)
	}
	old := time.Now().Add(-2 * staleAfter)
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)
	removed, err := e.folder.Clean()
	if err != nil || !slices.Equal(removed, []string{filepath.Base(stale)}) {
		t.Errorf("Clean: %q, %v; want the stale temporary file only", removed, err)
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

// TestConcurrentPuts: files put at once are all indexed, and share
// reindexes.
func TestConcurrentPuts(t *testing.T) {
	e := newEnv(t, 1<<20)
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.folder.Put(context.Background(), fmt.Sprintf("many/doc-%02d.md", i),
				strings.NewReader(fmt.Sprintf("# Station %d\n\nStation %d recorded %d storms.\n", i, i, 100+i)))
		})
	}
	wg.Wait()
	indexed := e.indexed(t)
	for i := range n {
		if errs[i] != nil {
			t.Errorf("put %d: %v", i, errs[i])
		}
		if _, ok := indexed[fmt.Sprintf("many/doc-%02d.md", i)]; !ok {
			t.Errorf("doc %d is not indexed", i)
		}
	}
	if got := e.reindexes.Load(); got >= n {
		t.Errorf("%d reindexes for %d files put at once, want them shared", got, n)
	}
	t.Logf("%d files put at once: %d reindexes", n, e.reindexes.Load())
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
