// Package retrieval turns a folder of documents into a searchable index and
// answers searches with ranked passages.
//
// Offsets are the backbone: a document keeps the exact bytes of its file, and
// every chunk, passage and sentence is a half-open byte span [Start, End) of
// those bytes. Nothing here copies or rewrites text; cleaning decides which
// spans are indexed, never what a span contains.
package retrieval
