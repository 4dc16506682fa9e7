package retrieval

import (
	"unicode"
	"unicode/utf8"
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
		out = append(out, KeyTerm{Word: lw, Terms: []string{t}, Entity: capital && !isFirst})
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
