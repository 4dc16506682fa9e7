package chunking

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"citebot/analysis"
	"citebot/document"
)

// Version names the chunking rules. An index built by another
// version has different spans, so the indexer re-chunks every document
// when it changes; bump it with any change to chunk or sentence output
// (the golden files in testdata/chunks show such changes).
const Version = "chunk-5"

// Limits on chunk sizes, in bytes.
const (
	// headerMaxBytes is enough for a title, authors, an affiliation and
	// the first sentences of an abstract.
	headerMaxBytes = 600
	// minMaxBytes is the smallest MaxBytes Validate accepts, the CLI's
	// floor from the start: a chunk that small already holds about one
	// sentence, and sentences are never split.
	minMaxBytes = 200
)

// Options controls Split.
type Options struct {
	// MaxBytes is the size up to which short paragraphs are merged and
	// beyond which a paragraph is split; below 800 a single sentence may
	// still exceed it, since a sentence is never split below citation size.
	// Validate accepts 200 to 3,000, the longest passage clients are
	// promised; Split itself reads 0 as 1000 and caps larger sizes
	// at 3,000.
	MaxBytes int
	// Boilerplate matches site chrome, each pattern against one whole line
	// with surrounding whitespace trimmed. Nil means DefaultBoilerplate();
	// an empty non-nil slice turns removal off.
	Boilerplate []*regexp.Regexp
}

// Validate reports the first option Split cannot honour, naming
// it as the config file does (chunk.max_bytes). The size range is the
// one the CLI has always enforced, so 0 is refused although Split
// reads it as the default: a setting should say the size it gets. A nil
// pattern is refused because matching it would panic.
func (o Options) Validate() error {
	if o.MaxBytes < minMaxBytes || o.MaxBytes > document.MaxPassageBytes {
		return fmt.Errorf("chunk.max_bytes must be between %d and %d, got %d", minMaxBytes, document.MaxPassageBytes, o.MaxBytes)
	}
	for i, re := range o.Boilerplate {
		if re == nil {
			return fmt.Errorf("chunk boilerplate pattern %d is nil", i+1)
		}
	}
	return nil
}

// defaultBoilerplatePatterns are the site chrome of the pages the corpus was
// saved from (journal sites, news portals) and of similar sites. They must
// stay specific: a line dropped here is never found or cited. Editing them
// changes chunks, so it needs a Version bump like any other change.
var defaultBoilerplatePatterns = []string{
	`translate this page:?`,
	`please select (?:your|a) language\b.*`,
	`you can just close the window\b.*`,
	`your profile`,
	`back to (?:contents|top|the list|list|articles?|(?:the )?issue|search results)`,
	`other publications by (?:this|the) author`,
	`no time to read\??`,
	`get a summary`,
	`(?:previous|next) (?:article|post|story|page|news)`,
	`this article (?:is|was|has been) (?:automatically|machine[- ]?) ?translated\.?`,
	`the list of publisher reviewers can be found here\.?`,
	// The publisher's note on its review policy, printed above each review.
	`peer reviewers' evaluations remain confidential\b.*`,
	`(?:share|tweet|e-?mail|print|save|copy link|cite)(?: (?:this|the) (?:article|page|post|story))?(?: (?:on|via|to|with) [\w .+-]{1,30})?:?`,
	`subscribe(?: (?:to|for|now)\b.{0,80})?`,
	`follow us(?: on .{0,60})?`,
	`(?:sign|log) ?(?:in|up|out)(?: to .{0,60})?`,
	`read (?:more|also|next)(?::.{0,200})?`,
	`related (?:articles?|posts?|news|stories|materials|publications)`,
	`(?:we use cookies|this (?:web)?site uses cookies)\b.*`,
	`accept(?: all)? cookies`,
	`advertisement`,
	`download (?:pdf|the article|full text|article)\b.{0,40}`,
	`cite this (?:article|page)`,
	`\d+ comments?|comments? \(\d+\)|leave a (?:comment|reply)`,
	`all rights reserved\.?`,
	`©.{0,120}`,
	// The same chrome on Russian-language pages.
	`перевести (?:эту )?страницу:?`,
	`поделиться(?: .{0,40})?`,
	`подписаться(?: .{0,60})?`,
	`(?:предыдущая|следующая) статья`,
	`читать (?:также|далее|ещё|еще)(?::.{0,200})?`,
	`вернуться к (?:содержанию|списку)`,
	`другие публикации (?:этого|данного) автора`,
	`нет времени читать\??`,
	`получить (?:краткое )?(?:содержание|резюме)`,
	`версия для печати`,
	`реклама`,
}

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

