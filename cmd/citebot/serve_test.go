package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"citebot/answer"
)

// lockedBuffer is a log sink that the server writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is `citebot serve` running in-process.
type server struct {
	url    string
	log    *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServe runs `citebot serve` on a free port and waits until /healthz
// answers. The server is stopped at the test's end if the test did not.
func startServe(t testing.TB, env map[string]string, args ...string) *server {
	t.Helper()
	// The port is chosen here rather than read from the log, which a
	// test may quieten; another process taking it in between is unlikely
	// on loopback and would show as a failure to start, not a wrong pass.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{url: "http://" + addr, log: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	getenv := func(k string) string { return env[k] }
	argv := append([]string{"citebot", "serve", "--addr", addr}, args...)
	go func() { s.done <- run(ctx, argv, getenv, strings.NewReader(""), io.Discard, s.log) }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve ended before serving: %v\n%s", err, s.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %v\n%s", err, s.log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop cancels the server's context (SIGINT, SIGTERM) and returns run's error.
func (s *server) stop(t testing.TB) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // stop may be called again
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop:\n%s", s.log)
		return nil
	}
}

func (s *server) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v %v\n%s", resp, err, s.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *server) ask(t testing.TB, question string) (answer.Answer, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"question": question})
	resp, err := http.Post(s.url+"/v1/ask", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Errorf("ask %q: %v", question, err)
		return answer.Answer{}, 0
	}
	defer resp.Body.Close()
	var a answer.Answer
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Errorf("ask %q: %v in %s", question, err, raw)
		}
	}
	return a, resp.StatusCode
}

func (s *server) reindex(t testing.TB, token string) (map[string]any, int) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/v1/reindex", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("reindex: %v", err) // not Fatal: called from goroutines
		return nil, 0
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out, resp.StatusCode
}

const vardo = "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n"

// Every route answers through the real binary's wiring: flags, the live
// corpus, the API and its middleware.
func TestServeRoutes(t *testing.T) {
	docs := copySeeds(t)
	s := startServe(t, map[string]string{"CITEBOT_ADMIN_TOKEN": "tok"}, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t)
	a, code := s.ask(t, "When did the SCO agreement come into effect?")
	if code != 200 || !a.Found || len(a.Citations) == 0 {
		t.Fatalf("ask: %d %+v", code, a)
	}
	c := a.Citations[0]
	for _, tt := range []struct {
		method, path string
		want         int
		contains     string
		body         string
	}{
		{"GET", "/healthz", 200, `"ok"`, ""},
		{"GET", "/readyz", 200, `"ready"`, ""},
		{"GET", "/v1/documents", 200, "001_8b87d517e2a49063.txt", ""},
		{"GET", fmt.Sprintf("/v1/documents/%s?start=%d&end=%d", c.Document, c.Start, c.End), 200, c.Quote, ""},
		{"GET", "/v1/models", 200, `"citebot"`, ""},
		{"GET", "/metrics", 200, "citebot_answers_total", ""},
		{"GET", "/openapi.json", 200, `"openapi"`, ""},
		{"GET", "/v1/models/citebot", 200, `"citebot"`, ""},
		{"POST", "/v1/reindex", 401, "unauthorized", ""},
		{"GET", "/v1/nothing", 404, "not_found", ""},
		{"GET", "/v1/documents/..%2f..%2fgo.mod", 404, "unknown_document", ""},
		{"GET", "/v1/documents/" + c.Document + "?start=5&end=1", 400, "bad_span", ""},
		{"PATCH", "/v1/documents", 405, "method_not_allowed", ""},
		{"PUT", "/v1/documents/new.txt", 401, "unauthorized", "new notes"},
		{"DELETE", "/v1/documents/" + c.Document, 401, "unauthorized", ""},
		{"POST", "/v1/ask", 400, "bad_json", `{"question": 7}`},
		{"POST", "/v1/ask", 400, "question_too_long", `{"question": "` + strings.Repeat("я", 4001) + `"}`},
		{"POST", "/v1/ask", 413, "body_too_large", `{"question": "` + strings.Repeat("a", 70000) + `"}`},
		{"POST", "/v1/chat/completions", 200, "Sources:", `{"model": "citebot", "messages": [{"role": "user", "content": "When did the SCO agreement come into effect?"}]}`},
		{"POST", "/v1/chat/completions", 200, "data: [DONE]\n\n", `{"model": "citebot", "stream": true, "messages": [{"role": "user", "content": "When did the SCO agreement come into effect?"}]}`},
	} {
		req, _ := http.NewRequest(tt.method, s.url+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s %s: %d %.200q; want %d containing %q", tt.method, tt.path, resp.StatusCode, body, tt.want, tt.contains)
		}
	}
	if _, code := s.reindex(t, "tok"); code != 200 {
		t.Errorf("reindex with the token: %d", code)
	}

	// Without a token reindexing is off; with a rate limit the third quick
	// question is refused.
	ix := seedIndex(t)
	off := startServe(t, nil, "--docs", seeds, "--index", ix, "--rate-limit", "1", "--rate-burst", "2")
	if _, code := off.reindex(t, "tok"); code != 403 {
		t.Errorf("reindex with no token configured: %d, want 403", code)
	}
	off.waitReady(t)
	off.ask(t, "What is MGIMO?")
	if _, code := off.ask(t, "What is MGIMO?"); code != 429 {
		t.Errorf("third request over a rate of 1/s with bursts of 2: %d, want 429", code)
	}
	off.stop(t)
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v on shutdown, want nil (exit 0)", err)
	}
	if code := exitCode(s.stop(t), io.Discard); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

