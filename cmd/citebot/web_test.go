package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"citebot/answer"
	"citebot/internal/testdocs"
)

// The web page answers on the API's port: the ask page, a question
// posted as the form does, the first citation's link, and in the viewer
// the cited bytes in the one mark, exactly the API's quote. The API's
// unknown paths stay JSON.
func TestServeWebPage(t *testing.T) {
	docs := copySeeds(t)
	s := startServe(t, map[string]string{"CITEBOT_ADMIN_TOKEN": "tok"}, "--docs", docs, "--index", t.TempDir())
	s.waitReady(t)
	const q = "When did the SCO agreement come into effect?"
	want, code := s.ask(t, q)
	if code != 200 || !want.Found {
		t.Fatalf("ask: %d %+v", code, want)
	}

	page := fetchPage(t, http.MethodGet, s.url+"/", nil)
	if find(page, func(n *html.Node) bool { return attrOf(n, "id") == "ask" }) == nil {
		t.Fatal("GET / has no ask form")
	}
	page = fetchPage(t, http.MethodPost, s.url+"/", url.Values{"q": {q}})
	cite := find(page, func(n *html.Node) bool { return n.Data == "a" && strings.Contains(attrOf(n, "class"), "cite") })
	if cite == nil {
		t.Fatal("the answer has no citation link")
	}
	c := want.Citations[0]
	if got, wantHref := attrOf(cite, "href"), "/documents/"+c.Document+"?start="+strconv.Itoa(c.Start)+"&end="+strconv.Itoa(c.End); got != wantHref {
		t.Errorf("[1] links %q, want %q", got, wantHref)
	}
	viewer := fetchPage(t, http.MethodGet, s.url+attrOf(cite, "href"), nil)
	mark := find(viewer, func(n *html.Node) bool { return n.Data == "mark" })
	if mark == nil || attrOf(mark, "id") != "hl" || textContent(mark) != c.Quote {
		t.Errorf("the viewer's mark does not hold the quote %q", c.Quote)
	}

	for path, wantType := range map[string]string{"/documents": "text/html", "/admin": "text/html", "/v1/nothing": "application/json", "/nothing": "application/json"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
			t.Errorf("%s: Content-Type %q, want %s", path, resp.Header.Get("Content-Type"), wantType)
		}
	}
}

func fetchPage(t *testing.T, method, u string, form url.Values) *html.Node {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textContent(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textContent(c))
	}
	return b.String()
}

// pageClient is a browser-like client of the web page: it keeps cookies,
// follows redirects and asks for HTML, as a browser does.
type pageClient struct {
	t      testing.TB
	base   string
	client *http.Client
}

func newPageClient(t testing.TB, base string) *pageClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pageClient{t: t, base: base, client: &http.Client{Jar: jar}}
}

// do sends a request and parses the HTML answer; final is the URL after
// the redirects.
func (c *pageClient) do(req *http.Request) (status int, final string, page *html.Node, body string) {
	c.t.Helper()
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return resp.StatusCode, resp.Request.URL.String(), nil, string(b)
	}
	page, err = html.Parse(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Request.URL.String(), page, string(b)
}

