package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"citebot/loader/extract"
	"citebot/loader/extract/extracttest"
)

// TestDocumentETag pins the documents endpoint's ETag byte for byte: the
// file's SHA-256, then, for text an extractor read out of the file, a dot
// and the extractors' version, then a span's offsets. Caches and clients
// hold these tags, so a change of how they are made must be deliberate.
func TestDocumentETag(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, false)
	page := "<html><head><title>Lock keeping</title></head><body><h1>Lock keeping</h1><p>The Quillby lock opens at dawn and closes at dusk.</p></body></html>"
	pdf := string(extracttest.PDF(
		[]string{"Ferry timetable", "The Orrin ferry leaves the pier at noon."},
		[]string{"Return crossings", "It returns from the island at six."}))
	writeTestFile(t, filepath.Join(env.Docs, "lock.html"), page)
	writeTestFile(t, filepath.Join(env.Docs, "ferry.pdf"), pdf)
	if _, err := env.Live.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	harbour := testDocs["harbour.txt"]
	tests := []struct {
		name, path, want string
	}{
		{"plain text", "/v1/documents/harbour.txt", `"` + hash(harbour) + `"`},
		{"all of plain text as a span", "/v1/documents/harbour.txt?start=0&end=" + strconv.Itoa(len(harbour)), `"` + hash(harbour) + `"`},
		{"a span of plain text", "/v1/documents/harbour.txt?start=15&end=33", `"` + hash(harbour) + `-15-33"`},
		{"Markdown", "/v1/documents/sub/treaty.md", `"` + hash(testDocs["sub/treaty.md"]) + `"`},
		{"HTML", "/v1/documents/lock.html", `"` + hash(page) + "." + extract.Version + `"`},
		{"PDF", "/v1/documents/ferry.pdf", `"` + hash(pdf) + "." + extract.Version + `"`},
		{"a span of a PDF", "/v1/documents/ferry.pdf?start=0&end=5", `"` + hash(pdf) + "." + extract.Version + `-0-5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.get(t, tt.path)
			if r.Status != 200 {
				t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
			}
			if got := r.Header.Get("ETag"); got != tt.want {
				t.Errorf("ETag %s, want %s", got, tt.want)
			}
		})
	}
}

// TestNoLoaderImport keeps the API ignorant of files and formats: what it
// needs of them (a document's text version, say) comes through the view.
func TestNoLoaderImport(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); p == "citebot/loader" || strings.HasPrefix(p, "citebot/loader/") {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
