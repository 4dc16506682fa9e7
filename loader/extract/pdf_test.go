package extract

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"citebot/loader/extract/extracttest"
)

// reportPages is a three-page report whose facts sit on known pages.
var reportPages = [][]string{
	{"Annual Report on Lighthouse Maintenance", "Prepared by the Coastal Survey Office."},
	{"Section Two: Lamps", "The Greyhaven lighthouse lamp was replaced in March 2019.", "Its beam reaches 22 nautical miles."},
	{"Section Three: Staff", "The keeper of the Saltmarsh lighthouse is Ingrid Tollefsen.", "She has served since 2011."},
}

const reportText = `Annual Report on Lighthouse Maintenance
Prepared by the Coastal Survey Office.

Section Two: Lamps
The Greyhaven lighthouse lamp was replaced in March 2019.
Its beam reaches 22 nautical miles.

Section Three: Staff
The keeper of the Saltmarsh lighthouse is Ingrid Tollefsen.
She has served since 2011.
`

// checkPages checks Text.Pages against the lines each page starts with.
func checkPages(t *testing.T, got Text, first []string) {
	t.Helper()
	if len(got.Pages) != len(first) {
		t.Fatalf("Pages = %v, want %d pages", got.Pages, len(first))
	}
	for i, line := range first {
		if !strings.HasPrefix(got.Text[got.Pages[i]:], line) {
			t.Errorf("page %d starts at %d: %q, want %q", i+1, got.Pages[i], head(got.Text[got.Pages[i]:]), line)
		}
	}
	if got.Pages[0] != 0 {
		t.Errorf("Pages[0] = %d", got.Pages[0])
	}
}

func head(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func TestPDFPages(t *testing.T) {
	for name, data := range map[string][]byte{
		"plain":          extracttest.PDF(reportPages...),
		"compressed":     extracttest.PDFCompressed(reportPages...),
		"version 2":      extracttest.PDFOptions{Version: "2.0", Compress: true}.Pages(reportPages...),
		"Tm":             extracttest.PDFOptions{Tm: true}.Pages(reportPages...),
		"128-bit":        extracttest.PDFOptions{Encrypt: &extracttest.Encryption{Bits: 128}, Compress: true}.Pages(reportPages...),
		"object streams": extracttest.PDFOptions{ObjectStreams: true, Compress: true}.Pages(reportPages...),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := PDF(data, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != reportText {
				t.Errorf("text:\n%s\nwant:\n%s", got.Text, reportText)
			}
			if want := []int{0, 80, 194}; fmt.Sprint(got.Pages) != fmt.Sprint(want) {
				t.Errorf("Pages = %v, want %v", got.Pages, want)
			}
			checkPages(t, got, []string{reportPages[0][0], reportPages[1][0], reportPages[2][0]})
			if p := strings.Index(got.Text, "Greyhaven"); p < got.Pages[1] || p >= got.Pages[2] {
				t.Errorf("the Greyhaven fact at %d is not on page 2 (%v)", p, got.Pages)
			}
			if p := strings.Index(got.Text, "Tollefsen"); p < got.Pages[2] {
				t.Errorf("the Tollefsen fact at %d is not on page 3 (%v)", p, got.Pages)
			}
		})
	}
}

