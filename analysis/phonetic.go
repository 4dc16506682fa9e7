package analysis

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// translit spells a Cyrillic word in Latin letters the way English texts
// render Russian names.
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'ї': "i", 'є': "e", 'ґ': "g",
}

// translitLow is translit for the runes from U+0430 (а) up, where all
// but one of its letters are, read by index rather than hashed.
var translitLow = func() (t [0x60]struct {
	s  string
	ok bool
}) {
	for r, l := range translit {
		if 0x430 <= r && r < 0x430+rune(len(t)) {
			t[r-0x430].s, t[r-0x430].ok = l, true
		}
	}
	return t
}()

// translitOf is translit[r].
func translitOf(r rune) (string, bool) {
	if i := r - 0x430; 0 <= i && i < rune(len(translitLow)) {
		return translitLow[i].s, translitLow[i].ok
	}
	l, ok := translit[r]
	return l, ok
}

// Transliterations returns the Latin spellings of a lower-case Cyrillic
// word: г and х stand for g and kh in Russian names but for h and k in
// names taken from English and German (Гарвард, Хубилай), so each gets
// both readings. Nil when the word holds letters translit does not know.
func Transliterations(w string) []string {
	var out []string // at most four
	for _, g := range []string{"g", "h"} {
		for _, kh := range []string{"kh", "k"} {
			if g == "h" && !strings.ContainsRune(w, 'г') || kh == "k" && !strings.ContainsRune(w, 'х') {
				continue
			}
			if l := transliterate(w, g, kh); l != "" {
				if out == nil {
					out = make([]string, 0, 4)
				}
				out = append(out, l)
			}
		}
	}
	return out
}

// transliterate spells w with g and kh for г and х.
func transliterate(w, g, kh string) string {
	b, ok := appendTransliteration(make([]byte, 0, len(w)), w, g, kh)
	if !ok {
		return ""
	}
	return string(b)
}

// appendTransliteration appends w spelt with g and kh for г and х to
// dst; false when w holds a letter translit does not know.
func appendTransliteration(dst []byte, w, g, kh string) ([]byte, bool) {
	for _, r := range w {
		l, ok := translitOf(r)
		switch r {
		case 'г':
			l = g
		case 'х':
			l = kh
		}
		if !ok {
			if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				dst = append(dst, byte(r))
				continue
			}
			return dst, false
		}
		dst = append(dst, l...)
	}
	return dst, true
}

// SoundKey reduces a lower-case Latin word to its consonants in order, the
// spellings of one sound made one letter (th and t, ph and f, c and k, dzh
// and j), doubled letters single, vowels and h dropped but for a first
// vowel, which stays as "a". Keys shorter than three letters say too
// little and are "".
func SoundKey(w string) string {
	var buf [32]byte
	return string(appendSoundKey(buf[:0], w))
}

// appendSoundKey appends w's SoundKey to dst (nothing for "").
func appendSoundKey[S string | []byte](dst []byte, w S) []byte {
	// A rule is tried only when w holds all its letters: a Russian word's
	// transliterations are keyed eight times over, and thirteen searches
	// of each were most of a Russian question's sound lookup.
	// The spelling is rewritten in two buffers on the stack, in turn,
	// rather than in a new string each rule that applies.
	var bufA, bufB [64]byte
	cur, next := append(bufA[:0], w...), bufB[:0]
	have := letters(cur)
	for _, r := range soundRules {
		if r.letters&^have != 0 || !bytes.Contains(cur, r.from) {
			continue
		}
		next = replaceAll(next[:0], cur, r.from, r.to)
		cur, next = next, cur
		have = letters(cur)
	}
	start := len(dst)
	b := dst
	for i := 0; i < len(cur); i++ {
		c := cur[i]
		switch c {
		case 'c':
			if i+1 < len(cur) && (cur[i+1] == 'e' || cur[i+1] == 'i') {
				c = 's'
			} else {
				c = 'k'
			}
		case 'w':
			c = 'v'
		case 'z':
			c = 's'
		}
		vowel := c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'
		switch {
		case i == 0 && vowel:
			c = 'a'
		case vowel, c == 'h' && i > 0:
			continue
		case c < 'a' || c > 'z':
			return dst
		}
		if len(b) > start && b[len(b)-1] == c {
			continue
		}
		b = append(b, c)
	}
	if len(b)-start < 3 {
		return dst
	}
	return b
}

