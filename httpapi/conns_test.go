package httpapi

import (
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// serveGuarded serves h behind a guard on loopback and returns its address.
func serveGuarded(t *testing.T, g *ConnGuard, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnState: g.ConnState, IdleTimeout: time.Minute, ReadHeaderTimeout: time.Minute}
	go srv.Serve(g.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

// An attacker holding every connection the server allows, silent or idle
// between requests, does not keep a normal client out: each new
// connection takes the place of the one idle longest.
func TestConnGuardAttackerHoldsMaximum(t *testing.T) {
	const max = 40
	g := NewConnGuard(max, max, 0)
	addr := serveGuarded(t, g, okHandler)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	// The attacker opens connections and sends nothing, and opens a new
	// one soon after one is closed, so that it holds the maximum.
	for range max {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				buf := make([]byte, 1)
				c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				c.Read(buf) // returns when the server closes it
				c.Close()
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for g.Open() < max && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g.Open() < max {
		t.Fatalf("the attacker holds %d connections, want %d", g.Open(), max)
	}
	// The normal client comes from another address on the loopback.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: dialer.DialContext}}
	var took []time.Duration
	for range 50 {
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("a normal client was refused while the attacker held %d connections: %v", max, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("normal client while the attacker holds %d connections: p50 %v, p99 %v", max, took[len(took)/2], took[len(took)*99/100])
	if n := g.Open(); n > max {
		t.Errorf("%d connections open, the limit is %d", n, max)
	}
}

// One client cannot take more than its share: its own idle connection
// makes room for its next, and other clients keep theirs.
func TestConnGuardPerClient(t *testing.T) {
	g := NewConnGuard(100, 3, 0)
	addr := serveGuarded(t, g, okHandler)
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := g.Open(); n != 3 {
		t.Errorf("one client holds %d connections, its share is 3", n)
	}
	// The oldest were closed to make room.
	buf := make([]byte, 1)
	conns[0].SetReadDeadline(time.Now().Add(time.Second))
	if _, err := conns[0].Read(buf); err == nil {
		t.Error("the oldest idle connection is still open")
	}
}

// When every connection is busy, a new one is refused rather than a
// request cut off.
func TestConnGuardAllBusy(t *testing.T) {
	g := NewConnGuard(2, 2, 0)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	addr := serveGuarded(t, g, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		io.WriteString(w, "done")
	}))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	results := make(chan error, 2)
	for range 2 {
		go func() {
			resp, err := client.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
			}
			results <- err
		}()
	}
	<-started
	<-started
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/"); err == nil {
		t.Error("a third connection was served while two requests held the only two")
	}
	close(release)
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("a busy request was cut off: %v", err)
		}
	}
}

// Under pressure, connections idle longer than the pressure time are
// closed as new ones arrive.
func TestConnGuardPressure(t *testing.T) {
	g := NewConnGuard(10, 10, 50*time.Millisecond)
	addr := serveGuarded(t, g, okHandler)
	for range 6 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(150 * time.Millisecond)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond)
	if n := g.Open(); n != 1 {
		t.Errorf("%d connections open after the idle ones aged under pressure, want 1", n)
	}
}
