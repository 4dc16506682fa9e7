// Package access decides who may read: the API keys of the --api-keys
// file, each with a name for the logs, compared in constant time. The HTTP
// API's guard and the web page's sign-in form both ask a Keyring, so a key
// opens the same doors whichever way it is presented.
//
// The file holds one key per line, optionally named:
//
//	# comments and blank lines are ignored
//	alice: 5f0c2a7e9b1d44c8a3e6f1b2c9d8e7a6
//	ci-bot: Zm9yIHRoZSBDSSBqb2JzIG9ubHk
//	3b9e1f2d7c6a4e5f8a9b0c1d2e3f4a5b
//
// A name is 1–64 of A-Z a-z 0-9 . _ @ -; a key is 16–256 of A-Z a-z 0-9
// . _ ~ + / = - (what an Authorization: Bearer header can carry). A key
// without a name is logged as "key-" and the first eight hex digits of its
// SHA-256, which stays the same when lines move and says nothing of the
// key. Two lines may share a name (a key being rotated); two lines may not
// hold the same key.
package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxFileBytes bounds a keys file: a larger one is a mistake (the wrong
// file given), refused rather than read into memory.
const MaxFileBytes = 1 << 20

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

var (
	namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`) })
	keyChars    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._~+/=-]*$`) })
)

// Key lengths: shorter keys can be guessed; longer ones are not keys.
const (
	minKeyLen = 16
	maxKeyLen = 256
)

// key is one line of the file. Only the key's hash is kept, so that
// comparisons take the same time whatever the lengths, and no copy of the
// key lingers in memory to end up in a log or a dump.
type key struct {
	name string
	sum  [sha256.Size]byte
}

// Keyring is the set of keys read from a file, safe for concurrent use.
// Reload replaces the set at once: a request sees the old keys or the new
// ones, never a mix.
type Keyring struct {
	file string
	keys atomic.Pointer[[]key]
}

// Open reads a keys file. Its errors name the file and the line.
func Open(file string) (*Keyring, error) {
	keys, err := readFile(file)
	if err != nil {
		return nil, err
	}
	k := &Keyring{file: file}
	k.keys.Store(&keys)
	return k, nil
}

// Parse reads keys from data, as Open does from a file; src names it in
// errors. The keyring cannot be reloaded.
func Parse(src string, data []byte) (*Keyring, error) {
	keys, err := parse(src, data)
	if err != nil {
		return nil, err
	}
	k := &Keyring{}
	k.keys.Store(&keys)
	return k, nil
}

// Reload rereads the file Open read. On any error the keys stay as they
// were, so a half-saved or mistyped file never locks everyone out.
func (k *Keyring) Reload() error {
	if k.file == "" {
		return errors.New("keys: not read from a file, nothing to reload")
	}
	keys, err := readFile(k.file)
	if err != nil {
		return err
	}
	k.keys.Store(&keys)
	return nil
}

// File is the file the keys were read from ("" for Parse's).
func (k *Keyring) File() string { return k.file }

// Len is the number of keys (0 for a nil Keyring).
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(*k.keys.Load())
}

// Check reports whether token is one of the keys, and that key's name.
// Every key is compared, each in constant time, so the time taken says
// neither whether nor which key matched. A nil Keyring holds no key: it
// opens nothing, rather than everything.
func (k *Keyring) Check(token string) (name string, ok bool) {
	return k.CheckHash(sha256.Sum256([]byte(token)))
}

// CheckHash is Check for the key whose SHA-256 is sum. It lets what
// outlives a request (the web page's session) keep the key's hash rather
// than the key, and ask again later: a key taken out of the file by a
// reload no longer matches.
func (k *Keyring) CheckHash(sum [sha256.Size]byte) (name string, ok bool) {
	if k == nil {
		return "", false
	}
	keys := *k.keys.Load() // one set for the whole check, whatever a reload does meanwhile
	found := -1
	for i, key := range keys {
		eq := subtle.ConstantTimeCompare(sum[:], key.sum[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return "", false
	}
	return keys[found].name, true
}

func readFile(file string) ([]key, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err // names the file and what failed
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err // names the file and what failed
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err // names the file and what failed
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s is over %d bytes: is it the right file?", file, MaxFileBytes)
	}
	return parse(file, data)
}

// parse reads the lines of a keys file. An error names src and the line,
// and never quotes the line: it may hold a key.
func parse(src string, data []byte) ([]key, error) {
	var keys []key
	seen := map[[sha256.Size]byte]int{}
	text := strings.TrimPrefix(string(data), "\uFEFF") // an editor's byte-order mark
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, tok, named := strings.Cut(line, ":")
		if !named {
			tok = name
		}
		name, tok = strings.TrimSpace(name), strings.TrimSpace(tok)
		switch {
		case named && !namePattern().MatchString(name):
			return nil, fmt.Errorf("%s:%d: the name before ':' must be 1-64 of A-Z a-z 0-9 . _ @ -", src, n)
		case tok == "":
			return nil, fmt.Errorf("%s:%d: no key after the name", src, n)
		case !keyChars().MatchString(tok):
			return nil, fmt.Errorf("%s:%d: a key may hold only A-Z a-z 0-9 . _ ~ + / = - (one key per line, as 'name: key' or 'key'; comments on lines of their own, starting with #)", src, n)
		case len(tok) < minKeyLen:
			return nil, fmt.Errorf("%s:%d: the key is %d characters; use at least %d (e.g. openssl rand -hex 16)", src, n, len(tok), minKeyLen)
		case len(tok) > maxKeyLen:
			return nil, fmt.Errorf("%s:%d: the key is over %d characters", src, n, maxKeyLen)
		}
		sum := sha256.Sum256([]byte(tok))
		if first, dup := seen[sum]; dup {
			return nil, fmt.Errorf("%s:%d: the same key as line %d", src, n, first)
		}
		seen[sum] = n
		if !named {
			name = "key-" + hex.EncodeToString(sum[:4])
		}
		keys = append(keys, key{name: name, sum: sum})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys (one per line, as 'name: key' or 'key'); without keys, leave --api-keys unset", src)
	}
	return keys, nil
}
