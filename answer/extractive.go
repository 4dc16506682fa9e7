package answer

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"citebot/retrieval"
)

// Tuning are the extractive composer's knobs, calibrated on the dev set
// (README, "Tuning").
type Tuning struct {
	// MinCoverage is the share of the question's key-term weight that the
	// best passage (with its title and section) must hold; below it the
	// composer answers "the documents don't say".
	MinCoverage float64 `yaml:"min_coverage" json:"min_coverage"`
	// MaxSentences caps how many sentences an answer quotes (1 to 3).
	MaxSentences int `yaml:"max_sentences" json:"max_sentences"`
	// ContextWeight is how much a key term found only in a sentence's
	// section heading or document title counts, relative to one in the
	// sentence itself.
	ContextWeight float64 `yaml:"context_weight" json:"context_weight"`
	// LengthPenalty is subtracted per 800 bytes of sentence: of two
	// sentences holding the same key terms the shorter says it more
	// directly.
	LengthPenalty float64 `yaml:"length_penalty" json:"length_penalty"`
}

// DefaultTuning is the calibrated default.
var DefaultTuning = Tuning{MinCoverage: 0.5, MaxSentences: 2, ContextWeight: 0.5, LengthPenalty: 0.1}

// Extractive answers by quoting sentences of the retrieved passages.
type Extractive struct {
	Index  Searcher
	Tuning Tuning
	// CorpusScript is the documents' script (see Script); a question in
	// another one gets a Note.
	CorpusScript string
}

// candidate is one sentence of a retrieved passage.
type candidate struct {
	passage  int // index into the passages
	span     retrieval.Span
	own      float64 // key-term weight the sentence itself holds
	context  float64 // key-term weight held only by its section or title
	score    float64
	terms    map[string]bool
	position int // order within the passage
	sentence sentence
}

// Answer answers question from the k best passages.
func (e Extractive) Answer(ctx context.Context, question string, k int) (Answer, error) {
	start := time.Now()
	if err := CheckQuestion(question); err != nil {
		return Answer{}, err
	}
	if authorQuestion.MatchString(question) {
		a, err := e.answerAuthor(ctx, question, k)
		a.TookMS = time.Since(start).Milliseconds()
		return a, err
	}
	ps, err := e.Index.Search(ctx, question, k)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	a := e.compose(question, ps)
	a.Note = LanguageNote(Script(question), e.CorpusScript)
	a.TookMS = time.Since(start).Milliseconds()
	return a, nil
}

// answerAuthor answers "who wrote …" from the byline of the document the
// question names. The search uses the words that name the document only:
// "author" or "wrote" would rank passages that talk about authors.
func (e Extractive) answerAuthor(ctx context.Context, question string, k int) (Answer, error) {
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}, Passages: []Passage{}, Answer: NotFoundText}
	var words []string
	for _, kt := range retrieval.KeyTerms(question) {
		if !authorWords[kt.Terms[0]] {
			words = append(words, kt.Word)
		}
	}
	if len(words) == 0 {
		return a, nil // "Who wrote it?" names no document
	}
	ps, err := e.Index.Search(ctx, strings.Join(words, " "), k)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	a.Passages = toPassages(ps)
	// Quoting a sentence that merely mentions the document would pass for
	// an answer; without a byline the documents don't say.
	if c, ok := e.authorLine(retrieval.KeyTerms(question), ps); ok {
		a.Answer = flatten(c.Quote) + " [1]"
		a.Found = true
		a.Citations = []Citation{c}
	}
	return a, nil
}

