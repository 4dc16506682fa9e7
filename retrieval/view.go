package retrieval

import (
	"slices"

	"citebot/document"
	"citebot/loader/extract"
)

// DocumentText is a document's stored text as front ends serve it. It is
// the reader's own copy: the strings cannot change, and the page map,
// shared with the index, is unexported so that no reader can write it.
type DocumentText struct {
	Title string
	Text  string
	// Version names the text: the file's SHA-256 (hex) and, when an
	// extractor read the text out of the file (HTML, PDF, DOCX), a dot
	// and the extractors' version, because a new extractor may read other
	// text from the same bytes. Equal versions mean equal text, so it can
	// serve as an HTTP entity tag.
	Version string
	pages   []int
}

// Page returns the 1-based page holding byte offset of Text, or 0 when
// the document has no pages.
func (t DocumentText) Page(offset int) int { return document.PageAt(t.pages, offset) }

// PageStarts returns the byte offset in Text where each page starts,
// first page first, or nil for a document without pages (a viewer draws
// the page breaks with them); the slice is the caller's.
func (t DocumentText) PageStarts() []int { return slices.Clone(t.pages) }

// DocumentText returns an indexed document's stored text; a duplicate
// file's id gives the text of the document indexed in its place.
func (ix *Index) DocumentText(id string) (DocumentText, bool) {
	d, ok := ix.Document(id)
	if !ok {
		return DocumentText{}, false
	}
	v := d.SHA256
	// d.ID, not id: a duplicate's text is the indexed document's, read
	// by that file's extractor (or none).
	if extract.For(d.ID) != nil {
		v += "." + extract.Version
	}
	return DocumentText{Title: d.Title, Text: d.Text, Version: v, pages: d.Pages}, true
}
