package extract

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

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
	atom.Blockquote: true, atom.Dl: true,
	atom.Figure: true, atom.Figcaption: true, atom.Address: true,
	atom.Hr: true, atom.Details: true, atom.Summary: true, atom.Caption: true, atom.Body: true,
	atom.Fieldset: true, atom.Center: true,
}

// closesP are the start tags that end an open <p> (the HTML parsing
// algorithm's "close a p element"): a paragraph cannot hold blocks, so
// <p>text<div> has the div after the paragraph, not inside it.
var closesP = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Center: true, atom.Details: true, atom.Dialog: true, atom.Dir: true, atom.Div: true,
	atom.Dl: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true,
	atom.Hr: true, atom.Main: true, atom.Menu: true, atom.Nav: true, atom.Ol: true,
	atom.P: true, atom.Pre: true, atom.Section: true, atom.Table: true, atom.Ul: true,
	atom.Li: true, atom.Dd: true, atom.Dt: true,
}

// headContent are the elements that belong in <head>; any other start tag
// ends a <head> left open.
var headContent = map[atom.Atom]bool{
	atom.Base: true, atom.Basefont: true, atom.Bgsound: true, atom.Link: true, atom.Meta: true,
	atom.Noscript: true, atom.Script: true, atom.Style: true, atom.Template: true, atom.Title: true,
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

// maxTitle bounds Text.Title: a title is a line, not a document.
const maxTitle = 1024

// HTML extracts a page's readable text. When the page marks its main
// content (<main>, role="main", or a single <article>), only that is kept;
// everything else minus the chrome otherwise. Headings become "# " lines,
// list items "- " lines, table rows lines with their cells separated by
// " | ", <pre> keeps its line breaks. The <title> becomes Text.Title.
//
// It runs on the streaming tokenizer, not the tree parser: the parser
// rejects (or slows down on) deeply nested markup, the tokenizer reads any
// page in one linear pass with memory bounded by the input. What the
// tokenizer does not do, it does in a simplified form: a stack of open
// elements, so an end tag closes what it matches (and anything left open
// inside it), and the implied ends browsers apply (a <p> or <li> ends at
// the next one, a <head> at the first element that cannot be in it), so
// hidden or skipped content left unclosed does not swallow the rest of
// the page.
func HTML(data []byte, limit int) (Text, error) {
	t, err := htmlExtract(decodeHTML(data), limit)
	return t, clean(err)
}

func htmlExtract(data []byte, limit int) (Text, error) {
	p := htmlText{
		scope:    mainScope(data),
		w:        builder{limit: limit},
		open:     map[string]int{},
		overflow: map[string]int{},
	}
	z := html.NewTokenizer(bytes.NewReader(data))
	z.SetMaxBuf(0)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return Text{}, err
			}
			for len(p.stack) > 0 {
				p.pop()
			}
			s, err := p.w.text()
			if err != nil {
				return Text{}, err
			}
			return Text{Text: s, Title: cleanTitle(p.title.String())}, nil
		case html.TextToken:
			p.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			var role string
			var hidden bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "role":
					role = strings.ToLower(strings.TrimSpace(string(v)))
				case "hidden":
					hidden = true
				case "aria-hidden":
					hidden = hidden || strings.EqualFold(strings.TrimSpace(string(v)), "true")
				case "style":
					hidden = hidden || hiddenStyle(string(v))
				}
			}
			p.start(name, role, hidden, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			p.end(name)
		}
		if p.w.err != nil {
			return Text{}, p.w.err
		}
	}
}

// maxDepth bounds the open elements kept: the stack is memory, and a page
// of nothing but "<b>" would otherwise hold an element for every three
// bytes.
const maxDepth = 4096

// elementName is the element's name, without allocating for known ones.
func elementName(a atom.Atom, name []byte) string {
	if a != 0 {
		return a.String()
	}
	return string(name)
}

// element is an open element.
type element struct {
	name    string
	a       atom.Atom
	chrome  bool // skipped with everything inside it
	scope   bool // the main content
	foreign bool // <svg> or <math>, where <title> is not the page's
	visible bool // its start was written, so its end is
}

