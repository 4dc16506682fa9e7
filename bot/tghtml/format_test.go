package tghtml

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"citebot/answer"
	"citebot/bot/tghtml/tghtmltest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// visible is the text html shows: tags stripped, entities decoded. It
// expects well-formed html.
func visible(html string) string {
	var b strings.Builder
	for i := 0; i < len(html); {
		switch html[i] {
		case '<':
			i += strings.IndexByte(html[i:], '>') + 1
		case '&':
			j := strings.IndexByte(html[i:], ';')
			switch html[i : i+j+1] {
			case "&amp;":
				b.WriteByte('&')
			case "&lt;":
				b.WriteByte('<')
			case "&gt;":
				b.WriteByte('>')
			case "&quot;":
				b.WriteByte('"')
			}
			i += j + 1
		default:
			b.WriteByte(html[i])
			i++
		}
	}
	return b.String()
}

// noSpace drops whitespace and turns invalid bytes into U+FFFD.
func noSpace(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkSplit checks Split's messages for blocks: each non-empty, within limit,
// well-formed, and together showing all the blocks' text in order, but for
// whitespace.
func checkSplit(blocks []Block, limit int, msgs []string) error {
	var want, got strings.Builder
	for _, b := range blocks {
		for _, sp := range b.Spans {
			want.WriteString(noSpace(sp.Text))
		}
	}
	for i, m := range msgs {
		if strings.TrimSpace(visible(m)) == "" {
			return fmt.Errorf("message %d shows nothing: %q", i, m)
		}
		if n := tghtmltest.UTF16Len(m); n > limit {
			return fmt.Errorf("message %d has %d UTF-16 units, limit %d", i, n, limit)
		}
		if err := tghtmltest.WellFormed(m); err != nil {
			return fmt.Errorf("message %d: %v\n%q", i, err, m)
		}
		got.WriteString(noSpace(visible(m)))
	}
	if g, w := got.String(), want.String(); g != w {
		k := 0
		for k < len(g) && k < len(w) && g[k] == w[k] {
			k++
		}
		return fmt.Errorf("visible text differs at byte %d of %d (want %d): got …%q…, want …%q…",
			k, len(g), len(w), g[max(0, k-20):min(len(g), k+20)], w[max(0, k-20):min(len(w), k+20)])
	}
	return nil
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"&", "&amp;"},
		{"<", "&lt;"},
		{">", "&gt;"},
		{`"`, `"`},
		{"'", "'"},
		{"&amp;", "&amp;amp;"},
		{"<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"},
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"Привет & 你好 <😀>", "Привет &amp; 你好 &lt;😀&gt;"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"\xe2\x82", "\uFFFD\uFFFD"},
		{"line\nbreak\ttab", "line\nbreak\ttab"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if err := tghtmltest.WellFormed(Escape(tt.in)); err != nil {
			t.Errorf("Escape(%q): %v", tt.in, err)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"  spaced \n\n out\ttext  ", 100, "spaced out text"},
		{"The quick brown fox jumps over the lazy dog", 20, "The quick brown fox…"},
		{"The quick brown fox jumps over the lazy dog", 19, "The quick brown…"},
		{"The quick brown fox, jumps over", 21, "The quick brown fox…"},
		{"Supercalifragilisticexpialidocious", 10, "Supercali…"},
		{"a Supercalifragilisticexpialidocious", 10, "a Superca…"},
		{"Привет мир, как дела", 12, "Привет мир…"},
		{"😀😀😀😀😀", 3, "😀😀…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 5, ""},
	}
	for _, tt := range tests {
		got := Quote(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Quote(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > max(tt.n, 0) {
			t.Errorf("Quote(%q, %d) has %d runes", tt.in, tt.n, n)
		}
	}
}

func TestLineRange(t *testing.T) {
	en := Labels{Line: "line", Lines: "lines"}
	ru := Labels{Line: "строка", Lines: "строки"}
	tests := []struct {
		l    Labels
		a, b int
		want string
	}{
		{en, 5, 5, "line 5"},
		{en, 5, 9, "lines 5–9"},
		{en, 5, 3, "line 5"},
		{en, 0, 3, ""},
		{ru, 12, 14, "строки 12–14"},
		{Labels{}, 1, 2, "lines 1–2"},
		{Labels{}, 7, 7, "line 7"},
	}
	for _, tt := range tests {
		if got := tt.l.LineRange(tt.a, tt.b); got != tt.want {
			t.Errorf("%+v.LineRange(%d, %d) = %q, want %q", tt.l, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLocation(t *testing.T) {
	ru := Labels{Line: "строка", Lines: "строки", Page: "стр."}
	tests := []struct {
		l          Labels
		page, a, b int
		want       string
	}{
		{Labels{}, 0, 5, 9, "lines 5–9"},
		{Labels{}, 3, 41, 41, "p. 3, line 41"},
		{ru, 2, 5, 9, "стр. 2, строки 5–9"},
		{Labels{}, 4, 0, 0, "p. 4"},
		{Labels{}, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		if got := tt.l.Location(tt.page, tt.a, tt.b); got != tt.want {
			t.Errorf("Location(%d, %d, %d) = %q, want %q", tt.page, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestBlockHTML(t *testing.T) {
	tests := []struct {
		b    Block
		want string
	}{
		{Block{}, ""},
		{Block{Spans: []Span{{Text: "a<b", Style: "b"}}}, "<b>a&lt;b</b>"},
		{Block{Spans: []Span{{Text: "x"}, {Text: "", Style: "i"}, {Text: "q&", Style: "blockquote"}}}, "x<blockquote>q&amp;</blockquote>"},
		{Block{Spans: []Span{{Text: "s", Style: "script"}}}, "s"},
		{Block{Spans: []Span{{Text: "c", Style: "code"}, {Text: "p", Style: "pre"}, {Text: "t", Style: "tg-spoiler"}}}, "<code>c</code><pre>p</pre><tg-spoiler>t</tg-spoiler>"},
	}
	for _, tt := range tests {
		got := tt.b.HTML()
		if got != tt.want {
			t.Errorf("%+v.HTML() = %q, want %q", tt.b, got, tt.want)
		}
		if err := tghtmltest.WellFormed(got); err != nil {
			t.Errorf("%+v.HTML(): %v", tt.b, err)
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n\n  \n", nil},
		{"one", []string{"one"}},
		{"one\ntwo", []string{"one\ntwo"}},
		{"one\n\ntwo", []string{"one", "two"}},
		{"\n  indented\nline  \n \t \n\n\nnext <&>\n", []string{"  indented\nline  ", "next <&>"}},
		{"a\r\n\r\nb", []string{"a\r", "b"}},
	}
	for _, tt := range tests {
		blocks := Plain(tt.in, "i")
		var got []string
		for _, b := range blocks {
			if len(b.Spans) != 1 || b.Spans[0].Style != "i" {
				t.Errorf("Plain(%q): block %+v", tt.in, b)
			}
			got = append(got, b.Spans[0].Text)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
			t.Errorf("Plain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// sampleAnswer is a realistic answer with two citations, one with a title
// holding "<script>" and "&" and a quote holding "<b>".
func sampleAnswer() answer.Answer {
	return answer.Answer{
		Question: "When did the SCO agreement come into effect, and who signed it?",
		Answer:   "The agreement came into effect on January 5, 2012 [1]. It was signed by the six member states & two observers [2].",
		Found:    true,
		Mode:     answer.ModeExtractive,
		Citations: []answer.Citation{
			{N: 1, Document: "001_8b87d517e2a49063.txt", Title: "The Role of the SCO in Regional Security",
				Start: 10234, End: 10519, LineStart: 60, LineEnd: 60,
				Quote: "The agreement on cooperation came into effect on January 5, 2012,\nafter ratification by all parties; it binds the members to exchange information on <b>threats</b> and to hold joint exercises every two years.",
				Score: 0.83},
			{N: 2, Document: "reports/2012 Q&A.md", Title: "<script>alert('x')</script> Treaties & Signatories",
				Start: 200, End: 390, LineStart: 12, LineEnd: 14,
				Quote: "Signed by: <b>Kazakhstan</b>, China, Kyrgyzstan, Russia, Tajikistan & Uzbekistan; observers <i>Mongolia</i> and India.",
				Score: 0.71},
		},
		Passages:   []answer.Passage{{Rank: 1, Document: "001_8b87d517e2a49063.txt", Title: "x", Text: "y"}},
		Confidence: 0.874,
		TookMS:     3,
	}
}

func sampleRefusal() answer.Answer {
	return answer.Answer{
		Question:   "What is the capital of Atlantis?",
		Answer:     "The documents do not say what the capital of Atlantis is.",
		Found:      false,
		Confidence: 0.12, // how near the closest sentence came: not shown
		Mode:       answer.ModeExtractive,
		Passages: []answer.Passage{
			{Rank: 1, Document: "myths/atlantis.txt", Title: "Plato & the <Lost> City", LineStart: 3, LineEnd: 9,
				Text: "Atlantis is a fictional island mentioned in Plato's works Timaeus and Critias,\n\nwhere it represents the antagonist naval power that besieges \"Ancient Athens\"."},
			{Rank: 2, Document: "notes.md", Title: "", LineStart: 1, LineEnd: 1, Text: "Capitals: see the atlas."},
			{Rank: 3, Document: "geo/capitals.csv", Title: "Capitals", LineStart: 0, Text: "city,country"},
			{Rank: 4, Document: "unused.txt", Title: "Not shown", LineStart: 1, LineEnd: 2, Text: "never rendered"},
		},
	}
}

func TestAnswerGolden(t *testing.T) {
	labels := Labels{Sources: "Sources", Lines: "lines", Line: "line", Closest: "Closest passages", Confidence: "Confidence"}
	tests := []struct {
		name string
		a    answer.Answer
	}{
		{"answer_found", sampleAnswer()},
		{"answer_refusal", sampleRefusal()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := Answer(tt.a, labels, 120)
			var got strings.Builder
			for i, b := range blocks {
				fmt.Fprintf(&got, "--- block %d ---\n%s\n", i, b.HTML())
			}
			msgs := Split(blocks, 4096)
			for i, m := range msgs {
				fmt.Fprintf(&got, "=== message %d ===\n%s\n", i, m)
			}
			if err := checkSplit(blocks, 4096, msgs); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.name+".golden")
			if *updateGolden {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("Answer output differs from %s (run with -update to accept):\ngot:\n%s\nwant:\n%s", path, got.String(), want)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	a := sampleAnswer()
	blocks := Answer(a, Labels{}, 40)
	if len(blocks) != 3 {
		t.Fatalf("got %d blocks, want 3", len(blocks))
	}
	html := blocks[0].HTML()
	for _, want := range []string{"<b>[1]</b>", "<b>[2]</b>", "states &amp; two"} {
		if !strings.Contains(html, want) {
			t.Errorf("answer block %q lacks %q", html, want)
		}
	}
	for i, want := range []string{
		"<b>Sources</b>\n[1] <b>The Role of the SCO in Regional Security</b>\n<i>001_8b87d517e2a49063.txt</i>, line 60\n<blockquote>The agreement on cooperation came into…</blockquote>",
		"[2] <b>&lt;script&gt;alert('x')&lt;/script&gt; Treaties &amp; Signatories</b>\n<i>reports/2012 Q&amp;A.md</i>, lines 12–14\n<blockquote>Signed by: &lt;b&gt;Kazakhstan&lt;/b&gt;, China…</blockquote>\n<i>Confidence: 87%</i>",
	} {
		if got := blocks[i+1].HTML(); got != want {
			t.Errorf("citation block %d = %q, want %q", i, got, want)
		}
	}

	// Markers of no citation stay plain; no quotes when quoteChars is 0.
	a.Answer = "In [2012] the treaty [1] was signed."
	a.Citations = a.Citations[:1]
	blocks = Answer(a, Labels{Sources: "Источники"}, 0)
	if got, want := blocks[0].HTML(), "In [2012] the treaty <b>[1]</b> was signed."; got != want {
		t.Errorf("answer block = %q, want %q", got, want)
	}
	if got := blocks[1].HTML(); strings.Contains(got, "blockquote") || !strings.HasPrefix(got, "<b>Источники</b>\n") {
		t.Errorf("citation block = %q", got)
	}
	if got, want := Answer(a, Labels{Confidence: "Уверенность"}, 0)[1].HTML(), "\n<i>Уверенность: 87%</i>"; !strings.HasSuffix(got, want) {
		t.Errorf("Russian citation block = %q, want it to end with %q", got, want)
	}

	// A model-written answer has no confidence (0): none is shown.
	a.Mode, a.Confidence = answer.ModeGenerative, 0
	for _, b := range Answer(a, Labels{}, 40) {
		if strings.Contains(b.HTML(), "Confidence") {
			t.Errorf("generative answer shows a confidence: %q", b.HTML())
		}
	}

	// A refusal shows at most three passages, and no confidence; no title
	// falls back to the file.
	blocks = Answer(sampleRefusal(), Labels{}, 30)
	if len(blocks) != 4 {
		t.Fatalf("refusal: got %d blocks, want 4", len(blocks))
	}
	for _, b := range blocks {
		if strings.Contains(b.HTML(), "Confidence") || strings.Contains(b.HTML(), "%") {
			t.Errorf("refusal shows a confidence: %q", b.HTML())
		}
	}
	if got, want := blocks[2].HTML(), "• <b>notes.md</b>, line 1\n<blockquote>Capitals: see the atlas.</blockquote>"; got != want {
		t.Errorf("refusal passage 2 = %q, want %q", got, want)
	}
	if got, want := blocks[3].HTML(), "• <b>Capitals</b> — <i>geo/capitals.csv</i>\n<blockquote>city,country</blockquote>"; got != want {
		t.Errorf("refusal passage 3 = %q, want %q", got, want)
	}

	// Nothing to say, nothing to send.
	if got := Split(Answer(answer.Answer{Found: true}, Labels{}, 100), 4096); len(got) != 0 {
		t.Errorf("empty answer gave messages %q", got)
	}
}

func TestConfidenceLine(t *testing.T) {
	for _, tt := range []struct {
		c    float64
		l    Labels
		want string
	}{
		{0.874, Labels{}, "Confidence: 87%"},
		{0.875, Labels{Confidence: "Уверенность"}, "Уверенность: 88%"},
		{1, Labels{Confidence: "Confidence"}, "Confidence: 100%"},
		{0.004, Labels{}, "Confidence: 1%"}, // above 0 never reads as none
		{0, Labels{}, "Confidence: 0%"},
		{1.5, Labels{}, "Confidence: 100%"},
	} {
		if got := tt.l.ConfidenceLine(tt.c); got != tt.want {
			t.Errorf("ConfidenceLine(%v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// prose makes about n characters of sentences.
func prose(n int) string {
	words := []string{"the", "agreement", "came", "into", "effect", "after", "ratification", "by", "all", "member", "states", "of", "organization", "and", "observers"}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		w := words[(i*7+i/3)%len(words)]
		if i%11 == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		if i%11 == 10 {
			b.WriteString(". ")
		} else {
			b.WriteString(" ")
		}
	}
	return strings.TrimSpace(b.String()) + "."
}

func TestSplit(t *testing.T) {
	long := prose(20000)
	word := strings.Repeat("abcdefghij", 1000)
	emoji := strings.Repeat("😀👨\u200d👩\u200d👧🇺🇦🇩🇪👍🏽e\u0301", 800)
	ents := strings.Repeat("&<>", 3000)
	small := func(s string) Block { return Block{Spans: []Span{{Text: s}}} }
	tests := []struct {
		name   string
		blocks []Block
		limit  int
		want   int // messages; 0: do not check
		check  func(t *testing.T, msgs []string)
	}{
		{name: "none", blocks: nil, limit: 4096, want: 0, check: func(t *testing.T, msgs []string) {
			if msgs != nil {
				t.Errorf("got %q", msgs)
			}
		}},
		{name: "blank blocks", blocks: []Block{{}, small(" \n "), {Spans: []Span{{Text: "", Style: "b"}}}}, limit: 4096, check: func(t *testing.T, msgs []string) {
			if len(msgs) != 0 {
				t.Errorf("got %q", msgs)
			}
		}},
		{name: "one", blocks: []Block{small("hi")}, limit: 4096, want: 1},
		{name: "packed", blocks: []Block{small("a"), {Spans: []Span{{Text: "b", Style: "b"}}}, small("c")}, limit: 4096, want: 1, check: func(t *testing.T, msgs []string) {
			if msgs[0] != "a\n\n<b>b</b>\n\nc" {
				t.Errorf("got %q", msgs[0])
			}
		}},
		{name: "blocks kept whole", blocks: []Block{small(strings.Repeat("x", 40)), small(strings.Repeat("y", 40)), small(strings.Repeat("z", 40))}, limit: 84, want: 2, check: func(t *testing.T, msgs []string) {
			if msgs[0] != strings.Repeat("x", 40)+"\n\n"+strings.Repeat("y", 40) || msgs[1] != strings.Repeat("z", 40) {
				t.Errorf("got %q", msgs)
			}
		}},
		{name: "exact fit", blocks: []Block{small(strings.Repeat("x", 4096))}, limit: 4096, want: 1},
		{name: "one over", blocks: []Block{small(strings.Repeat("x", 4097))}, limit: 4096, want: 2},
		{name: "prose", blocks: []Block{small(long)}, limit: 4096, want: 5, check: func(t *testing.T, msgs []string) {
			for i, m := range msgs[:len(msgs)-1] {
				if !strings.HasSuffix(m, ".") || tghtmltest.UTF16Len(m) < 2048 {
					t.Errorf("message %d (%d units) is not cut at a sentence end in its second half: …%q", i, tghtmltest.UTF16Len(m), m[len(m)-20:])
				}
			}
		}},
		{name: "styled prose", blocks: []Block{{Spans: []Span{{Text: long[:7000], Style: "blockquote"}, {Text: long[7000:9000], Style: "b"}, {Text: long[9000:]}}}}, limit: 4096, want: 5},
		{name: "paragraphs", blocks: []Block{small("intro"), small(prose(3000) + "\n\n" + prose(3000) + "\n \n" + prose(100))}, limit: 4096, want: 2, check: func(t *testing.T, msgs []string) {
			if !strings.HasPrefix(msgs[0], "intro\n\n") || strings.Count(msgs[0], "\n\n") != 1 || strings.Count(msgs[1], "\n\n") != 1 {
				t.Errorf("paragraphs not packed as blocks: %q", msgs)
			}
		}},
		{name: "word", blocks: []Block{small(word)}, limit: 4096, want: 3},
		{name: "word in code", blocks: []Block{{Spans: []Span{{Text: "see ", Style: ""}, {Text: word, Style: "code"}}}}, limit: 4096, want: 3, check: func(t *testing.T, msgs []string) {
			for _, m := range msgs[1:] {
				if !strings.HasPrefix(m, "<code>") {
					t.Errorf("piece not re-wrapped: %q…", m[:20])
				}
			}
		}},
		{name: "emoji", blocks: []Block{small(emoji)}, limit: 4096, check: func(t *testing.T, msgs []string) {
			if len(msgs) < 5 {
				t.Errorf("got %d messages", len(msgs))
			}
			for i, m := range msgs {
				first, _ := utf8.DecodeRuneInString(m)
				last, _ := utf8.DecodeLastRuneInString(m)
				if extend(first) || last == 0x200D {
					t.Errorf("message %d cuts a grapheme: starts %U, ends %U", i, first, last)
				}
				if k := strings.Count(m, "🇺🇦") + strings.Count(m, "🇩🇪"); k*2 != countRegional(m) {
					t.Errorf("message %d cuts a flag", i)
				}
			}
		}},
		{name: "entities", blocks: []Block{small(ents)}, limit: 4096, want: 10},
		{name: "entities small limit", blocks: []Block{{Spans: []Span{{Text: ents[:300], Style: "tg-spoiler"}}}}, limit: 64, check: func(t *testing.T, msgs []string) {
			if len(msgs) < 30 {
				t.Errorf("got %d messages", len(msgs))
			}
		}},
		{name: "tiny limit raised", blocks: []Block{small(word[:500])}, limit: 1, want: 8},
		{name: "mixed", blocks: append(Answer(sampleAnswer(), Labels{}, 200), small(long), small(emoji), small(ents), small(word)), limit: 4096},
		{name: "many spans", blocks: []Block{fuzzBlock(strings.Repeat("ab |&", 20000), 1, 0)}, limit: 64},
		{name: "invalid bytes across spans", blocks: []Block{{Spans: []Span{{Text: "ab \xd1", Style: "b"}, {Text: "\xae" + word[:200], Style: "i"}}}}, limit: 88},
		{name: "invalid utf8", blocks: []Block{small(strings.Repeat("a\xffb\xe2\x82 ", 2000))}, limit: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := Split(tt.blocks, tt.limit)
			if err := checkSplit(tt.blocks, max(tt.limit, 64), msgs); err != nil {
				t.Fatal(err)
			}
			if tt.want > 0 && len(msgs) != tt.want {
				t.Errorf("got %d messages, want %d", len(msgs), tt.want)
			}
			if tt.check != nil {
				tt.check(t, msgs)
			}
		})
	}
}

func countRegional(s string) int {
	n := 0
	for _, r := range s {
		if regional(r) {
			n++
		}
	}
	return n
}

// TestSplitPlainExact checks that a passage that fits is sent exactly.
func TestSplitPlainExact(t *testing.T) {
	text := "Title & <intro>\n  indented line\n\nSecond paragraph: a < b > c.\n"
	msgs := Split(Plain(text, ""), 4096)
	want := "Title &amp; &lt;intro&gt;\n  indented line\n\nSecond paragraph: a &lt; b &gt; c."
	if len(msgs) != 1 || msgs[0] != want {
		t.Errorf("got %q, want [%q]", msgs, want)
	}
}

func BenchmarkSplit(b *testing.B) {
	blocks := append(Answer(sampleAnswer(), Labels{}, 200), Plain(prose(20000), "")...)
	for b.Loop() {
		Split(blocks, 4096)
	}
}
