package extract

import (
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

func utf16Bytes(s string, bigEndian bool) []byte {
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func encode(t *testing.T, cm *charmap.Charmap, s string) []byte {
	t.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Text files in the encodings people meet are read as the text they hold.
func TestDecodeText(t *testing.T) {
	const ru = "Союзное государство было создано в 1999 году. Информационная безопасность."
	const fr = "Le café de la gare ouvre à l'été; l'entrée coûte 3 €."
	tests := []struct {
		name string
		data []byte
		text string
		enc  string
	}{
		{"UTF-8", []byte(ru), ru, ""},
		{"UTF-16LE with BOM", utf16Bytes(ru, false), ru, "UTF-16LE"},
		{"UTF-16BE with BOM", utf16Bytes(fr, true), fr, "UTF-16BE"},
		{"Windows-1251", encode(t, charmap.Windows1251, ru), ru, "windows-1251"},
		{"KOI8-R", encode(t, charmap.KOI8R, ru), ru, "KOI8-R"},
		{"Latin-1", encode(t, charmap.Windows1252, fr), fr, "windows-1252"},
		{"UTF-8 with one stray byte stays UTF-8", []byte("café and naïve\xff"), "café and naïve\xff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc := DecodeText(tt.data)
			if string(got) != tt.text || enc != tt.enc {
				t.Errorf("DecodeText = %q (%s), want %q (%s)", got, enc, tt.text, tt.enc)
			}
		})
	}
}

// An HTML page in the charset its <meta> declares is read in it.
func TestHTMLDeclaredCharset(t *testing.T) {
	body := encode(t, charmap.Windows1251, "<html><head><meta charset=\"windows-1251\"><title>Отчёт</title></head><body><p>Безопасность информации.</p></body></html>")
	got, err := HTML(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Отчёт" || got.Text != "Безопасность информации.\n" {
		t.Errorf("got %q, title %q", got.Text, got.Title)
	}
	koi := encode(t, charmap.KOI8R, "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head><body><p>Привет, мир.</p></body></html>")
	if got, err := HTML(koi, 0); err != nil || got.Text != "Привет, мир.\n" {
		t.Errorf("KOI8-R page: %q, %v", got.Text, err)
	}
}
