package analysis

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"citebot/analysis/rulex"
)

// KeyTerm is one content word of a question with the index terms that
// stand for it. A question is covered by a text when the text holds, for
// each key term, at least one of its Terms.
type KeyTerm struct {
	Word  string   // the word as written, lower-cased
	Terms []string // its stem, plus translations' stems for foreign words
	// Weights holds, for each of Terms, how surely it renders the word
	// (0–1]: 1 for the word's own stem and for a name found in the
	// corpus by its sound, less for a dictionary's second and third
	// translations.
	Weights []float64
	// Entity marks a word written with a capital inside the question (a
	// name or an acronym): a corpus that never mentions it cannot answer.
	Entity bool
	// IDF is the rarest of Terms' weight in the corpus, 0 when the corpus
	// holds none of them (set by Index.Analyze).
	IDF float64
}

// Known reports whether the corpus holds any of the key term's Terms.
func (kt KeyTerm) Known() bool { return kt.IDF > 0 }

// Match is how surely a set of terms holds the key term: the weight of
// the best of its Terms found there, 0 when none is.
func (kt KeyTerm) Match(has func(term string) bool) float64 {
	best := 0.0
	for i, t := range kt.Terms {
		if w := kt.Weight(i); w > best && has(t) {
			best = w
		}
	}
	return best
}

func (kt KeyTerm) Weight(i int) float64 {
	if i < len(kt.Weights) {
		return kt.Weights[i]
	}
	return 1
}

// Query is a question analysed once, for everything that needs it: the
// keyword search, the answer model's features and the refusal.
type Query struct {
	Text string
	Keys []KeyTerm
	// Wants is the kind of fact the question asks for.
	Wants Want
	// Foreign marks a question mostly in another script than Latin, whose
	// words reach the corpus through translation only.
	Foreign bool
}

// Want is the kind of fact a question asks for.
type Want string

// The kinds of fact a question can ask for; WantOther when its words do
// not say.
const (
	WantOther  Want = ""
	WantDate   Want = "date"
	WantNumber Want = "number"
	WantPerson Want = "person"
	WantPlace  Want = "place"
)

// AnalyzeQuery analyses a question without an index: key terms with
// dictionary translations, unweighted. Index.Analyze adds what only the
// corpus knows.
func AnalyzeQuery(q string) Query {
	keys := KeyTerms(q)
	foreign := false
	latin, cyr := 0, 0
	for _, r := range q {
		switch {
		case r < utf8.RuneSelf:
			// ASCII, without the tables: its letters are Latin.
			if c := r | 0x20; 'a' <= c && c <= 'z' {
				latin++
			}
		case 'А' <= r && r <= 'я' || r == 'ё' || r == 'Ё':
			cyr++
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		}
	}
	foreign = cyr > latin
	return Query{Text: q, Keys: keys, Wants: wants(q), Foreign: foreign}
}

// KeyTerms analyses a question into its key terms, in order, without
// duplicates.
func KeyTerms(q string) []KeyTerm {
	var out []KeyTerm
	// Each key term's Terms and Weights are cut from shared arrays, with
	// no room to spare, so that adding a term to one copies it and leaves
	// its neighbours alone.
	var terms []string
	var weights []float64
	var seenMap map[string]bool // once there are many key terms
	var translations []string   // a Russian word's, reused from word to word
	seen := func(t string) bool {
		if seenMap != nil {
			return seenMap[t]
		}
		for _, kt := range out {
			if kt.Terms[0] == t {
				return true
			}
		}
		return false
	}
	first := true
	ForEachWordCase(q, func(w string, capital bool) {
		lw := Lower(w)
		t, ok := Term(lw)
		isFirst := first
		first = false
		if !ok || seen(t) || IsCyrillicWord(lw) && questionWords()[lw] {
			return
		}
		if len(out) == 16 {
			seenMap = make(map[string]bool, 32)
			for _, kt := range out {
				seenMap[kt.Terms[0]] = true
			}
		}
		if seenMap != nil {
			seenMap[t] = true
		}
		translations = translations[:0]
		if IsCyrillicWord(lw) {
			translations = translate(translations, lw, t)
		}
		if need := 1 + len(translations); cap(terms)-len(terms) < need {
			terms, weights = make([]string, 0, max(8, need)), make([]float64, 0, max(8, need))
		}
		start := len(terms)
		terms, weights = append(terms, t), append(weights, 1)
		kt := KeyTerm{Word: lw}
		if IsCyrillicWord(lw) {
			// The documents may be English: add the translations' stems,
			// the dictionary's first rendering weighing most. A Russian
			// capital marks no name as reliably as an English one does
			// (concepts are capitalised), so no entity here.
			for n, en := range translations {
				if et, ok := Term(en); ok && !slices.Contains(terms[start:], et) {
					terms = append(terms, et)
					weights = append(weights, 1/float64(n+1))
				}
			}
		} else {
			kt.Entity = capital && !isFirst
		}
		end := len(terms)
		kt.Terms, kt.Weights = terms[start:end:end], weights[start:end:end]
		if out == nil {
			out = make([]KeyTerm, 0, 8)
		}
		out = append(out, kt)
	})
	return out
}

