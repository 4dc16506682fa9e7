package document

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestIDFromPath(t *testing.T) {
	tests := []struct{ path, id string }{
		{"notes/a.txt", "notes/a.txt"},
		{"русский/файл.md", "русский/файл.md"},
		{"bad\xff\xfe.txt", "bad\uf7ff\uf7fe.txt"},
		{"cp1251/\xcf\xf0\xe8\xe2\xe5\xf2.txt", "cp1251/\uf7cf\uf7f0\uf7e8\uf7e2\uf7e5\uf7f2.txt"},
		{"mixed é\x80.txt", "mixed é\uf780.txt"},
	}
	for _, tt := range tests {
		id := IDFromPath(tt.path)
		if id != tt.id {
			t.Errorf("IDFromPath(%q) = %q, want %q", tt.path, id, tt.id)
		}
		if !utf8.ValidString(id) {
			t.Errorf("IDFromPath(%q) = %q is not UTF-8", tt.path, id)
		}
		js, _ := json.Marshal(id)
		var back string
		json.Unmarshal(js, &back)
		if PathFromID(back) != tt.path {
			t.Errorf("%q did not round-trip through JSON: %q", tt.path, PathFromID(back))
		}
	}
}

func FuzzIDFromPath(f *testing.F) {
	for _, s := range []string{"a.txt", "bad\xff.txt", "é", "\xc3", "\uf780"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ReservedInPath(p) {
			return // the loader skips such names
		}
		id := IDFromPath(p)
		if !utf8.ValidString(id) {
			t.Fatalf("IDFromPath(%q) = %q is not UTF-8", p, id)
		}
		if back := PathFromID(id); back != p {
			t.Fatalf("PathFromID(IDFromPath(%q)) = %q", p, back)
		}
	})
}
