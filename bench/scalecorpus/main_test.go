package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadSentences(t *testing.T) {
	tests := []struct {
		name, corpus string
		want         []string
	}{
		{name: "split at a stop before a capital or digit",
			corpus: `{"_id": "1", "text": "Cells were counted twice. Results   varied by 12%! 95 patients improved? Yes."}` + "\n",
			want:   []string{"Cells were counted twice.", "Results varied by 12%!", "95 patients improved?"}},
		{name: "no split inside a name or before lower case",
			corpus: `{"_id": "1", "text": "Smith et al. showed that IL-15 e.g. binds. Then nothing more happened here."}` + "\n",
			want:   []string{"Smith et al. showed that IL-15 e.g. binds.", "Then nothing more happened here."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "corpus.jsonl")
			if err := os.WriteFile(path, []byte(tt.corpus), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readSentences(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	for name, corpus := range map[string]string{"not JSON": "nope\n", "no sentences": `{"text": "short"}` + "\n"} {
		path := filepath.Join(t.TempDir(), "corpus.jsonl")
		os.WriteFile(path, []byte(corpus), 0o644)
		if _, err := readSentences(path); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
