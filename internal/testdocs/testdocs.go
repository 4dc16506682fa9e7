// Package testdocs gives tests across packages the same documents: the
// seeds shipped with citebot, folders written from a map, hard-wrapped
// copies of a text, a synthetic corpus of any size, and the file reads a
// test fails on. Only tests and benchmark programs import it.
package testdocs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"citebot/document"
)

// seedsDir is the seeds folder of the module holding the working
// directory, which a test runs in its own package's folder.
func seedsDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "seeds")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Seeds reads the corpus shipped with the bot.
func Seeds(t testing.TB) []document.Document {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(seedsDir(t), "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds in ../seeds: %v", err)
	}
	var docs []document.Document
	for _, f := range files {
		docs = append(docs, document.Document{ID: filepath.Base(f), Text: Seed(t, filepath.Base(f))})
	}
	return docs
}

// Seed reads one file of the seeds.
func Seed(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(seedsDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Fold hard-wraps text the way a plain-text editor does: every line longer
// than width runes is broken at the last space that leaves at most width
// runes before it (or, for a longer word, at the first space after it). It
// only replaces ' ' with '\n', so every byte offset of text stays valid in
// the folded copy.
func Fold(text string, width int) string {
	b := []byte(text)
	for ls := 0; ls < len(b); {
		le := bytes.IndexByte(b[ls:], '\n')
		if le < 0 {
			le = len(b)
		} else {
			le += ls
		}
		for s := ls; utf8.RuneCount(b[s:le]) > width; {
			cut, col := -1, 0
			for p := s; p < le; col++ {
				if b[p] == ' ' && p > s {
					if col > width && cut >= 0 {
						break
					}
					cut = p
					if col > width {
						break
					}
				}
				_, n := utf8.DecodeRune(b[p:le])
				p += n
			}
			if cut < 0 {
				break
			}
			b[cut] = '\n'
			s = cut + 1
		}
		ls = le + 1
	}
	return string(b)
}

// WriteTree writes files (relative path with / separators -> content)
// under dir, creating folders as needed.
func WriteTree(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// SHA256Hex is the hex sha256 of s, as documents record it.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ReadFile reads the file at path or fails the test.
func ReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Names lists the names in dir, sorted, or fails the test.
func Names(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// ReadTree maps every file under dir, hidden ones included, to its
// content, by its slash-separated path relative to dir: WriteTree read
// back.
func ReadTree(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