// questionWords are Russian interrogative and relative words, which ask
// rather than name what the answer is about (the Snowball stop list lacks
// them; English ones are stop words already). They are dropped from
// questions only: documents are indexed as they are. Built on first use,
// as are the other Russian tables below: every command starts the
// package, and most never see a Russian word.
var questionWords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`как какой какая какое какие каким какого какому каких какую какими каком
		который которая которое которые которого которой которому которую которым котором которых
		кто кем кого кому ком что чем чего чему чём где когда куда откуда почему зачем сколько
		чей чья чьё чье чьи чьей чьего каков какова каково каковы именно называется называют называли звали зовут
		может могут мог могла могли можно является являются являлся являлась являлись согласно благодаря
		приведите назовите перечислите опишите объясните имеет имеют имел имела имели насколько означает
		означают такое такие`) {
		m[w] = true
	}
	return m
})

// translate renders a Russian word in English: numerals and months from
// closed lists (the general dictionary misses or garbles them), then the
// dictionary's words for its stem.
func translate(dst []string, word, stem string) []string {
	closed := closedClass()[word]
	dst = append(dst, closed...)
	n := len(dst)
	dst = rulex.AppendTranslations(dst, stem)
	if len(closed) > 0 {
		return dst
	}
	// The dictionary's numerals come from stems other words share
	// (стоит, "costs", stems as сто, "hundred"): numerals come from the
	// closed list alone.
	kept := dst[:n]
	for _, en := range dst[n:] {
		if !englishNumerals()[en] {
			kept = append(kept, en)
		}
	}
	return kept
}

// englishNumerals are the dictionary renderings that name numbers.
var englishNumerals = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`one two three four five six seven eight nine ten eleven twelve thirteen
		fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
		ninety hundred hundreds thousand thousands million millions billion billions`) {
		m[w] = true
	}
	return m
})

