package web

import (
	"net/http"
	"strings"
	"testing"
)

// The document list: each document's title (a link to the viewer), file,
// size and chunks, pages for a PDF, and the files skipped at the last
// reindex with their reasons.
func TestDocuments(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{}, live, live, testLogger())
	res, body := get(t, h, "/documents")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	page := parse(t, body)
	rows := byTag(byTag(mustID(t, page, "documents"), "tbody")[0], "tr")
	v, _ := live.View()
	docs := v.Documents()
	if len(rows) != len(docs) {
		t.Fatalf("%d rows for %d documents", len(rows), len(docs))
	}
	for i, d := range docs {
		cells := byTag(rows[i], "td")
		links := byTag(cells[0], "a")
		if len(links) != 1 || attr(links[0], "href") != documentPath(d.ID) || !strings.HasPrefix(text(links[0]), d.Title) {
			t.Errorf("row %d: link %v, want %q to %q", i, links, d.Title, documentPath(d.ID))
		}
		if text(cells[1]) != d.ID || text(cells[3]) != itoa(d.Chunks) {
			t.Errorf("row %d: file %q, chunks %q; want %q, %d", i, text(cells[1]), text(cells[3]), d.ID, d.Chunks)
		}
		if wantPages := map[bool]string{true: itoa(d.Pages), false: ""}[d.Pages > 0]; text(cells[4]) != wantPages {
			t.Errorf("row %d: pages %q, want %q", i, text(cells[4]), wantPages)
		}
	}
	skipped := byTag(byTag(mustID(t, page, "skipped"), "tbody")[0], "tr")
	if len(skipped) != 1 || text(byTag(skipped[0], "td")[0]) != testSkipped[0].Document || text(byTag(skipped[0], "td")[1]) != testSkipped[0].Reason {
		t.Errorf("skipped rows %d, want the skipped file and its reason as text", len(skipped))
	}
	// The hostile reason is text, not markup.
	if len(byTag(mustID(t, page, "skipped"), "script")) != 0 {
		t.Error("a skipped file's reason became a script")
	}
}

func TestDocumentsNotReady(t *testing.T) {
	h := New(Config{}, newTestLive(t, false), nil, testLogger())
	for _, target := range []string{"/documents", "/documents/harbour.txt?start=0&end=3"} {
		res, body := get(t, h, target)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "still being indexed") {
			t.Errorf("%s: status %d, want 503 saying the index is loading", target, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", target, ct)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		n      int
		en, ru string
	}{
		{0, "0 B", "0 Б"},
		{999, "999 B", "999 Б"},
		{37762, "37.8 kB", "37,8 КБ"},
		{2_500_000, "2.5 MB", "2,5 МБ"},
	}
	for _, tt := range tests {
		if got := english.size(tt.n); got != tt.en {
			t.Errorf("english.size(%d) = %q, want %q", tt.n, got, tt.en)
		}
		if got := russian.size(tt.n); got != tt.ru {
			t.Errorf("russian.size(%d) = %q, want %q", tt.n, got, tt.ru)
		}
	}
}
