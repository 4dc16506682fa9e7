package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadyURL(t *testing.T) {
	tests := []struct {
		addr, want string
		bad        bool
	}{
		{addr: "127.0.0.1:8080", want: "http://127.0.0.1:8080/readyz"},
		{addr: "0.0.0.0:8080", want: "http://127.0.0.1:8080/readyz"}, // the Docker image's
		{addr: ":9000", want: "http://127.0.0.1:9000/readyz"},
		{addr: "[::]:8080", want: "http://[::1]:8080/readyz"},
		{addr: "[::1]:8080", want: "http://[::1]:8080/readyz"},
		{addr: "localhost:8080", want: "http://localhost:8080/readyz"},
		{addr: "10.0.0.5:80", want: "http://10.0.0.5:80/readyz"},
		{addr: "8080", bad: true},
		{addr: "127.0.0.1:", bad: true},
		{addr: "", bad: true},
	}
	for _, tt := range tests {
		got, err := readyURL(tt.addr)
		if tt.bad {
			if err == nil {
				t.Errorf("readyURL(%q) = %q, want an error", tt.addr, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}

// health asks serve's /readyz at the address serve itself would take from
// the flag, the environment or the config file, and says in one line why
// when the answer is not 200. Every failure is exit 1, never 2.
func TestHealth(t *testing.T) {
	s := startServe(t, nil, "--docs", seeds, "--index", t.TempDir())
	s.waitReady(t)
	addr := strings.TrimPrefix(s.url, "http://")
	_, port, _ := net.SplitHostPort(addr)
	cfg := filepath.Join(t.TempDir(), "citebot.yaml")
	writeFile(t, cfg, "addr: "+addr+"\ndocs: ./seeds\nanswer:\n  max_sentences: 1\n")

	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"not_ready","message":"the index is not loaded yet"}}`))
	}))
	defer notReady.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream gone\nsecond line", http.StatusBadGateway)
	}))
	defer plain.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string // a prefix
		stderr string // a substring of the one line
	}{
		{"--addr", nil, []string{"health", "--addr", addr}, 0, "ready: 3 documents, ", ""},
		{"every address, asked on loopback", nil, []string{"health", "--addr", "0.0.0.0:" + port}, 0, "ready: 3 documents", ""},
		{"CITEBOT_ADDR", map[string]string{"CITEBOT_ADDR": addr}, []string{"health"}, 0, "ready: ", ""},
		{"the config file's addr", nil, []string{"health", "--config", cfg}, 0, "ready: ", ""},
		{"the config file before the command", nil, []string{"--config", cfg, "health"}, 0, "ready: ", ""},
		{"CITEBOT_CONFIG", map[string]string{"CITEBOT_CONFIG": cfg}, []string{"health"}, 0, "ready: ", ""},
		{"the flag wins", map[string]string{"CITEBOT_ADDR": closedAddr}, []string{"health", "--addr", addr}, 0, "ready: ", ""},
		{"not ready", nil, []string{"health", "--addr", strings.TrimPrefix(notReady.URL, "http://")}, 1, "",
			"/readyz answered 503 Service Unavailable: the index is not loaded yet"},
		{"not JSON", nil, []string{"health", "--addr", strings.TrimPrefix(plain.URL, "http://")}, 1, "", "answered 502 Bad Gateway: upstream gone"},
		{"nothing listening", nil, []string{"health", "--addr", closedAddr}, 1, "", "connection refused"},
		{"a bad address", nil, []string{"health", "--addr", "8080"}, 1, "", `health: addr "8080"`},
		{"a bad flag", nil, []string{"health", "--adr", addr}, 1, "", "unknown flag --adr (did you mean --addr?)"},
		{"an argument", nil, []string{"health", "now"}, 1, "", "no arguments"},
		{"a bad config file", nil, []string{"health", "--config", filepath.Join(t.TempDir(), "none.yaml")}, 1, "", "none.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := cli(t, tt.env, "", tt.args...)
			if r.code != tt.code || !strings.HasPrefix(r.stdout, tt.stdout) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout)
			}
			if tt.code == 0 {
				if r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
					t.Errorf("stdout %q, stderr %q; want one line on stdout only", r.stdout, r.stderr)
				}
				return
			}
			if !strings.Contains(r.stderr, tt.stderr) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
				t.Errorf("stderr %q; want one line saying %q, nothing on stdout", r.stderr, tt.stderr)
			}
			if d := time.Since(start); d > healthTimeout {
				t.Errorf("took %v", d)
			}
		})
	}
}