func (c *pageClient) get(path string) (int, string, *html.Node, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

func (c *pageClient) post(path string, form url.Values) (int, string, *html.Node, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// formValues are the hidden fields of the form with the id.
func formValues(t testing.TB, page *html.Node, id string) url.Values {
	t.Helper()
	form := find(page, func(n *html.Node) bool { return attrOf(n, "id") == id })
	if form == nil {
		t.Fatalf("no form #%s", id)
	}
	v := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attrOf(n, "type") == "hidden" {
			v.Set(attrOf(n, "name"), attrOf(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}

// With --api-keys the web page needs a key too: a browser without one is
// sent to the sign-in form with the page it asked for, signs in with a
// key, lands on that page, asks and reads a document; the assets and the
// form stay open, a wrong key is refused, the log names the key and
// never shows it, and signing out closes the page again.
func TestServeWebSignInWithKey(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, keys, "alice: "+aliceKey+"\n")
	s := startServe(t, map[string]string{"CITEBOT_API_KEYS": keys, "CITEBOT_ADMIN_TOKEN": "web-admin-token"},
		"--docs", copySeeds(t), "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t)
	const q = "When did the SCO agreement come into effect?"
	c := newPageClient(t, s.url)

	for _, path := range []string{"/static/site.css", "/static/site.js"} {
		if status, _, _, _ := c.get(path); status != http.StatusOK {
			t.Errorf("%s without a key: %d, want 200", path, status)
		}
	}
	if status, _, _, body := c.get("/v1/documents"); status != http.StatusOK || !strings.Contains(body, `id="signin"`) {
		t.Errorf("a browser asking the API without a key: %d, want the sign-in page", status)
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/", strings.NewReader(url.Values{"q": {q}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, _, _, _ := c.do(req); status != http.StatusUnauthorized {
		t.Errorf("a question posted without a key: %d, want 401", status)
	}

	status, final, page, _ := c.get("/documents")
	if status != http.StatusOK || final != s.url+"/signin?next=%2Fdocuments" {
		t.Fatalf("/documents without a key: %d at %s, want the sign-in page", status, final)
	}
	form := formValues(t, page, "signin")
	if form.Get("next") != "/documents" || form.Get("csrf") == "" {
		t.Errorf("the sign-in form carries %v", form)
	}
	form.Set("key", "wrong-key-0123456789")
	if status, _, page, _ := c.post("/signin", form); status != http.StatusUnauthorized || find(page, func(n *html.Node) bool { return attrOf(n, "id") == "signin" }) == nil {
		t.Errorf("a wrong key: %d, want 401 and the form again", status)
	}
	form.Set("key", aliceKey)
	status, final, page, _ = c.post("/signin", form)
	if status != http.StatusOK || final != s.url+"/documents" || find(page, func(n *html.Node) bool { return attrOf(n, "id") == "documents" }) == nil {
		t.Fatalf("signed in: %d at %s, want the document list", status, final)
	}
	if cs := c.client.Jar.Cookies(mustURL(t, s.url)); len(cs) != 1 || cs[0].Name != "citebot_session" || strings.Contains(cs[0].Value, aliceKey) {
		t.Errorf("cookies after signing in: %v", cs)
	}

	want, _ := askAs(t, s, aliceKey, q)
	status, _, page, _ = c.post("/", url.Values{"q": {q}})
	cite := find(page, func(n *html.Node) bool { return n.Data == "a" && strings.Contains(attrOf(n, "class"), "cite") })
	if status != http.StatusOK || cite == nil {
		t.Fatalf("asking signed in: %d, citation %v", status, cite)
	}
	status, _, page, _ = c.get(attrOf(cite, "href"))
	mark := find(page, func(n *html.Node) bool { return n.Data == "mark" })
	if status != http.StatusOK || mark == nil || textContent(mark) != want.Citations[0].Quote {
		t.Errorf("the viewer signed in: %d, mark %v", status, mark)
	}
	s.waitLog(t, "key=alice")
	if strings.Contains(s.log.String(), aliceKey) || strings.Contains(s.log.String(), "wrong-key-0123456789") {
		t.Errorf("the log shows a key:\n%s", s.log)
	}

	_, _, page, _ = c.get("/documents")
	status, final, _, _ = c.post("/signout", formValues(t, page, "nav-signout"))
	if status != http.StatusOK || !strings.HasPrefix(final, s.url+"/signin") {
		t.Errorf("sign-out: %d at %s, want the sign-in page", status, final)
	}
	if _, final, _, _ := c.get("/documents"); !strings.HasPrefix(final, s.url+"/signin") {
		t.Errorf("after signing out, /documents is at %s, want the sign-in page", final)
	}
}

// askAs asks through the API with a key.
func askAs(t testing.TB, s *server, key, question string) (answer.Answer, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"question": question})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/ask", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer.Answer
	json.NewDecoder(resp.Body).Decode(&a)
	if resp.StatusCode != http.StatusOK || len(a.Citations) == 0 {
		t.Fatalf("ask with a key: %d %+v", resp.StatusCode, a)
	}
	return a, resp.StatusCode
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The maintainers' view of citebot serve adds a document through the
// documents folder (the file lands in --docs and answers at once) and
// removes it after asking; without a documents folder it says why it
// cannot.
func TestServeWebUpload(t *testing.T) {
	docs := smallDocs(t)
	s := startServe(t, docsEnv, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t)
	c := newPageClient(t, s.url)
	_, _, page, _ := c.get("/admin")
	form := formValues(t, page, "signin")
	form.Set("token", docsToken)
	_, _, page, _ = c.post("/admin/signin", form)
	token := formValues(t, page, "upload").Get("csrf")

	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", token)
	fw, _ := mw.CreateFormFile("file", "lighthouse.txt")
	io.WriteString(fw, "Lighthouse notes\n\nThe Bø lighthouse was painted green in 1911.\n")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/admin/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	status, _, page, _ := c.do(req)
	li := find(page, func(n *html.Node) bool { return n.Data == "li" && attrOf(n, "data-result") != "" })
	if status != http.StatusOK || li == nil || attrOf(li, "data-result") != "added" {
		t.Fatalf("upload: %d, result %v", status, li)
	}
	if got := testdocs.ReadFile(t, filepath.Join(docs, "lighthouse.txt")); !strings.Contains(string(got), "1911") {
		t.Errorf("the file in --docs holds %q", got)
	}
	if a, _ := s.ask(t, "When was the Bø lighthouse painted green?"); !a.Found || a.Citations[0].Document != "lighthouse.txt" {
		t.Errorf("the new document does not answer: %+v", a)
	}

	_, _, page, _ = c.get("/admin/delete?id=lighthouse.txt")
	status, _, page, _ = c.post("/admin/delete", formValues(t, page, "confirm-delete"))
	li = find(page, func(n *html.Node) bool { return n.Data == "li" && attrOf(n, "data-result") != "" })
	if status != http.StatusOK || li == nil || attrOf(li, "data-result") != "removed" {
		t.Fatalf("remove: %d, result %v", status, li)
	}
	if _, err := os.Stat(filepath.Join(docs, "lighthouse.txt")); err == nil {
		t.Error("the file is still in --docs")
	}

	// A replica without a documents folder says so. It serves an index
	// saved before: with neither, serve would have nothing to serve.
	saved := filepath.Join(t.TempDir(), "none")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"citebot", "index", "--docs", docs, "--index", saved}, noenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("index: %v\n%s", err, errb.String())
	}
	none := startServe(t, docsEnv, "--docs", "", "--index", saved, "--log-level", "error")
	c = newPageClient(t, none.url)
	_, _, page, _ = c.get("/admin")
	form = formValues(t, page, "signin")
	form.Set("token", docsToken)
	_, _, page, _ = c.post("/admin/signin", form)
	notice := find(page, func(n *html.Node) bool { return attrOf(n, "id") == "upload-unavailable" })
	if notice == nil || !strings.Contains(textContent(notice), "no documents folder") {
		t.Errorf("without --docs: notice %v", notice)
	}
}
