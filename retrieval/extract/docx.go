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
	s, err := docxBody(lr, limit)
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
		inText  bool
		para    strings.Builder // the paragraph being read
		level   int             // heading level of the paragraph, 0 for body text
		listed  bool            // the paragraph is a list item
		cells   int             // cells seen in the current table row
		newCell bool            // no paragraph of the current cell written yet
		inCell  int
		depth   int
	)
	flush := func() {
		t := strings.TrimSpace(para.String())
		para.Reset()
		defer func() { level, listed = 0, false }()
		if t == "" {
			return
		}
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
			w.raw(strings.Repeat("#", level) + " ")
		case listed:
			w.lineBreak()
			w.raw("- ")
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
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				para.WriteByte('\t')
			case "br", "cr":
				para.WriteByte('\n')
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
			switch t.Name.Local {
			case "t":
				inText = false
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
			if inText {
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
