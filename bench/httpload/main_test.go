package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestOnce: with -once every body is sent exactly once, and the run ends
// when they run out instead of at the end of the duration.
func TestOnce(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[string(b)]++
		mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	bodies := filepath.Join(t.TempDir(), "bodies.jsonl")
	lines := []string{`{"q":1}`, `{"q":2}`, `{"q":3}`, `{"q":4}`, `{"q":5}`, `{"q":6}`, `{"q":7}`}
	var text string
	for _, l := range lines {
		text += l + "\n"
	}
	if err := os.WriteFile(bodies, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, warmup := range []time.Duration{0, 50 * time.Millisecond} {
		clear(got)
		start := time.Now()
		r, err := run(options{url: srv.URL, bodies: bodies, conns: 3, duration: 20 * time.Second, warmup: warmup,
			timeout: 5 * time.Second, once: true})
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("warm-up %v: the run lasted %v, not stopping when the bodies ran out", warmup, time.Since(start))
		}
		if !r.Exhausted {
			t.Errorf("warm-up %v: not marked exhausted", warmup)
		}
		for _, l := range lines {
			if got[l] != 1 {
				t.Errorf("warm-up %v: body %s sent %d times", warmup, l, got[l])
			}
		}
		if warmup == 0 && r.Requests != len(lines) {
			t.Errorf("%d measured requests, want %d", r.Requests, len(lines))
		}
	}
	if _, err := run(options{url: srv.URL, conns: 1, duration: time.Second, once: true}); err == nil {
		t.Error("-once without -bodies: no error")
	}
}
