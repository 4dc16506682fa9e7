package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"sync"
	"time"
)

// statusWriter records the status and size of a response. Unwrap lets
// http.ResponseController reach the connection (flushing, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush keeps streaming working through the wrapper for handlers that
// check for http.Flusher rather than using a ResponseController.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// statusClientClosed records, in logs and metrics, a request whose client
// went away before any answer (nginx's 499).
const statusClientClosed = 499

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

// requestIDPattern is what a client-supplied X-Request-Id must look like to
// be reused; anything else is replaced, so logs never carry odd bytes.
var requestIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`) })

// observe gives each request an id (X-Request-Id, reused from the client
// when sane), a logger carrying it, one log line when it ends, and its
// metrics. The route label is the matched pattern (or, for a request a
// middleware answered, its fixed label), so metrics stay bounded whatever
// paths clients send.
func observe(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern().MatchString(id) {
			id = randomID()[:16]
		}
		w.Header().Set("X-Request-Id", id)
		l := log.With("request_id", id)
		r = r.WithContext(context.WithValue(r.Context(), loggerKey{}, l))
		var n requestNote
		r = withNote(r, &n)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)

		if sw.status == 0 {
			sw.status = http.StatusOK
			if r.Context().Err() != nil {
				sw.status = statusClientClosed // nothing was sent: the client left
			}
		}
		took := time.Since(start)
		route := r.Pattern // set by the mux on this very request
		switch {
		case sw.status == http.StatusTooManyRequests && route == "":
			route = "rate_limited" // refused before routing
		case route == "" && n.route != "":
			route = n.route // answered by a middleware
		case route == "":
			route = "unmatched"
		}
		m.observeRequest(route, sw.status, took)
		level := slog.LevelInfo
		switch {
		case sw.status == http.StatusTooManyRequests:
			level = slog.LevelDebug // a flood must not flood the log too
		case sw.status >= 500 && sw.status != http.StatusServiceUnavailable:
			// 503 is a state (loading, shutting down), not a fault: a
			// readiness probe must not fill the log with errors.
			level = slog.LevelError
		}
		attrs := []any{"method", r.Method, "route", route, "path", r.URL.Path,
			"status", sw.status, "bytes", sw.bytes, "ms", float64(took.Microseconds()) / 1000, "client", clientIP(r)}
		if n.key != "" {
			attrs = append(attrs, "key", n.key)
		}
		l.Log(r.Context(), level, "request", attrs...)
	})
}

// recoverPanics turns a handler's panic into a logged 500, and the server
// goes on. http.ErrAbortHandler is the handler's way to abort a response
// and passes through.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logger(r.Context()).Error("handler panicked", "panic", v, "stack", string(debug.Stack()))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				panic(http.ErrAbortHandler) // the response has begun: cut the connection
			}
			writeError(w, r, errorf(http.StatusInternalServerError, "internal", "something went wrong on our side; the error is logged"))
		}()
		next.ServeHTTP(w, r)
	})
}

// jsonFallback answers unknown paths (404) and wrong methods (405, with
// the mux's Allow header) with the JSON error object; the mux's own
// answers are plain text.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // routes, and redirects of unclean paths to them
			return
		}
		rec := &headerRecorder{h: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			allow := rec.h.Get("Allow")
			w.Header().Set("Allow", allow)
			writeError(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow))
			return
		}
		writeError(w, r, errorf(http.StatusNotFound, "not_found", "no route %s %s; GET /openapi.json describes the API", r.Method, r.URL.Path))
	})
}

// headerRecorder captures what the mux would answer, to answer it in JSON.
type headerRecorder struct {
	h      http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(code int)        { r.status = code }

// clientIP is the client's address as the server sees it (the proxy's,
// behind one).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
