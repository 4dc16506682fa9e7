package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// KeyChecker says whether a bearer token is a read key, and its name for
// the logs (*access.Keyring is one).
type KeyChecker interface {
	Check(token string) (name string, ok bool)
}

// adminKeyName is how the request log names the admin token when it is
// used as a read key.
const adminKeyName = "admin"

// guard lets a request through to the read routes and the web page only
// with a key: "Authorization: Bearer" with one of the keys or the admin
// token, or a session the web page vouches for.
type guard struct {
	keys    KeyChecker
	admin   string
	session func(*http.Request) (string, bool)
	signIn  string
}

// open reports whether a path answers without a key: the probes and this
// API's description (monitoring and clients must reach them), what has a
// secret of its own (the Telegram webhook, reindexing and metrics, which
// --metrics-auth limits to the admin), and the sign-in page with the
// assets it needs. Everything else, unknown paths included, needs a key,
// so a route added later is guarded until it is listed here.
func (g *guard) open(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/openapi.json", "/telegram/webhook", "/v1/reindex", "/metrics":
		return true
	}
	return strings.HasPrefix(path, "/static/") || (g.signIn != "" && path == g.signIn)
}

func (g *guard) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.open(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if tok, ok := bearer(r); ok {
			// A key that is sent and wrong is refused even with a session:
			// the client meant the key, and must learn that it is wrong.
			name, ok := g.check(tok)
			if !ok {
				unauthorized(w, r, "the key is not one of this server's API keys (--api-keys) nor the admin token")
				return
			}
			note(r).key = name
			next.ServeHTTP(w, r)
			return
		}
		if g.session != nil {
			if name, ok := g.session(r); ok {
				note(r).key = name
				next.ServeHTTP(w, r)
				return
			}
		}
		if g.signIn != "" && wantsPage(r) {
			note(r).route = "sign_in"
			http.Redirect(w, r, g.signIn+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		unauthorized(w, r, "this server needs an API key, sent as Authorization: Bearer KEY (OpenAI clients: their api_key)")
	})
}

// check compares the token with the admin token and every key, each in
// constant time, so the time taken does not say which one matched.
func (g *guard) check(tok string) (string, bool) {
	name, ok := g.keys.Check(tok)
	if g.admin != "" && tokenEqual(tok, g.admin) {
		return adminKeyName, true
	}
	return name, ok
}

// metricsAuth limits /metrics to the admin token (--metrics-auth): the
// metrics tell how busy the service is and how large its corpus.
func metricsAuth(admin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		if admin == "" {
			writeError(w, r, errorf(http.StatusForbidden, "metrics_disabled", "metrics need the admin token, and none is configured (--admin-token)"))
			return
		}
		if tok, ok := bearer(r); !ok || !tokenEqual(tok, admin) {
			unauthorized(w, r, "metrics need the admin token, sent as Authorization: Bearer TOKEN")
			return
		}
		note(r).key = adminKeyName
		next.ServeHTTP(w, r)
	})
}

func unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	note(r).route = "unauthorized"
	w.Header().Set("WWW-Authenticate", `Bearer realm="citebot"`)
	writeError(w, r, errorf(http.StatusUnauthorized, "unauthorized", "%s", msg))
}

// adminOnly checks a request to an admin route (reindex, document
// writes): disabled, 403, when no admin token is configured; 401 without
// the right one. It reports whether the request may go on.
func adminOnly(token string, disabled *Error) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if token == "" {
			writeError(w, r, disabled)
			return false
		}
		if got, ok := bearer(r); !ok || !tokenEqual(got, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="citebot"`)
			writeError(w, r, errorf(http.StatusUnauthorized, "unauthorized", "send the admin token as Authorization: Bearer <token>"))
			return false
		}
		return true
	}
}

// tokenEqual compares in constant time whatever the lengths, by comparing
// fixed-size hashes.
func tokenEqual(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// wantsPage reports whether a request is a browser's for a page, which is
// better sent to the sign-in form than shown a JSON error.
func wantsPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// requestNote is what middleware tells observe about a request it
// answered itself: the name of the key the request came in with (only the
// name: a key is never logged), and a route label for one the mux never
// saw (refused without a key, a CORS preflight).
type requestNote struct {
	key, route string
}

func note(r *http.Request) *requestNote {
	if s := state(r.Context()); s != nil {
		return &s.note
	}
	return &requestNote{} // outside observe (a test's handler): noted nowhere
}
