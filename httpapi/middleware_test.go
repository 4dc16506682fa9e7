package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIDHandlerAsWith holds the request logger to what log.With would
// write: the request id first after the message, whatever the handler,
// the level, groups or attributes added later.
func TestIDHandlerAsWith(t *testing.T) {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	handlers := map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: noTime})
		},
		"json": func(w io.Writer) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: noTime})
		},
	}
	logs := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"plain", func(l *slog.Logger) { l.Info("request", "status", 200, "ms", 1.5) }},
		{"attrs", func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelError, "failed", slog.String("err", "x"), slog.Group("g", "a", 1))
		}},
		{"below the level", func(l *slog.Logger) { l.Debug("question", "question", "q?") }},
		{"with", func(l *slog.Logger) { l.With("user", "u").Warn("w", "k", "v") }},
		{"group", func(l *slog.Logger) { l.WithGroup("grp").Info("g", "k", "v") }},
		{"many attrs", func(l *slog.Logger) { l.Info("m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7) }},
	}
	for hname, newHandler := range handlers {
		for _, tt := range logs {
			t.Run(hname+"/"+tt.name, func(t *testing.T) {
				var want, got bytes.Buffer
				tt.log(slog.New(newHandler(&want)).With("request_id", "abc-1"))
				tt.log(slog.New(&idHandler{h: newHandler(&got), id: "abc-1"}))
				if got.String() != want.String() {
					t.Errorf("got  %q\nwant %q", got.String(), want.String())
				}
			})
		}
	}
}

// TestRequestLogLine checks the line observe logs for each request: the
// client's request id when sane, a new one otherwise, and the request's
// facts.
func TestRequestLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "ms" {
			return slog.Attr{}
		}
		return a
	}}))
	h := NewServer(Config{}, nil, log, nil)
	tests := []struct {
		sent, want string // want "" for a new id
	}{
		{"abc-1", "abc-1"},
		{"a.b_c:d-E9", "a.b_c:d-E9"},
		{"bad id", ""},
		{strings.Repeat("x", 65), ""},
		{"", ""},
	}
	for _, tt := range tests {
		buf.Reset()
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-Id", tt.sent)
		rec := serve(h, req)
		id := rec.Header().Get("X-Request-Id")
		switch {
		case tt.want != "" && id != tt.want:
			t.Errorf("X-Request-Id %q answered with id %q", tt.sent, id)
		case tt.want == "" && (len(id) != 16 || strings.Trim(id, "0123456789abcdef") != ""):
			t.Errorf("X-Request-Id %q: new id %q is not 16 hexadecimal digits", tt.sent, id)
		}
		want := "level=INFO msg=request request_id=" + id + " method=GET route=\"GET /healthz\" path=/healthz status=200 bytes=" +
			rec.Header().Get("Content-Length") + " client=192.0.2.1\n"
		if buf.String() != want {
			t.Errorf("log line\n got %q\nwant %q", buf.String(), want)
		}
	}
}
