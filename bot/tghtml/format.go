// Package tghtml turns answers into Telegram-HTML messages within
// Telegram's limits: answers become blocks of styled plain text, blocks
// become messages in Telegram's HTML parse mode. It is pure: nothing here
// talks to Telegram or to the network.
//
// Telegram's HTML parse mode allows a handful of tags and needs exactly &, <
// and > escaped; a message holds at most 4,096 UTF-16 code units after entity
// parsing. Split counts the UTF-16 units of the whole HTML string, tags and
// entities included, which is never less than what Telegram counts.
package tghtml

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"citebot/answer"
)

// Escape escapes text for Telegram's HTML parse mode: &, < and > become
// &amp;, &lt; and &gt;. Bytes that are not valid UTF-8 become U+FFFD, which
// Telegram would otherwise reject.
func Escape(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '&' || c == '<' || c == '>' || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean || (utf8.ValidString(s) && !strings.ContainsAny(s, "&<>")) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Labels are the bot's own words in an answer message, in the user's
// language. Empty fields fall back to English.
type Labels struct {
	Sources string // heading above the citations: "Sources"
	Lines   string // a range of lines: "lines" as in "lines 12–14"
	Line    string // one line: "line" as in "line 12"
	Closest string // heading above the closest passages of a refusal: "Closest passages"
	Page    string // a page of a PDF: "p." as in "p. 3"
	// Confidence names the answer model's confidence under the sources:
	// "Confidence" as in "Confidence: 87%".
	Confidence string
}

func (l Labels) withDefaults() Labels {
	if l.Sources == "" {
		l.Sources = "Sources"
	}
	if l.Lines == "" {
		l.Lines = "lines"
	}
	if l.Page == "" {
		l.Page = "p."
	}
	if l.Line == "" {
		l.Line = "line"
	}
	if l.Closest == "" {
		l.Closest = "Closest passages"
	}
	if l.Confidence == "" {
		l.Confidence = "Confidence"
	}
	return l
}

// ConfidenceLine renders a confidence (0–1) for people: "Confidence: 87%".
// Above 0 the percentage is at least 1%, so that a small confidence never
// reads as none.
func (l Labels) ConfidenceLine(c float64) string {
	p := int(math.Round(min(max(c, 0), 1) * 100))
	if p == 0 && c > 0 {
		p = 1
	}
	return l.withDefaults().Confidence + ": " + strconv.Itoa(p) + "%"
}

// LineRange renders a line range for people: "line 5" or "lines 5–9". It is
// empty when a is not a line number (below 1); b below a counts as a.
func (l Labels) LineRange(a, b int) string {
	if a < 1 {
		return ""
	}
	l = l.withDefaults()
	if b <= a {
		return l.Line + " " + strconv.Itoa(a)
	}
	return l.Lines + " " + strconv.Itoa(a) + "–" + strconv.Itoa(b)
}

// Location renders where a span is: its line range, after its page for
// documents with pages ("p. 3, lines 5–9"; page 0 means none).
func (l Labels) Location(page, a, b int) string {
	lines := l.LineRange(a, b)
	if page < 1 {
		return lines
	}
	p := l.withDefaults().Page + " " + strconv.Itoa(page)
	if lines == "" {
		return p
	}
	return p + ", " + lines
}

// Span is a run of plain (unescaped) text in one style.
//
// Style is the Telegram HTML tag that wraps the text: "" (none), "b",
// "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre",
// "blockquote" or "tg-spoiler". Any other style renders as plain text.
type Span struct {
	Text  string
	Style string
}

// Block is one paragraph of a message: a sequence of styled spans of plain
// text. Blocks are never split across messages unless one alone is too long;
// then Split cuts its plain text and re-wraps each piece, so no cut falls
// inside a tag or an entity.
type Block struct {
	Spans []Span
}

// HTML renders one block. Empty spans are left out.
func (b Block) HTML() string {
	var s strings.Builder
	for _, sp := range b.Spans {
		if sp.Text == "" {
			continue
		}
		tag := tagOf(sp.Style)
		if tag != "" {
			s.WriteString("<" + tag + ">")
		}
		s.WriteString(Escape(sp.Text))
		if tag != "" {
			s.WriteString("</" + tag + ">")
		}
	}
	return s.String()
}

// tagOf returns the tag a style renders as, or "" for plain text.
func tagOf(style string) string {
	switch style {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
		"code", "pre", "blockquote", "tg-spoiler":
		return style
	}
	return ""
}

// tagCost is how many UTF-16 units a style's opening and closing tags take.
func tagCost(style string) int {
	if t := tagOf(style); t != "" {
		return 2*len(t) + 5 // "<t>" + "</t>"
	}
	return 0
}

// blank reports whether the block shows nothing but whitespace.
func (b Block) blank() bool {
	for _, sp := range b.Spans {
		if strings.TrimFunc(sp.Text, unicode.IsSpace) != "" {
			return false
		}
	}
	return true
}

// Answer renders an answer as blocks: the answer text (its [n] markers
// kept, in bold), then the Sources heading in bold and one block per citation:
//
//	[n] <b>Title</b>
//	<i>file</i>, lines a–b
//	<blockquote>the quote, cut at a word boundary…</blockquote>
//
// and, when the answer model gave one, the confidence in italics at the end of
// the last citation's block ("<i>Confidence: 87%</i>"). A model-written answer
// has no confidence (0) and shows none; a refusal shows none either, since a
// percentage beside "the documents don't say" would read as doubt about the
// refusal. The heading shares the first citation's block, and the confidence
// the last one's, so that neither stands alone in a message.
//
// For a refusal (a.Found false) the answer text comes first, then, when there
// are passages, the Closest heading and up to ClosestShown passages as
// "• <b>Title</b> — <i>file</i>, lines a–b" with a short quote each.
//
// Quotes are cut to at most quoteChars characters; quoteChars ≤ 0 leaves the
// quotes out.
func Answer(a answer.Answer, l Labels, quoteChars int) []Block {
	l = l.withDefaults()
	var blocks []Block
	cited := make(map[int]bool, len(a.Citations))
	for _, c := range a.Citations {
		cited[c.N] = true
	}
	if text := strings.TrimSpace(a.Answer); text != "" {
		blocks = append(blocks, Block{Spans: markers(text, cited)})
	}
	if a.Found && len(a.Citations) > 0 {
		for i, c := range a.Citations {
			var spans []Span
			if i == 0 {
				spans = append(spans, Span{Text: l.Sources, Style: "b"}, Span{Text: "\n"})
			}
			title, doc := names(c.Title, c.Document)
			spans = append(spans,
				Span{Text: "[" + strconv.Itoa(c.N) + "] "},
				Span{Text: title, Style: "b"})
			if loc := location(doc, l.Location(c.Page, c.LineStart, c.LineEnd)); len(loc) > 0 {
				spans = append(spans, Span{Text: "\n"})
				spans = append(spans, loc...)
			}
			spans = appendQuote(spans, c.Quote, quoteChars)
			if i == len(a.Citations)-1 && a.Confidence > 0 {
				spans = append(spans, Span{Text: "\n"}, Span{Text: l.ConfidenceLine(a.Confidence), Style: "i"})
			}
			blocks = append(blocks, Block{Spans: spans})
		}
		return blocks
	}
	if a.Found {
		return blocks
	}
	for i, p := range a.Passages {
		if i == ClosestShown {
			break
		}
		var spans []Span
		if i == 0 {
			spans = append(spans, Span{Text: l.Closest, Style: "b"}, Span{Text: "\n"})
		}
		title, doc := names(p.Title, p.Document)
		spans = append(spans, Span{Text: "• "}, Span{Text: title, Style: "b"})
		if loc := location(doc, l.Location(p.Page, p.LineStart, p.LineEnd)); len(loc) > 0 {
			if doc != "" {
				spans = append(spans, Span{Text: " — "})
			} else {
				spans = append(spans, Span{Text: ", "})
			}
			spans = append(spans, loc...)
		}
		spans = appendQuote(spans, p.Text, quoteChars)
		blocks = append(blocks, Block{Spans: spans})
	}
	return blocks
}

// ClosestShown is how many closest passages a refusal shows: enough for the
// asker to see where the documents came near, few enough to read at a
// glance. Callers that offer those passages again (as buttons, say) stop at
// the same number.
const ClosestShown = 3

// markers splits answer text into spans, bolding the [n] markers of cited n.
func markers(text string, cited map[int]bool) []Span {
	var spans []Span
	last := 0
	for _, m := range answer.Markers(text) {
		if !cited[m.N] {
			continue
		}
		if last < m.Start {
			spans = append(spans, Span{Text: text[last:m.Start]})
		}
		spans = append(spans, Span{Text: text[m.Start:m.End], Style: "b"})
		last = m.End
	}
	if last < len(text) {
		spans = append(spans, Span{Text: text[last:]})
	}
	return spans
}

// names returns the title and file name to show, on one line each; a missing
// title is replaced by the file name, which is then not repeated.
func names(title, doc string) (string, string) {
	title, doc = oneLine(title), oneLine(doc)
	if title == "" || title == doc {
		return doc, ""
	}
	return title, doc
}

// location renders "<i>file</i>, lines a–b", either part possibly missing.
func location(doc, lines string) []Span {
	var spans []Span
	if doc != "" {
		spans = append(spans, Span{Text: doc, Style: "i"})
	}
	if lines != "" {
		if doc != "" {
			lines = ", " + lines
		}
		spans = append(spans, Span{Text: lines})
	}
	return spans
}

// appendQuote adds a short quote of text in a blockquote on its own line.
func appendQuote(spans []Span, text string, n int) []Span {
	if n <= 0 {
		return spans
	}
	if q := Quote(text, n); q != "" {
		spans = append(spans, Span{Text: "\n"}, Span{Text: q, Style: "blockquote"})
	}
	return spans
}

// oneLine collapses whitespace runs to single spaces and trims the ends.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Quote cuts s to at most n characters (runes), the "…" it adds when cut
// included, at a word boundary when one lies in the second half of the cut
// (else inside the long word); whitespace runs, newlines included, collapse
// to single spaces and the ends are trimmed. n ≤ 0 gives "".
func Quote(s string, n int) string {
	if n <= 0 {
		return ""
	}
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	// Keep n-1 runes, leaving room for the ellipsis.
	end, count := 0, 0
	for count < n-1 {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		count++
	}
	cut := s[:end]
	// A word boundary: the space before the word cut through, or the end of
	// the kept text when the next rune is a space.
	if s[end] != ' ' {
		if sp := strings.LastIndexByte(cut, ' '); sp > 0 && utf8.RuneCountInString(cut[:sp]) >= (n-1)/2 {
			cut = cut[:sp]
		}
	}
	cut = strings.TrimRight(cut, " ,;:")
	return cut + "…"
}

// Plain makes blocks from plain text (a full passage, say): paragraphs
// separated by blank lines become blocks in the given style. Each block's
// text is exactly the paragraph's text, from the start of its first line to
// the end of its last, nothing re-flowed; HTML escapes it.
func Plain(text, style string) []Block {
	var blocks []Block
	start := -1 // start of the current paragraph, -1 when between paragraphs
	end := 0    // end of its last non-blank line
	for i := 0; i <= len(text); {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			j = len(text)
		} else {
			j += i
		}
		if strings.TrimFunc(text[i:j], unicode.IsSpace) == "" {
			if start >= 0 {
				blocks = append(blocks, Block{Spans: []Span{{Text: text[start:end], Style: style}}})
				start = -1
			}
		} else {
			if start < 0 {
				start = i
			}
			end = j
		}
		i = j + 1
	}
	if start >= 0 {
		blocks = append(blocks, Block{Spans: []Span{{Text: text[start:end], Style: style}}})
	}
	return blocks
}

