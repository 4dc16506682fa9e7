package answer

import (
	"unicode"
	"unicode/utf8"
)

// Script names the writing system most letters of a text are in: "latin",
// "cyrillic", "greek", "arabic", "hebrew", "han", "other", or "" for a
// text without letters. It stands in for the language: the corpus's
// language and a question's are compared by it.
func Script(text string) string {
	var counts [len(scripts)]int
	for _, r := range text {
		if r < utf8.RuneSelf {
			// The ASCII letters are all Latin; most documents are
			// mostly ASCII, and the tables below are searched per rune.
			if c := r | 0x20; 'a' <= c && c <= 'z' {
				counts[latin]++
			}
			continue
		}
		if 'А' <= r && r <= 'я' || r == 'ё' || r == 'Ё' {
			counts[cyrillic]++ // Russian's letters, without the tables
			continue
		}
		if !unicode.IsLetter(r) {
			continue
		}
		switch {
		case unicode.Is(unicode.Latin, r):
			counts[latin]++
		case unicode.Is(unicode.Cyrillic, r):
			counts[cyrillic]++
		case unicode.Is(unicode.Greek, r):
			counts[greek]++
		case unicode.Is(unicode.Arabic, r):
			counts[arabic]++
		case unicode.Is(unicode.Hebrew, r):
			counts[hebrew]++
		case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), unicode.Is(unicode.Hangul, r):
			counts[han]++
		default:
			counts[other]++
		}
	}
	// The most letters win; a tie goes to the name first in
	// alphabetical order, which scripts is in.
	best, n := "", 0
	for i, c := range counts {
		if c > n {
			best, n = scripts[i], c
		}
	}
	return best
}

// scripts are Script's names, in alphabetical order.
var scripts = [...]string{arabic: "arabic", cyrillic: "cyrillic", greek: "greek", han: "han", hebrew: "hebrew", latin: "latin", other: "other"}

const (
	arabic = iota
	cyrillic
	greek
	han
	hebrew
	latin
	other
)

// languageNotes tell, in the asker's script, that questions in the
// documents' language work best (said when no language model can
// translate the question).
var languageNotes = map[string]string{
	"latin":    "Questions in the documents' language work best.",
	"cyrillic": "Лучше всего работают вопросы на языке документов.",
}

// notFoundTexts say plainly, in the asker's script, that the documents
// don't answer.
var notFoundTexts = map[string]string{
	"cyrillic": "В документах об этом не сказано: я не нашёл в них ответа на этот вопрос.",
}

func notFoundIn(script string) string {
	if t, ok := notFoundTexts[script]; ok {
		return t
	}
	return NotFoundText
}

// LanguageNote is the note for a question in another script than the
// corpus's, in the question's script (English when there is none for it);
// "" when the scripts agree or either is unknown.
func LanguageNote(questionScript, corpusScript string) string {
	if questionScript == "" || corpusScript == "" || questionScript == corpusScript {
		return ""
	}
	if n, ok := languageNotes[questionScript]; ok {
		return n
	}
	return languageNotes["latin"]
}
