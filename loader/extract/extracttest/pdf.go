package extracttest

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
	"strings"
)

// PDF returns a valid PDF 1.4 document with one page per argument; each
// string of a page is one line of text, set in Helvetica (WinAnsiEncoding)
// on successive baselines with Td and T*.
func PDF(pages ...[]string) []byte { return PDFOptions{}.Pages(pages...) }

// PDFCompressed is PDF with FlateDecode content streams, as almost every
// real producer writes them.
func PDFCompressed(pages ...[]string) []byte { return PDFOptions{Compress: true}.Pages(pages...) }

// EncryptedPDF is PDF encrypted with the standard security handler,
// revision 2 (40-bit RC4): opening it needs userPassword. With an empty
// userPassword it opens without one, as "protected" PDFs that only
// restrict permissions do.
func EncryptedPDF(userPassword string, pages ...[]string) []byte {
	return PDFOptions{Encrypt: &Encryption{UserPassword: userPassword}}.Pages(pages...)
}

// PDFOptions say how a generated PDF is written.
type PDFOptions struct {
	// Version is the header's version: "1.4" when empty, "2.0" writes
	// %PDF-2.0.
	Version string
	// Compress FlateDecodes every stream.
	Compress bool
	// Tm places each line with an absolute text matrix (Tm) instead of
	// moving down a line with Td and T*.
	Tm bool
	// Encrypt, when set, encrypts every stream with the standard
	// security handler (strings inside object bodies are left alone:
	// the generated pages have none).
	Encrypt *Encryption
	// ObjectStreams writes the objects that are not streams into one
	// object stream, indexed by a cross-reference stream, as PDF 1.5
	// producers do, instead of a cross-reference table.
	ObjectStreams bool
}

// Encryption configures the standard security handler.
type Encryption struct {
	UserPassword string
	// OwnerPassword defaults to UserPassword, as the specification says
	// for a file without one.
	OwnerPassword string
	// Bits is the key length: 40 (revision 2, V 1; the default) or 128
	// (revision 3, V 2).
	Bits int
	// P is the permissions word; 0 means -44 (print and copy denied).
	P int32
}

// Pages returns a PDF with one page per argument, each string one line.
func (o PDFOptions) Pages(pages ...[]string) []byte {
	contents := make([]string, len(pages))
	for i, lines := range pages {
		if o.Tm {
			contents[i] = TextContentTm(lines)
		} else {
			contents[i] = TextContent(lines)
		}
	}
	return o.Contents(contents...)
}