// minLimit is the smallest message size Split works with: room for one
// character in any tag.
const minLimit = 64

// Split packs blocks into messages of at most limit UTF-16 units each (4096
// for Telegram; limits below 64 count as 64), joining blocks with a blank
// line. A block too long for one message is cut at its paragraphs, then at
// line ends, sentence ends (". ", "! ", "? ", "。") and spaces, taking the
// best cut in the second half of a message, and only as a last resort inside
// a word, at a rune boundary that keeps combining marks, emoji sequences and
// flags whole where it can. The whitespace at a cut is dropped. Cuts are made
// in the plain text and each piece is wrapped again, so every message is
// well-formed. Blocks that show only whitespace are left out; no message is
// empty, and no blocks give no messages.
func Split(blocks []Block, limit int) []string {
	if limit < minLimit {
		limit = minLimit
	}
	var (
		msgs []string
		cur  strings.Builder
		n    int // UTF-16 units in cur
	)
	flush := func() {
		if cur.Len() > 0 {
			msgs = append(msgs, cur.String())
			cur.Reset()
			n = 0
		}
	}
	add := func(html string) {
		u := utf16Len(html)
		if cur.Len() > 0 && n+2+u > limit {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
			n += 2
		}
		cur.WriteString(html)
		n += u
	}
	for _, b := range blocks {
		if b.blank() {
			continue
		}
		html := b.HTML()
		if utf16Len(html) <= limit {
			add(html)
			continue
		}
		for _, para := range flatten(b).paragraphs() {
			if para.blank() {
				continue
			}
			html := para.HTML()
			if utf16Len(html) <= limit {
				add(html)
				continue
			}
			pieces := cut(flatten(para), limit)
			for i, p := range pieces {
				add(p.HTML())
				if i < len(pieces)-1 {
					flush() // a cut paragraph goes on in the next message
				}
			}
		}
	}
	flush()
	return msgs
}

