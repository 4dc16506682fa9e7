package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange sends req on a new connection to addr and returns the
// response read back, and whether the server then closed the connection.
func rawExchange(t *testing.T, addr, req string) (*http.Response, []byte, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err = br.ReadByte()
	closed := err == io.EOF
	return resp, body, closed
}

// Requests net/http refuses before any handler runs are answered with the
// API's JSON error object and their status, not plain text.
func TestServerErrorsAreJSON(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := NewConnGuard(100, 100, 0)
	srv := &http.Server{Handler: env.Server.Config.Handler, ConnState: g.ConnState, MaxHeaderBytes: 4 << 10}
	go srv.Serve(g.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	tests := []struct {
		name, req string
		status    int
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"a header without a colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400},
		{"headers over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", 431},
		{"unsupported transfer encoding", "POST /v1/ask HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, _ := rawExchange(t, addr, tt.req)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s: %s; want %d JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status)
			}
			var e errorBody
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("not the error object: %s (%v)", body, err)
			}
		})
	}
	// A handler's own answers pass unchanged.
	resp, body, _ := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
}

// A request with both Transfer-Encoding and Content-Length is answered and
// its connection closed, as RFC 9112 asks: the two may disagree on where
// the next request starts.
func TestChunkedWithLengthClosesConnection(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: env.Server.Config.Handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	body := `{"question":"x"}`
	req := "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"10\r\n" + body + "\r\n0\r\n\r\n"
	resp, got, closed := rawExchange(t, ln.Addr().String(), req)
	if resp.StatusCode == 0 || !closed {
		t.Errorf("status %d (%s), connection closed %v; want it closed", resp.StatusCode, got, closed)
	}
	// An ordinary request keeps its connection.
	_, _, closed = rawExchange(t, ln.Addr().String(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if closed {
		t.Error("an ordinary request's connection was closed")
	}
}
