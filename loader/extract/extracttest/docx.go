package extracttest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Para is one paragraph of a generated DOCX.
type Para struct {
	// Style is the paragraph style id: "Title", "Heading1".."Heading6",
	// or "" for body text.
	Style string
	// Text is the paragraph's text; a tab becomes <w:tab/>, a newline a
	// line break (<w:br/>).
	Text string
	// List makes the paragraph an item of a bulleted list.
	List bool
	// Cells, when not nil, makes the paragraph a table row with one cell
	// per string (Text, Style and List are ignored); consecutive rows
	// form one table. A cell's newlines separate paragraphs in the cell.
	Cells []string
}

// DOCX returns a minimal valid Word document (an OOXML package) with the
// given paragraphs.
func DOCX(paras ...Para) []byte { return Zip(DOCXParts(paras...)) }

// wordNS is WordprocessingML's namespace.
const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// DOCXParts returns the parts (file name to content) of the package DOCX
// writes, for a test to add, change or drop parts before Zip.
func DOCXParts(paras ...Para) map[string]string {
	return map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
			`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
			`<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>` +
			`</Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
			`</Relationships>`,
		"word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>` +
			`</Relationships>`,
		"word/styles.xml":    stylesXML(),
		"word/numbering.xml": numberingXML,
		"word/document.xml":  DocumentXML(paras...),
	}
}

// Zip writes files into a zip archive (deflated, in name order, so the
// same files always give the same bytes).
func Zip(files map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			panic(err) // writing to memory does not fail
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// DocumentXML returns word/document.xml for the paragraphs.
func DocumentXML(paras ...Para) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<w:document xmlns:w="` + wordNS + `"><w:body>`)
	inTable := false
	for _, p := range paras {
		if p.Cells != nil && !inTable {
			b.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/></w:tblPr>`)
		}
		if p.Cells == nil && inTable {
			b.WriteString(`</w:tbl>`)
		}
		inTable = p.Cells != nil
		if inTable {
			b.WriteString(`<w:tr>`)
			for _, c := range p.Cells {
				b.WriteString(`<w:tc>`)
				for _, line := range strings.Split(c, "\n") {
					writePara(&b, Para{Text: line})
				}
				b.WriteString(`</w:tc>`)
			}
			b.WriteString(`</w:tr>`)
			continue
		}
		writePara(&b, p)
	}
	if inTable {
		b.WriteString(`</w:tbl>`)
	}
	b.WriteString(`<w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr></w:body></w:document>`)
	return b.String()
}

