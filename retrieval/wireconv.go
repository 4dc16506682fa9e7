package retrieval

import wire "citebot/retrieval/internal/wire"

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

func wireChunks(s []Chunk) []wire.Chunk {
	return convertAll(s, func(c Chunk) wire.Chunk { return wire.Chunk(c) })
}

func modelChunks(s []wire.Chunk) []Chunk {
	return convertAll(s, func(c wire.Chunk) Chunk { return Chunk(c) })
}

func wireSkipped(s []Skipped) []wire.Skipped {
	return convertAll(s, func(k Skipped) wire.Skipped { return wire.Skipped(k) })
}

func modelSkipped(s []wire.Skipped) []Skipped {
	return convertAll(s, func(k wire.Skipped) Skipped { return Skipped(k) })
}
