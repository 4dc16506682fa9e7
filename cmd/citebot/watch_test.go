package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve --watch reindexes live when files are added, changed, renamed or
// removed, and says so in the log and the metrics.
func TestServeWatch(t *testing.T) {
	docs := copySeeds(t)
	s := startServe(t, nil, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--watch", "--watch-delay", "100ms")
	s.waitReady(t)
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen:\n%s", what, s.log)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	found := func(q, doc string) func() bool {
		return func() bool {
			a, code := s.ask(t, q)
			return code == 200 && a.Found && len(a.Citations) > 0 && a.Citations[0].Document == doc
		}
	}
	q := "When did the harbour of Vardø freeze?"
	writeFile(t, filepath.Join(docs, "vardo.txt"), vardo)
	eventually("an added file answered", found(q, "vardo.txt"))

	if err := os.Rename(filepath.Join(docs, "vardo.txt"), filepath.Join(docs, "harbour.txt")); err != nil {
		t.Fatal(err)
	}
	eventually("a renamed file answered under its new name", found(q, "harbour.txt"))

	writeFile(t, filepath.Join(docs, "harbour.txt"), "Harbour notes\n\nThe harbour of Vardø froze in 1974.\n")
	eventually("a changed file answered from its new text", func() bool {
		a, _ := s.ask(t, q)
		return a.Found && strings.Contains(a.Answer, "1974")
	})

	if err := os.Remove(filepath.Join(docs, "harbour.txt")); err != nil {
		t.Fatal(err)
	}
	eventually("a removed file forgotten", func() bool {
		resp, err := http.Get(s.url + "/v1/documents")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return !strings.Contains(string(body), "harbour.txt")
	})

	if !strings.Contains(s.log.String(), "documents changed; reindexing") {
		t.Errorf("the log does not say what changed:\n%s", s.log)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`citebot_document_changes_total{kind="added"}`, `citebot_document_changes_total{kind="removed"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
