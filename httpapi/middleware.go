package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
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

// validRequestID reports whether a client-supplied X-Request-Id may be
// reused: 1 to 64 of A-Z, a-z, 0-9 and "._:-". Anything else is replaced,
// so logs never carry odd bytes.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID is 16 random hexadecimal digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	var h [16]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}

// requestState is what observe keeps of a request, in one allocation:
// its status writer, what middleware notes of it, and its logger.
type requestState struct {
	sw   statusWriter
	note requestNote
	id   idHandler
	log  *slog.Logger
}

type stateKey struct{}

// state returns the request's state, nil outside observe.
func state(ctx interface{ Value(any) any }) *requestState {
	s, _ := ctx.Value(stateKey{}).(*requestState)
	return s
}

// idHandler adds the request id to each record, first, as log.With would
// have: With formats its attributes ahead for every request, whether
// anything is logged or not, and most requests log one line or none.
type idHandler struct {
	h  slog.Handler
	id string
}

func (h *idHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *idHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	rec.AddAttrs(slog.String("request_id", h.id))
	r.Attrs(func(a slog.Attr) bool {
		rec.AddAttrs(a)
		return true
	})
	return h.h.Handle(ctx, rec)
}

func (h *idHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return h.h.WithAttrs([]slog.Attr{slog.String("request_id", h.id)}).WithAttrs(as)
}

func (h *idHandler) WithGroup(name string) slog.Handler {
	return h.h.WithAttrs([]slog.Attr{slog.String("request_id", h.id)}).WithGroup(name)
}

// observe gives each request an id (X-Request-Id, reused from the client
// when sane), a logger carrying it, one log line when it ends, and its
// metrics. The route label is the matched pattern (or, for a request a
// middleware answered, its fixed label), so metrics stay bounded whatever
// paths clients send.
func observe(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		st := &requestState{sw: statusWriter{ResponseWriter: w}, id: idHandler{h: log.Handler(), id: id}}
		st.log = slog.New(&st.id)
		l := st.log
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		sw, n := &st.sw, &st.note
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
		if !l.Enabled(r.Context(), level) {
			return
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Float64("ms", float64(took.Microseconds())/1000),
			slog.String("client", clientIP(r))}
		if n.key != "" {
			attrs = append(attrs, slog.String("key", n.key))
		}
		l.LogAttrs(r.Context(), level, "request", attrs...)
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
