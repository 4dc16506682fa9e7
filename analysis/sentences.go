package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"citebot/document"
)

// SplitSentences returns the sentences of text[within.Start:within.End] as
// spans with offsets into text, in order, each trimmed of surrounding
// whitespace; together they cover every non-space byte of the range.
//
// The splitter is a hand-written scanner rather than a set of regular
// expressions because it runs over every byte of every document at index
// time, and because its exceptions (initials, abbreviations, numbered
// headings) need context on both sides of the period that regular
// expressions express badly.
//
// A hard line break ends a sentence. A soft one, where a hard-wrapped
// paragraph (a .txt folded at 72 columns, the lines of a PDF page, a wrapped
// Markdown paragraph) goes on on the next line, is whitespace like any
// other, so that a sentence of the text is one span however its lines were
// wrapped: spans stay exact bytes of the text and may then hold '\n'.
// wraps.soft says which breaks are soft; in line-oriented documents such as
// the seeds (one paragraph, heading or reference per line) none is, since a
// span across such lines would glue a heading or a title to the text under
// it. Within a run of lines a sentence
// ends at . ! ? or … (plus closing quotes and brackets) followed by
// whitespace and something that can start a sentence: an upper-case letter,
// a digit, an opening quote or bracket. Initials ("T.A. Polyakova"),
// abbreviations ("p. 140", "e.g.", "et al.", "т.е.", "г."), decimals and
// numbered heading prefixes ("3.1. The …") do not end sentences; a period
// glued between a lower-case word and a capitalised one ("security.Today")
// does, since such run-ons are common in text pasted from PDFs. A sentence
// longer than 800 bytes is cut at the last ';', ':', ',' or space that keeps
// the piece within 800 bytes, never inside a UTF-8 sequence.
func SplitSentences(text string, within document.Span) []document.Span {
	s, e := clampSpan(len(text), within)
	out := make([]document.Span, 0, (e-s)/120+1)
	w := Wraps{Text: text}
	// A range may start mid-line or mid-paragraph (a chunk that is a window
	// of sentences); what precedes it in its run of lines still decides
	// whether "12." opens a numbered line or ends a sentence, and which
	// breaks are soft depends on the text alone, never on the range, so the
	// sentences of a chunk are the sentences of the document.
	ls := strings.LastIndexByte(text[:s], '\n') + 1
	ctx := w.runStart(ls)
	for s < e {
		le := w.runEnd(ls, e)
		out = splitLine(text, ctx, s, le, out)
		s = le + 1
		ls, ctx = s, s
	}
	return out
}

// clampSpan keeps a caller's span inside the text, so a stale or hostile span
// yields fewer sentences instead of a panic.
func clampSpan(n int, sp document.Span) (int, int) {
	s, e := sp.Start, sp.End
	if s < 0 {
		s = 0
	}
	if s > n {
		s = n
	}
	if e > n {
		e = n
	}
	if e < s {
		e = s
	}
	return s, e
}

// Bounds on a wrap width, in columns. Nobody hard-wraps prose wider than
// maxWrapColumns, so a block with longer lines is line-oriented text (a
// paragraph per line) whose lines merely happen to be of similar length.
// In a block narrower than minWrapColumns (menus, front matter, a column
// of figures) a line and a word fill the width by chance.
const (
	minWrapColumns = 40
	maxWrapColumns = 200
)