// Contents returns a PDF with one page per content stream. Each page has
// the Helvetica font (WinAnsiEncoding) as /F1 in its resources.
func (o PDFOptions) Contents(contents ...string) []byte {
	// 1 catalog, 2 page tree, 3 font, then a page and its content stream
	// per page.
	objs := []Object{
		{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{},
		{Body: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"},
	}
	var kids []string
	for _, c := range contents {
		page := len(objs) + 1
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
		objs = append(objs,
			Object{Body: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", page+1)},
			Object{Stream: []byte(c)})
	}
	objs[1].Body = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(contents))
	return o.Objects("/Root 1 0 R", objs...)
}

// Object is one indirect object of a PDF written by Objects.
type Object struct {
	// Body is the object: a dictionary, an array, a number... For a
	// stream it is the entries of the stream's dictionary other than
	// /Length and /Filter, without the << >> (often empty).
	Body string
	// Stream, when not nil, makes the object a stream with this data.
	Stream []byte
	// Filter, when set, says Stream is already encoded with this filter
	// ("FlateDecode"): it is written as it is, never compressed again.
	Filter string
}

// Objects writes a PDF of the given objects, numbered from 1 in order,
// with a correct cross-reference table. trailer holds the trailer's
// entries other than /Size (and /Encrypt and /ID, added when encrypting),
// typically "/Root 1 0 R". Use it to build broken structures (page-tree
// loops, missing objects) around otherwise valid syntax.
func (o PDFOptions) Objects(trailer string, objs ...Object) []byte {
	version := o.Version
	switch {
	case version != "":
	case o.ObjectStreams:
		version = "1.5"
	default:
		version = "1.4"
	}
	var b bytes.Buffer
	// The binary comment marks the file as binary for transfer tools.
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xE2\xE3\xCF\xD3\n", version)

	id := fileID(objs)
	var enc *encryptor
	if o.Encrypt != nil {
		enc = newEncryptor(*o.Encrypt, id)
		objs = append(objs, Object{Body: enc.dict()})
		trailer += fmt.Sprintf(" /Encrypt %d 0 R /ID [<%x> <%x>]", len(objs), id, id)
	}

	if o.ObjectStreams {
		return o.objectStreams(&b, trailer, enc, objs)
	}
	offsets := make([]int, len(objs))
	for i, obj := range objs {
		num := i + 1
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", num)
		if obj.Stream == nil {
			fmt.Fprintf(&b, "%s\nendobj\n", obj.Body)
			continue
		}
		o.writeStream(&b, enc, num, obj)
	}

	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		// Each entry is exactly 20 bytes, the trailing space included.
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return b.Bytes()
}

// ContentBombPDF returns a one-page PDF whose content stream is a few
// kilobytes of FlateDecode data that decompress to size bytes: a line of
// text, then "0 " (operands without an operator) to the size.
func ContentBombPDF(size int64) []byte {
	const head = "BT /F1 12 Tf 72 720 Td (Bomb.) Tj ET\n"
	return PDFOptions{}.Objects("/Root 1 0 R",
		Object{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		Object{Body: "<< /Type /Pages /Kids [4 0 R] /Count 1 >>"},
		Object{Body: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"},
		Object{Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"},
		Object{Stream: ZlibRepeat(head, "0 ", max(size-int64(len(head)), 0), ""), Filter: "FlateDecode"})
}

// writeStream writes a stream object's dictionary and data, after its
// "n 0 obj" line.
func (o PDFOptions) writeStream(b *bytes.Buffer, enc *encryptor, num int, obj Object) {
	data, filter := obj.Stream, ""
	switch {
	case obj.Filter != "":
		filter = " /Filter /" + obj.Filter
	case o.Compress:
		data, filter = deflate(data), " /Filter /FlateDecode"
	}
	if enc != nil {
		data = enc.crypt(num, 0, data)
	}
	fmt.Fprintf(b, "<< %s /Length %d%s >>\nstream\n", obj.Body, len(data), filter)
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
}

// objectStreams writes the rest of a file after its header: the stream
// objects as they are, the others in one object stream, then a
// cross-reference stream (PDF 32000-1:2008, 7.5.7 and 7.5.8).
func (o PDFOptions) objectStreams(b *bytes.Buffer, trailer string, enc *encryptor, objs []Object) []byte {
	type entry struct{ kind, a, c int } // the three fields of an entry
	entries := make([]entry, len(objs)+3)
	entries[0] = entry{0, 0, 65535}
	objStm, xrefNum := len(objs)+1, len(objs)+2
	var index, bodies strings.Builder
	n := 0
	for i, obj := range objs {
		num := i + 1
		// The encryption dictionary must stay outside, readable before
		// anything is decrypted.
		if obj.Stream == nil && !(enc != nil && num == len(objs)) {
			fmt.Fprintf(&index, "%d %d ", num, bodies.Len())
			bodies.WriteString(obj.Body + "\n")
			entries[num] = entry{2, objStm, n}
			n++
			continue
		}
		entries[num] = entry{1, b.Len(), 0}
		fmt.Fprintf(b, "%d 0 obj\n", num)
		if obj.Stream == nil {
			fmt.Fprintf(b, "%s\nendobj\n", obj.Body)
			continue
		}
		o.writeStream(b, enc, num, obj)
	}
	entries[objStm] = entry{1, b.Len(), 0}
	fmt.Fprintf(b, "%d 0 obj\n", objStm)
	o.writeStream(b, enc, objStm, Object{
		Body:   fmt.Sprintf("/Type /ObjStm /N %d /First %d", n, index.Len()),
		Stream: []byte(index.String() + bodies.String()),
	})
	entries[xrefNum] = entry{1, b.Len(), 0}
	var data []byte
	for _, e := range entries {
		data = append(data, byte(e.kind), byte(e.a>>24), byte(e.a>>16), byte(e.a>>8), byte(e.a), byte(e.c>>8), byte(e.c))
	}
	xref := b.Len()
	// The cross-reference stream is never encrypted.
	fmt.Fprintf(b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] %s /Length %d >>\nstream\n", xrefNum, len(entries), trailer, len(data))
	b.Write(data)
	fmt.Fprintf(b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// TextContent is a content stream setting each line in /F1 at 12 points,
// 14 points apart, moving down with T*.
func TextContent(lines []string) string {
	var b strings.Builder
	b.WriteString("BT\n/F1 12 Tf\n14 TL\n72 720 Td\n")
	for i, l := range lines {
		if i > 0 {
			b.WriteString("T*\n")
		}
		fmt.Fprintf(&b, "%s Tj\n", String(l))
	}
	b.WriteString("ET\n")
	return b.String()
}

// TextContentTm is TextContent placing each line with its own absolute
// text matrix.
func TextContentTm(lines []string) string {
	var b strings.Builder
	b.WriteString("BT\n/F1 12 Tf\n")
	for i, l := range lines {
		fmt.Fprintf(&b, "1 0 0 1 72 %d Tm\n%s Tj\n", 720-14*i, String(l))
	}
	b.WriteString("ET\n")
	return b.String()
}

// String returns s as a PDF literal string, parentheses included, in
// WinAnsiEncoding: ( ) and \ escaped, bytes outside printable ASCII as
// octal escapes, characters WinAnsi lacks as '?'.
func String(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		c, ok := winAnsi(r)
		switch {
		case !ok:
			b.WriteByte('?')
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// winAnsiHigh maps the characters of WinAnsiEncoding's 0x80-0x9F range.
var winAnsiHigh = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

func winAnsi(r rune) (byte, bool) {
	switch {
	case r < 0x80 || (r >= 0xA0 && r <= 0xFF):
		return byte(r), true
	}
	c, ok := winAnsiHigh[r]
	return c, ok
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// fileID is the first /ID string: a digest of the content, so the same
// document always gets the same ID.
func fileID(objs []Object) []byte {
	h := md5.New()
	for _, o := range objs {
		h.Write([]byte(o.Body))
		h.Write(o.Stream)
	}
	return h.Sum(nil)
}

// passwordPad pads passwords to 32 bytes (PDF 32000-1:2008, 7.6.3.3).
var passwordPad = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

func padPassword(pw string) []byte {
	return append([]byte(pw), passwordPad...)[:32]
}

// encryptor implements the standard security handler's algorithms 1 to 5
// (PDF 32000-1:2008, 7.6.3) for revisions 2 and 3.
type encryptor struct {
	rev, v, n int // revision, V, key length in bytes
	p         int32
	o, u      []byte
	key       []byte // the file key
}

func newEncryptor(e Encryption, id []byte) *encryptor {
	x := &encryptor{rev: 2, v: 1, n: 5, p: e.P}
	if e.Bits == 128 {
		x.rev, x.v, x.n = 3, 2, 16
	}
	if x.p == 0 {
		x.p = -44
	}
	owner := e.OwnerPassword
	if owner == "" {
		owner = e.UserPassword
	}
	x.o = x.ownerEntry(owner, e.UserPassword)
	x.key = x.fileKey(e.UserPassword, id)
	x.u = x.userEntry(id)
	return x
}

// ownerEntry is algorithm 3.
func (x *encryptor) ownerEntry(owner, user string) []byte {
	h := md5.Sum(padPassword(owner))
	if x.rev >= 3 {
		for range 50 {
			h = md5.Sum(h[:x.n])
		}
	}
	key := h[:x.n]
	o := rc4XOR(key, padPassword(user))
	if x.rev >= 3 {
		for i := 1; i <= 19; i++ {
			o = rc4XOR(xorKey(key, byte(i)), o)
		}
	}
	return o
}

// fileKey is algorithm 2.
func (x *encryptor) fileKey(user string, id []byte) []byte {
	h := md5.New()
	h.Write(padPassword(user))
	h.Write(x.o)
	h.Write([]byte{byte(x.p), byte(x.p >> 8), byte(x.p >> 16), byte(x.p >> 24)})
	h.Write(id)
	sum := h.Sum(nil)
	if x.rev >= 3 {
		for range 50 {
			s := md5.Sum(sum[:x.n])
			sum = s[:]
		}
	}
	return sum[:x.n]
}

// userEntry is algorithm 4 (revision 2) or 5 (revision 3).
func (x *encryptor) userEntry(id []byte) []byte {
	if x.rev == 2 {
		return rc4XOR(x.key, passwordPad)
	}
	h := md5.New()
	h.Write(passwordPad)
	h.Write(id)
	u := rc4XOR(x.key, h.Sum(nil))
	for i := 1; i <= 19; i++ {
		u = rc4XOR(xorKey(x.key, byte(i)), u)
	}
	// The last 16 bytes are arbitrary padding.
	return append(u, make([]byte, 16)...)
}

// crypt is algorithm 1: RC4 with a key derived from the file key and the
// object's number and generation, n+5 bytes of it (at most 16).
func (x *encryptor) crypt(num, gen int, data []byte) []byte {
	h := md5.New()
	h.Write(x.key)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
	key := h.Sum(nil)[:min(x.n+5, 16)]
	return rc4XOR(key, data)
}

func (x *encryptor) dict() string {
	return fmt.Sprintf("<< /Filter /Standard /V %d /R %d /Length %d /O <%x> /U <%x> /P %d >>",
		x.v, x.rev, 8*x.n, x.o, x.u, x.p)
}

func rc4XOR(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err) // keys here are 5 to 16 bytes, always valid
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func xorKey(key []byte, b byte) []byte {
	k := make([]byte, len(key))
	for i := range key {
		k[i] = key[i] ^ b
	}
	return k
}
