package chunking

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/analysis"
	"citebot/document"
	"citebot/internal/testdocs"
)

// The -update flag rewrites golden files. Other test files of this package
// may want the same flag, and registering a flag twice panics, so it is
// registered here only if no package-level variable did so first, and read
// through the flag set.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const goldenDir = "testdata/chunks"

// TestChunkGolden pins the chunks of the seeds. Their hash is recorded
// beside Version in version.golden, so a change of output without a
// version bump (which would leave old indexes silently stale) fails here.
func TestChunkGolden(t *testing.T) {
	h := sha256.New()
	for _, doc := range testdocs.Seeds(t) {
		doc.Title = Title(doc.Text, nil)
		chunks := Split(doc, Options{})
		checkChunks(t, doc, Options{}, chunks)
		got := formatChunks(doc, chunks)
		fmt.Fprintf(h, "%s\n%s", doc.ID, got)
		compareGolden(t, filepath.Join(goldenDir, strings.TrimSuffix(doc.ID, ".txt")+".golden"), got)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join(goldenDir, "version.golden")
	want := Version + " " + sum + "\n"
	old, _ := os.ReadFile(path)
	oldVersion, oldSum, _ := strings.Cut(strings.TrimSpace(string(old)), " ")
	if oldVersion == Version && oldSum != sum && len(old) > 0 {
		t.Errorf("chunk output changed but Version is still %q: bump it (then run with -update)", Version)
		return
	}
	compareGolden(t, path, want)
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run ChunkGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the chunker's output; diff it against a run with -update:\n%s", path, firstDiff(string(want), got))
	}
}

// formatChunks renders chunks for people reviewing a golden diff: a
// header line per chunk, then its exact text.
func formatChunks(doc document.Document, chunks []document.Chunk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Split(%s), default options\n# title: %q\n# %d chunks, %d bytes of text\n", doc.ID, doc.Title, len(chunks), len(doc.Text))
	for i, c := range chunks {
		kind := ""
		if c.Header {
			kind = " header"
		}
		fmt.Fprintf(&b, "\n=== chunk %d: bytes %d-%d (%d), lines %d-%d%s, section %q\n%s\n",
			i, c.Start, c.End, c.End-c.Start, c.LineStart, c.LineEnd, kind, c.Section, doc.Text[c.Start:c.End])
	}
	return b.String()
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d\nwant: %.200q\n got: %.200q", i+1, w, g)
		}
	}
	return "(only line endings differ)"
}

// TestChunkProperties checks the chunker's promises on the seeds and on
// generated documents: CRLF, BOM, Markdown, lists, chrome, long lines
// without spaces, several chunk sizes.
func TestChunkProperties(t *testing.T) {
	sizes := []int{0, 50, 300, 1000, 2500, 100000}
	for _, doc := range testdocs.Seeds(t) {
		for _, max := range sizes {
			opt := Options{MaxBytes: max}
			checkChunks(t, doc, opt, Split(doc, opt))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		doc := document.Document{ID: fmt.Sprintf("gen%03d.txt", i), Text: generateDocument(r)}
		opt := Options{MaxBytes: sizes[i%len(sizes)]}
		checkChunks(t, doc, opt, Split(doc, opt))
		if t.Failed() {
			t.Fatalf("document %d (MaxBytes %d):\n%.3000q", i, opt.MaxBytes, doc.Text)
		}
	}
}

func FuzzChunkDocument(f *testing.F) {
	f.Add("Translate this page:\nTitle of a test document here\n\n1. Introduction\n\nText. More text.", 0)
	f.Add("\uFEFFFirst Peer Review\r\n\r\nThe review. It is good.\r\nNo time to read?\r\nGet a summary\r\n", 40)
	f.Add("# T\n\n```\n# x\n```\n- (1) a\n- (2) b\nPrevious Article\n\nOther title\n", 3000)
	r := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		f.Add(generateDocument(r), r.IntN(2000))
	}
	for _, doc := range testdocs.Seeds(f) {
		f.Add(doc.Text[:min(len(doc.Text), 4000)], 500)
	}
	f.Fuzz(func(t *testing.T, text string, max int) {
		doc := document.Document{ID: "fuzz.txt", Text: text}
		opt := Options{MaxBytes: max}
		checkChunks(t, doc, opt, Split(doc, opt))
		Title(text, nil)
	})
}