// Wraps decides which line breaks of a text are soft, that is, inside a
// hard-wrapped paragraph. A break is hard when either side is blank, when
// either line is a boundary line (a Markdown ATX heading, a setext
// underline or thematic break, a code fence, a table row) or when the next
// line opens an item (a list item, a numbered heading, a quote). Otherwise
// it is soft when the text shows that the line was wrapped:
//
//   - the next line starts with a lower-case letter, so it goes on with the
//     sentence of this one; or
//   - the line is full: the next line's first word would not have fitted
//     after it (line + space + word > W), where W, the wrap width of the
//     block, is its longest line that holds a space (a single word longer
//     than the width, an address, overflows the margin rather than sets
//     it). A block is the run of lines between blank and boundary lines.
//     W counts only when the block looks wrapped: at least two, and at
//     least half, of its lines that have a next line in the block (one
//     that opens no item) are full; a width that one line sets alone is a
//     title's or an affiliation's, not a margin. W must also lie within
//     minWrapColumns..maxWrapColumns. A block too short to show a width
//     (a paragraph of two lines) takes that of the block next to it, when
//     only blank lines lie between them: the paragraphs of one text are
//     wrapped alike.
//
// Lines are measured in runes, as columns, with their indentation. A line
// ending in a terminator may be soft as well: the break is then whitespace
// and the usual rules decide whether the terminator ends the sentence
// ("Russia.\nThe" does, "p.\n140" and "T.A.\nPolyakova" do not), exactly as
// they would have decided on one line. The decision reads the block around
// the break (and its neighbours) and nothing else, never a statistic of the
// whole document, so a passage split on its own (a chunk's text) splits
// like the same lines in the whole document, bar blocks cut at its edges.
// Headings that only a word list recognises ("Results" on a line of its
// own) are not boundaries here.
type Wraps struct {
	Text string
	// The block last measured, text[bs:be], and its wrap width W in runes,
	// 0 when the block shows none.
	bs, be, width int
}

// Soft reports whether the line break text[nl] ('\n') that ends the line
// starting at ls is a soft wrap.
func (w *Wraps) Soft(ls, nl int) bool {
	text := w.Text
	a, b := TrimSpan(text, ls, nl)
	if a == b || isBoundaryLine(text[a:b]) {
		return false
	}
	c, d := TrimSpan(text, nl+1, lineEnd(text, nl+1))
	if c == d || isBoundaryLine(text[c:d]) || opensItem(text[c:d]) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(text[c:d]); unicode.IsLower(r) {
		return true
	}
	width := w.WidthAt(ls)
	return width > 0 && full(text, ls, b, c, d, width)
}

// full reports whether the line text[ls:b] (b past its last non-space)
// leaves no room for the first word of the next line, trimmed to
// text[c:d], within width columns.
func full(text string, ls, b, c, d, width int) bool {
	word := strings.IndexFunc(text[c:d], IsSpaceRune)
	if word < 0 {
		word = d - c
	}
	return columns(text[ls:b])+1+columns(text[c:c+word]) > width
}

// WidthAt returns the wrap width W of the block holding the content line
// that starts at ls, or 0 when neither it nor a neighbour shows one.
func (w *Wraps) WidthAt(ls int) int {
	if w.bs <= ls && ls < w.be {
		return w.width
	}
	text := w.Text
	bs := blockStart(text, ls)
	be, width := measureBlock(text, bs)
	if width == 0 {
		// A paragraph of two or three lines cannot show its margin; the
		// text around it, set in the same width, can.
		if p := prevBlock(text, bs); p >= 0 {
			_, width = measureBlock(text, blockStart(text, p))
		}
		if p := nextBlock(text, be); width == 0 && p >= 0 {
			_, width = measureBlock(text, p)
		}
	}
	w.bs, w.be, w.width = bs, be, width
	return width
}

// blockStart returns the start of the first line of the block holding the
// content line that starts at ls.
func blockStart(text string, ls int) int {
	for ls > 0 {
		ps := strings.LastIndexByte(text[:ls-1], '\n') + 1
		if a, b := TrimSpan(text, ps, ls-1); a == b || isBoundaryLine(text[a:b]) {
			break
		}
		ls = ps
	}
	return ls
}

// prevBlock returns the start of the last line of the block before the one
// starting at bs, when only blank lines lie between them, or -1.
func prevBlock(text string, bs int) int {
	for bs > 0 {
		ps := strings.LastIndexByte(text[:bs-1], '\n') + 1
		a, b := TrimSpan(text, ps, bs-1)
		if a < b {
			if isBoundaryLine(text[a:b]) {
				return -1
			}
			return ps
		}
		bs = ps
	}
	return -1
}

