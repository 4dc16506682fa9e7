package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/loader/extract/extracttest"
)

// A PDF, a DOCX and an HTML page dropped beside the seeds are answered
// from, cited by page where the format has pages, and served as the text
// the citations' offsets hold against.
func TestServeExtractedFormats(t *testing.T) {
	docs := copySeeds(t)
	files := map[string][]byte{
		"survey.pdf": extracttest.PDF(
			[]string{"Coastal Survey 2024", "An overview of the northern coast."},
			[]string{"Findings", "The Greyhaven lighthouse lamp was replaced in March 2019."},
		),
		"orchard.docx": extracttest.DOCX(
			extracttest.Para{Style: "Heading1", Text: "Orchard Keeping"},
			extracttest.Para{Text: "Apple trees in the Verdant orchard are pruned every February."},
		),
		"ferry.html": []byte(`<html><head><title>Ferry</title><script>var x = "The ferry password is zebra-quartz-17.";</script></head>
<body><nav>Menu: Home, About</nav><article><h1>Ferry times</h1><p>The Northpoint ferry departs at 07:45 every weekday.</p></article></body></html>`),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(docs, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServe(t, nil, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t)

	for _, tt := range []struct {
		q, doc, quote string
		page          int
	}{
		{"When was the Greyhaven lighthouse lamp replaced?", "survey.pdf", "The Greyhaven lighthouse lamp was replaced in March 2019.", 2},
		{"When are apple trees in the Verdant orchard pruned?", "orchard.docx", "Apple trees in the Verdant orchard are pruned every February.", 0},
		{"When does the Northpoint ferry depart?", "ferry.html", "The Northpoint ferry departs at 07:45 every weekday.", 0},
	} {
		a, code := s.ask(t, tt.q)
		if code != 200 || !a.Found || len(a.Citations) == 0 {
			t.Errorf("%q: %d %+v", tt.q, code, a)
			continue
		}
		c := a.Citations[0]
		if c.Document != tt.doc || !strings.Contains(c.Quote, tt.quote) || c.Page != tt.page {
			t.Errorf("%q: cited %s p.%d %q, want %s p.%d %q", tt.q, c.Document, c.Page, c.Quote, tt.doc, tt.page, tt.quote)
		}
		// The span holds against the served text, whole and as a range.
		whole := get(t, s.url+"/v1/documents/"+c.Document)
		if c.End > len(whole) || whole[c.Start:c.End] != c.Quote {
			t.Errorf("%q: quote is not the served text's bytes %d-%d", tt.q, c.Start, c.End)
		}
		if got := get(t, fmt.Sprintf("%s/v1/documents/%s?start=%d&end=%d", s.url, c.Document, c.Start, c.End)); got != c.Quote {
			t.Errorf("%q: span request gave %q, want the quote", tt.q, got)
		}
	}
	if text := get(t, s.url+"/v1/documents/ferry.html"); strings.Contains(text, "zebra") || strings.Contains(text, "Menu:") {
		t.Errorf("the served HTML text holds its chrome:\n%s", text)
	}
	var list struct {
		Documents []struct {
			ID    string `json:"id"`
			Pages int    `json:"pages"`
		} `json:"documents"`
	}
	if err := json.Unmarshal([]byte(get(t, s.url+"/v1/documents")), &list); err != nil {
		t.Fatal(err)
	}
	pages := map[string]int{}
	for _, d := range list.Documents {
		pages[d.ID] = d.Pages
	}
	if pages["survey.pdf"] != 2 || pages["orchard.docx"] != 0 {
		t.Errorf("pages in the document list: %v", pages)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
