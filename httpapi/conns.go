package httpapi

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ConnGuard bounds the connections a server holds. Without it, one client
// that opens connections and leaves them idle (keep-alive connections may
// idle for minutes) runs the process out of file descriptors, and every
// other client's connection is refused for as long as it likes. Rate
// limits do not help: one cheap request per connection is enough.
//
// A connection is counted from its accept to its close. When a client
// reaches its share, or the server its maximum, the connection waiting
// longest without a request in progress (idle between requests, or new
// and silent) is closed to make room; only when every connection is busy
// is the new one refused. So a client that only holds connections loses
// them to anyone who asks, and a normal client is answered while an
// attacker holds the maximum. Under pressure (more than half the
// maximum), connections idle longer than PressureIdle are closed too.
type ConnGuard struct {
	max, perClient int
	pressureIdle   time.Duration

	mu      sync.Mutex
	conns   map[net.Conn]*connEntry
	clients map[string]int
}

type connEntry struct {
	client string
	busy   bool      // a request is in progress
	since  time.Time // of the last change between busy and not
}

// NewConnGuard bounds connections to max in all and perClient per client
// address; idle ones go after pressureIdle while more than half of max are
// open. max 0 sizes it to the process's file limit.
func NewConnGuard(max, perClient int, pressureIdle time.Duration) *ConnGuard {
	if max <= 0 {
		max = DefaultMaxConns()
	}
	if perClient <= 0 {
		perClient = max
	}
	return &ConnGuard{max: max, perClient: min(perClient, max), pressureIdle: pressureIdle,
		conns: map[net.Conn]*connEntry{}, clients: map[string]int{}}
}

// Listener wraps l: each accepted connection is admitted, possibly by
// closing an idle one, or closed at once.
func (g *ConnGuard) Listener(l net.Listener) net.Listener {
	return &guardedListener{Listener: l, g: g}
}

// ConnState is the http.Server hook that tells the guard which
// connections are busy.
func (g *ConnGuard) ConnState(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.conns[c]
	if !ok {
		return
	}
	switch s {
	case http.StateActive:
		e.busy, e.since = true, time.Now()
	case http.StateIdle:
		e.busy, e.since = false, time.Now()
	case http.StateClosed, http.StateHijacked:
		g.forget(c, e)
	}
}

// Open is how many connections are held.
func (g *ConnGuard) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

func (g *ConnGuard) forget(c net.Conn, e *connEntry) {
	delete(g.conns, c)
	if g.clients[e.client]--; g.clients[e.client] <= 0 {
		delete(g.clients, e.client)
	}
}

// admit counts c in, making room if it must; false means c is refused.
func (g *ConnGuard) admit(c net.Conn) bool {
	client := clientAddr(c)
	now := time.Now()
	g.mu.Lock()
	var evict []net.Conn
	if g.clients[client] >= g.perClient {
		if v := g.oldestIdle(client); v != nil {
			evict = append(evict, v)
		} else {
			g.mu.Unlock()
			return false
		}
	} else if len(g.conns) >= g.max {
		if v := g.oldestIdle(""); v != nil {
			evict = append(evict, v)
		} else {
			g.mu.Unlock()
			return false
		}
	}
	if len(g.conns)-len(evict) >= g.max/2 && g.pressureIdle > 0 {
		for v, e := range g.conns {
			if !e.busy && now.Sub(e.since) > g.pressureIdle && (len(evict) == 0 || v != evict[0]) {
				evict = append(evict, v)
			}
		}
	}
	for _, v := range evict {
		g.forget(v, g.conns[v])
	}
	g.conns[c] = &connEntry{client: client, since: now}
	g.clients[client]++
	g.mu.Unlock()
	for _, v := range evict {
		v.Close()
	}
	return true
}

// oldestIdle is the connection (of client, or of anyone for "") that has
// waited longest without a request in progress; nil when all are busy.
func (g *ConnGuard) oldestIdle(client string) net.Conn {
	var best net.Conn
	var since time.Time
	for c, e := range g.conns {
		if e.busy || client != "" && e.client != client {
			continue
		}
		if best == nil || e.since.Before(since) {
			best, since = c, e.since
		}
	}
	return best
}

func clientAddr(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

type guardedListener struct {
	net.Listener
	g *ConnGuard
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		gc := &guardedConn{Conn: c, g: l.g}
		if l.g.admit(gc) {
			return gc, nil
		}
		c.Close()
	}
}

// guardedConn forgets itself when closed by anyone, so the count stays
// right even for connections the server never reported on; and it counts
// as busy from its first byte, before the server reports it active, so
// that a client who asks at once is never taken for a silent one.
type guardedConn struct {
	net.Conn
	g     *ConnGuard
	once  sync.Once
	heard atomic.Bool
}

func (c *guardedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.heard.Load() {
		c.heard.Store(true)
		c.g.mu.Lock()
		if e, ok := c.g.conns[c]; ok {
			e.busy, e.since = true, time.Now()
		}
		c.g.mu.Unlock()
	}
	return n, err
}

// Write sends what the server writes, except that the plain-text errors
// net/http answers unparseable requests with become the API's JSON errors.
func (c *guardedConn) Write(p []byte) (int, error) {
	if out, ok := asJSONError(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *guardedConn) Close() error {
	c.once.Do(func() {
		c.g.mu.Lock()
		if e, ok := c.g.conns[c]; ok {
			c.g.forget(c, e)
		}
		c.g.mu.Unlock()
	})
	return c.Conn.Close()
}
