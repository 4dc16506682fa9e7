package answer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"citebot/analysis"
	"citebot/document"
	"citebot/retrieval"
)

// Tuning are the extractive composer's settings; the answer model decides
// the rest.
type Tuning struct {
	// MinConfidence, when above 0, replaces the model's threshold: below
	// it the composer answers "the documents don't say". Higher refuses
	// more and quotes wrongly less.
	MinConfidence float64 `yaml:"min_confidence" json:"min_confidence"`
	// MaxSentences caps how many sentences an answer quotes (1 to 3).
	MaxSentences int `yaml:"max_sentences" json:"max_sentences"`
}

// DefaultTuning keeps the model's threshold.
var DefaultTuning = Tuning{MaxSentences: 2}

// Validate reports the first setting the composer cannot honour, naming
// it as the config file does (answer.min_confidence …). The rules are the
// ones the CLI has always enforced; NaN, which slipped past its range
// check, is refused too. MaxSentences 0 is refused although Choose reads
// it as 1, so the zero Tuning is refused: start from DefaultTuning.
func (t Tuning) Validate() error {
	switch {
	case !(t.MinConfidence >= 0 && t.MinConfidence <= 1):
		return errors.New("answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)")
	case t.MaxSentences < 1 || t.MaxSentences > 3:
		return errors.New("answer.max_sentences must be 1, 2 or 3")
	}
	return nil
}

// Extractive answers by quoting sentences of the retrieved passages.
type Extractive struct {
	Index Searcher
	// Tuning must pass Validate: Answer refuses to answer otherwise.
	Tuning Tuning
	// Model scores the candidate sentences; nil is DefaultModel().
	Model *Model
	// CorpusScript is the documents' script (see Script); a question in
	// another one gets a Note.
	CorpusScript string
}

// Answer answers question from the k best passages.
func (e Extractive) Answer(ctx context.Context, question string, k int) (Answer, error) {
	start := time.Now()
	// Extractive has no constructor to refuse bad tuning, and Answer is
	// where it would be used.
	if err := e.Tuning.Validate(); err != nil {
		return Answer{}, fmt.Errorf("extractive answer: %w", err)
	}
	if err := CheckQuestion(question); err != nil {
		return Answer{}, err
	}
	script := Script(question)
	if isAuthorQuestion(question) {
		a, err := e.answerAuthor(ctx, question, k)
		a.Note = LanguageNote(script, e.CorpusScript)
		a.TookMS = time.Since(start).Milliseconds()
		return a, err
	}
	q := e.analyzeScript(question, script)
	ps, err := e.Index.SearchQuery(ctx, q, k)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	textScript := script
	if q.Text != question {
		textScript = Script(q.Text)
	}
	a := e.compose(q, ps, textScript)
	a.Note = LanguageNote(script, e.CorpusScript)
	a.TookMS = time.Since(start).Milliseconds()
	return a, nil
}

// answerAuthor answers "who wrote …" from the byline of the document the
// question names. The search uses the words that name the document only:
// "author" or "wrote" would rank passages that talk about authors.
func (e Extractive) answerAuthor(ctx context.Context, question string, k int) (Answer, error) {
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}, Passages: []Passage{},
		Answer: notFoundIn(Script(question))}
	var words []string
	for _, kt := range analysis.KeyTerms(question) {
		if !authorWords()[kt.Terms[0]] {
			words = append(words, kt.Word)
		}
	}
	if len(words) == 0 {
		return a, nil // "Who wrote it?" names no document
	}
	q := e.Index.Analyze(strings.Join(words, " "))
	ps, err := e.Index.SearchQuery(ctx, q, k)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	a.Passages = toPassages(ps)
	// Quoting a sentence that merely mentions the document would pass for
	// an answer; without a byline the documents don't say.
	if c, ok := e.authorLine(q, ps); ok {
		a.Answer = flatten(c.Quote) + " [1]"
		a.Found = true
		// A byline is the document's own statement of who wrote it, not
		// a sentence the model weighed.
		a.Confidence = 1
		a.Citations = []Citation{c}
	}
	return a, nil
}

// Candidate is a sentence of a retrieved passage as the answer model sees
// it, in document offsets: what tools/train labels and fits on.
type Candidate struct {
	Document   string
	Start, End int
	Features   []float64
}

