package document

import (
	"sort"
	"strings"
)

// LineIndex maps byte offsets of one text to 1-based line numbers, the way
// citations report them: a line ends at '\n', so "\r\n" files count the same
// as "\n" files and a lone '\r' does not start a line.
//
// Building it costs one pass over the text; each lookup is a binary search,
// so callers that cite many spans of one document should build it once.
type LineIndex struct {
	// starts is the byte offset where each line begins; starts[0] == 0.
	// 32 bits hold every offset of a document (at most 2 GiB), in half
	// the memory: an index holds one per line of every document.
	starts []int32
}

// NewLineIndex indexes the line starts of text.
func NewLineIndex(text string) LineIndex {
	starts := make([]int32, 1, 1+strings.Count(text, "\n"))
	for i := 0; ; {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		starts = append(starts, int32(i))
	}
	return LineIndex{starts: starts}
}

// Line returns the 1-based line holding byte offset. Offsets past the end
// (including len(text), the position after a final newline) belong to the
// last line started; negative offsets are line 1, so a caller's off-by-one
// cannot turn into a panic in a citation.
func (li LineIndex) Line(offset int) int {
	if len(li.starts) == 0 || offset <= 0 {
		return 1
	}
	// The first line starting after offset is one past the line we want.
	return sort.Search(len(li.starts), func(k int) bool { return int(li.starts[k]) > offset })
}

// Lines is the number of lines in the text: a text ending in '\n' has an
// empty last line, as editors that show line numbers count it.
func (li LineIndex) Lines() int {
	if len(li.starts) == 0 {
		return 1
	}
	return len(li.starts)
}
