package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"citebot/retrieval"
)

// isTerminal reports whether w is a terminal, where a status line that
// rewrites itself helps; in a file or a pipe it would be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showProgress redraws m's progress on the terminal w every tick, and
// clears the line when stopped.
func showProgress(w io.Writer, m *retrieval.Meter, every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		width := 0
		for {
			select {
			case <-done:
				fmt.Fprintf(w, "\r%*s\r", width, "")
				return
			case <-t.C:
				line := progressLine(m.Progress())
				fmt.Fprintf(w, "\r%-*s", width, line)
				width = max(width, len(line))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressLine says where an update is: what it has read, chunked and
// embedded, how fast, and about how long is left.
func progressLine(p retrieval.Progress) string {
	s := fmt.Sprintf("%s: %d files (%s) read", p.Stage, p.Files, sizeText(p.Bytes))
	if p.DocsTodo > 0 {
		s += fmt.Sprintf(", %d of %d documents chunked", p.Docs, p.DocsTodo)
	}
	if p.Chunks > 0 {
		s += fmt.Sprintf(", %d of %d chunks embedded", p.Embedded, p.Chunks)
		if secs := p.Elapsed.Seconds(); secs > 0 && p.Embedded > 0 {
			s += fmt.Sprintf(" (%.0f/s)", float64(p.Embedded)/secs)
		}
	}
	if p.Remaining > 0 {
		s += ", about " + p.Remaining.Round(time.Second).String() + " left"
	}
	return s
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// meterSlot holds the meter of the update running now, for a logger to
// read; the updater puts a new one in for each update.
type meterSlot struct {
	m atomic.Pointer[retrieval.Meter]
}

// start begins counting a new update under ctx.
func (s *meterSlot) start(ctx context.Context) context.Context {
	m := retrieval.NewMeter()
	s.m.Store(m)
	return retrieval.WithMeter(ctx, m)
}

// logProgress logs the running update's progress every tick until ctx
// ends: a first index of a large folder takes a while, and the log must
// say it is moving.
func logProgress(ctx context.Context, log *slog.Logger, s *meterSlot, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if m := s.m.Load(); m != nil {
				p := m.Progress()
				log.Info("indexing", "stage", p.Stage, "files", p.Files, "bytes", p.Bytes, "documents", p.Docs, "of_documents", p.DocsTodo,
					"embedded", p.Embedded, "of_chunks", p.Chunks, "elapsed", p.Elapsed.Round(time.Second), "left", p.Remaining.Round(time.Second))
			}
		}
	}
}
