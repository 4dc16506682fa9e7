package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestGenerate(t *testing.T) {
	real := []string{"When was the SCO founded?", "What is the Union State?", "Who signed the treaty?"}
	words := []string{"security", "treaty", "council"}
	pairs := []string{"information security", "member states"}
	for _, n := range []int{1, 3, 50, 5000} {
		qs := generate(rand.New(rand.NewPCG(1, 17)), real, words, pairs, n)
		if len(qs) != n {
			t.Fatalf("n %d: %d questions", n, len(qs))
		}
		seen := map[string]bool{}
		for _, q := range qs {
			if seen[q] {
				t.Fatalf("n %d: %q twice", n, q)
			}
			seen[q] = true
		}
		if n >= len(real) {
			for _, q := range real {
				if !seen[q] {
					t.Errorf("n %d: the real question %q is missing", n, q)
				}
			}
		}
	}
	// More questions than the templates can make: as many as there are,
	// still each once, rather than a loop forever.
	qs := generate(rand.New(rand.NewPCG(1, 17)), nil, []string{"x"}, nil, 100000)
	if len(qs) == 0 || len(qs) >= 100000 {
		t.Errorf("one word: %d questions", len(qs))
	}
	slices.Sort(qs)
	if len(slices.Compact(qs)) != len(qs) {
		t.Error("one word: a question twice")
	}
}

func TestLowerFirst(t *testing.T) {
	tests := []struct{ q, lead, want string }{
		{"When was it?", "", "When was it?"},
		{"When was it?", "Tell me, ", "when was it?"},
		{"SCO members?", "Tell me, ", "SCO members?"},
		{"Belarus and Russia?", "Tell me, ", "Belarus and Russia?"},
		{"Какой год?", "Tell me, ", "Какой год?"},
		{"", "Tell me, ", ""},
	}
	for _, tt := range tests {
		if got := lowerFirst(tt.q, tt.lead); got != tt.want {
			t.Errorf("lowerFirst(%q, %q) = %q, want %q", tt.q, tt.lead, got, tt.want)
		}
	}
}

func TestVocabulary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("The Information Security of the states; information security council."), 0o644); err != nil {
		t.Fatal(err)
	}
	words, pairs, err := vocabulary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"information", "security", "states", "council"}; !slices.Equal(words, want) {
		t.Errorf("words %q, want %q", words, want)
	}
	if want := []string{"information security", "states information", "security council"}; !slices.Equal(pairs, want) {
		t.Errorf("pairs %q, want %q", pairs, want)
	}
	if _, _, err := vocabulary(t.TempDir()); err == nil {
		t.Error("a folder without documents: no error")
	}
}

func TestReadQuestions(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.jsonl")
	lines := filepath.Join(dir, "q.txt")
	os.WriteFile(set, []byte(`{"question": "One?", "answerable": true}`+"\n\n"+`{"question": "Two?"}`+"\n"), 0o644)
	os.WriteFile(lines, []byte("Three?\nOne?\n"), 0o644)
	got, err := readQuestions(set, lines)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"One?", "Two?", "Three?"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := readQuestions(filepath.Join(dir, "missing.jsonl"), ""); err == nil {
		t.Error("a missing set: no error")
	}
	os.WriteFile(set, []byte("not json\n"), 0o644)
	if _, err := readQuestions(set, ""); err == nil {
		t.Error("a set that is not JSON lines: no error")
	}
}
