package loader

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/loader/extract"
)

func TestLoad(t *testing.T) {
	const limit = 200
	good := map[string]string{
		"a.txt":                  "Alpha document.\nIts second line.\n",
		"exactly-limit.txt":      strings.Repeat("x", limit-1) + "\n",
		"sub/b.md":               "# Bravo heading\n\nBody text of bravo.\n",
		"sub/deeper/C.TXT":       "Upper-case extension is still text.",
		"sub/deeper/notes.Md":    "Mixed-case Markdown extension.",
		"bom-crlf.txt":           "\xEF\xBB\xBFFirst line with a BOM\r\nsecond line\r\n",
		"unicode/русский.txt":    "Союзное государство России и Беларуси.\n",
		"spaces in name/d e.txt": "A file whose path has spaces.",
	}
	bad := map[string]string{
		"binary.txt":      "PK\x03\x04 text \x00\x00\x01 more",
		"empty.txt":       "",
		"blank.md":        " \n\t\r\n  \n",
		"bom-only.txt":    "\xEF\xBB\xBF\r\n",
		"big.txt":         strings.Repeat("y", limit) + "\n",
		"image.png":       "\x89PNG\r\n\x1a\n",
		"report.docx":     "PK\x03\x04",
		"noext":           "plain text without an extension",
		"sub/archive.pdf": "%PDF-1.7",
	}
	ignored := map[string]string{
		".hidden.txt":             "hidden file",
		".git/HEAD.txt":           "hidden folder",
		"sub/.cache/x.md":         "hidden folder below the top",
		"sub/.cache/deep/y.txt":   "deeper in a hidden folder",
		".hidden-dir/z.png":       "unsupported, but hidden",
		"sub/deeper/.swap.md.txt": "hidden file below the top",
	}
	wantReasons := map[string]string{
		"binary.txt":      "binary",
		"empty.txt":       "empty",
		"blank.md":        "empty",
		"bom-only.txt":    "empty",
		"big.txt":         "too large",
		"image.png":       "unsupported file type",
		"report.docx":     "cannot read DOCX: not a DOCX file",
		"noext":           "unsupported file type",
		"sub/archive.pdf": "cannot read PDF: broken PDF",
		"dangling.txt":    "not a regular file",
	}

	dir := t.TempDir()
	testdocs.WriteTree(t, dir, good)
	testdocs.WriteTree(t, dir, map[string]string{"latin1.txt": "caf\xe9 cr\xe8me br\xfbl\xe9e"})
	testdocs.WriteTree(t, dir, bad)
	testdocs.WriteTree(t, dir, ignored)
	if err := os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing.txt"), filepath.Join(dir, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	// A symlink to a regular file is read through; holding a.txt's bytes,
	// it is a duplicate: indexed once, as a.txt's alias.

	docs, skipped, err := Load(dir, limit, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	var gotIDs []string
	for _, d := range docs {
		gotIDs = append(gotIDs, d.ID)
		if want := []string(nil); d.ID == "a.txt" && !reflect.DeepEqual(d.Aliases, []string{"link.txt"}) || d.ID != "a.txt" && !reflect.DeepEqual(d.Aliases, want) {
			t.Errorf("%s: aliases %q", d.ID, d.Aliases)
		}
	}
	wantIDs := []string{"a.txt", "bom-crlf.txt", "exactly-limit.txt", "latin1.txt", "spaces in name/d e.txt",
		"sub/b.md", "sub/deeper/C.TXT", "sub/deeper/notes.Md", "unicode/русский.txt"}
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Errorf("document IDs:\n got %q\nwant %q", gotIDs, wantIDs)
	}
	for _, d := range docs {
		if d.ID == "latin1.txt" {
			// Text in another encoding is converted: the document is
			// the converted text.
			if d.Text != "café crème brûlée" {
				t.Errorf("latin1.txt: Text = %q, want the Latin-1 bytes read as text", d.Text)
			}
			continue
		}
		want, ok := good[d.ID]
		if !ok {
			continue
		}
		if d.Text != want {
			t.Errorf("%s: Text = %q, want the file's bytes %q", d.ID, d.Text, want)
		}
		if got, want := d.SHA256, testdocs.SHA256Hex(want); got != want {
			t.Errorf("%s: SHA256 = %s, want %s", d.ID, got, want)
		}
		if got, want := d.Title, d.ID; got != want {
			t.Errorf("%s: Title without a title func = %q, want the ID %q", d.ID, got, want)
		}
		if strings.Contains(d.ID, `\`) {
			t.Errorf("%s: ID has a backslash, want / separators", d.ID)
		}
	}

	gotReasons := make(map[string]string)
	for _, s := range skipped {
		gotReasons[s.Document] = s.Reason
		if _, ok := wantReasons[s.Document]; !ok {
			t.Errorf("skipped %q (%s), want it indexed or ignored", s.Document, s.Reason)
		}
	}
	for doc, want := range wantReasons {
		got, ok := gotReasons[doc]
		if !ok {
			t.Errorf("%s was not reported as skipped, want reason containing %q", doc, want)
			continue
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s: reason %q, want it to contain %q", doc, got, want)
		}
	}
	for i := 1; i < len(skipped); i++ {
		if skipped[i-1].Document >= skipped[i].Document {
			t.Errorf("skipped not sorted: %q before %q", skipped[i-1].Document, skipped[i].Document)
		}
	}
}

func TestLoadTitle(t *testing.T) {
	dir := t.TempDir()
	testdocs.WriteTree(t, dir, map[string]string{
		"titled.md":   "# The Real Title\n\nBody.\n",
		"untitled.md": "body only",
	})
	docs, _, err := Load(dir, 0, func(text string) string {
		if strings.HasPrefix(text, "# ") {
			return strings.TrimSpace(strings.SplitN(text[2:], "\n", 2)[0])
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range docs {
		got[d.ID] = d.Title
	}
	want := map[string]string{"titled.md": "The Real Title", "untitled.md": "untitled.md"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("titles: got %q, want %q", got, want)
	}
}

func TestLoadUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root from reading")
	}
	dir := t.TempDir()
	testdocs.WriteTree(t, dir, map[string]string{
		"ok.txt":           "Readable text.",
		"secret.txt":       "Unreadable text.",
		"locked/inner.txt": "Inside an unreadable folder.",
	})
	for _, p := range []string{"secret.txt", "locked"} {
		path := filepath.Join(dir, p)
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(path, 0o755) }) // so that TempDir can remove it
	}
	docs, skipped, err := Load(dir, 0, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(docs) != 1 || docs[0].ID != "ok.txt" {
		t.Errorf("docs = %v, want only ok.txt", docs)
	}
	want := []document.Skipped{
		{Document: "locked", Reason: "unreadable: permission denied"},
		{Document: "secret.txt", Reason: "unreadable: permission denied"},
	}
	if !reflect.DeepEqual(skipped, want) {
		t.Errorf("skipped:\n got %+v\nwant %+v", skipped, want)
	}
}

func TestLoadErrors(t *testing.T) {
	base := t.TempDir()
	testdocs.WriteTree(t, base, map[string]string{
		"onlybad/x.png":      "png",
		"onlybad/empty.txt":  "",
		"onlyhidden/.a.txt":  "hidden",
		"onlyhidden/.b/c.md": "hidden",
		"file.txt":           "a file, not a folder",
	})
	if err := os.Mkdir(filepath.Join(base, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		dir         string
		wantIs      error
		wantSkipped int
	}{
		{"missing", filepath.Join(base, "nope"), os.ErrNotExist, 0},
		{"empty", filepath.Join(base, "empty"), ErrNoDocuments, 0},
		{"only skipped files", filepath.Join(base, "onlybad"), ErrNoDocuments, 2},
		{"only hidden files", filepath.Join(base, "onlyhidden"), ErrNoDocuments, 0},
		{"a file", filepath.Join(base, "file.txt"), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, skipped, err := Load(tt.dir, 0, nil)
			if err == nil {
				t.Fatalf("Load(%s) = %d docs, nil error; want an error", tt.dir, len(docs))
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Load error = %v, want one wrapping %v", err, tt.wantIs)
			}
			if docs != nil {
				t.Errorf("docs = %v, want nil with an error", docs)
			}
			if got := len(skipped); got != tt.wantSkipped {
				t.Errorf("len(skipped) = %d, want %d (%v)", got, tt.wantSkipped, skipped)
			}
		})
	}
}

func TestTextProblem(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"plain", "hello", ""},
		{"BOM and CRLF", "\xEF\xBB\xBFhello\r\nworld\r\n", ""},
		{"Cyrillic", "привет", ""},
		{"empty", "", "empty"},
		{"whitespace", " \t\r\n\v\f", "empty"},
		{"no-break spaces", "\u00a0\u2003\n", "empty"},
		{"BOM only", "\xEF\xBB\xBF", "empty"},
		{"Latin-1", "na\xefve", "not valid UTF-8 text"},
		{"truncated rune", "abc\xd0", "not valid UTF-8 text"},
		{"NUL", "abc\x00def", "binary (contains NUL bytes)"},
		{"UTF-16LE", "h\x00i\x00", "binary (contains NUL bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textProblem([]byte(tt.data)); got != tt.want {
				t.Errorf("textProblem(%q) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}

func FuzzLoadText(f *testing.F) {
	for _, s := range []string{"", "hello\n", "\xEF\xBB\xBF", "\xEF\xBB\xBFx\r\n", "caf\xe9", "a\x00b",
		" \n\t", "\u00a0", "привет", "\xEF\xBB\xBF\xEF\xBB\xBF", strings.Repeat("z", 300)} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	const limit = 256
	f.Fuzz(func(t *testing.T, data []byte) {
		text, _ := extract.DecodeText(data)
		reason := textProblem(text)
		path := filepath.Join(dir, "doc.txt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		doc, got := readDocument(path, "doc.txt", limit, nil, nil)
		switch {
		case len(data) > limit:
			if !strings.HasPrefix(got, "too large") {
				t.Fatalf("%d bytes over a %d limit: reason %q, want too large", len(data), limit, got)
			}
		case got != reason:
			t.Fatalf("readDocument reason %q, textProblem %q: want the same", got, reason)
		}
		if got != "" {
			if !reflect.DeepEqual(doc, document.Document{}) {
				t.Fatalf("rejected (%s) but returned a document %+v", got, doc)
			}
			return
		}
		if !utf8.ValidString(doc.Text) {
			t.Fatalf("accepted invalid UTF-8 %q", doc.Text)
		}
		if strings.TrimSpace(strings.TrimPrefix(doc.Text, "\uFEFF")) == "" {
			t.Fatalf("accepted an empty document %q", doc.Text)
		}
		if strings.IndexByte(doc.Text, 0) >= 0 {
			t.Fatalf("accepted NUL bytes %q", doc.Text)
		}
		// The text is the file's bytes, or for another encoding than
		// UTF-8 their conversion; the hash is always the file's.
		if doc.Text != string(text) {
			t.Fatalf("Text = %q, want %q", doc.Text, text)
		}
		if got, want := doc.SHA256, testdocs.SHA256Hex(string(data)); got != want {
			t.Fatalf("SHA256 = %s, want %s", got, want)
		}
	})
}

func TestLoadSymlinkedFolder(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	testdocs.WriteTree(t, real, map[string]string{"a.txt": "Alpha.", "sub/b.md": "Bravo."})
	link := filepath.Join(base, "docs")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	want, _, err := Load(real, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{link, link + string(filepath.Separator)} {
		got, skipped, err := Load(dir, 0, nil)
		if err != nil {
			t.Fatalf("Load(%s): %v", dir, err)
		}
		if !reflect.DeepEqual(got, want) || len(skipped) != 0 {
			t.Errorf("Load(%s) = %+v, skipped %+v; want %+v as for the folder itself", dir, got, skipped, want)
		}
	}
}

// A symbolic link inside the folder to a file outside it is not followed
// (it would publish that file); one to a file inside is.
func TestLoadSymlinkOutside(t *testing.T) {
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	testdocs.WriteTree(t, docs, map[string]string{"a.txt": "Notes\n\nThe harbour of Vardø froze in 1966.\n", "sub/b.md": "# B\n\nThe treaty was signed in 1921.\n"})
	secret := filepath.Join(root, "secret.txt")
	if err := os.WriteFile(secret, []byte("Secret\n\nTOP SECRET PASSWORD hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"outside.txt":     secret,
		"sub/relative.md": "../../secret.txt",
		"inside.txt":      filepath.Join(docs, "a.txt"),
		"sub/up.txt":      "../a.txt",
	} {
		if err := os.Symlink(target, filepath.Join(docs, link)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	got, skipped, err := Load(docs, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, d := range got {
		ids[d.ID] = true
		if strings.Contains(d.Text, "hunter2") {
			t.Errorf("%s publishes the file outside the folder", d.ID)
		}
	}
	for _, d := range got {
		if d.ID == "a.txt" && !reflect.DeepEqual(d.Aliases, []string{"inside.txt", "sub/up.txt"}) {
			t.Errorf("a.txt's aliases %q: links inside the folder are followed (and, same bytes, folded)", d.Aliases)
		}
	}
	for _, want := range []string{"a.txt", "sub/b.md"} {
		if !ids[want] {
			t.Errorf("%s not loaded", want)
		}
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Document] = s.Reason
	}
	for _, link := range []string{"outside.txt", "sub/relative.md"} {
		if !strings.Contains(reasons[link], "outside the documents folder") {
			t.Errorf("%s: skipped with %q, want the reason that it leads outside", link, reasons[link])
		}
	}
}

// A limit of 0 or less is the default, and one beyond what 32-bit offsets
// hold is taken as the largest they do.
func TestFileLimit(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{
		{0, DefaultMaxFileBytes}, {-5, DefaultMaxFileBytes}, {1, 1}, {MaxFileBytes, MaxFileBytes}, {1 << 40, MaxFileBytes},
	} {
		if got := fileLimit(tc.in); got != tc.want {
			t.Errorf("fileLimit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
