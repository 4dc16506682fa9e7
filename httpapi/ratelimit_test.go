package httpapi

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimiterBuckets(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	l := newLimiter(1, 2, clock)
	for i, want := range []bool{true, true, false} {
		if got := l.reserve("a") == 0; got != want {
			t.Errorf("request %d of a burst of 2: allowed %v, want %v", i+1, got, want)
		}
	}
	if l.reserve("b") != 0 {
		t.Error("another client shares the first one's bucket")
	}
	now = now.Add(time.Second)
	if l.reserve("a") != 0 {
		t.Error("a token did not come back after a second")
	}

	// Memory stays bounded, and buckets are forgotten once refilled.
	slow := newLimiter(0.01, 10, clock) // refills in 1,000 s
	for i := range maxClients + 10 {
		slow.reserve(fmt.Sprint(i))
	}
	if n := len(slow.clients); n > maxClients {
		t.Errorf("%d buckets kept, want at most %d", n, maxClients)
	}
	if slow.idleAfter != 1000*time.Second {
		t.Errorf("buckets of a slow rate are forgotten after %v, before they refill (1000 s)", slow.idleAfter)
	}
	now = now.Add(2 * time.Minute)
	l.reserve("c") // a new client: the refilled buckets of a and b go
	if _, ok := l.clients["a"]; ok {
		t.Error("a refilled bucket was kept")
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5000":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"not-an-address":             "not-an-address",
	} {
		r := httptest.NewRequest("GET", "/v1/models", nil)
		r.RemoteAddr = addr
		if got := clientKey(r); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}
