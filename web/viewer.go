package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// span is a half-open byte range of a document's text.
type span struct{ start, end int }

// parseSpan reads a viewer's ?start=&end= (byte offsets, half-open, as in
// citations): ok is false when neither is given (nothing is
// highlighted); a missing one is the text's start or end. A span must fit
// the text and start and end on character boundaries, so that the
// highlight is exactly the cited bytes.
func parseSpan(q url.Values, text string) (sp span, ok bool, valid bool) {
	sp = span{0, len(text)}
	for _, p := range []struct {
		name string
		v    *int
	}{{"start", &sp.start}, {"end", &sp.end}} {
		vals, given := q[p.name]
		if !given {
			continue
		}
		ok = true
		if len(vals) != 1 {
			return span{}, true, false
		}
		n, err := strconv.Atoi(vals[0])
		if err != nil || n < 0 {
			return span{}, true, false
		}
		*p.v = n
	}
	if sp.start > sp.end || sp.end > len(text) || !boundary(text, sp.start) || !boundary(text, sp.end) {
		return span{}, ok, false
	}
	return sp, ok, true
}

// boundary reports whether byte offset i of text starts a character (or
// is the end).
func boundary(text string, i int) bool {
	return i == len(text) || utf8.RuneStart(text[i])
}

// docHTML renders a document's text as the content of the viewer's
// <pre>: the exact bytes, cut into pieces (<span class="s" data-o="byte
// offset">) at each line start, page start and end of the highlight,
// with the highlight in one <mark id="hl">. Line numbers (<span
// class="ln" data-n>) and page breaks (<span class="pb" data-p>) are
// empty elements whose text CSS draws, so they may sit inside the mark
// without adding to its text: the mark's text content is exactly
// text[hl.start:hl.end]. pageLabel names page n ("p. 3") for the break.
//
// Each piece is isolated for bidi in the stylesheet, so an override
// character in a document reorders nothing beyond its piece of a line.
func docHTML(text string, pageStarts []int, hl span, highlight bool, pageLabel func(int) string) template.HTML {
	var b strings.Builder
	b.Grow(len(text) + len(text)/8 + 256)
	if highlight && (hl.start < 0 || hl.start > hl.end || hl.end > len(text)) {
		highlight = false // parseSpan refuses such spans; never loop on one
	}
	valid := utf8.ValidString(text)
	line, page := 1, 0
	open, closed := false, !highlight // the mark: open now; done with
	for pos := 0; ; {
		if open && hl.end == pos {
			b.WriteString("</mark>")
			open, closed = false, true
		}
		for page < len(pageStarts) && pageStarts[page] <= pos {
			page++
			b.WriteString(`<span class="pb" data-p="`)
			escapeText(&b, pageLabel(page), true)
			b.WriteString(`"></span>`)
		}
		if pos < len(text) && (pos == 0 || text[pos-1] == '\n') {
			b.WriteString(`<span class="ln" data-n="`)
			b.WriteString(strconv.Itoa(line))
			b.WriteString(`"></span>`)
			line++
		}
		if !open && !closed && hl.start == pos {
			b.WriteString(`<mark id="hl">`)
			open = true
			if hl.end == pos {
				b.WriteString("</mark>")
				open, closed = false, true
			}
		}
		if pos >= len(text) {
			break
		}
		next := len(text)
		if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		if page < len(pageStarts) {
			next = min(next, pageStarts[page])
		}
		switch {
		case open:
			next = min(next, hl.end)
		case !closed && hl.start > pos:
			next = min(next, hl.start)
		}
		b.WriteString(`<span class="s" data-o="`)
		b.WriteString(strconv.Itoa(pos))
		b.WriteString(`">`)
		if valid {
			escapeText(&b, text[pos:next], false)
		} else {
			escapeText(&b, strings.ToValidUTF8(text[pos:next], "\uFFFD"), false)
		}
		b.WriteString("</span>")
		pos = next
	}
	if open { // a span past the text cannot reach here; kept well-formed anyway
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

// escapeText writes s as HTML text (or, with attr, an attribute value in
// double quotes) whose parsed text is exactly s: besides & and <, a
// carriage return is written as a character reference, because the HTML
// parser turns a literal one into a line feed. A NUL, which HTML cannot
// carry at all, becomes U+FFFD (documents never hold one: the loader
// refuses them).
func escapeText(b *strings.Builder, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '\r':
			rep = "&#13;"
		case 0:
			rep = "\uFFFD"
		case '"':
			if !attr {
				continue
			}
			rep = "&#34;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// exact is s as HTML text that parses back to exactly s (a quote shown in
// the answer: html/template would let a carriage return through, and
// the parser would turn it into a line feed).
func exact(s string) template.HTML {
	var b strings.Builder
	escapeText(&b, strings.ToValidUTF8(s, "\uFFFD"), false)
	return template.HTML(b.String())
}

// documentPath is the viewer's path for a document: /documents/ and the
// id, each segment escaped, its slashes kept.
func documentPath(id string) string {
	segs := strings.Split(id, "/")
	for i, s := range segs {
		// html/template escapes these three in URLs; escaping them here
		// keeps the link exactly as built.
		segs[i] = strings.NewReplacer("'", "%27", "(", "%28", ")", "%29").Replace(url.PathEscape(s))
	}
	return "/documents/" + strings.Join(segs, "/")
}

// spanHref links the viewer at a span: /documents/{id}?start=S&end=E.
func spanHref(id string, start, end int) string {
	return documentPath(id) + "?start=" + strconv.Itoa(start) + "&end=" + strconv.Itoa(end)
}
