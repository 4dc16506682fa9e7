package document

// Document is one file of the corpus: for text and Markdown files exactly
// as stored on disk, for PDF, DOCX and HTML the text extracted from it.
type Document struct {
	ID    string // path relative to the docs folder, with / separators
	Title string // from the document: a Markdown "# " heading or the first substantial line
	// Text is the file's bytes, unchanged (BOM and CRLF included), or for
	// an extracted format the extracted text (package extract): offsets
	// and quotes refer to it, and it is what the index serves.
	Text   string
	SHA256 string // hex sha256 of the file's bytes
	// Pages holds the byte offset in Text where each page starts (PDF);
	// empty for documents without pages.
	Pages []int
	// Aliases are the other paths holding exactly these bytes: a file
	// copied under another name is indexed once, found under every name.
	Aliases []string
}

// Page returns the 1-based page holding byte offset of Text, or 0 when
// the document has no pages.
func (d Document) Page(offset int) int {
	return PageAt(d.Pages, offset)
}

func PageAt(pages []int, offset int) int {
	n := 0
	for lo, hi := 0, len(pages); lo < hi; {
		m := (lo + hi) / 2
		if pages[m] <= offset {
			n, lo = m+1, m+1
		} else {
			hi = m
		}
	}
	return n
}

// Span is a half-open byte range [Start, End) of a document's Text.
type Span struct {
	Start, End int
}

// Len is the span's length in bytes.
func (s Span) Len() int { return s.End - s.Start }

// Chunk is the unit of indexing: a byte span of a document plus the context
// that helps to find it. Only Text[Start:End] is ever cited; Section and the
// document title are indexed beside it.
type Chunk struct {
	DocID     string `json:"doc"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	LineStart int    `json:"line_start"` // 1-based line holding byte Start
	LineEnd   int    `json:"line_end"`   // 1-based line holding byte End-1
	Section   string `json:"section,omitempty"`
	// Page is the 1-based page holding the chunk (a chunk never spans
	// pages), 0 for documents without pages.
	Page int `json:"page,omitempty"`
	// Header marks the short per-document chunk of title, authors,
	// affiliation and abstract opening, which answers "who wrote it" questions.
	Header bool `json:"header,omitempty"`
}

// Skipped is a file that was not indexed, and why.
type Skipped struct {
	Document string `json:"document"`
	Reason   string `json:"reason"`
}