// htmlText is the state of one HTML extraction.
type htmlText struct {
	w     builder
	scope int // how the page marks its main content (scopeNone...)

	stack    []element
	open     map[string]int // open elements by name, to ignore stray end tags at once
	overflow map[string]int // elements opened past maxDepth, by name

	chrome    int // chrome elements open
	scopeOpen int // main-content elements open
	foreign   int // <svg> and <math> open
	pre       int // <pre> open
	cells     int // table cells open
	lists     int // lists open
	items     int // list items open
	preStart  bool

	title     strings.Builder
	inTitle   bool
	keepTitle bool
	titleDone bool
}

// visible reports whether text here is kept.
func (p *htmlText) visible() bool {
	return p.chrome == 0 && (p.scope == scopeNone || p.scopeOpen > 0)
}

func (p *htmlText) text(t []byte) {
	if p.inTitle {
		if p.keepTitle && p.title.Len() < 4*maxTitle {
			p.title.Write(t)
		}
		return
	}
	if !p.visible() {
		return
	}
	if p.pre > 0 && p.cells == 0 {
		// A newline right after <pre> is not content (HTML drops it).
		if p.preStart {
			t = bytes.TrimPrefix(bytes.TrimPrefix(t, []byte("\r")), []byte("\n"))
		}
		p.w.raw(string(t))
	} else {
		p.w.inline(string(t))
	}
	p.preStart = false
}

func (p *htmlText) start(name []byte, role string, hidden, selfClosing bool) {
	a := atom.Lookup(name)
	if a == atom.Title {
		// <title> is raw text to the tokenizer: its text comes next, then
		// its end tag. The page's title is the first one outside <svg>.
		p.inTitle = !selfClosing
		p.keepTitle = p.inTitle && !p.titleDone && p.foreign == 0
		return
	}
	p.impliedEnds(a)
	isChrome := chrome[a] || chromeRoles[role] || hidden
	if selfClosing || voidElement(a) {
		// Nothing opens: <div/> is empty here, as in XHTML, rather than
		// open until its parent ends (a hidden one would hide the rest).
		if !isChrome && p.visible() {
			p.startActions(a)
			p.endActions(a)
		}
		return
	}
	n := elementName(a, name)
	if len(p.stack) >= maxDepth {
		// Deeper than any real page: the element is transparent (its
		// text belongs to its ancestors), and its end tag is matched by
		// count.
		p.overflow[n]++
		return
	}
	e := element{name: n, a: a, chrome: isChrome, foreign: a == atom.Svg || a == atom.Math}
	if !isChrome && p.chrome == 0 && p.scopeOpen == 0 && isScope(a, role, p.scope) {
		e.scope = true
		p.scopeOpen++
	}
	e.visible = !isChrome && p.visible()
	if isChrome {
		p.chromeBreak(a)
	}
	p.stack = append(p.stack, e)
	p.open[e.name]++
	if e.chrome {
		p.chrome++
	}
	if e.foreign {
		p.foreign++
	}
	if e.visible {
		p.startActions(a)
	}
}

func (p *htmlText) end(name []byte) {
	a := atom.Lookup(name)
	switch a {
	case atom.Title:
		if p.inTitle && p.keepTitle {
			p.titleDone = true
		}
		p.inTitle = false
		return
	case atom.Body, atom.Html:
		// Browsers put what follows </body> in the body all the same.
		return
	case atom.Br:
		// </br> is a <br> to browsers.
		p.start(name, "", false, true)
		return
	}
	n := elementName(a, name)
	if p.overflow[n] > 0 {
		p.overflow[n]--
		return
	}
	if p.open[n] == 0 {
		return // a stray end tag: nothing to close
	}
	for len(p.stack) > 0 {
		if p.pop().name == n {
			return
		}
	}
}

