package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"citebot/chunking"
	"citebot/document"
	"citebot/internal/testdocs"
	"citebot/loader"
	"citebot/loader/extract/extracttest"
)

// formatPages is a three-page report whose facts sit on known pages.
var formatPages = [][]string{
	{"Annual Report on Lighthouse Maintenance", "Prepared by the Coastal Survey Office."},
	{"Section Two: Lamps", "The Greyhaven lighthouse lamp was replaced in March 2019.", "Its beam reaches 22 nautical miles."},
	{"Section Three: Staff", "The keeper of the Saltmarsh lighthouse is Ingrid Tollefsen.", "She has served since 2011."},
}

// writeFormatCorpus writes one document of every format, with facts in
// known places, plus broken and hostile files, and returns the folder.
func writeFormatCorpus(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	truncated := extracttest.PDF(formatPages...)
	files := map[string][]byte{
		"report.pdf": extracttest.PDF(formatPages...),
		"guide.docx": extracttest.DOCX(
			extracttest.Para{Style: "Title", Text: "Orchard Keeping Guide"},
			extracttest.Para{Style: "Heading1", Text: "Pruning"},
			extracttest.Para{Text: "Apple trees in the Verdant orchard are pruned every February."},
			extracttest.Para{Text: "Use sharp shears.", List: true},
		),
		"page.html": []byte(`<!doctype html><html><head><title>Harbour Ferry Timetable</title>
<script>var note = "The ferry password is zebra-quartz-17.";</script><style>p{color:red}</style></head>
<body><nav><a href="/">Home</a> The ferry office closes forever tomorrow.</nav>
<main><h1>Harbour Ferry</h1><p>The Northpoint ferry departs at 07:45 every weekday.</p></main>
<footer>Copyright the Harbour Board</footer></body></html>`),
		"notes.md":   []byte("# Beekeeping Notes\n\n## Hives\n\nThe Linden apiary keeps forty hives.\n\n## Honey\n\nHoney is harvested in late August.\n"),
		"broken.pdf": truncated[:len(truncated)/2],
		"locked.pdf": extracttest.EncryptedPDF("secret", formatPages...),
		"bomb.docx":  extracttest.ZipBombDOCX(1 << 30),
		"deep.html":  extracttest.NestedHTML(100000),
		"blob.bin":   {0x7f, 'E', 'L', 'F', 0, 1, 2},
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	// A 1 GB sparse file: stat says too large before a byte is read.
	f, err := os.Create(filepath.Join(dir, "huge.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return dir
}

func TestLoadFormats(t *testing.T) {
	dir := writeFormatCorpus(t)
	start := time.Now()
	docs, skipped, err := loader.Load(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("loading took %v: a hostile file is not bounded", took)
	}
	var ids []string
	byID := map[string]document.Document{}
	for _, d := range docs {
		ids = append(ids, d.ID)
		byID[d.ID] = d
	}
	if want := []string{"deep.html", "guide.docx", "notes.md", "page.html", "report.pdf"}; !slices.Equal(ids, want) {
		t.Errorf("indexed %v, want %v", ids, want)
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Document] = s.Reason
	}
	for name, want := range map[string]string{
		"broken.pdf": "cannot read PDF",
		"locked.pdf": "encrypted PDF",
		"bomb.docx":  "too large",
		"blob.bin":   "unsupported file type",
		"huge.txt":   "too large",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: skipped with %q, want a reason containing %q", name, reasons[name], want)
		}
	}

	pdf := byID["report.pdf"]
	if len(pdf.Pages) != 3 || pdf.Pages[0] != 0 {
		t.Fatalf("report.pdf pages = %v, want 3 starting at 0", pdf.Pages)
	}
	for i, page := range formatPages {
		if !strings.HasPrefix(pdf.Text[pdf.Pages[i]:], page[0]) {
			t.Errorf("page %d starts %q, want %q", i+1, head(pdf.Text[pdf.Pages[i]:]), page[0])
		}
	}
	html := byID["page.html"]
	if html.Title != "Harbour Ferry Timetable" {
		t.Errorf("page.html title = %q, want the <title>", html.Title)
	}
	for _, chrome := range []string{"zebra-quartz", "closes forever", "Copyright", "color:red"} {
		if strings.Contains(html.Text, chrome) {
			t.Errorf("page.html text holds chrome %q:\n%s", chrome, html.Text)
		}
	}
	if !strings.Contains(html.Text, "The Northpoint ferry departs at 07:45 every weekday.") {
		t.Errorf("page.html lost its content:\n%s", html.Text)
	}
	if got := byID["guide.docx"].Text; !strings.Contains(got, "# Pruning\n") || !strings.Contains(got, "- Use sharp shears.") {
		t.Errorf("guide.docx text:\n%s", got)
	}
	if byID["report.pdf"].SHA256 != sha256File(t, filepath.Join(dir, "report.pdf")) {
		t.Error("an extracted document's SHA256 is not its file's")
	}
}

func head(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func sha256File(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return testdocs.SHA256Hex(string(b))
}

func TestSearchFormats(t *testing.T) {
	dir := writeFormatCorpus(t)
	cfg := benchConfig(t)
	docs, skipped, err := loader.Load(dir, 0, func(text string) string { return chunking.Title(text, cfg.Chunk.Boilerplate) })
	if err != nil {
		t.Fatal(err)
	}
	built, _, err := build(context.Background(), docs, skipped, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The extracted text and its pages survive a save and a load.
	idxDir := t.TempDir()
	if err := saveIndex(built, idxDir); err != nil {
		t.Fatal(err)
	}
	ix, err := openDir(context.Background(), idxDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range allChunks(ix) {
		d := ix.byID[c.DocID]
		if got := d.Page(c.Start); c.Page != got || (len(d.Pages) > 0 && d.Page(c.End-1) != got) {
			t.Errorf("chunk %s %d-%d: Page %d, but it lies on pages %d-%d", c.DocID, c.Start, c.End, c.Page, got, d.Page(c.End-1))
		}
	}
	tests := []struct {
		q, doc, quote string
		page          int
	}{
		{"When was the Greyhaven lighthouse lamp replaced?", "report.pdf", "The Greyhaven lighthouse lamp was replaced in March 2019.", 2},
		{"Who keeps the Saltmarsh lighthouse?", "report.pdf", "The keeper of the Saltmarsh lighthouse is Ingrid Tollefsen.", 3},
		{"When are apple trees in the Verdant orchard pruned?", "guide.docx", "Apple trees in the Verdant orchard are pruned every February.", 0},
		{"When does the Northpoint ferry depart?", "page.html", "The Northpoint ferry departs at 07:45 every weekday.", 0},
		{"How many hives does the Linden apiary keep?", "notes.md", "The Linden apiary keeps forty hives.", 0},
	}
	for _, tt := range tests {
		ps, err := ix.Search(context.Background(), tt.q, 3)
		if err != nil {
			t.Fatal(err)
		}
		checkPassages(t, ix, tt.q, 3, ps)
		if len(ps) == 0 || ps[0].DocID != tt.doc || !strings.Contains(ps[0].Text, tt.quote) {
			t.Errorf("%q: top passage %+v, want %s holding %q", tt.q, ps, tt.doc, tt.quote)
			continue
		}
		off := ps[0].Start + strings.Index(ps[0].Text, tt.quote)
		if ps[0].Page != tt.page || ps[0].PageAt(off) != tt.page {
			t.Errorf("%q: page %d (at the quote %d), want %d", tt.q, ps[0].Page, ps[0].PageAt(off), tt.page)
		}
	}
	if got := ix.Sections("notes.md"); !slices.Contains(got, "Hives") || !slices.Contains(got, "Honey") {
		t.Errorf("notes.md sections = %q, want the Markdown headings", got)
	}
	if got := ix.Sections("guide.docx"); !slices.Contains(got, "Pruning") {
		t.Errorf("guide.docx sections = %q, want the DOCX heading", got)
	}
	ps, err := ix.Search(context.Background(), "What is the ferry password?", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if strings.Contains(p.Text, "zebra") {
			t.Errorf("a script's text was indexed: %q", p.Text)
		}
	}
}

func TestMarkdownSections(t *testing.T) {
	doc := document.Document{ID: "notes.md", Text: "Field Notes on Rivers\n=====================\n\nA study of rivers in the north of the region and their floods.\n\nSources\n-------\n\nThe Tana river floods every May according to the survey.\n\n## Fish\n\nSalmon return to the Tana in June.\n\n    ---\n"}
	chunks := chunking.Split(doc, chunking.Options{})
	sections := map[string]string{}
	for _, c := range chunks {
		if !c.Header { // the header chunk spans this short document whole
			sections[doc.Text[c.Start:c.End]] = c.Section
		}
	}
	for text, want := range map[string]string{
		"The Tana river floods every May according to the survey.": "Sources",
		"Salmon return to the Tana in June.":                       "Fish",
	} {
		found := false
		for span, sec := range sections {
			if strings.Contains(span, text) {
				found = true
				if sec != want {
					t.Errorf("%q is in section %q, want %q", text, sec, want)
				}
			}
		}
		if !found {
			t.Errorf("%q is in no chunk: %q", text, sections)
		}
	}
	for _, sec := range sections {
		if strings.ContainsAny(sec, "=-") {
			t.Errorf("a setext underline is part of a section name: %q", sec)
		}
	}
}

// An unchanged file's extracted text is taken from what the index knows;
// a changed one is extracted again.
func TestLoadKnown(t *testing.T) {
	dir := t.TempDir()
	data := extracttest.PDF(formatPages...)
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := testdocs.SHA256Hex(string(data))
	asked := 0
	known := func(id, sha string) (document.Document, bool) {
		asked++
		if id == "report.pdf" && sha == sum {
			return document.Document{ID: id, SHA256: sha, Title: "Known", Text: "known text\n", Pages: []int{0}}, true
		}
		return document.Document{}, false
	}
	docs, _, err := loader.LoadKnown(dir, 0, nil, known)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1 || docs[0].Text != "known text\n" || docs[0].Title != "Known" {
		t.Errorf("unchanged file: asked %d times, got %+v", asked, docs[0])
	}
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), extracttest.PDF(formatPages[1:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, _, err = loader.LoadKnown(dir, 0, nil, known)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(docs[0].Text, formatPages[1][0]) || len(docs[0].Pages) != 2 {
		t.Errorf("changed file not extracted again: %q %v", head(docs[0].Text), docs[0].Pages)
	}
}
