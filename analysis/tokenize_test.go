package analysis

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"stop words dropped", "the of and is a to in", nil},
		{"English stems", "organizations Organizations organization", []string{"organ", "organ", "organ"}},
		{"stems meet", "securing secured security", []string{"secur", "secur", "secur"}},
		{"single letters dropped", "x y z vitamin D", []string{"vitamin"}},
		{"numbers kept whole", "In 1999 and 2012, article 15", []string{"1999", "2012", "articl", "15"}},
		{"number-led word kept", "3D printing of 5G parts", []string{"3d", "print", "5g", "part"}},
		{"hyphen splits", "2019-2022 state-of-the-art COVID-19", []string{"2019", "2022", "state", "art", "covid", "19"}},
		{"apostrophe possessive", "SCO's members", []string{"sco", "member"}},
		{"curly apostrophe", "SCO’s members", []string{"sco", "member"}},
		{"apostrophe inside a word", "o'clock", []string{"o'clock"}},
		{"trailing apostrophe", "the members' rights", []string{"member", "right"}},
		{"quoted word", "'security' \"policy\"", []string{"secur", "polici"}},
		{"Russian stems", "информационной безопасности Союзного государства", []string{"информацион", "безопасн", "союзн", "государств"}},
		{"Russian stop words", "и в на не что как", nil},
		{"Russian upper case", "БЕЗОПАСНОСТИ", []string{"безопасн"}},
		{"mixed scripts", "ШОС and SCO", []string{"шос", "sco"}},
		{"other scripts kept", "東京 Ελλάδα", []string{"東京", "ελλάδα"}},
		{"punctuation only", "?!... --- ()", nil},
		{"irregular verbs meet their base", "froze freeze frozen wrote write written began begin", []string{"freez", "freez", "freez", "write", "write", "write", "begin", "begin"}},
		{"ambiguous past forms left alone", "found left", []string{"found", "left"}},
		{"invalid UTF-8 splits", "secur\xffity", []string{"secur", "iti"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terms(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestKeyTerms(t *testing.T) {
	type kt struct {
		word, term string
		entity     bool
	}
	tests := []struct {
		q    string
		want []kt
	}{
		{"When did the SCO agreement come into effect?", []kt{{"sco", "sco", true}, {"agreement", "agreement", false}, {"come", "come", false}, {"effect", "effect", false}}},
		{"Who is the Director of RAS?", []kt{{"director", "director", true}, {"ras", "ras", true}}},
		// The first word is capitalised by grammar, not because it is a name.
		{"Putin signed what?", []kt{{"putin", "putin", false}, {"signed", "sign", false}}},
		{"security Security SECURITY", []kt{{"security", "secur", false}}},
		{"What is SCO’s charter?", []kt{{"sco's", "sco", true}, {"charter", "charter", false}}},
		{"the 1999 treaty", []kt{{"1999", "1999", false}, {"treaty", "treati", false}}},
		{"what is the", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var got []kt
			for _, k := range KeyTerms(tt.q) {
				if len(k.Terms) == 0 {
					t.Fatalf("KeyTerms(%q): %q has no terms", tt.q, k.Word)
				}
				got = append(got, kt{k.Word, k.Terms[0], k.Entity})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("KeyTerms(%q) =\n %+v\nwant\n %+v", tt.q, got, tt.want)
			}
		})
	}
}

// TestKeyTermsRussian checks the Cyrillic words' own stems; what they are
// translated to is rulex's business.
func TestKeyTermsRussian(t *testing.T) {
	got := KeyTerms("Когда создано Союзное государство?")
	var stems []string
	for _, k := range got {
		stems = append(stems, k.Terms[0])
		if k.Entity {
			t.Errorf("%q marked as an entity, want Russian capitals not to be", k.Word)
		}
	}
	if want := []string{"созда", "союзн", "государств"}; !reflect.DeepEqual(stems, want) {
		t.Errorf("Russian key terms' stems = %q, want %q", stems, want)
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"", "Organizations' SCO's 2019-2022", "информационной безопасности", "naïve café",
		"o'", "'s", "’’a’b", "\xff'a", "Ǆemal ǅ", "İstanbul", "ΣΑΣ", "a1б2c3", "x’\xe2\x80", "12abc", "ﬁnance"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms := Terms(s)
		for _, term := range terms {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("Terms(%q) has a bad term %q", s, term)
			}
		}
		if again := Terms(s); !slices.Equal(again, terms) {
			t.Fatalf("Terms(%q) = %q, then %q", s, terms, again)
		}
		// A question's key terms must be the terms its words get in the
		// index, or questions would miss the text they quote.
		var want []string
		ForEachWordCase(s, func(w string, _ bool) {
			if term, ok := Term(Lower(w)); ok && !slices.Contains(want, term) {
				want = append(want, term)
			}
		})
		var fromText []string
		for _, term := range terms {
			if !slices.Contains(fromText, term) {
				fromText = append(fromText, term)
			}
		}
		if !slices.Equal(fromText, want) {
			t.Fatalf("%q: Terms gives %q, the question's words give %q", s, fromText, want)
		}
		var keys []string
		for _, k := range KeyTerms(s) {
			if len(k.Terms) == 0 {
				t.Fatalf("KeyTerms(%q): %q has no terms", s, k.Word)
			}
			for _, term := range k.Terms {
				if term == "" || !utf8.ValidString(term) {
					t.Fatalf("KeyTerms(%q): %q has a bad term %q", s, k.Word, term)
				}
			}
			keys = append(keys, k.Terms[0])
		}
		if !slices.Equal(keys, want) {
			t.Fatalf("KeyTerms(%q) stems %q, want %q", s, keys, want)
		}
	})
}

