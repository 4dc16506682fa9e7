package docfolder

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"citebot/document"
	"citebot/loader"
)

// ErrBadPath is the error of a path no document may have; CheckPath's
// errors wrap it.
var ErrBadPath = errors.New("not a valid document path")

const (
	// maxPathBytes and maxNameBytes keep names within what every common
	// file system stores (255 bytes a name), with room for the folder's
	// own path.
	maxPathBytes = 1024
	maxNameBytes = 255
)

// CheckPath says whether p may name a document in the folder: relative,
// with / between folders, and read back by the loader under exactly that
// name. It refuses what would leave the folder (absolute paths, ".."),
// what the loader ignores (hidden names), and names that a file system,
// a log line or another operating system would not keep as they are:
// empty parts, NUL and other control characters (line breaks included),
// invisible formatting characters, invalid UTF-8, backslashes, the
// characters Windows forbids, a trailing dot or space, and Windows'
// device names (CON, NUL, COM1 …, with any extension). It does not look
// at the extension: an unsupported file is refused with its reason
// instead (Put), like the loader skips it.
func CheckPath(p string) error {
	if reason := pathProblem(p); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrBadPath, p, reason)
	}
	return nil
}

// checkNewPath is CheckPath for a file to be written: its name must also
// not hold the runes that stand for bytes of names that are not UTF-8
// (ids of such files hold them; a new name holding them could not be told
// from one).
func checkNewPath(p string) error {
	if err := CheckPath(p); err != nil {
		return err
	}
	if document.ReservedInPath(p) {
		return fmt.Errorf("%w %q: it holds characters U+F780–U+F7FF, which stand for the bytes of names that are not UTF-8", ErrBadPath, p)
	}
	return nil
}

func pathProblem(p string) string {
	switch {
	case p == "":
		return "it is empty"
	case !utf8.ValidString(p):
		return "it is not valid UTF-8"
	case len(p) > maxPathBytes:
		return fmt.Sprintf("it is longer than %d bytes", maxPathBytes)
	case strings.HasPrefix(p, "/"):
		return "it is absolute; give the path within the documents folder"
	case strings.HasSuffix(p, "/"):
		return "it names a folder, not a file"
	}
	for _, r := range p {
		switch {
		case r == 0:
			return "it holds a NUL byte"
		case r == '\n' || r == '\r':
			return "it holds a line break"
		case unicode.IsControl(r):
			return fmt.Sprintf("it holds the control character U+%04X", r)
		case unicode.Is(unicode.Cf, r):
			// Bidirectional overrides and zero-width characters make a
			// name read as another one.
			return fmt.Sprintf("it holds the invisible formatting character U+%04X", r)
		case r == '\\':
			return `it holds a backslash; separate folders with "/"`
		case strings.ContainsRune(`<>:"|?*`, r):
			return fmt.Sprintf("it holds %q, which Windows does not allow in names", r)
		}
	}
	for name := range strings.SplitSeq(p, "/") {
		switch {
		case name == "":
			return `it has an empty part ("//")`
		case name == "." || name == "..":
			return fmt.Sprintf("it has a %q part; give the path within the documents folder", name)
		case loader.Hidden(name):
			return fmt.Sprintf("%q is a hidden name (starting with a dot), which the documents folder ignores", name)
		case len(name) > maxNameBytes:
			return fmt.Sprintf("a part is longer than %d bytes", maxNameBytes)
		case strings.HasSuffix(name, " ") || strings.HasSuffix(name, "."):
			return fmt.Sprintf("%q ends in a space or a dot, which Windows drops", name)
		case reservedName(name):
			return fmt.Sprintf("%q is a device name on Windows", name)
		}
	}
	// What the rules above already refuse; kept as the last word on
	// leaving the folder.
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return "it leaves the documents folder"
	}
	return ""
}

// reservedName reports whether a name is one of Windows' device names,
// which stay devices whatever extension follows ("nul.txt" is NUL).
func reservedName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if !strings.HasPrefix(base, "COM") && !strings.HasPrefix(base, "LPT") {
		return false
	}
	switch base[3:] {
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}

// Unsupported says why a file named name is refused for its type alone
// (the loader does not read that type), or "" when the type is read: a
// front end can refuse such a file before fetching its bytes.
func Unsupported(name string) string {
	if loader.Supported(name) {
		return ""
	}
	_, reason := loader.Parse(name, nil, 0)
	return reason
}