// utf16Len counts the UTF-16 code units of s as Telegram does; an invalid
// byte counts as the U+FFFD that Escape makes of it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// runeCost is the UTF-16 length of r once escaped.
func runeCost(r rune) int {
	switch {
	case r == '&':
		return 5
	case r == '<', r == '>':
		return 4
	case r >= 0x10000:
		return 2
	}
	return 1
}

// flat is a block's text in one string, with the byte offset where each span
// ends, so that cuts can be made in the plain text and pieces re-wrapped.
type flat struct {
	text   string
	ends   []int
	styles []string
}

// flatten joins a block's spans. Each span's invalid bytes become U+FFFD
// first, as Escape makes them, so that no rune is decoded across two spans.
func flatten(b Block) flat {
	var f flat
	var s strings.Builder
	for _, sp := range b.Spans {
		s.WriteString(validUTF8(sp.Text))
		f.ends = append(f.ends, s.Len())
		f.styles = append(f.styles, sp.Style)
	}
	f.text = s.String()
	return f
}

// validUTF8 replaces each byte of s that is not valid UTF-8 with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// slice is the block made of the text between byte offsets p and q.
func (f flat) slice(p, q int) Block {
	var b Block
	for i := f.spanAt(p); i < len(f.ends); i++ {
		start := 0
		if i > 0 {
			start = f.ends[i-1]
		}
		if start >= q {
			break
		}
		lo, hi := max(start, p), min(f.ends[i], q)
		if lo < hi {
			b.Spans = append(b.Spans, Span{Text: f.text[lo:hi], Style: f.styles[i]})
		}
	}
	return b
}