// nextBlock returns the start of the block after the one ending at be (the
// start of the line after its last), when only blank lines lie between
// them, or -1.
func nextBlock(text string, be int) int {
	for be < len(text) {
		le := lineEnd(text, be)
		a, b := TrimSpan(text, be, le)
		if a < b {
			if isBoundaryLine(text[a:b]) {
				return -1
			}
			return be
		}
		be = le + 1
	}
	return -1
}

// measureBlock returns the end of the block whose first line starts at bs
// (the start of the line after its last) and its wrap width W, or 0 when
// the block does not show one. W is its longest line, not counting lines
// of a single word: a word longer than the width (an address) overflows
// the margin rather than setting it.
func measureBlock(text string, bs int) (be, width int) {
	longest, lines := 0, 0 // lines: those with a next line that opens no item
	be = bs
	for p := bs; p <= len(text); p = be {
		le := lineEnd(text, p)
		a, b := TrimSpan(text, p, le)
		if a == b || (p != bs && isBoundaryLine(text[a:b])) {
			break
		}
		if p != bs && !opensItem(text[a:b]) {
			lines++
		}
		if strings.IndexByte(text[a:b], ' ') >= 0 {
			longest = max(longest, columns(text[p:b]))
		}
		be = le + 1
	}
	if longest < minWrapColumns || longest > maxWrapColumns || lines < 2 {
		return be, 0
	}
	filled := 0
	for p := bs; ; {
		le := lineEnd(text, p)
		if le+1 >= be {
			return be, 0 // the block's last line
		}
		_, b := TrimSpan(text, p, le)
		c, d := TrimSpan(text, le+1, lineEnd(text, le+1))
		if !opensItem(text[c:d]) && full(text, p, b, c, d, longest) {
			if filled++; filled >= 2 && 2*filled >= lines {
				return be, longest
			}
		}
		p = le + 1
	}
}

// runStart returns where the run of soft-wrapped lines holding the line
// that starts at ls begins.
func (w *Wraps) runStart(ls int) int {
	for ls > 0 {
		ps := strings.LastIndexByte(w.Text[:ls-1], '\n') + 1
		if !w.Soft(ps, ls-1) {
			break
		}
		ls = ps
	}
	return ls
}

// runEnd returns the first hard line break at or after the line that
// starts at ls, or e if there is none before e.
func (w *Wraps) runEnd(ls, e int) int {
	for {
		j := strings.IndexByte(w.Text[ls:e], '\n')
		if j < 0 {
			return e
		}
		if !w.Soft(ls, ls+j) {
			return ls + j
		}
		ls += j + 1
	}
}

// columns counts the runes of s, the width it takes in a monospaced text
// (a stray continuation byte takes none), eight ASCII bytes at a time.
func columns(s string) int {
	n, i := 0, 0
	for ; i+8 <= len(s); i += 8 {
		_ = s[i+7]
		if s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7] < utf8.RuneSelf {
			n += 8
			continue
		}
		for _, c := range []byte(s[i : i+8]) {
			if c&0xC0 != 0x80 {
				n++
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// lineEnd returns the index of the '\n' ending the line at p, or len(text).
func lineEnd(text string, p int) int {
	if j := strings.IndexByte(text[p:], '\n'); j >= 0 {
		return p + j
	}
	return len(text)
}

// isBoundaryLine reports whether a trimmed, non-empty line stands apart
// from the lines around it whatever their lengths: a Markdown ATX heading
// ("## Methods"), a setext underline or thematic break ("=====", "---",
// "* * *"), a code fence, or a table row ("| a | b |", "a | b").
func isBoundaryLine(line string) bool {
	switch line[0] {
	case '#':
		n := 1
		for n < len(line) && line[n] == '#' {
			n++
		}
		if n <= 6 && (n == len(line) || line[n] == ' ' || line[n] == '\t') {
			return true
		}
	case '|':
		return true
	case '`', '~':
		if strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~") {
			return true
		}
	case '=', '-', '*', '_':
		marks := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case line[0]:
				marks++
			case ' ', '\t':
			default:
				marks = -len(line)
			}
		}
		if marks >= 3 {
			return true
		}
	}
	// strings.Contains(line, " | "), but looking for the rare '|' first.
	for i := 1; i+1 < len(line); i++ {
		j := strings.IndexByte(line[i:len(line)-1], '|')
		if j < 0 {
			return false
		}
		i += j
		if line[i-1] == ' ' && line[i+1] == ' ' {
			return true
		}
	}
	return false
}