// Candidates analyses a question, retrieves its k best passages and
// describes each of their sentences for the model, as Answer does.
func (e Extractive) Candidates(ctx context.Context, question string, k int) ([]Candidate, []retrieval.Passage, error) {
	q := e.analyze(question)
	ps, err := e.Index.SearchQuery(ctx, q, k)
	if err != nil {
		return nil, nil, fmt.Errorf("answer: %w", err)
	}
	f := newQuestionFacts(q, e.Index.NumChunks())
	var out []Candidate
	for _, c := range f.candidates(ps) {
		p := ps[c.passage]
		out = append(out, Candidate{Document: p.DocID, Start: p.Start + c.span.Start, End: p.Start + c.span.End, Features: c.x})
	}
	return out, ps, nil
}

// analyze analyses a question once. Whether it is foreign is decided by
// the documents' script when it is known (a Russian question over Russian
// documents is not foreign); the analysis alone takes a Latin corpus.
func (e Extractive) analyze(question string) analysis.Query {
	return e.analyzeScript(question, Script(question))
}

// analyzeScript is analyze for a question whose Script is known.
func (e Extractive) analyzeScript(question, script string) analysis.Query {
	q := e.Index.Analyze(question)
	if e.CorpusScript != "" {
		q.Foreign = script != "" && script != e.CorpusScript
	}
	return q
}

func (e Extractive) model() *Model {
	if e.Model != nil {
		return e.Model
	}
	return DefaultModel()
}

// compose answers q from its passages; script is Script(q.Text).
func (e Extractive) compose(q analysis.Query, ps []retrieval.Passage, script string) Answer {
	a := Answer{Question: q.Text, Mode: ModeExtractive, Citations: []Citation{}, Passages: toPassages(ps),
		Answer: notFoundIn(script)}
	f := getFacts(q, e.Index.NumChunks())
	defer f.release()
	cands := f.candidates(ps)
	m := e.model()
	threshold := m.ThresholdFor(q.Foreign)
	if e.Tuning.MinConfidence > 0 {
		threshold = e.Tuning.MinConfidence
	}
	probs := slices.Grow(f.probs[:0], len(cands))[:len(cands)]
	f.probs = probs
	m.probs(cands, probs, threshold)
	// Two candidates overlap when they share bytes, or when they are the
	// same words in two places (a document that repeats a sentence, a
	// file copied into another): quoting both would say nothing new.
	overlap := func(i, j int) bool {
		a, b := cands[i], cands[j]
		pa, pb := ps[a.passage], ps[b.passage]
		if pa.DocID == pb.DocID && pa.Start+a.span.Start < pb.Start+b.span.End && pb.Start+b.span.Start < pa.Start+a.span.End {
			return true
		}
		return a.span.Len() == b.span.Len() && flatten(pa.Text[a.span.Start:a.span.End]) == flatten(pb.Text[b.span.Start:b.span.End])
	}
	quoted, confidence, found := Choose(probs, threshold, e.Tuning.MaxSentences, overlap)
	a.Confidence = round(confidence)
	if !found {
		return a
	}
	var chosenBuf [3]candidate
	chosen := chosenBuf[:0]
	for _, i := range quoted {
		cands[i].p = probs[i]
		chosen = append(chosen, cands[i])
	}
	// Quote in document order so that the answer reads as the source
	// does; documents in the order of their best sentence.
	var docsBuf [3]string
	docs := docsBuf[:0]
	for _, c := range chosen {
		if !slices.Contains(docs, ps[c.passage].DocID) {
			docs = append(docs, ps[c.passage].DocID)
		}
	}
	docRank := func(doc string) int { return slices.Index(docs, doc) }
	slices.SortStableFunc(chosen, func(ci, cj candidate) int {
		pi, pj := ps[ci.passage], ps[cj.passage]
		if ri, rj := docRank(pi.DocID), docRank(pj.DocID); ri != rj {
			return cmp.Compare(ri, rj)
		}
		return cmp.Compare(pi.Start+ci.span.Start, pj.Start+cj.span.Start)
	})
	a.Citations = make([]Citation, 0, len(chosen))
	var b strings.Builder
	for n, c := range chosen {
		p := ps[c.passage]
		quote := p.Text[c.span.Start:c.span.End]
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(flatten(quote))
		b.WriteString(" [")
		b.WriteString(strconv.Itoa(n + 1))
		b.WriteByte(']')
		a.Citations = append(a.Citations, Citation{
			N: n + 1, Document: p.DocID, Title: p.Title,
			Start: p.Start + c.span.Start, End: p.Start + c.span.End,
			LineStart: p.LineStart + strings.Count(p.Text[:c.span.Start], "\n"),
			LineEnd:   p.LineStart + strings.Count(p.Text[:c.span.End-1], "\n"),
			Page:      p.PageAt(p.Start + c.span.Start),
			Quote:     quote, Score: round(c.p),
		})
	}
	a.Answer = b.String()
	a.Found = true
	return a
}

