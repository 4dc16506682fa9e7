package testdocs

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Traversals are paths that try to reach a file outside a documents
// folder, written as they go into a URL after /v1/documents/ (so
// percent-encoded where an encoding is the attack): dot-dot in every
// spelling, absolute paths, backslashes, NUL, overlong UTF-8 and the
// file's own path. secretPath is the file outside the folder docs.
func Traversals(tb testing.TB, docs, secretPath string) []string {
	tb.Helper()
	rel, err := filepath.Rel(docs, secretPath)
	if err != nil {
		tb.Fatal(err)
	}
	return []string{
		"../secret.txt",
		"..%2fsecret.txt",
		"..%2Fsecret.txt",
		"%2e%2e%2fsecret.txt",
		"%2E%2E%2Fsecret.txt",
		"%2e%2e/secret.txt",
		".%2e/secret.txt",
		"%252e%252e%252fsecret.txt",
		"..%252fsecret.txt",
		`..\secret.txt`,
		"..%5csecret.txt",
		"..%5Csecret.txt",
		"%2e%2e%5csecret.txt",
		"/etc/passwd",
		"%2fetc%2fpasswd",
		"%2Fetc%2Fpasswd",
		"../../../../../../../../etc/passwd",
		"..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
		"secret.txt%00",
		"../secret.txt%00.txt",
		"harbour.txt%00../../secret.txt",
		"%c0%ae%c0%ae/secret.txt",
		"%c0%ae%c0%ae%c0%afsecret.txt",
		"%e0%80%ae%e0%80%ae/secret.txt",
		"....//secret.txt",
		"....//....//etc/passwd",
		"..././secret.txt",
		"sub/../../secret.txt",
		"sub/..%2f..%2fsecret.txt",
		"sub%2f..%2f..%2fsecret.txt",
		"./../secret.txt",
		"secret.txt",
		filepath.ToSlash(rel),
		filepath.ToSlash(secretPath),
		url.PathEscape(filepath.ToSlash(secretPath)),
		strings.ReplaceAll(filepath.ToSlash(secretPath), "/", "%2f"),
		"file:" + filepath.ToSlash(secretPath),
		"file:%2f%2f" + url.PathEscape(filepath.ToSlash(secretPath)),
		"~/../../etc/passwd",
	}
}

// BadNames are document names a writer must refuse although they stay
// inside the folder: NUL, line breaks, invalid UTF-8, hidden names,
// Windows' device names and characters, invisible characters. Each is
// percent-encoded for a URL path; Unescaped gives the name itself.
var BadNames = []string{
	"report%00.txt",
	"notes%0a.md",
	"notes%0d%0a.md",
	"sub%0a/notes.md",
	"tab%09name.txt",
	"del%7f.txt",
	"%ff%fe.txt",
	"caf%e9.txt",
	"%ed%a0%80.txt", // a UTF-16 surrogate in UTF-8
	"CON.txt",
	"con.md",
	"nul.txt",
	"NUL",
	"aux.pdf",
	"prn.html",
	"COM1.txt",
	"com9.md",
	"LPT1.docx",
	"lpt3.txt",
	"sub/CON.txt",
	"CONIN$.txt",
	"nul%20.txt",
	"notes.txt.",
	"notes.txt%20",
	".hidden.md",
	"sub/.git/config.md",
	".citebot-upload-0123456789abcdef.tmp",
	"what%3f.txt",
	"a%3ab.txt",
	"pipe%7c.txt",
	"star*.txt",
	"quote%22.txt",
	"lt%3c.txt",
	"rtl%e2%80%aetxt.exe.txt", // U+202E RIGHT-TO-LEFT OVERRIDE
	"zero%e2%80%8bwidth.txt",  // U+200B ZERO WIDTH SPACE
	"sub//notes.md",
	"sub/",
	strings.Repeat("a", 252) + "%2etxt%2etxt", // a name over 255 bytes
}

// Unescaped is a percent-encoded path as the server decodes it.
func Unescaped(tb testing.TB, p string) string {
	tb.Helper()
	s, err := url.PathUnescape(p)
	if err != nil {
		tb.Fatalf("%q: %v", p, err)
	}
	return s
}

// ReadOnly makes the folder dir unwritable for the rest of the test: by
// its permissions, or, for root (whom permissions do not stop), with the
// immutable attribute (chattr +i). It skips the test where neither works.
func ReadOnly(tb testing.TB, dir string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		tb.Skip("running as root without chattr: cannot make a folder read-only")
	}
	if out, err := exec.Command(chattr, "+i", dir).CombinedOutput(); err != nil {
		tb.Skipf("running as root and chattr +i fails (%v: %s): cannot make a folder read-only", err, out)
	}
	tb.Cleanup(func() { exec.Command(chattr, "-i", dir).Run() })
	probe := filepath.Join(dir, "probe.txt")
	if err := os.WriteFile(probe, nil, 0o644); err == nil {
		os.Remove(probe)
		tb.Skip("the folder is still writable after chattr +i")
	}
}