// closedClass maps the forms of Russian numerals and months to English
// renderings: digits for numbers, as documents write them. Whole forms,
// not stems: a stem such as "сто" (100) would also take "стол" (table).
var closedClass = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	add := func(en string, forms string) {
		for _, f := range strings.Fields(forms) {
			m[f] = append(m[f], strings.Fields(en)...)
		}
	}
	add("1 one", "один одна одно одного одной одному одним одном одну")
	add("2 two", "два две двух двум двумя")
	add("3 three", "три трех трёх трем трём тремя")
	add("4 four", "четыре четырех четырёх четырем четырём четырьмя")
	add("5 five", "пять пяти пятью")
	add("6 six", "шесть шести шестью")
	add("7 seven", "семь семи")
	add("8 eight", "восемь восьми восемью восьмью")
	add("9 nine", "девять девяти девятью")
	add("10 ten", "десять десяти десятью")
	add("100 hundred", "сто ста")
	for _, n := range []struct{ en, stem string }{
		{"11 eleven", "одиннадцат"}, {"12 twelve", "двенадцат"}, {"13 thirteen", "тринадцат"},
		{"14 fourteen", "четырнадцат"}, {"15 fifteen", "пятнадцат"}, {"16 sixteen", "шестнадцат"},
		{"17 seventeen", "семнадцат"}, {"18 eighteen", "восемнадцат"}, {"19 nineteen", "девятнадцат"},
		{"20 twenty", "двадцат"}, {"30 thirty", "тридцат"},
	} {
		add(n.en, n.stem+"ь "+n.stem+"и "+n.stem+"ью")
	}
	add("40 forty", "сорок сорока")
	add("50 fifty", "пятьдесят пятидесяти")
	add("60 sixty", "шестьдесят шестидесяти")
	add("70 seventy", "семьдесят семидесяти")
	add("80 eighty", "восемьдесят восьмидесяти")
	add("90 ninety", "девяносто девяноста")
	add("200", "двести двухсот")
	add("300", "триста трехсот трёхсот")
	add("400", "четыреста четырехсот четырёхсот")
	add("500", "пятьсот пятисот")
	add("600", "шестьсот шестисот")
	add("700", "семьсот семисот")
	add("800", "восемьсот восьмисот")
	add("900", "девятьсот девятисот")
	for _, n := range []struct{ en, stem string }{{"thousand", "тысяч"}, {"million", "миллион"}, {"billion", "миллиард"}} {
		forms := n.stem
		for _, e := range []string{"а", "и", "у", "ей", "ам", "ами", "ах", "ов", "ом", "е", "ы"} {
			forms += " " + n.stem + e
		}
		add(n.en, forms)
	}
	for _, mo := range []struct{ en, forms string }{
		{"january", "январь января январе январём январем"}, {"february", "февраль февраля феврале"},
		{"march", "март марта марте"}, {"april", "апрель апреля апреле"}, {"may", "май мая мае"},
		{"june", "июнь июня июне"}, {"july", "июль июля июле"}, {"august", "август августа августе"},
		{"september", "сентябрь сентября сентябре"}, {"october", "октябрь октября октябре"},
		{"november", "ноябрь ноября ноябре"}, {"december", "декабрь декабря декабре"},
	} {
		add(mo.en, mo.forms)
	}
	return m
})

func IsCyrillicWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.Is(unicode.Cyrillic, r)
}

// wantPhrases are the question words that tell the kind of fact asked
// for, English or Russian, by kind: the first kind with a phrase in the
// question wins.
var wantPhrases = []struct {
	want    Want
	phrases []string
}{
	{WantDate, []string{"when", "what year", "which year", "what date", "what century", "which century", "what decade",
		"когда", "в каком году", "в каком веке", "какого числа", "в какой год", "какой год", "в каком месяце"}},
	{WantNumber, []string{"how many", "how much", "how long", "how old", "how far", "how large", "how big", "how high",
		"what percentage", "what percent", "what number", "what amount",
		"сколько", "какой процент", "какова длина", "какова площадь", "каков размер", "какое количество"}},
	{WantPerson, []string{"who", "whom", "whose", "кто", "кого", "кому", "кем", "чей", "чья", "чьи"}},
	{WantPlace, []string{"where", "what country", "which country", "what city", "which city", "где", "куда", "откуда",
		"в какой стране", "в каком городе"}},
}

// wantPhrase is a phrase of wantPhrases with the index of its kind.
type wantPhrase struct {
	phrase string
	kind   int
}

// wantsByWord maps a first word to the phrases of wantPhrases it opens.
var wantsByWord = sync.OnceValue(func() map[string][]wantPhrase {
	m := map[string][]wantPhrase{}
	for k, w := range wantPhrases {
		for _, p := range w.phrases {
			first, _, _ := strings.Cut(p, " ")
			m[first] = append(m[first], wantPhrase{p, k})
		}
	}
	return m
})

