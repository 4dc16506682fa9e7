package extract

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// chrome are the elements whose content is not the page's readable text:
// code, styling, navigation, page furniture, forms and embedded media.
var chrome = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Form: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Svg: true,
	atom.Math: true, atom.Canvas: true, atom.Audio: true, atom.Video: true,
	atom.Head: true, atom.Dialog: true, atom.Menu: true,
}

// chromeRoles are ARIA roles of page furniture.
var chromeRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "menu": true, "menubar": true, "toolbar": true, "dialog": true, "alert": true,
}

// blocks are elements that start a new paragraph.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Blockquote: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Tr: true, atom.Figure: true, atom.Figcaption: true, atom.Address: true,
	atom.Hr: true, atom.Details: true, atom.Summary: true, atom.Caption: true, atom.Body: true,
	atom.Fieldset: true, atom.Center: true,
}

// headingLevel is the Markdown level of h1..h6, or 0.
func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// HTML extracts a page's readable text. When the page marks its main
// content (<main>, role="main", or a single <article>), only that is kept;
// everything else minus the chrome otherwise. Headings become "# " lines,
// list items "- " lines, table cells are separated by " | ", <pre> keeps
// its line breaks. The <title> becomes Text.Title.
//
// It runs on the streaming tokenizer, not the tree parser: the parser
// rejects (or slows down on) deeply nested markup, the tokenizer reads any
// page in one linear pass with memory bounded by the text it keeps.
func HTML(data []byte, limit int) (Text, error) {
	scope := mainScope(data)
	z := html.NewTokenizer(bytes.NewReader(data))
	z.SetMaxBuf(0)
	w := builder{limit: limit}
	var (
		title   strings.Builder
		inTitle bool
		// skip holds the open chrome elements, innermost last, each with
		// how many elements of its own name are open inside it: a
		// <div role="navigation"> ends at its own </div>, not a nested one.
		skip      []open
		scopeEl   atom.Atom // the main-content element, once entered
		scopeOpen int       // elements named scopeEl open inside the main content
		pre       int
	)
	inScope := func() bool { return scope == scopeNone || scopeOpen > 0 }
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return Text{}, err
			}
			s, err := w.text()
			if err != nil {
				return Text{}, err
			}
			return Text{Text: s, Title: strings.Join(strings.Fields(title.String()), " ")}, nil
		case html.TextToken:
			if inTitle {
				title.Write(z.Text())
				continue
			}
			if len(skip) > 0 || !inScope() {
				continue
			}
			if pre > 0 {
				w.raw(string(z.Text()))
			} else {
				w.inline(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			role, hidden := "", false
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "role":
					role = strings.ToLower(strings.TrimSpace(string(v)))
				case "hidden":
					hidden = true
				case "aria-hidden":
					hidden = hidden || strings.EqualFold(string(v), "true")
				}
			}
			if a == atom.Title && len(skip) == 0 {
				inTitle = tt == html.StartTagToken
				continue
			}
			opens := tt == html.StartTagToken && !voidElement(a)
			if opens && len(skip) > 0 && skip[len(skip)-1].el == a {
				skip[len(skip)-1].depth++
			}
			if opens && len(skip) == 0 {
				switch {
				case scopeOpen > 0 && a == scopeEl:
					scopeOpen++
				case scopeOpen == 0 && isScope(a, role, scope):
					scopeEl, scopeOpen = a, 1
				}
			}
			if chrome[a] || chromeRoles[role] || hidden {
				if opens {
					skip = append(skip, open{el: a, depth: 1})
				}
				continue
			}
			if len(skip) > 0 || !inScope() {
				continue
			}
			switch {
			case headingLevel(a) > 0:
				w.block()
				w.raw(strings.Repeat("#", headingLevel(a)) + " ")
			case a == atom.Li:
				w.lineBreak()
				w.raw("- ")
			case a == atom.Br:
				w.lineBreak()
			case a == atom.Pre:
				w.block()
				pre++
			case a == atom.Td || a == atom.Th:
				if !w.atLineStart() {
					w.raw(" | ")
				}
			case a == atom.Img:
				// Images contribute nothing: alt text is rarely prose.
			case blocks[a]:
				w.block()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Title {
				inTitle = false
				continue
			}
			if len(skip) > 0 {
				// Close the innermost matching chrome element (and any
				// left open inside it, as browsers do).
				for i := len(skip) - 1; i >= 0; i-- {
					if skip[i].el == a {
						if skip[i].depth--; skip[i].depth == 0 {
							skip = skip[:i]
						}
						break
					}
				}
				continue
			}
			if scopeOpen > 0 && a == scopeEl {
				if scopeOpen--; scopeOpen == 0 {
					w.block()
					continue
				}
			}
			if !inScope() {
				continue
			}
			switch {
			case headingLevel(a) > 0:
				w.block()
			case a == atom.Pre:
				if pre > 0 {
					pre--
				}
				w.block()
			case a == atom.Li || a == atom.Tr || a == atom.Dt || a == atom.Dd:
				w.lineBreak()
			case blocks[a]:
				w.block()
			}
		}
		if w.err != nil {
			return Text{}, w.err
		}
	}
}

// Main-content scopes, by preference.
const (
	scopeNone = iota
	scopeMain
	scopeRoleMain
	scopeArticle
)

// open is an element being skipped.
type open struct {
	el    atom.Atom
	depth int
}

func isScope(a atom.Atom, role string, scope int) bool {
	switch scope {
	case scopeMain:
		return a == atom.Main
	case scopeRoleMain:
		return role == "main"
	case scopeArticle:
		return a == atom.Article
	}
	return false
}

// mainScope finds how the page marks its main content, in a first
// tokenizer pass: a <main> element, else role="main", else exactly one
// <article>. Pages listing several articles keep them all.
func mainScope(data []byte) int {
	z := html.NewTokenizer(bytes.NewReader(data))
	articles, roleMain := 0, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		if a == atom.Main {
			return scopeMain
		}
		if a == atom.Article {
			articles++
		}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) == "role" && strings.EqualFold(strings.TrimSpace(string(v)), "main") {
				roleMain = true
			}
		}
	}
	switch {
	case roleMain:
		return scopeRoleMain
	case articles == 1:
		return scopeArticle
	}
	return scopeNone
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
