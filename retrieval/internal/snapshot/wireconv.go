package snapshot

import (
	"citebot/document"
	wire "citebot/retrieval/internal/wire"
)

// Conversions between the in-memory model and its stored form, whose types
// have the same fields in the same order. A nil slice stays nil: the
// manifest tells an empty list from an absent one.

func convertAll[T, U any](s []T, conv func(T) U) []U {
	if s == nil {
		return nil
	}
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = conv(v)
	}
	return out
}

func WireChunks(s []document.Chunk) []wire.Chunk {
	return convertAll(s, func(c document.Chunk) wire.Chunk { return wire.Chunk(c) })
}

func ModelChunks(s []wire.Chunk) []document.Chunk {
	return convertAll(s, func(c wire.Chunk) document.Chunk { return document.Chunk(c) })
}

func WireSkipped(s []document.Skipped) []wire.Skipped {
	return convertAll(s, func(k document.Skipped) wire.Skipped { return wire.Skipped(k) })
}

func ModelSkipped(s []wire.Skipped) []document.Skipped {
	return convertAll(s, func(k wire.Skipped) document.Skipped { return document.Skipped(k) })
}
