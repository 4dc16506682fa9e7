package extract

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"citebot/loader/extract/extracttest"
)

// fuzzLimit is the text limit the fuzz targets extract under.
const fuzzLimit = 1 << 16

// checkExtracted is the property every extractor keeps, whatever its
// input: it returns (quickly), and what it returns is well formed: valid
// UTF-8 within the limit, ending in a newline, page offsets in order
// within the text and the first at 0; an error has a message fit to show.
func checkExtracted(t *testing.T, name string, x Func, data []byte) {
	start := time.Now()
	got, err := x(data, fuzzLimit)
	if d := time.Since(start); d > slack(5*time.Second) {
		t.Errorf("%s took %v on %d bytes", name, d, len(data))
	}
	if err != nil {
		if got.Text != "" || got.Pages != nil {
			t.Errorf("%s: an error (%v) with a result", name, err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Errorf("%s: error message is not UTF-8: %q", name, err)
		}
		return
	}
	if !utf8.ValidString(got.Text) || !utf8.ValidString(got.Title) {
		t.Errorf("%s: invalid UTF-8: %q (title %q)", name, got.Text, got.Title)
	}
	if len(got.Text) > fuzzLimit+1 {
		t.Errorf("%s: %d bytes of text over the limit %d", name, len(got.Text), fuzzLimit)
	}
	if strings.TrimSpace(got.Text) == "" || !strings.HasSuffix(got.Text, "\n") {
		t.Errorf("%s: text %q: empty or without a final newline", name, got.Text)
	}
	if len(got.Title) > maxTitle {
		t.Errorf("%s: title of %d bytes", name, len(got.Title))
	}
	if len(got.Pages) > 0 && got.Pages[0] != 0 {
		t.Errorf("%s: Pages[0] = %d", name, got.Pages[0])
	}
	for i, p := range got.Pages {
		// Offsets only grow; two are equal only where a page has no text.
		if p < 0 || p > len(got.Text) || (i > 0 && p < got.Pages[i-1]) {
			t.Errorf("%s: Pages = %v for %d bytes of text", name, got.Pages, len(got.Text))
			break
		}
	}
}

// FuzzPDF extracts each input three ways: as a whole file (where the
// library's parsing of the structure is exercised), as the content stream
// of a valid page, and as the ToUnicode CMap of a valid page's font. A
// mutated file rarely keeps its cross-reference offsets right, so most
// raw inputs stop at the structure; the other two reach the content
// tokenizer, the text operators and the CMap reader every time.
func FuzzPDF(f *testing.F) {
	// Bombs are bounded by maxContentBytes; a smaller bound keeps each
	// run short without changing what is checked.
	defer func(n int64) { maxContentBytes = n }(maxContentBytes)
	maxContentBytes = 4 << 20

	f.Add(extracttest.PDF(reportPages...))
	f.Add(extracttest.PDFCompressed([]string{"compressed"}, []string{"two", "lines"}))
	f.Add(extracttest.PDFOptions{Tm: true, Version: "2.0"}.Pages([]string{"Tm", "lines"}))
	f.Add(extracttest.EncryptedPDF("secret", []string{"locked"}))
	f.Add(extracttest.PDFOptions{Encrypt: &extracttest.Encryption{Bits: 128}}.Pages([]string{"128-bit"}))
	f.Add(extracttest.PDF([]string{"A"}, nil, []string{"C"}))
	f.Add(onePage("BT /F1 12 Tf (AB) Tj ET", "<< /Type /Font /Encoding << /Differences [65 /B /C] >> >>"))
	f.Add(xrefStream("/Size 5 /W [1 2 1] /Index [0 5]"))
	f.Add(extracttest.ContentBombPDF(64 << 10))
	// Content streams and CMaps.
	f.Add([]byte("BT /F1 12 Tf 72 700 Td [(Hel) 20 (lo) -300 (wor) -100 (ld)] TJ 14 TL (a) ' 1 2 (b) \" 0 -14 TD (c) Tj T* <0001> Tj ET"))
	f.Add([]byte("BT /F1 12 Tf 1 0 0 1 72 700 Tm (esc\\(\\)\\101\\n) Tj /Span << /A [1 (x)] >> BDC EMC ET q BI /W 1 /H 1 ID \n\x00 EI Q % comment"))
	f.Add([]byte(toUnicode))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkExtracted(t, "PDF", PDF, data)
		checkExtracted(t, "PDF content", PDF, onePage(string(data), helvetica))
		checkExtracted(t, "PDF ToUnicode", PDF, onePage("BT /F1 12 Tf <0001 0002 0010 0015 0020 0022 41 42 00> Tj [<0001> -300 <0002>] TJ ET", type0,
			extracttest.Object{Stream: data}))
	})
}

func FuzzDOCX(f *testing.F) {
	f.Add(extracttest.DOCX(
		para{Style: "Title", Text: "Guide"},
		para{Style: "Heading2", Text: "Part"},
		para{Text: "Body\twith a tab\nand a break & <escapes>"},
		para{List: true, Text: "item"},
		para{Cells: []string{"a", "b\nc"}},
		para{Text: "Кириллица"},
	))
	f.Add(docxWith(`<w:p><w:r><mc:AlternateContent><mc:Choice><w:t>x</w:t></mc:Choice><mc:Fallback><w:t>x</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>`))
	f.Add(extracttest.ZipBombDOCX(1 << 20))
	f.Add(extracttest.LyingZipBombDOCX(1<<20, 100))
	f.Add(extracttest.EncryptedDOCX())
	f.Add([]byte(extracttest.DocumentXML(para{Style: "Heading1", Text: "H"}, para{List: true, Text: "i"}, para{Cells: []string{"a", "b"}})))
	parts := extracttest.DOCXParts()
	f.Fuzz(func(t *testing.T, data []byte) {
		checkExtracted(t, "DOCX", DOCX, data)
		// As document.xml in a valid package, which a mutated zip
		// rarely stays.
		parts["word/document.xml"] = string(data)
		checkExtracted(t, "DOCX document.xml", DOCX, extracttest.Zip(parts))
	})
}

func FuzzHTML(f *testing.F) {
	for _, page := range []string{
		`<!doctype html><html><head><title>T</title><script>x</script></head><body><nav>n</nav><main><h1>H</h1><p>p &amp; q</p><ul><li>a<li>b</ul><table><tr><td>1<td>2</table><pre>
 x</pre></main><footer>f</footer></body></html>`,
		`<div role="navigation"><div>n</div></div><article><p hidden>h</p><p style="display:none">s</p>text</article>`,
		`<p>one<p>two<li hidden>x<li>y<svg><title>i</title></svg><title>Real</title>`,
		`<div role=main><h2>Заголовок</h2><br/><td>cell</div>`,
	} {
		f.Add([]byte(page))
	}
	f.Add(extracttest.NestedHTML(50))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkExtracted(t, "HTML", HTML, data)
	})
}
