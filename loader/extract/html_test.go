package extract

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"citebot/loader/extract/extracttest"
)

func TestHTML(t *testing.T) {
	for _, c := range []struct {
		name, page, want, title string
	}{
		{name: "main only", page: `<!doctype html><html><head><title>Harbour  Ferry
	Timetable</title>
<script>var note = "The ferry password is zebra-quartz-17.";</script><style>p{color:red}</style></head>
<body><header><h1>Site name</h1></header><nav><a href="/">Home</a> The ferry office closes forever tomorrow.</nav>
<div role="navigation"><div><div>Breadcrumbs</div></div> &gt; Ferries</div>
<main><h1>Harbour Ferry</h1><p>The Northpoint ferry departs at 07:45 every weekday.</p>
<aside>Related: buses</aside><p hidden>Hidden paragraph.</p><p aria-hidden="true">Also hidden.</p>
<div style="display: none">Styled away.</div><p>Tickets cost 4&nbsp;€ &amp; up.</p></main>
<footer>Copyright the Harbour Board</footer></body></html>`,
			title: "Harbour Ferry Timetable",
			want:  "# Harbour Ferry\n\nThe Northpoint ferry departs at 07:45 every weekday.\n\nTickets cost 4 € & up.\n"},
		{name: "no main: all but chrome", page: `<body><nav>Menu</nav><h2>Title</h2><p>One.</p><div role="navigation"><div>Nested <div>nav</div></div> links</div><p>Two.</p><footer>Foot</footer></body>`,
			want: "## Title\n\nOne.\n\nTwo.\n"},
		{name: "single article", page: `<body><p>Teaser outside.</p><article><h2>Story</h2><p>Body text.</p></article><p>More outside.</p></body>`,
			want: "## Story\n\nBody text.\n"},
		{name: "several articles kept", page: `<body><article><p>First.</p></article><article><p>Second.</p></article></body>`,
			want: "First.\n\nSecond.\n"},
		{name: "role main", page: `<body><div>Outside.</div><div role="main"><div hidden>Hidden.</div><div>Inside <div>nested</div></div></div><div>Outside again.</div></body>`,
			want: "Inside\n\nnested\n"},
		{name: "headings", page: `<h1>One</h1><h2>Two</h2><h3>Three <em>emphasis</em></h3><h6>Six</h6><h2></h2><p>Text</p>`,
			want: "# One\n\n## Two\n\n### Three emphasis\n\n###### Six\n\nText\n"},
		{name: "lists", page: `<p>Intro</p><ul><li>one</li><li><p>two</p></li><li>three<ul><li>nested</li></ul></li><li></li></ul><ol><li>first<li>second</ol><p>After</p>`,
			want: "Intro\n\n- one\n- two\n- three\n- nested\n\n- first\n- second\n\nAfter\n"},
		{name: "tables", page: `<table><caption>Prices</caption><tr><th>Item</th><th>Price</th></tr><tr><td><p>Apples</p></td><td><p>2 €</p><p>per kg</p></td></tr><tr><td>Pears<td>3 €</table><p>After</p>`,
			want: "Prices\n\nItem | Price\nApples | 2 € per kg\nPears | 3 €\n\nAfter\n"},
		{name: "pre", page: "<p>Code:</p><pre>\nfunc main() {\n\tprintln(\"hi\")\n}\n</pre><p>After</p>",
			want: "Code:\n\nfunc main() {\n\tprintln(\"hi\")\n}\n\nAfter\n"},
		{name: "entities", page: `<p>&lt;tag&gt; &amp;amp; &quot;q&quot; &#x263A; &#9731; &eacute; &copy; &unknown;</p>`,
			want: "<tag> &amp; \"q\" ☺ ☃ é © &unknown;\n"},
		{name: "Cyrillic", page: `<html><head><meta charset="utf-8"><title>Новости</title></head><body><h1>Заголовок</h1><p>Съешь же ещё этих мягких французских булок, да выпей чаю.</p></body></html>`,
			title: "Новости", want: "# Заголовок\n\nСъешь же ещё этих мягких французских булок, да выпей чаю.\n"},
		{name: "line breaks and words", page: `<p>line one<br>line two<br/>three</p><p>a<b>b</b> c<span> d</span></p>`,
			want: "line one\nline two\nthree\n\nab c d\n"},
		{name: "chrome between words", page: `<div>Contents<nav>menu</nav>Introduction</div><p>x<script>1</script>y<button>b</button>z</p>`,
			want: "Contents\n\nIntroduction\n\nxy z\n"},
		{name: "nested chrome", page: `<body><nav><nav>inner</nav>outer</nav>after<div hidden><div hidden>h</div>h2</div>after2</body>`,
			want: "after\n\nafter2\n"},
		{name: "svg title is not the page's", page: `<body><svg><title>icon</title></svg><title>Real</title><p>x</p></body>`,
			title: "Real", want: "x\n"},
		{name: "first title wins", page: `<title>One</title><title>Two</title><p>x</p>`, title: "One", want: "x\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := HTML([]byte(c.page), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want {
				t.Errorf("got:\n%q\nwant:\n%q", got.Text, c.want)
			}
			if got.Title != c.title {
				t.Errorf("title %q, want %q", got.Title, c.title)
			}
		})
	}
}