func (e Extractive) compose(question string, ps []retrieval.Passage) Answer {
	t := e.Tuning
	if t.MaxSentences < 1 {
		t.MaxSentences = 1
	}
	a := Answer{Question: question, Mode: ModeExtractive, Citations: []Citation{}, Passages: toPassages(ps)}
	keys := contentKeys(retrieval.KeyTerms(question))
	weights, total := e.weigh(keys)

	var cands []candidate
	for pi, p := range ps {
		ctxTerms := contextTerms(p.Section, p.Title)
		for si, s := range analyzePassage(p.Text).sentences {
			if isHeading(p.Text, s.span, p.Section) {
				continue // a heading names a topic; it answers nothing
			}
			c := candidate{passage: pi, span: s.span, terms: s.terms, position: si, sentence: s}
			c.own = windowWeight(s.seq, keys, weights)
			for i, kt := range keys {
				if !hasAny(s.terms, kt.Terms) && hasAny(ctxTerms, kt.Terms) {
					c.context += weights[i]
				}
			}
			cands = append(cands, c)
		}
	}
	if total == 0 || len(cands) == 0 {
		a.Answer = NotFoundText
		return a
	}
	want := expects(question)
	top := ps[0].Score
	for i := range cands {
		c := &cands[i]
		rel := 0.0
		if top > 0 {
			rel = ps[c.passage].Score / top
		}
		c.score = (c.own+t.ContextWeight*c.context)/total + 0.15*rel - t.LengthPenalty*float64(c.span.Len())/MaxCitationBytes
		if c.sentence.holds(want) {
			c.score += 0.1
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	best := cands[0]
	if e.unknownName(keys) {
		// A name the documents never mention ("Brazil", "NATO"): whatever
		// else the question shares with them, they are not about it.
		a.Answer = NotFoundText
		return a
	}
	coverage, missing := e.passageCoverage(keys, weights, ps[best.passage])
	// With three key terms or fewer each one is the question: "the speed
	// of light" is not answered by a passage about speed.
	if coverage/total < t.MinCoverage || len(keys) <= 3 && missing > 0 {
		a.Answer = NotFoundText
		return a
	}

	chosen := []candidate{best}
	covered := coveredKeys(keys, best.terms)
	// A sentence that goes on about the best one's subject ("This
	// agreement, which came into effect …") often holds the very fact asked
	// for, with the subject's name left behind in the sentence before. It
	// is quoted when it adds a key term or the kind of fact asked for.
	if next, ok := following(cands, best); ok && t.MaxSentences > 1 {
		bp := ps[best.passage].Text[best.span.Start:best.span.End]
		np := ps[next.passage].Text[next.span.Start:next.span.End]
		adds := next.sentence.holds(want)
		for i, kt := range keys {
			adds = adds || !covered[i] && hasAny(next.terms, kt.Terms)
		}
		if continues(np) && adds || strings.HasSuffix(strings.TrimSpace(bp), ":") {
			chosen = append(chosen, next)
			for i, kt := range keys {
				if hasAny(next.terms, kt.Terms) {
					covered[i] = true
				}
			}
		}
	}
	for _, c := range cands[1:] {
		if len(chosen) >= t.MaxSentences {
			break
		}
		if slices.ContainsFunc(chosen, func(o candidate) bool { return o.passage == c.passage && o.position == c.position }) {
			continue
		}
		// A further sentence must add a key term the answer lacks, and be
		// nearly as good as the best: quoting the runner-up for its own
		// sake only lengthens the answer.
		gain := 0.0
		for i, kt := range keys {
			if !covered[i] && hasAny(c.terms, kt.Terms) {
				gain += weights[i]
			}
		}
		if gain/total < 0.2 || c.score < 0.6*best.score {
			continue
		}
		chosen = append(chosen, c)
		for i, kt := range keys {
			if hasAny(c.terms, kt.Terms) {
				covered[i] = true
			}
		}
	}
	// Quote in document order so that the answer reads as the source
	// does; documents in the order of their best sentence.
	docRank := map[string]int{}
	for _, c := range chosen {
		if _, ok := docRank[ps[c.passage].DocID]; !ok {
			docRank[ps[c.passage].DocID] = len(docRank)
		}
	}
	sort.SliceStable(chosen, func(i, j int) bool {
		pi, pj := ps[chosen[i].passage], ps[chosen[j].passage]
		if ri, rj := docRank[pi.DocID], docRank[pj.DocID]; ri != rj {
			return ri < rj
		}
		return pi.Start+chosen[i].span.Start < pj.Start+chosen[j].span.Start
	})
	var b strings.Builder
	for n, c := range chosen {
		p := ps[c.passage]
		quote := p.Text[c.span.Start:c.span.End]
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(flatten(quote))
		b.WriteString(" [" + strconv.Itoa(n+1) + "]")
		a.Citations = append(a.Citations, Citation{
			N: n + 1, Document: p.DocID, Title: p.Title,
			Start: p.Start + c.span.Start, End: p.Start + c.span.End,
			LineStart: p.LineStart + strings.Count(p.Text[:c.span.Start], "\n"),
			LineEnd:   p.LineStart + strings.Count(p.Text[:c.span.End-1], "\n"),
			Page:      p.PageAt(p.Start + c.span.Start),
			Quote:     quote, Score: round(c.score),
		})
	}
	a.Answer = b.String()
	a.Found = true
	return a
}

// weigh gives each key term its weight. A term of the corpus weighs its
// IDF. A word the corpus never uses is either a name (written with a
// capital inside the question; such questions are refused, see
// unknownName), weighing double the rarest term, or an ordinary word, often
// just the asker's paraphrase ("willing" for "open to"), which weighs the
// mean of the question's known terms so that one paraphrase cannot sink an
// answer.
func (e Extractive) weigh(keys []retrieval.KeyTerm) ([]float64, float64) {
	n := float64(e.Index.NumChunks())
	unseen := math.Log(1 + (n+0.5)/1.5)
	w := make([]float64, len(keys))
	var known, sumKnown float64
	for i, kt := range keys {
		for _, t := range kt.Terms {
			if v, ok := e.Index.IDF(t); ok && v > w[i] {
				w[i] = v
			}
		}
		if w[i] > 0 {
			known++
			sumKnown += w[i]
		}
	}
	var total float64
	for i, kt := range keys {
		switch {
		case w[i] > 0:
		case kt.Entity:
			w[i] = 2 * unseen
		case known > 0:
			w[i] = sumKnown / known
		default:
			w[i] = unseen
		}
		total += w[i]
	}
	return w, total
}

// unknownName reports whether a key term written as a name appears
// nowhere in the corpus.
func (e Extractive) unknownName(keys []retrieval.KeyTerm) bool {
	for _, kt := range keys {
		if !kt.Entity {
			continue
		}
		known := false
		for _, t := range kt.Terms {
			if _, ok := e.Index.IDF(t); ok {
				known = true
			}
		}
		if !known {
			return true
		}
	}
	return false
}

// passageCoverage is the key-term weight a passage holds in its text,
// section or title, and how many key terms it lacks.
func (e Extractive) passageCoverage(keys []retrieval.KeyTerm, weights []float64, p retrieval.Passage) (float64, int) {
	terms, ctx := analyzePassage(p.Text).terms, contextTerms(p.Section, p.Title)
	var c float64
	missing := 0
	for i, kt := range keys {
		if hasAny(terms, kt.Terms) || hasAny(ctx, kt.Terms) {
			c += weights[i]
		} else {
			missing++
		}
	}
	return c, missing
}

// following is the sentence right after c in its passage.
func following(cands []candidate, c candidate) (candidate, bool) {
	for _, o := range cands {
		if o.passage == c.passage && o.position == c.position+1 {
			return o, true
		}
	}
	return candidate{}, false
}

// anaphors open a sentence that continues the previous one's subject.
var anaphors = []string{"this ", "these ", "that ", "those ", "it ", "its ", "they ", "their ", "such ",
	"he ", "she ", "his ", "her ", "the latter", "the former", "this,", "it,",
	"этот ", "эта ", "это ", "эти ", "он ", "она ", "оно ", "они ", "его ", "её ", "их ", "такой ", "такая ", "такие "}

func continues(sentence string) bool {
	l := strings.ToLower(strings.TrimSpace(sentence))
	for _, a := range anaphors {
		if strings.HasPrefix(l, a) {
			return true
		}
	}
	return false
}

// expects names the kind of fact a question asks for: "date" for when-
// questions, "number" for how-many ones, "" otherwise.
func expects(q string) string {
	l := strings.ToLower(strings.TrimSpace(q))
	switch {
	case strings.HasPrefix(l, "when "), strings.HasPrefix(l, "since when"), strings.Contains(l, "what year"),
		strings.Contains(l, "which year"), strings.Contains(l, "what date"), strings.HasPrefix(l, "когда"),
		strings.Contains(l, "в каком году"):
		return "date"
	case strings.HasPrefix(l, "how many"), strings.HasPrefix(l, "how much"), strings.HasPrefix(l, "сколько"):
		return "number"
	}
	return ""
}

// months are the words (or, in Russian, the stems) that make a sentence
// hold a date; matched at the start of a word, ignoring case.
var months = []string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
	"январ", "феврал", "март", "апрел", "мая", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"}

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

// hasMonth reports whether a word of s starts with a month's name.
func hasMonth(s string) bool {
	prevLetter := false
	for i, r := range s {
		letter := unicode.IsLetter(r)
		if letter && !prevLetter && monthInitial(r) {
			for _, m := range months {
				if len(s)-i >= len(m) && strings.EqualFold(s[i:i+len(m)], m) {
					return true
				}
			}
		}
		prevLetter = letter
	}
	return false
}

// monthInitial is a quick test before comparing a word with every month.
func monthInitial(r rune) bool {
	switch unicode.ToLower(r) {
	case 'j', 'f', 'm', 'a', 's', 'o', 'n', 'd', 'я', 'ф', 'и', 'с', 'н', 'д', 'м', 'а', 'о':
		return true
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// window is how many content words a sentence's key terms should fall
// within to count fully, and outside how much one counts beyond it: a
// sentence about the subject names the question's terms together, one
// that merely passes by them ("… the Treaty on the Establishment of …")
// scatters them.
const (
	window  = 12
	outside = 0.5
)

// windowWeight is the key-term weight a sentence holds: in full for the
// terms in its densest window of content words, in part for the others.
func windowWeight(seq []string, keys []retrieval.KeyTerm, weights []float64) float64 {
	key := make([]int, len(seq)) // key term at each position, or -1
	var all float64
	seen := make(map[int]bool)
	for p, t := range seq {
		key[p] = -1
		for i, kt := range keys {
			if slices.Contains(kt.Terms, t) {
				key[p] = i
				if !seen[i] {
					seen[i] = true
					all += weights[i]
				}
				break
			}
		}
	}
	best := 0.0
	for s := range seq {
		if key[s] < 0 {
			continue
		}
		in := make(map[int]bool)
		var w float64
		for p := s; p < len(seq) && p < s+window; p++ {
			if k := key[p]; k >= 0 && !in[k] {
				in[k] = true
				w += weights[k]
			}
		}
		best = max(best, w)
	}
	return best + outside*(all-best)
}

// isHeading reports whether a sentence of passage text is its section
// heading, or a whole line shaped like a numbered heading ("3. Shanghai
// Cooperation Organization's Contribution …"): a heading names a topic and
// answers nothing. Other short lines (an author's name, an affiliation) are
// kept: they answer "who" and "where from".
func isHeading(text string, s retrieval.Span, section string) bool {
	line := strings.TrimSpace(text[s.Start:s.End])
	if line == "" || section != "" && line == strings.TrimSpace(section) {
		return true
	}
	wholeLine := (s.Start == 0 || text[s.Start-1] == '\n') && (s.End == len(text) || text[s.End] == '\n' || text[s.End] == '\r')
	return wholeLine && len(line) < 200 && numberedHeading.MatchString(line) &&
		!strings.ContainsAny(line[len(line)-1:], ".!?:;")
}

var numberedHeading = regexp.MustCompile(`^(\d{1,2}\.)+(\d{1,2})?\.?\s+\p{Lu}`)

func coveredKeys(keys []retrieval.KeyTerm, terms map[string]bool) map[int]bool {
	out := make(map[int]bool)
	for i, kt := range keys {
		if hasAny(terms, kt.Terms) {
			out[i] = true
		}
	}
	return out
}

func termSet(text string) map[string]bool {
	s := make(map[string]bool)
	for _, t := range retrieval.Terms(text) {
		s[t] = true
	}
	return s
}

func hasAny(set map[string]bool, terms []string) bool {
	for _, t := range terms {
		if set[t] {
			return true
		}
	}
	return false
}

// flatten joins a quote's lines for the answer text and turns the
// document's own bracketed references ("[4]", "[3, p. 32]") into
// parentheses, so that every [n] in an answer is one of its citations. The
// citation keeps the exact bytes.
func flatten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return bracketRef.ReplaceAllString(s, "($1)")
}

// bracketRef is a bracketed reference that holds a digit.
var bracketRef = regexp.MustCompile(`\[([^\[\]]*\d[^\[\]]*)\]`)

// metaWords speak of the documents rather than of their subject ("what
// do the documents say about …"): the text is not asked to hold them.
var metaWords = stems("say", "tell", "mention", "document", "documents", "text", "article", "paper", "source", "sources")

func stems(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		for _, t := range retrieval.Terms(w) {
			m[t] = true
		}
	}
	return m
}

// contentKeys drops the key terms a passage need not hold: words about
// the documents, and numbers when nothing else is asked ("[1] what?").
func contentKeys(keys []retrieval.KeyTerm) []retrieval.KeyTerm {
	var out []retrieval.KeyTerm
	words := false
	for _, kt := range keys {
		if metaWords[kt.Terms[0]] {
			continue
		}
		if !isNumber(kt.Word) {
			words = true
		}
		out = append(out, kt)
	}
	if !words {
		return nil
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

// authorQuestion matches questions about who wrote a document, which the
// document answers by its byline, not by a sentence.
var authorQuestion = regexp.MustCompile(`(?i)\bwho\s+(?:wrote|writes|has written|authored|is the author|are the authors|was the author)\b|\bкто\s+(?:написал|автор)`)

// authorWords are the question's words that ask for the author rather
// than name the document.
var authorWords = stems("wrote", "write", "written", "writes", "authored", "author", "authors",
	"article", "paper", "document", "text", "report", "написал", "автор", "статья", "статью")

// authorLine finds the byline of the document the question names: the
// first non-empty line after the title, when it is short and reads like
// names. The document is the best-ranked one whose title and header cover
// the question's other key terms.
func (e Extractive) authorLine(keys []retrieval.KeyTerm, ps []retrieval.Passage) (Citation, bool) {
	var topic []retrieval.KeyTerm
	for _, kt := range keys {
		if !authorWords[kt.Terms[0]] {
			topic = append(topic, kt)
		}
	}
	weights, total := e.weigh(topic)
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
		if total > 0 {
			about := termSet(doc.Title + "\n" + doc.Text[:min(len(doc.Text), end+600)])
			var c float64
			for i, kt := range topic {
				if hasAny(about, kt.Terms) {
					c += weights[i]
				}
			}
			if c/total < e.Tuning.MinCoverage {
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
func byline(doc retrieval.Document) (int, int, bool) {
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
