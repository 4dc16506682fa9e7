package extracttest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

var pages = [][]string{
	{"First page (with parentheses) and a \\ backslash", "café “quoted” – 5 €"},
	{"Second page"},
	{"Third page", "second line", "third line"},
}

// pageTexts reads each page's text with the PDF library's own extractor,
// an independent check that the files are what they claim.
func pageTexts(t *testing.T, r *pdf.Reader) []string {
	t.Helper()
	var out []string
	for i := 1; i <= r.NumPage(); i++ {
		s, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func wantPages(t *testing.T, got []string) {
	t.Helper()
	if len(got) != len(pages) {
		t.Fatalf("%d pages, want %d", len(got), len(pages))
	}
	for i, lines := range pages {
		if want := strings.Join(lines, "\n"); got[i] != want {
			t.Errorf("page %d = %q, want %q", i+1, got[i], want)
		}
	}
}

func TestPDFOpensWithTheLibrary(t *testing.T) {
	for name, data := range map[string][]byte{
		"plain":                   PDF(pages...),
		"compressed":              PDFCompressed(pages...),
		"128-bit":                 PDFOptions{Encrypt: &Encryption{Bits: 128}}.Pages(pages...),
		"object streams":          PDFOptions{ObjectStreams: true, Compress: true}.Pages(pages...),
		"object streams, 128-bit": PDFOptions{ObjectStreams: true, Encrypt: &Encryption{Bits: 128}}.Pages(pages...),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			wantPages(t, pageTexts(t, r))
		})
	}
}

// TestPDFXref checks every cross-reference entry points at its object.
func TestPDFXref(t *testing.T) {
	data := PDFCompressed(pages...)
	start := bytes.LastIndex(data, []byte("startxref\n"))
	off, err := strconv.Atoi(strings.Fields(string(data[start+len("startxref\n"):]))[0])
	if err != nil || !bytes.HasPrefix(data[off:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", off)
	}
	if !bytes.HasSuffix(data, []byte("%%EOF\n")) {
		t.Error("no end-of-file marker")
	}
	entries := regexp.MustCompile(`(\d{10}) (\d{5}) ([nf]) \n`).FindAllSubmatch(data[off:], -1)
	if len(entries) != 1+3+2*len(pages) {
		t.Fatalf("%d xref entries, want %d", len(entries), 1+3+2*len(pages))
	}
	for num, e := range entries[1:] {
		at, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj\n", num+1); !bytes.HasPrefix(data[at:], []byte(want)) {
			t.Errorf("entry %d points at %q", num+1, data[at:min(at+20, len(data))])
		}
	}
	if !bytes.Contains(data, []byte(fmt.Sprintf("/Size %d /Root 1 0 R", len(entries)))) {
		t.Error("trailer lacks /Size and /Root")
	}
}

func TestPDFVersion(t *testing.T) {
	if data := (PDFOptions{Version: "2.0"}).Pages(pages...); !bytes.HasPrefix(data, []byte("%PDF-2.0\n")) {
		t.Errorf("header %q", data[:9])
	}
	if data := PDF(pages...); !bytes.HasPrefix(data, []byte("%PDF-1.4\n")) {
		t.Errorf("header %q", data[:9])
	}
}

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":   "(plain)",
		"a(b)c\\": `(a\(b\)c\\)`,
		"café":    `(caf\351)`,
		"“€”":     `(\223\200\224)`,
		"日本":      "(??)",
		"tab\t":   `(tab\011)`,
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestEncryptedPDF shows the encryption is real: the empty password is
// refused, the right one is accepted, and a 128-bit file decrypts to the
// text. (The library derives 40-bit files' object keys from all 16 bytes
// of the digest where the standard says 10, so their content cannot be
// checked through it; qpdf and poppler read them.)
func TestEncryptedPDF(t *testing.T) {
	for _, bits := range []int{40, 128} {
		t.Run(strconv.Itoa(bits), func(t *testing.T) {
			data := PDFOptions{Encrypt: &Encryption{UserPassword: "secret", Bits: bits}}.Pages(pages...)
			if bytes.Contains(data, []byte("Second page")) {
				t.Fatal("the text is in the file in the clear")
			}
			if _, err := pdf.NewReader(bytes.NewReader(data), int64(len(data))); !errors.Is(err, pdf.ErrInvalidPassword) {
				t.Fatalf("empty password: err = %v, want ErrInvalidPassword", err)
			}
			tries := []string{"wrong", "secret"}
			r, err := pdf.NewReaderEncrypted(bytes.NewReader(data), int64(len(data)), func() string {
				if len(tries) == 0 {
					return ""
				}
				pw := tries[0]
				tries = tries[1:]
				return pw
			})
			if err != nil {
				t.Fatalf("right password refused: %v", err)
			}
			if bits == 128 {
				wantPages(t, pageTexts(t, r))
			}
		})
	}
	// Only the owner password set: opens without one.
	data := EncryptedPDF("", pages...)
	if _, err := pdf.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Errorf("no user password: %v", err)
	}
	if !bytes.Contains(data, []byte("/Encrypt ")) || !bytes.Contains(data, []byte("/R 2 /Length 40")) {
		t.Error("no revision 2 /Encrypt dictionary")
	}
}

