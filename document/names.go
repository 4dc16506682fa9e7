package document

import (
	"strings"
	"unicode/utf8"
)

// A document's id is its file's path, and ids travel as text: in JSON, in
// URLs, in citations. A file name that is not valid UTF-8 (written in a
// legacy encoding, say) cannot: JSON would turn its stray bytes into
// U+FFFD and the id would name no file. Such bytes become runes of a
// private-use range instead, one rune per byte, which any text carries and
// PathFromID turns back into the bytes. A valid name holding those runes
// itself could not be told apart, so the loader skips it (ReservedInPath).
const (
	escapeFirst = 0xF780 // the rune for byte 0x80
	escapeLast  = 0xF7FF // the rune for byte 0xFF
)

// IDFromPath is the document id of a slash-separated path relative to the
// documents folder: the path itself when it is valid UTF-8.
func IDFromPath(p string) string {
	if utf8.ValidString(p) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(rune(escapeFirst + int(p[i]) - 0x80))
		} else {
			b.WriteString(p[i : i+n])
		}
		i += n
	}
	return b.String()
}

// PathFromID is the path of the file a document id names: IDFromPath
// undone.
func PathFromID(id string) string {
	if !ReservedInPath(id) {
		return id
	}
	var b strings.Builder
	for _, r := range id {
		if r >= escapeFirst && r <= escapeLast {
			b.WriteByte(byte(r - escapeFirst + 0x80))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ReservedInPath reports whether p holds runes of the range that stands for
// undecodable bytes.
func ReservedInPath(p string) bool {
	for _, r := range p {
		if r >= escapeFirst && r <= escapeLast {
			return true
		}
	}
	return false
}
