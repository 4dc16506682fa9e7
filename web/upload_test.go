package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"citebot/answer"
	"citebot/corpus"
	"citebot/docfolder"
	"citebot/internal/testdocs"
	"citebot/loader/extract/extracttest"
	"citebot/retrieval"
)

// folderDocs are the files of the documents folder the upload tests
// change.
var folderDocs = map[string]string{
	"harbour.txt":   "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n",
	"sub/treaty.md": "# The Treaty of Examples\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n",
}

// folderEnv is a documents folder, a live index over it, the
// docfolder.Folder that writes it (as citebot serve wires them) and the
// page.
type folderEnv struct {
	docs   string
	live   *corpus.Live
	folder *docfolder.Folder
	h      *Handler
	broken atomic.Bool // the reindexes fail
}

func newFolderEnv(t *testing.T, cfg Config) *folderEnv {
	t.Helper()
	root := t.TempDir()
	e := &folderEnv{docs: filepath.Join(root, "docs")}
	testdocs.WriteTree(t, e.docs, folderDocs)
	rc, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.live = corpus.New(ctx, func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		if e.broken.Load() {
			return retrieval.UpdateResult{}, errors.New("the index's disk is on fire")
		}
		return retrieval.NewMemoryStore(rc).Update(ctx, prev, retrieval.FromFolder(e.docs, 1<<20))
	}, func(ix *retrieval.Index) corpus.AnswerFunc {
		return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
	}, corpus.Options{})
	if _, err := e.live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); e.live.Wait() })
	e.folder = docfolder.New(e.docs, 1<<20, e.live)
	if cfg.AdminToken == "" {
		cfg.AdminToken = adminToken
	}
	cfg.Documents = e.folder
	e.h = New(cfg, e.live, e.live, testLogger())
	return e
}

// part is one part of a multipart body: a field, or a file when it has a
// file name.
type part struct {
	name, filename, body string
}

// postMultipart posts the parts, in their order, as a browser sends a
// form with enctype="multipart/form-data".
func (b *browser) postMultipart(target string, parts ...part) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" || p.name == "file" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write([]byte(p.body))
	}
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(r)
}

// results reads the per-file results of a page: each line's data-result
// and text.
func results(t *testing.T, body string) (kinds []string, lines []string) {
	t.Helper()
	sec := byID(parse(t, body), "upload-result")
	if sec == nil {
		t.Fatalf("no #upload-result on the page:\n%s", body)
	}
	for _, li := range byTag(sec, "li") {
		kinds = append(kinds, attr(li, "data-result"))
		lines = append(lines, text(li))
	}
	return kinds, lines
}