// AppendSoundKeys appends to dst the SoundKey of each of a lower-case
// Cyrillic word's Transliterations, in their order, each followed by a
// zero byte (keys are letters), but the empty ones: made on the stack,
// where Transliterations and SoundKey make a string each.
func AppendSoundKeys(dst []byte, w string) []byte {
	for _, g := range [...]string{"g", "h"} {
		for _, kh := range [...]string{"kh", "k"} {
			if g == "h" && !strings.ContainsRune(w, 'г') || kh == "k" && !strings.ContainsRune(w, 'х') {
				continue
			}
			var lbuf [64]byte
			l, ok := appendTransliteration(lbuf[:0], w, g, kh)
			if !ok || len(l) == 0 {
				continue
			}
			if k := appendSoundKey(dst, l); len(k) > len(dst) {
				dst = append(k, 0)
			}
		}
	}
	return dst
}

// soundRules are SoundKey's spellings of one sound, replaced in this
// order, with the letters each needs.
var soundRules = func() []soundRule {
	var rs []soundRule
	for _, r := range [...][2]string{{"shch", "s"}, {"dzh", "j"}, {"zh", "j"}, {"kh", "h"}, {"ch", "c"},
		{"sh", "s"}, {"th", "t"}, {"ph", "f"}, {"ck", "k"}, {"ts", "c"}, {"tz", "c"}, {"x", "ks"}, {"q", "k"}} {
		rs = append(rs, soundRule{[]byte(r[0]), []byte(r[1]), letters(r[0])})
	}
	return rs
}()

type soundRule struct {
	from, to []byte
	letters  uint32
}

// replaceAll appends src to dst with every old replaced by new, left to
// right, as strings.ReplaceAll replaces them (old is not empty).
func replaceAll(dst, src, old, new []byte) []byte {
	for i := 0; i < len(src); {
		if bytes.HasPrefix(src[i:], old) {
			dst = append(dst, new...)
			i += len(old)
			continue
		}
		dst = append(dst, src[i])
		i++
	}
	return dst
}

// letters has bit c-'a' set for each lower-case ASCII letter c of w.
func letters[S string | []byte](w S) uint32 {
	var m uint32
	for i := 0; i < len(w); i++ {
		if c := w[i]; 'a' <= c && c <= 'z' {
			m |= 1 << (c - 'a')
		}
	}
	return m
}

// latinFolds spell Latin letters with diacritics as their base letters
// ("Börte" sounds like "Борте").
var latinFolds = strings.NewReplacer("à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "ā", "a",
	"ç", "c", "č", "c", "ć", "c", "è", "e", "é", "e", "ê", "e", "ë", "e", "ē", "e", "ì", "i", "í", "i",
	"î", "i", "ï", "i", "ī", "i", "ñ", "n", "ń", "n", "ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o",
	"ø", "o", "ō", "o", "ù", "u", "ú", "u", "û", "u", "ü", "u", "ū", "u", "ý", "y", "ÿ", "y", "š", "s",
	"ś", "s", "ž", "z", "ź", "z", "ż", "z", "ł", "l", "ß", "ss", "æ", "ae", "œ", "oe")

// FoldLatin spells a lower-case word without diacritics.
func FoldLatin(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return latinFolds.Replace(w)
		}
	}
	return w
}

// softG matches a g that English reads as j ("Angeles", "Granger"), which
// Russian writes дж.
var softG = strings.NewReplacer("ge", "je", "gi", "ji", "gy", "jy")

// NameKeys are the sound keys of a name as written: with its g read hard
// and, where English reads it soft, as j too.
func NameKeys(w string) []string {
	var out []string
	for _, v := range []string{w, softG.Replace(w)} {
		if k := SoundKey(v); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
