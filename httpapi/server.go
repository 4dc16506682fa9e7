// Package httpapi is citebot's HTTP front end: the public JSON API (ask,
// documents, reindex), an OpenAI-compatible chat endpoint, health and
// readiness, Prometheus metrics and an OpenAPI description. It answers from
// a corpus.Library, and sees the corpus only through its read-only View; it
// knows nothing of files, folders, formats or how an index is built.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"citebot/corpus"
)

// Config holds the API's settings.
type Config struct {
	// AdminToken enables POST /v1/reindex for that bearer token; empty
	// disables it (403).
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
}

// NewServer returns the API's handler: every route of routes.go behind the
// request id, logging, metrics, panic recovery and rate limiting.
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
	if cfg.RateLimit > 0 {
		h = newLimiter(cfg.RateLimit, cfg.RateBurst, time.Now).middleware(h)
	}
	h = recoverPanics(h)
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
