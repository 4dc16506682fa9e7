package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"citebot/access"
)

// Read keys of the guard's tests; the admin token is api_test.go's.
const (
	aliceKey  = "alice-5f0c2a7e9b1d44c8a3e6"
	readerKey = "3b9e1f2d7c6a4e5f8a9b0c1d"
)

func testKeys(t testing.TB) *access.Keyring {
	t.Helper()
	k, err := access.Parse("keys.txt", []byte("# readers\nalice: "+aliceKey+"\n"+readerKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeysGuard: with keys, the read routes need one (or the admin token);
// missing and wrong keys are 401 with a Bearer challenge; the probes, the
// description, metrics, reindexing and the webhook keep their own rules.
func TestKeysGuard(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{Keys: testKeys(t), AdminToken: adminToken}, true)
	ask := askJSON(t, vardoQuestion, nil)
	chat := []byte(`{"model": "citebot", "messages": [{"role": "user", "content": "` + vardoQuestion + `"}]}`)
	alice := []string{"Authorization", "Bearer " + aliceKey}
	tests := []struct {
		name         string
		method, path string
		body         []byte
		auth         []string
		status       int
	}{
		{"ask without a key", "POST", "/v1/ask", ask, nil, 401},
		{"ask with a wrong key", "POST", "/v1/ask", ask, []string{"Authorization", "Bearer " + aliceKey + "x"}, 401},
		{"ask with a key's prefix", "POST", "/v1/ask", ask, []string{"Authorization", "Bearer " + aliceKey[:10]}, 401},
		{"ask with the key as Basic", "POST", "/v1/ask", ask, []string{"Authorization", "Basic " + aliceKey}, 401},
		{"ask with the key without a scheme", "POST", "/v1/ask", ask, []string{"Authorization", aliceKey}, 401},
		{"ask with the name", "POST", "/v1/ask", ask, []string{"Authorization", "Bearer alice"}, 401},
		{"ask with a key", "POST", "/v1/ask", ask, alice, 200},
		{"ask with an unnamed key", "POST", "/v1/ask", ask, []string{"Authorization", "bearer " + readerKey}, 200},
		{"ask with the admin token", "POST", "/v1/ask", ask, []string{"Authorization", "Bearer " + adminToken}, 200},
		{"chat without a key", "POST", "/v1/chat/completions", chat, nil, 401},
		{"chat with a key", "POST", "/v1/chat/completions", chat, alice, 200},
		{"documents without a key", "GET", "/v1/documents", nil, nil, 401},
		{"documents with a key", "GET", "/v1/documents", nil, alice, 200},
		{"a document without a key", "GET", "/v1/documents/harbour.txt", nil, nil, 401},
		{"a document with a key", "GET", "/v1/documents/harbour.txt", nil, alice, 200},
		{"models without a key", "GET", "/v1/models", nil, nil, 401},
		{"a model without a key", "GET", "/v1/models/citebot", nil, nil, 401},
		{"models with a key", "GET", "/v1/models/citebot", nil, alice, 200},
		{"an unknown path without a key", "GET", "/v1/nothing", nil, nil, 401},
		{"an unknown path with a key", "GET", "/v1/nothing", nil, alice, 404},
		{"the page without a key", "GET", "/", nil, nil, 401},
		{"an upload without a key", "PUT", "/v1/documents/new.txt", []byte("x"), nil, 401},

		{"healthz", "GET", "/healthz", nil, nil, 200},
		{"readyz", "GET", "/readyz", nil, nil, 200},
		{"openapi.json", "GET", "/openapi.json", nil, nil, 200},
		{"metrics", "GET", "/metrics", nil, nil, 200},
		{"the webhook keeps its own rule", "POST", "/telegram/webhook", []byte("{}"), nil, 404},
		{"reindex with a read key", "POST", "/v1/reindex", nil, alice, 401},
		{"reindex with the admin token", "POST", "/v1/reindex", nil, []string{"Authorization", "Bearer " + adminToken}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, env.Server.URL+tt.path, tt.body, tt.auth...)
			if tt.status != 401 {
				if r.Status != tt.status {
					t.Errorf("status %d, want %d: %s", r.Status, tt.status, r.Body)
				}
				return
			}
			checkError(t, r, 401, "unauthorized")
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
			}
			for _, k := range []string{aliceKey, readerKey, adminToken} {
				if bytes.Contains(r.Body, []byte(k)) {
					t.Errorf("the error quotes a key: %s", r.Body)
				}
			}
		})
	}
}

// Without keys nothing changes: the read routes are open.
func TestKeysOff(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	for _, path := range []string{"/v1/documents", "/v1/models", "/v1/documents/harbour.txt"} {
		if r := env.get(t, path, "Authorization", "Bearer whatever-the-client-sends"); r.Status != 200 {
			t.Errorf("GET %s without --api-keys: %d, want 200", path, r.Status)
		}
	}
}

