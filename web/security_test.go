package web

import (
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// renderedPages serves every kind of page the site draws and returns
// them by name: empty and answered ask pages (English and Russian), a
// refusal, a follow-up, errors, the list, the viewer (of the hostile
// document too), the maintainers' pages, and the error pages.
func renderedPages(t *testing.T) map[string]string {
	t.Helper()
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken}, live, live, testLogger())
	pages := map[string]string{}
	add := func(name string, res *http.Response, body string) {
		if res != nil && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: Content-Type %q", name, res.Header.Get("Content-Type"))
		}
		pages[name] = body
	}
	add2 := func(name string) func(*http.Response, string) {
		return func(res *http.Response, body string) { add(name, res, body) }
	}
	add2("ask")(get(t, h, "/"))
	add2("ask ru")(get(t, h, "/", "Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5"))
	add2("answer")(get(t, h, "/?q="+url.QueryEscape(harbourQ)))
	add2("answer ru")(get(t, h, "/?q="+url.QueryEscape(harbourQ), "Accept-Language", "ru"))
	add2("hostile answer")(get(t, h, "/?q="+url.QueryEscape("What is the zorblax frequency in hertz?")))
	add2("refusal")(get(t, h, "/?q="+url.QueryEscape(moonQ)))
	add2("follow-up")(post(t, h, "/", url.Values{"q": {"</textarea><script>alert('q')</script> when?"},
		"turn-q": {"<img src=x onerror=alert('turn')>"}, "turn-a": {"</p><script>alert('a')</script> [1]"}}))
	add2("question error")(post(t, h, "/", url.Values{"q": {strings.Repeat("</textarea><script>alert(1)</script>", 200)}}))
	add2("documents")(get(t, h, "/documents"))
	add2("viewer")(get(t, h, "/documents/hostile.txt?start=20&end=300"))
	add2("viewer odd name")(get(t, h, documentPath(testDocs[2].ID)+"?start=0&end=3"))
	add2("viewer pages")(get(t, h, "/documents/report.pdf?start=40&end=60"))
	add2("not found")(get(t, h, "/documents/<script>alert(1)</script>"))
	add2("bad span")(get(t, h, "/documents/hostile.txt?start=9&end=1"))
	add2("no route")(get(t, h, "/nothing-here"))
	add2("admin sign-in")(get(t, h, "/admin"))
	b := newBrowser(t, h)
	b.signIn()
	add2("admin")(b.get("/admin"))
	_, body := b.get("/admin")
	add2("admin reindexed")(b.post("/admin/reindex", url.Values{"csrf": {csrf(t, body, "reindex")}}))
	add2("admin disabled")(get(t, New(Config{}, live, live, testLogger()), "/admin"))
	cold := New(Config{}, newTestLive(t, false), nil, testLogger())
	add2("not ready")(get(t, cold, "/"))

	// Adding and removing documents, and reading by key.
	e := newFolderEnv(t, Config{Keys: testKeyring(t)})
	b = newBrowser(t, e.h)
	b.signIn()
	_, body = b.get("/admin")
	add("admin with uploads", nil, body)
	add2("upload result")(b.postMultipart("/admin/upload", part{"csrf", "", csrf(t, body, "upload")},
		part{"file", "<script>alert(1)</script>.txt", "Notes\n\n<script>alert(2)</script>\n"}, part{"file", "x.exe", "MZ"}))
	add2("remove question")(b.get("/admin/delete?id=" + url.QueryEscape("<script>alert(3)</script>.txt")))
	add2("removed")(b.post("/admin/delete", url.Values{"csrf": {csrf(t, body, "upload")}, "id": {"<script>alert(3)</script>.txt"}}))
	add2("sign-in")(get(t, e.h, "/signin?next="+url.QueryEscape("/documents?<script>")))
	add2("sign-in ru")(get(t, e.h, "/signin", "Accept-Language", "ru"))
	reader := newBrowser(t, e.h)
	reader.signInWithKey(aliceKey, "/")
	add2("signed in with a key")(reader.get("/documents"))
	add2("sign-in, signed in")(reader.get("/signin?next=%2Fdocuments"))
	return pages
}

// Every page: no inline script or style, no event handler, no
// javascript: URL, scripts and styles only from /static/, nothing
// embedded from anywhere.
func TestPagesHaveNoInlineCode(t *testing.T) {
	for name, body := range renderedPages(t) {
		t.Run(name, func(t *testing.T) {
			checkNoInlineCode(t, parse(t, body))
		})
	}
}

func checkNoInlineCode(t *testing.T, page *html.Node) {
	t.Helper()
	for _, e := range all(page, func(*html.Node) bool { return true }) {
		switch e.Data {
		case "style", "iframe", "object", "embed", "img", "base", "frame", "svg", "math":
			t.Errorf("a <%s> element", e.Data)
		case "script":
			if src := attr(e, "src"); !strings.HasPrefix(src, "/static/") || text(e) != "" {
				t.Errorf("a script that is not a file of /static/: src %q, text %q", src, text(e))
			}
		case "link":
			if !strings.HasPrefix(attr(e, "href"), "/static/") {
				t.Errorf("a <link> to %q", attr(e, "href"))
			}
		}
		for _, a := range e.Attr {
			k := strings.ToLower(a.Key)
			if k == "style" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s %s=%q>", e.Data, a.Key, a.Val)
			}
			if k == "href" || k == "src" || k == "action" || k == "formaction" {
				if v := strings.ToLower(strings.TrimSpace(a.Val)); !(strings.HasPrefix(v, "/") || strings.HasPrefix(v, "#")) || strings.HasPrefix(v, "//") {
					t.Errorf("<%s %s=%q>: not a path on this site", e.Data, a.Key, a.Val)
				}
			}
		}
	}
}