// pop closes the innermost open element.
func (p *htmlText) pop() element {
	e := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	if p.open[e.name]--; p.open[e.name] == 0 {
		delete(p.open, e.name)
	}
	if e.visible {
		p.endActions(e.a)
	}
	if e.chrome {
		p.chrome--
		p.chromeBreak(e.a)
	}
	if e.foreign {
		p.foreign--
	}
	if e.scope {
		p.scopeOpen--
		p.w.block()
	}
	return e
}

// Sets of elements impliedEnds closes, and where its search stops.
var (
	setHead     = map[atom.Atom]bool{atom.Head: true}
	setLi       = map[atom.Atom]bool{atom.Li: true}
	setLists    = map[atom.Atom]bool{atom.Ul: true, atom.Ol: true, atom.Menu: true}
	setDtDd     = map[atom.Atom]bool{atom.Dt: true, atom.Dd: true}
	setDl       = map[atom.Atom]bool{atom.Dl: true}
	setTr       = map[atom.Atom]bool{atom.Tr: true}
	setTable    = map[atom.Atom]bool{atom.Table: true}
	setCells    = map[atom.Atom]bool{atom.Td: true, atom.Th: true}
	setRow      = map[atom.Atom]bool{atom.Tr: true, atom.Table: true}
	setSections = map[atom.Atom]bool{atom.Thead: true, atom.Tbody: true, atom.Tfoot: true}
	setOption   = map[atom.Atom]bool{atom.Option: true}
	setSelect   = map[atom.Atom]bool{atom.Select: true}
	setP        = map[atom.Atom]bool{atom.P: true}
	// pScope are the elements a <p> cannot be closed across ("button
	// scope" in the HTML parsing algorithm, less foreign content).
	pScope = map[atom.Atom]bool{
		atom.Td: true, atom.Th: true, atom.Table: true, atom.Caption: true, atom.Button: true,
		atom.Template: true, atom.Html: true, atom.Marquee: true, atom.Object: true, atom.Applet: true,
	}
)

// impliedEnds closes what a start tag ends without an end tag of its own.
// The search looks a few elements deep: far enough for real pages, and
// the work per tag stays constant.
func (p *htmlText) impliedEnds(a atom.Atom) {
	if p.open["head"] > 0 && !headContent[a] {
		p.closeOpen(setHead, nil)
	}
	switch a {
	case atom.Li:
		p.closeOpen(setLi, setLists)
	case atom.Dt, atom.Dd:
		p.closeOpen(setDtDd, setDl)
	case atom.Tr:
		p.closeOpen(setTr, setTable)
	case atom.Td, atom.Th:
		p.closeOpen(setCells, setRow)
	case atom.Thead, atom.Tbody, atom.Tfoot:
		p.closeOpen(setSections, setTable)
	case atom.Option:
		p.closeOpen(setOption, setSelect)
	}
	if closesP[a] && p.open["p"] > 0 {
		p.closeOpen(setP, pScope)
	}
	if headingLevel(a) > 0 && len(p.stack) > 0 && headingLevel(p.stack[len(p.stack)-1].a) > 0 {
		p.pop() // headings do not nest
	}
}

// impliedDepth is how deep impliedEnds looks for an element to close.
const impliedDepth = 32

// closeOpen closes the innermost open element in targets, with what is
// open inside it, unless a boundary element is reached first.
func (p *htmlText) closeOpen(targets, boundary map[atom.Atom]bool) {
	for i := len(p.stack) - 1; i >= 0 && i >= len(p.stack)-impliedDepth; i-- {
		a := p.stack[i].a
		if targets[a] {
			for len(p.stack) > i {
				p.pop()
			}
			return
		}
		if boundary[a] {
			return
		}
	}
}

