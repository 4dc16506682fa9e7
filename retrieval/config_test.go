package retrieval

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"citebot/chunking"
	"citebot/document"
	"citebot/internal/testdocs"
)

func TestConfigValidate(t *testing.T) {
	def, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(c *Config)) Config {
		c := def
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		c    Config
		want string // "" for valid
	}{
		{"defaults", def, ""},
		{"rrf", with(func(c *Config) { c.Fusion.Method = FusionRRF }), ""},
		// The chunker's ceiling is the passage limit that search keeps to.
		{"passage-sized chunks", with(func(c *Config) { c.Chunk.MaxBytes = document.MaxPassageBytes }), ""},
		{"chunks beyond a passage", with(func(c *Config) { c.Chunk.MaxBytes = document.MaxPassageBytes + 1 }),
			"chunk.max_bytes must be between 200 and 3000, got 3001"},
		{"bm25", with(func(c *Config) { c.BM25.K1 = -1 }), "bm25.k1 must be ≥ 0, got -1"},
		{"fusion", with(func(c *Config) { c.Fusion.Method = "linear" }), `fusion.method must be weighted or rrf, got "linear"`},
		{"chunking first", with(func(c *Config) { c.Chunk = chunking.Options{}; c.BM25.B = 2; c.Fusion.Candidates = 0 }),
			"chunk.max_bytes must be between 200 and 3000, got 0"},
		{"bm25 before fusion", with(func(c *Config) { c.BM25.B = 2; c.Fusion.Candidates = 0 }), "bm25.b must be within [0, 1], got 2"},
		{"zero value", Config{}, "chunk.max_bytes must be between 200 and 3000, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("Validate() = %q, want %q", err, tt.want)
			}
		})
	}
}

// A library caller cannot pass what the CLI refuses: every store refuses
// to build or open an index with such settings, naming the setting.
func TestStoresValidateConfig(t *testing.T) {
	cfg := benchConfig(t)
	cfg.Fusion.Method = "max"
	ctx := context.Background()
	docs := smallCorpus()
	var loaded []document.Document
	for id, text := range docs {
		loaded = append(loaded, document.Document{ID: id, Title: id, Text: text, SHA256: testdocs.SHA256Hex(text)})
	}
	docsDir := t.TempDir()
	testdocs.WriteTree(t, docsDir, docs)
	for name, st := range map[string]Store{"folder": NewFolderStore(t.TempDir(), cfg), "memory": NewMemoryStore(cfg)} {
		if _, err := st.Update(ctx, nil, FromDocuments(loaded, nil)); err == nil || !strings.Contains(err.Error(), "fusion.method") {
			t.Errorf("%s store: Update = %v, want an error naming fusion.method", name, err)
		}
		if _, err := st.Refresh(ctx, FromFolder(docsDir, 0)); err == nil || !strings.Contains(err.Error(), "fusion.method") {
			t.Errorf("%s store: Refresh = %v, want an error naming fusion.method", name, err)
		}
	}
	if _, err := openDir(ctx, t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), "fusion.method") {
		t.Errorf("openDir = %v, want an error naming fusion.method", err)
	}
}

func TestSummaryBrief(t *testing.T) {
	var skipped []document.Skipped
	for i := range 30 {
		reason := "unsupported file type (indexed: .txt)"
		if i%3 == 0 {
			reason = fmt.Sprintf("too large: %d bytes, the limit is 10", 100+i)
		}
		skipped = append(skipped, document.Skipped{Document: fmt.Sprintf("f%02d.bin", i), Reason: reason})
	}
	s := Summary{Added: 1, Skipped: skipped}
	b := s.Brief(20)
	if len(b.Skipped) != 20 || b.SkippedTotal != 30 || b.SkippedByReason["too large"] != 10 || b.SkippedByReason["unsupported file type"] != 20 {
		t.Errorf("Brief(20) = %d listed, total %d, by reason %v", len(b.Skipped), b.SkippedTotal, b.SkippedByReason)
	}
	if len(s.Skipped) != 30 {
		t.Error("Brief changed the summary it was called on")
	}
	if few := (Summary{Skipped: skipped[:3]}).Brief(20); len(few.Skipped) != 3 || few.SkippedTotal != 0 || few.SkippedByReason != nil {
		t.Errorf("a short list is kept as it is: %+v", few)
	}
}
