package analysis

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/document"
	"citebot/internal/testdocs"
)

func TestFold(t *testing.T) {
	text := strings.Repeat("word ", 40) + "end\n\nshort line\n" + strings.Repeat("я ", 50) + strings.Repeat("x", 80) + " y"
	got := testdocs.Fold(text, 72)
	if len(got) != len(text) {
		t.Fatalf("fold changed the length: %d, want %d", len(got), len(text))
	}
	for i := range len(text) {
		if got[i] != text[i] && !(text[i] == ' ' && got[i] == '\n') {
			t.Fatalf("byte %d: %q, want %q or a newline for a space", i, got[i], text[i])
		}
	}
	lines := strings.Split(got, "\n")
	off := 0
	for k, l := range lines {
		n := utf8.RuneCountInString(l)
		if n > 72 && strings.Contains(l, " ") {
			t.Errorf("line %d has %d runes: %q", k, n, l)
		}
		off += len(l)
		// Where fold broke the line, the next word would not have fitted.
		if off < len(text) && text[off] == ' ' && n <= 72 {
			next, _, _ := strings.Cut(lines[k+1], " ")
			if n+1+utf8.RuneCountInString(next) <= 72 {
				t.Errorf("line %d broken early: %q then %q", k, l, next)
			}
		}
		off++
	}
	if want := "word word"; !strings.HasPrefix(got, want) || strings.Count(got, "\n") < 6 {
		t.Errorf("fold gave %q", got)
	}
}

func BenchmarkSplitSentencesFolded(b *testing.B) {
	text := testdocs.Fold(testdocs.Seed(b, "000_a724e28377c96891.txt"), 72)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		SplitSentences(text, document.Span{Start: 0, End: len(text)})
	}
}

// foldBreaks are the line breaks of the seeds folded at 72 columns that
// SplitSentences keeps hard although the original has a space there: each
// is the text around the break and the reason.
var foldBreaks = []struct{ doc, around, why string }{
	// The title is a block of two lines between the top of the file and
	// the author's line: no wrapped neighbour shows the width, and its
	// second line starts with a capital, so it looks like a title and an
	// author line would.
	{"001_8b87d517e2a49063.txt", "International\nLegal Norms", "a two-line block that shows no wrap width"},
	// fold put a dash that opens a list item in other documents ("– item")
	// at the start of a line.
	{"001_8b87d517e2a49063.txt", "8.pdf).\n– Date", "a line opening with an en dash is a list item"},
	{"001_8b87d517e2a49063.txt", "9SL667.\n– Date", "a line opening with an en dash is a list item"},
}

// TestSplitSentencesFolded folds the seeds at 72 columns and expects the
// same sentences, bar the breaks in foldBreaks: fold only turns spaces into
// newlines, so the spans of the folded text compare with the original's as
// they are.
func TestSplitSentencesFolded(t *testing.T) {
	for _, doc := range testdocs.Seeds(t) {
		folded := testdocs.Fold(doc.Text, 72)
		want := SplitSentences(doc.Text, document.Span{Start: 0, End: len(doc.Text)})
		for _, fb := range foldBreaks {
			if fb.doc != doc.ID {
				continue
			}
			i := strings.Index(folded, fb.around)
			if i < 0 || strings.Count(folded, fb.around) != 1 {
				t.Errorf("%s: %q is not once in the folded text", doc.ID, fb.around)
				continue
			}
			want = splitAt(doc.Text, want, i+strings.IndexByte(fb.around, '\n'))
		}
		got := SplitSentences(folded, document.Span{Start: 0, End: len(folded)})
		checkSentences(t, folded, document.Span{Start: 0, End: len(folded)}, got)
		i, j := 0, 0
		for i < len(got) || j < len(want) {
			if i < len(got) && j < len(want) && got[i] == want[j] {
				i++
				j++
				continue
			}
			// Report the differing stretch up to the next common end.
			gi, wj := i, j
			for gi < len(got) && wj < len(want) && got[gi].End != want[wj].End {
				if got[gi].End < want[wj].End {
					gi++
				} else {
					wj++
				}
			}
			gi, wj = min(gi, len(got)-1), min(wj, len(want)-1)
			var g, w []string
			for _, sp := range got[i : gi+1] {
				g = append(g, folded[sp.Start:sp.End])
			}
			for _, sp := range want[j : wj+1] {
				w = append(w, doc.Text[sp.Start:sp.End])
			}
			t.Errorf("%s: folded gives\n%q\nwant\n%q", doc.ID, g, w)
			i, j = gi+1, wj+1
		}
	}
}

