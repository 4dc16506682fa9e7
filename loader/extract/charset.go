package extract

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Text files come in more encodings than UTF-8: UTF-16 from Windows tools
// (with its byte-order mark), Windows-1251 and KOI8-R for Russian, Latin-1
// for much else. Such a file's text is converted, and the converted text
// is the document, as for the extracted formats: offsets and quotes refer
// to it.

// DecodeText returns data as UTF-8 and the name of the encoding it was in,
// "" when it was UTF-8 already (or could not be told: then it is returned
// as it is, and the loader says it is not UTF-8). UTF-16 is known by its
// byte-order mark. A text that is not UTF-8 is taken for Russian in
// Windows-1251 or KOI8-R when most of its other bytes read as Cyrillic
// letters in one of them, lower-case letters being the most frequent in
// any prose (which tells the two apart), and those letters are not a
// sprinkling among Latin ones; for Windows-1252 (Latin-1 as browsers read
// it) otherwise.
func DecodeText(data []byte) ([]byte, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeWith(data, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM), "UTF-16LE")
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeWith(data, xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM), "UTF-16BE")
	case utf8.Valid(data):
		return data, ""
	}
	// UTF-8 with a few stray bytes is UTF-8 gone wrong, not another
	// encoding: what it writes right would be mangled by a conversion.
	high, stray, multi := 0, 0, 0
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			stray++
		case n > 1:
			multi++
		}
		i += n
	}
	if multi >= stray {
		return data, ""
	}
	latin := 0
	for _, b := range data {
		switch {
		case b >= 0x80:
			high++
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
			latin++
		}
	}
	best, bestName, bestLower, bestCyr := []byte(nil), "", 0, 0
	for _, c := range []struct {
		enc  encoding.Encoding
		name string
	}{{charmap.Windows1251, "windows-1251"}, {charmap.KOI8R, "KOI8-R"}} {
		out, err := c.enc.NewDecoder().Bytes(data)
		if err != nil {
			continue
		}
		lower, cyr := 0, 0
		for _, r := range string(out) {
			if unicode.Is(unicode.Cyrillic, r) {
				cyr++
				if unicode.IsLower(r) {
					lower++
				}
			}
		}
		if lower > bestLower {
			best, bestName, bestLower, bestCyr = out, c.name, lower, cyr
		}
	}
	// Russian: most of the bytes beyond ASCII are lower-case Cyrillic
	// letters, and Cyrillic is not a sprinkling among Latin words (as the
	// accented letters of French read in Windows-1251 would be).
	if best != nil && bestLower*2 >= high && bestCyr*2 >= latin {
		return best, bestName
	}
	return decodeWith(data, charmap.Windows1252, "windows-1252")
}

func decodeWith(data []byte, enc encoding.Encoding, name string) ([]byte, string) {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return data, ""
	}
	return out, name
}

// decodeHTML returns an HTML page as UTF-8: in the encoding its byte-order
// mark or a <meta> charset declares, or, when it declares none and is not
// UTF-8, the one DecodeText would guess.
func decodeHTML(data []byte) []byte {
	// DetermineEncoding reads a byte-order mark or a <meta> declaration
	// and otherwise answers windows-1252, the web's default, which is
	// then only a guess.
	enc, name, _ := charset.DetermineEncoding(data, "text/html")
	switch {
	case name != "utf-8" && name != "windows-1252":
		if out, err := enc.NewDecoder().Bytes(data); err == nil {
			return out
		}
	case !utf8.Valid(data):
		out, _ := DecodeText(data)
		return out
	}
	return data
}