// opensItem reports whether a trimmed, non-empty line starts something of
// its own: a list item ("- ", "* ", "+ ", "• ", "– ", "1. ", "12) ",
// "(a) ", "[3] ", "a) "), a numbered heading ("3.1. The", "IV. Results")
// or a quotation ("> "). Markers that are common inside sentences do not
// count: a year in brackets ("(1996) contains"), a citation followed by
// punctuation ("[9]."), a page number ("4. 62]").
func opensItem(line string) bool {
	switch line[0] {
	case '-', '*', '+', '>':
		return len(line) == 1 || SpaceAt(line, 1)
	case '(', '[':
		// "(1) ", "[12] ", "(a) ", "(iv) ", but not "(1996) " or "[9]."
		digits, letters := 0, 0
		p := 1
		for ; p < len(line); p++ {
			if IsDigitByte(line[p]) {
				digits++
			} else if 'a' <= line[p] && line[p] <= 'z' {
				letters++
			} else {
				break
			}
		}
		if digits > 0 && letters > 0 || digits > 3 || letters > 4 || digits+letters == 0 {
			return false
		}
		return p < len(line) && (line[p] == ')' || line[p] == ']') && SpaceAt(line, p+1)
	}
	if strings.HasPrefix(line, "•") {
		return true
	}
	if strings.HasPrefix(line, "–") || strings.HasPrefix(line, "—") {
		return SpaceAt(line, len("–"))
	}
	if 'a' <= line[0] && line[0] <= 'z' {
		return len(line) > 2 && line[1] == ')' && SpaceAt(line, 2)
	}
	// "1. ", "12) ", and numbered headings: groups of one or two digits
	// joined by periods, then a space and a capital ("3.1. The", "3.1
	// The"). Four digits or more are years or quantities ("2019. The").
	n := 0
	for n < len(line) && IsDigitByte(line[n]) {
		n++
	}
	if n > 0 {
		if n <= 3 && n+1 < len(line) && (line[n] == '.' || line[n] == ')') && SpaceAt(line, n+1) {
			// "4. 62]" goes on with a page reference
			rest := strings.TrimLeftFunc(line[n+1:], IsSpaceRune)
			return rest != "" && !IsDigitByte(rest[0])
		}
		p, dots := 0, 0
		for {
			g := 0
			for p < len(line) && IsDigitByte(line[p]) {
				p++
				g++
			}
			if g == 0 || g > 2 {
				return false
			}
			if p+1 >= len(line) || line[p] != '.' {
				break
			}
			p++
			dots++
			if !IsDigitByte(line[p]) {
				break
			}
		}
		if dots == 0 || !SpaceAt(line, p) {
			return false
		}
		r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(line[p:], IsSpaceRune))
		return unicode.IsUpper(r)
	}
	// "IV. Results"
	q := 0
	for q < len(line) && strings.IndexByte("IVX", line[q]) >= 0 {
		q++
	}
	if q > 0 && q < len(line) && line[q] == '.' && SpaceAt(line, q+1) {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(line[q+1:], IsSpaceRune))
		return unicode.IsUpper(r)
	}
	return false
}

// splitLine appends the sentences of text[ls:le], a run of soft-wrapped
// lines or the end of one (no hard line break inside), whose run starts at
// ctx <= ls.
func splitLine(text string, ctx, ls, le int, out []document.Span) []document.Span {
	ls, le = TrimSpan(text, ls, le)
	if ls >= le {
		return out
	}
	ctx, _ = TrimSpan(text, ctx, ls)
	cur := ls
	for i := ls; i < le; {
		c := text[i]
		if c != '.' && c != '!' && c != '?' && !(c == 0xE2 && isEllipsisAt(text, i, le)) {
			i++
			continue
		}
		end, next, resume := sentenceBreak(text, ctx, i, le)
		if end >= 0 {
			out = appendCapped(out, text, cur, end)
			cur = next
		}
		i = resume
	}
	return appendCapped(out, text, cur, le)
}

