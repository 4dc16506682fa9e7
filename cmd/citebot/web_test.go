package main

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
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
