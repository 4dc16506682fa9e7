package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The tests read pages as a browser does: parsed by an HTML5 parser
// (golang.org/x/net/html follows the same algorithm), so that what they
// check is the text a person sees and the elements a browser builds.

// parse parses a whole page.
func parse(t testing.TB, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// parseFragment parses HTML meant for the inside of a <section>.
func parseFragment(t testing.TB, frag string) *html.Node {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "section", DataAtom: atom.Section}
	nodes, err := html.ParseFragment(strings.NewReader(frag), ctx)
	if err != nil {
		t.Fatalf("parse fragment: %v", err)
	}
	for _, n := range nodes {
		ctx.AppendChild(n)
	}
	return ctx
}

// all returns the elements under n (n included) for which match is true,
// in document order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(n *html.Node, id string) *html.Node {
	if m := all(n, func(e *html.Node) bool { return attr(e, "id") == id }); len(m) > 0 {
		return m[0]
	}
	return nil
}

func byTag(n *html.Node, tag string) []*html.Node {
	return all(n, func(e *html.Node) bool { return e.Data == tag })
}

// bySelector matches "tag.class", "tag" or ".class".
func bySelector(n *html.Node, sel string) []*html.Node {
	tag, class, _ := strings.Cut(sel, ".")
	return all(n, func(e *html.Node) bool {
		return (tag == "" || e.Data == tag) && (class == "" || hasClass(e, class))
	})
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// text is an element's textContent.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// mustID returns the element with the id, failing the test without one.
func mustID(t testing.TB, n *html.Node, id string) *html.Node {
	t.Helper()
	e := byID(n, id)
	if e == nil {
		t.Fatalf("no element with id %q", id)
	}
	return e
}
