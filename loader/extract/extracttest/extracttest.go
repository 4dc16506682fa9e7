// Package extracttest generates the documents that tests of text
// extraction need: PDFs (plain, compressed, encrypted, with object
// streams, decompression bombs, or built object by object to be broken on
// purpose), DOCX packages (password-protected ones, and zip bombs posing
// as them) and deeply nested HTML.
//
// The documents are made in code rather than checked in as binary
// fixtures, so a test shows what its input contains, and every fact a
// test looks for in the extracted text is visible next to the assertion.
// Everything generated is deterministic: the same arguments give the same
// bytes.
package extracttest

import (
	"bytes"
	"strings"
)

// NestedHTML returns a page whose body holds depth nested <div>s (all
// closed) with a paragraph of text at the bottom and one after them: the
// shape that makes tree-building parsers recurse or go quadratic.
func NestedHTML(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html><head><title>Nested</title></head><body>\n")
	b.WriteString(strings.Repeat("<div>", depth))
	b.WriteString("<p>Deep text.</p>")
	b.WriteString(strings.Repeat("</div>", depth))
	b.WriteString("\n<p>After the divs.</p>\n</body></html>\n")
	return b.Bytes()
}
