package analysis

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/document"
	"citebot/internal/testdocs"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"only space", " \t\r\n\u00a0\n", nil},
		{"basic", "One is here. Two is there! Three? Four", []string{"One is here.", "Two is there!", "Three?", "Four"}},
		{"lower case after period", "the need and relevance. in the interstate cooperation", []string{"the need and relevance. in the interstate cooperation"}},
		{"extra spaces", "  One.   Two.  ", []string{"One.", "Two."}},

		{"joined initials", "As scientists T.A. Polyakova and A.A. Smirnov rightly point out, proposals are needed. Next.",
			[]string{"As scientists T.A. Polyakova and A.A. Smirnov rightly point out, proposals are needed.", "Next."}},
		{"spaced initials", "The book by A. A. Smirnov is cited. It is good.", []string{"The book by A. A. Smirnov is cited.", "It is good."}},
		{"initials at line start", "A.V. Minbaleev rightly notes that methods should be flexible.", []string{"A.V. Minbaleev rightly notes that methods should be flexible."}},
		{"initial after lower-case word", "works of scientists I. Bachilo and others", []string{"works of scientists I. Bachilo and others"}},
		{"capital letter ending a sentence", "Patients lacked vitamin D. The trial ended.", []string{"Patients lacked vitamin D.", "The trial ended."}},
		{"U.S.", "The U.S. Army and the U.S. Navy agreed.", []string{"The U.S. Army and the U.S. Navy agreed."}},

		{"page", "the need for cooperation [1, p. 140]. Thus, the Union State", []string{"the need for cooperation [1, p. 140].", "Thus, the Union State"}},
		{"page in brackets", "ways of responding to new threats [9, p. 4. 62]. A.V. Ivantsov notes", []string{"ways of responding to new threats [9, p. 4. 62].", "A.V. Ivantsov notes"}},
		{"pages", "Law Enforcement Practice, pp. 176-182. Next article.", []string{"Law Enforcement Practice, pp. 176-182.", "Next article."}},
		{"No.", "Information law, No. 2 of 2019. Next.", []string{"Information law, No. 2 of 2019.", "Next."}},
		{"No as a word", "The answer was No. The end.", []string{"The answer was No.", "The end."}},
		{"e.g. and i.e.", "Some states, e.g. Russia, agree. Others, i.e. The West, do not.", []string{"Some states, e.g. Russia, agree.", "Others, i.e. The West, do not."}},
		{"etc. then lower case", "analysis, synthesis, etc. and others were used. Special methods too.", []string{"analysis, synthesis, etc. and others were used.", "Special methods too."}},
		{"etc. then capital", "generalization, description, etc. Special private law methods were used.", []string{"generalization, description, etc.", "Special private law methods were used."}},
		{"titles", "Dr. Smith met Mr. Jones and Mrs. Brown in St. Petersburg. They talked.", []string{"Dr. Smith met Mr. Jones and Mrs. Brown in St. Petersburg.", "They talked."}},
		{"vs. and cf.", "Russia vs. Ukraine. Cf. Smith for details.", []string{"Russia vs. Ukraine.", "Cf. Smith for details."}},
		{"et al.", "Smith et al. Showed the effect. Then more.", []string{"Smith et al. Showed the effect.", "Then more."}},
		{"numbered abbreviations", "See Fig. 3 and Art. 5 of Vol. 2, published Jan. 2020. Done.", []string{"See Fig. 3 and Art. 5 of Vol. 2, published Jan. 2020.", "Done."}},
		{"Vol. Roman", "Collected works, Vol. IV, p. 12. Done.", []string{"Collected works, Vol. IV, p. 12.", "Done."}},

		{"decimal", "The value rose by 3.1 percent. Next.", []string{"The value rose by 3.1 percent.", "Next."}},
		{"year then year", "It was founded in 1999. 2000 was different.", []string{"It was founded in 1999.", "2000 was different."}},
		{"numbered heading", "3.1. The Effectiveness Analysis of Information Security", []string{"3.1. The Effectiveness Analysis of Information Security"}},
		{"numbered heading with text", "1. Introduction\nInformation security is a practice. It matters.", []string{"1. Introduction", "Information security is a practice.", "It matters."}},
		{"numbered reference", "1. Polyakova, T.A., Zinovieva E.S., & Smirnov A.A. (2023). International information security. State and Law, 12.",
			[]string{"1. Polyakova, T.A., Zinovieva E.S., & Smirnov A.A. (2023).", "International information security.", "State and Law, 12."}},
		{"markdown numbered", "## 2. Methods and data", []string{"## 2. Methods and data"}},
		{"roman heading", "IV. Results of the study", []string{"IV. Results of the study"}},

		{"run-on", "ensuring international information security.Today, the formation of a common space", []string{"ensuring international information security.", "Today, the formation of a common space"}},
		{"run-on after year", "Vinnichek, S.-V.V. (2023).Information and social security", []string{"Vinnichek, S.-V.V. (2023).", "Information and social security"}},
		{"domain", "visit www.Example.com today.", []string{"visit www.Example.com today."}},
		{"email", "Email: xier613@gmail.Com now", []string{"Email: xier613@gmail.Com now"}},
		{"file name", "the file report.Final.pdf is here", []string{"the file report.Final.pdf is here"}},
		{"e.g. glued", "states, e.g.Russia, agree", []string{"states, e.g.Russia, agree"}},

		{"ellipsis", "He paused… Then he left.", []string{"He paused…", "Then he left."}},
		{"three dots", "Wait... What? Yes!", []string{"Wait...", "What?", "Yes!"}},
		{"ellipsis lower", "and so on… and on", []string{"and so on… and on"}},
		{"closing quote", `He said "It is done." Then he left.`, []string{`He said "It is done."`, "Then he left."}},
		{"closing bracket", "(See the annex.) The end.", []string{"(See the annex.)", "The end."}},
		{"exclamation in brackets", "not exhaustive!). The author writes", []string{"not exhaustive!).", "The author writes"}},
		{"quote opens next", `It ended. "Next," he said.`, []string{"It ended.", `"Next," he said.`}},
		{"bracket opens next", "It ended. [1] Next.", []string{"It ended.", "[1] Next."}},

		{"newline ends sentence", "Title line\nSecond line. Third.", []string{"Title line", "Second line.", "Third."}},
		{"blank lines", "One\n\n\nTwo", []string{"One", "Two"}},
		{"CRLF", "First line\r\nSecond line. Third.\r\n\r\n", []string{"First line", "Second line.", "Third."}},
		{"BOM", "\uFEFFHello world. Bye.", []string{"Hello world.", "Bye."}},
		{"no-break space", "One.\u00a0Two.", []string{"One.", "Two."}},

		{"Cyrillic", "Это важно. Следующее предложение! Конец?", []string{"Это важно.", "Следующее предложение!", "Конец?"}},
		{"Russian abbreviations", "Это т.е. Россия и т.д. Далее в 2023 г. Президент подписал ст. 15 закона. Конец.",
			[]string{"Это т.е. Россия и т.д.", "Далее в 2023 г. Президент подписал ст. 15 закона.", "Конец."}},
		{"Russian initials", "Работы Т.А. Поляковой важны. Следующее предложение.", []string{"Работы Т.А. Поляковой важны.", "Следующее предложение."}},
		{"Russian quotes", "Он сказал: «Конец.» Далее.", []string{"Он сказал: «Конец.»", "Далее."}},
		{"Russian run-on", "информационной безопасности.Сегодня формирование", []string{"информационной безопасности.", "Сегодня формирование"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := SplitSentences(tt.text, document.Span{Start: 0, End: len(tt.text)})
			checkSentences(t, tt.text, document.Span{Start: 0, End: len(tt.text)}, spans)
			var got []string
			for _, s := range spans {
				got = append(got, tt.text[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSplitSentencesWithin(t *testing.T) {
	text := "Header. Skip me.\nThe first one. The second one.\nTail."
	start := strings.Index(text, "The first")
	end := strings.Index(text, "\nTail")
	spans := SplitSentences(text, document.Span{Start: start, End: end})
	want := []document.Span{{Start: start, End: start + len("The first one.")}, {Start: start + len("The first one. "), End: end}}
	if !slices.Equal(spans, want) {
		t.Errorf("got %v, want %v", spans, want)
	}
	// A range starting mid-line splits as the whole line does.
	line := "Intro to it. 12. Smith wrote it. T.A. Polyakova agreed."
	whole := SplitSentences(line, document.Span{Start: 0, End: len(line)})
	for _, from := range whole {
		var want []document.Span
		for _, sp := range whole {
			if sp.Start >= from.Start {
				want = append(want, sp)
			}
		}
		if got := SplitSentences(line, document.Span{Start: from.Start, End: len(line)}); !slices.Equal(got, want) {
			t.Errorf("from %d: got %v, want %v", from.Start, got, want)
		}
	}
	// Spans outside the text are clamped, never a panic.
	for _, sp := range []document.Span{{Start: -5, End: 3}, {Start: 40, End: 1000}, {Start: 30, End: 10}, {Start: len(text) + 1, End: len(text) + 9}} {
		got := SplitSentences(text, sp)
		checkSentences(t, text, sp, got)
	}
}

func TestSplitSentencesLong(t *testing.T) {
	clause := "the formation of measures to legislate the independent information infrastructure"
	tests := []struct {
		name string
		text string
		end  string // each piece but the last ends with this
	}{
		{"semicolons", strings.Repeat(clause+", of the state; ", 25) + "done.", ";"},
		{"commas", strings.Repeat(clause+", ", 30) + "done.", ","},
		{"spaces", strings.Repeat("word ", 500) + "end.", ""},
		{"no spaces ASCII", strings.Repeat("x", 2500) + ".", ""},
		{"no spaces Cyrillic", strings.Repeat("я", 1300) + ".", ""},
		{"no spaces mixed widths", strings.Repeat("aя€😀", 300), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := SplitSentences(tt.text, document.Span{Start: 0, End: len(tt.text)})
			checkSentences(t, tt.text, document.Span{Start: 0, End: len(tt.text)}, spans)
			if len(spans) < 2 {
				t.Fatalf("a %d-byte sentence gave %d pieces", len(tt.text), len(spans))
			}
			for _, s := range spans[:len(spans)-1] {
				piece := tt.text[s.Start:s.End]
				if !strings.HasSuffix(piece, tt.end) {
					t.Errorf("piece ends %q, want a cut after %q", piece[len(piece)-10:], tt.end)
				}
				if s.Len() < document.MaxCitationBytes/4 {
					t.Errorf("piece of %d bytes is a sliver", s.Len())
				}
			}
		})
	}
}

func TestSplitSentencesSeeds(t *testing.T) {
	for _, doc := range testdocs.Seeds(t) {
		spans := SplitSentences(doc.Text, document.Span{Start: 0, End: len(doc.Text)})
		checkSentences(t, doc.Text, document.Span{Start: 0, End: len(doc.Text)}, spans)
	}
}

// checkSentences checks what SplitSentences promises: spans in order,
// inside the range, trimmed, at most 800 bytes, within a paragraph (lines
// may be joined, blank lines never), not cutting a rune, and together covering every non-space byte of the range.
func checkSentences(t testing.TB, text string, within document.Span, spans []document.Span) {
	t.Helper()
	s, e := clampSpan(len(text), within)
	runeAligned := utf8.ValidString(text) && (s == len(text) || utf8.RuneStart(text[s])) && (e == len(text) || utf8.RuneStart(text[e]))
	prev := s
	covered := make([]bool, len(text))
	for i, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > e {
			t.Fatalf("sentence %d %v out of order or outside %d..%d (previous end %d)", i, sp, s, e, prev)
		}
		prev = sp.End
		x := text[sp.Start:sp.End]
		if sp.Len() > document.MaxCitationBytes {
			t.Errorf("sentence %d is %d bytes, over %d", i, sp.Len(), document.MaxCitationBytes)
		}
		if crossesParagraph(x) {
			t.Errorf("sentence %d %q crosses a blank line", i, x)
		}
		if r, _ := utf8.DecodeRuneInString(x); IsSpaceRune(r) {
			t.Errorf("sentence %d %q starts with space", i, x)
		}
		if r, _ := utf8.DecodeLastRuneInString(x); IsSpaceRune(r) {
			t.Errorf("sentence %d %q ends with space", i, x)
		}
		if runeAligned && !utf8.ValidString(x) {
			t.Errorf("sentence %d %v cuts a rune: %q", i, sp, x)
		}
		for p := sp.Start; p < sp.End; p++ {
			covered[p] = true
		}
	}
	for p := s; p < e; {
		r, n := utf8.DecodeRuneInString(text[p:e])
		if !IsSpaceRune(r) {
			for q := p; q < p+n; q++ {
				if !covered[q] {
					t.Fatalf("byte %d (%q) not in any sentence", q, text[p:p+n])
				}
			}
		}
		p += n
	}
}

// crossesParagraph reports whether x holds a blank line.
func crossesParagraph(x string) bool {
	for {
		i := strings.IndexByte(x, '\n')
		if i < 0 {
			return false
		}
		x = x[i+1:]
		rest := strings.TrimLeftFunc(x, func(r rune) bool { return r != '\n' && IsSpaceRune(r) })
		if strings.HasPrefix(rest, "\n") {
			return true
		}
	}
}

func FuzzSplitSentences(f *testing.F) {
	f.Add("One. Two! T.A. Polyakova, p. 140. 3.1. The end… «Да.» Это т.е. так.", 0, 1000)
	f.Add("security.Today, the\r\nFirst Peer Review\r\n\uFEFFx", 2, 30)
	f.Add(strings.Repeat("яx, ", 400), 1, 1599)
	f.Add("\xff\xfe. A\xe2\x80. B", 0, 12)
	f.Add("The Union State of the Republic of Belarus and the Russian\nFederation signed it on\r\nJanuary 5, 2012. It\n- item\n| a | b |\n\nx", 3, 200)
	for _, doc := range testdocs.Seeds(f) {
		f.Add(doc.Text[:2000], 0, 2000)
		f.Add(testdocs.Fold(doc.Text[:2000], 72), 100, 1900)
	}
	f.Fuzz(func(t *testing.T, text string, a, b int) {
		spans := SplitSentences(text, document.Span{Start: a, End: b})
		checkSentences(t, text, document.Span{Start: a, End: b}, spans)
		// Hard-wrapped, the text still splits within the promises.
		folded := testdocs.Fold(text, 20+(a%60+60)%60)
		checkSentences(t, folded, document.Span{Start: a, End: b}, SplitSentences(folded, document.Span{Start: a, End: b}))
		// Splitting from any sentence start gives the same sentences.
		if len(spans) > 0 {
			k := (a%len(spans) + len(spans)) % len(spans)
			from := document.Span{Start: spans[k].Start, End: spans[len(spans)-1].End}
			if got := SplitSentences(text, from); !slices.Equal(got, spans[k:]) {
				t.Errorf("from sentence %d: got %v, want %v", k, got, spans[k:])
			}
		}
	})
}

func BenchmarkSplitSentences(b *testing.B) {
	text := testdocs.Seed(b, "000_a724e28377c96891.txt")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		SplitSentences(text, document.Span{Start: 0, End: len(text)})
	}
}
