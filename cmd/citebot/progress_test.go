package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"citebot/corpus"
	"citebot/document"
	"citebot/retrieval"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		p    retrieval.Progress
		want string
	}{
		{retrieval.Progress{Stage: "loading", Files: 12, Bytes: 3 << 20}, "loading: 12 files (3.0 MB) read"},
		{retrieval.Progress{Stage: "chunking", Files: 100, Bytes: 2048, Docs: 10, DocsTodo: 40}, "chunking: 100 files (2 KB) read, 10 of 40 documents chunked"},
		{retrieval.Progress{Stage: "embedding", Files: 100, Bytes: 512, Docs: 40, DocsTodo: 40, Embedded: 500, Chunks: 1500,
			Elapsed: 10 * time.Second, Remaining: 20 * time.Second},
			"embedding: 100 files (512 bytes) read, 40 of 40 documents chunked, 500 of 1500 chunks embedded (50/s), about 20s left"},
	}
	for _, tt := range tests {
		if got := progressLine(tt.p); got != tt.want {
			t.Errorf("progressLine(%+v)\n got %q\nwant %q", tt.p, got, tt.want)
		}
	}
}

// An update counted on a meter shows where it is, and the logger reports
// it while it runs.
func TestProgressCounted(t *testing.T) {
	docs := t.TempDir()
	writeFile(t, docs+"/a.txt", "The archive of the harbour holds maps.\n")
	writeFile(t, docs+"/b.txt", "The lighthouse was built in 1871.\n")
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	var slot meterSlot
	ctx := slot.start(context.Background())
	if _, err := retrieval.NewFolderStore(t.TempDir(), cfg).Update(ctx, nil, retrieval.FromFolder(docs, 0)); err != nil {
		t.Fatal(err)
	}
	p := slot.m.Load().Progress()
	if p.Files != 2 || p.Bytes == 0 || p.Docs != 2 || p.DocsTodo != 2 || p.Chunks == 0 || p.Embedded != p.Chunks || p.Stage != "saving" {
		t.Errorf("progress after the update: %+v", p)
	}
	var buf bytes.Buffer
	lctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	logProgress(lctx, slog.New(slog.NewTextHandler(&buf, nil)), &slot, 20*time.Millisecond)
	if !strings.Contains(buf.String(), "msg=indexing") || !strings.Contains(buf.String(), "files=2") {
		t.Errorf("progress log: %s", buf.String())
	}
}

// Skipped files are logged in one line, counted by reason with the first
// few named, however many there are.
func TestLogReindexSkippedOneLine(t *testing.T) {
	var res corpus.Result
	for i := range 1000 {
		res.Skipped = append(res.Skipped, document.Skipped{Document: fmt.Sprintf("empty%04d.txt", i), Reason: "empty file"})
	}
	var buf bytes.Buffer
	logReindex(slog.New(slog.NewTextHandler(&buf, nil)), res, nil)
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d log lines for 1000 skipped files, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "count=1000") || !strings.Contains(out, `by_reason="empty file: 1000"`) || !strings.Contains(out, "empty0004.txt") || strings.Contains(out, "empty0005.txt") {
		t.Errorf("skipped line: %s", out)
	}
}