// navLabel matches chrome whose next line is the title of another article
// ("Previous Article" / "Next Article" links): that title is chrome too,
// and citing it would answer questions with a stranger's headline.
var navLabel = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(?:previous|next|предыдущая|следующая) (?:article|post|story|news|статья)$`)
})

var defaultBoilerplate = sync.OnceValue(func() []*regexp.Regexp {
	res, err := CompileBoilerplate(defaultBoilerplatePatterns)
	if err != nil {
		panic(err)
	}
	return res
})

// DefaultBoilerplateSources returns the sources (String) of the
// expressions DefaultBoilerplate returns, without compiling them: an
// index's version hashes the patterns, and every command that opens an
// index would otherwise compile patterns it only chunks with.
func DefaultBoilerplateSources() []string {
	out := make([]string, len(defaultBoilerplatePatterns))
	for i, p := range defaultBoilerplatePatterns {
		out[i] = boilerplateSource(p)
	}
	return out
}

// boilerplateSource is the expression a line pattern compiles to.
func boilerplateSource(p string) string { return `(?i)^(?:` + p + `)$` }

// DefaultBoilerplate returns the built-in site-chrome line patterns, fresh
// slice each call so that callers may append their own.
func DefaultBoilerplate() []*regexp.Regexp {
	d := defaultBoilerplate()
	return append(make([]*regexp.Regexp, 0, len(d)), d...)
}

// CompileBoilerplate compiles configured line patterns the way the defaults
// are compiled: anchored to the whole trimmed line and case-insensitive
// (a pattern can opt out with (?-i)), so "share" drops a line reading
// "Share" but keeps "Share prices rose." The error names the bad pattern.
func CompileBoilerplate(patterns []string) ([]*regexp.Regexp, error) {
	res := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("boilerplate pattern %d is empty", i+1)
		}
		re, err := regexp.Compile(boilerplateSource(p))
		if err != nil {
			return nil, fmt.Errorf("boilerplate pattern %d %q: %w", i+1, p, err)
		}
		res = append(res, re)
	}
	return res, nil
}

type lineKind uint8

const (
	lineBlank lineKind = iota
	lineText
	lineBoilerplate
	lineHeading
)

// docLine is one line of a document, or a run of lines that SplitSentences
// reads as one (hard-wrapped text, see joinWrapped): its content span
// (trimmed, so without '\r' or a BOM) and what the chunker makes of it.
type docLine struct {
	start, end int
	kind       lineKind
	list       bool // opens a list item: "- ", "(1) ", "[2] ", "3) "
	fenced     bool // inside a Markdown code fence
}

// classifyLines splits text into lines and marks blank and boilerplate
// lines. Headings are marked later by markHeadings, which needs the title.
func classifyLines(text string, bp []*regexp.Regexp, limit int) []docLine {
	lines := make([]docLine, 0, strings.Count(text, "\n")+1)
	navNext, fence, content := false, false, 0
	for pos := 0; pos <= len(text); {
		le := len(text)
		if j := strings.IndexByte(text[pos:], '\n'); j >= 0 {
			le = pos + j
		}
		s, e := analysis.TrimSpan(text, pos, le)
		l := docLine{start: s, end: e}
		if s < e {
			line := text[s:e]
			l.kind = lineText
			if isFence(line) {
				fence = !fence
				l.fenced = true
			} else {
				l.fenced = fence
			}
			switch {
			case matchesAny(bp, line):
				l.kind = lineBoilerplate
				navNext = navLabel().MatchString(line)
			case navNext && len(line) <= 200 && !endsSentence(line):
				l.kind = lineBoilerplate
				navNext = false
			default:
				navNext = false
				l.list = isListItem(line)
				content++
			}
		}
		lines = append(lines, l)
		if le == len(text) || (limit > 0 && content >= limit) {
			break
		}
		pos = le + 1
	}
	return joinWrapped(text, lines)
}

// joinWrapped merges the lines of each run of hard-wrapped text lines, the
// lines SplitSentences reads as one (see wraps), into one docLine, so that
// a title or a heading wrapped over two lines is read as the one line it
// was before wrapping. Chrome, blank and fenced lines are never merged.
func joinWrapped(text string, lines []docLine) []docLine {
	w := analysis.Wraps{Text: text}
	out := lines[:0] // in place: out never passes the line being read
	rawPrev := 0     // start of the line before l
	for i, l := range lines {
		if i > 0 {
			prev := &out[len(out)-1]
			if prev.kind == lineText && l.kind == lineText && !prev.fenced && !l.fenced &&
				w.Soft(lineStart(text, rawPrev), lineStart(text, l.start)-1) {
				prev.end = l.end
				rawPrev = l.start
				continue
			}
		}
		rawPrev = l.start
		out = append(out, l)
	}
	return out
}

// oneLine makes a title or section name that wraps over lines one line.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

func matchesAny(res []*regexp.Regexp, line string) bool {
	for _, re := range res {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

// titleLines is how far into a document the title is looked for, in
// non-blank, non-boilerplate lines.
const titleLines = 20

// pickTitle returns the index of the title line and the title: a Markdown
// "# " heading near the top, else the first line of at least six words and
// at most 300 bytes before the body starts (the first line over 300 bytes),
// else the first content line. It returns -1 for a document without text.
func pickTitle(text string, lines []docLine) (int, string) {
	first, pick, seen, inBody := -1, -1, 0, false
	for i, l := range lines {
		if l.kind != lineText {
			continue
		}
		line := text[l.start:l.end]
		if first < 0 {
			first = i
		}
		if !l.fenced && strings.HasPrefix(line, "# ") {
			if t := markdownHeadingText(line); t != "" {
				return i, oneLine(t)
			}
		}
		if len(line) > 300 {
			inBody = true
		}
		if pick < 0 && !inBody && len(strings.Fields(line)) >= 6 {
			pick = i
		}
		if seen++; seen >= titleLines {
			break
		}
	}
	if pick < 0 {
		pick = first
	}
	if pick < 0 {
		return -1, ""
	}
	l := lines[pick]
	return pick, shortTitle(oneLine(text[l.start:l.end]))
}

// shortTitle keeps a fallback title (a first line that is really a
// paragraph) short enough to show in a citation.
func shortTitle(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > max/2 {
		cut = sp
	}
	return strings.TrimRightFunc(s[:cut], analysis.IsSpaceRune) + "…"
}

// Title returns the document's title: a Markdown "# " heading near
// the top, else the first substantial line (six words or more, at most 300
// bytes) before the body, else the first line that is not boilerplate.
// Rubric lines such as a journal section name are short, which is why the
// six-word rule exists. Nil boilerplate means DefaultBoilerplate().
func Title(text string, boilerplate []*regexp.Regexp) string {
	if boilerplate == nil {
		boilerplate = defaultBoilerplate()
	}
	_, t := pickTitle(text, classifyLines(text, boilerplate, titleLines))
	return t
}

// markdownHeadingText returns the text of an ATX heading ("## Methods ##"
// gives "Methods"), or "" if line is not one.
func markdownHeadingText(line string) string {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(line) || (line[n] != ' ' && line[n] != '\t') {
		return ""
	}
	t := strings.TrimSpace(line[n:])
	t = strings.TrimSpace(strings.TrimRight(t, "#"))
	return t
}

// knownHeading matches the section names of papers, reviews and reports
// that stand alone on a line, optionally numbered or followed by a colon.
var knownHeading = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(?:(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}\.)\s+)?(?:abstract|summary|annotation|introduction|background|conclusions?|concluding remarks|discussion|results(?: and discussion)?|methods?|methodology|materials and methods|references|bibliography|literature(?: cited)?|sources|acknowledge?ments?|appendix(?:\s+\w{1,3})?|key ?words|notes|funding|conflicts? of interests?|author contributions|limitations|related work|(?:table of )?contents|preface|foreword|(?:(?:first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\s+)?(?:peer\s+)?review|reviewer'?s? comments|аннотация|введение|заключение|выводы|список (?:использованной )?литературы|литература|библиография|ключевые слова|результаты|обсуждение|методы|методология|благодарности|примечания|содержание|(?:(?:первая|вторая|третья)\s+)?рецензия)\s*:?$`)
})

