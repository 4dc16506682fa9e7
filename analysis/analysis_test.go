package analysis

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestSoundKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"penters", "panthers"}, // Пэнтерс
		{"dzhared", "jared"},    // Джаред
		{"allen", "allen"},      // Аллен
		{"bronkos", "broncos"},  // Бронкос
		{"denvera", "denver"},   // Денвера: a case ending that is a vowel
		{"harvard", "harvard"},  // Гарвард read with h
		{"kubilaya", "kublai"},  // Хубилая read with k
		{"borte", FoldLatin("börte")},
		{"tyuringa", "turing"},
		{"andzhelesa", "anjeles"}, // Анджелеса, Angeles read with a soft g (nameKeys)
		{"greyndzhera", "granjer"},
	}
	for _, tt := range tests {
		ka, kb := SoundKey(tt.a), SoundKey(tt.b)
		if ka == "" || ka != kb {
			t.Errorf("soundKey(%q) = %q, soundKey(%q) = %q: want the same, non-empty", tt.a, ka, tt.b, kb)
		}
	}
	for _, w := range []string{"", "ab", "kim", "a1b", "ü"} {
		if k := SoundKey(w); len(k) != 0 && len(k) < 3 {
			t.Errorf("soundKey(%q) = %q: keys under three letters say too little", w, k)
		}
	}
	if SoundKey("allen") == SoundKey("ellison") {
		t.Error("allen and ellison share a key")
	}
}

func TestNameKeys(t *testing.T) {
	for _, tt := range []struct{ name, russian string }{{"angeles", "andzhelesa"}, {"granger", "greyndzher"}, {"gregory", "gregori"}} {
		if !slices.Contains(NameKeys(tt.name), SoundKey(tt.russian)) {
			t.Errorf("nameKeys(%q) = %q, lacks %q's key %q", tt.name, NameKeys(tt.name), tt.russian, SoundKey(tt.russian))
		}
	}
}

func TestTransliterations(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"пэнтерс", []string{"penters"}},
		{"джаред", []string{"dzhared"}},
		{"гарвард", []string{"garvard", "harvard"}},
		{"хубилай", []string{"khubilay", "kubilay"}},
		{"щука", []string{"shchuka"}},
		{"ok", []string{"ok"}},
		{"日本", nil},
	}
	for _, tt := range tests {
		if got := Transliterations(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("transliterations(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAnalyzeQuery(t *testing.T) {
	tests := []struct {
		q       string
		wants   Want
		foreign bool
	}{
		{"When did the SCO agreement come into effect?", WantDate, false},
		{"In what year was it signed?", WantDate, false},
		{"How many nations are within the Amazon Basin?", WantNumber, false},
		{"Who wrote the report?", WantPerson, false},
		{"Where was the conference held?", WantPlace, false},
		{"What is MGIMO?", WantOther, false},
		{"Когда была принята Концепция?", WantDate, true},
		{"В каком году основан город?", WantDate, true},
		{"Сколько стран входит в ШОС?", WantNumber, true},
		{"Кто написал статью?", WantPerson, true},
		{"Где прошла конференция?", WantPlace, true},
		{"", WantOther, false},
	}
	for _, tt := range tests {
		q := AnalyzeQuery(tt.q)
		if q.Wants != tt.wants || q.Foreign != tt.foreign || q.Text != tt.q {
			t.Errorf("AnalyzeQuery(%q) wants %q foreign %v, want %q %v", tt.q, q.Wants, q.Foreign, tt.wants, tt.foreign)
		}
	}
}

// TestRussianNumeralsAndMonths: closed word classes the dictionary misses
// are rendered as documents write them.
func TestRussianNumeralsAndMonths(t *testing.T) {
	tests := map[string][]string{
		"двух":      {"2", "two"},
		"пяти":      {"5", "five"},
		"январе":    {"januari"},
		"декабря":   {"decemb"},
		"тысяч":     {"thousand"},
		"миллионов": {"million"},
		"двадцати":  {"20", "twenti"},
		"девяносто": {"90", "nineti"},
		"двухсот":   {"200"},
	}
	for word, want := range tests {
		keys := KeyTerms(word)
		if len(keys) != 1 {
			t.Fatalf("KeyTerms(%q) = %v", word, keys)
		}
		for _, w := range want {
			if !slices.Contains(keys[0].Terms, w) {
				t.Errorf("%s renders as %q, want %q among them", word, keys[0].Terms, w)
			}
		}
	}
}

// TestRussianNotNumerals: words that begin like a numeral or a month are
// not rendered as one.
func TestRussianNotNumerals(t *testing.T) {
	for _, word := range []string{"стол", "мак", "пятно", "маршрут", "стока", "стоит", "семья"} {
		keys := KeyTerms(word)
		if len(keys) != 1 {
			t.Fatalf("KeyTerms(%q) = %v", word, keys)
		}
		for _, bad := range []string{"100", "hundr", "may", "5", "five", "7", "seven", "march"} {
			if slices.Contains(keys[0].Terms, bad) {
				t.Errorf("%s renders as %q", word, keys[0].Terms)
			}
		}
	}
}

// soundKeyBefore is SoundKey as it was, every rule tried on every word.
func soundKeyBefore(w string) string {
	for _, r := range [...][2]string{{"shch", "s"}, {"dzh", "j"}, {"zh", "j"}, {"kh", "h"}, {"ch", "c"},
		{"sh", "s"}, {"th", "t"}, {"ph", "f"}, {"ck", "k"}, {"ts", "c"}, {"tz", "c"}, {"x", "ks"}, {"q", "k"}} {
		w = strings.ReplaceAll(w, r[0], r[1])
	}
	var buf [32]byte
	b := buf[:0]
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch c {
		case 'c':
			if i+1 < len(w) && (w[i+1] == 'e' || w[i+1] == 'i') {
				c = 's'
			} else {
				c = 'k'
			}
		case 'w':
			c = 'v'
		case 'z':
			c = 's'
		}
		vowel := strings.IndexByte("aeiouy", c) >= 0
		switch {
		case i == 0 && vowel:
			c = 'a'
		case vowel, c == 'h' && i > 0:
			continue
		case c < 'a' || c > 'z':
			return ""
		}
		if len(b) > 0 && b[len(b)-1] == c {
			continue
		}
		b = append(b, c)
	}
	if len(b) < 3 {
		return ""
	}
	return string(b)
}

func FuzzSoundKey(f *testing.F) {
	for _, w := range []string{"tsh", "ckh", "chk", "shchukin", "dzhared", "khrushchev", "xq", "thomas", "allen", "tsz", "ckck", "a1b"} {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if got, want := SoundKey(w), soundKeyBefore(w); got != want {
			t.Fatalf("SoundKey(%q) = %q, before %q", w, got, want)
		}
	})
}

