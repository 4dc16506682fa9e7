// Package retrieval, imported as wire, holds the types citebot writes with
// encoding/gob: the root snapshot, segments and a remote store's document
// bodies.
//
// Gob writes type names into every file: a named struct by its bare name
// ("rootDoc"), a slice by its element's package-qualified name
// ("[]retrieval.Chunk"). These types were first written from package
// retrieval, so this package keeps that name and these exact names, fields
// and field order: every index and store written before stays readable and
// byte-identical when written again. The in-memory model (package
// document) may change without touching them; a change here is a format
// change, with a new magic line or layout version.
package retrieval

import "time"

// Versions identifies the code and model that built an index; any difference
// from the running program's forces a full rebuild.
type Versions struct {
	Chunker   string `json:"chunker"`
	Tokenizer string `json:"tokenizer"`
	Embedder  string `json:"embedder"`
	// Dimension is the length of the index's vectors: known only once
	// something is embedded, so a configuration's versions leave it 0.
	// Indexes saved before it was recorded have 0 too, "unknown": their
	// embedder's name is trusted.
	Dimension int `json:"dimension,omitempty"`
}

// SameBuilder reports whether v and w name the same chunker, tokenizer and
// embedder, whatever dimensions they record.
func (v Versions) SameBuilder(w Versions) bool {
	v.Dimension, w.Dimension = 0, 0
	return v == w
}

// Document is a document as stored: the same fields, in the same order,
// as the in-memory model's.
type Document struct {
	ID, Title, Text, SHA256 string
	Pages                   []int
	Aliases                 []string
}

// Chunk is a chunk as stored.
type Chunk struct {
	DocID              string
	Start, End         int
	LineStart, LineEnd int
	Section            string
	Page               int
	Header             bool
}

// Skipped is a file left out of the index, as stored.
type Skipped struct {
	Document, Reason string
}

// Exported names of the stored types; the types keep their first names,
// which gob writes.
type (
	Root        = rootData
	RootDoc     = rootDoc
	SegmentRef  = segmentRef
	SnapshotDoc = snapshotDoc
	SegmentDocs = segmentDocs
	SnapshotV1  = snapshotDataV1
	RemoteBody  = remoteBody
)

// rootData is the root snapshot: everything about the index but the
// documents' text, chunks and vectors, which its segments hold.
type rootData struct {
	Versions Versions
	Created  time.Time
	Skipped  []Skipped
	Docs     []rootDoc // sorted by ID
	// Segments are the files Docs refer to.
	Segments []segmentRef
}

// rootDoc is one document's entry in the root: enough to tell whether the
// file changed and to write the manifest without reading a segment.
type rootDoc struct {
	ID, Title, SHA256 string
	Aliases           []string
	Pages             int // page count (PDF)
	Chunks            int
	Bytes             int // of its text
	Segment           string
}

// segmentRef identifies a segment file, so that a missing, swapped or
// damaged one is noticed.
type segmentRef struct {
	Name   string
	SHA256 string // the checksum trailer
	Size   int64
	// TextBytes counts the text of every document written into the
	// segment: beside the bytes of those still listed, it tells how much
	// of the file is dead.
	TextBytes int64
}

// snapshotDoc is a document as a segment (or a version 1 snapshot) holds
// it. In a segment Title and Aliases are empty: the root holds them, so
// that a copy of a file appearing elsewhere rewrites only the root.
type snapshotDoc struct {
	ID, Title, SHA256, Text string
	Chunks                  []Chunk
	Aliases                 []string // gob: absent in snapshots before duplicates were folded
	Pages                   []int    // where each page starts (PDF); absent before pages were kept
}

// segmentDocs is the gob part of a segment file: the documents' text,
// chunks and pages.
type segmentDocs struct {
	Docs []snapshotDoc
}

// snapshotDataV1 is the single-file snapshot of format version 1.
type snapshotDataV1 struct {
	Versions Versions
	Created  time.Time
	Docs     []snapshotDoc
	Skipped  []Skipped
	// Vectors is chromem-go's own export of the vector collection.
	Vectors []byte
}

// remoteBody is one document's stored body in a remote store: the text
// that is cited and served, and its chunks' spans.
type remoteBody struct {
	Doc    Document
	Chunks []Chunk
}