// sentenceBreak decides whether the terminator at text[i] ends a sentence
// of the trimmed run of lines text[ls:le]. If it does, the sentence ends at end and
// the next one starts at next; either way scanning resumes at resume (> i).
func sentenceBreak(text string, ls, i, le int) (end, next, resume int) {
	j := i // past the run of terminators: "?!", "...", "…"
	for j < le {
		if c := text[j]; c == '.' || c == '!' || c == '?' {
			j++
		} else if c == 0xE2 && isEllipsisAt(text, j, le) {
			j += 3
		} else {
			break
		}
	}
	k := j // past closing quotes and brackets: `."`, `.)`, `!»`
	for k < le {
		n := closerLen(text, k, le)
		if n == 0 {
			break
		}
		k += n
	}
	if k >= le {
		return -1, -1, le // the hard line break ends the sentence anyway
	}
	// Only a lone period can be an abbreviation or a glued run-on; "?!",
	// "..." and "etc.)" are always real ends when a capital follows.
	lonePeriod := text[i] == '.' && j == i+1 && k == j
	if SpaceLenAt(text, k, le) == 0 {
		if lonePeriod && isRunOn(text, ls, i, le) {
			return i + 1, i + 1, i + 1
		}
		return -1, -1, k
	}
	m := k
	for m < le {
		n := SpaceLenAt(text, m, le)
		if n == 0 {
			break
		}
		m += n
	}
	if !startsSentence(text, m, le) {
		return -1, -1, m
	}
	if lonePeriod && isAbbreviation(text, ls, i, m, le) {
		return -1, -1, m
	}
	return k, m, m
}

// appendCapped appends text[s:e] trimmed, cut into pieces of at most
// maxSentenceBytes so that every sentence fits in one citation.
func appendCapped(out []document.Span, text string, s, e int) []document.Span {
	s, e = TrimSpan(text, s, e)
	for e-s > document.MaxCitationBytes {
		cut, next := bestCut(text, s, s+document.MaxCitationBytes)
		out = append(out, document.Span{Start: s, End: cut})
		s, e = TrimSpan(text, next, e)
	}
	if s < e {
		out = append(out, document.Span{Start: s, End: e})
	}
	return out
}

// bestCut chooses where to cut a sentence that starts at s so that the piece
// ends at or before limit: after the last ';', else ':', else ',' (each
// followed by a space), else before the last space, else at the last rune
// start. Cuts in the first quarter are ignored, so that a stray early comma
// does not leave a sliver of a piece. It returns the piece's end and where
// the rest starts (leading spaces are trimmed by the caller).
func bestCut(text string, s, limit int) (cut, next int) {
	semi, colon, comma, space := -1, -1, -1, -1
	minPos := s + (limit-s)/4
	for p := s; p < limit; {
		c := text[p]
		n := 1
		if c >= utf8.RuneSelf {
			var r rune
			r, n = utf8.DecodeRuneInString(text[p:])
			if p+n <= limit && IsSpaceRune(r) && p >= minPos {
				space = p
			}
			p += n
			continue
		}
		if p >= minPos {
			switch {
			case asciiSpace[c]:
				space = p
			case (c == ';' || c == ':' || c == ',') && p+1 < len(text) && SpaceLenAt(text, p+1, len(text)) > 0:
				switch c {
				case ';':
					semi = p
				case ':':
					colon = p
				default:
					comma = p
				}
			}
		}
		p += n
	}
	for _, q := range []int{semi, colon, comma} {
		if q >= 0 {
			return q + 1, q + 1
		}
	}
	if space >= 0 {
		_, cut = TrimSpan(text, s, space)
		if cut > s {
			return cut, space
		}
	}
	// No space at all: cut before the rune that straddles the limit. Bytes
	// that start no rune within UTFMax of it are not UTF-8 anyway.
	p := limit
	for q := limit; q > limit-utf8.UTFMax && q > s; q-- {
		if utf8.RuneStart(text[q]) {
			p = q
			break
		}
	}
	return p, p
}