// markHeadings marks the lines that open a section. Besides Markdown
// headings and well-known section names, two kinds of plain line count:
// numbered headings ("3.1. The Effectiveness Analysis of …") and short
// title-like lines ("First Peer Review"), each standing alone between blank
// lines, without a sentence's final punctuation, and — for the un-numbered
// kind — followed by a real paragraph. The last condition keeps author
// names, affiliations and rubrics of the front matter out, since those are
// followed by more short lines rather than prose. The title line is never a
// heading: the title is indexed beside every chunk already.
func markHeadings(text string, lines []docLine, title int) {
	for i := range lines {
		l := &lines[i]
		if l.kind != lineText || l.fenced {
			continue
		}
		if setextUnderlined(text, lines, i) {
			// "Methods\n=======": the underline only marks the heading
			// and is left out like a blank line.
			lines[i+1].kind = lineBlank
			if i != title {
				l.kind = lineHeading
			}
			continue
		}
		if i == title {
			continue
		}
		line := text[l.start:l.end]
		switch {
		case markdownHeadingText(line) != "":
			l.kind = lineHeading
		case len(line) <= 60 && knownHeading().MatchString(line):
			l.kind = lineHeading
		case !standsAlone(lines, i) || len(line) > 200 || endsWithPunct(line):
		case isNumberedHeading(line):
			l.kind = lineHeading
		case len(line) <= 100 && isTitleLike(line) && followedByProse(text, lines, i):
			l.kind = lineHeading
		}
	}
}

