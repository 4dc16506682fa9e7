package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/loader/extract/extracttest"
)

// TestParse: Parse decides about a file's bytes as Load decides about the
// file: the same document, or the same skip reason.
func TestParse(t *testing.T) {
	const limit = 4096
	pages := [][]string{{"Harbour report", "The harbour of Vardø froze in 1966."}, {"The ice broke in April."}}
	tests := []struct {
		name   string
		data   []byte
		reason string // a part of it; "" for a document
	}{
		{"notes.md", []byte("# Notes\n\nThe harbour froze.\n"), ""},
		{"sub/report.pdf", extracttest.PDF(pages...), ""},
		{"REPORT.TXT", []byte("Upper-case extension.\n"), ""},
		{"locked.pdf", extracttest.EncryptedPDF("secret", pages...), "encrypted PDF"},
		{"scan.pdf", extracttest.PDF([]string{}), "no extractable text"},
		{"empty.txt", []byte(" \n\t\n"), "empty"},
		{"latin1.txt", []byte("caf\xe9 cr\xe8me"), ""},
		{"nul.md", []byte("text\x00more"), "binary"},
		{"big.txt", []byte(strings.Repeat("x", limit+1)), "too large"},
		{"tool.exe", []byte("MZ"), "unsupported file type"},
		{"notes", []byte("no extension\n"), "unsupported file type"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, filepath.FromSlash(tt.name))
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, skipped, err := Load(dir, limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]string{}
	for _, d := range docs {
		loaded[d.ID] = d.Text
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Document] = s.Reason
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, reason := Parse(tt.name, tt.data, limit)
			if tt.reason != "" {
				if !strings.Contains(reason, tt.reason) {
					t.Errorf("reason %q, want one saying %q", reason, tt.reason)
				}
				if reason != reasons[tt.name] && !strings.HasPrefix(tt.reason, "too large") {
					t.Errorf("Parse says %q, Load says %q", reason, reasons[tt.name])
				}
				return
			}
			if reason != "" {
				t.Fatalf("skipped: %s", reason)
			}
			if doc.ID != tt.name || doc.Text != loaded[tt.name] || doc.SHA256 == "" {
				t.Errorf("Parse: %q %q, Load: %q", doc.ID, doc.Text, loaded[tt.name])
			}
		})
	}
}

func TestHidden(t *testing.T) {
	for name, want := range map[string]bool{".git": true, ".env.txt": true, ".": true, "..": true, "a.txt": false, "a.b": false, "": false} {
		if got := Hidden(name); got != want {
			t.Errorf("Hidden(%q) = %v, want %v", name, got, want)
		}
	}
}
