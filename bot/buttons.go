package bot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash/crc32"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"citebot/corpus"
)

// source is what a source button shows when pressed: the full passage a
// citation (or, for a refusal, a closest passage) comes from.
type source struct {
	N                  int
	Document, Title    string
	LineStart, LineEnd int
	Page               int    // 1-based page of LineStart's passage, 0 without pages
	Start, End         int    // the span of Text in the document
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

// callbackPrefix marks citebot's callback data:
// "s:<key>:<n>:<ref>", at most 64 bytes as Telegram requires. The key
// finds the sources kept here; ref names the passage itself (document,
// span, checksum, topic), so that a replica that did not send the answer,
// or this one after a restart, can still show it (see sourceRef).
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
	for i, s := range sources {
		data[i] = callbackPrefix + key + ":" + strconv.Itoa(i)
		if ref := s.ref(); len(data[i])+1+len(ref) <= 64 {
			data[i] += ":" + ref
		}
	}
	return data
}

// sourceRef is a passage named without server state: the first 6 bytes of
// the sha256 of its document's id, its span, the CRC-32 of its text (a
// reindex that changed the document makes the button expire rather than
// show other text) and the forum topic. About 35 bytes.
type sourceRef struct {
	N          int
	doc        string // base64url of the id hash prefix
	start, end int
	crc        uint32
	thread     int
}

func docKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(h[:6])
}

func (s source) ref() string {
	return docKey(s.Document) + "." + strconv.FormatInt(int64(s.Start), 36) + "." + strconv.FormatInt(int64(s.End), 36) + "." +
		strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(s.Text))), 36) + "." + strconv.FormatInt(int64(s.Thread), 36)
}

// parseRef reads the ref part of callback data; ok is false when there is
// none or it is malformed.
func parseRef(data string) (sourceRef, bool) {
	rest, ok := strings.CutPrefix(data, callbackPrefix)
	if !ok {
		return sourceRef{}, false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return sourceRef{}, false
	}
	n, err := strconv.Atoi(parts[1])
	f := strings.Split(parts[2], ".")
	if err != nil || n < 0 || len(f) != 5 || len(f[0]) != 8 {
		return sourceRef{}, false
	}
	var nums [4]int64
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 36, 64)
		if err != nil || v < 0 || v > math.MaxInt32*2 {
			return sourceRef{}, false
		}
		nums[i] = v
	}
	if nums[0] >= nums[1] || nums[2] > math.MaxUint32 {
		return sourceRef{}, false
	}
	return sourceRef{N: n + 1, doc: f[0], start: int(nums[0]), end: int(nums[1]), crc: uint32(nums[2]), thread: int(nums[3])}, true
}

// resolve finds the passage r names in v: the document whose id hashes to
// r.doc, holding a span with the same checksum. ok is false when the
// corpus no longer holds that text.
func (r sourceRef) resolve(v corpus.View) (source, bool) {
	for _, info := range v.Documents() {
		if docKey(info.ID) != r.doc {
			continue
		}
		d, ok := v.DocumentText(info.ID)
		if !ok || r.end > len(d.Text) {
			return source{}, false
		}
		text := d.Text[r.start:r.end]
		if crc32.ChecksumIEEE([]byte(text)) != r.crc {
			return source{}, false
		}
		return source{N: r.N, Document: info.ID, Title: d.Title, Start: r.start, End: r.end, Text: text, Thread: r.thread,
			LineStart: 1 + strings.Count(d.Text[:r.start], "\n"), LineEnd: 1 + strings.Count(d.Text[:r.end-1], "\n"), Page: d.Page(r.start)}, true
	}
	return source{}, false
}

// get returns the source behind callback data; ok is false for data that
// is not citebot's, malformed, unknown or expired.
func (b *buttons) get(data string) (source, bool) {
	rest, ok := strings.CutPrefix(data, callbackPrefix)
	if !ok {
		return source{}, false
	}
	key, idx, ok := strings.Cut(rest, ":")
	idx, _, _ = strings.Cut(idx, ":") // the ref, if any, is not needed here
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
