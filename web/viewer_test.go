package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestParseSpan(t *testing.T) {
	const text = "Vardø froze.\r\n" // ø is two bytes: 4 and 5
	tests := []struct {
		query           string
		want            span
		highlight, good bool
	}{
		{"", span{0, len(text)}, false, true},
		{"start=0&end=6", span{0, 6}, true, true},
		{"start=3&end=3", span{3, 3}, true, true},
		{"start=6", span{6, len(text)}, true, true},
		{"end=4", span{0, 4}, true, true},
		{"start=0&end=14", span{0, 14}, true, true},
		{"start=5&end=4", span{}, true, false},   // start > end
		{"start=0&end=16", span{}, true, false},  // past the end
		{"start=5&end=7", span{}, true, false},   // inside ø
		{"start=0&end=5x", span{}, true, false},  // not a number
		{"start=-1&end=3", span{}, true, false},  // negative
		{"start=1&start=2", span{}, true, false}, // given twice
		{"start=&end=3", span{}, true, false},    // empty
		{"start=99999999999999999999", span{}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, highlight, good := parseSpan(q, text)
			if highlight != tt.highlight || good != tt.good || (good && got != tt.want) {
				t.Errorf("parseSpan(%q) = %v, %v, %v; want %v, %v, %v", tt.query, got, highlight, good, tt.want, tt.highlight, tt.good)
			}
		})
	}
}

// docPre renders text with a span and parses the result inside a <pre>,
// as the viewer page does.
func docPre(t testing.TB, text string, pages []int, sp span, highlight bool) *html.Node {
	t.Helper()
	body := `<pre id="doc">` + string(docHTML(text, pages, sp, highlight, func(n int) string { return fmt.Sprintf("Page %d", n) })) + `</pre>`
	return mustID(t, parse(t, body), "doc")
}

// checkDoc checks the viewer's invariants on a rendered text: the text
// content is exactly the text, only spans and at most one mark are
// there, the mark's text is exactly the span's bytes, and line numbers
// and page breaks are empty.
func checkDoc(t testing.TB, pre *html.Node, text string, sp span, highlight bool) {
	t.Helper()
	if got := textOf(pre); got != text {
		t.Errorf("the document's text content differs from its text:\n got %q\nwant %q", got, text)
	}
	for _, e := range all(pre, func(*html.Node) bool { return true }) {
		if e != pre && e.Data != "span" && e.Data != "mark" {
			t.Errorf("a <%s> element in the document", e.Data)
		}
	}
	marks := byTag(pre, "mark")
	if !highlight {
		if len(marks) != 0 {
			t.Errorf("%d marks without a span", len(marks))
		}
		return
	}
	if len(marks) != 1 {
		t.Fatalf("%d marks, want exactly one", len(marks))
	}
	if attr(marks[0], "id") != "hl" {
		t.Errorf(`the mark's id is %q, want "hl"`, attr(marks[0], "id"))
	}
	if got, want := textOf(marks[0]), text[sp.start:sp.end]; got != want {
		t.Errorf("the mark's text is %q, want %q", got, want)
	}
	for _, e := range append(bySelector(pre, "span.ln"), bySelector(pre, "span.pb")...) {
		if e.FirstChild != nil {
			t.Errorf("a line number or page break holds text %q", text)
		}
	}
}

// textOf is text content, as the browser builds it.
func textOf(n *html.Node) string { return text(n) }

func TestDocHTML(t *testing.T) {
	const crlf = "First line\r\nSecond line\r\n\r\nFourth & <last> line"
	const cyr = "Мир\nтруд\nмай\n"
	pdf := "Page one.\n\nPage two.\n\nPage three.\n"
	pdfPages := []int{0, 11, 11, 22} // the second page is empty: the third starts where it does
	tests := []struct {
		name  string
		text  string
		pages []int
		sp    span
		lines int // line numbers drawn
	}{
		{"whole text", crlf, nil, span{0, len(crlf)}, 4},
		{"one word", crlf, nil, span{0, 5}, 4},
		{"across lines", crlf, nil, span{6, 20}, 4},
		{"a carriage return alone", crlf, nil, span{10, 11}, 4},
		{"ending at a line end", crlf, nil, span{0, 12}, 4},
		{"starting at a line start", crlf, nil, span{12, 30}, 4},
		{"empty, inside", crlf, nil, span{7, 7}, 4},
		{"empty, at the end", crlf, nil, span{len(crlf), len(crlf)}, 4},
		{"empty, at the start", crlf, nil, span{0, 0}, 4},
		{"markup", crlf, nil, span{len(crlf) - 13, len(crlf)}, 4},
		{"multi-byte", cyr, nil, span{2, 10}, 3},
		{"across pages", pdf, pdfPages, span{5, 30}, 5},
		{"a page's start", pdf, pdfPages, span{11, 22}, 5},
		{"no highlight", pdf, pdfPages, span{}, 5},
		{"empty text", "", nil, span{0, 0}, 0},
		{"bidi overrides", "a\u202Eb\u2066c\nd\u202Be\n", nil, span{1, 9}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			highlight := tt.name != "no highlight"
			pre := docPre(t, tt.text, tt.pages, tt.sp, highlight)
			checkDoc(t, pre, tt.text, tt.sp, highlight)
			lns := bySelector(pre, "span.ln")
			if len(lns) != tt.lines {
				t.Errorf("%d line numbers, want %d", len(lns), tt.lines)
			}
			for i, ln := range lns {
				if got, want := attr(ln, "data-n"), fmt.Sprint(i+1); got != want {
					t.Errorf("line number %d reads %q", i+1, got)
				}
			}
			if pbs := bySelector(pre, "span.pb"); len(pbs) != len(tt.pages) {
				t.Errorf("%d page breaks, want %d", len(pbs), len(tt.pages))
			} else {
				for i, pb := range pbs {
					if got, want := attr(pb, "data-p"), fmt.Sprintf("Page %d", i+1); got != want {
						t.Errorf("page break %d reads %q", i+1, got)
					}
				}
			}
			// Each piece names its own offset, and holds the bytes there.
			for _, s := range bySelector(pre, "span.s") {
				var o int
				fmt.Sscan(attr(s, "data-o"), &o)
				if got := textOf(s); !strings.HasPrefix(tt.text[o:], got) || got == "" {
					t.Errorf("the piece at %d holds %q, not the text there", o, got)
				}
			}
		})
	}
}

