// Package extract turns documents that are not plain text (PDF, DOCX,
// HTML) into the plain text citebot indexes, cites and serves.
//
// The extracted text is the document from then on: offsets, lines and
// quotes refer to it, and GET /v1/documents/{id} serves it. So extraction
// must be deterministic (the same file always gives the same text) and
// readable on its own: paragraphs are separated by blank lines, headings
// become Markdown "# " lines (the chunker turns them into sections) and a
// PDF's pages are recorded as byte offsets where each page starts.
//
// Every extractor treats its input as hostile: sizes are bounded before
// anything is decompressed or allocated, parsers that panic on malformed
// input are recovered, and the reason a file cannot be read is an error a
// maintainer can act on.
package extract

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Version names the extractors' output format. It is recorded with an
// index; when it changes, extracted documents are extracted again.
// extract-3: text in other encodings than UTF-8 (UTF-16, Windows-1251,
// KOI8-R, Latin-1, an HTML page's declared charset) is converted.
const Version = "extract-3"

// Text is a document's extracted text.
type Text struct {
	Text string
	// Pages holds the byte offset in Text where each page starts, first
	// page first (Pages[0] is 0). Empty for formats without pages.
	Pages []int
	// Title is the document's own title when the format records one
	// (an HTML <title>); empty otherwise.
	Title string
}

// Errors a caller may want to tell apart; the messages are what a
// maintainer reads in the index summary.
var (
	ErrEncrypted = errors.New("encrypted (needs a password)")
	ErrNoText    = errors.New("no extractable text (a scanned document without a text layer?)")
	ErrTooLarge  = errors.New("too large once extracted")
)

// Func extracts the text of one file's bytes; limit bounds the text (and
// what is decompressed on the way) in bytes.
type Func func(data []byte, limit int) (Text, error)

// For returns the extractor for a file name by its extension, or nil when
// the file is not one of the extracted formats.
func For(name string) Func {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return PDF
	case ".docx":
		return DOCX
	case ".html", ".htm", ".xhtml":
		return HTML
	}
	return nil
}

// Extensions lists the extracted formats' file extensions.
func Extensions() []string { return []string{".pdf", ".docx", ".html", ".htm", ".xhtml"} }

// builder assembles extracted text: it collapses runs of white space the
// way a reader sees them, separates blocks with one blank line and keeps
// the total under a limit.
type builder struct {
	b     strings.Builder
	limit int
	space bool // a space is pending before the next word
	// marker is a line prefix ("- ", "# ") waiting for the line's first
	// word: an item or heading that turns out empty leaves nothing, and
	// a block opening inside one (<li><p>) does not split it from its
	// marker.
	marker string
	err    error
}

// dropped reports whether r is left out of the text: NUL, invalid UTF-8
// and control characters other than tab and line ends.
func dropped(r rune) bool {
	return r == utf8.RuneError || r == 0 || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r')
}

// inline appends inline text, collapsing white space to single spaces.
func (w *builder) inline(s string) {
	for _, r := range s {
		if dropped(r) {
			continue
		}
		if unicode.IsSpace(r) {
			w.space = true
			continue
		}
		w.flushMarker()
		if w.space && w.b.Len() > 0 && !w.atLineStart() && !w.afterSpace() {
			w.b.WriteByte(' ')
		}
		w.space = false
		w.b.WriteRune(r)
	}
	w.check()
}

// raw appends preformatted text as it is (only line ends normalised).
func (w *builder) raw(s string) {
	if s == "" {
		return
	}
	w.flushMarker()
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for _, r := range s {
		if dropped(r) {
			continue
		}
		w.b.WriteRune(r)
	}
	w.space = false
	w.check()
}

// setMarker starts a line prefix, written with the line's first word.
func (w *builder) setMarker(m string) {
	w.marker = m
	w.space = false
}

// dropMarker forgets a marker no word followed.
func (w *builder) dropMarker() { w.marker = "" }

func (w *builder) flushMarker() {
	if w.marker != "" {
		w.b.WriteString(w.marker)
		w.marker = ""
	}
}

// soft separates words without breaking the line: what a block boundary
// is inside a table cell.
func (w *builder) soft() { w.space = true }

func (w *builder) atLineStart() bool {
	s := w.b.String()
	return len(s) == 0 || s[len(s)-1] == '\n'
}

func (w *builder) afterSpace() bool {
	s := w.b.String()
	return len(s) > 0 && s[len(s)-1] == ' '
}

// lineBreak ends the current line.
func (w *builder) lineBreak() {
	if w.marker != "" {
		return
	}
	w.space = false
	if w.b.Len() > 0 && !w.atLineStart() {
		w.b.WriteByte('\n')
	}
}

// block ends the current block: what follows starts after a blank line.
func (w *builder) block() {
	if w.marker != "" {
		return
	}
	w.space = false
	s := w.b.String()
	switch {
	case len(s) == 0 || strings.HasSuffix(s, "\n\n"):
	case strings.HasSuffix(s, "\n"):
		w.b.WriteByte('\n')
	default:
		w.b.WriteString("\n\n")
	}
}

func (w *builder) check() {
	if w.err == nil && w.limit > 0 && w.b.Len() > w.limit {
		w.err = fmt.Errorf("%w: over %d bytes of text", ErrTooLarge, w.limit)
	}
}

// text returns the result with trailing white space removed, or ErrNoText
// when nothing readable was found.
func (w *builder) text() (string, error) {
	if w.err != nil {
		return "", w.err
	}
	s := strings.TrimRightFunc(w.b.String(), unicode.IsSpace)
	if strings.TrimSpace(s) == "" {
		return "", ErrNoText
	}
	return s + "\n", nil
}

// cleanMessage makes a parser's message fit an error a maintainer reads:
// the library quotes the bytes it choked on, which may be anything.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// cleanError is an error with its message made fit to show, wrapping the
// original for errors.Is.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// clean returns err with a message fit to show: parsers quote the bytes
// they stopped at, and the message ends up in an index summary.
func clean(err error) error {
	if err == nil {
		return nil
	}
	if msg := cleanMessage(err.Error()); msg != err.Error() {
		return &cleanError{msg: msg, err: err}
	}
	return err
}
