package retrieval

import (
	"context"
	"sync/atomic"
	"time"
)

// Meter counts an update's progress as it goes, for whoever shows it: a
// terminal's status line, a log line every few seconds. An update finds
// the meter in its context (WithMeter); without one nothing is counted.
// Every count may be read while the update runs.
type Meter struct {
	start                     time.Time
	files, bytes              atomic.Int64 // read from the documents folder
	docs, docsTodo            atomic.Int64 // chunked, of those new or changed
	embedded, chunks          atomic.Int64 // chunks embedded, of those made
	loaded, chunked, finished atomic.Bool
}

// NewMeter starts counting now.
func NewMeter() *Meter { return &Meter{start: time.Now()} }

// Progress is what a meter has counted so far.
type Progress struct {
	// Stage is "loading" (reading the folder), "chunking", "embedding"
	// or "saving" (writing the index).
	Stage     string
	Files     int   // files read
	Bytes     int64 // their size
	Docs      int   // documents chunked
	DocsTodo  int   // documents to chunk and embed: the new and changed
	Embedded  int   // chunks embedded
	Chunks    int   // chunks to embed
	Elapsed   time.Duration
	Remaining time.Duration // estimated while embedding; 0 when unknown
}

// Progress reads the meter.
func (m *Meter) Progress() Progress {
	p := Progress{Files: int(m.files.Load()), Bytes: m.bytes.Load(), Docs: int(m.docs.Load()), DocsTodo: int(m.docsTodo.Load()),
		Embedded: int(m.embedded.Load()), Chunks: int(m.chunks.Load()), Elapsed: time.Since(m.start)}
	switch {
	case m.finished.Load():
		p.Stage = "saving"
	case m.chunked.Load():
		p.Stage = "embedding"
		if p.Embedded > 0 && p.Chunks > p.Embedded {
			// Embedding is most of the time: the rest goes at its rate so far.
			per := p.Elapsed / time.Duration(p.Embedded)
			p.Remaining = per * time.Duration(p.Chunks-p.Embedded)
		}
	case m.loaded.Load():
		p.Stage = "chunking"
	default:
		p.Stage = "loading"
	}
	return p
}

type meterKey struct{}

// WithMeter has the updates run under ctx count their progress on m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// meterFrom is ctx's meter; nil counts nothing.
func meterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

// The counting methods do nothing on a nil meter, so that the code they
// sit in needs no checks.

func (m *Meter) readFile(bytes int64) {
	if m != nil {
		m.files.Add(1)
		m.bytes.Add(bytes)
	}
}

func (m *Meter) loadDone() {
	if m != nil {
		m.loaded.Store(true)
	}
}

func (m *Meter) toChunk(docs int) {
	if m != nil {
		m.loaded.Store(true)
		m.docsTodo.Add(int64(docs))
	}
}

func (m *Meter) chunkedDoc() {
	if m != nil {
		m.docs.Add(1)
	}
}

func (m *Meter) toEmbed(chunks int) {
	if m != nil {
		m.chunks.Add(int64(chunks))
		m.chunked.Store(true)
	}
}

func (m *Meter) embeddedChunks(n int) {
	if m != nil {
		m.embedded.Add(int64(n))
	}
}

func (m *Meter) built() {
	if m != nil {
		m.finished.Store(true)
	}
}
