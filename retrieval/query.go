package retrieval

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"citebot/retrieval/rulex"
)

// KeyTerm is one content word of a question with the index terms that
// stand for it. A question is covered by a text when the text holds, for
// each key term, at least one of its Terms.
type KeyTerm struct {
	Word  string   // the word as written, lower-cased
	Terms []string // its stem, plus translations' stems for foreign words
	// Entity marks a word written with a capital inside the question (a
	// name or an acronym): a corpus that never mentions it cannot answer.
	Entity bool
}

// queryTerms are the weighted BM25 terms of a question: each key term
// counts once in all, shared between its own stem and its translations,
// so that a Russian word with three renderings does not outweigh an
// English word with one.
func queryTerms(q string) []weightedTerm {
	var out []weightedTerm
	for _, kt := range KeyTerms(q) {
		w := 1 / float64(len(kt.Terms))
		for _, t := range kt.Terms {
			out = append(out, weightedTerm{t, w})
		}
	}
	return out
}

type weightedTerm struct {
	term   string
	weight float64
}

// KeyTerms analyses a question into its key terms, in order, without
// duplicates.
func KeyTerms(q string) []KeyTerm {
	var out []KeyTerm
	seen := make(map[string]bool)
	first := true
	forEachWordCase(q, func(w string, capital bool) {
		lw := lower(w)
		t, ok := term(lw)
		isFirst := first
		first = false
		if !ok || seen[t] {
			return
		}
		seen[t] = true
		kt := KeyTerm{Word: lw, Terms: []string{t}}
		r, _ := utf8.DecodeRuneInString(lw)
		if unicode.Is(unicode.Cyrillic, r) {
			// The documents may be English: add the translations' stems.
			// A Russian capital marks no name as reliably as an English
			// one does (concepts are capitalised), so no entity here.
			for _, en := range rulex.Translate(t) {
				if et, ok := term(en); ok && !slices.Contains(kt.Terms, et) {
					kt.Terms = append(kt.Terms, et)
				}
			}
		} else {
			kt.Entity = capital && !isFirst
		}
		out = append(out, kt)
	})
	return out
}

func lower(w string) string {
	b := make([]rune, 0, len(w))
	for _, r := range w {
		if r == '’' {
			r = '\'' // as forEachWord does, so both reach the same stem
		}
		b = append(b, unicode.ToLower(r))
	}
	return string(b)
}

// forEachWordCase is forEachWord keeping the original case and telling
// whether the word starts with a capital letter.
func forEachWordCase(text string, fn func(w string, capital bool)) {
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := text[start:end]
			r, _ := utf8.DecodeRuneInString(w)
			fn(w, unicode.IsUpper(r))
			start = -1
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
		case (r == '\'' || r == '’') && start >= 0:
			next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
			if !unicode.IsLetter(next) {
				flush(i)
			}
		default:
			flush(i)
		}
	}
	flush(len(text))
}