// TestKeysOpenAIClient: an OpenAI client only sets its api_key.
func TestKeysOpenAIClient(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{Keys: testKeys(t)}, true)
	client := func(key string) *openai.Client {
		cfg := openai.DefaultConfig(key)
		cfg.BaseURL = env.Server.URL + "/v1"
		return openai.NewClientWithConfig(cfg)
	}
	ctx := context.Background()
	req := openai.ChatCompletionRequest{Model: Model, Messages: userMsg(qHarbour)}

	resp, err := client(aliceKey).CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "1966") {
		t.Errorf("reply %+v, want the harbour's year", resp.Choices)
	}
	stream, err := client(readerKey).CreateChatCompletionStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if err != nil {
			break
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	stream.Close()
	if !strings.Contains(text.String(), "1966") {
		t.Errorf("streamed reply %q, want the harbour's year", text.String())
	}
	if list, err := client(aliceKey).ListModels(ctx); err != nil || len(list.Models) != 1 {
		t.Errorf("models with the key: %+v %v", list, err)
	}

	for _, key := range []string{"", "unused", aliceKey + "x"} {
		_, err := client(key).CreateChatCompletion(ctx, req)
		checkAPIError(t, err, http.StatusUnauthorized)
		_, err = client(key).ListModels(ctx)
		checkAPIError(t, err, http.StatusUnauthorized)
		if _, err := client(key).CreateChatCompletionStream(ctx, req); err == nil {
			t.Errorf("a stream with key %q was accepted", key)
		}
	}
}

// lockedLog is a log sink the server writes while the test reads it.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestKeysLogged: the request log names the key (key=NAME), never the key
// itself, whether it opens or not; a refusal is counted under its own
// route label.
func TestKeysLogged(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	m := NewMetrics()
	cfg := Config{Keys: testKeys(t), AdminToken: adminToken, MetricsAuth: true}

	for _, tt := range []struct {
		path, key, name string
		status          int
	}{
		{"/v1/documents", aliceKey, "alice", 200},
		{"/v1/models", readerKey, "key-", 200},
		{"/v1/models", adminToken, "admin", 200},
		{"/metrics", adminToken, "admin", 200},
		{"/v1/documents", aliceKey + "-wrong", "", 401},
		{"/v1/documents", "", "", 401},
		{"/healthz", "", "", 200},
	} {
		var logs lockedLog
		h := NewServer(cfg, env.Live, slog.New(slog.NewJSONHandler(&logs, nil)), m)
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, rec.Code, tt.status)
		}
		var line struct {
			Msg    string
			Key    *string `json:"key"`
			Status int
		}
		if err := json.Unmarshal(bytes.TrimSpace([]byte(logs.String())), &line); err != nil || line.Msg != "request" {
			t.Fatalf("log %q: %v", logs.String(), err)
		}
		switch {
		case tt.name == "" && line.Key != nil:
			t.Errorf("GET %s without a valid key: logged key=%q, want no key attribute", tt.path, *line.Key)
		case tt.name != "" && (line.Key == nil || !strings.HasPrefix(*line.Key, tt.name)):
			t.Errorf("GET %s: logged key %v, want %q", tt.path, line.Key, tt.name)
		}
		for _, k := range []string{aliceKey, readerKey, adminToken} {
			if strings.Contains(logs.String(), k) {
				t.Errorf("the log holds a key: %s", logs.String())
			}
		}
	}
	srv := httptest.NewServer(NewServer(cfg, env.Live, slog.New(slog.DiscardHandler), m))
	defer srv.Close()
	text := metricsWithToken(t, srv.URL)
	if got := mustMetric(t, text, "citebot_http_requests_total", "route", "unauthorized", "code", "401"); got != 2 {
		t.Errorf("refusals counted: %v, want 2", got)
	}
}

func metricsWithToken(t testing.TB, url string) string {
	t.Helper()
	r := do(t, "GET", url+"/metrics", nil, "Authorization", "Bearer "+adminToken)
	if r.Status != 200 {
		t.Fatalf("metrics: %d", r.Status)
	}
	return string(r.Body)
}

