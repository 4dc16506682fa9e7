package corpus

import (
	"context"

	"citebot/answer"
	"citebot/document"
	"citebot/retrieval"
)

// Library is what the front ends (the HTTP API, the web page, the
// Telegram bot) serve from; a *Live is one. It is declared here, once,
// rather than in each front end because they need the same four methods
// and must not import each other.
type Library interface {
	Ask(ctx context.Context, question string, k int) (answer.Answer, error)
	// AskStream is Ask with the answer's text sent to onText as it is
	// written (a language model's), or in one piece.
	AskStream(ctx context.Context, question string, k int, onText func(string)) (answer.Answer, error)
	// View returns the corpus being served; ok is false before the first
	// load, and when ok the view is never nil.
	View() (v View, ok bool)
	Reindex(ctx context.Context) (Result, error)
}

// View is a read-only view of one index: what front ends show of the
// corpus besides answers. A *retrieval.Index is one. Whatever it returns
// is the caller's (new slices, values whose shared parts are unexported),
// so no front end can change the index through it.
//
// A view never changes; a reindex serves a new one. Front ends compare
// views with == to notice that, so an implementation must be comparable
// (a pointer is).
type View interface {
	// Documents lists the indexed documents, and duplicate files under
	// their own names, sorted by ID.
	Documents() []retrieval.DocumentInfo
	// DocumentText returns a document's stored text, with the version
	// that names it.
	DocumentText(id string) (retrieval.DocumentText, bool)
	// Sections lists the section headings of a document, in order.
	Sections(id string) []string
	// NumChunks is the number of indexed chunks.
	NumChunks() int
	// Skipped lists the files the reindex that built the view could not
	// index, with their reasons.
	Skipped() []document.Skipped
}

var (
	_ View    = (*retrieval.Index)(nil)
	_ Library = (*Live)(nil)
)

// View returns the index being served as a read-only view; ok is false
// before the first load. It never wraps a nil index (Live never serves
// one), so a front end can trust ok alone.
func (l *Live) View() (View, bool) {
	s := l.cur.Load()
	if s == nil {
		return nil, false
	}
	return s.ix, true
}