// The upload form: multipart, its CSRF token first, the file input and
// the drop zone; files chosen in it are added, replaced or left alone,
// an encrypted PDF and a name no document may have are skipped with
// their reasons and not kept, and the new document answers at once.
func TestUpload(t *testing.T) {
	e := newFolderEnv(t, Config{})
	b := newBrowser(t, e.h)
	b.signIn()
	_, body := b.get("/admin")
	page := parse(t, body)
	form := mustID(t, page, "upload")
	if attr(form, "method") != "post" || attr(form, "action") != "/admin/upload" || attr(form, "enctype") != "multipart/form-data" {
		t.Errorf("the upload form: %v", form.Attr)
	}
	inputs := byTag(form, "input")
	if len(inputs) == 0 || attr(inputs[0], "name") != "csrf" {
		t.Error("the upload form's first field is not its CSRF token")
	}
	files := mustID(t, form, "files")
	if attr(files, "type") != "file" || attr(files, "name") != "file" || !hasAttr(files, "multiple") {
		t.Errorf("the file input: %v", files.Attr)
	}
	if zone := mustID(t, form, "dropzone"); byID(zone, "files") == nil {
		t.Error("the file input is not inside the drop zone")
	}
	if hint := text(mustID(t, page, "files-hint")); !strings.Contains(hint, "at most 1 MiB each") {
		t.Errorf("the hint %q does not give the size limit", hint)
	}
	token := csrf(t, body, "upload")

	const fact = "The Brenndal glacier retreated 412 metres between 1990 and 2020.\n"
	res, body := b.postMultipart("/admin/upload",
		part{"csrf", "", token},
		part{"file", "glacier.txt", "Glacier notes\n\n" + fact},
		part{"file", "harbour.txt", folderDocs["harbour.txt"]},
		part{"file", "locked.pdf", string(extracttest.EncryptedPDF("pw", []string{"Secret", "Nothing to see."}))},
		part{"file", "CON.txt", "A device name.\n"},
		part{"file", "", ""}, // a file input with nothing chosen
	)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("upload: status %d", res.StatusCode)
	}
	kinds, lines := results(t, body)
	if want := []string{"added", "unchanged", "skipped", "skipped"}; !slices.Equal(kinds, want) {
		t.Fatalf("results %q (%q), want %q", kinds, lines, want)
	}
	for i, want := range []string{"Added: glacier.txt — ", "Unchanged: harbour.txt", "Skipped: locked.pdf — encrypted PDF", "Skipped: CON.txt — not a valid document path"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d reads %q, want %q in it", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[0], "chunks") {
		t.Errorf("the added file's line %q does not give its chunks", lines[0])
	}
	if got := testdocs.Names(t, e.docs); !slices.Equal(got, []string{"glacier.txt", "harbour.txt", "sub"}) {
		t.Errorf("the folder holds %q; the skipped files must not be kept", got)
	}
	link := bySelector(mustID(t, parse(t, body), "upload-result"), "a.file")
	if len(link) == 0 || attr(link[0], "href") != "/documents/glacier.txt" {
		t.Error("the added file does not link to the viewer")
	}
	if row := findRow(t, body, "glacier.txt"); row == nil {
		t.Error("the new document is not in the maintainers' list")
	}
	_, answerPage := b.get("/?q=" + url.QueryEscape("How far did the Brenndal glacier retreat?"))
	if !strings.Contains(answerPage, "/documents/glacier.txt?start=") {
		t.Error("the new document does not answer")
	}

	// The same name with other bytes replaces it.
	_, body = b.get("/admin")
	_, body = b.postMultipart("/admin/upload", part{"csrf", "", csrf(t, body, "upload")},
		part{"file", "glacier.txt", "Glacier notes\n\nThe glacier retreated 500 metres.\n"})
	if kinds, _ := results(t, body); !slices.Equal(kinds, []string{"changed"}) {
		t.Errorf("replacing: %q, want changed", kinds)
	}
	if got, _ := os.ReadFile(filepath.Join(e.docs, "glacier.txt")); !strings.Contains(string(got), "500 metres") {
		t.Errorf("the file holds %q", got)
	}
}

// findRow is the maintainers' list's row of a document.
func findRow(t *testing.T, body, id string) *html.Node {
	t.Helper()
	table := byID(parse(t, body), "folder")
	if table == nil {
		return nil
	}
	for _, tr := range byTag(table, "tr") {
		for _, in := range byTag(tr, "input") {
			if attr(in, "name") == "id" && attr(in, "value") == id {
				return tr
			}
		}
	}
	return nil
}