// checkChunks checks Split's promises for one document.
func checkChunks(t testing.TB, doc document.Document, opt Options, chunks []document.Chunk) {
	t.Helper()
	text := doc.Text
	bp := opt.Boilerplate
	if bp == nil {
		bp = DefaultBoilerplate()
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = document.DefaultChunkBytes
	}
	limit = min(max(limit, document.MaxCitationBytes), document.MaxPassageBytes)
	lines := classifyLines(text, bp, 0)
	valid := utf8.ValidString(text)

	headers, prevStart := 0, -1
	covered := make([]bool, len(text))
	for i, c := range chunks {
		if c.DocID != doc.ID {
			t.Errorf("chunk %d: DocID %q, want %q", i, c.DocID, doc.ID)
		}
		if c.Start < 0 || c.End <= c.Start || c.End > len(text) {
			t.Fatalf("chunk %d: span %d-%d outside 0-%d or empty", i, c.Start, c.End, len(text))
		}
		s := text[c.Start:c.End]
		if c.Header {
			headers++
			if i != 0 {
				t.Errorf("chunk %d is a header chunk; only the first may be", i)
			}
			if len(s) > document.MaxCitationBytes {
				t.Errorf("header chunk is %d bytes", len(s))
			}
		} else {
			if len(s) > limit {
				t.Errorf("chunk %d is %d bytes, over %d", i, len(s), limit)
			}
			if c.Start < prevStart {
				t.Errorf("chunk %d starts at %d, before the previous one (%d)", i, c.Start, prevStart)
			}
			prevStart = c.Start
			for p := c.Start; p < c.End; p++ {
				covered[p] = true
			}
		}
		if want := 1 + strings.Count(text[:c.Start], "\n"); c.LineStart != want {
			t.Errorf("chunk %d: LineStart %d, want %d", i, c.LineStart, want)
		}
		if want := 1 + strings.Count(text[:c.End-1], "\n"); c.LineEnd != want {
			t.Errorf("chunk %d: LineEnd %d, want %d", i, c.LineEnd, want)
		}
		if r, _ := utf8.DecodeRuneInString(s); analysis.IsSpaceRune(r) {
			t.Errorf("chunk %d starts with space: %.40q", i, s)
		}
		if r, _ := utf8.DecodeLastRuneInString(s); analysis.IsSpaceRune(r) {
			t.Errorf("chunk %d ends with space: %.40q", i, s[max(0, len(s)-40):])
		}
		if valid && !utf8.ValidString(s) {
			t.Errorf("chunk %d (%d-%d) cuts a rune", i, c.Start, c.End)
		}
		for ls := 0; ls <= len(text); {
			le := strings.IndexByte(text[ls:], '\n')
			if le < 0 {
				le = len(text)
			} else {
				le += ls
			}
			line := strings.TrimFunc(text[ls:le], analysis.IsSpaceRune)
			if ls < c.End && le > c.Start && line != "" && matchesAny(bp, line) {
				t.Errorf("chunk %d contains the boilerplate line %q", i, line)
			}
			ls = le + 1
		}
		for _, l := range lines {
			if l.kind == lineBoilerplate && l.start < c.End && l.end > c.Start {
				t.Errorf("chunk %d contains the boilerplate line %q", i, text[l.start:l.end])
			}
		}
	}
	content := false
	for _, l := range lines {
		if l.kind == lineBoilerplate || l.kind == lineBlank {
			continue
		}
		content = true
		for p := l.start; p < l.end; {
			r, n := utf8.DecodeRuneInString(text[p:l.end])
			if !analysis.IsSpaceRune(r) && !covered[p] {
				t.Fatalf("byte %d (%q, line %d) is in no chunk", p, text[p:p+n], 1+strings.Count(text[:p], "\n"))
			}
			p += n
		}
	}
	// The header chunk is dropped only when a regular chunk covers its
	// span: then the first chunk must start where the header would.
	if content && headers > 1 || content && headers == 0 && len(chunks) == 0 {
		t.Errorf("%d header chunks, want 1 (or 0 when a regular chunk covers it)", headers)
	}
	if !content && len(chunks) != 0 {
		t.Errorf("%d chunks of a document without content", len(chunks))
	}
}