// isAbbreviation reports whether the period at text[i], followed by
// whitespace and a sentence starter at text[m], belongs to an initial,
// abbreviation or number rather than ending a sentence.
func isAbbreviation(text string, ls, i, m, le int) bool {
	ws := i
	for ws > ls {
		r, n := utf8.DecodeLastRuneInString(text[ls:ws])
		if !unicode.IsLetter(r) {
			break
		}
		ws -= n
	}
	w := text[ws:i]
	if w == "" {
		if i > ls && IsDigitByte(text[i-1]) {
			ns := i
			for ns > ls && (IsDigitByte(text[ns-1]) || text[ns-1] == '.') {
				ns--
			}
			// "3.1. The" and "12. Smith" open a line as heading or list
			// numbers; "p. 4. 62" is a page reference, not an end, but in
			// "founded in 1999. 2000 was" the year ends the sentence.
			return atLineStart(text, ls, ns) || (i-ns <= 3 && IsDigitByte(text[m]))
		}
		return false
	}
	prevDot := ws > ls && text[ws-1] == '.'
	r0, n0 := utf8.DecodeRuneInString(w)
	if n0 == len(w) { // a single letter
		if unicode.IsUpper(r0) {
			// An initial, unless a lower-case word precedes it and a
			// common sentence opener follows ("vitamin D. The").
			if prevDot || atLineStart(text, ls, ws) {
				return true
			}
			pw := wordBefore(text, ls, ws)
			if pw == "" {
				return true
			}
			pr, _ := utf8.DecodeRuneInString(pw)
			next := wordAt(text, m, le)
			if m+len(next) < le && text[m+len(next)] == '.' {
				return true // another initial: "by A. A. Smirnov"
			}
			return !(unicode.IsLower(pr) && sentenceOpeners[next])
		}
		// "e.g.", "i.e.", "p.", "т.е.", "г." — but "т.д." and "т.п." are the
		// Russian "etc." and end sentences as often as "etc." does.
		if prevDot && (w == "д" || w == "п") && wordBefore(text, ls, ws-1) == "т" {
			return false
		}
		return true
	}
	if atLineStart(text, ls, ws) && isRoman(w) { // "IV. Results"
		return true
	}
	if abbreviations[w] {
		return true
	}
	if w == "al" && wordBefore(text, ls, ws) == "et" {
		return true
	}
	if numberAbbreviations[w] { // "No. 2", "Fig. 3", "Vol. IV", "Jan. 2020"
		return startsNumber(text, m, le)
	}
	return false
}

// isRunOn reports whether the period at text[i], with no space after it,
// glues two sentences: "security.Today, the". It must not fire on
// "U.S.A.", "e.g.The", domains ("un.org"), e-mails or file names.
func isRunOn(text string, ls, i, le int) bool {
	if i == ls || i+1 >= le {
		return false
	}
	r, n := utf8.DecodeLastRuneInString(text[ls:i])
	switch {
	case unicode.IsLower(r):
		letters, p := 1, i-n
		for p > ls {
			r, n = utf8.DecodeLastRuneInString(text[ls:p])
			if !unicode.IsLetter(r) {
				break
			}
			if !unicode.IsLower(r) {
				return false
			}
			letters++
			p -= n
		}
		if letters < 2 {
			return false
		}
	case r == ')' && i-2 >= ls && IsDigitByte(text[i-2]): // "(2023).Information"
	default:
		return false
	}
	r, n = utf8.DecodeRuneInString(text[i+1 : le])
	if !unicode.IsUpper(r) {
		return false
	}
	p, lower := i+1+n, 0
	for p < le {
		r, n = utf8.DecodeRuneInString(text[p:le])
		if !unicode.IsLower(r) {
			break
		}
		lower++
		p += n
	}
	if lower == 0 {
		return false
	}
	if p < le {
		r, _ = utf8.DecodeRuneInString(text[p:le])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".@/_-", r) {
			return false
		}
	}
	// The token before the period must not be part of an address. The scan
	// stops at the first sign of one, which keeps it linear over a line of
	// "ab.Cd,ab.Cd,…".
	ts := i
	for ts > ls && !asciiSpace[text[ts-1]] {
		switch text[ts-1] {
		case '.', '@', '/', ':', '\\':
			return false
		}
		ts--
	}
	return !hasPrefixFold(text[ts:i], "www")
}