// wordsBefore is the tokenizer as it was before forEachWord reused
// ForEachWordCase and Lower passed lower-case words through uncopied: the
// words every stored index was built from.
func wordsBefore(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '’') && b.Len() > 0:
			next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
			if unicode.IsLetter(next) {
				b.WriteByte('\'')
			} else {
				flush()
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// FuzzWordsAsBefore holds the tokenizer's words to the earlier
// implementation's, byte for byte: a difference would need a new
// TokenizerVersion.
func FuzzWordsAsBefore(f *testing.F) {
	for _, s := range []string{"", "Organizations' SCO's 2019-2022", "информационной безопасности", "naïve café",
		"o'", "'s", "’’a’b", "\xff'a", "Ǆemal ǅ", "İstanbul", "ΣΑΣ", "a1б2c3", "x’\xe2\x80", "12abc", "ﬁnance",
		"lower case only", "It’s a dog's life", "a a a", "what what year", "Who? WHO!", "a'1 b’2 c'", "ÀÉÎ öü", "\u00a0word\u2003WORD",
		"When and where? Who", "how how many", "В каком году, где и кто?", "сколько", "in which city what year"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got []string
		forEachWord(s, func(w string) { got = append(got, w) })
		if want := wordsBefore(s); !slices.Equal(got, want) {
			t.Fatalf("forEachWord(%q) = %q, before %q", s, got, want)
		}
		l := paddedWords(s)
		if want := paddedBefore(s); l != want {
			t.Fatalf("paddedWords(%q) = %q, before %q", s, l, want)
		}
		phrases := []string{"when", "what year", "how many", "who", "кто", "в каком году", "a", "a a"}
		phrases = append(phrases, strings.Fields(l)...)
		if f := strings.Fields(l); len(f) > 1 {
			phrases = append(phrases, f[0]+" "+f[1], f[len(f)-2]+" "+f[len(f)-1])
		}
		for _, p := range phrases {
			if got, want := hasWords(l, p), strings.Contains(l, " "+p+" "); got != want {
				t.Fatalf("hasWords(%q, %q) = %t, want %t", l, p, got, want)
			}
		}
		if got, want := wants(s), wantsBefore(s); got != want {
			t.Fatalf("wants(%q) = %q, before %q", s, got, want)
		}
		ForEachWordCase(s, func(w string, _ bool) {
			if got, want := Lower(w), lowerRunes(w); got != want {
				t.Fatalf("Lower(%q) = %q, want %q", w, got, want)
			}
		})
	})
}

// wantsBefore is wants as it was, each phrase searched for in turn.
func wantsBefore(q string) Want {
	l := paddedWords(q)
	for _, w := range wantPhrases {
		for _, p := range w.phrases {
			if hasWords(l, p) {
				return w.want
			}
		}
	}
	return WantOther
}

// paddedBefore is paddedWords as it was before it took one pass.
func paddedBefore(q string) string {
	return " " + strings.Join(strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ") + " "
}
