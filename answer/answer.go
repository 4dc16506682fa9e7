// Package answer turns a question and the passages retrieved for it into an
// Answer: text whose every claim carries a [n] marker, each marker backed by
// a citation that is exactly a span of a document.
//
// The extractive composer never writes words of its own: the answer is the
// chosen sentences themselves. When the passages do not cover the
// question's key terms it says so plainly instead of quoting something
// merely nearby.
package answer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval"
)

// Modes of an Answer.
const (
	ModeExtractive = "extractive"
	ModeGenerative = "generative"
)

// NotFoundText is the plain answer when the documents do not answer.
const NotFoundText = "The documents don't say. I found nothing in them that answers this question."

// ErrEmptyQuestion is returned for a question with no words.
var ErrEmptyQuestion = errors.New("the question is empty")

// ErrInvalidQuestion is returned for a question that is not UTF-8 text.
var ErrInvalidQuestion = errors.New("the question is not valid UTF-8 text")

// ErrQuestionTooLong is returned for a question of more than
// document.MaxQuestionChars characters.
var ErrQuestionTooLong = errors.New("the question is too long")

// Answer is the answer object that `citebot ask --json` prints and
// POST /v1/ask returns, a public format clients rely on: every [n] marker in
// Answer has exactly one citation and every citation is used; quotes and
// passage texts are exactly the bytes Start..End of the file (of its
// extracted text for PDF, HTML and DOCX); Found is false, with no
// citations, when the documents do not answer.
type Answer struct {
	Question  string     `json:"question"`
	Answer    string     `json:"answer"`
	Found     bool       `json:"found"`
	Mode      string     `json:"mode"`
	Citations []Citation `json:"citations"`
	Passages  []Passage  `json:"passages"`
	// Confidence is the calibrated probability that the first citation
	// answers the question (the answer model's); below the model's
	// threshold the answer is a refusal and this says how near it came.
	// 0 for an answer a language model wrote: the model has no figure
	// for text it did not choose.
	Confidence float64 `json:"confidence"`
	TookMS     int64   `json:"took_ms"`
	// Note is said beside the answer, in the asker's language: that
	// questions in the documents' language work best (no model could
	// translate this one). Not part of the answer's claims.
	Note string `json:"note,omitempty"`
	// Degraded marks an answer given in place of a better one (a model's,
	// that failed or was cut off): shown, but not to be cached.
	Degraded bool `json:"-"`
}

// Citation is a span the answer cites; N is its [n] marker.
type Citation struct {
	N         int     `json:"n"`
	Document  string  `json:"document"`
	Title     string  `json:"title"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
	LineStart int     `json:"line_start"`
	LineEnd   int     `json:"line_end"`
	Page      int     `json:"page,omitempty"` // 1-based, for documents with pages (PDF)
	Quote     string  `json:"quote"`
	Score     float64 `json:"score"`
}

// Passage is one retrieved passage, best first.
type Passage struct {
	Rank      int     `json:"rank"`
	Document  string  `json:"document"`
	Title     string  `json:"title"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
	LineStart int     `json:"line_start"`
	LineEnd   int     `json:"line_end"`
	Page      int     `json:"page,omitempty"` // the page holding start, for documents with pages (PDF)
	Text      string  `json:"text"`
	Score     float64 `json:"score"`
}

// CheckQuestion validates a question before any work is done. Every front
// end calls it, so that a question refused over HTTP is refused by the CLI
// too, and for the same reason.
func CheckQuestion(q string) error {
	if !utf8.ValidString(q) {
		return ErrInvalidQuestion
	}
	if strings.TrimSpace(q) == "" {
		return ErrEmptyQuestion
	}
	if n := utf8.RuneCountInString(q); n > document.MaxQuestionChars {
		return fmt.Errorf("%w: %d characters, the limit is %d", ErrQuestionTooLong, n, document.MaxQuestionChars)
	}
	return nil
}

// Searcher is what the composers need of an index.
type Searcher interface {
	// Analyze analyses a question once for the search and the model.
	Analyze(question string) analysis.Query
	SearchQuery(ctx context.Context, q analysis.Query, k int) ([]retrieval.Passage, error)
	Search(ctx context.Context, query string, k int) ([]retrieval.Passage, error)
	// IDF weighs a term by its rarity in the corpus; ok is false for a
	// term the corpus does not contain.
	IDF(term string) (idf float64, ok bool)
	NumChunks() int
	// Document returns an indexed document, for answers drawn from its
	// structure (who wrote it).
	Document(id string) (document.Document, bool)
}

func toPassages(ps []retrieval.Passage) []Passage {
	out := make([]Passage, len(ps))
	for i, p := range ps {
		out[i] = Passage{Rank: i + 1, Document: p.DocID, Title: p.Title, Start: p.Start, End: p.End,
			LineStart: p.LineStart, LineEnd: p.LineEnd, Page: p.Page, Text: p.Text, Score: round(p.Score)}
	}
	return out
}

// round keeps scores readable in JSON; they are for ordering, not precision.
func round(f float64) float64 {
	return float64(int64(f*10000+0.5)) / 10000
}