// AnalyzeQuery's shortcuts count the letters the Unicode tables count:
// every rune of ASCII and of the Cyrillic block.
func TestForeignCountsAsTables(t *testing.T) {
	for r := rune(0); r < 0x530; r++ {
		latin, cyr := unicode.Is(unicode.Latin, r), unicode.Is(unicode.Cyrillic, r)
		for _, pad := range []string{"", "a", "ab", "аб"} {
			q := string(r) + pad
			want := 0
			for _, c := range q {
				switch {
				case unicode.Is(unicode.Latin, c):
					want--
				case unicode.Is(unicode.Cyrillic, c):
					want++
				}
			}
			if got := AnalyzeQuery(q).Foreign; got != (want > 0) {
				t.Fatalf("AnalyzeQuery(%q).Foreign = %v (rune latin %v, cyrillic %v)", q, got, latin, cyr)
			}
		}
	}
}

// The shortcuts for Russian letters say what the Unicode tables say,
// over the whole Cyrillic block and a little beyond.
func TestRussianShortcuts(t *testing.T) {
	for r := rune(0x380); r < 0x530; r++ {
		if got, want := toLower(r), unicode.ToLower(r); got != want {
			t.Errorf("toLower(%q) = %q, want %q", r, got, want)
		}
		if letter, upper := russianLetter(r); letter && (!unicode.IsLetter(r) || upper != unicode.IsUpper(r)) {
			t.Errorf("russianLetter(%q) = %v, %v; the tables say letter %v, upper %v", r, letter, upper, unicode.IsLetter(r), unicode.IsUpper(r))
		}
	}
}

// AppendSoundKeys gives the keys of Transliterations, in their order.
func FuzzAppendSoundKeys(f *testing.F) {
	for _, w := range []string{"пэнтерс", "хубилай", "гарвард", "джаред", "щукин", "ъ", "хгх", "a1б", "ёжик", "щщщщщщщщщщщщщщщщщщщщщщщщщщщщщщщщщщщ"} {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, w string) {
		var want, got []string
		for _, l := range Transliterations(w) {
			if k := SoundKey(l); k != "" {
				want = append(want, k)
			}
		}
		keys := AppendSoundKeys([]byte("x"), w)
		if keys[0] != 'x' {
			t.Fatalf("AppendSoundKeys overwrote what it appends to")
		}
		for _, k := range strings.Split(string(keys[1:]), "\x00") {
			if k != "" {
				got = append(got, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("AppendSoundKeys(%q) = %q, Transliterations' keys %q", w, got, want)
		}
	})
}

// translitOf reads translit, for every rune of the Cyrillic block.
func TestTranslitOf(t *testing.T) {
	for r := rune(0x380); r < 0x530; r++ {
		gl, gok := translitOf(r)
		wl, wok := translit[r]
		if gl != wl || gok != wok {
			t.Fatalf("translitOf(%q) = %q, %v; translit has %q, %v", r, gl, gok, wl, wok)
		}
	}
}
