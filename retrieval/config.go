package retrieval

import "citebot/retrieval/internal/rank"

// FusionMethod names how keyword and vector rankings are combined
// (Fusion.Method); its values are spelt as in the config file and JSON.
type FusionMethod = rank.FusionMethod

// The fusion methods.
const (
	// FusionWeighted mixes min-max normalised scores linearly.
	FusionWeighted = rank.FusionWeighted
	// FusionRRF is reciprocal-rank fusion.
	FusionRRF = rank.FusionRRF
)

// Validate reports the first setting of c that indexing or searching
// cannot honour: chunking, then BM25, then fusion, in the config file's
// order. The parts' errors are returned as they are, since each already
// names its setting as the config file writes it (chunk.max_bytes,
// bm25.k1, fusion.method …). The Embedder is a dependency rather than a
// setting, and is not checked.
func (c Config) Validate() error {
	if err := c.Chunk.Validate(); err != nil {
		return err
	}
	if err := c.BM25.Validate(); err != nil {
		return err
	}
	return c.Fusion.Validate()
}
