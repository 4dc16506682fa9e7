package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/docfolder"
	"citebot/internal/testdocs"
	"citebot/loader/extract/extracttest"
)

// uploadLimit is the test folder's --max-file-bytes: over the 64 KiB of
// JSON bodies, so that a file between the two shows that limit does not
// apply to uploads.
const uploadLimit = 256 << 10

// lateFolder is the documents folder of a test server, made once the
// server's corpus exists.
type lateFolder struct{ *docfolder.Folder }

// newUploadEnv is newTestEnv with the documents folder writable through
// the API.
func newUploadEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	lf := &lateFolder{}
	cfg.Documents = lf
	env := newTestEnv(t, cfg, true)
	lf.Folder = docfolder.New(env.Docs, uploadLimit, env.Live)
	return env
}

// changes is a documents change's answer, decoded strictly.
type changes struct {
	summary
	Files []docfolder.FileResult `json:"files"`
	// Duplicates is part of the summary too.
	Duplicates []map[string]string `json:"duplicates"`
}

func decodeChanges(t testing.TB, r response, status int) changes {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d (%s), want %d", r.Status, r.Body, status)
	}
	checkJSONType(t, r)
	var c changes
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return c
}

// results lists "path result" of each file.
func (c changes) results() []string {
	var out []string
	for _, f := range c.Files {
		out = append(out, f.Path+" "+f.Result)
	}
	return out
}

