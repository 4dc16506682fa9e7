package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client address on the /v1/ routes; health,
// readiness and metrics stay unlimited so that probes and scrapes always
// get through.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*client
	swept     time.Time
	idleAfter time.Duration
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxClients bounds the buckets kept, so that a flood of addresses cannot
// exhaust memory; beyond it the idlest half is forgotten.
const maxClients = 100_000

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	if burst < 1 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	// A bucket may be forgotten once it has refilled, so that forgetting
	// it changes nothing; sweeping no more often than every minute.
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: now, clients: map[string]*client{},
		swept: now(), idleAfter: max(time.Minute, refill)}
}

func (l *limiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		if wait := l.reserve(clientKey(r)); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "too many requests; try again in %d s", secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reserve takes a token for the client, or says how long until one is free.
func (l *limiter) reserve(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok && (len(l.clients) >= maxClients || now.Sub(l.swept) > l.idleAfter) {
		l.sweep(now)
	}
	if !ok {
		c = &client{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now) // a refused request must not use up a token
		return d
	}
	return 0
}

// sweep forgets refilled buckets; when that is not enough to get below
// maxClients, the older half of the rest goes too (a client forgotten
// early gets a full burst again, the price of bounded memory).
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	for k, c := range l.clients {
		if now.Sub(c.seen) > l.idleAfter {
			delete(l.clients, k)
		}
	}
	if len(l.clients) < maxClients {
		return
	}
	seen := make([]time.Time, 0, len(l.clients))
	for _, c := range l.clients {
		seen = append(seen, c.seen)
	}
	slices.SortFunc(seen, func(a, b time.Time) int { return a.Compare(b) })
	cut := seen[len(seen)/2]
	for k, c := range l.clients {
		if !c.seen.After(cut) {
			delete(l.clients, k)
		}
	}
}

// clientKey is whom a bucket belongs to: the client's IPv4 address, or
// the /64 network of an IPv6 one (one host usually holds a whole /64, and
// must not get a fresh bucket per address).
func clientKey(r *http.Request) string {
	ip, err := netip.ParseAddr(clientIP(r))
	if err != nil {
		return clientIP(r)
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip.String()
	}
	return p.String()
}