// The templates themselves hold no inline code, whatever data they are
// given.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	bad := regexp.MustCompile(`(?i)(\sstyle\s*=|<style|\son[a-z]+\s*=|<script(\s[^>]*)?>\s*[^<\s]|javascript:)`)
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q", f, m)
		}
	}
}

// A hostile document, question or turn shows as text and adds no
// element: the viewer's text is the document's bytes, the answer's quote
// is the cited bytes, and the question comes back into the box intact.
func TestHostileContentIsText(t *testing.T) {
	pages := renderedPages(t)

	viewer := parse(t, pages["viewer"])
	doc := mustID(t, viewer, "doc")
	if text(doc) != hostile {
		t.Errorf("the viewer's text is not the document's bytes:\n%q", text(doc))
	}
	if n := len(byTag(viewer, "script")); n != 1 {
		t.Errorf("%d scripts on the viewer, want only the site's", n)
	}
	for _, tag := range []string{"script", "a", "img", "b", "textarea"} {
		if n := len(byTag(doc, tag)); n != 0 {
			t.Errorf("the hostile document made %d <%s>", n, tag)
		}
	}
	if got, want := text(mustID(t, viewer, "hl")), hostile[20:300]; got != want {
		t.Errorf("the mark reads %q, want %q", got, want)
	}

	answer := mustID(t, parse(t, pages["hostile answer"]), "answer")
	quotes := bySelector(answer, "blockquote.quote")
	if len(quotes) == 0 {
		t.Fatal("the zorblax question quotes nothing")
	}
	for _, q := range quotes {
		if len(all(q, func(*html.Node) bool { return true })) != 1 {
			t.Errorf("a quote holds elements: %q", text(q))
		}
		if !strings.Contains(hostile, text(q)) {
			t.Errorf("the quote %q is not the document's bytes", text(q))
		}
	}

	follow := parse(t, pages["follow-up"])
	if n := len(byTag(follow, "script")); n != 1 {
		t.Errorf("%d scripts on the follow-up page, want only the site's", n)
	}
	if got := text(bySelector(mustID(t, follow, "answer"), "h2.question")[0]); got != "</textarea><script>alert('q')</script> when?" {
		t.Errorf("the question reads %q", got)
	}
	turns := mustID(t, follow, "turns")
	if !strings.Contains(text(turns), "<img src=x onerror=alert('turn')>") || !strings.Contains(text(turns), "</p><script>alert('a')</script> [1]") {
		t.Errorf("the turns read %q", text(turns))
	}
	carry := carriedTurns(t, follow)
	if carry[0] != (turn{"<img src=x onerror=alert('turn')>", "</p><script>alert('a')</script> [1]"}) {
		t.Errorf("the turns carried are %q", carry)
	}

	errPage := parse(t, pages["question error"])
	if got, want := text(mustID(t, errPage, "q")), strings.Repeat("</textarea><script>alert(1)</script>", 200); got != want {
		t.Errorf("the question box holds %q", got[:min(len(got), 80)])
	}
	if n := len(byTag(errPage, "script")); n != 1 {
		t.Errorf("%d scripts on the error page", n)
	}
	if nf := parse(t, pages["not found"]); len(byTag(nf, "script")) != 1 || !strings.Contains(text(nf), "<script>alert(1)</script>") {
		t.Error("the unknown id is not shown as text")
	}
}

// Every response of the page's routes carries the security headers.
func TestSecurityHeaders(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken}, live, live, testLogger())
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
	}
	reqs := []*http.Request{}
	for _, target := range []string{"/", "/?q=" + url.QueryEscape(harbourQ), "/documents", "/documents/harbour.txt?start=0&end=7",
		"/documents/missing", "/admin", "/admin/delete?id=x", "/signin", embeddedAssets().urls.CSS, embeddedAssets().urls.JS, "/static/site.css", "/static/missing.css", "/nothing"} {
		reqs = append(reqs, mustRequest(http.MethodGet, target, ""))
	}
	reqs = append(reqs, mustRequest(http.MethodPost, "/", "q=When"), mustRequest(http.MethodPost, "/admin/signin", "token=x"),
		mustRequest(http.MethodPost, "/admin/upload", "csrf=x"), mustRequest(http.MethodPost, "/admin/delete", "csrf=x"),
		mustRequest(http.MethodPost, "/signin", "key=x"), mustRequest(http.MethodPost, "/signout", "csrf=x"),
		mustRequest(http.MethodDelete, "/documents", ""))
	for _, r := range reqs {
		res, _ := serve(t, h, r)
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s %s: %s %q, want %q", r.Method, r.URL, k, got, v)
			}
		}
	}
}

func mustRequest(method, target, form string) *http.Request {
	r, err := http.NewRequest(method, target, strings.NewReader(form))
	if err != nil {
		panic(err)
	}
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}