// startsSentence reports whether text[m] can open a sentence.
func startsSentence(text string, m, le int) bool {
	c := text[m]
	if c < utf8.RuneSelf {
		return ('A' <= c && c <= 'Z') || IsDigitByte(c) || c == '"' || c == '\'' || c == '(' || c == '[' || c == '{'
	}
	r, _ := utf8.DecodeRuneInString(text[m:le])
	switch r {
	case '“', '„', '«', '‘', '‹', '¿', '¡':
		return true
	}
	return unicode.IsUpper(r) || unicode.IsTitle(r) || unicode.IsDigit(r)
}

// startsNumber reports whether text[m] starts something an abbreviation like
// "No." or "Fig." numbers: digits, "(2)", a Roman numeral or "S1".
func startsNumber(text string, m, le int) bool {
	c := text[m]
	if IsDigitByte(c) {
		return true
	}
	if c == '(' && m+1 < le && IsDigitByte(text[m+1]) {
		return true
	}
	if 'A' <= c && c <= 'Z' && m+1 < le && IsDigitByte(text[m+1]) {
		return true
	}
	p := m
	for p < le && strings.IndexByte("IVXLC", text[p]) >= 0 {
		p++
	}
	return p > m && (p == le || !isLetterByte(text[p]))
}

// isEllipsisAt reports whether text[i:] starts with "…" (U+2026) within le.
func isEllipsisAt(text string, i, le int) bool {
	return i+2 < le && text[i] == 0xE2 && text[i+1] == 0x80 && text[i+2] == 0xA6
}

// closerLen is the byte length of a closing quote or bracket at text[k].
func closerLen(text string, k, le int) int {
	switch c := text[k]; c {
	case '"', '\'', ')', ']', '}':
		return 1
	case 0xC2: // »
		if k+1 < le && text[k+1] == 0xBB {
			return 2
		}
	case 0xE2: // ” ’ ›
		if k+2 < le && text[k+1] == 0x80 && (text[k+2] == 0x9D || text[k+2] == 0x99 || text[k+2] == 0xBA) {
			return 3
		}
	}
	return 0
}

// atLineStart reports whether only list or heading markup precedes pos on
// the trimmed line starting at ls.
func atLineStart(text string, ls, pos int) bool {
	for p := ls; p < pos; p++ {
		switch text[p] {
		case ' ', '\t', '#', '-', '*', '+', '>', '(', '[':
		default:
			return false
		}
	}
	return true
}

// wordBefore returns the run of letters that ends just before pos, after
// skipping spaces, within the line starting at ls.
func wordBefore(text string, ls, pos int) string {
	for pos > ls && asciiSpace[text[pos-1]] {
		pos--
	}
	s := pos
	for s > ls {
		r, n := utf8.DecodeLastRuneInString(text[ls:s])
		if !unicode.IsLetter(r) {
			break
		}
		s -= n
	}
	return text[s:pos]
}

// wordAt returns the run of letters starting at text[m].
func wordAt(text string, m, le int) string {
	p := m
	for p < le {
		r, n := utf8.DecodeRuneInString(text[p:le])
		if !unicode.IsLetter(r) {
			break
		}
		p += n
	}
	return text[m:p]
}

func isRoman(w string) bool {
	for i := 0; i < len(w); i++ {
		if strings.IndexByte("IVXLCDM", w[i]) < 0 {
			return false
		}
	}
	return w != ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func IsDigitByte(c byte) bool { return '0' <= c && c <= '9' }
func isLetterByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= utf8.RuneSelf
}

var asciiSpace = [256]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// IsSpaceRune is the one definition of whitespace for sentences and chunks.
// The byte-order mark counts as space so that a BOM never starts a span.
func IsSpaceRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	return r == '\uFEFF' || unicode.IsSpace(r)
}

