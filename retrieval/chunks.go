package retrieval

import "citebot/document"

// chunkRec is a chunk as the index holds it: document.Chunk without its
// two strings. The document is the chunk's entry in Index.chunkDoc, and
// the section heading one of that entry's sections (a heading repeats
// for every chunk under it). At 180,000 chunks that is 5 MB instead of
// 15, none of it pointers the collector has to follow on every cycle.
// Offsets fit in 32 bits: a document is at most loader's file limit.
type chunkRec struct {
	start, end, lineStart, lineEnd, page int32
	// section is 1 + the heading's index in docEntry.sections, 0 for
	// none.
	section int32
	header  bool
}

// chunk is chunk i as the rest of the program sees it.
func (ix *Index) chunk(i int) document.Chunk {
	r, e := &ix.chunks[i], ix.chunkDoc[i]
	c := document.Chunk{DocID: e.ID, Start: int(r.start), End: int(r.end), LineStart: int(r.lineStart), LineEnd: int(r.lineEnd),
		Page: int(r.page), Header: r.header}
	if r.section > 0 {
		c.Section = e.sections[r.section-1]
	}
	return c
}

// docChunks is the chunks of e, made anew.
func (ix *Index) docChunks(e *docEntry) []document.Chunk {
	out := make([]document.Chunk, e.numChunks)
	for k := range out {
		out[k] = ix.chunk(e.firstChunk + k)
	}
	return out
}

// packChunk is c, a chunk of e, as the index holds it; its heading is
// added to e.sections unless it is the last one there, which it usually
// is (chunks come in document order).
func packChunk(e *docEntry, c document.Chunk) chunkRec {
	r := chunkRec{start: int32(c.Start), end: int32(c.End), lineStart: int32(c.LineStart), lineEnd: int32(c.LineEnd),
		page: int32(c.Page), header: c.Header}
	if c.Section != "" {
		if n := len(e.sections); n == 0 || e.sections[n-1] != c.Section {
			e.sections = append(e.sections, c.Section)
		}
		r.section = int32(len(e.sections))
	}
	return r
}

// appendChunks adds cs, the chunks of e, to the index.
func (ix *Index) appendChunks(e *docEntry, cs []document.Chunk) {
	for _, c := range cs {
		ix.chunks = append(ix.chunks, packChunk(e, c))
		ix.chunkDoc = append(ix.chunkDoc, e)
	}
}
