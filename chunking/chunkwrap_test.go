package chunking

import (
	"testing"

	"citebot/analysis"
	"citebot/document"
	"citebot/internal/testdocs"
)

// TestChunkWrapped checks that chunks of hard-wrapped text end where
// sentences end: every sentence of the document lies whole in a chunk,
// whatever the width the text was folded to (150 columns is wider than the
// chunker's own wrapWidth, 120 bytes).
func TestChunkWrapped(t *testing.T) {
	for _, width := range []int{72, 150} {
		for _, seed := range testdocs.Seeds(t) {
			doc := document.Document{ID: seed.ID, Text: testdocs.Fold(seed.Text, width)}
			for _, max := range []int{0, 300} {
				opt := Options{MaxBytes: max}
				chunks := Split(doc, opt)
				checkChunks(t, doc, opt, chunks)
				for _, sp := range analysis.SplitSentences(doc.Text, document.Span{Start: 0, End: len(doc.Text)}) {
					if !inSomeChunk(chunks, sp) && !boilerplateNear(doc.Text, sp) {
						t.Errorf("%s at %d columns, MaxBytes %d: no chunk holds the sentence %q", doc.ID, width, max, doc.Text[sp.Start:sp.End])
					}
				}
			}
		}
	}
}

func inSomeChunk(chunks []document.Chunk, sp document.Span) bool {
	for _, c := range chunks {
		if !c.Header && c.Start <= sp.Start && sp.End <= c.End {
			return true
		}
	}
	return false
}

// boilerplateNear reports whether the sentence overlaps a line the chunker
// drops as site chrome: such a sentence is in no chunk by design.
func boilerplateNear(text string, sp document.Span) bool {
	for _, l := range classifyLines(text, DefaultBoilerplate(), 0) {
		if l.kind == lineBoilerplate && l.start < sp.End && sp.Start < l.end {
			return true
		}
	}
	return false
}

// TestChunkWrappedHeadings: a title or heading wrapped over two lines is
// read as one line, and its name has no line break.
func TestChunkWrappedHeadings(t *testing.T) {
	body := "The two states agreed on the main points of the treaty that was signed\n" +
		"in Minsk. The agreement, which came into effect on January 5, 2012,\n" +
		"facilitated cooperation in the field of international information\n" +
		"security between the member states of the organization."
	text := "Translate this page:\n\n" +
		"The Role of the Shanghai Cooperation Organization in the Development of\n" +
		"International Legal Norms in the Field of Information Security\n\n" +
		body + "\n\n" +
		"3.1. The Effectiveness Analysis of Information Security Activities of\n" +
		"the Shanghai Cooperation Organization\n\n" + body + "\n"
	doc := document.Document{ID: "wrapped.txt", Text: text}
	wantTitle := "The Role of the Shanghai Cooperation Organization in the Development of International Legal Norms in the Field of Information Security"
	if got := Title(text, nil); got != wantTitle {
		t.Errorf("title %q, want %q", got, wantTitle)
	}
	chunks := Split(doc, Options{})
	checkChunks(t, doc, Options{}, chunks)
	last := chunks[len(chunks)-1]
	if want := "3.1. The Effectiveness Analysis of Information Security Activities of the Shanghai Cooperation Organization"; last.Section != want {
		t.Errorf("last chunk's section %q, want %q", last.Section, want)
	}
}