// SpaceLenAt returns the byte length of the whitespace rune at text[p], or 0.
func SpaceLenAt(text string, p, le int) int {
	c := text[p]
	if c < utf8.RuneSelf {
		if asciiSpace[c] {
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(text[p:le])
	if IsSpaceRune(r) {
		return n
	}
	return 0
}

// TrimSpan narrows text[s:e] to exclude leading and trailing whitespace.
func TrimSpan(text string, s, e int) (int, int) {
	for s < e {
		n := SpaceLenAt(text, s, e)
		if n == 0 {
			break
		}
		s += n
	}
	for e > s {
		c := text[e-1]
		if c < utf8.RuneSelf {
			if !asciiSpace[c] {
				break
			}
			e--
			continue
		}
		r, n := utf8.DecodeLastRuneInString(text[s:e])
		if !IsSpaceRune(r) {
			break
		}
		e -= n
	}
	return s, e
}

// abbreviations never end a sentence, whatever follows. Matching is exact:
// capitalised forms are listed where they occur at a sentence start.
var abbreviations = wordSet(
	// titles before names
	"Dr", "Mr", "Mrs", "Ms", "Mme", "Mlle", "Prof", "Rev", "Hon", "Gen", "Col",
	"Capt", "Lt", "Sgt", "St", "Mt", "Jr", "Sr", "Messrs",
	// scholarly shorthand
	"vs", "Vs", "cf", "Cf", "pp", "Pp", "ca", "approx", "Approx", "ibid", "Ibid",
	"viz", "resp", "eds", "ed", "op", "cit", "incl", "esp", "Esp", "etal",
	// Russian: статья, смотри, рисунок, страница, годы, века, имени, улица,
	// и другие, тысяч, миллионов, миллиардов, рублей, например, профессор,
	// академик, доцент, глава, раздел, примечание, редактор, издание,
	// сборник, выпуск, таблица, книга, область, корпус
	"ст", "Ст", "см", "См", "рис", "Рис", "стр", "Стр", "гг", "вв", "им", "ул",
	"др", "тыс", "млн", "млрд", "руб", "коп", "напр", "Напр", "проф", "акад",
	"доц", "гл", "Гл", "разд", "Разд", "прим", "Прим", "ред", "изд", "сб", "вып",
	"табл", "Табл", "кн", "обл", "корп",
)

// numberAbbreviations end no sentence when a number follows ("No. 2",
// "Fig. 3", "Jan. 2020") but may otherwise be ordinary words ("the art.").
var numberAbbreviations = wordSet(
	"No", "Nos", "no", "nos", "Nr", "nr", "Art", "Arts", "art", "Fig", "Figs",
	"fig", "figs", "Vol", "Vols", "vol", "vols", "Ch", "ch", "Chap", "chap",
	"Sec", "Sect", "sec", "sect", "Eq", "Eqs", "eq", "eqs", "Ref", "Refs", "ref",
	"refs", "Tab", "tab", "Suppl", "suppl", "Par", "par", "Para", "para", "Pt",
	"pt", "Ser", "ser", "Iss", "iss",
	"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
)

// sentenceOpeners are words that, after "lower-case word + capital letter +
// period", show the period ends a sentence ("vitamin D. The") rather than
// an initial ("and A. Smirnov").
var sentenceOpeners = wordSet(
	"The", "This", "That", "These", "Those", "There", "They", "Their", "It", "Its",
	"In", "We", "Our", "A", "An", "As", "At", "By", "For", "From", "On", "To",
	"With", "However", "Thus", "Therefore", "Moreover", "Furthermore", "Although",
	"When", "While", "Here", "Such", "Both", "All", "Also", "Finally",
	"Additionally", "Overall", "Similarly", "He", "She", "His", "Her", "Further",
	"Results", "Conclusion", "Conclusions", "Methods", "Background", "Objective",
	"Но", "В", "На", "Это", "Эти", "Однако", "Таким", "При", "По", "Для", "Мы",
	"Он", "Она", "Они", "Так", "Как", "Кроме", "Также",
)

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// SpaceAt reports whether a whitespace rune (a no-break space too, as in
// "1.\u00a0Polyakova") starts at line[p].
func SpaceAt(line string, p int) bool {
	return p < len(line) && SpaceLenAt(line, p, len(line)) > 0
}