// months are the words, English and Russian in their case forms, that
// make a sentence hold a date. "May" is also a verb, and counts only
// beside a number ("May 5", "5 May 1999").
var months = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`january february march april june july august september october november december
		январь января январе январём январем февраль февраля феврале март марта марте апрель апреля апреле
		май мая мае июнь июня июне июль июля июле август августа августе сентябрь сентября сентябре
		октябрь октября октябре ноябрь ноября ноябре декабрь декабря декабре`) {
		m[w] = true
	}
	return m
}()

// kind reports whether a sentence holds the kind of fact wanted. It runs
// for every candidate sentence of every answer, so it scans by hand: the
// equivalent regular expressions took 40% of an answer's time.
func kind(sentence, want string) bool {
	switch want {
	case "date":
		return hasYear(sentence) || hasMonth(sentence)
	case "number":
		return strings.ContainsAny(sentence, "0123456789")
	}
	return false
}

// hasYear reports whether s holds a standalone four-digit year 1500-2099.
func hasYear(s string) bool {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i == 4 && (i == 0 || !isWordByte(s[i-1])) && (j == len(s) || !isWordByte(s[j])) {
			if y := s[i : i+2]; y == "20" || (y[0] == '1' && y[1] >= '5') {
				return true
			}
		}
		i = j
	}
	return false
}

// hasMonth reports whether a word of s is a month's name.
func hasMonth(s string) bool {
	found := false
	prevNumber := false
	var prev string
	analysis.ForEachWordCase(s, func(w string, _ bool) {
		if found {
			return
		}
		number := isDigit(w[0])
		lw := strings.ToLower(w)
		switch {
		case lw == "may" && prevNumber, prev == "may" && number:
			found = true
		case lw != "may" && months[lw]:
			found = true
		}
		prev, prevNumber = lw, number
	})
	return found
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// isHeading reports whether a sentence of passage text is its section
// heading, or a whole line shaped like a numbered heading ("3. Shanghai
// Cooperation Organization's Contribution …"): a heading names a topic and
// answers nothing. Other short lines (an author's name, an affiliation) are
// kept: they answer "who" and "where from".
func isHeading(text string, s document.Span, section string) bool {
	line := strings.TrimSpace(text[s.Start:s.End])
	if line == "" || section != "" && line == strings.TrimSpace(section) {
		return true
	}
	wholeLine := (s.Start == 0 || text[s.Start-1] == '\n') && (s.End == len(text) || text[s.End] == '\n' || text[s.End] == '\r')
	return wholeLine && len(line) < 200 && numberedHeading().MatchString(line) &&
		!strings.ContainsAny(line[len(line)-1:], ".!?:;")
}

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

var numberedHeading = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2}\.)+(\d{1,2})?\.?\s+\p{Lu}`) })

func termSet(text string) map[string]bool {
	s := make(map[string]bool)
	for _, t := range analysis.Terms(text) {
		s[t] = true
	}
	return s
}

// flatten joins a quote's lines for the answer text and turns the
// document's own bracketed references ("[4]", "[3, p. 32]") into
// parentheses, so that every [n] in an answer is one of its citations. The
// citation keeps the exact bytes.
func flatten(s string) string {
	if !singleSpaced(s) {
		s = strings.Join(strings.Fields(s), " ")
	}
	if strings.IndexByte(s, '[') < 0 {
		return s // no bracketed reference: most quotes
	}
	return bracketRef().ReplaceAllString(s, "($1)")
}

// singleSpaced reports whether s is its words joined by single spaces, as
// strings.Fields and strings.Join would make it.
func singleSpaced(s string) bool {
	space := true // as if after a space: a leading one is not kept
	for _, r := range s {
		isSpace := unicode.IsSpace(r)
		if isSpace && (space || r != ' ') {
			return false
		}
		space = isSpace
	}
	return !space || s == ""
}

// bracketRef is a bracketed reference that holds a digit.
var bracketRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[([^\[\]]*\d[^\[\]]*)\]`) })

// metaWords speak of the documents rather than of their subject ("what
// do the documents say about …"): the text is not asked to hold them.
var metaWords = stems("say", "tell", "mention", "document", "documents", "text", "article", "paper", "source", "sources")

func stems(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		for _, t := range analysis.Terms(w) {
			m[t] = true
		}
	}
	return m
}

// maxKeys bounds the key terms a question is weighed by: a question is
// a sentence, not a document pasted in.
const maxKeys = 64