// startActions writes what an element's start means for the text.
func (p *htmlText) startActions(a atom.Atom) {
	w := &p.w
	inCell := p.cells > 0
	switch {
	case headingLevel(a) > 0:
		if inCell {
			w.soft()
			return
		}
		w.block()
		w.setMarker(strings.Repeat("#", headingLevel(a)) + " ")
	case a == atom.Li:
		p.items++
		if inCell {
			w.soft()
			return
		}
		w.lineBreak()
		w.setMarker("- ")
	case a == atom.Ul || a == atom.Ol:
		p.lists++
		switch {
		case inCell:
			w.soft()
		case p.lists > 1:
			w.lineBreak() // a nested list goes on with its parent's lines
		default:
			w.block()
		}
	case a == atom.Br:
		if inCell {
			w.soft()
			return
		}
		w.lineBreak()
	case a == atom.Pre:
		p.pre++
		p.preStart = true
		if inCell {
			w.soft()
			return
		}
		w.block()
	case a == atom.Table:
		if inCell {
			w.soft()
			return
		}
		w.block()
	case a == atom.Tr:
		if inCell {
			w.soft()
			return
		}
		w.lineBreak()
	case a == atom.Td || a == atom.Th:
		if !w.atLineStart() {
			w.raw(" | ")
		}
		p.cells++
	case a == atom.Dt || a == atom.Dd:
		if inCell {
			w.soft()
			return
		}
		w.lineBreak()
	case a == atom.Img:
		// Images contribute nothing: alt text is rarely prose.
	case blocks[a]:
		switch {
		case inCell:
			w.soft()
		case p.items > 0:
			w.lineBreak() // paragraphs of a list item stay with it
		default:
			w.block()
		}
	}
}

// endActions writes what an element's end means for the text.
func (p *htmlText) endActions(a atom.Atom) {
	w := &p.w
	if a == atom.Td || a == atom.Th {
		p.cells--
		return
	}
	if a == atom.Ul || a == atom.Ol {
		p.lists--
	}
	if a == atom.Pre {
		p.pre--
		p.preStart = false
	}
	if a == atom.Li {
		p.items--
	}
	if p.cells > 0 {
		switch {
		case headingLevel(a) > 0, a == atom.Li, a == atom.Ul, a == atom.Ol, a == atom.Pre,
			a == atom.Table, a == atom.Tr, a == atom.Dt, a == atom.Dd, blocks[a]:
			w.soft()
		}
		return
	}
	switch {
	case headingLevel(a) > 0:
		w.dropMarker() // an empty heading leaves nothing
		w.block()
	case a == atom.Li:
		w.dropMarker()
		w.lineBreak()
	case a == atom.Ul || a == atom.Ol:
		if p.lists > 0 {
			w.lineBreak()
		} else {
			w.block()
		}
	case a == atom.Pre, a == atom.Table:
		w.block()
	case a == atom.Tr, a == atom.Dt, a == atom.Dd:
		w.lineBreak()
	case blocks[a] && p.items > 0:
		w.lineBreak()
	case blocks[a]:
		w.block()
	}
}

// chromeBreak separates the text on either side of a skipped element, as
// its box does on screen: "Contents<nav>...</nav>Introduction" is two
// words, not one. Code and templates have no box.
func (p *htmlText) chromeBreak(a atom.Atom) {
	if !p.visible() {
		return
	}
	switch {
	case a == atom.Script || a == atom.Style || a == atom.Template || a == atom.Noscript || a == atom.Head:
	case p.cells == 0 && (blocks[a] || headingLevel(a) > 0 || blockChrome[a]):
		p.w.block()
	default:
		p.w.soft()
	}
}

// blockChrome are the skipped elements that stand apart as blocks.
var blockChrome = map[atom.Atom]bool{
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Form: true,
	atom.Dialog: true, atom.Menu: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.Table: true, atom.Tr: true, atom.Pre: true, atom.Dt: true, atom.Dd: true,
}

// hiddenStyle reports whether an inline style hides the element.
func hiddenStyle(style string) bool {
	s := strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, style))
	return strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden")
}

// cleanTitle collapses the title's white space and bounds its length.
func cleanTitle(s string) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, ""), func(r rune) bool {
		return unicode.IsSpace(r) || dropped(r)
	}), " ")
	if len(s) <= maxTitle {
		return s
	}
	cut := maxTitle
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Main-content scopes, by preference.
const (
	scopeNone = iota
	scopeMain
	scopeRoleMain
	scopeArticle
)

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