// spanAt is the index of the first span ending after byte offset p.
func (f flat) spanAt(p int) int {
	return sort.SearchInts(f.ends, p+1)
}

// paragraphs cuts the block at whitespace runs holding two or more newlines,
// dropping those runs.
func (f flat) paragraphs() []Block {
	var out []Block
	p := 0
	for i := 0; i < len(f.text); {
		r, size := utf8.DecodeRuneInString(f.text[i:])
		if !unicode.IsSpace(r) {
			i += size
			continue
		}
		j, newlines := i, 0
		for j < len(f.text) {
			r, size := utf8.DecodeRuneInString(f.text[j:])
			if !unicode.IsSpace(r) {
				break
			}
			if r == '\n' {
				newlines++
			}
			j += size
		}
		if newlines >= 2 {
			out = append(out, f.slice(p, i))
			p = j
		}
		i = j
	}
	return append(out, f.slice(p, len(f.text)))
}

// Cut tiers, best last.
const (
	tierWord = iota + 1
	tierSentence
	tierLine
)

type cutPoint struct {
	pos  int // byte offset: the piece is text[p:pos]
	cost int // UTF-16 units of the piece up to pos
	tier int
}

// cut cuts one paragraph too long for a message into pieces that each fit.
func cut(f flat, limit int) []Block {
	var out []Block
	s := f.text
	for p := 0; ; {
		p = skipSpace(s, p)
		if p >= len(s) {
			return out
		}
		q, points := f.scan(p, limit)
		b := q
		if q < len(s) {
			b = choose(points, limit, s, p, q)
		}
		if end := trimSpace(s, p, b); end > p {
			if piece := f.slice(p, end); !piece.blank() {
				out = append(out, piece)
			}
		}
		p = b
	}
}

