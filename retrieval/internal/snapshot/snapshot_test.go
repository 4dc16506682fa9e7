package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"citebot/internal/testdocs"
	wire "citebot/retrieval/internal/wire"
)

func TestCompactionPlan(t *testing.T) {
	docs := func(segBytes ...any) []wire.RootDoc { // pairs of segment name, live bytes
		var out []wire.RootDoc
		for i := 0; i < len(segBytes); i += 2 {
			out = append(out, wire.RootDoc{ID: fmt.Sprint(i), Segment: segBytes[i].(string), Bytes: segBytes[i+1].(int)})
		}
		return out
	}
	known := func(sizes map[string]int64) map[string]wire.SegmentRef {
		out := map[string]wire.SegmentRef{}
		for name, n := range sizes {
			out[name] = wire.SegmentRef{Name: name, TextBytes: n, Size: 2 * n}
		}
		return out
	}
	many := map[string]int64{}
	var manyDocs []any
	for i := range maxSegments {
		name := fmt.Sprintf("s%02d", i)
		many[name] = int64(100 + i)
		manyDocs = append(manyDocs, name, 100+i)
	}
	var smallest []string
	for i := range maxSegments + 1 - maxSegments/2 {
		smallest = append(smallest, fmt.Sprintf("s%02d", i))
	}
	tests := []struct {
		name  string
		docs  []wire.RootDoc
		known map[string]wire.SegmentRef
		want  []string
	}{
		{"nothing saved", docs("", 10, "", 20), nil, nil},
		{"a little dead", docs("a", 80, "b", 10), known(map[string]int64{"a": 100, "b": 10}), nil},
		{"30% dead", docs("a", 70, "", 10), known(map[string]int64{"a": 100}), nil},
		{"over 30% dead", docs("a", 60, "b", 10), known(map[string]int64{"a": 100, "b": 10}), []string{"a", "b"}},
		{"unlisted segments do not count", docs("a", 100), known(map[string]int64{"a": 100, "gone": 1000}), nil},
		{"one short of too many", docs(manyDocs[:2*(maxSegments-1)]...), known(many), nil},
		{"too many", docs(manyDocs...), known(many), smallest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(compaction(tt.docs, tt.known)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("compaction = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitParts(t *testing.T) {
	const mb = 1 << 20
	sizes := func(n, each int) []wire.RootDoc {
		out := make([]wire.RootDoc, n)
		for i := range out {
			out[i].Bytes = each
		}
		return out
	}
	tests := []struct {
		name      string
		docs      []wire.RootDoc
		wantParts int
	}{
		{"none", nil, 0},
		{"one small", sizes(1, 100), 1},
		{"one huge", sizes(1, 100*mb), 1},
		{"just under one part", sizes(8, mb), 1},
		{"40 MB", sizes(40, mb), 5},
		{"100 MB in small documents", sizes(10000, 10000), 12},
		{"a corpus of more than maxSegments/2 parts", sizes(300, mb), maxSegments / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pending := make([]int, len(tt.docs))
			for i := range pending {
				pending[i] = i
			}
			parts := splitParts(tt.docs, pending)
			if len(parts) != tt.wantParts {
				t.Fatalf("%d parts, want %d", len(parts), tt.wantParts)
			}
			var all []int
			var lo, hi int
			for i, p := range parts {
				var n int
				for _, d := range p {
					n += tt.docs[d].Bytes
				}
				if i == 0 || n < lo {
					lo = n
				}
				hi = max(hi, n)
				all = append(all, p...)
			}
			if !slices.Equal(all, pending) && len(pending) > 0 {
				t.Errorf("parts %v do not cover the documents in order", parts)
			}
			if len(parts) > 1 && hi-lo > hi/10 {
				t.Errorf("parts of %d to %d bytes, want them about even", lo, hi)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	old := []byte("the previous snapshot\n")
	errDiskFull := errors.New("disk full")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the target path
		write   func(w io.Writer) error
		wantErr bool
	}{
		{
			name:  "replaces",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "f") },
			write: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
		},
		{
			name:    "write fails after 3 MB",
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "f") },
			write:   func(w io.Writer) error { w.Write(make([]byte, 3<<20)); return errDiskFull },
			wantErr: true,
		},
		{
			name: "target is a folder",
			setup: func(t *testing.T, dir string) string {
				testdocs.WriteTree(t, dir, map[string]string{"f/keep": "x"})
				return filepath.Join(dir, "f")
			},
			write:   func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			wantErr: true,
		},
		{
			name:    "folder missing",
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "missing", "f") },
			write:   func(w io.Writer) error { return nil },
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testdocs.WriteTree(t, dir, map[string]string{"other": string(old)})
			path := tt.setup(t, dir)
			if err := os.WriteFile(path, old, 0o644); err != nil && !tt.wantErr {
				t.Fatal(err)
			}
			before := testdocs.Names(t, dir)
			err := writeAtomic(path, tt.write)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("writeAtomic error = %v, want error: %v", err, tt.wantErr)
			}
			if got := testdocs.Names(t, dir); !slices.Equal(got, before) {
				t.Errorf("folder holds %q after writeAtomic, want %q (no temporary files)", got, before)
			}
			if tt.wantErr {
				if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
					if got := testdocs.ReadFile(t, path); !bytes.Equal(got, old) {
						t.Errorf("failed write changed the file to %q, want %q", got, old)
					}
				}
				return
			}
			if got, want := string(testdocs.ReadFile(t, path)), "new"; got != want {
				t.Errorf("file holds %q, want %q", got, want)
			}
		})
	}
}

// ReadRootKnown hands back the root the caller knows while the folder
// holds it, and reads the folder's own once another replaced it.
func TestReadRootKnown(t *testing.T) {
	dir := t.TempDir()
	first := &wire.Root{Docs: []wire.RootDoc{{ID: "a.txt", Segment: "seg-0000000000000001.snap"}}}
	sum, err := WriteRoot(dir, first)
	if err != nil {
		t.Fatal(err)
	}
	known, knownSum, _, err := ReadRoot(dir)
	if err != nil || knownSum != sum {
		t.Fatalf("ReadRoot = %s, %v; wrote %s", knownSum, err, sum)
	}
	for _, tt := range []struct {
		name      string
		known     *wire.Root
		knownSum  string
		wantKnown bool
	}{
		{"the root in the folder", known, knownSum, true},
		{"another root", known, "00" + knownSum[2:], false},
		{"none known", nil, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, gotSum, _, err := ReadRootKnown(dir, tt.known, tt.knownSum)
			if err != nil || gotSum != sum {
				t.Fatalf("ReadRootKnown = %s, %v; want %s", gotSum, err, sum)
			}
			if (got == known) != tt.wantKnown || got.Docs[0].ID != "a.txt" {
				t.Errorf("got the known root: %v, want %v (docs %v)", got == known, tt.wantKnown, got.Docs)
			}
		})
	}
	second := &wire.Root{Docs: []wire.RootDoc{{ID: "b.txt", Segment: "seg-0000000000000002.snap"}}}
	if _, err := WriteRoot(dir, second); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := ReadRootKnown(dir, known, knownSum)
	if err != nil || got == known || got.Docs[0].ID != "b.txt" {
		t.Errorf("after another save: %v, %v; want the new root", got, err)
	}
}