// Uploads the page refuses: nothing is read into the folder for them.
func TestUploadRefused(t *testing.T) {
	e := newFolderEnv(t, Config{Keys: testKeyring(t)})
	before := testdocs.Names(t, e.docs)
	newFile := part{"file", "new.txt", "New notes\n\nA new fact.\n"}
	signedIn := func(t *testing.T) (*browser, string) {
		b := newBrowser(t, e.h)
		b.signIn()
		_, body := b.get("/admin")
		return b, csrf(t, body, "upload")
	}
	check := func(t *testing.T, res *http.Response, body string, status int, want string) {
		t.Helper()
		if res.StatusCode != status || !strings.Contains(body, want) {
			t.Errorf("status %d, want %d with %q", res.StatusCode, status, want)
		}
		if got := testdocs.Names(t, e.docs); !slices.Equal(got, before) {
			t.Errorf("the folder holds %q, want %q", got, before)
		}
	}
	t.Run("no CSRF token", func(t *testing.T) {
		b, _ := signedIn(t)
		res, body := b.postMultipart("/admin/upload", newFile)
		check(t, res, body, http.StatusForbidden, "The form has expired")
	})
	t.Run("a wrong CSRF token", func(t *testing.T) {
		b, _ := signedIn(t)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", "forged"}, newFile)
		check(t, res, body, http.StatusForbidden, "The form has expired")
	})
	t.Run("the token after the files", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.postMultipart("/admin/upload", newFile, part{"csrf", "", token})
		check(t, res, body, http.StatusForbidden, "The form has expired")
	})
	t.Run("signed out", func(t *testing.T) {
		b := newBrowser(t, e.h)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", "x"}, newFile)
		check(t, res, body, http.StatusUnauthorized, `id="signin"`)
	})
	t.Run("signed in with a read key", func(t *testing.T) {
		b := newBrowser(t, e.h)
		b.signInWithKey(aliceKey, "/admin")
		_, body := b.get("/admin")
		if byID(parse(t, body), "upload") != nil || byID(parse(t, body), "signin") == nil {
			t.Error("a read key opens the maintainers' view")
		}
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", b.readCSRF()}, newFile)
		check(t, res, body, http.StatusUnauthorized, `id="signin"`)
	})
	t.Run("cross-site", func(t *testing.T) {
		b, token := signedIn(t)
		b.header.Set("Sec-Fetch-Site", "cross-site")
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", token}, newFile)
		check(t, res, body, http.StatusForbidden, "")
	})
	t.Run("not multipart", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.post("/admin/upload", url.Values{"csrf": {token}, "file": {"new.txt"}})
		check(t, res, body, http.StatusBadRequest, "multipart/form-data")
	})
	t.Run("no file chosen", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", token}, part{"file", "", ""})
		check(t, res, body, http.StatusBadRequest, "Choose one or more files first.")
	})
	t.Run("every file skipped", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", token},
			part{"file", "locked.pdf", string(extracttest.EncryptedPDF("pw", []string{"Secret"}))})
		check(t, res, body, http.StatusUnprocessableEntity, "encrypted PDF")
		if kinds, _ := results(t, body); !slices.Equal(kinds, []string{"skipped"}) {
			t.Errorf("results %q", kinds)
		}
	})
	t.Run("a path out of the folder", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", token}, part{"file", "../escape.txt", "x\n"})
		check(t, res, body, http.StatusUnprocessableEntity, "not a valid document path")
		if _, err := os.Stat(filepath.Join(filepath.Dir(e.docs), "escape.txt")); err == nil {
			t.Error("a file was written outside the folder")
		}
	})
	t.Run("too large", func(t *testing.T) {
		b, token := signedIn(t)
		res, body := b.postMultipart("/admin/upload", part{"csrf", "", token}, newFile, part{"file", "big.txt", strings.Repeat("x", 1<<20+1)})
		check(t, res, body, http.StatusRequestEntityTooLarge, "Nothing was done: file too large")
	})
}

