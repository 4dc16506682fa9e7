package embedding

import (
	"errors"
	"fmt"
	"math"

	openai "github.com/sashabaranov/go-openai"
)

// vectors checks a response to a batch of n texts and returns its vectors
// in input order, at unit length. The data may come in any order (the
// index field says whose vector each is), but there must be exactly one
// per text, all of one dimension, every number finite.
func vectors(res openai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(res.Data) != n {
		return nil, fmt.Errorf("sent %d texts, got %d vectors back", n, len(res.Data))
	}
	out := make([][]float32, n)
	for _, d := range res.Data {
		switch {
		case d.Index < 0 || d.Index >= n:
			return nil, fmt.Errorf("vector index %d outside the %d texts sent", d.Index, n)
		case out[d.Index] != nil:
			return nil, fmt.Errorf("two vectors for text %d", d.Index)
		case len(d.Embedding) == 0:
			return nil, fmt.Errorf("empty vector for text %d", d.Index)
		}
		v, err := unit(d.Embedding)
		if err != nil {
			return nil, fmt.Errorf("vector for text %d: %w", d.Index, err)
		}
		out[d.Index] = v
	}
	if err := sameDimension(out); err != nil {
		return nil, err
	}
	return out, nil
}

// sameDimension checks that all vectors have one dimension.
func sameDimension(vecs [][]float32) error {
	for i, v := range vecs {
		if len(v) != len(vecs[0]) {
			return fmt.Errorf("mixed dimensions: vector 0 has %d, vector %d has %d", len(vecs[0]), i, len(v))
		}
	}
	return nil
}

// unit returns v scaled to unit length (a copy; the zero vector stays
// zero, and means the model found nothing to go on).
func unit(v []float32) ([]float32, error) {
	var ss float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("not a finite number in it")
		}
		ss += f * f
	}
	out := make([]float32, len(v))
	if ss == 0 {
		return out, nil
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out, nil
}