// TestHTMLUnclosed: what browsers close implicitly is closed, so hidden or
// skipped content left open does not take the rest of the page with it.
func TestHTMLUnclosed(t *testing.T) {
	for _, c := range []struct{ name, page, want string }{
		{"paragraphs", `<p>one<p>two<div>three</div>four`, "one\n\ntwo\n\nthree\n\nfour\n"},
		{"hidden paragraph", `<p hidden>secret<p>shown`, "shown\n"},
		{"hidden paragraph closed by a block", `<p hidden>secret<div>shown</div>`, "shown\n"},
		{"hidden item", `<ul><li hidden>secret<li>shown</ul>after`, "- shown\n\nafter\n"},
		{"hidden cell", `<table><tr><td hidden>secret<td>shown<tr><td>next</table>`, "shown\nnext\n"},
		{"head left open", `<head><title>T</title><style>x{}</style><body><p>body text`, "body text\n"},
		{"stray end tags", `</div></p></span><p>text</p></li></ul>`, "text\n"},
		{"end tag closes what is open inside", `<div hidden><span><b>secret</div>shown`, "shown\n"},
		{"nav never closed", `<p>before</p><nav>menu`, "before\n"},
		{"unclosed tag at the end", `<p>text<b`, "text\n"},
		{"comment and doctype", `<!DOCTYPE html><!-- <p>commented</p> --><p>real</p><![CDATA[x]]>`, "real\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := HTML([]byte(c.page), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want {
				t.Errorf("got %q, want %q", got.Text, c.want)
			}
		})
	}
}

func TestHTMLErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		page string
		want error
	}{
		{"empty", "", ErrNoText},
		{"only chrome", `<nav>menu</nav><script>x</script>`, ErrNoText},
		{"empty main", `<p>outside</p><main> </main>`, ErrNoText},
		{"over the limit", "<p>" + strings.Repeat("word ", 500) + "</p>", ErrTooLarge},
	} {
		if _, err := HTML([]byte(c.page), 1000); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHTMLTitleBounded(t *testing.T) {
	got, err := HTML([]byte("<title>"+strings.Repeat("é", 5000)+"\x01</title><p>x</p>"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Title) > maxTitle || !strings.HasPrefix(got.Title, "éé") || strings.ContainsRune(got.Title, 1) {
		t.Errorf("title of %d bytes", len(got.Title))
	}
}

// TestHTMLDeep: nesting is linear, however deep.
func TestHTMLDeep(t *testing.T) {
	for _, c := range []struct {
		name string
		page []byte
		want string
	}{
		{"100,000 nested divs", extracttest.NestedHTML(100000), "Deep text.\n\nAfter the divs.\n"},
		{"100,000 unclosed spans", []byte("<p>" + strings.Repeat("<span>", 100000) + "deep</p>after"), "deep\n\nafter\n"},
		{"100,000 stray end tags", []byte("<p>x</p>" + strings.Repeat("</div>", 100000) + "<p>y</p>"), "x\n\ny\n"},
		{"100,000 nested hidden divs", []byte(strings.Repeat("<div hidden>", 100000) + "secret" + strings.Repeat("</div>", 100000) + "<p>shown</p>"), "shown\n"},
		{"100,000 nested lists", []byte(strings.Repeat("<ul><li>x", 100000)), strings.Repeat("- x\n", 100000)},
		{"a page of <b>", []byte(strings.Repeat("<b>", 1000000) + "bold"), "bold\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			got, err := HTML(c.page, 0)
			if d := time.Since(start); d > slack(2*time.Second) {
				t.Errorf("took %v", d)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want {
				t.Errorf("got %q", head(got.Text))
			}
		})
	}
	// Twice the depth takes about twice the time, not four times.
	timeOf := func(n int) time.Duration {
		page := extracttest.NestedHTML(n)
		best := time.Hour
		for range 3 {
			start := time.Now()
			HTML(page, 0)
			best = min(best, time.Since(start))
		}
		return best
	}
	// Other tests share the machine (go test runs packages in parallel): a
	// quadratic parse fails every attempt, a busy moment seldom three.
	for attempt := 1; ; attempt++ {
		small, large := timeOf(50000), timeOf(200000)
		if large <= 10*small {
			break
		}
		if attempt == 3 {
			t.Errorf("50,000 divs: %v; 200,000: %v (quadratic?)", small, large)
			break
		}
	}
}

func TestHTMLInvalidUTF8(t *testing.T) {
	// Mostly UTF-8, with stray bytes: UTF-8 gone wrong, not another
	// encoding, so the stray bytes go and the rest stays.
	page := []byte("<title>\xff\xfeTi\xc3tle é</title><p>caf\xe9 ok \xc3\xa9 ü ö</p>")
	got, err := HTML(page, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "caf ok é ü ö\n" || got.Title != "Title é" {
		t.Errorf("got %q, title %q", got.Text, got.Title)
	}
	if !bytes.Equal([]byte(got.Text), []byte(strings.ToValidUTF8(got.Text, "?"))) {
		t.Error("invalid UTF-8 in the text")
	}
}