// setextUnderlined reports whether line i is a Markdown setext heading: a
// line on its own (after a blank line or at the start) underlined by a line
// of at least three '=' or '-'.
func setextUnderlined(text string, lines []docLine, i int) bool {
	if i+1 >= len(lines) || (i > 0 && lines[i-1].kind != lineBlank && lines[i-1].kind != lineBoilerplate) {
		return false
	}
	u := lines[i+1]
	if u.kind != lineText || u.fenced || lines[i].list {
		return false
	}
	under := strings.TrimSpace(text[u.start:u.end])
	return len(under) >= 3 && (strings.Trim(under, "=") == "" || strings.Trim(under, "-") == "")
}

// sectionName is what a heading line contributes as Chunk.Section: the
// line itself, trimmed, without Markdown's '#' markers.
func sectionName(line string) string {
	if t := markdownHeadingText(line); t != "" {
		return oneLine(t)
	}
	return oneLine(line)
}

func standsAlone(lines []docLine, i int) bool {
	apart := func(j int) bool {
		return j < 0 || j >= len(lines) || lines[j].kind == lineBlank || lines[j].kind == lineBoilerplate
	}
	return apart(i-1) && apart(i+1)
}

// isNumberedHeading: "1. Introduction", "3.1. The …", "IV. Results", "2 Methods".
func isNumberedHeading(line string) bool {
	p := 0
	for p < len(line) && (analysis.IsDigitByte(line[p]) || line[p] == '.') {
		p++
	}
	if p == 0 {
		for p < len(line) && strings.IndexByte("IVX", line[p]) >= 0 {
			p++
		}
		if p == 0 || p >= len(line) || line[p] != '.' {
			return false
		}
		p++
	} else if p > 12 || !analysis.IsDigitByte(line[0]) || (len(line) > 2 && analysis.IsDigitByte(line[1]) && analysis.IsDigitByte(line[2])) {
		return false // "2023. Events" is a year, not a section number
	}
	if !analysis.SpaceAt(line, p) {
		return false
	}
	rest := strings.TrimLeftFunc(line[p:], analysis.IsSpaceRune)
	r, _ := utf8.DecodeRuneInString(rest)
	if !unicode.IsUpper(r) {
		return false
	}
	return len(strings.Fields(rest)) <= 25
}