// generateDocument makes a random document out of the things real ones
// contain: chrome, headings, lists, references, long paragraphs,
// abbreviations, Cyrillic, emoji, odd spaces and line endings.
func generateDocument(r *rand.Rand) string {
	words := []string{
		"the", "security", "Union", "State", "of", "information", "T.A.", "Polyakova", "p.", "140", "e.g.", "i.e.",
		"etc.", "Dr.", "No.", "2", "3.1", "security.Today,", "(2023).Information", "et", "al.", "Fig.", "U.S.",
		"www.example.org", "x@y.org", "т.е.", "г.", "Россия", "безопасность", "«Да.»", "…", "—", "😀", "€",
		"\u00a0", "A.", "vitamin", "D.", "[1]", "(2)", "and", "or", "In", "The", "It", "\t", "SCO;", "law:", "rights,",
	}
	sentence := func() string {
		n := 1 + r.IntN(25)
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		b.WriteString([]string{".", ".", "!", "?", "", "…", "\"."}[r.IntN(7)])
		return b.String()
	}
	paragraph := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString([]string{" ", " ", "  ", ""}[r.IntN(4)])
			}
			b.WriteString(sentence())
		}
		return b.String()
	}
	wrap := func(p string, width int) string {
		var b strings.Builder
		col := 0
		for _, w := range strings.Fields(p) {
			if col > 0 && col+len(w) > width {
				b.WriteByte('\n')
				col = 0
			} else if col > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
		return b.String()
	}
	blocks := []func() string{
		func() string { return paragraph(1 + r.IntN(4)) },
		func() string { return paragraph(5 + r.IntN(60)) },
		func() string { return wrap(paragraph(3+r.IntN(10)), 60+r.IntN(50)) },
		func() string {
			return []string{"1. Introduction", "3.1. The Effectiveness Analysis of Information Security", "References",
				"First Peer Review", "Second Peer Review", "Abstract", "## Methods", "# A Markdown title", "5. Conclusion",
				"IV. Results", "Conclusion"}[r.IntN(11)]
		},
		func() string {
			var b strings.Builder
			for i := range 1 + r.IntN(12) {
				fmt.Fprintf(&b, "%s%s\n", []string{"- [%d] ", "(%d) ", "%d. ", "* "}[r.IntN(4)], paragraph(1+r.IntN(3)))
				_ = i
			}
			return strings.ReplaceAll(b.String(), "%d", fmt.Sprint(r.IntN(20)))
		},
		func() string {
			return []string{"Translate this page:", "Please select your language to translate the article",
				"Your profile", "Back to contents", "No time to read?\nGet a summary", "Previous Article\n\nSome other title",
				"Next Article", "This article is automatically translated.", "Other publications by this author",
				"The list of publisher reviewers can be found here."}[r.IntN(10)]
		},
		func() string {
			return strings.Repeat([]string{"x", "я", "😀", "ab\u00a0"}[r.IntN(4)], 100+r.IntN(1500))
		},
		func() string { return "```\n# not a heading\ncode();\n```" },
		func() string { return " \t \u00a0 " },
	}
	var b strings.Builder
	if r.IntN(4) == 0 {
		b.WriteString("\uFEFF")
	}
	for range 1 + r.IntN(25) {
		b.WriteString(blocks[r.IntN(len(blocks))]())
		b.WriteString([]string{"\n\n", "\n", "\n\n\n", "\n \n"}[r.IntN(4)])
	}
	doc := b.String()
	if r.IntN(2) == 0 {
		doc = strings.TrimRight(doc, "\n")
	}
	switch r.IntN(3) {
	case 0:
		doc = strings.ReplaceAll(doc, "\n", "\r\n")
	case 1:
		doc = strings.ReplaceAll(doc, "\n\n", "\r\n\n")
	}
	return doc
}

