package bot

import (
	"strings"
	"testing"
)

func TestSourceRefRoundTrip(t *testing.T) {
	s := source{N: 2, Document: "sub/treaty.md", Start: 10, End: 2_000_000, Text: "exact text", Thread: 77}
	data := "s:AAAAAAAAAAAA:1:" + s.ref()
	if len(data) > 64 {
		t.Errorf("callback data %q is %d bytes, Telegram allows 64", data, len(data))
	}
	r, ok := parseRef(data)
	if !ok || r.N != 2 || r.doc != docKey(s.Document) || r.start != 10 || r.end != 2_000_000 || r.thread != 77 {
		t.Errorf("parseRef(%q) = %+v, %v", data, r, ok)
	}
}

// Callback data comes from anyone who can press (or forge) a button.
func FuzzParseRef(f *testing.F) {
	f.Add("s:AAAAAAAAAAAA:0:" + source{Document: "a.txt", Start: 1, End: 9, Text: "x"}.ref())
	f.Add("s:AAAAAAAAAAAA:0:x.y")
	f.Add("s:::....")
	f.Fuzz(func(t *testing.T, data string) {
		r, ok := parseRef(data)
		if !ok {
			return
		}
		if r.start < 0 || r.start >= r.end || r.N < 1 || !strings.HasPrefix(data, callbackPrefix) {
			t.Errorf("parseRef(%q) accepted %+v", data, r)
		}
	})
}
