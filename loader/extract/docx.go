package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxDocxXML bounds the decompressed size of word/document.xml, whatever
// its zip header claims: markup is several times the text it holds, so a
// limit on the text alone would let a zip bomb run the decompressor for
// gigabytes first.
const maxDocxXML = 256 << 20

// maxDocxRun bounds a run of document.xml without markup (text, or white
// space between elements). The XML decoder holds a run whole, as one
// token, so a bomb of 200 MB of spaces would be 200 MB of memory however
// small the text limit; no real document has a paragraph anywhere near
// this.
const maxDocxRun = 8 << 20

// cfbMagic starts an OLE compound file: what Word saves a password-
// protected document as (the encrypted package inside), and the format of
// Word 97-2003 .doc files.
var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// DOCX extracts a Word document's body text: one paragraph per block,
// headings (paragraph styles "Heading1".."Heading6" and "Title") as "# "
// lines, list paragraphs as "- " lines, table cells separated by " | ",
// tabs and breaks kept. Headers, footers, comments and footnotes are not
// part of the body and are left out.
//
// It reads the OOXML package with the standard library (archive/zip,
// encoding/xml): the body is one XML part, and a streaming decoder keeps
// memory bounded by the text rather than the markup.
func DOCX(data []byte, limit int) (Text, error) {
	t, err := docx(data, limit)
	return t, clean(err)
}

func docx(data []byte, limit int) (Text, error) {
	if bytes.HasPrefix(data, cfbMagic) {
		// Encrypted OOXML keeps its key data and package in streams with
		// these names (MS-OFFCRYPTO); names are UTF-16 in the directory.
		if bytes.Contains(data, utf16LE("EncryptedPackage")) || bytes.Contains(data, utf16LE("EncryptionInfo")) {
			return Text{}, ErrEncrypted
		}
		return Text{}, errors.New("not a DOCX file: an OLE compound file (a Word 97-2003 .doc renamed?)")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Text{}, fmt.Errorf("not a DOCX file (not a zip archive): %w", err)
	}
	var body *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml":
			body = f
		case "EncryptionInfo", "EncryptedPackage":
			return Text{}, ErrEncrypted
		}
	}
	if body == nil {
		return Text{}, errors.New("not a DOCX file (no word/document.xml)")
	}
	xmlLimit := int64(maxDocxXML)
	if body.UncompressedSize64 > uint64(xmlLimit) {
		return Text{}, fmt.Errorf("%w: word/document.xml would decompress to %d bytes (a zip bomb?)", ErrTooLarge, body.UncompressedSize64)
	}
	rc, err := body.Open()
	if err != nil {
		return Text{}, fmt.Errorf("read DOCX: %w", err)
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: xmlLimit + 1}
	s, err := docxBody(&runLimit{r: lr, max: maxDocxRun}, limit)
	if errors.Is(err, errLongRun) {
		return Text{}, fmt.Errorf("%w: word/document.xml has over %d bytes without markup (a zip bomb?)", ErrTooLarge, maxDocxRun)
	}
	if lr.N <= 0 {
		return Text{}, fmt.Errorf("%w: word/document.xml decompresses to over %d bytes (a zip bomb?)", ErrTooLarge, xmlLimit)
	}
	if err != nil {
		return Text{}, err
	}
	return Text{Text: s}, nil
}

// docxBody walks document.xml's elements. WordprocessingML keeps the
// words in <w:t> runs inside <w:p> paragraphs; the paragraph's style and
// numbering sit in <w:pPr> before its runs.
func docxBody(r io.Reader, limit int) (string, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	w := builder{limit: limit}
	var (
		inText     bool
		para       strings.Builder // the paragraph being read
		level      int             // heading level of the paragraph, 0 for body text
		listed     bool            // the paragraph is a list item
		cells      int             // cells seen in the current table row
		newCell    bool            // no paragraph of the current cell written yet
		inCell     int
		inRun      int // runs open: tabs and breaks count only in one
		depth      int
		prevListed bool // the last paragraph written was a list item
		fallback   int  // inside mc:Fallback, which repeats mc:Choice
	)
	flush := func() {
		t := strings.TrimSpace(para.String())
		para.Reset()
		defer func() { level, listed = 0, false }()
		if t == "" {
			return
		}
		wasListed := prevListed
		prevListed = listed && inCell == 0 && level == 0
		switch {
		case inCell > 0:
			if newCell && cells > 1 && !w.atLineStart() {
				w.raw(" | ")
			} else if !newCell {
				w.raw(" ")
			}
			newCell = false
			w.inline(t)
			return
		case level > 0:
			w.block()
			w.setMarker(strings.Repeat("#", level) + " ")
		case listed:
			// A list is a block; its items are its lines.
			if wasListed {
				w.lineBreak()
			} else {
				w.block()
			}
			w.setMarker("- ")
		default:
			w.block()
		}
		w.raw(t)
		if level > 0 {
			w.block()
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read DOCX: malformed document.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > 10000 {
				return "", errors.New("read DOCX: document.xml nested over 10000 levels")
			}
			if fallback > 0 || (t.Name.Local == "Fallback" && t.Name.Space != wordNS) {
				// Markup-compatibility fallbacks (a text box drawn the
				// old way) repeat the content of the choice before them.
				fallback++
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "r":
				inRun++
			case "tab":
				// Only in a run: <w:tabs><w:tab .../> in a paragraph's
				// properties are tab stops, not tabs.
				if inRun > 0 {
					para.WriteByte('\t')
				}
			case "br", "cr":
				if inRun > 0 {
					para.WriteByte('\n')
				}
			case "pStyle":
				level = headingStyle(attr(t, "val"))
			case "numPr":
				listed = true
			case "tc":
				inCell++
				cells++
				newCell = true
			case "tr":
				cells = 0
				w.lineBreak()
			case "tbl":
				w.block()
			}
		case xml.EndElement:
			depth--
			if fallback > 0 {
				fallback--
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "r":
				inRun = max(inRun-1, 0)
			case "p":
				flush()
			case "tc":
				inCell--
			case "tr":
				w.lineBreak()
			case "tbl":
				w.block()
			}
		case xml.CharData:
			if inText && fallback == 0 {
				para.Write(t)
				if para.Len() > limit && limit > 0 {
					return "", fmt.Errorf("%w: over %d bytes of text", ErrTooLarge, limit)
				}
			}
		}
		if w.err != nil {
			return "", w.err
		}
	}
	flush()
	return w.text()
}

// wordNS is WordprocessingML's namespace.
const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// errLongRun reports a run of document.xml without markup over the bound.
var errLongRun = errors.New("run without markup over the bound")

// runLimit fails a read once max bytes go by without a '<' or '>'.
type runLimit struct {
	r        io.Reader
	run, max int
}

func (x *runLimit) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	for _, c := range p[:n] {
		if c == '<' || c == '>' {
			x.run = 0
		} else if x.run++; x.run > x.max {
			return 0, errLongRun
		}
	}
	return n, err
}

func utf16LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// headingStyle maps Word's built-in paragraph style ids to a heading
// level: "Title" and "Heading1" are 1, "Heading2" is 2, and so on.
func headingStyle(id string) int {
	id = strings.ToLower(strings.ReplaceAll(id, " ", ""))
	if id == "title" {
		return 1
	}
	if n, ok := strings.CutPrefix(id, "heading"); ok {
		if l, err := strconv.Atoi(n); err == nil && l >= 1 && l <= 6 {
			return l
		}
	}
	return 0
}