func TestChunkSections(t *testing.T) {
	docs := map[string]document.Document{}
	for _, d := range testdocs.Seeds(t) {
		docs[d.ID] = d
	}
	tests := []struct {
		doc, contains, section string
	}{
		{"001_8b87d517e2a49063.txt", "(1) The lack of a common definition", "3.2. Limitations and Challenges of the SCO in the Field Of Confidence and Security"},
		{"001_8b87d517e2a49063.txt", "3.2. Limitations and Challenges", "3.2. Limitations and Challenges of the SCO in the Field Of Confidence and Security"},
		{"001_8b87d517e2a49063.txt", "This agreement, which came into effect on January 5, 2012", "3.1. The Effectiveness Analysis of Information Security Activities of the Shanghai Cooperation Organization"},
		{"001_8b87d517e2a49063.txt", "establish a high-level consultation mechanism", "4.2. Overcoming the Conflict of Interests of SCO Member States on Information Security Issues"},
		{"001_8b87d517e2a49063.txt", "[1] Resolution of the UN General Assembly", "References"},
		{"001_8b87d517e2a49063.txt", "Belarusian State University, Faculty of law", ""},
		{"000_a724e28377c96891.txt", "I recommend publishing", "Second Peer Review"},
		{"000_a724e28377c96891.txt", "The author should indicate the private law research methods", "First Peer Review"},
		{"000_a724e28377c96891.txt", "established in 1999", ""},
		{"002_a2706c8e8d14140f.txt", "held at MGIMO", ""},
	}
	chunks := map[string][]document.Chunk{}
	for _, tt := range tests {
		doc := docs[tt.doc]
		if chunks[tt.doc] == nil {
			chunks[tt.doc] = Split(doc, Options{})
		}
		found := false
		for _, c := range chunks[tt.doc] {
			if !c.Header && strings.Contains(doc.Text[c.Start:c.End], tt.contains) {
				found = true
				if c.Section != tt.section {
					t.Errorf("%s: chunk with %q has section %q, want %q", tt.doc, tt.contains, c.Section, tt.section)
				}
			}
		}
		if !found {
			t.Errorf("%s: no chunk contains %q", tt.doc, tt.contains)
		}
	}
}

func TestChunkHeader(t *testing.T) {
	tests := []struct {
		doc      string
		contains []string
	}{
		{"000_a724e28377c96891.txt", []string{"International Law and International Organizations", "The Union State of the Republic of Belarus", "Duben' Andrei Kirillovich", "Russian State University of Justice"}},
		{"001_8b87d517e2a49063.txt", []string{"The Role of the SCO", "Yuxi Hu", "Belarusian State University", "Abstract: This paper aims"}},
		{"002_a2706c8e8d14140f.txt", []string{"Reframing Information Security"}},
	}
	for _, tt := range tests {
		doc := document.Document{ID: tt.doc, Text: testdocs.Seed(t, tt.doc)}
		chunks := Split(doc, Options{})
		// The first chunk is the header, or a regular chunk that covers
		// the same lines (the header is then dropped as redundant).
		if len(chunks) == 0 {
			t.Fatalf("%s: no chunks", tt.doc)
		}
		h := doc.Text[chunks[0].Start:chunks[0].End]
		for _, s := range tt.contains {
			if !strings.Contains(h, s) {
				t.Errorf("%s: header %q lacks %q", tt.doc, h, s)
			}
		}
		if strings.Contains(h, "Translate this page") || strings.Contains(h, "No time to read") {
			t.Errorf("%s: header holds chrome: %q", tt.doc, h)
		}
	}
}