// refused decodes a 422: the error object and the files' results.
func refused(t testing.TB, r response) (code, message string, files []docfolder.FileResult) {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d (%s), want 422", r.Status, r.Body)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
		Files []docfolder.FileResult         `json:"files"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return body.Error.Code, body.Error.Message, body.Files
}

var bearerAdmin = []string{"Authorization", "Bearer " + adminToken}

func (e *testEnv) put(t testing.TB, id string, body []byte, header ...string) response {
	t.Helper()
	return do(t, http.MethodPut, e.Server.URL+"/v1/documents/"+id, body, header...)
}

// part is one part of a multipart body: a field, or a file when
// filename is set.
type part struct{ field, filename, content string }

func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.field)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
			h.Set("Content-Type", "application/octet-stream")
		}
		h.Set("Content-Disposition", disp)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.content)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func (e *testEnv) upload(t testing.TB, parts ...part) response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return do(t, http.MethodPost, e.Server.URL+"/v1/documents", body, append([]string{"Content-Type", ct}, bearerAdmin...)...)
}

func TestDocumentChangesAuth(t *testing.T) {
	t.Parallel()
	enabled := newUploadEnv(t, Config{AdminToken: adminToken})
	disabled := newUploadEnv(t, Config{})
	noFolder := newTestEnv(t, Config{AdminToken: adminToken}, true)
	body, ct := multipartBody(t, part{"file", "a.txt", "Alpha notes.\n"})
	requests := []struct{ method, path string }{
		{"PUT", "/v1/documents/a.txt"}, {"POST", "/v1/documents"}, {"DELETE", "/v1/documents/harbour.txt"},
	}
	tests := []struct {
		name   string
		env    *testEnv
		auth   []string
		status int
		code   string
	}{
		{"no Authorization", enabled, nil, 401, "unauthorized"},
		{"wrong token", enabled, []string{"Authorization", "Bearer wrong"}, 401, "unauthorized"},
		{"Basic scheme", enabled, []string{"Authorization", "Basic " + adminToken}, 401, "unauthorized"},
		{"no token configured", disabled, bearerAdmin, 403, "writes_disabled"},
		{"no documents folder", noFolder, bearerAdmin, 409, "no_documents_folder"},
	}
	for _, tt := range tests {
		for _, rq := range requests {
			t.Run(tt.name+"/"+rq.method, func(t *testing.T) {
				r := do(t, rq.method, tt.env.Server.URL+rq.path, body, append([]string{"Content-Type", ct}, tt.auth...)...)
				checkError(t, r, tt.status, tt.code)
				if tt.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate: %q", r.Header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	for _, env := range []*testEnv{enabled, disabled, noFolder} {
		if _, err := os.Stat(filepath.Join(env.Docs, "a.txt")); err == nil {
			t.Error("a refused request wrote a.txt")
		}
		if _, err := os.Stat(filepath.Join(env.Docs, "harbour.txt")); err != nil {
			t.Errorf("a refused request removed harbour.txt: %v", err)
		}
	}
}

func TestPutDocument(t *testing.T) {
	t.Parallel()
	env := newUploadEnv(t, Config{AdminToken: adminToken})
	// Over the 64 KiB of JSON bodies, within the folder's limit.
	var text strings.Builder
	text.WriteString("# Glacier survey\n\nThe Brenndal glacier retreated 412 metres between 1990 and 2020.\n\n")
	for text.Len() < 100<<10 {
		fmt.Fprintf(&text, "Measurement %d was taken in autumn with differential GPS.\n\n", text.Len())
	}
	c := decodeChanges(t, env.put(t, "surveys/glacier.md", []byte(text.String()), bearerAdmin...), 200)
	if f := c.Files; len(f) != 1 || f[0].Path != "surveys/glacier.md" || f[0].Result != "added" || f[0].Chunks == 0 {
		t.Errorf("files %+v, want surveys/glacier.md added with its chunks", f)
	}
	if c.Added != 1 || c.Unchanged != len(testDocs) || c.Chunks != env.Live.Index().NumChunks() {
		t.Errorf("summary %+v", c.summary)
	}
	if got := env.docBytes(t, "surveys/glacier.md"); got != text.String() {
		t.Errorf("GET the new document: %d bytes, want %d", len(got), text.Len())
	}
	if a := env.ask(t, "How far did the Brenndal glacier retreat?"); !a.Found || a.Citations[0].Document != "surveys/glacier.md" {
		t.Errorf("the new document is not answered from: %+v", a)
	}
	c = decodeChanges(t, env.put(t, "surveys/glacier.md", []byte(text.String()), bearerAdmin...), 200)
	if got := c.results(); len(got) != 1 || got[0] != "surveys/glacier.md unchanged" {
		t.Errorf("same bytes: %q", got)
	}

	// Over the limit: by the declared length, and streamed without one.
	big := bytes.Repeat([]byte("x"), uploadLimit+1)
	checkError(t, env.put(t, "big.txt", big, bearerAdmin...), 413, "file_too_large")
	req, _ := http.NewRequest(http.MethodPut, env.Server.URL+"/v1/documents/big.txt", io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.ContentLength = -1
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkError(t, response{resp.StatusCode, resp.Header, b}, 413, "file_too_large")

	// Refused files: 422 with the reason, nothing kept.
	for name, body := range map[string][]byte{
		"locked.pdf": extracttest.EncryptedPDF("secret", []string{"Secret report", "Nothing to see."}),
		"tool.exe":   []byte("MZ"),
		"empty.md":   nil,
	} {
		code, msg, files := refused(t, env.put(t, name, body, bearerAdmin...))
		if code != "unindexable" || !strings.HasPrefix(msg, name+": ") || len(files) != 1 || files[0].Result != "skipped" || files[0].Reason == "" {
			t.Errorf("%s: %s %q %+v", name, code, msg, files)
		}
		if _, err := os.Stat(filepath.Join(env.Docs, name)); err == nil {
			t.Errorf("%s was kept", name)
		}
	}
	checkError(t, env.put(t, "..%2fescape.txt", []byte("x"), bearerAdmin...), 400, "bad_path")
	checkError(t, env.put(t, "", []byte("x"), bearerAdmin...), 400, "bad_path")
	for _, p := range testdocs.BadNames {
		if strings.Contains(p, "//") {
			continue // the mux redirects to the clean path first
		}
		if r := env.put(t, p, []byte("Some text.\n"), bearerAdmin...); r.Status != 400 {
			t.Errorf("PUT %q: %d %s, want 400", p, r.Status, r.Body)
		}
	}
	names := testdocs.Names(t, env.Docs)
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			t.Errorf("left in the folder: %s", n)
		}
	}
}

func TestPostDocuments(t *testing.T) {
	t.Parallel()
	env := newUploadEnv(t, Config{AdminToken: adminToken})
	c := decodeChanges(t, env.upload(t,
		part{"folder", "", "notes/2024/"},
		part{"file", "alpha.txt", "Alpha notes\n\nThe alpha station opened in 1901.\n"},
		part{"file", "deep/bravo.md", "# Bravo\n\nThe bravo station closed in 1950.\n"},
		part{"file", "locked.pdf", string(extracttest.EncryptedPDF("pw", []string{"Locked", "Text."}))},
	), 200)
	want := []string{"notes/2024/alpha.txt added", "notes/2024/deep/bravo.md added", "notes/2024/locked.pdf skipped"}
	if got := c.results(); strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("results %q, want %q", got, want)
	}
	if c.Added != 2 {
		t.Errorf("summary %+v, want 2 added", c.summary)
	}
	if !strings.Contains(c.Files[2].Reason, "encrypted") {
		t.Errorf("locked.pdf: %+v", c.Files[2])
	}

	bad := []struct {
		name   string
		parts  []part
		status int
		code   string
	}{
		{"no file", []part{{"folder", "", "x"}}, 400, "no_files"},
		{"folder after a file", []part{{"file", "a.txt", "a"}, {"folder", "", "x"}}, 400, "bad_multipart"},
		{"two folders", []part{{"folder", "", "x"}, {"folder", "", "y"}}, 400, "bad_multipart"},
		{"unknown field", []part{{"files", "a.txt", "a"}}, 400, "bad_multipart"},
		{"file without a name", []part{{"file", "", "a"}}, 400, "bad_multipart"},
		{"traversal in the file name", []part{{"file", "../escape.txt", "Escaped.\n"}}, 400, "bad_path"},
		{"traversal in the folder", []part{{"folder", "", "../.."}, {"file", "escape.txt", "Escaped.\n"}}, 400, "bad_path"},
		{"absolute folder", []part{{"folder", "", "/tmp"}, {"file", "escape.txt", "Escaped.\n"}}, 400, "bad_path"},
		{"a bad name after a good file", []part{{"file", "good.txt", "Good notes.\n"}, {"file", "CON.txt", "Bad.\n"}}, 400, "bad_path"},
		{"too large", []part{{"file", "big.txt", strings.Repeat("x", uploadLimit+1)}}, 413, "file_too_large"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, env.upload(t, tt.parts...), tt.status, tt.code)
		})
	}
	for _, p := range testdocs.BadNames {
		checkError(t, env.upload(t, part{"file", testdocs.Unescaped(t, p), "Some text.\n"}), 400, "bad_path")
	}
	if _, err := os.Stat(filepath.Join(env.Docs, "good.txt")); err == nil {
		t.Error("good.txt was kept though its request failed")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(env.Docs), "escape.txt")); err == nil {
		t.Error("escape.txt was written outside the folder")
	}
	r := do(t, http.MethodPost, env.Server.URL+"/v1/documents", []byte(`{"file": "a"}`), bearerAdmin...)
	checkError(t, r, 415, "unsupported_media_type")
	r = do(t, http.MethodPost, env.Server.URL+"/v1/documents", []byte("garbage"), append([]string{"Content-Type", "multipart/form-data"}, bearerAdmin...)...)
	checkError(t, r, 400, "bad_multipart")
	// mime/multipart reads a body without its boundary as one without parts.
	r = do(t, http.MethodPost, env.Server.URL+"/v1/documents", []byte("garbage"), append([]string{"Content-Type", "multipart/form-data; boundary=xyz"}, bearerAdmin...)...)
	checkError(t, r, 400, "no_files")
}

func TestDeleteDocument(t *testing.T) {
	t.Parallel()
	env := newUploadEnv(t, Config{AdminToken: adminToken})
	del := func(id string) response {
		return do(t, http.MethodDelete, env.Server.URL+"/v1/documents/"+id, nil, bearerAdmin...)
	}
	c := decodeChanges(t, del("sub/treaty.md"), 200)
	if got := c.results(); len(got) != 1 || got[0] != "sub/treaty.md removed" || c.Removed != 1 {
		t.Errorf("%q %+v", got, c.summary)
	}
	checkError(t, env.get(t, "/v1/documents/sub/treaty.md"), 404, "unknown_document")
	checkError(t, del("sub/treaty.md"), 404, "unknown_document")
	checkError(t, del("nope.txt"), 404, "unknown_document")
	checkError(t, del("..%2fsecret.txt"), 400, "bad_path")
	checkError(t, del("harbour.txt%00"), 400, "bad_path")
	decodeChanges(t, del("secret-neighbour.txt"), 200)
	checkError(t, del("harbour.txt"), 409, "last_document")
	if _, err := os.Stat(filepath.Join(filepath.Dir(env.Docs), "secret.txt")); err != nil {
		t.Errorf("the file outside the folder: %v", err)
	}
}

func TestDocumentChangesReadOnly(t *testing.T) {
	t.Parallel()
	env := newUploadEnv(t, Config{AdminToken: adminToken})
	testdocs.ReadOnly(t, env.Docs)
	checkError(t, env.put(t, "new.txt", []byte("New notes.\n"), bearerAdmin...), 409, "read_only")
	checkError(t, env.upload(t, part{"file", "new.txt", "New notes.\n"}), 409, "read_only")
	checkError(t, do(t, http.MethodDelete, env.Server.URL+"/v1/documents/harbour.txt", nil, bearerAdmin...), 409, "read_only")
}