// wants tells the kind of fact a question asks for from its question
// words: the first kind of wantPhrases with a phrase among the padded
// words (hasWords). A phrase held there starts at a word, which names
// it, so the words are looked up one by one: searching the question for
// each of the sixty phrases in turn was a twentieth of an answer.
func wants(q string) Want {
	var buf [256]byte // most questions' padded words, on the stack
	l := appendPaddedWords(buf[:0], q)
	byWord := wantsByWord()
	best := len(wantPhrases)
	for i := 1; i < len(l); {
		end := i + bytes.IndexByte(l[i:], ' ')
		for _, p := range byWord[string(l[i:end])] {
			if n := len(p.phrase); p.kind < best && i+n < len(l) && string(l[i:i+n]) == p.phrase && l[i+n] == ' ' {
				best = p.kind
			}
		}
		i = end + 1
	}
	if best < len(wantPhrases) {
		return wantPhrases[best].want
	}
	return WantOther
}

// hasWords reports whether padded words l hold the words p, whole: "
// "+p+" " is in l.
func hasWords(l, p string) bool {
	for off := 0; ; {
		i := strings.Index(l[off:], p)
		if i < 0 {
			return false
		}
		i += off
		if i > 0 && l[i-1] == ' ' && i+len(p) < len(l) && l[i+len(p)] == ' ' {
			return true
		}
		off = i + 1
	}
}

// paddedWords is a question's words, lower-cased, each between spaces:
// " when did the sco agreement come into effect ".
func paddedWords(q string) string { return string(appendPaddedWords(nil, q)) }

// appendPaddedWords appends paddedWords(q) to b.
func appendPaddedWords(b []byte, q string) []byte {
	start := len(b)
	b = append(b, ' ')
	inWord := false
	for _, r := range q {
		var word bool
		if r < utf8.RuneSelf {
			// ASCII, most questions, without the Unicode tables.
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			word = 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
		} else {
			r = unicode.ToLower(r)
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if word {
			b = utf8.AppendRune(b, r)
			inWord = true
		} else if inWord {
			b = append(b, ' ')
			inWord = false
		}
	}
	if inWord || len(b) == start+1 {
		b = append(b, ' ')
	}
	return b
}

// Lower lower-cases a word, with the typographic apostrophe (’) as the
// plain one, as forEachWord does, so both reach the same stem. A word
// that is lower case ASCII already is returned as it is.
func Lower(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return lowerRunes(w)
		}
	}
	return w
}

func lowerRunes(w string) string {
	var buf [64]byte
	b := buf[:0]
	for _, r := range w {
		if r == '’' {
			r = '\''
		}
		b = utf8.AppendRune(b, toLower(r))
	}
	return string(b)
}

// toLower is unicode.ToLower, Russian's capitals lowered without the
// tables.
func toLower(r rune) rune {
	switch {
	case 'А' <= r && r <= 'Я':
		return r + 'а' - 'А'
	case r == 'Ё':
		return 'ё'
	case 'а' <= r && r <= 'я', r == 'ё':
		return r
	}
	return unicode.ToLower(r)
}

// russianLetter reports whether r is one of Russian's 66 letters, which
// unicode.IsLetter would find in its tables; upper tells a capital.
func russianLetter(r rune) (letter, upper bool) {
	switch {
	case 'А' <= r && r <= 'Я', r == 'Ё':
		return true, true
	case 'а' <= r && r <= 'я', r == 'ё':
		return true, false
	}
	return false, false
}

// ForEachWordCase calls fn with each word of text as written (the words
// Terms sees), telling whether it starts with a capital letter.
func ForEachWordCase(text string, fn func(w string, capital bool)) {
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := text[start:end]
			r, _ := utf8.DecodeRuneInString(w)
			upper := false
			if letter, up := russianLetter(r); letter {
				upper = up
			} else {
				upper = unicode.IsUpper(r)
			}
			fn(w, upper)
			start = -1
		}
	}
	for i, r := range text {
		// Russian letters are found without the Unicode tables (ASCII
		// has its own shortcut in them).
		letter, _ := russianLetter(r)
		switch {
		case letter || unicode.IsLetter(r) || unicode.IsDigit(r):
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