func TestChunkLongParagraph(t *testing.T) {
	var b strings.Builder
	b.WriteString("A title line for the test document\n\n")
	for i := range 40 {
		fmt.Fprintf(&b, "Sentence number %d says something about information security and cooperation. ", i)
	}
	doc := document.Document{ID: "long.txt", Text: strings.TrimSpace(b.String())}
	chunks := Split(doc, Options{MaxBytes: 600})
	checkChunks(t, doc, Options{MaxBytes: 600}, chunks)
	var body []document.Chunk
	for _, c := range chunks {
		if !c.Header && c.LineStart == 3 {
			body = append(body, c)
		}
	}
	if len(body) < 5 {
		t.Fatalf("a %d-byte paragraph gave %d chunks of at most 600 bytes", len(doc.Text), len(body))
	}
	for i := 1; i < len(body); i++ {
		prev, c := body[i-1], body[i]
		if c.Start >= prev.End {
			t.Errorf("chunks %d and %d do not overlap", i-1, i)
			continue
		}
		shared := doc.Text[c.Start:prev.End]
		if n := len(analysis.SplitSentences(doc.Text, document.Span{Start: c.Start, End: prev.End})); n != 1 || !strings.HasPrefix(shared, "Sentence number") {
			t.Errorf("chunks %d and %d share %q (%d sentences), want one sentence", i-1, i, shared, n)
		}
	}
}