// TestKeysSession: the web page's session hook lets a browser in without a
// key; a browser asking for a page is sent to the sign-in page with the
// page it asked for; the sign-in page and the assets stay open.
func TestKeysSession(t *testing.T) {
	t.Parallel()
	session := func(r *http.Request) (string, bool) {
		c, err := r.Cookie("citebot_session")
		if err != nil || c.Value != "valid" {
			return "", false
		}
		return "session:alice", true
	}
	env := newTestEnv(t, Config{}, true)
	var logs lockedLog
	srv := httptest.NewServer(NewServer(Config{Keys: testKeys(t), Session: session, SignIn: "/signin"}, env.Live,
		slog.New(slog.NewTextHandler(&logs, nil)), nil))
	defer srv.Close()
	html := []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
	tests := []struct {
		name     string
		path     string
		header   []string
		status   int
		location string
	}{
		{"a page, signed in", "/v1/documents", []string{"Cookie", "citebot_session=valid"}, 200, ""},
		{"a page, signed in, and HTML", "/v1/documents", append([]string{"Cookie", "citebot_session=valid"}, html...), 200, ""},
		{"a stale session", "/v1/documents", []string{"Cookie", "citebot_session=old"}, 401, ""},
		{"a browser, not signed in", "/documents?start=1&end=5", html, 303, "/signin?next=%2Fdocuments%3Fstart%3D1%26end%3D5"},
		{"a browser, the API", "/v1/documents", html, 303, "/signin?next=%2Fv1%2Fdocuments"},
		{"a program, not signed in", "/documents", []string{"Accept", "application/json"}, 401, ""},
		{"a wrong key beats a session", "/v1/documents", []string{"Cookie", "citebot_session=valid", "Authorization", "Bearer " + aliceKey + "x"}, 401, ""},
		{"the sign-in page is open", "/signin", html, 404, ""},
		{"assets are open", "/static/app.css", nil, 404, ""},
		{"a POST is never redirected", "/v1/ask", html, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.path == "/v1/ask" {
				method = "POST"
			}
			r := do(t, method, srv.URL+tt.path, nil, tt.header...)
			if r.Status != tt.status {
				t.Errorf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if got := r.Header.Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
		})
	}
	if !strings.Contains(logs.String(), "key=session:alice") {
		t.Errorf("the session's name is not logged:\n%s", logs.String())
	}
}

// TestMetricsAuth: --metrics-auth limits /metrics to the admin token; read
// keys do not open it.
func TestMetricsAuth(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken, MetricsAuth: true, Keys: testKeys(t)}, true)
	for _, tt := range []struct {
		auth   []string
		status int
	}{
		{nil, 401},
		{[]string{"Authorization", "Bearer wrong"}, 401},
		{[]string{"Authorization", "Bearer " + aliceKey}, 401},
		{[]string{"Authorization", "Bearer " + adminToken}, 200},
	} {
		r := env.get(t, "/metrics", tt.auth...)
		if tt.status == 401 {
			checkError(t, r, 401, "unauthorized")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("no Bearer challenge: %q", r.Header.Get("WWW-Authenticate"))
			}
			continue
		}
		if r.Status != 200 || !bytes.Contains(r.Body, []byte("citebot_answers_total")) {
			t.Errorf("metrics with the admin token: %d", r.Status)
		}
	}
	noAdmin := newTestEnv(t, Config{MetricsAuth: true}, true)
	checkError(t, noAdmin.get(t, "/metrics"), 403, "metrics_disabled")
	if r := noAdmin.get(t, "/healthz"); r.Status != 200 {
		t.Errorf("healthz under --metrics-auth: %d", r.Status)
	}
}

// TestOpenAPISecurity: openapi.json marks the routes the key guard covers
// with the apiKey scheme, or with the admin's (which opens them too: the
// writes), and no open route with apiKey; /metrics names the admin's.
func TestOpenAPISecurity(t *testing.T) {
	ops, _ := operations(t)
	var doc struct {
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"apiKey", "bearer"} {
		if sc := doc.Components.SecuritySchemes[s]; sc.Type != "http" || sc.Scheme != "bearer" {
			t.Errorf("security scheme %s: %+v, want http bearer", s, sc)
		}
	}
	g := &guard{}
	schemes := func(sec *[]map[string][]string) map[string]bool {
		out := map[string]bool{}
		if sec == nil {
			return out
		}
		for _, req := range *sec {
			for s := range req {
				out[s] = true
			}
		}
		return out
	}
	for _, route := range routesFromSource(t) {
		method, path, _ := strings.Cut(route, " ")
		path = restWildcard.ReplaceAllString(path, "{$1}")
		op, ok := ops[method+" "+path]
		if !ok {
			continue // TestOpenAPICoversRoutes reports it
		}
		got := schemes(op.Security)
		switch guarded := !g.open(path); {
		case guarded && !got["apiKey"] && !got["bearer"]:
			t.Errorf("%s: the key guard covers it, but openapi.json names neither the apiKey nor the bearer (admin) scheme", route)
		case !guarded && got["apiKey"]:
			t.Errorf("%s: openapi.json asks for an apiKey, but the key guard leaves it open", route)
		}
		guarded := !g.open(path)
		if _, ok := op.Responses["401"]; (guarded || got["bearer"]) && !ok {
			t.Errorf("%s needs a key but documents no 401", route)
		}
	}
	if !schemes(ops["GET /metrics"].Security)["bearer"] {
		t.Error("/metrics does not say that --metrics-auth limits it to the admin token")
	}
}