// splitAt cuts the span of spans that holds text[p] in two around p.
func splitAt(text string, spans []document.Span, p int) []document.Span {
	for k, sp := range spans {
		if sp.Start < p && p < sp.End {
			a, b := TrimSpan(text, sp.Start, p)
			c, d := TrimSpan(text, p+1, sp.End)
			return slices.Concat(spans[:k], []document.Span{{Start: a, End: b}, {Start: c, End: d}}, spans[k+1:])
		}
	}
	return spans
}

func TestSplitSentencesWrapped(t *testing.T) {
	// A paragraph wrapped at 60 columns; its third line starts with a
	// capital, so only its length shows the wrap.
	para := "The Union State of the Republic of Belarus and the Russian\n" +
		"Federation signed the agreement, which came into effect on\n" +
		"January 5, 2012, facilitated cooperation between the two\n" +
		"states. It also set up a joint commission for information\n" +
		"security."
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"wrapped paragraph", para, []string{
			"The Union State of the Republic of Belarus and the Russian\nFederation signed the agreement, which came into effect on\nJanuary 5, 2012, facilitated cooperation between the two\nstates.",
			"It also set up a joint commission for information\nsecurity."}},
		{"lower-case continuation", "The two states agreed on the main\npoints of the treaty. Done.", []string{"The two states agreed on the main\npoints of the treaty.", "Done."}},
		{"hyphenated", "the exchange of infor-\nmation between states", []string{"the exchange of infor-\nmation between states"}},
		{"blank line", "The first paragraph has no end\n\nthe second one starts here", []string{"The first paragraph has no end", "the second one starts here"}},
		{"blank line with spaces", "First paragraph\n \t\nsecond paragraph", []string{"First paragraph", "second paragraph"}},
		{"markdown heading", "## Methods and data\nwe used the following methods", []string{"## Methods and data", "we used the following methods"}},
		{"before a markdown heading", "the end of the section\n# Next section", []string{"the end of the section", "# Next section"}},
		{"setext heading", "Methods and data\n================\nwe used the methods", []string{"Methods and data", "================", "we used the methods"}},
		{"numbered heading", para + "\n3.1. The Effectiveness Analysis of Information Security\nof the State", []string{
			"The Union State of the Republic of Belarus and the Russian\nFederation signed the agreement, which came into effect on\nJanuary 5, 2012, facilitated cooperation between the two\nstates.",
			"It also set up a joint commission for information\nsecurity.",
			"3.1. The Effectiveness Analysis of Information Security\nof the State"}},
		{"dash list", "Measures include\n- the first measure\n- the second measure", []string{"Measures include", "- the first measure", "- the second measure"}},
		{"list markers", "* star item\n+ plus item\n• bullet item\n1. numbered item\n2) numbered item\na) lettered item\n(b) lettered item\n[3] reference item\n– dash item",
			[]string{"* star item", "+ plus item", "• bullet item", "1. numbered item", "2) numbered item", "a) lettered item", "(b) lettered item", "[3] reference item", "– dash item"}},
		{"list item wrapped", "- an item that is long enough to wrap onto\n  the next line of the list\n- another item", []string{"- an item that is long enough to wrap onto\n  the next line of the list", "- another item"}},
		{"table rows", "| name | value |\n| cooperation | security |\nname | value\nunion | state", []string{"| name | value |", "| cooperation | security |", "name | value", "union | state"}},
		{"code fence", "see the code\n```\nrun it\n```", []string{"see the code", "```", "run it", "```"}},
		// A title line that a word of the next line would not fill, beside a
		// paragraph wrapped at 60 columns.
		{"title and author", "Integration cooperation in information security\nDuben' Andrei Kirillovich\nInstitute of State and Law\n\n" + para, []string{
			"Integration cooperation in information security", "Duben' Andrei Kirillovich", "Institute of State and Law",
			"The Union State of the Republic of Belarus and the Russian\nFederation signed the agreement, which came into effect on\nJanuary 5, 2012, facilitated cooperation between the two\nstates.",
			"It also set up a joint commission for information\nsecurity."}},
		{"short lines", "Translate this page:\nPlease select your language\nYour profile", []string{"Translate this page:", "Please select your language", "Your profile"}},
		{"period then capital", "The agreement was signed by both of the states in the year\n2012. The commission met for the first time in Minsk in the\nspring. Its members agreed on a plan of work for the years\nTo come.",
			[]string{"The agreement was signed by both of the states in the year\n2012.", "The commission met for the first time in Minsk in the\nspring.", "Its members agreed on a plan of work for the years\nTo come."}},
		{"abbreviation at line end", "The agreement is described in detail in the report, see p.\n140 of the second volume and in the long annex by T.A.\nPolyakova and the other authors of the review of the law.",
			[]string{"The agreement is described in detail in the report, see p.\n140 of the second volume and in the long annex by T.A.\nPolyakova and the other authors of the review of the law."}},
		{"CRLF", strings.ReplaceAll(para, "\n", "\r\n") + "\r\n\r\nNext paragraph\r\n", []string{
			"The Union State of the Republic of Belarus and the Russian\r\nFederation signed the agreement, which came into effect on\r\nJanuary 5, 2012, facilitated cooperation between the two\r\nstates.",
			"It also set up a joint commission for information\r\nsecurity.", "Next paragraph"}},
		{"line-oriented", "A title line\n" + strings.Repeat("A long paragraph on one line. ", 10) + "\nAnother paragraph on its own line.",
			[]string{"A title line"}}, // the rest is checked below
		{"narrow column", "The states signed\nthe agreement in\nMinsk in 2012", []string{"The states signed\nthe agreement in", "Minsk in 2012"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := SplitSentences(tt.text, document.Span{Start: 0, End: len(tt.text)})
			checkSentences(t, tt.text, document.Span{Start: 0, End: len(tt.text)}, spans)
			var got []string
			for _, s := range spans {
				got = append(got, tt.text[s.Start:s.End])
			}
			if tt.name == "line-oriented" {
				if strings.Contains(strings.Join(got, "|"), "\n") || len(got) != 12 {
					t.Errorf("got %q, want 12 sentences none across a line", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestSplitSentencesPDF splits text laid out as a PDF's pages are: lines
// of about 80 columns, no blank line between paragraphs, a blank line
// between pages.
func TestSplitSentencesPDF(t *testing.T) {
	page1 := "International Law and International Organizations\n" +
		"The Union State and the Russian Federation\n" +
		"A. K. Duben\n" +
		"Abstract. The author examines in detail such aspects as the international\n" +
		"information security of the Union State of the Republic of Belarus and the\n" +
		"Russian Federation. It is separately noted that special attention is being\n" +
		"paid to issues of legal support for information security today in the light\n" +
		"of modern geopolitical processes and their impact on all spheres of life.\n" +
		"Keywords: information security, Union State, cooperation\n" +
		"The agreement between the two states, which came into effect on January 5,\n" +
		"2012, facilitated cooperation in the field of international information"
	page2 := "security and set up a joint commission.\n" +
		"Page 2"
	text := page1 + "\n\n" + page2
	want := []string{
		"International Law and International Organizations",
		"The Union State and the Russian Federation",
		"A. K. Duben",
		"Abstract.",
		"The author examines in detail such aspects as the international\ninformation security of the Union State of the Republic of Belarus and the\nRussian Federation.",
		"It is separately noted that special attention is being\npaid to issues of legal support for information security today in the light\nof modern geopolitical processes and their impact on all spheres of life.",
		"Keywords: information security, Union State, cooperation",
		"The agreement between the two states, which came into effect on January 5,\n2012, facilitated cooperation in the field of international information",
		"security and set up a joint commission.",
		"Page 2",
	}
	spans := SplitSentences(text, document.Span{Start: 0, End: len(text)})
	checkSentences(t, text, document.Span{Start: 0, End: len(text)}, spans)
	var got []string
	for _, s := range spans {
		got = append(got, text[s.Start:s.End])
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// A passage split on its own splits as in the whole text.
	from := strings.Index(text, "It is separately")
	to := strings.Index(text, "Keywords")
	alone := text[from:to]
	var got2 []string
	for _, s := range SplitSentences(alone, document.Span{Start: 0, End: len(alone)}) {
		got2 = append(got2, alone[s.Start:s.End])
	}
	if !slices.Equal(got2, want[5:6]) {
		t.Errorf("the passage alone gives %q, want %q", got2, want[5:6])
	}
}

func TestSplitSentencesWrappedLong(t *testing.T) {
	// One sentence of 2,000 bytes wrapped at 70 columns is cut into pieces
	// within the citation limit, at line breaks or spaces.
	text := testdocs.Fold(strings.Repeat("the formation of measures to legislate the infrastructure ", 34)+"end.", 70)
	spans := SplitSentences(text, document.Span{Start: 0, End: len(text)})
	checkSentences(t, text, document.Span{Start: 0, End: len(text)}, spans)
	if len(spans) < 3 {
		t.Errorf("%d pieces of a %d-byte sentence", len(spans), len(text))
	}
}

func TestColumns(t *testing.T) {
	for _, s := range []string{"", "abc", "information security of the Union", "Это важно. Следующее предложение", "aя€😀 mixed widths and more ASCII text"} {
		if got, want := columns(s), utf8.RuneCountInString(s); got != want {
			t.Errorf("columns(%q) = %d, want %d", s, got, want)
		}
	}
}