func TestPDFEmptyPages(t *testing.T) {
	for _, c := range []struct {
		pages [][]string
		text  string
		want  []int
	}{
		{[][]string{{"A"}, nil, {"C"}}, "A\n\nC\n", []int{0, 3, 3}},
		{[][]string{nil, {"B"}}, "B\n", []int{0, 0}},
		{[][]string{{"A"}, nil}, "A\n", []int{0, 1}},
	} {
		got, err := PDF(extracttest.PDF(c.pages...), 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Text != c.text || fmt.Sprint(got.Pages) != fmt.Sprint(c.want) {
			t.Errorf("%q: got %q %v, want %q %v", c.pages, got.Text, got.Pages, c.text, c.want)
		}
	}
}

// onePage is a one-page PDF with content stream content and font as /F1
// (object 5); further objects are numbered from 6.
func onePage(content, font string, more ...extracttest.Object) []byte {
	objs := []extracttest.Object{
		{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{Stream: []byte(content)},
		{Body: font},
	}
	return extracttest.PDFOptions{}.Objects("/Root 1 0 R", append(objs, more...)...)
}

const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// toUnicode maps: 0001 H, 0002 the ligature "fi", 0010-0019 the digits,
// 0020-0022 A, B and a letter outside the BMP (a surrogate pair).
const toUnicode = `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
2 beginbfchar
<0001> <0048>
<0002> <00660069>
endbfchar
2 beginbfrange
<0010> <0019> <0030>
<0020> <0022> [<0041> <0042> <D835DC9C>]
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
`

const type0 = "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Custom /Encoding /Identity-H /DescendantFonts [] /ToUnicode 6 0 R >>"

func TestPDFText(t *testing.T) {
	for _, c := range []struct {
		name    string
		content string
		font    string
		more    []extracttest.Object
		want    string
	}{
		{name: "TJ kerning", content: "BT /F1 12 Tf 72 700 Td [(Hel) 20 (lo) -300 (wor) -100 (ld)] TJ ET", want: "Hello world"},
		{name: "TJ gap threshold", content: "BT /F1 12 Tf 72 700 Td [(A) -250 (B) -251 (C)] TJ ET", want: "AB C"},
		{name: "Tm lines and words", content: "BT /F1 12 Tf 1 0 0 1 72 700 Tm (one) Tj 1 0 0 1 200 700 Tm (two) Tj 1 0 0 1 72 686 Tm (three) Tj ET", want: "one two\nthree"},
		{name: "quote operators", content: "BT /F1 12 Tf 14 TL 72 700 Td (a) Tj (b) ' 1 2 (c) \" ET", want: "a\nb\nc"},
		{name: "TD sets leading", content: "BT /F1 12 Tf 72 700 Td (a) Tj 0 -14 TD (b) Tj T* (c) Tj ET", want: "a\nb\nc"},
		{name: "escapes", content: `BT /F1 12 Tf (a\(b\)c\\d \101\102 e\nf \
g) Tj ET`, want: `a(b)c\d AB ef g`},
		{name: "WinAnsi", content: `BT /F1 12 Tf (caf\351 \223q\224 \200 5\260) Tj ET`, want: "café “q” € 5°"},
		{name: "hex string", content: "BT /F1 12 Tf <48 65 6C 6c 6F 2> Tj ET", want: "Hello"},
		{name: "marked content and comments", content: "BT /F1 12 Tf /Span << /ActualText (x) /Nested << /A [1 2] >> >> BDC (marked) Tj EMC % (comment) Tj\n ET", want: "marked"},
		{name: "inline image", content: "BT /F1 12 Tf 72 700 Td (before) Tj ET q BI /W 2 /H 1 /CS /G /BPC 8 ID \n(<\xff) EI Q BT /F1 12 Tf 72 700 Td (after) Tj ET", want: "before after"},
		{name: "no font", content: "BT (plain) Tj ET", want: "plain"},
		{name: "unterminated hex string", content: "BT /F1 12 Tf (hello) Tj <4142", want: "hello"},
		{name: "unterminated string", content: "BT /F1 12 Tf (hello) Tj (cut", want: "hello"},
		{name: "unterminated array", content: "BT /F1 12 Tf (hello) Tj [(a) (b", want: "hello"},
		{name: "operands without operators", content: "BT /F1 12 Tf " + strings.Repeat("1 ", 10000) + "(x) Tj ET", want: "x"},
		{name: "Differences", content: "BT /F1 12 Tf (AB) Tj ET", font: "<< /Type /Font /Subtype /Type1 /BaseFont /X /Encoding << /Type /Encoding /Differences [65 /B /C] >> >>", want: "BC"},
		{name: "ToUnicode", content: "BT /F1 12 Tf <0001 0002 0010 0015 0019 0020 0021 0022 0099> Tj ET", font: type0,
			more: []extracttest.Object{{Stream: []byte(toUnicode)}}, want: "Hfi059AB\U0001D49C"},
		{name: "ToUnicode counts out of bounds", content: "BT /F1 12 Tf <01> Tj ET", font: type0,
			more: []extracttest.Object{{Stream: []byte("99999999999 begincodespacerange <00> <FF> endcodespacerange 99999999999 beginbfchar <01> <0041> endbfchar -5 beginbfrange <02> <01> <0042> endbfrange")}}, want: "A"},
		{name: "ToUnicode without codespace", content: "BT /F1 12 Tf <00410042> Tj ET", font: type0,
			more: []extracttest.Object{{Stream: []byte("2 beginbfchar <0041> <0061> <0042> <0062> endbfchar")}}, want: "ab"},
		{name: "ToUnicode cut short", content: "BT /F1 12 Tf <0001> Tj ET", font: type0,
			more: []extracttest.Object{{Stream: []byte("1 beginbfchar <0001> <00480049> endbfchar 1 beginbfchar <0002> <00")}}, want: "HI"},
	} {
		t.Run(c.name, func(t *testing.T) {
			font := c.font
			if font == "" {
				font = helvetica
			}
			got, err := PDF(onePage(c.content, font, c.more...), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want+"\n" {
				t.Errorf("got %q, want %q", got.Text, c.want+"\n")
			}
		})
	}
}

// TestPDFContentArray: a page's content may be an array of streams, read
// as one.
func TestPDFContentArray(t *testing.T) {
	data := extracttest.PDFOptions{Compress: true}.Objects("/Root 1 0 R",
		extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		extracttest.Object{Body: "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 7 0 R >> >> /Contents [4 0 R 5 0 R 99 0 R 6 0 R] >>"},
		extracttest.Object{Stream: []byte("BT /F1 12 Tf 14 TL 72 700 Td (one) Tj")},
		extracttest.Object{Stream: []byte("(two) '")},
		extracttest.Object{Stream: []byte("ET")},
		extracttest.Object{Body: helvetica},
	)
	got, err := PDF(data, 0)
	if err != nil || got.Text != "one\ntwo\n" {
		t.Errorf("got %q, %v", got.Text, err)
	}
}

func TestPDFErrors(t *testing.T) {
	report := extracttest.PDF(reportPages...)
	xref := bytes.LastIndex(report, []byte("\nxref\n")) + 1
	for _, c := range []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"encrypted", extracttest.EncryptedPDF("secret", reportPages...), ErrEncrypted},
		{"encrypted 128-bit", extracttest.PDFOptions{Encrypt: &extracttest.Encryption{UserPassword: "secret", Bits: 128}}.Pages(reportPages...), ErrEncrypted},
		// Opens without a password, but the library would decrypt it
		// wrongly.
		{"40-bit without a user password", extracttest.EncryptedPDF("", reportPages...), ErrEncrypted},
		{"empty", nil, nil},
		{"not a PDF", []byte("hello, world"), nil},
		{"garbage", bytes.Repeat([]byte{0x00, 0xff, 0x25, 0x50}, 1000), nil},
		{"header then garbage", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage "), 100)...), nil},
		{"no text", onePage("0 0 m 100 100 l S 10 10 50 50 re f", helvetica), ErrNoText},
		{"empty text", onePage("BT /F1 12 Tf ( ) Tj () Tj ET", helvetica), ErrNoText},
		{"no content", extracttest.PDFOptions{}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			extracttest.Object{Body: "<< /Type /Page /Parent 2 0 R >>"}), ErrNoText},
		{"no pages", extracttest.PDFOptions{}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [] /Count 0 >>"}), nil},
		{"unknown filter", extracttest.PDFOptions{}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			extracttest.Object{Body: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"},
			extracttest.Object{Stream: []byte("xx"), Filter: "LZWDecode"}), errors.New("broken PDF: unknown filter LZWDecode")},
		{"page tree loop", extracttest.PDFOptions{}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"},
			extracttest.Object{Body: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"},
			extracttest.Object{Stream: []byte("BT (x) Tj ET")}), nil},
		{"page tree fan-out", extracttest.PDFOptions{}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [2 0 R 2 0 R 2 0 R] /Count 3 >>"}), nil},
		{"huge xref subsection", bytes.Replace(report, []byte("xref\n0 "), []byte("xref\n99999999999 "), 1), nil},
		{"xref loop", bytes.Replace(report, []byte("/Root 1 0 R"), fmt.Appendf(nil, "/Root 1 0 R /Prev %d", xref), 1), nil},
		{"xref stream /Size", xrefStream("/Size 99999999999 /W [1 2 1]"), nil},
		{"xref stream /W", xrefStream("/Size 5 /W [1000000000 0 0]"), nil},
		{"xref stream /Index", xrefStream("/Size 5 /W [0 0 0] /Index [0 999999999999]"), nil},
		// The library allocates predictor rows of /Columns bytes: a fatal
		// out of memory, not a panic, for these.
		{"huge /Columns", extracttest.PDFOptions{Compress: true}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
			extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			extracttest.Object{Body: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"},
			extracttest.Object{Body: "/DecodeParms << /Predictor 12 /Col#75mns % a comment\n 100000000000 >>", Stream: []byte("BT (x) Tj ET")}), nil},
		{"xref stream /Columns", xrefStream("/Size 5 /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Columns 99999999999 /Predictor 12 >>"), nil},
		{"ToUnicode bomb", onePage("BT /F1 12 Tf <01> Tj ET", type0,
			extracttest.Object{Stream: extracttest.ZlibRepeat("", "0 ", 64<<20, ""), Filter: "FlateDecode"}), ErrTooLarge},
		{"long Differences", onePage("BT /F1 12 Tf (A) Tj ET", "<< /Type /Font /Subtype /Type1 /Encoding << /Differences ["+strings.Repeat("/A ", 5000)+"] >> >>"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			got, err := PDF(c.data, 1<<20)
			if err == nil {
				t.Fatalf("no error; text %q", head(got.Text))
			}
			if c.want != nil && !errors.Is(err, c.want) && err.Error() != c.want.Error() {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if !utf8.ValidString(err.Error()) || len(err.Error()) > 300 {
				t.Errorf("error message not fit to show: %q", err)
			}
			if d := time.Since(start); d > slack(5*time.Second) {
				t.Errorf("took %v", d)
			}
		})
	}
}

// xrefStream is a file whose only cross-reference section is a stream
// with the given dictionary entries.
func xrefStream(entries string) []byte {
	head := "%PDF-1.5\n" + strings.Repeat("%padding\n", 12)
	obj := fmt.Sprintf("1 0 obj\n<< /Type /XRef %s /Length 0 >>\nstream\n\nendstream\nendobj\n", entries)
	return fmt.Appendf(nil, "%s%sstartxref\n%d\n%%%%EOF\n", head, obj, len(head))
}

// TestPDFTruncated cuts a valid file at many lengths: each is an error,
// quickly, and never a panic.
func TestPDFTruncated(t *testing.T) {
	for _, data := range [][]byte{extracttest.PDF(reportPages...), extracttest.PDFCompressed(reportPages...)} {
		for _, n := range []int{0, 1, 8, 9, 50, 100, len(data) / 3, len(data) / 2, len(data) - 100, len(data) - 30, len(data) - 8} {
			start := time.Now()
			if got, err := PDF(data[:n], 0); err == nil {
				t.Errorf("cut at %d of %d: no error; text %q", n, len(data), head(got.Text))
			}
			if d := time.Since(start); d > slack(time.Second) {
				t.Errorf("cut at %d: took %v", n, d)
			}
		}
	}
}

// TestPDFParentLoop: resources are inherited from a page's ancestors; a
// page whose parent is itself hung the library's lookup.
func TestPDFParentLoop(t *testing.T) {
	data := extracttest.PDFOptions{}.Objects("/Root 1 0 R",
		extracttest.Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		extracttest.Object{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 2 0 R >>"},
		extracttest.Object{Body: "<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>"},
		extracttest.Object{Stream: []byte("BT /F1 12 Tf (looped) Tj ET")})
	got, err := PDF(data, 0)
	if err != nil || got.Text != "looped\n" {
		t.Errorf("got %q, %v", got.Text, err)
	}
}

func TestPDFLimit(t *testing.T) {
	data := extracttest.PDF(reportPages...)
	n := len(reportText)
	if _, err := PDF(data, n); err != nil {
		t.Errorf("limit = the text's length: %v", err)
	}
	for _, limit := range []int{1, 30, 39, 40, 100, 200, n - 1} {
		if got, err := PDF(data, limit); !errors.Is(err, ErrTooLarge) {
			t.Errorf("limit %d: err = %v (text %d bytes), want ErrTooLarge", limit, err, len(got.Text))
		}
	}
	// A first page exactly at the limit once left the rest unbounded.
	first := len("Annual Report on Lighthouse Maintenance\nPrepared by the Coastal Survey Office.")
	if _, err := PDF(data, first); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit at the end of page 1: err = %v, want ErrTooLarge", err)
	}
}

// TestPDFContentBomb: a page whose few kilobytes of content decompress to
// a gigabyte stops at the bound, with little memory.
func TestPDFContentBomb(t *testing.T) {
	defer func(n int64) { maxContentBytes = n }(maxContentBytes)
	maxContentBytes = 16 << 20
	data := extracttest.ContentBombPDF(1 << 30)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := PDF(data, 1<<20)
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if d > slack(5*time.Second) {
		t.Errorf("took %v", d)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MB", alloc>>20)
	}
	// Every page of many pointing at one stream counts.
	maxContentBytes = 1 << 20
	lines := make([][]string, 300)
	for i := range lines {
		lines[i] = []string{strings.Repeat("word ", 1000)}
	}
	if _, err := PDF(extracttest.PDF(lines...), 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("300 pages of 5 KB over a 1 MB bound: err = %v", err)
	}
}

// TestPDFObjectStreamHang documents two loops in github.com/ledongthuc/pdf
// that this package cannot reach from outside: both are in Reader.resolve,
// reading an object kept in an object stream (PDF 1.5 files keep most
// objects there).
//
//   - A hex string cut off by the end of the object stream: the library's
//     tokenizer reads with allowEOF set there, readByte returns '\n' at
//     the end, and readHexString skips white space without checking
//     b.eof, forever (lex.go, readHexString's "goto Loop").
//   - An object stream whose /Extends is itself, searched for an object
//     it lacks: the "Search" loop follows /Extends without end.
//
// Neither reads the file again while looping, so no reader we pass in can
// stop it: the library is used as a patched copy
// (third_party/ledongthuc-pdf, CITEBOT.md there). The test fails, instead
// of hanging, after a few seconds.
func TestPDFObjectStreamHang(t *testing.T) {
	for _, name := range []string{"hex string at the end", "/Extends itself"} {
		// Object 3, the page tree, is the last in the object stream.
		pages := "<< /Type /Pages /Kids [2 0 R] /Count 1 >>"
		if name == "hex string at the end" {
			pages = "<< /Type /Pages /Kids [2 0 R] /Count 1 /X <41"
		}
		data := extracttest.PDFOptions{ObjectStreams: true}.Objects("/Root 1 0 R",
			extracttest.Object{Body: "<< /Type /Catalog /Pages 3 0 R >>"},
			extracttest.Object{Body: "<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>"},
			extracttest.Object{Body: pages},
			extracttest.Object{Stream: []byte("BT (x) Tj ET")})
		if name == "/Extends itself" {
			data = extendsItself(t, data)
		}
		done := make(chan error, 1)
		go func() {
			_, err := PDF(data, 0)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "broken PDF") {
				t.Errorf("%s: returned %v, want a broken PDF", name, err)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s: PDF still running after 3s (the goroutine is left looping)", name)
		}
	}
}

// extendsItself makes the object stream (object 5) extend itself and
// lack object 3, which the cross-reference stream says it holds.
func extendsItself(t *testing.T, data []byte) []byte {
	const ext = "/Extends 5 0 R "
	data = bytes.Replace(data, []byte("/Type /ObjStm"), []byte(ext+"/Type /ObjStm"), 1)
	// Everything after the object stream's dictionary moved: the
	// cross-reference stream, and so startxref.
	i := bytes.LastIndex(data, []byte("startxref\n"))
	var off int
	fmt.Sscanf(string(data[i+len("startxref\n"):]), "%d", &off)
	data = append(data[:i:i], fmt.Appendf(nil, "startxref\n%d\n%%%%EOF\n", off+len(ext))...)
	// The object stream's index lists objects 1, 2 and 3 ("1 0 2 n 3
	// m"): make the third 9, so that 3 is not found in it.
	x := bytes.Index(data, []byte("/Type /ObjStm"))
	d := x + bytes.Index(data[x:], []byte("stream\n")) + len("stream\n")
	f := bytes.Fields(data[d : d+20])
	if x < 0 || len(f) < 6 || string(f[4]) != "3" {
		t.Fatalf("object stream index %q", data[d:d+20])
	}
	data[d+bytes.Index(data[d:], []byte(" 3 "))+1] = '9'
	return data
}

func TestCleanMessage(t *testing.T) {
	for in, want := range map[string]string{
		"malformed hex string \xff\xfe \x00\x01 (x)": "malformed hex string (x)",
		"a\n\tb":                 "a b",
		strings.Repeat("é", 300): strings.Repeat("é", 100) + "…",
	} {
		if got := cleanMessage(in); got != want {
			t.Errorf("cleanMessage(%q) = %q, want %q", in, got, want)
		}
	}
}