func TestDOCX(t *testing.T) {
	data := DOCX(
		Para{Style: "Title", Text: "A & B <c>"},
		Para{Text: "tab\there\nbreak"},
		Para{List: true, Text: "item"},
		Para{Cells: []string{"a", "b\nc"}},
		Para{Cells: []string{"d", "e"}},
		Para{Text: "after"},
	)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name] = string(b)
		// Every part is well-formed XML.
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
		}
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml", "word/numbering.xml"} {
		if _, ok := parts[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	doc := parts["word/document.xml"]
	for _, want := range []string{
		`<w:pStyle w:val="Title"/>`,
		`<w:t xml:space="preserve">A &amp; B &lt;c&gt;</w:t>`,
		`<w:t xml:space="preserve">tab</w:t><w:tab/><w:t xml:space="preserve">here</w:t><w:br/><w:t xml:space="preserve">break</w:t>`,
		`<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>`,
		`<w:tbl>`, `<w:tr><w:tc>`, `</w:tbl><w:p><w:r><w:t xml:space="preserve">after`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	if strings.Count(doc, "<w:tr>") != 2 || strings.Count(doc, "<w:tbl>") != 1 {
		t.Errorf("want one table of two rows: %s", doc)
	}
}

func TestEncryptedDOCX(t *testing.T) {
	data := EncryptedDOCX()
	if !bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) || len(data)%512 != 0 {
		t.Fatal("not a compound file")
	}
	if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
		t.Error("an encrypted document read as a zip")
	}
	for _, name := range []string{"EncryptionInfo", "EncryptedPackage"} {
		var u []byte
		for _, r := range name {
			u = append(u, byte(r), 0)
		}
		if !bytes.Contains(data, u) {
			t.Errorf("no %s stream", name)
		}
	}
}

