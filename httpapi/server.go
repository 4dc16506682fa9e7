// Package httpapi is citebot's HTTP front end: the public JSON API (ask,
// documents, reindex), an OpenAI-compatible chat endpoint, health and
// readiness, Prometheus metrics and an OpenAPI description. It answers from
// a corpus.Library, and sees the corpus only through its read-only View; it
// knows nothing of files, folders, formats or how an index is built: the
// admin's changes to the documents go to a Folder, which checks and
// writes them.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"citebot/corpus"
)

// Config holds the API's settings.
type Config struct {
	// AdminToken enables POST /v1/reindex, and the changes to the
	// documents, for that bearer token; empty disables them (403).
	AdminToken string
	// DefaultK is the number of passages when a request names none.
	DefaultK int
	// RateLimit is requests per second per client on /v1/ routes (0: no
	// limit), with bursts of up to RateBurst.
	RateLimit float64
	RateBurst int
	// LogQuestions adds question text to info-level logs; otherwise
	// questions are logged at debug level only.
	LogQuestions bool
	// TelegramWebhook receives the Telegram bot's updates at
	// POST /telegram/webhook when the bot runs in webhook mode; nil: 404.
	TelegramWebhook http.Handler

	// Keys, when not nil, guards every route but /healthz, /readyz,
	// /openapi.json, /metrics, POST /telegram/webhook and POST
	// /v1/reindex (which have their own rules), the SignIn page and
	// /static/: a request needs "Authorization: Bearer <key>" with one of
	// the keys or the admin token, or a session that Session accepts.
	// Without a key it is answered 401 (with WWW-Authenticate: Bearer), or
	// sent to SignIn; with a wrong key, 401. The key's name, never the
	// key, is the request log line's key attribute. nil: no key needed.
	Keys KeyChecker
	// Session says whether a request carries a signed-in session (the web
	// page's cookie, set by its sign-in form after it checked a key with
	// the same Keys), and its name for the log. nil: no sessions.
	Session func(*http.Request) (name string, ok bool)
	// SignIn is the path, on this server, of the page where a browser
	// without a key or session is sent (303, with ?next= the page it
	// asked for) when it asks for HTML; empty: a 401 JSON error for
	// every request without a key.
	SignIn string
	// MetricsAuth limits /metrics to the admin token.
	MetricsAuth bool
	// CORSOrigins are the origins whose browser pages may call the /v1/
	// routes, as ParseOrigins returns them; "*" lets any page call the
	// read routes (ask, chat, documents GET, models), without
	// credentials. Empty: no CORS headers, and OPTIONS is a 405.
	CORSOrigins []string
	// Pages serves the web page's paths (GET and POST /, /documents,
	// /documents/{id}, /static/, /admin, /admin/, /signin, /signout):
	// package web's handler. nil: those paths are unknown, as any other.
	Pages http.Handler
	// Documents is the documents folder that PUT, POST and DELETE on
	// /v1/documents write; nil: there is none (409).
	Documents Folder
}

// NewServer returns the API's handler: every route of routes.go behind the
// request id, logging, metrics, panic recovery, CORS, rate limiting and
// the key guard. The limiter comes before the guard, so that guessing keys
// is as slow as any other request.
func NewServer(cfg Config, lib corpus.Library, log *slog.Logger, m *Metrics) http.Handler {
	if m == nil {
		m = NewMetrics()
	}
	if cfg.DefaultK == 0 {
		cfg.DefaultK = 5
	}
	mux := http.NewServeMux()
	addRoutes(mux, cfg, lib, m)
	var h http.Handler = jsonFallback(mux)
	if cfg.Keys != nil {
		g := &guard{keys: cfg.Keys, admin: cfg.AdminToken, session: cfg.Session, signIn: cfg.SignIn}
		h = g.middleware(h)
	}
	if cfg.MetricsAuth {
		h = metricsAuth(cfg.AdminToken, h)
	}
	if cfg.RateLimit > 0 {
		h = newLimiter(cfg.RateLimit, cfg.RateBurst, time.Now).middleware(h)
	}
	if len(cfg.CORSOrigins) > 0 {
		h = newCORS(cfg.CORSOrigins).middleware(h)
	}
	h = recoverPanics(closeAfterChunked(h))
	return observe(h, log, m)
}

// NewHTTPServer wraps the handler with the timeouts a public server needs:
// a client that sends its headers or body slowly, or never reads the
// answer, cannot hold a connection for long. Streaming and reindex
// handlers lift the write deadline for their own responses.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