// FuzzDocHTML renders any text with any span as the viewer does: it never
// panics, refuses a span that does not fit, and for one that does, the
// page's one mark holds exactly the span's bytes and the document's text
// is exactly the text (for what a document can hold: UTF-8 without NUL).
func FuzzDocHTML(f *testing.F) {
	f.Add(hostile, 20, 120, 0)
	f.Add("a\r\nb\rc\n", 1, 5, 2)
	f.Add("Мир\nтруд", 2, 9, 4)
	f.Add("", 0, 0, 0)
	f.Add("x</pre><script>alert(1)</script>&amp;\x00", 0, 10, 3)
	f.Add("\u202Eabc\n\u2067def", 3, 8, 1)
	f.Fuzz(func(t *testing.T, text string, start, end, pageEvery int) {
		q := url.Values{"start": {fmt.Sprint(start)}, "end": {fmt.Sprint(end)}}
		sp, highlight, valid := parseSpan(q, text)
		fits := start >= 0 && start <= end && end <= len(text) &&
			(start == len(text) || utf8.RuneStart(text[start])) && (end == len(text) || utf8.RuneStart(text[end]))
		if valid != fits {
			t.Fatalf("span [%d, %d) of %d bytes: valid %v, want %v", start, end, len(text), valid, fits)
		}
		var pages []int
		if pageEvery > 0 {
			for p := 0; p < len(text); p += pageEvery {
				pages = append(pages, p)
			}
		}
		if !valid {
			// Rendering a span that does not fit must still not panic.
			docHTML(text, pages, span{start, end}, true, func(int) string { return "p" })
			return
		}
		if !highlight {
			t.Fatal("a span given is not highlighted")
		}
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			docHTML(text, pages, sp, true, func(int) string { return "p" })
			return
		}
		checkDoc(t, docPre(t, text, pages, sp, true), text, sp, true)
	})
}

// The viewer page: the document's title and text, the span highlighted
// and described, links to the span and the whole document; errors as
// HTML pages.
func TestViewer(t *testing.T) {
	h := New(Config{}, newTestLive(t, true), nil, testLogger())
	odd := testDocs[2]
	tests := []struct {
		name, target string
		status       int
		doc          string // the document shown, "" for an error page
		sp           span
		highlight    bool
		want         []string // in the page's text
	}{
		{"whole", "/documents/harbour.txt", 200, "harbour.txt", span{}, false, []string{"Harbour notes", "harbour.txt", "126 B, 5 lines"}},
		{"span", "/documents/harbour.txt?start=15&end=70", 200, "harbour.txt", span{15, 70}, true, []string{"Highlighted: bytes 15–70, lines 3–3.", "Link to this passage"}},
		{"nested", "/documents/sub/treaty.md?start=2&end=24", 200, "sub/treaty.md", span{2, 24}, true, []string{"The Treaty of Examples"}},
		{"escaped name", documentPath(odd.ID) + "?start=0&end=16", 200, odd.ID, span{0, 16}, true, []string{"Odd <name> notes", odd.ID}},
		{"pages", "/documents/report.pdf?start=48&end=99", 200, "report.pdf", span{48, 99}, true, []string{"p. 2, lines 5–5"}},
		{"unknown", "/documents/missing.txt", 404, "", span{}, false, []string{`There is no document "missing.txt" in the index.`}},
		{"path outside", "/documents/../secret.txt", 404, "", span{}, false, nil},
		{"start > end", "/documents/harbour.txt?start=9&end=3", 400, "", span{}, false, []string{"The span does not fit the document"}},
		{"past the end", "/documents/harbour.txt?start=0&end=9999", 400, "", span{}, false, nil},
		{"inside a character", "/documents/harbour.txt?start=20&end=35", 400, "", span{}, false, nil},
		{"not a number", "/documents/harbour.txt?start=a", 400, "", span{}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, tt.target)
			if tt.name == "path outside" {
				// The mux cleans the path and redirects; nothing outside
				// the documents is ever named.
				if res.StatusCode/100 != 3 && res.StatusCode != http.StatusNotFound {
					t.Errorf("status %d, want a redirect or 404", res.StatusCode)
				}
				return
			}
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			page := parse(t, body)
			for _, w := range tt.want {
				if !strings.Contains(textOf(page), w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			if tt.doc == "" {
				if byID(page, "doc") != nil {
					t.Error("an error page shows a document")
				}
				return
			}
			var docText string
			for _, d := range testDocs {
				if d.ID == tt.doc {
					docText = d.Text
				}
			}
			checkDoc(t, mustID(t, page, "doc"), docText, tt.sp, tt.highlight)
		})
	}
}
