package rulex

import (
	"slices"
	"strings"
	"testing"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// Words of the motivating question and its neighbours, stemmed as
// retrieval's tokenizer stems them, with the English stem BM25 needs to see
// among the translations.
var cases = []struct{ ru, en string }{
	{"Концепция", "concept"},
	{"информационной", "inform"}, // informational → inform = information
	{"безопасности", "secur"},
	{"государства", "state"},
	{"принята", "adopt"},
	{"соглашение", "agreement"},
	{"рабочая", "work"},
	{"группа", "group"},
	{"силу", "forc"},
	{"Беларусь", "belarus"},
	{"России", "russia"},
	{"учреждение", "institut"},
}

func TestTranslateQuestionWords(t *testing.T) {
	for _, c := range cases {
		stem := russian.Stem(strings.ToLower(c.ru), false)
		got := Translate(stem)
		found := false
		for _, w := range got {
			if english.Stem(w, false) == c.en {
				found = true
			}
		}
		if !found {
			t.Errorf("Translate(%q) [from %q] = %q, want a word with English stem %q", stem, c.ru, got, c.en)
		}
	}
}

func TestTranslateMisses(t *testing.T) {
	for _, s := range []string{"", "zzz", "шос", "\t", "я"} {
		if got := Translate(s); got != nil {
			t.Errorf("Translate(%q) = %q, want nil", s, got)
		}
	}
}

func TestTranslateYo(t *testing.T) {
	// The sources write "учрежден"; a query may keep the "ё".
	if Translate("учреждён") == nil || Translate("учрежден") == nil {
		t.Errorf("учреждён/учрежден: %q / %q", Translate("учреждён"), Translate("учрежден"))
	}
}

func TestTranslateReturnsCopy(t *testing.T) {
	a := Translate("государств")
	if len(a) == 0 {
		t.Fatal("no translation for государств")
	}
	a[0] = "changed"
	if b := Translate("государств"); b[0] == "changed" {
		t.Error("Translate shares its result between calls")
	}
}

// TestTable checks every line: sorted unique keys (the binary search needs
// byte order), one to three lower-case English words with distinct stems.
func TestTable(t *testing.T) {
	if n := Len(); n < 30000 {
		t.Fatalf("Len() = %d, want the full table (~43,000 stems)", n)
	}
	prev := ""
	for i := range lines {
		k, v := line(i)
		if k == "" || k <= prev {
			t.Fatalf("line %d: key %q not after %q", i, k, prev)
		}
		prev = k
		ws := strings.Fields(v)
		if len(ws) < 1 || len(ws) > 3 {
			t.Fatalf("line %d (%s): %d words", i, k, len(ws))
		}
		stems := map[string]bool{}
		for _, w := range ws {
			if w != strings.ToLower(w) || strings.ContainsAny(w, "\t ") {
				t.Fatalf("line %d (%s): bad word %q", i, k, w)
			}
			s := english.Stem(w, false)
			if stems[s] {
				t.Fatalf("line %d (%s): two words with stem %q", i, k, s)
			}
			stems[s] = true
		}
		if got := Translate(k); strings.Join(got, " ") != v {
			t.Fatalf("Translate(%q) = %q, want %q", k, got, v)
		}
	}
}

// Load time is measured by BenchmarkLoad, not asserted: a timed unit test
// fails on a busy machine (it did, under -race) and proves nothing.
func BenchmarkLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		load()
	}
}

func BenchmarkTranslate(b *testing.B) {
	Len()
	for i := 0; i < b.N; i++ {
		Translate("безопасн")
	}
}

// TestAppendTranslations holds AppendTranslations to Translate for every
// stem of the table, a stem spelt with ё, and one the table lacks.
func TestAppendTranslations(t *testing.T) {
	once.Do(load)
	stems := []string{"", "zzz-not-a-stem", "ещё", "ёлк"}
	for i := range lines {
		k, _ := line(i)
		stems = append(stems, k)
	}
	prefix := []string{"kept"}
	for _, s := range stems {
		got := AppendTranslations(slices.Clone(prefix), s)
		if want := append(slices.Clone(prefix), Translate(s)...); !slices.Equal(got, want) {
			t.Fatalf("AppendTranslations(%q) = %q, Translate gives %q", s, got[1:], want[1:])
		}
	}
}

// key reads every line's key as line does.
func TestKeyIsLines(t *testing.T) {
	for i := range Len() {
		if k, _ := line(i); key(i) != k {
			t.Fatalf("line %d: key %q, line's %q", i, key(i), k)
		}
	}
}

// Every key is found, with its line's words, and a word between two
// keys, or before and after them all, is not.
func TestLookupEveryKey(t *testing.T) {
	for i := range Len() {
		k, v := line(i)
		if i > 0 {
			if prev, _ := line(i - 1); prev == k {
				continue // the first of equal keys is the one found
			}
		}
		if got, ok := lookup(k); !ok || got != v {
			t.Fatalf("lookup(%q) = %q, %v, want line %d's %q", k, got, ok, i, v)
		}
		if _, ok := lookup(k + "\x01"); ok && i+1 < Len() && key(i+1) != k+"\x01" {
			t.Fatalf("lookup(%q) found a key the table lacks", k+"\x01")
		}
	}
	for _, w := range []string{"", "\x00", "a", "ж", "\xff\xff\xff\xff\xff"} {
		if _, ok := lookup(w); ok != slices.Contains(keys(), w) {
			t.Errorf("lookup(%q) = %v", w, ok)
		}
	}
	// Stems near the table's keys: lookup finds what search finds.
	for i := 0; i < Len(); i += 7 {
		for _, w := range []string{key(i)[:len(key(i))/2], key(i) + "а", "х" + key(i)} {
			gv, gok := lookup(w)
			wv, wok := search(w)
			if gv != wv || gok != wok {
				t.Fatalf("lookup(%q) = %q, %v; search gives %q, %v", w, gv, gok, wv, wok)
			}
		}
	}
}

func keys() []string {
	var out []string
	for i := range Len() {
		out = append(out, key(i))
	}
	return out
}