// contentKeys drops the key terms a passage need not hold: words about
// the documents, and numbers when nothing else is asked ("[1] what?").
func contentKeys(out, keys []analysis.KeyTerm) []analysis.KeyTerm {
	out = out[:0]
	words := false
	for _, kt := range keys {
		if metaWords[kt.Terms[0]] {
			continue
		}
		if len(out) == maxKeys {
			break
		}
		if !isNumber(kt.Word) {
			words = true
		}
		out = append(out, kt)
	}
	if !words {
		return out[:0]
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// isAuthorQuestion is authorQuestion().MatchString(q), without running
// the expression on a question that holds neither "who" nor "кто" in any
// case (most questions), which it could not match: its two halves open
// with those words, matched case-insensitively, letter by letter, as
// strings.EqualFold compares.
func isAuthorQuestion(q string) bool {
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if r == 'w' || r == 'W' || r == 'к' || r == 'К' {
			if w := threeRunes(q[i:]); strings.EqualFold(w, "who") || strings.EqualFold(w, "кто") {
				return authorQuestion().MatchString(q)
			}
		}
		i += size
	}
	return false
}

// threeRunes is s's first three runes (fewer when it has fewer).
func threeRunes(s string) string {
	n := 0
	for i := range s {
		if n == 3 {
			return s[:i]
		}
		n++
	}
	return s
}

// authorQuestion matches questions about who wrote a document, which the
// document answers by its byline, not by a sentence. (Go's \b knows only
// ASCII letters, hence the explicit boundary before "кто".)
var authorQuestion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\bwho\s+(?:wrote|writes|has written|authored|is the author|are the authors|was the author)\b|(?:^|[^\p{L}])кто\s+(?:написал|автор)`)
})

// authorWords are the question's words that ask for the author rather
// than name the document; stemmed on first use, by the questions that
// ask for an author.
var authorWords = sync.OnceValue(func() map[string]bool {
	return stems("wrote", "write", "written", "writes", "authored", "author", "authors",
		"article", "paper", "document", "text", "report", "написал", "автор", "статья", "статью")
})

// authorLine finds the byline of the document the question names: the
// first non-empty line after the title, when it is short and reads like
// names. The document is the best-ranked one whose title and header cover
// the question's other key terms.
func (e Extractive) authorLine(q analysis.Query, ps []retrieval.Passage) (Citation, bool) {
	f := getFacts(q, e.Index.NumChunks())
	defer f.release()
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.DocID] {
			continue
		}
		seen[p.DocID] = true
		doc, ok := e.Index.Document(p.DocID)
		if !ok {
			continue
		}
		start, end, ok := byline(doc)
		if !ok {
			continue
		}
		if f.total > 0 {
			// The document must be the one named: its title and header
			// hold most of the naming words' weight.
			header := termSet(doc.Title + "\n" + doc.Text[:min(len(doc.Text), end+600)])
			held, _ := f.held(func(t string) bool { return header[t] })
			if held/f.total < 0.5 {
				continue
			}
		}
		line := 1 + strings.Count(doc.Text[:start], "\n")
		return Citation{N: 1, Document: doc.ID, Title: doc.Title, Start: start, End: end,
			LineStart: line, LineEnd: line, Page: doc.Page(start), Quote: doc.Text[start:end], Score: 1}, true
	}
	return Citation{}, false
}

// byline returns the span of the line after a document's title line when
// it looks like a list of names: short, a few words, most capitalised, no
// closing punctuation.
func byline(doc document.Document) (int, int, bool) {
	title := strings.TrimSuffix(doc.Title, "…")
	if title == "" {
		return 0, 0, false
	}
	afterTitle := false
	for off := 0; off < len(doc.Text); {
		end := strings.IndexByte(doc.Text[off:], '\n')
		if end < 0 {
			end = len(doc.Text)
		} else {
			end += off
		}
		raw := doc.Text[off:end]
		line := strings.TrimSpace(strings.TrimPrefix(raw, "\uFEFF"))
		lineStart := off + strings.Index(raw, line)
		off = end + 1
		switch {
		case line == "":
			continue
		case !afterTitle:
			afterTitle = strings.HasPrefix(strings.TrimLeft(line, "# "), title)
			if lineStart > 4000 {
				return 0, 0, false // the title is near the top or nowhere
			}
			continue
		}
		words := strings.Fields(line)
		capital := 0
		for _, w := range words {
			if r := []rune(w)[0]; unicode.IsUpper(r) {
				capital++
			}
		}
		ok := len(line) <= 100 && len(words) <= 10 && capital*2 >= len(words) &&
			!strings.ContainsAny(line[len(line)-1:], ".!?:;")
		return lineStart, lineStart + len(line), ok
	}
	return 0, 0, false
}
