package bot

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"
)

// source is what a source button shows when pressed: the full passage a
// citation (or, for a refusal, a closest passage) comes from.
type source struct {
	N                  int
	Document, Title    string
	LineStart, LineEnd int
	Page               int    // 1-based page of LineStart's passage, 0 without pages
	Text               string // exact bytes of the document, as answered
	Thread             int    // the forum topic the answer went to
}

// buttons keeps the sources behind inline buttons on the server: callback
// data is limited to 64 bytes, far too little for a passage. Entries expire
// after ttl; the store is bounded by the bytes of text it holds, dropping
// the oldest entries beyond.
type buttons struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int // bytes of passage text
	used    int
	now     func() time.Time
	entries map[string]buttonSet
	order   []string // keys, oldest first
}

type buttonSet struct {
	sources []source
	expires time.Time
	bytes   int
}

func newButtons(ttl time.Duration, max int, now func() time.Time) *buttons {
	return &buttons{ttl: ttl, max: max, now: now, entries: map[string]buttonSet{}}
}

// callbackPrefix marks citebot's callback data: "s:<key>:<n>", 16 + a few
// bytes, well within Telegram's 64.
const callbackPrefix = "s:"

// put stores the sources of one message and returns their callback data,
// one per source, in order.
func (b *buttons) put(sources []source) []string {
	var raw [9]byte
	rand.Read(raw[:])
	key := base64.RawURLEncoding.EncodeToString(raw[:]) // 12 bytes
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	size := 0
	for _, s := range sources {
		size += len(s.Text) + len(s.Title) + len(s.Document) + 64
	}
	for len(b.order) > 0 && (b.used+size > b.max || b.entries[b.order[0]].expires.Before(now)) {
		b.used -= b.entries[b.order[0]].bytes
		delete(b.entries, b.order[0])
		b.order[0] = ""
		b.order = b.order[1:]
	}
	b.entries[key] = buttonSet{sources: sources, expires: now.Add(b.ttl), bytes: size}
	b.used += size
	b.order = append(b.order, key)
	data := make([]string, len(sources))
	for i := range sources {
		data[i] = callbackPrefix + key + ":" + strconv.Itoa(i)
	}
	return data
}

// get returns the source behind callback data; ok is false for data that
// is not citebot's, malformed, unknown or expired.
func (b *buttons) get(data string) (source, bool) {
	rest, ok := strings.CutPrefix(data, callbackPrefix)
	if !ok {
		return source{}, false
	}
	key, idx, ok := strings.Cut(rest, ":")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || i < 0 {
		return source{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok || i >= len(e.sources) || e.expires.Before(b.now()) {
		return source{}, false
	}
	return e.sources[i], true
}
