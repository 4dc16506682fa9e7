package document

// The limits every part of citebot keeps, and every client may rely on,
// defined once.
const (
	// MaxCitationBytes bounds a cited span: a sentence longer than this
	// is split, so no quote is ever longer.
	MaxCitationBytes = 800
	// DefaultChunkBytes is the size a paragraph is split at unless the
	// configuration says otherwise: about a paragraph, which gives sharp
	// BM25 scores and readable passages.
	DefaultChunkBytes = 1000
	// MaxPassageBytes bounds a passage, chunks of one document merged:
	// no chunk is larger either.
	MaxPassageBytes = 3000
	// MaxK bounds how many passages one question may ask for.
	MaxK = 50
	// MaxQuestionChars bounds a question, in characters, over HTTP and
	// Telegram alike.
	MaxQuestionChars = 4000
)