// isTitleLike: a short line starting with a capital and ending in a letter,
// digit or closing bracket, with no addresses in it.
func isTitleLike(line string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	if !unicode.IsUpper(r) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(line)
	if !(unicode.IsLetter(last) || unicode.IsDigit(last) || last == ')') {
		return false
	}
	if strings.ContainsAny(line, "@|") || strings.Contains(line, "://") {
		return false
	}
	return len(strings.Fields(line)) <= 12
}

// followedByProse: the next non-blank line is longer than line i and ends
// like a sentence.
func followedByProse(text string, lines []docLine, i int) bool {
	for j := i + 1; j < len(lines); j++ {
		switch lines[j].kind {
		case lineBlank:
			continue
		case lineText:
			next := text[lines[j].start:lines[j].end]
			return len(next) > lines[i].end-lines[i].start && endsSentence(next)
		}
		return false
	}
	return false
}

// endsSentence: the line's last rune, past closing quotes and brackets, is
// a sentence terminator.
func endsSentence(line string) bool {
	line = strings.TrimRight(line, `"')]}»”’`)
	r, _ := utf8.DecodeLastRuneInString(line)
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// endsWithPunct: headings do not end in a terminator or list punctuation.
func endsWithPunct(line string) bool {
	r, _ := utf8.DecodeLastRuneInString(line)
	return strings.ContainsRune(".,;:!?…", r)
}

func isFence(line string) bool {
	return strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~")
}

// isListItem: "- x", "* x", "• x", "(1) x", "1) x", "1. x", "[1] x", "a) x".
func isListItem(line string) bool {
	if len(line) < 2 {
		return false
	}
	switch line[0] {
	case '-', '*', '+':
		return analysis.SpaceAt(line, 1)
	case '(', '[':
		close := byte(')')
		if line[0] == '[' {
			close = ']'
		}
		p := 1
		for p < len(line) && p < 6 && (analysis.IsDigitByte(line[p]) || ('a' <= line[p] && line[p] <= 'z')) {
			p++
		}
		return p > 1 && p < len(line) && line[p] == close
	}
	if strings.HasPrefix(line, "•") || strings.HasPrefix(line, "–") || strings.HasPrefix(line, "—") {
		return true
	}
	p := 0
	for p < len(line) && p < 4 && analysis.IsDigitByte(line[p]) {
		p++
	}
	if p == 0 && 'a' <= line[0] && line[0] <= 'z' {
		return line[1] == ')'
	}
	return p > 0 && p+1 < len(line) && (line[p] == '.' || line[p] == ')') && analysis.SpaceAt(line, p+1)
}

// wrapWidth: a line longer than this is a paragraph of its own even
// without a blank line after it, because nobody wraps prose that wide;
// shorter lines in one block are treated as hard-wrapped prose and joined.
const wrapWidth = 120

// paragraph is a unit of chunking: one or more lines of one block.
type paragraph struct {
	start, end int
	section    string
	heading    bool
	breakAfter bool // a boilerplate line follows: do not merge across it
}

// paragraphs groups lines into paragraphs. Blocks are runs of content lines
// between blank or boilerplate lines. A block is one paragraph when its
// lines are hard-wrapped prose; list items, references and long lines (the
// seeds keep one paragraph per line) each make their own, and headings
// always stand alone. A line break that SplitSentences reads as a soft wrap
// never ends a paragraph (unless a heading, chrome or a page break
// intervenes), whatever the lines' lengths, so that chunks of wrapped text
// end where sentences end. A page break (pages: where each page starts)
// ends a paragraph and stops merging, so that every chunk lies on one page.
func paragraphs(text string, lines []docLine, pages []int) []paragraph {
	var out []paragraph
	w := analysis.Wraps{Text: text}
	section := ""
	prevContent := -1 // index of the previous content line in the current block
	page := 0         // index in pages of the next page start
	for i, l := range lines {
		if page < len(pages) && l.start >= pages[page] {
			for page < len(pages) && l.start >= pages[page] {
				page++
			}
			if len(out) > 0 {
				out[len(out)-1].breakAfter = true
			}
			prevContent = -1
		}
		switch l.kind {
		case lineBlank:
			prevContent = -1
			continue
		case lineBoilerplate:
			if len(out) > 0 {
				out[len(out)-1].breakAfter = true
			}
			prevContent = -1
			continue
		case lineHeading:
			section = sectionName(text[l.start:l.end])
			out = append(out, paragraph{start: l.start, end: l.end, section: section, heading: true})
			prevContent = -1
			continue
		}
		// In a block that shows its wrap width, the splitter's reading of
		// each break decides; in one that does not, short lines are
		// taken for wrapped prose.
		prevStart := lineStart(text, lines[max(prevContent, 0)].start)
		join := prevContent >= 0 && !out[len(out)-1].heading &&
			(!l.list && lines[prevContent].end-lines[prevContent].start <= wrapWidth && w.WidthAt(prevStart) == 0 ||
				w.Soft(prevStart, lineStart(text, l.start)-1))
		if join {
			out[len(out)-1].end = l.end
		} else {
			out = append(out, paragraph{start: l.start, end: l.end, section: section})
		}
		prevContent = i
	}
	return out
}

// lineStart returns the start of the line holding text[p].
func lineStart(text string, p int) int {
	return strings.LastIndexByte(text[:p], '\n') + 1
}

// Split cuts a document into chunks: byte spans of doc.Text that
// are indexed and returned as passages.
//
// Paragraphs are the unit. Short paragraphs are merged up to MaxBytes, but
// never across a section heading or a boilerplate line, so a chunk answers
// to one Section and never quotes site chrome. A paragraph longer than
// MaxBytes is split into windows of whole sentences, neighbouring windows
// sharing one sentence so that a fact stated across a window edge is still
// found with its context.
//
// A heading's own line is kept, as the start of the first chunk of its
// section (together with the paragraph under it when that fits): a passage
// then shows the heading it belongs to, "first limitation" questions match
// the list under "3.2. Limitations …", and no byte of the document is left
// unindexed. Chunk.Section repeats the heading for every chunk after it.
//
// The first chunk returned is the document's header (Header: true): the
// text from the first non-boilerplate line up to about 600 bytes, ending
// at a line or sentence end and before any boilerplate — title, authors,
// affiliation, the opening of the abstract. It overlaps the other chunks on
// purpose: it lets "who wrote it" questions find the author line next to
// the title.
func Split(doc document.Document, opt Options) []document.Chunk {
	text := doc.Text
	maxBytes := opt.MaxBytes
	if maxBytes <= 0 {
		maxBytes = document.DefaultChunkBytes
	}
	if maxBytes > document.MaxPassageBytes {
		maxBytes = document.MaxPassageBytes
	}
	bp := opt.Boilerplate
	if bp == nil {
		bp = defaultBoilerplate()
	}
	lines := classifyLines(text, bp, 0)
	title, _ := pickTitle(text, lines)
	markHeadings(text, lines, title)
	paras := paragraphs(text, lines, doc.Pages)
	if len(paras) == 0 {
		return nil
	}
	c := chunker{doc: doc, li: document.NewLineIndex(text), max: maxBytes}
	c.header(lines)
	for _, p := range paras {
		c.add(p)
	}
	c.flush()
	return dropRedundantHeader(c.out)
}

// dropRedundantHeader removes the header chunk when a regular chunk
// already covers its span: when the title block is its own paragraph the
// two would be the same passage twice.
func dropRedundantHeader(out []document.Chunk) []document.Chunk {
	if len(out) == 0 || !out[0].Header {
		return out
	}
	h := out[0]
	for _, c := range out[1:] {
		if c.Start <= h.Start && h.End <= c.End {
			return out[1:]
		}
	}
	return out
}

// chunker packs paragraphs into chunks.
type chunker struct {
	doc document.Document
	li  document.LineIndex
	max int
	out []document.Chunk

	// The chunk being filled: cur.start..cur.end, or none when open is false.
	open        bool
	cur         paragraph
	headingOnly bool // it holds only heading lines so far
}

func (c *chunker) emit(s, e int, section string, header bool) {
	c.out = append(c.out, document.Chunk{
		DocID:     c.doc.ID,
		Start:     s,
		End:       e,
		LineStart: c.li.Line(s),
		LineEnd:   c.li.Line(e - 1),
		Section:   section,
		Page:      c.doc.Page(s),
		Header:    header,
	})
}

func (c *chunker) flush() {
	if c.open {
		c.emit(c.cur.start, c.cur.end, c.cur.section, false)
		c.open = false
	}
}

func (c *chunker) add(p paragraph) {
	switch {
	case p.heading:
		// Consecutive headings ("3. …" then "3.1. …") stay together and
		// the deepest one names the section.
		if !(c.open && c.headingOnly && p.end-c.cur.start <= c.max) {
			c.flush()
			c.open, c.cur, c.headingOnly = true, p, true
		} else {
			c.cur.end, c.cur.section = p.end, p.section
		}
	case p.end-p.start > c.max:
		c.split(p)
	case c.open && c.cur.section == p.section && p.end-c.cur.start <= c.max &&
		(p.end-p.start < c.max/3 || c.headingOnly):
		// A heading takes the paragraph under it, and short pieces (list
		// items, lines of a reference list) are gathered, but a real
		// paragraph starts its own chunk: two in one blur each other's
		// keyword scores.
		c.cur.end = p.end
		c.headingOnly = false
	default:
		c.flush()
		c.open, c.cur, c.headingOnly = true, p, false
	}
	if p.breakAfter {
		c.flush()
	}
}

// split emits a long paragraph as windows of sentences of at most c.max
// bytes, each window starting with the previous window's last sentence.
// A pending heading is kept in front of the first window when it fits.
func (c *chunker) split(p paragraph) {
	sents := analysis.SplitSentences(c.doc.Text, document.Span{Start: p.start, End: p.end})
	if len(sents) == 0 {
		return
	}
	start := sents[0].Start
	if c.open && c.headingOnly && c.cur.section == p.section && sents[0].End-c.cur.start <= c.max {
		start = c.cur.start
		c.open = false
	} else {
		c.flush()
	}
	for i := 0; i < len(sents); {
		j := i
		for j+1 < len(sents) && sents[j+1].End-start <= c.max {
			j++
		}
		c.emit(start, sents[j].End, p.section, false)
		if j+1 >= len(sents) {
			break
		}
		if j > i && sents[j+1].End-sents[j].Start <= c.max {
			i = j
		} else {
			i = j + 1
		}
		start = sents[i].Start
	}
}

// header emits the header chunk: from the first content line, whole
// sentences up to headerMaxBytes (at least one), stopping before any
// boilerplate line.
func (c *chunker) header(lines []docLine) {
	first := -1
	for i, l := range lines {
		if l.kind == lineText || l.kind == lineHeading {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	end := len(c.doc.Text)
	if p := c.doc.Page(lines[first].start); p > 0 && p < len(c.doc.Pages) {
		end = c.doc.Pages[p] // the header stays on its page
	}
	for _, l := range lines[first:] {
		if l.start >= end {
			break
		}
		if l.kind == lineBoilerplate {
			end = l.start
			break
		}
	}
	limit := lines[first].start + headerMaxBytes
	if end > limit+document.MaxCitationBytes {
		end = limit + document.MaxCitationBytes // the scan never needs more
	}
	sents := analysis.SplitSentences(c.doc.Text, document.Span{Start: lines[first].start, End: end})
	if len(sents) == 0 {
		return
	}
	j := 0
	for j+1 < len(sents) && sents[j+1].End <= limit {
		j++
	}
	c.emit(sents[0].Start, sents[j].End, "", true)
}

// HasContent reports whether text has a line that is neither blank nor
// boilerplate: a document of site chrome alone has nothing to index.
func HasContent(text string, boilerplate []*regexp.Regexp) bool {
	if boilerplate == nil {
		boilerplate = defaultBoilerplate()
	}
	for _, l := range classifyLines(text, boilerplate, 0) {
		if l.kind == lineText || l.kind == lineHeading {
			return true
		}
	}
	return false
}
