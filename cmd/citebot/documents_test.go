package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"citebot/docfolder"
	"citebot/internal/testdocs"
	"citebot/loader/extract/extracttest"
)

// The documents over HTTP, through the wiring of `citebot serve`: the
// admin token, --docs, --max-file-bytes and the live index.

const docsToken = "docs-admin-token"

var docsEnv = map[string]string{"CITEBOT_ADMIN_TOKEN": docsToken}

// smallDocs is a documents folder of two notes, quick to index.
func smallDocs(t testing.TB) string {
	t.Helper()
	docs := filepath.Join(t.TempDir(), "docs")
	testdocs.WriteTree(t, docs, map[string]string{
		"harbour.txt":   vardo,
		"sub/treaty.md": "# The Treaty of Examples\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n",
	})
	return docs
}

// reply is an HTTP answer, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %.300s", r.status, r.body) }

// call sends a request with the admin token (unless the header list sets
// another Authorization) and reads the answer.
func (s *server) call(t testing.TB, method, path string, body io.Reader, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+docsToken)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err) // not Fatal: called from goroutines
		return reply{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (s *server) putDoc(t testing.TB, id string, content []byte) reply {
	t.Helper()
	return s.call(t, http.MethodPut, "/v1/documents/"+id, bytes.NewReader(content))
}

// upload posts files as multipart/form-data: name → content, under
// folder when it is not empty.
func (s *server) upload(t testing.TB, folder string, names []string, contents ...string) reply {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if folder != "" {
		w.WriteField("folder", folder)
	}
	for i, name := range names {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; `+filenameParam(name))
		pw, _ := w.CreatePart(h)
		io.WriteString(pw, contents[i])
	}
	w.Close()
	return s.call(t, http.MethodPost, "/v1/documents", &b, "Content-Type", w.FormDataContentType())
}

// filenameParam is the filename parameter of a part's header: quoted as
// Go's writer quotes it (without its filepath.Base), or, for a name a
// header cannot hold as it is (control characters, invalid UTF-8),
// percent-encoded as RFC 2231 says.
func filenameParam(name string) string {
	plain := utf8.ValidString(name)
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			plain = false
		}
	}
	if plain {
		return fmt.Sprintf(`filename="%s"`, strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name))
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || strings.IndexByte(` "%'*;\()<>@,/:=?[]{}`, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return "filename*=UTF-8''" + b.String()
}

// changeReply is a change's answer: the summary and each file's result.
type changeReply struct {
	summaryJSON
	Files []docfolder.FileResult `json:"files"`
	Error *struct {
		Code, Message string
	} `json:"error"`
}

func decodeChange(t testing.TB, r reply, status int) changeReply {
	t.Helper()
	var c changeReply
	if r.status != status {
		t.Fatalf("got %s, want %d", r, status)
	}
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return c
}

func errorCode(r reply) string {
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// listed maps GET /v1/documents to id → sha256 (and pages).
func (s *server) listed(t testing.TB) map[string]docInfo {
	t.Helper()
	r := s.call(t, http.MethodGet, "/v1/documents", nil)
	var list struct{ Documents []docInfo }
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 {
		t.Fatalf("GET /v1/documents: %s (%v)", r, err)
	}
	out := map[string]docInfo{}
	for _, d := range list.Documents {
		out[d.ID] = d
	}
	return out
}

type docInfo struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Pages  int    `json:"pages"`
	Chunks int    `json:"chunks"`
}

var glacierPages = [][]string{
	{"Glacier survey 2020", "The Brenndal glacier retreated 412 metres between 1990 and 2020."},
	{"Methods", "Positions were measured with differential GPS every autumn."},
}

// TestServeDocuments: upload, replace, list and delete through the API of
// a running `citebot serve`, and the answers follow.
func TestServeDocuments(t *testing.T) {
	docs := smallDocs(t)
	s := startServe(t, docsEnv, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--log-level", "warn")
	s.waitReady(t)
	const q = "How far did the Brenndal glacier retreat?"

	// Added.
	pdf := extracttest.PDF(glacierPages...)
	c := decodeChange(t, s.putDoc(t, "reports/glacier.pdf", pdf), 200)
	if len(c.Files) != 1 || c.Files[0] != (docfolder.FileResult{Path: "reports/glacier.pdf", Result: "added", Pages: 2, Chunks: c.Files[0].Chunks}) || c.Files[0].Chunks == 0 {
		t.Errorf("PUT a new PDF: %+v", c.Files)
	}
	if c.Added != 1 || c.Unchanged != 2 {
		t.Errorf("summary %+v, want 1 added, 2 unchanged", c.summaryJSON)
	}
	if d := s.listed(t)["reports/glacier.pdf"]; d.SHA256 != testdocs.SHA256Hex(string(pdf)) || d.Pages != 2 {
		t.Errorf("listed as %+v", d)
	}
	if got := testdocs.ReadFile(t, filepath.Join(docs, "reports", "glacier.pdf")); !bytes.Equal(got, pdf) {
		t.Error("the file on disk is not the bytes sent")
	}
	if a, _ := s.ask(t, q); !a.Found || a.Citations[0].Document != "reports/glacier.pdf" || !strings.Contains(a.Answer, "412") {
		t.Errorf("after the upload: %+v", a)
	}

	// Unchanged, then replaced.
	if c := decodeChange(t, s.putDoc(t, "reports/glacier.pdf", pdf), 200); c.Files[0].Result != "unchanged" {
		t.Errorf("the same bytes: %+v", c.Files)
	}
	pages := slices.Clone(glacierPages)
	pages[0] = []string{"Glacier survey 2024", "The Brenndal glacier retreated 515 metres between 1990 and 2024."}
	c = decodeChange(t, s.putDoc(t, "reports/glacier.pdf", extracttest.PDF(pages...)), 200)
	if c.Files[0].Result != "changed" || c.Changed != 1 {
		t.Errorf("new bytes: %+v %+v", c.Files, c.summaryJSON)
	}
	if a, _ := s.ask(t, q); !a.Found || !strings.Contains(a.Answer, "515") {
		t.Errorf("after the replacement: %q", a.Answer)
	}

	// Several at once, in a folder.
	c = decodeChange(t, s.upload(t, "notes", []string{"alpha.txt", "deep/bravo.md"},
		"Alpha notes\n\nThe alpha station opened in 1901.\n", "# Bravo\n\nThe bravo station closed in 1950.\n"), 200)
	if len(c.Files) != 2 || c.Files[0].Path != "notes/alpha.txt" || c.Files[1].Path != "notes/deep/bravo.md" ||
		c.Files[0].Result != "added" || c.Files[1].Result != "added" || c.Added != 2 {
		t.Errorf("multipart: %+v %+v", c.Files, c.summaryJSON)
	}
	if _, ok := s.listed(t)["notes/deep/bravo.md"]; !ok {
		t.Error("notes/deep/bravo.md is not listed")
	}

	// Removed.
	c = decodeChange(t, s.call(t, http.MethodDelete, "/v1/documents/reports/glacier.pdf", nil), 200)
	if len(c.Files) != 1 || c.Files[0].Result != "removed" || c.Removed != 1 {
		t.Errorf("DELETE: %+v %+v", c.Files, c.summaryJSON)
	}
	if _, ok := s.listed(t)["reports/glacier.pdf"]; ok {
		t.Error("still listed after DELETE")
	}
	if r := s.call(t, http.MethodGet, "/v1/documents/reports/glacier.pdf", nil); r.status != 404 {
		t.Errorf("GET after DELETE: %s", r)
	}
	if a, _ := s.ask(t, q); a.Found && a.Citations[0].Document == "reports/glacier.pdf" {
		t.Errorf("answered from the removed document: %q", a.Answer)
	}
	if _, err := os.Stat(filepath.Join(docs, "reports", "glacier.pdf")); !os.IsNotExist(err) {
		t.Errorf("the file is still on disk: %v", err)
	}
	if r := s.call(t, http.MethodDelete, "/v1/documents/reports/glacier.pdf", nil); r.status != 404 || errorCode(r) != "unknown_document" {
		t.Errorf("DELETE again: %s", r)
	}

	// The token.
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + docsToken + "x"} {
		r := s.call(t, http.MethodPut, "/v1/documents/x.txt", strings.NewReader("X notes.\n"), "Authorization", auth)
		if r.status != 401 {
			t.Errorf("PUT with Authorization %q: %s, want 401", auth, r)
		}
	}
	off := startServe(t, nil, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix2"), "--log-level", "warn")
	if r := off.putDoc(t, "x.txt", []byte("X notes.\n")); r.status != 403 || errorCode(r) != "writes_disabled" {
		t.Errorf("PUT without --admin-token: %s, want 403", r)
	}
	if _, err := os.Stat(filepath.Join(docs, "x.txt")); err == nil {
		t.Error("a refused PUT wrote x.txt")
	}
}

// TestServeDocumentsRefused: a file over --max-file-bytes (413), of a type
// that is not indexed or that cannot be read (422) is not kept; nothing
// is left in the folder.
func TestServeDocumentsRefused(t *testing.T) {
	docs := smallDocs(t)
	const limit = 128 << 10
	s := startServe(t, docsEnv, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--max-file-bytes", fmt.Sprint(limit), "--log-level", "warn")
	s.waitReady(t)
	before := testdocs.ReadTree(t, docs)

	big := bytes.Repeat([]byte("All work and no play. "), limit/20)
	if r := s.putDoc(t, "big.txt", big); r.status != 413 || errorCode(r) != "file_too_large" {
		t.Errorf("PUT over the limit: %s", r)
	}
	// Without a Content-Length the limit is found while reading.
	if r := s.call(t, http.MethodPut, "/v1/documents/big.txt", io.MultiReader(bytes.NewReader(big))); r.status != 413 {
		t.Errorf("PUT over the limit, chunked: %s", r)
	}
	if r := s.upload(t, "", []string{"small.txt", "big.txt"}, "Small notes.\n", string(big)); r.status != 413 {
		t.Errorf("multipart with a file over the limit: %s", r)
	}
	// Between the 64 KiB of JSON bodies and the limit: taken.
	if r := s.putDoc(t, "long.txt", big[:limit-100]); r.status != 200 {
		t.Errorf("PUT under the limit: %s", r)
	}
	os.Remove(filepath.Join(docs, "long.txt"))

	for _, tt := range []struct {
		name   string
		body   []byte
		reason string
	}{
		{"locked.pdf", extracttest.EncryptedPDF("secret", glacierPages...), "encrypted PDF"},
		{"locked.docx", extracttest.EncryptedDOCX(), "encrypted DOCX"},
		{"scan.pdf", extracttest.PDF([]string{}), "no extractable text"},
		{"tool.exe", []byte("MZ\x90\x00\x03"), "unsupported file type"},
		{"photo.jpg", []byte("\xff\xd8\xff\xe0"), "unsupported file type"},
		{"notes", []byte("No extension.\n"), "unsupported file type"},
		{"utf16.txt", []byte("h\x00i\x00 \x00"), "binary"},
		{"empty.md", nil, "empty"},
	} {
		r := s.putDoc(t, tt.name, tt.body)
		c := decodeChange(t, r, 422)
		if c.Error == nil || c.Error.Code != "unindexable" || len(c.Files) != 1 || c.Files[0].Result != "skipped" || !strings.Contains(c.Files[0].Reason, tt.reason) {
			t.Errorf("PUT %s: %s; want 422 skipped: %s", tt.name, r, tt.reason)
		}
	}
	if after := testdocs.ReadTree(t, docs); !mapsEqualStr(after, before) {
		t.Errorf("the folders hold %q, want %q as before", keysOf(after), keysOf(before))
	}
}

// TestServeDocumentPathAttacks: no name, however spelt, writes or removes
// a file outside --docs, or one the loader would not read back under that
// name; a client's mistake is never a 5xx.
func TestServeDocumentPathAttacks(t *testing.T) {
	docs := smallDocs(t)
	root := filepath.Dir(docs)
	secretPath := filepath.Join(root, "secret.txt")
	writeFile(t, secretPath, "TOP-SECRET-OUTSIDE-DOCS\n")
	ix := filepath.Join(t.TempDir(), "ix")
	s := startServe(t, docsEnv, "--docs", docs, "--index", ix, "--log-level", "error")
	s.waitReady(t)
	addr := strings.TrimPrefix(s.url, "http://")
	outside := testdocs.ReadTree(t, root)
	delete(outside, "docs/harbour.txt")
	delete(outside, "docs/sub/treaty.md")

	check := func(what string, r reply) {
		t.Helper()
		if r.status >= 500 || r.status == 0 {
			t.Errorf("%s: %s; want a 4xx", what, r)
		}
		for _, leak := range []string{"TOP-SECRET-OUTSIDE-DOCS", "root:"} {
			if bytes.Contains(r.body, []byte(leak)) {
				t.Errorf("%s: the answer leaks %q", what, leak)
			}
		}
	}
	const content = "Overwritten by an attacker.\n"
	for _, p := range testdocs.Traversals(t, docs, secretPath) {
		for _, method := range []string{"PUT", "DELETE"} {
			for _, target := range []string{"/v1/documents/" + p, "/v1/documents/sub/" + p} {
				check(method+" "+target, rawRequest(t, addr, method, target, content))
			}
		}
		if name, err := urlUnescape(p); err == nil {
			check("multipart file "+name, s.upload(t, "", []string{name}, content))
			check("multipart folder "+name, s.upload(t, name, []string{"x.txt"}, content))
		}
	}
	for _, p := range testdocs.BadNames {
		name := testdocs.Unescaped(t, p)
		for _, method := range []string{"PUT", "DELETE"} {
			r := rawRequest(t, addr, method, "/v1/documents/"+p, content)
			check(method+" "+p, r)
			if r.status/100 == 2 {
				t.Errorf("%s %q: %s, want it refused", method, p, r)
			}
		}
		if r := s.upload(t, "", []string{name}, content); r.status != 400 || errorCode(r) != "bad_path" {
			t.Errorf("multipart file %q: %s, want 400 bad_path", name, r)
		}
		if strings.HasSuffix(name, "/") {
			continue // as the folder field, "sub/" is the folder sub
		}
		if r := s.upload(t, name, []string{"x.txt"}, content); r.status != 400 || errorCode(r) != "bad_path" {
			t.Errorf("multipart folder %q: %s, want 400 bad_path", name, r)
		}
	}

	// Outside the folder nothing changed; inside, every file is one the
	// loader reads under its name (a payload that names a plain file in
	// the folder, "secret.txt" say, may well be stored there).
	after := testdocs.ReadTree(t, root)
	for name, content := range after {
		rel, inDocs := strings.CutPrefix(name, "docs/")
		switch {
		case inDocs:
			if err := docfolder.CheckPath(rel); err != nil {
				t.Errorf("in the folder: %v", err)
			}
		case strings.HasPrefix(name, "ix/"):
		case outside[name] != content:
			t.Errorf("outside the folder: %s was written", name)
		}
	}
	for name := range outside {
		if _, ok := after[name]; !ok {
			t.Errorf("outside the folder: %s was removed", name)
		}
	}
	for _, id := range []string{"harbour.txt", "sub/treaty.md"} {
		if _, ok := after["docs/"+id]; !ok {
			t.Errorf("%s was removed", id)
		}
	}
}

// rawRequest sends target as the request line's target, byte for byte,
// with body, and the admin token.
func rawRequest(t *testing.T, addr, method, target, body string) reply {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		method, target, addr, docsToken, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// urlUnescape decodes a payload as the server decodes a path.
func urlUnescape(p string) (string, error) {
	r, err := http.NewRequest("GET", "http://x/"+p, nil)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(r.URL.Path, "/"), nil
}

// TestServeParallelUploads: a hundred uploads at once are all indexed,
// none lost, with far fewer reindexes than uploads.
func TestServeParallelUploads(t *testing.T) {
	docs := smallDocs(t)
	s := startServe(t, docsEnv, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--log-level", "warn")
	s.waitReady(t)
	reindexes := func() float64 {
		r := s.call(t, http.MethodGet, "/metrics", nil)
		var n float64
		for line := range strings.Lines(string(r.body)) {
			if strings.HasPrefix(line, "citebot_reindex_total{") {
				var v float64
				fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
				n += v
			}
		}
		return n
	}
	before := reindexes()
	const n = 100
	want := map[string]string{}
	contents := make([]string, n)
	for i := range n {
		contents[i] = fmt.Sprintf("# Station %s\n\nThe weather station %s recorded %d storms in %d.\n", stationName(i), stationName(i), 100+i, 1900+i)
		want[fmt.Sprintf("stations/%03d.md", i)] = testdocs.SHA256Hex(contents[i])
	}
	start := time.Now()
	var wg sync.WaitGroup
	replies := make([]reply, n)
	for i := range n {
		wg.Go(func() { replies[i] = s.putDoc(t, fmt.Sprintf("stations/%03d.md", i), []byte(contents[i])) })
	}
	wg.Wait()
	took := time.Since(start)
	for i, r := range replies {
		if r.status != 200 {
			t.Errorf("upload %d: %s", i, r)
			continue
		}
		c := decodeChange(t, r, 200)
		if c.Files[0].Result != "added" || c.Files[0].Chunks == 0 {
			t.Errorf("upload %d: %+v", i, c.Files)
		}
	}
	listed := s.listed(t)
	for id, sum := range want {
		if listed[id].SHA256 != sum {
			t.Errorf("%s: listed %+v, want sha256 %s", id, listed[id], sum)
		}
	}
	runs := reindexes() - before
	if runs >= n {
		t.Errorf("%v reindexes for %d uploads at once, want them shared", runs, n)
	}
	for _, i := range []int{0, 57, 99} {
		q := fmt.Sprintf("How many storms did the weather station %s record?", stationName(i))
		if a, _ := s.ask(t, q); !a.Found || !strings.Contains(a.Answer, fmt.Sprint(100+i)) {
			t.Errorf("%s: %q", q, a.Answer)
		}
	}
	t.Logf("%d uploads at once: all answered in %v, %v reindexes", n, took.Round(time.Millisecond), runs)
}

// stationName is a made-up word unique to station i (i < 4096), so that
// each station's fact is found by its name alone.
func stationName(i int) string {
	syl := []string{"kal", "mor", "vin", "tep", "dur", "pel", "sar", "gon", "fir", "bek", "lun", "hom", "zer", "nad", "rot", "wix"}
	n := syl[i>>8&15] + syl[i>>4&15] + syl[i&15]
	return strings.ToUpper(n[:1]) + n[1:]
}

// TestServeDocumentsReadOnly: a documents folder that cannot be written,
// or none at all, is a 409 that says so.
func TestServeDocumentsReadOnly(t *testing.T) {
	docs := smallDocs(t)
	s := startServe(t, docsEnv, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--log-level", "error")
	s.waitReady(t)
	testdocs.ReadOnly(t, docs)
	for _, r := range []reply{
		s.putDoc(t, "new.txt", []byte("New notes.\n")),
		s.upload(t, "", []string{"new.txt"}, "New notes.\n"),
		s.call(t, http.MethodDelete, "/v1/documents/harbour.txt", nil),
	} {
		if r.status != 409 || errorCode(r) != "read_only" {
			t.Errorf("%s, want 409 read_only", r)
		}
	}
	if got := testdocs.Names(t, docs); !slices.Equal(got, []string{"harbour.txt", "sub"}) {
		t.Errorf("the folder holds %q", got)
	}

	// A replica serving without a documents folder, from an index saved
	// before (with neither, serve would have nothing to serve and exit).
	saved := filepath.Join(t.TempDir(), "none")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"citebot", "index", "--docs", docs, "--index", saved}, noenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("index: %v\n%s", err, errb.String())
	}
	none := startServe(t, docsEnv, "--docs", "", "--index", saved, "--log-level", "error")
	for _, r := range []reply{
		none.putDoc(t, "new.txt", []byte("New notes.\n")),
		none.call(t, http.MethodDelete, "/v1/documents/harbour.txt", nil),
	} {
		if r.status != 409 || errorCode(r) != "no_documents_folder" {
			t.Errorf("without --docs: %s, want 409 no_documents_folder", r)
		}
	}
}

func mapsEqualStr(a, b map[string]string) bool {
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

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