// inflate decompresses a zip entry's deflate data, counting the bytes
// and keeping the first and last few.
func inflate(t *testing.T, r io.Reader) (n int64, head, tail string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	var first, last []byte
	for {
		k, err := r.Read(buf)
		if first == nil && k > 0 {
			first = append([]byte(nil), buf[:min(k, 200)]...)
		}
		if k > 0 {
			last = append(last, buf[:k]...)
			last = last[max(0, len(last)-200):]
		}
		n += int64(k)
		if err == io.EOF {
			return n, string(first), string(last)
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
}

func TestZipBomb(t *testing.T) {
	for _, fill := range []string{"", "<w:p/>", strings.Repeat("x", 300), strings.Repeat("<w:p/>", 10)} {
		for _, size := range []int64{0, 100, 400, 100000, 3<<20 + 17} {
			t.Run(fmt.Sprintf("%d/%d", len(fill), size), func(t *testing.T) {
				data := Bomb{Size: size, Fill: fill}.DOCX()
				zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				var doc *zip.File
				for _, f := range zr.File {
					if f.Name == "word/document.xml" {
						doc = f
					}
				}
				want := max(size, int64(len(bombPrefix)+len(bombSuffix)))
				if doc == nil || doc.UncompressedSize64 != uint64(want) {
					t.Fatalf("document.xml missing or declared %d bytes, want %d", doc.UncompressedSize64, want)
				}
				rc, err := doc.Open() // checks the CRC-32 at the end
				if err != nil {
					t.Fatal(err)
				}
				n, head, tail := inflate(t, rc)
				if n != want || !strings.HasPrefix(head, bombPrefix[:50]) || !strings.HasSuffix(tail, bombSuffix) {
					t.Errorf("inflated %d bytes %q...%q", n, head, tail)
				}
				if size < 1<<20 {
					// Small ones are well-formed XML throughout.
					rc, _ := doc.Open()
					d := xml.NewDecoder(rc)
					for {
						if _, err := d.Token(); err == io.EOF {
							break
						} else if err != nil {
							t.Fatal(err)
						}
					}
				}
				if size > 1<<20 && doc.CompressedSize64 > uint64(size/200) {
					t.Errorf("%d bytes compressed to %d", size, doc.CompressedSize64)
				}
			})
		}
	}
}

func TestZipBombGigabyte(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("inflates a gigabyte")
	}
	data := ZipBombDOCX(1 << 30)
	if len(data) > 2<<20 {
		t.Errorf("a 1 GiB bomb is %d bytes", len(data))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[len(zr.File)-1]
	if f.Name != "word/document.xml" || f.UncompressedSize64 != 1<<30 {
		t.Fatalf("%s declares %d bytes", f.Name, f.UncompressedSize64)
	}
	// The raw deflate stream inflates to the full size.
	raw, err := f.OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	if n, _, tail := inflate(t, flate.NewReader(raw)); n != 1<<30 || !strings.HasSuffix(tail, bombSuffix) {
		t.Errorf("inflated %d bytes ending %q", n, tail)
	}
}

func TestLyingZipBomb(t *testing.T) {
	data := LyingZipBombDOCX(10<<20, 1000)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[len(zr.File)-1]
	if f.UncompressedSize64 != 1000 {
		t.Fatalf("declares %d bytes, want 1000", f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, zip.ErrFormat) {
		t.Errorf("reading past the declared size: err = %v, want zip.ErrFormat", err)
	}
	raw, _ := f.OpenRaw()
	if n, _, _ := inflate(t, flate.NewReader(raw)); n != 10<<20 {
		t.Errorf("inflates to %d bytes, want %d", n, 10<<20)
	}
}

func TestZlibRepeat(t *testing.T) {
	for _, unit := range []string{"0 ", " ", strings.Repeat("ab", 200)} {
		for _, n := range []int64{0, 5, 1000, 1<<20 + 3} {
			z := ZlibRepeat("head ", unit, n, " tail")
			r, err := zlib.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r) // checks the Adler-32
			if err != nil {
				t.Fatalf("%q×%d: %v", unit, n, err)
			}
			want := "head " + strings.Repeat(unit, int(n)/len(unit)+1)[:n] + " tail"
			if string(got) != want {
				t.Errorf("%q×%d: inflated %d bytes, want %d", unit, n, len(got), len(want))
			}
		}
	}
	if a, b := adlerRepeat("xy", 7), adler32.Checksum([]byte("xyxyxyx")); a != b {
		t.Errorf("adlerRepeat = %x, want %x", a, b)
	}
}

func TestContentBombPDF(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("inflates a gigabyte")
	}
	data := ContentBombPDF(1 << 30)
	if len(data) > 2<<20 {
		t.Errorf("%d bytes", len(data))
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc := r.Page(1).V.Key("Contents").Reader()
	if n, head, _ := inflate(t, rc); n != 1<<30 || !strings.HasPrefix(head, "BT /F1 12 Tf") {
		t.Errorf("content inflates to %d bytes %q", n, head)
	}
}

func TestNestedHTML(t *testing.T) {
	h := string(NestedHTML(3))
	if !strings.Contains(h, "<div><div><div><p>Deep text.</p></div></div></div>") {
		t.Error(h)
	}
}