// Shutdown waits for a request in flight: its headers are in, its body is
// not, when the signal comes; it is answered, then run returns nil.
func TestServeGracefulShutdown(t *testing.T) {
	s := startServe(t, nil, "--docs", copySeeds(t), "--index", filepath.Join(t.TempDir(), "ix"))
	s.waitReady(t)
	body := `{"question": "When did the SCO agreement come into effect?"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // the handler is reading the body

	s.cancel()
	select {
	case err := <-s.done:
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	io.WriteString(conn, body[10:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no response: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"found":true`) {
		t.Errorf("the request in flight: %d %s", resp.StatusCode, raw)
	}
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after the last request")
	}
}

// Reindexes (HTTP, twice at once, and SIGHUP) race a stream of questions:
// no question fails, and the new document is answerable as soon as the
// reindex returns.
func TestServeReindexUnderLoad(t *testing.T) {
	docs := copySeeds(t)
	s := startServe(t, nil, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--admin-token", "tok", "--log-level", "warn")
	s.waitReady(t)
	questions := []string{"When did the SCO agreement come into effect?", "What is MGIMO?", "Who wrote the article about the Union State?"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	asked, failed := 0, 0
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, code := s.ask(t, questions[i%len(questions)])
				mu.Lock()
				asked++
				if code != 200 {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	writeFile(t, filepath.Join(docs, "vardo.txt"), vardo)
	sums := make(chan map[string]any, 2)
	for range 2 {
		go func() {
			sum, code := s.reindex(t, "tok")
			if code != 200 {
				t.Errorf("reindex: %d %v", code, sum)
			}
			sums <- sum
		}()
	}
	for range 2 {
		if sum := <-sums; sum["added"] != 1.0 && sum["unchanged"] != 4.0 {
			t.Errorf("reindex summary %v, want the new document added (or, for a reindex that came after, 4 unchanged)", sum)
		}
	}
	if a, code := s.ask(t, "When did the harbour of Vardø freeze?"); code != 200 || !a.Found || a.Citations[0].Document != "vardo.txt" {
		t.Errorf("right after the reindex: %d found %v %+v", code, a.Found, a.Citations)
	}

	// SIGHUP reindexes too.
	writeFile(t, filepath.Join(docs, "lighthouse.txt"), "Lighthouse notes\n\nThe lighthouse of Kiberg was painted green in 1971.\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if a, _ := s.ask(t, "What colour was the lighthouse of Kiberg painted?"); a.Found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reindex:\n%s", s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failed > 0 || asked == 0 {
		t.Errorf("%d of %d questions failed during the reindexes", failed, asked)
	}
}

// A failed reindex keeps the old index serving; at start, a saved index
// serves when the documents cannot be read.
func TestServeWithoutDocuments(t *testing.T) {
	docs := copySeeds(t)
	ix := filepath.Join(t.TempDir(), "ix")
	mustRun(t, nil, "", "index", "--docs", docs, "--index", ix)
	if err := os.RemoveAll(docs); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, nil, "--docs", docs, "--index", ix, "--admin-token", "tok")
	s.waitReady(t)
	if a, code := s.ask(t, "What is MGIMO?"); code != 200 || !a.Found {
		t.Errorf("serving the saved index: %d %+v", code, a)
	}
	if sum, code := s.reindex(t, "tok"); code != 500 {
		t.Errorf("reindex without documents: %d %v, want 500", code, sum)
	}
	if _, code := s.ask(t, "What is MGIMO?"); code != 200 {
		t.Errorf("after a failed reindex: %d", code)
	}
	s.stop(t)

	// An empty folder serves the saved index too.
	if err := os.Mkdir(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, nil, "--docs", docs, "--index", ix)
	s.waitReady(t)
	if a, code := s.ask(t, "What is MGIMO?"); code != 200 || !a.Found {
		t.Errorf("serving the saved index beside an empty folder: %d %+v", code, a)
	}
}

// With no documents to index and no index saved before, serve ends at
// once, exit 2, with the message index gives, instead of answering 503
// "still loading" forever; it leaves no index folder behind.
func TestServeFailsFastWithoutDocuments(t *testing.T) {
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	unsupported := filepath.Join(tmp, "unsupported")
	writeFile(t, filepath.Join(unsupported, "photo.jpg"), "\xff\xd8\xff")
	regular := filepath.Join(tmp, "a-file")
	writeFile(t, regular, vardo)
	tests := []struct {
		name, docs string
		hint       bool // the line telling where to run it from
	}{
		{"missing", filepath.Join(tmp, "no-such-folder"), true},
		{"empty", empty, false},
		{"nothing indexable", unsupported, false},
		{"a file, not a folder", regular, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := cli(t, nil, "", "index", "--docs", tt.docs, "--index", filepath.Join(tmp, fmt.Sprint("index-", i)))
			if want.code != 2 || want.stderr == "" {
				t.Fatalf("index: exit %d, stderr %q", want.code, want.stderr)
			}

			ix := filepath.Join(tmp, fmt.Sprint("serve-", i))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var stderr lockedBuffer
			err := run(ctx, []string{"citebot", "serve", "--addr", "127.0.0.1:0", "--docs", tt.docs, "--index", ix},
				noenv, strings.NewReader(""), io.Discard, &stderr)
			if ctx.Err() != nil {
				t.Fatalf("serve was still running after 20 s:\n%s", stderr.String())
			}
			var printed bytes.Buffer
			if code := exitCode(err, &printed); code != 2 {
				t.Errorf("exit %d, want 2 (err %v)", code, err)
			}
			if printed.String() != want.stderr {
				t.Errorf("serve says\n%s\nwant what index says\n%s", printed.String(), want.stderr)
			}
			if got := strings.Contains(printed.String(), "--docs DIR"); got != tt.hint {
				t.Errorf("hint to give --docs shown = %v, want %v", got, tt.hint)
			}
			if !strings.Contains(stderr.String(), "nothing to serve") {
				t.Errorf("the log does not say there is nothing to serve:\n%s", stderr.String())
			}
			if _, err := os.Stat(ix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("serve left an index folder behind (stat: %v)", err)
			}
		})
	}
}

func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate-limit", "-1"},
		{"--rate-burst", "-2"},
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--answer-cache", "-1"},
		{"--shutdown-timeout", "0s"},
		{"--admin-token", " padded "},
		{"--max-file-bytes", "0"},
		{"--max-file-bytes", "2147483648"}, // offsets are 32-bit
		{"extra-argument"},
	} {
		r := cli(t, nil, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		if r.code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := cli(t, nil, "", "serve", "--addr", ln.Addr().String(), "--docs", seeds, "--index", t.TempDir())
	if r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("serve on a busy port: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A file whose name is not valid UTF-8 gets an id that round-trips: the
// list names it, the id fetches it, the web viewer opens it, and the admin
// can delete it by that id.
func TestServeNonUTF8FileName(t *testing.T) {
	docs := t.TempDir()
	name := "legacy\xcf\xf0\xe8\xe2\xe5\xf2.txt" // "Привет" in Windows-1251
	writeFile(t, filepath.Join(docs, name), "The pier at Vardø was rebuilt in 1958 after the storm.\n")
	writeFile(t, filepath.Join(docs, "other.txt"), "The lighthouse was built in 1871.\n")
	s := startServe(t, nil, "--docs", docs, "--index", filepath.Join(t.TempDir(), "index"), "--admin-token", "tok-0123456789abcdef")
	s.waitReady(t)
	var id string
	for _, d := range mustDocuments(t, s) {
		if strings.HasPrefix(d, "legacy") {
			id = d
		}
	}
	if id == "" || !utf8.ValidString(id) || strings.ContainsRune(id, utf8.RuneError) {
		t.Fatalf("the file is listed as %q", id)
	}
	for _, path := range []string{"/v1/documents/" + escapePath(id), "/documents/" + escapePath(id)} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "rebuilt in 1958") {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	a, _ := s.ask(t, "When was the pier at Vardø rebuilt?")
	if len(a.Citations) == 0 || a.Citations[0].Document != id {
		t.Errorf("the answer cites %+v, want %q", a.Citations, id)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.url+"/v1/documents/"+escapePath(id), nil)
	req.Header.Set("Authorization", "Bearer tok-0123456789abcdef")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := os.Stat(filepath.Join(docs, name)); resp.StatusCode != 200 || !os.IsNotExist(err) {
		t.Errorf("DELETE by the id: %d, the file: %v", resp.StatusCode, err)
	}
}