// scan finds how far from p the text fits in limit units, re-wrapped, and
// the cut points on the way.
func (f flat) scan(p, limit int) (int, []cutPoint) {
	s := f.text
	var points []cutPoint
	si, cur := f.spanAt(p), -1 // the span at pos, the last span paid for
	cost := 0
	prev := rune(-1)
	seen := false // a non-space rune is in the piece
	pos := p
	for pos < len(s) {
		for f.ends[si] <= pos {
			si++
		}
		r, size := utf8.DecodeRuneInString(s[pos:])
		space := unicode.IsSpace(r)
		if seen {
			switch {
			case space && !unicode.IsSpace(prev):
				tier := tierWord
				if sentenceEnd(prev) {
					tier = tierSentence
				}
				for j := pos; j < len(s); {
					r, size := utf8.DecodeRuneInString(s[j:])
					if !unicode.IsSpace(r) {
						break
					}
					if r == '\n' {
						tier = tierLine
						break
					}
					j += size
				}
				points = append(points, cutPoint{pos, cost, tier})
			case !space && (prev == '。' || prev == '！' || prev == '？'):
				points = append(points, cutPoint{pos, cost, tierSentence})
			}
		}
		c := runeCost(r)
		if si != cur {
			c += tagCost(f.styles[si])
		}
		if cost+c > limit {
			break
		}
		cost += c
		cur = si
		prev = r
		seen = seen || !space
		pos += size
	}
	if pos == p { // cannot happen with limit ≥ minLimit; make progress anyway
		_, size := utf8.DecodeRuneInString(s[pos:])
		pos += size
	}
	return pos, points
}

func sentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '。', '！', '？':
		return true
	}
	return false
}

// choose picks where to cut text[p:q], q being as far as fits: the best tier
// of cut point in the second half of the message, the last of those; else at
// q, moved back to keep a grapheme whole where it can.
func choose(points []cutPoint, limit int, s string, p, q int) int {
	best := cutPoint{pos: -1}
	for _, c := range points {
		if c.cost*2 >= limit && c.tier >= best.tier {
			best = c
		}
	}
	if best.pos > p {
		return best.pos
	}
	return graphemeCut(s, p, q)
}

// graphemeCut moves a cut at q back over combining marks, zero-width joiners,
// variation selectors, skin tones and half flags, not past p.
func graphemeCut(s string, p, q int) int {
	b := q
	for i := 0; i < 32 && b > p && b < len(s); i++ {
		r, _ := utf8.DecodeRuneInString(s[b:])
		pr, psize := utf8.DecodeLastRuneInString(s[p:b])
		split := extend(r) || pr == 0x200D
		if !split && regional(r) && regional(pr) {
			// Flags are pairs of regional indicators: count those before b.
			k := 0
			for j := b; j > p; {
				r, size := utf8.DecodeLastRuneInString(s[p:j])
				if !regional(r) {
					break
				}
				k++
				j -= size
			}
			split = k%2 == 1
		}
		if !split {
			return b
		}
		b -= psize
	}
	if b > p && b < len(s) {
		return b
	}
	return q
}

func extend(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me) || r == 0x200D ||
		(r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F)
}

func regional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func skipSpace(s string, p int) int {
	for p < len(s) {
		r, size := utf8.DecodeRuneInString(s[p:])
		if !unicode.IsSpace(r) {
			break
		}
		p += size
	}
	return p
}

// trimSpace moves b back over whitespace, not past p.
func trimSpace(s string, p, b int) int {
	for b > p {
		r, size := utf8.DecodeLastRuneInString(s[p:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= size
	}
	return b
}