func writePara(b *strings.Builder, p Para) {
	b.WriteString(`<w:p>`)
	if p.Style != "" || p.List {
		b.WriteString(`<w:pPr>`)
		switch {
		case p.Style != "":
			fmt.Fprintf(b, `<w:pStyle w:val="%s"/>`, escape(p.Style))
		case p.List:
			b.WriteString(`<w:pStyle w:val="ListParagraph"/>`)
		}
		if p.List {
			b.WriteString(`<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>`)
		}
		b.WriteString(`</w:pPr>`)
	}
	// One run per line, the breaks and tabs inside it, as Word writes
	// them.
	b.WriteString(`<w:r>`)
	for i, line := range strings.Split(p.Text, "\n") {
		if i > 0 {
			b.WriteString(`<w:br/>`)
		}
		for j, part := range strings.Split(line, "\t") {
			if j > 0 {
				b.WriteString(`<w:tab/>`)
			}
			if part != "" {
				fmt.Fprintf(b, `<w:t xml:space="preserve">%s</w:t>`, escape(part))
			}
		}
	}
	b.WriteString(`</w:r></w:p>`)
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func stylesXML() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<w:styles xmlns:w="` + wordNS + `">`)
	b.WriteString(`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>`)
	b.WriteString(`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/></w:style>`)
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, `<w:style w:type="paragraph" w:styleId="Heading%d"><w:name w:val="heading %d"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="%d"/></w:pPr></w:style>`, i, i, i-1)
	}
	b.WriteString(`<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/></w:style>`)
	b.WriteString(`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>`)
	b.WriteString(`</w:styles>`)
	return b.String()
}

const numberingXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="` + wordNS + `">` +
	`<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>` +
	`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>` +
	`</w:numbering>`

// EncryptedDOCX returns what Word saves for a password-protected
// document: not a zip but an OLE compound file holding the encrypted
// package in an "EncryptedPackage" stream and the key data in an
// "EncryptionInfo" stream (MS-OFFCRYPTO). The streams' content is filler;
// the container is a valid compound file (version 3, 512-byte sectors).
func EncryptedDOCX() []byte {
	const (
		sector     = 512
		free       = 0xFFFFFFFF
		endOfChain = 0xFFFFFFFE
		fatSect    = 0xFFFFFFFD
		noStream   = 0xFFFFFFFF
		streamSize = 4096 // at the mini-stream cutoff: kept in regular sectors
		perStream  = streamSize / sector
	)
	le := binary.LittleEndian
	// Sector 0 is the FAT, 1 the directory, then each stream's sectors.
	header := make([]byte, sector)
	copy(header, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(header[0x18:], 0x3E)   // minor version
	le.PutUint16(header[0x1A:], 3)      // major version
	le.PutUint16(header[0x1C:], 0xFFFE) // byte order
	le.PutUint16(header[0x1E:], 9)      // sector shift: 512
	le.PutUint16(header[0x20:], 6)      // mini sector shift: 64
	le.PutUint32(header[0x2C:], 1)      // FAT sectors
	le.PutUint32(header[0x30:], 1)      // first directory sector
	le.PutUint32(header[0x38:], streamSize)
	le.PutUint32(header[0x3C:], endOfChain) // no mini FAT
	le.PutUint32(header[0x44:], endOfChain) // no DIFAT sectors
	for i := 0; i < 109; i++ {
		le.PutUint32(header[0x4C+4*i:], free)
	}
	le.PutUint32(header[0x4C:], 0) // the FAT is sector 0

	fat := make([]byte, sector)
	for i := 0; i < sector/4; i++ {
		le.PutUint32(fat[4*i:], free)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], endOfChain)
	for s := 0; s < 2; s++ {
		first := 2 + s*perStream
		for i := 0; i < perStream; i++ {
			next := uint32(first + i + 1)
			if i == perStream-1 {
				next = endOfChain
			}
			le.PutUint32(fat[4*(first+i):], next)
		}
	}

	dir := make([]byte, sector)
	entry := func(i int, name string, typ, color byte, left, right, child, start uint32, size uint64) {
		e := dir[128*i : 128*(i+1)]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		if name != "" {
			le.PutUint16(e[64:], uint16(2*len(u)+2))
		}
		e[66], e[67] = typ, color
		le.PutUint32(e[68:], left)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint64(e[120:], size)
	}
	// Siblings form a red-black tree ordered by name length, then name:
	// "EncryptionInfo" (black) with "EncryptedPackage" (red) right of it.
	entry(0, "Root Entry", 5, 1, noStream, noStream, 1, endOfChain, 0)
	entry(1, "EncryptionInfo", 2, 1, noStream, 2, noStream, 2, streamSize)
	entry(2, "EncryptedPackage", 2, 0, noStream, noStream, noStream, 2+perStream, streamSize)
	entry(3, "", 0, 0, noStream, noStream, noStream, 0, 0) // unused

	info := make([]byte, streamSize)
	// Agile encryption: version 4.4, flags 0x40, then the XML descriptor.
	copy(info, []byte{4, 0, 4, 0, 0x40, 0, 0, 0})
	copy(info[8:], `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>`)
	pkg := make([]byte, streamSize)
	le.PutUint64(pkg, streamSize-8) // the decrypted package's size
	for i := 8; i < len(pkg); i++ {
		pkg[i] = byte(i * 131)
	}

	var b bytes.Buffer
	for _, part := range [][]byte{header, fat, dir, info, pkg} {
		b.Write(part)
	}
	return b.Bytes()
}