// Removing a document asks first on a page of its own (no dialog, no
// script needed), and only the confirmation's form removes it.
func TestDelete(t *testing.T) {
	e := newFolderEnv(t, Config{})
	b := newBrowser(t, e.h)
	b.signIn()
	_, body := b.get("/admin")
	row := findRow(t, body, "sub/treaty.md")
	if row == nil {
		t.Fatal("no row with a remove form for sub/treaty.md")
	}
	form := bySelector(row, "form.delete")
	if len(form) != 1 || attr(form[0], "action") != "/admin/delete" || attr(form[0], "method") != "get" {
		t.Fatalf("the remove form: %v", form)
	}
	if n := len(bySelector(parse(t, body), "form.delete")); n != 2 {
		t.Errorf("%d remove forms, want one per document (2)", n)
	}

	res, body := b.get("/admin/delete?id=" + url.QueryEscape("sub/treaty.md"))
	page := parse(t, body)
	confirm := mustID(t, page, "confirm-delete")
	if res.StatusCode != http.StatusOK || !strings.Contains(text(page), "Remove sub/treaty.md (The Treaty of Examples)") {
		t.Errorf("the question: status %d, %q", res.StatusCode, text(page))
	}
	if _, err := os.Stat(filepath.Join(e.docs, "sub", "treaty.md")); err != nil {
		t.Fatalf("asking removed the file: %v", err)
	}
	if cancel := bySelector(page, "a"); !slices.ContainsFunc(cancel, func(a *html.Node) bool { return attr(a, "href") == "/admin" && text(a) == "Cancel" }) {
		t.Error("no way back from the question")
	}
	token := csrf(t, body, "confirm-delete")

	res, _ = b.post(attr(confirm, "action"), url.Values{"id": {"sub/treaty.md"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: status %d, want 403", res.StatusCode)
	}
	res, body = b.post(attr(confirm, "action"), url.Values{"csrf": {token}, "id": {"sub/treaty.md"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("remove: status %d", res.StatusCode)
	}
	if kinds, lines := results(t, body); !slices.Equal(kinds, []string{"removed"}) || !strings.Contains(lines[0], "Removed: sub/treaty.md") {
		t.Errorf("results %q %q", kinds, lines)
	}
	if _, err := os.Stat(filepath.Join(e.docs, "sub", "treaty.md")); err == nil {
		t.Error("the file is still there")
	}
	if findRow(t, body, "sub/treaty.md") != nil {
		t.Error("the removed document is still listed")
	}

	for _, tt := range []struct {
		id     string
		status int
		want   string
	}{
		{"sub/treaty.md", http.StatusNotFound, "no such document"},
		{"../harbour.txt", http.StatusBadRequest, "not a valid document path"},
		{"harbour.txt", http.StatusConflict, "the last document cannot be removed"},
	} {
		res, body := b.post("/admin/delete", url.Values{"csrf": {token}, "id": {tt.id}})
		if res.StatusCode != tt.status || !strings.Contains(text(mustID(t, parse(t, body), "upload-result")), tt.want) {
			t.Errorf("remove %s: status %d, want %d saying %q", tt.id, res.StatusCode, tt.status, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(e.docs, "harbour.txt")); err != nil {
		t.Errorf("the last document: %v", err)
	}
}

// Without a documents folder, or with one that cannot be written, the
// view says why documents cannot be added or removed, and offers neither.
func TestUploadUnavailable(t *testing.T) {
	live := newTestLive(t, true)
	none := New(Config{AdminToken: adminToken}, live, live, testLogger())
	readOnly := newFolderEnv(t, Config{})
	testdocs.ReadOnly(t, readOnly.docs)
	for _, tt := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"no folder", none, "this server has no documents folder"},
		{"read-only", readOnly.h, "the documents folder is read-only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, tt.h)
			b.signIn()
			_, body := b.get("/admin")
			page := parse(t, body)
			if got := text(mustID(t, page, "upload-unavailable")); !strings.Contains(got, tt.want) {
				t.Errorf("the notice %q, want %q", got, tt.want)
			}
			if byID(page, "upload") != nil || len(bySelector(page, "form.delete")) != 0 {
				t.Error("an upload or remove form shows")
			}
			if byID(page, "folder") == nil {
				t.Error("the documents are not listed")
			}
		})
	}
	b := newBrowser(t, none)
	b.signIn()
	_, body := b.get("/admin")
	token := csrf(t, body, "reindex")
	res, body := b.postMultipart("/admin/upload", part{"csrf", "", token}, part{"file", "new.txt", "New.\n"})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "no documents folder") {
		t.Errorf("upload without a folder: status %d", res.StatusCode)
	}
	res, _ = b.post("/admin/delete", url.Values{"csrf": {token}, "id": {"harbour.txt"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("remove without a folder: status %d", res.StatusCode)
	}
}

// A reindex that fails after the files are in place: the page says the
// change is made but not searchable yet, and lists the files.
func TestUploadReindexFails(t *testing.T) {
	e := newFolderEnv(t, Config{})
	b := newBrowser(t, e.h)
	b.signIn()
	_, body := b.get("/admin")
	e.broken.Store(true)
	res, body := b.postMultipart("/admin/upload", part{"csrf", "", csrf(t, body, "upload")}, part{"file", "new.txt", "New notes\n\nA new fact.\n"})
	result := text(mustID(t, parse(t, body), "upload-result"))
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(result, "Done, but not searchable yet") ||
		!strings.Contains(result, "disk is on fire") || !strings.Contains(result, "new.txt") {
		t.Errorf("status %d, result %q", res.StatusCode, result)
	}
	if _, err := os.Stat(filepath.Join(e.docs, "new.txt")); err != nil {
		t.Errorf("the file: %v", err)
	}
}
