package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Keys of the serve tests: at least 16 characters, as the file wants.
const (
	aliceKey = "alice-0123456789abcdef"
	bobKey   = "bob-fedcba9876543210"
)

// askWith asks over HTTP with an Authorization: Bearer key ("" for none)
// and returns the status.
func (s *server) askWith(t testing.TB, key string) int {
	t.Helper()
	req, err := http.NewRequest("POST", s.url+"/v1/ask", strings.NewReader(`{"question": "What is MGIMO?"}`))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitLog waits until the log holds want.
func (s *server) waitLog(t testing.TB, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(s.log.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", want, s.log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hup(t testing.TB) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// TestServeKeys: with --api-keys a question needs a key (missing and wrong
// ones are 401), an OpenAI client passes with its api_key, the log names
// the key and never shows it, and SIGHUP rereads the file, keeping the old
// keys when the new file is broken.
func TestServeKeys(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, keys, "# who may ask\nalice: "+aliceKey+"\n")
	s := startServe(t, map[string]string{"CITEBOT_API_KEYS": keys, "CITEBOT_ADMIN_TOKEN": "admin-token"},
		"--docs", copySeeds(t), "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t) // /readyz needs no key
	for _, tt := range []struct {
		name, key string
		want      int
	}{
		{"missing", "", 401},
		{"wrong", bobKey, 401},
		{"right", aliceKey, 200},
		{"the admin token", "admin-token", 200},
	} {
		if got := s.askWith(t, tt.key); got != tt.want {
			t.Errorf("ask, key %s: %d, want %d", tt.name, got, tt.want)
		}
	}

	ctx := context.Background()
	client := func(key string) *openai.Client {
		cfg := openai.DefaultConfig(key)
		cfg.BaseURL = s.url + "/v1"
		return openai.NewClientWithConfig(cfg)
	}
	req := openai.ChatCompletionRequest{Model: "citebot",
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "When did the SCO agreement come into effect?"}}}
	if resp, err := client(aliceKey).CreateChatCompletion(ctx, req); err != nil || len(resp.Choices) == 0 || !strings.Contains(resp.Choices[0].Message.Content, "2012") {
		t.Errorf("chat with api_key: %+v %v", resp, err)
	}
	var apiErr *openai.APIError
	if _, err := client("unused").CreateChatCompletion(ctx, req); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 {
		t.Errorf("chat with a wrong api_key: %v, want a 401", err)
	}
	s.waitLog(t, "key=alice")
	if strings.Contains(s.log.String(), aliceKey) || strings.Contains(s.log.String(), bobKey) {
		t.Errorf("the log shows a key:\n%s", s.log)
	}

	// SIGHUP rereads the file: bob in, alice out.
	writeFile(t, keys, "bob: "+bobKey+"\n")
	hup(t)
	for deadline := time.Now().Add(20 * time.Second); s.askWith(t, bobKey) != 200; {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload the keys:\n%s", s.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.askWith(t, aliceKey); got != 401 {
		t.Errorf("a key removed from the file: %d, want 401", got)
	}

	// A broken file is refused, with its line, and bob's key stays.
	writeFile(t, keys, "bob: "+bobKey+"\ncarol: short\n")
	hup(t)
	s.waitLog(t, "keys.txt:2: the key is 5 characters")
	if got := s.askWith(t, bobKey); got != 200 {
		t.Errorf("after a failed reload: %d, want 200 (the previous keys stay)", got)
	}
	if strings.Contains(s.log.String(), bobKey) {
		t.Errorf("the log shows a key:\n%s", s.log)
	}
}

// A keys file that cannot be used stops serve at start (exit 2), naming
// the file and the line.
func TestServeKeysBadFile(t *testing.T) {
	dir := t.TempDir()
	empty, bad := filepath.Join(dir, "empty.txt"), filepath.Join(dir, "bad.txt")
	writeFile(t, empty, "# nobody yet\n")
	writeFile(t, bad, "alice: "+aliceKey+"\nbob "+bobKey+"\n")
	for _, tt := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.txt"), "api-keys: open " + filepath.Join(dir, "missing.txt")},
		{empty, "api-keys: " + empty + ": no keys"},
		{bad, "api-keys: " + bad + ":2: a key may hold only"},
		{dir, "is not a regular file"},
	} {
		r := cli(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--docs", seeds, "--index", t.TempDir(), "--api-keys", tt.file)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("--api-keys %s: exit %d, stderr %q; want 2 and %q", tt.file, r.code, r.stderr, tt.want)
		}
		if strings.Contains(r.stderr, bobKey) {
			t.Errorf("the error shows a key: %q", r.stderr)
		}
	}
	for _, args := range [][]string{
		{"--metrics-auth"},
		{"--cors-origins", "https://app.example/path"},
		{"--cors-origins", "app.example"},
	} {
		r := cli(t, nil, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		if r.code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
}

// serveOn runs serve listening on host (0.0.0.0 for every interface) and
// returns it once /healthz answers on loopback.
func serveOn(t *testing.T, host string, env map[string]string, args ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s here: %v", host, err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{url: "http://127.0.0.1:" + port, log: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	argv := append([]string{"citebot", "serve", "--addr", net.JoinHostPort(host, port)}, args...)
	go func() {
		s.done <- run(ctx, argv, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, s.log)
	}()
	t.Cleanup(func() { s.stop(t) })
	// /healthz answers once the start's log lines, the warning's too, are out.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve on %s did not start: %v\n%s", host, err, s.log)
		}
	}
}

// Listening beyond loopback without keys is warned about at start; with
// keys, or on loopback, it is not.
func TestServeNonLoopbackWarning(t *testing.T) {
	const warning = "listening beyond this machine without --api-keys"
	keys := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, keys, aliceKey+"\n")
	ix := seedIndex(t)
	open := serveOn(t, "0.0.0.0", nil, "--docs", seeds, "--index", ix)
	if !strings.Contains(open.log.String(), warning) || !strings.Contains(open.log.String(), "level=WARN") {
		t.Errorf("no warning for 0.0.0.0 without keys:\n%s", open.log)
	}
	open.stop(t)
	guarded := serveOn(t, "0.0.0.0", map[string]string{"CITEBOT_API_KEYS": keys}, "--docs", seeds, "--index", ix)
	local := serveOn(t, "127.0.0.1", nil, "--docs", seeds, "--index", ix)
	for name, s := range map[string]*server{"0.0.0.0 with keys": guarded, "127.0.0.1": local} {
		if strings.Contains(s.log.String(), warning) {
			t.Errorf("%s: warned:\n%s", name, s.log)
		}
	}
	if got := guarded.askWith(t, ""); got != 401 {
		t.Errorf("0.0.0.0 with keys, no key: %d, want 401", got)
	}
}

// --metrics-auth limits /metrics to the admin token; --cors-origins
// answers preflights for the origins it lists.
func TestServeMetricsAuthAndCORS(t *testing.T) {
	s := startServe(t, map[string]string{"CITEBOT_ADMIN_TOKEN": "admin-token", "CITEBOT_CORS_ORIGINS": "https://app.example"},
		"--docs", seeds, "--index", seedIndex(t), "--metrics-auth")
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := get("/metrics"); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("/metrics without the token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := get("/metrics", "Authorization", "Bearer admin-token"); resp.StatusCode != 200 {
		t.Errorf("/metrics with the admin token: %d", resp.StatusCode)
	}

	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", s.url+"/v1/ask", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight("https://app.example"); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from the listed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://elsewhere.example"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
}
