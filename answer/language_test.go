package answer

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestScriptAndNote(t *testing.T) {
	for text, want := range map[string]string{
		"When did the treaty enter into force?": "latin",
		"Когда договор вступил в силу?":         "cyrillic",
		"Когда вступил в силу SCO agreement?":   "cyrillic",
		"2012?":  "",
		"条约何时生效": "han",
		// A tie goes to the name first in alphabetical order.
		"ab αβ":    "greek",
		"аб ab":    "cyrillic",
		"ab 条约":    "han",
		"ab ᚠᚢ":    "latin",
		"ᚠᚢ αβ ab": "greek",
	} {
		if got := Script(text); got != want {
			t.Errorf("Script(%q) = %q, want %q", text, got, want)
		}
	}
	if n := LanguageNote("cyrillic", "latin"); n != languageNotes["cyrillic"] {
		t.Errorf("note for a Russian question over English documents: %q", n)
	}
	if n := LanguageNote("han", "latin"); n != languageNotes["latin"] {
		t.Errorf("note for a script without its own: %q", n)
	}
	if LanguageNote("latin", "latin") != "" || LanguageNote("", "latin") != "" || LanguageNote("cyrillic", "") != "" {
		t.Error("a note where the scripts agree or are unknown")
	}
}

// Script's shortcut for ASCII counts what its general case would.
func TestScriptASCII(t *testing.T) {
	for _, r := range "АЯаяЁё" {
		if got := Script(string(r)); got != "cyrillic" {
			t.Errorf("Script(%q) = %q", r, got)
		}
	}
	for r := rune(0); r < utf8.RuneSelf; r++ {
		want := ""
		if unicode.IsLetter(r) && unicode.Is(unicode.Latin, r) {
			want = "latin"
		}
		if got := Script(string(r)); got != want {
			t.Errorf("Script(%q) = %q, want %q", r, got, want)
		}
	}
}
