package access

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	aliceKey = "5f0c2a7e9b1d44c8a3e6f1b2c9d8e7a6"
	botKey   = "Zm9yIHRoZSBDSSBqb2JzIG9ubHk="
	bareKey  = "3b9e1f2d7c6a4e5f8a9b0c1d2e3f4a5b"
)

func TestCheck(t *testing.T) {
	k, err := Parse("keys.txt", []byte("# readers\n\nalice: "+aliceKey+"\r\n  ci-bot :  "+botKey+"  \n"+bareKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(bareKey))
	bareName := "key-" + hex.EncodeToString(sum[:4])
	tests := []struct {
		token, name string
		ok          bool
	}{
		{aliceKey, "alice", true},
		{botKey, "ci-bot", true},
		{bareKey, bareName, true},
		{"", "", false},
		{aliceKey[:len(aliceKey)-1], "", false},
		{aliceKey + "0", "", false},
		{strings.ToUpper(aliceKey), "", false},
		{"alice: " + aliceKey, "", false},
		{"alice", "", false},
	}
	for _, tt := range tests {
		name, ok := k.Check(tt.token)
		if name != tt.name || ok != tt.ok {
			t.Errorf("Check(%q) = %q, %v; want %q, %v", tt.token, name, ok, tt.name, tt.ok)
		}
	}
	if k.Len() != 3 {
		t.Errorf("Len = %d, want 3", k.Len())
	}
	var none *Keyring
	if name, ok := none.Check(aliceKey); ok || name != "" || none.Len() != 0 {
		t.Errorf("a nil Keyring: Check %q, %v, Len %d; want nothing opened", name, ok, none.Len())
	}
}

// Every mistake is refused with the file and the line, and the message
// never quotes the line (it may hold a key).
func TestParseErrors(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"", "keys.txt: no keys"},
		{"# only a comment\n\n", "keys.txt: no keys"},
		{"alice: short\n", "keys.txt:1: the key is 5 characters; use at least 16"},
		{"\n\nalice:\n", "keys.txt:3: no key after the name"},
		{": " + aliceKey, "keys.txt:1: the name before ':' must be"},
		{"al ice: " + aliceKey, "keys.txt:1: the name before ':' must be"},
		{aliceKey + " alice\n", "keys.txt:1: a key may hold only"},
		{"alice: " + aliceKey + " # reader\n", "keys.txt:1: a key may hold only"},
		{"alice: " + aliceKey + ":x\n", "keys.txt:1: a key may hold only"},
		{"alice: " + strings.Repeat("k", 257), "keys.txt:1: the key is over 256 characters"},
		{"alice: " + aliceKey + "\nbob: " + aliceKey + "\n", "keys.txt:2: the same key as line 1"},
		{"alice: " + aliceKey + "\nпривет: " + botKey + "\n", "keys.txt:2: the name"},
	}
	for _, tt := range tests {
		_, err := Parse("keys.txt", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q): %v, want an error starting %q", tt.text, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), aliceKey) || strings.Contains(err.Error(), botKey) {
			t.Errorf("Parse(%q): the error %q quotes the key", tt.text, err)
		}
	}
	// Two keys may share a name: a key being rotated.
	k, err := Parse("keys.txt", []byte("alice: "+aliceKey+"\nalice: "+botKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{aliceKey, botKey} {
		if name, ok := k.Check(tok); !ok || name != "alice" {
			t.Errorf("rotated key: %q, %v", name, ok)
		}
	}
}

// Reload takes the file's new keys; a broken file keeps the old ones.
func TestReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.txt")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("\uFEFFalice: " + aliceKey + "\n")
	k, err := Open(file)
	if err != nil {
		t.Fatal(err)
	}
	aliceSum := sha256.Sum256([]byte(aliceKey))
	if name, ok := k.CheckHash(aliceSum); !ok || name != "alice" {
		t.Errorf("CheckHash of alice's key: %q, %v", name, ok)
	}
	write("bob: " + botKey + "\n")
	if err := k.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Check(aliceKey); ok {
		t.Error("a removed key still opens")
	}
	if _, ok := k.CheckHash(aliceSum); ok {
		t.Error("the hash of a removed key still opens")
	}
	if name, ok := k.Check(botKey); !ok || name != "bob" {
		t.Errorf("the new key: %q, %v", name, ok)
	}
	write("bob: " + botKey + "\ncarol: tooshort\n")
	if err := k.Reload(); err == nil || !strings.HasPrefix(err.Error(), file+":2: ") {
		t.Errorf("Reload of a broken file: %v, want an error naming %s:2", err, file)
	}
	if name, ok := k.Check(botKey); !ok || name != "bob" {
		t.Errorf("after a failed reload the old keys must stay: %q, %v", name, ok)
	}
	os.Remove(file)
	if err := k.Reload(); err == nil {
		t.Error("Reload of a missing file succeeded")
	}
	if _, ok := k.Check(botKey); !ok {
		t.Error("after the file went, the old keys must stay")
	}
	if _, err := Open(filepath.Dir(file)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open of a folder: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("# \n", MaxFileBytes/3+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(big); err == nil || !strings.Contains(err.Error(), "is over") {
		t.Errorf("Open of a file over the limit: %v", err)
	}
	if err := (&Keyring{}).Reload(); err == nil {
		t.Error("a parsed keyring reloaded")
	}
}

// FuzzParse: whatever the bytes, Parse never panics; an error names the
// source and a line and never quotes a candidate key; when it succeeds,
// every line that is not blank or a comment is a key that Check accepts
// under the name the line gives.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"alice: " + aliceKey + "\n" + bareKey + "\n# c\n",
		"", "\n\n#\n", ": x", "a:b:c", "\uFEFF" + bareKey, "alice: " + aliceKey + "\r\nalice: " + botKey,
		"x: " + strings.Repeat("a", 300), bareKey + "\n" + bareKey,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Parse("keys.txt", data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "keys.txt:") {
				t.Fatalf("error %q does not start with the source", msg)
			}
			for _, field := range strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' || r == ':' || r == ' ' }) {
				if len(field) >= minKeyLen && keyChars().MatchString(field) && strings.Contains(msg, field) {
					t.Fatalf("error %q quotes %q", msg, field)
				}
			}
			return
		}
		n := 0
		for _, line := range strings.Split(strings.TrimPrefix(string(data), "\uFEFF"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			n++
			name, tok, named := strings.Cut(line, ":")
			if !named {
				tok = name
			}
			got, ok := k.Check(strings.TrimSpace(tok))
			if !ok {
				t.Fatalf("line %q parsed, but its key does not open", line)
			}
			if named && got != strings.TrimSpace(name) {
				t.Fatalf("line %q: name %q", line, got)
			}
			if !utf8.ValidString(got) || got == "" {
				t.Fatalf("line %q: name %q", line, got)
			}
		}
		if n != k.Len() || n == 0 {
			t.Fatalf("%d key lines, %d keys", n, k.Len())
		}
	})
}
