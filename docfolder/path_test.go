package docfolder

import (
	"errors"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/internal/testdocs"
	"citebot/loader"
)

func TestCheckPath(t *testing.T) {
	good := []string{
		"a.txt",
		"report.pdf",
		"sub/deeper/notes.md",
		"spaces in name/d e.txt",
		"русский/отчёт.docx",
		"日本語.html",
		"CONSOLE.txt",
		"COM10.txt",
		"LPT.txt",
		"nul-notes.txt",
		"a..b.txt",
		"-dash.txt",
		"emoji 📄.md",
		"no-extension", // the extension is Put's business
		strings.Repeat("a", 251) + ".txt",
	}
	for _, p := range good {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): %v, want nil", p, err)
		}
	}
	bad := map[string]string{
		"":                                "empty",
		"/etc/passwd.txt":                 "absolute",
		"../secret.txt":                   `".." part`,
		"a/../../b.txt":                   `".." part`,
		"./a.txt":                         `"." part`,
		"a//b.txt":                        "empty part",
		"sub/":                            "folder",
		".env.txt":                        "hidden",
		"sub/.git/x.md":                   "hidden",
		"a\x00.txt":                       "NUL",
		"a\n.txt":                         "line break",
		"a\r.txt":                         "line break",
		"a\t.txt":                         "control character",
		"a\x7f.txt":                       "control character",
		"a\u0085.txt":                     "control character",
		"\xff.txt":                        "UTF-8",
		"a\u202e.txt":                     "invisible",
		"a\u200b.txt":                     "invisible",
		"a\ufeff.txt":                     "invisible",
		`..\secret.txt`:                   "backslash",
		"C:/x.txt":                        `':'`,
		"a|b.txt":                         `'|'`,
		"a?.txt":                          `'?'`,
		"a*.txt":                          `'*'`,
		`a".txt`:                          `'"'`,
		"a<b>.txt":                        `'<'`,
		"notes.txt.":                      "dot",
		"notes.txt ":                      "space",
		"sub./a.txt":                      "dot",
		"CON":                             "device",
		"con.txt":                         "device",
		"Nul.tar.gz":                      "device",
		"aux .md":                         "device",
		"sub/prn.html":                    "device",
		"com1.txt":                        "device",
		"LPT9.pdf":                        "device",
		"com¹.txt":                        "device",
		"conin$.txt":                      "device",
		"CONOUT$.md":                      "device",
		"con/notes.txt.md":                "device",
		strings.Repeat("a", 252) + ".txt": "longer than 255",
		strings.Repeat("abcdefgh/", 120) + "x.txt": "longer than 1024",
	}
	for p, want := range bad {
		err := CheckPath(p)
		if !errors.Is(err, ErrBadPath) || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckPath(%q): %v, want ErrBadPath saying %q", p, err, want)
		}
	}
	// The names the HTTP tests send, decoded as the server decodes them.
	for _, p := range testdocs.BadNames {
		if name := testdocs.Unescaped(t, p); CheckPath(name) == nil {
			t.Errorf("CheckPath(%q) accepts it", name)
		}
	}
}

// FuzzCheckPath: a path CheckPath accepts stays in the folder, reads the
// same on every system, and, with a supported extension, is what the
// loader indexes a file written there as.
func FuzzCheckPath(f *testing.F) {
	docs := filepath.Join(f.TempDir(), "docs")
	for _, p := range testdocs.Traversals(f, docs, filepath.Join(filepath.Dir(docs), "secret.txt")) {
		f.Add(p)
		if u, err := url.PathUnescape(p); err == nil {
			f.Add(u)
		}
	}
	for _, p := range testdocs.BadNames {
		f.Add(p)
		if u, err := url.PathUnescape(p); err == nil {
			f.Add(u)
		}
	}
	for _, p := range []string{"a.txt", "sub/b.md", "x/y/z.pdf", "con.txt", "a b/c.html", "über.docx"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckPath(p) != nil {
			return
		}
		switch {
		case !utf8.ValidString(p):
			t.Fatalf("%q: invalid UTF-8 accepted", p)
		case !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p || path.IsAbs(p):
			t.Fatalf("%q: accepted, but not a clean local path", p)
		case strings.ContainsAny(p, "\x00\n\r\\:"):
			t.Fatalf("%q: accepted with a NUL, a line break, a backslash or a colon", p)
		}
		for name := range strings.SplitSeq(p, "/") {
			if loader.Hidden(name) || reservedName(name) {
				t.Fatalf("%q: accepted with the part %q", p, name)
			}
		}
		if !loader.Supported(p) {
			return
		}
		// Written where it says, the loader finds it under that name.
		dir := t.TempDir()
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		if d := path.Dir(p); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				t.Fatalf("%q: %v", p, err)
			}
		}
		if err := root.WriteFile(p, []byte("Some text to index.\n"), 0o644); err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		// Not a real PDF or DOCX: then skipped, but under its name.
		docs, skipped, _ := loader.Load(dir, 0, nil)
		var seen []string
		for _, d := range docs {
			seen = append(seen, d.ID)
		}
		for _, s := range skipped {
			seen = append(seen, s.Document)
		}
		if len(seen) != 1 || seen[0] != p {
			t.Fatalf("%q: the loader sees %q", p, seen)
		}
	})
}
