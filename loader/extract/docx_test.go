package extract

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"citebot/loader/extract/extracttest"
)

type para = extracttest.Para

func TestDOCX(t *testing.T) {
	for _, c := range []struct {
		name  string
		paras []para
		want  string
	}{
		{"headings and body", []para{
			{Style: "Title", Text: "Orchard Keeping Guide"},
			{Style: "Heading1", Text: "Pruning"},
			{Text: "Apple trees in the Verdant orchard are pruned every February."},
			{Style: "Heading2", Text: "Tools"},
			{Text: "Use sharp shears."},
			{Style: "Heading 3", Text: "Spaced style id"},
			{Style: "Heading7", Text: "Not a heading level"},
		}, `# Orchard Keeping Guide

# Pruning

Apple trees in the Verdant orchard are pruned every February.

## Tools

Use sharp shears.

### Spaced style id

Not a heading level
`},
		{"lists", []para{
			{Text: "Before the list."},
			{List: true, Text: "first"},
			{List: true, Text: "second"},
			{Text: "After the list."},
			{List: true, Text: "again"},
		}, "Before the list.\n\n- first\n- second\n\nAfter the list.\n\n- again\n"},
		{"table", []para{
			{Text: "Prices:"},
			{Cells: []string{"Item", "Price"}},
			{Cells: []string{"Apples", "2 €\nper kg"}},
			{Cells: []string{"", "empty first cell"}},
			{Text: "Done."},
		}, "Prices:\n\nItem | Price\nApples | 2 € per kg\nempty first cell\n\nDone.\n"},
		{"tabs breaks and escaping", []para{
			{Text: "a\tb\nc"},
			{Text: `<tag> & "quotes" 'apos'`},
			{Text: "  padded  "},
			{Text: "Кириллица и ещё"},
		}, "a\tb\nc\n\n<tag> & \"quotes\" 'apos'\n\npadded\n\nКириллица и ещё\n"},
		{"empty paragraphs", []para{{Text: ""}, {Text: "one"}, {Text: " "}, {List: true}, {Text: "two"}}, "one\n\ntwo\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DOCX(extracttest.DOCX(c.paras...), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got.Text, c.want)
			}
			if got.Pages != nil || got.Title != "" {
				t.Errorf("Pages %v Title %q", got.Pages, got.Title)
			}
		})
	}
}

// docxWith is a DOCX whose document.xml body is body.
func docxWith(body string) []byte {
	parts := extracttest.DOCXParts()
	parts["word/document.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
		`xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>` + body + `</w:body></w:document>`
	return extracttest.Zip(parts)
}

func TestDOCXMarkup(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"tab stops are not tabs",
			`<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>no</w:t><w:tab/><w:t>tab stop</w:t></w:r></w:p>`,
			"no\ttab stop\n"},
		{"fallback content once",
			`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></mc:Choice>` +
				`<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p><w:p><w:r><w:t>after</w:t></w:r></w:p>`,
			"boxed\n\nafter\n"},
		{"runs join", `<w:p><w:r><w:t>Ap</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>ple</w:t></w:r><w:hyperlink><w:r><w:t xml:space="preserve"> pie</w:t></w:r></w:hyperlink></w:p>`, "Apple pie\n"},
		{"deleted text and field codes are not text", `<w:p><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t>kept</w:t></w:r></w:p>`, "kept\n"},
		{"unclosed", `<w:p><w:r><w:t>cut off`, "cut off\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DOCX(docxWith(c.body), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != c.want {
				t.Errorf("got %q, want %q", got.Text, c.want)
			}
		})
	}
}

func TestDOCXErrors(t *testing.T) {
	noBody := extracttest.DOCXParts(para{Text: "x"})
	delete(noBody, "word/document.xml")
	withEncryption := extracttest.DOCXParts(para{Text: "x"})
	withEncryption["EncryptionInfo"] = "\x04\x00\x04\x00"
	compound := extracttest.EncryptedDOCX()
	doc := []byte(strings.ReplaceAll(string(compound), "E\x00n\x00c\x00r\x00y\x00p\x00t\x00", "X\x00X\x00X\x00X\x00X\x00X\x00X\x00"))
	long := make([]para, 200)
	for i := range long {
		long[i] = para{Text: strings.Repeat("word ", 20)}
	}
	for _, c := range []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"not a zip", []byte("PK but not really a zip"), nil},
		{"empty", nil, nil},
		{"zip without document.xml", extracttest.Zip(noBody), nil},
		{"EncryptionInfo entry", extracttest.Zip(withEncryption), ErrEncrypted},
		{"password protected (compound file)", compound, ErrEncrypted},
		{"Word 97-2003 document", doc, nil},
		{"malformed XML", docxWith(`<w:p><w:r><w:t>a</w:r></w:p></w:t><<>>`), nil},
		{"no text", extracttest.DOCX(para{Text: " "}), ErrNoText},
		{"over the limit", extracttest.DOCX(long...), ErrTooLarge},
		{"deep nesting", docxWith(strings.Repeat("<w:sdt>", 20000)), nil},
		{"lying zip header", extracttest.LyingZipBombDOCX(1<<30, 1000), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DOCX(c.data, 10000)
			if err == nil {
				t.Fatalf("no error; text %q", head(got.Text))
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// slack scales a time bound for the race detector's slowdown.
func slack(d time.Duration) time.Duration {
	if raceEnabled {
		return 10 * d
	}
	return d
}

// bounded runs f and fails when it takes over d (see slack) or allocates
// over max bytes in all.
func bounded(t *testing.T, d time.Duration, max uint64, f func()) {
	t.Helper()
	d = slack(d)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > d {
		t.Errorf("took %v, want under %v", took, d)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > max {
		t.Errorf("allocated %d MB, want under %d MB", alloc>>20, max>>20)
	}
}

func TestDOCXZipBomb(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		// The header says a gigabyte: refused before decompressing.
		{"1 GiB", extracttest.ZipBombDOCX(1 << 30)},
		// Under the size bound, but one run of white space the XML
		// decoder would hold whole.
		{"200 MiB of spaces", extracttest.ZipBombDOCX(200 << 20)},
		// Text: the text limit stops it, after about ten times the
		// limit of markup.
		{"text", extracttest.Bomb{Size: 200 << 20, Fill: "<w:p><w:r><w:t>word</w:t></w:r></w:p>"}.DOCX()},
	} {
		t.Run(c.name, func(t *testing.T) {
			bounded(t, 5*time.Second, 64<<20, func() {
				if _, err := DOCX(c.data, 100<<10); !errors.Is(err, ErrTooLarge) {
					t.Errorf("err = %v, want ErrTooLarge", err)
				}
			})
		})
	}
	t.Run("lying header", func(t *testing.T) {
		bounded(t, time.Second, 16<<20, func() {
			if _, err := DOCX(extracttest.LyingZipBombDOCX(1<<30, 1<<20), 0); err == nil {
				t.Error("no error")
			}
		})
	})
}