func TestChunkMerging(t *testing.T) {
	text := "A title line for the merging test\n\n" +
		"Short one.\n\nShort two.\n\nShort three.\n\n" +
		"Next Article\n\n" + // chrome splits, and the line after it is a link
		"Another article title\n\n" +
		"Short four.\n\n" +
		"2. Second Section\n\n" +
		"Short five.\n\nShort six."
	doc := document.Document{ID: "merge.txt", Text: text}
	chunks := Split(doc, Options{})
	checkChunks(t, doc, Options{}, chunks)
	var got []string
	for _, c := range chunks {
		if !c.Header {
			got = append(got, fmt.Sprintf("%s|%s", c.Section, text[c.Start:c.End]))
		}
	}
	want := []string{
		"|A title line for the merging test\n\nShort one.\n\nShort two.\n\nShort three.",
		"|Short four.",
		"2. Second Section|2. Second Section\n\nShort five.\n\nShort six.",
	}
	if strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestChunkCRLFAndBOM(t *testing.T) {
	text := "\uFEFFTitle of the test document here\r\n\r\nFirst paragraph. Second sentence.\r\n\r\nReferences\r\n\r\n[1] Ref one.\r\n[2] Ref two.\r\n"
	doc := document.Document{ID: "crlf.txt", Text: text}
	chunks := Split(doc, Options{})
	checkChunks(t, doc, Options{}, chunks)
	if chunks[0].Start != len("\uFEFF") {
		t.Errorf("header starts at %d, want %d (after the BOM)", chunks[0].Start, len("\uFEFF"))
	}
	last := chunks[len(chunks)-1]
	if got := text[last.Start:last.End]; got != "References\r\n\r\n[1] Ref one.\r\n[2] Ref two." || last.Section != "References" || last.LineStart != 5 || last.LineEnd != 8 {
		t.Errorf("last chunk %q section %q lines %d-%d", got, last.Section, last.LineStart, last.LineEnd)
	}
}

func TestChunkMarkdown(t *testing.T) {
	text := "# Guide to the tool\n\nIntro text here.\n\n## Install\n\n```\n# not a heading\n```\n\nRun it.\n"
	doc := document.Document{ID: "guide.md", Text: text}
	chunks := Split(doc, Options{})
	checkChunks(t, doc, Options{}, chunks)
	for _, c := range chunks[1:] {
		s := text[c.Start:c.End]
		want := ""
		if strings.Contains(s, "Install") || strings.Contains(s, "Run it") {
			want = "Install"
		}
		if c.Section != want {
			t.Errorf("chunk %q: section %q, want %q", s, c.Section, want)
		}
	}
}

func TestDocumentTitle(t *testing.T) {
	long := strings.Repeat("A paragraph that goes on and on without a break ", 10)
	tests := []struct {
		name, text, want string
	}{
		{"seed 000", testdocs.Seed(t, "000_a724e28377c96891.txt"), "The Union State of the Republic of Belarus and the Russian Federation: integration cooperation in the field of international information security"},
		{"seed 001", testdocs.Seed(t, "001_8b87d517e2a49063.txt"), "The Role of the SCO in the Progressive Development of International Legal Norms in the Field Of Information Security"},
		{"seed 002", testdocs.Seed(t, "002_a2706c8e8d14140f.txt"), "Reframing Information Security: Global Cooperation and Domestic Capacity in the Digital Era"},
		{"markdown", "Some badge line\n\n# Guide to the tool #\n\nText.", "Guide to the tool"},
		{"markdown with BOM and CRLF", "\uFEFF# Title\r\n\r\nText of the document goes here.", "Title"},
		{"level two is no title", "## Details\n\nThe first substantial line of the text here.", "The first substantial line of the text here."},
		{"fenced", "```\n# comment\n```\n\nThe first substantial line of the text here.", "The first substantial line of the text here."},
		{"rubric skipped", "Translate this page:\nLaw and Order\n\nThe real title has more than six words\n\nText.", "The real title has more than six words"},
		{"no title before the body", "Rubric\n\n" + long + "\n\nA later line with six or more words in it.", "Rubric"},
		{"paragraph only", long, strings.TrimSpace(long[:strings.LastIndexByte(long[:200], ' ')]) + "…"},
		{"only chrome", "Translate this page:\nYour profile\n", ""},
		{"empty", "", ""},
		{"Cyrillic", "\n\nРоль ШОС в прогрессивном развитии международно-правовых норм\n\nТекст.", "Роль ШОС в прогрессивном развитии международно-правовых норм"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.text, nil); got != tt.want {
				t.Errorf("Title = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChunkBoilerplate(t *testing.T) {
	want := map[string][]int{
		"000_a724e28377c96891.txt": {1, 2, 4, 5, 7, 18, 34, 75, 76, 82, 83},
		"001_8b87d517e2a49063.txt": nil,
		"002_a2706c8e8d14140f.txt": {3, 4, 24, 25, 26, 28, 30, 32},
	}
	for _, doc := range testdocs.Seeds(t) {
		var got []int
		for i, l := range classifyLines(doc.Text, DefaultBoilerplate(), 0) {
			if l.kind == lineBoilerplate {
				got = append(got, i+1)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want[doc.ID]) {
			t.Errorf("%s: boilerplate lines %v, want %v", doc.ID, got, want[doc.ID])
		}
	}
	for _, line := range []string{
		"Share prices rose sharply.", "Subscribers to the service pay monthly.", "Next, the article examines the law.",
		"Print media are regulated.", "Your profile is public.", "Back to the main argument, the SCO acts.",
		"Copyright law protects authors.", "Previous articles have shown this.",
	} {
		if matchesAny(DefaultBoilerplate(), line) {
			t.Errorf("content line %q is taken for boilerplate", line)
		}
	}
}

func TestCompileBoilerplate(t *testing.T) {
	res, err := CompileBoilerplate([]string{"share", `print(?: this)?`})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]bool{"Share": true, "SHARE": true, "Share prices rose.": false, "Print this": true, "Reprint": false} {
		if got := matchesAny(res, line); got != want {
			t.Errorf("match %q = %v, want %v", line, got, want)
		}
	}
	_, err = CompileBoilerplate([]string{"ok", "(unclosed"})
	if err == nil || !strings.Contains(err.Error(), `"(unclosed"`) {
		t.Errorf("error %v does not name the bad pattern", err)
	}
	if _, err = CompileBoilerplate([]string{" "}); err == nil {
		t.Error("an empty pattern compiled")
	}
	// An explicitly empty list turns removal off.
	doc := document.Document{ID: "x", Text: "Translate this page:\n\nText."}
	if chunks := Split(doc, Options{Boilerplate: []*regexp.Regexp{}}); doc.Text[chunks[0].Start:chunks[0].End] != doc.Text {
		t.Errorf("with no patterns the header is %q", doc.Text[chunks[0].Start:chunks[0].End])
	}
}

// TestChunkEvidence checks the dev set's gold evidence (exact substrings
// of the seed documents, in testdata/seeds-dev.jsonl) against the chunker:
// each must lie inside one chunk (or retrieval cannot return it whole) and
// inside at most three consecutive sentences (or the answer cannot quote
// it within the citation limit).
func TestChunkEvidence(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "seeds-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	texts := map[string]string{}
	chunks := map[string][]document.Chunk{}
	sentences := map[string][]document.Span{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var row struct {
			ID         string `json:"id"`
			Answerable bool   `json:"answerable"`
			Document   string `json:"document"`
			Evidence   string `json:"evidence"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("dev.jsonl: %v", err)
		}
		if !row.Answerable || row.Evidence == "" {
			continue
		}
		n++
		text, ok := texts[row.Document]
		if !ok {
			text = testdocs.Seed(t, row.Document)
			texts[row.Document] = text
			chunks[row.Document] = Split(document.Document{ID: row.Document, Text: text}, Options{})
			sentences[row.Document] = analysis.SplitSentences(text, document.Span{Start: 0, End: len(text)})
		}
		if !evidenceFits(text, row.Evidence, chunks[row.Document], sentences[row.Document]) {
			t.Errorf("%s: %q is not inside one chunk and at most 3 sentences", row.ID, row.Evidence)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no answerable rows in dev.jsonl")
	}
}

func evidenceFits(text, evidence string, chunks []document.Chunk, sents []document.Span) bool {
	for off := 0; ; {
		i := strings.Index(text[off:], evidence)
		if i < 0 {
			return false
		}
		s, e := off+i, off+i+len(evidence)
		off = s + 1
		inChunk := false
		for _, c := range chunks {
			if !c.Header && c.Start <= s && e <= c.End {
				inChunk = true
				break
			}
		}
		// first: the sentence holding s; last: the one holding e-1.
		first, last := -1, -1
		for k, sp := range sents {
			if first < 0 && sp.End > s {
				first = k
			}
			if sp.Start < e {
				last = k
			}
		}
		if inChunk && first >= 0 && last >= first && last-first < 3 &&
			sents[first].Start <= s && e <= sents[last].End {
			return true
		}
	}
}

func BenchmarkChunkDocument(b *testing.B) {
	doc := document.Document{ID: "000", Text: testdocs.Seed(b, "000_a724e28377c96891.txt")}
	b.SetBytes(int64(len(doc.Text)))
	b.ReportAllocs()
	for b.Loop() {
		Split(doc, Options{})
	}
}

// BenchmarkChunkSciFact chunks the whole SciFact corpus (5,183 abstracts)
// per iteration, the chunker's share of an indexing run.
func BenchmarkChunkSciFact(b *testing.B) {
	f, err := os.Open(filepath.Join("..", "..", "shared", "bench", "scifact", "corpus.jsonl"))
	if err != nil {
		b.Skipf("needs ../shared/bench/scifact, not in a fresh clone: %v", err)
	}
	defer f.Close()
	var docs []document.Document
	size := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var row struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			b.Fatal(err)
		}
		docs = append(docs, document.Document{ID: row.ID, Title: row.Title, Text: row.Title + "\n\n" + row.Text})
		size += len(row.Title) + 2 + len(row.Text)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, d := range docs {
			n += len(Split(d, Options{}))
		}
		b.ReportMetric(float64(n), "chunks")
	}
}
