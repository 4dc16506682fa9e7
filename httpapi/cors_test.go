package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestParseOrigins(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"*", []string{"*"}, false},
		{"https://app.example", []string{"https://app.example"}, false},
		{" https://App.Example:443/ , http://localhost:3000,*, https://app.example", []string{"https://app.example", "http://localhost:3000", "*"}, false},
		{"http://intranet:80", []string{"http://intranet"}, false},
		{"https://app.example:8443", []string{"https://app.example:8443"}, false},
		{"app.example", nil, true},
		{"https://app.example/path", nil, true},
		{"https://app.example?x=1", nil, true},
		{"https://app.example#top", nil, true},
		{"https://user@app.example", nil, true},
		{"ftp://app.example", nil, true},
		{"null", nil, true},
		{"https://", nil, true},
		{"*.example.com", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseOrigins(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("ParseOrigins(%q) = %q, %v; want %q (error: %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// cors headers of a response, for the failure messages.
func corsHeaders(h http.Header) string {
	var b strings.Builder
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
		if v := h.Get(k); v != "" {
			b.WriteString(k + ": " + v + "; ")
		}
	}
	return b.String()
}

// TestCORSPreflight: a listed origin may call every /v1/ route with
// credentials; "*" lets any origin call the read routes only, without;
// anything else is a 403 without CORS headers, which the browser refuses.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	const app, other = "https://app.example", "https://other.example"
	listed := newTestEnv(t, Config{CORSOrigins: []string{app}, AdminToken: adminToken, Keys: testKeys(t)}, true)
	star := newTestEnv(t, Config{CORSOrigins: []string{"*"}, AdminToken: adminToken}, true)
	both := newTestEnv(t, Config{CORSOrigins: []string{app, "*"}, AdminToken: adminToken}, true)
	off := newTestEnv(t, Config{AdminToken: adminToken}, true)
	tests := []struct {
		name         string
		env          *testEnv
		origin       string
		method, path string
		status       int
		allowOrigin  string // "" when no CORS headers are wanted
		credentials  bool
		methods      string
	}{
		{"listed: ask", listed, app, "POST", "/v1/ask", 204, app, true, "POST"},
		{"listed: chat", listed, app, "POST", "/v1/chat/completions", 204, app, true, "POST"},
		{"listed: documents", listed, app, "GET", "/v1/documents", 204, app, true, "GET, HEAD, POST"},
		{"listed: a document", listed, app, "GET", "/v1/documents/harbour.txt", 204, app, true, "GET, HEAD, PUT, DELETE"},
		{"listed: an upload", listed, app, "PUT", "/v1/documents/new.txt", 204, app, true, "GET, HEAD, PUT, DELETE"},
		{"listed: models", listed, app, "GET", "/v1/models/citebot", 204, app, true, "GET, HEAD"},
		{"listed: reindex", listed, app, "POST", "/v1/reindex", 204, app, true, "POST"},
		{"listed: a method the route lacks", listed, app, "DELETE", "/v1/ask", 403, "", false, ""},
		{"listed, spelt otherwise", listed, "https://APP.example", "POST", "/v1/ask", 403, "", false, ""},
		{"not listed", listed, other, "POST", "/v1/ask", 403, "", false, ""},
		{"not listed: null", listed, "null", "POST", "/v1/ask", 403, "", false, ""},
		{"listed, not a /v1/ route", listed, app, "GET", "/healthz", 403, "", false, ""},

		{"*: ask", star, other, "POST", "/v1/ask", 204, "*", false, "POST"},
		{"*: chat", star, "null", "POST", "/v1/chat/completions", 204, "*", false, "POST"},
		{"*: documents", star, other, "GET", "/v1/documents", 204, "*", false, "GET, HEAD"},
		{"*: a document", star, other, "GET", "/v1/documents/sub/treaty.md", 204, "*", false, "GET, HEAD"},
		{"*: models", star, other, "GET", "/v1/models", 204, "*", false, "GET, HEAD"},
		{"*: reindex", star, other, "POST", "/v1/reindex", 403, "", false, ""},
		{"*: an upload", star, other, "PUT", "/v1/documents/new.txt", 403, "", false, ""},
		{"*: a multipart upload", star, other, "POST", "/v1/documents", 403, "", false, ""},
		{"*: a deletion", star, other, "DELETE", "/v1/documents/harbour.txt", 403, "", false, ""},
		{"*: metrics", star, other, "GET", "/metrics", 403, "", false, ""},

		{"both: the listed origin may reindex", both, app, "POST", "/v1/reindex", 204, app, true, "POST"},
		{"both: another origin reads", both, other, "GET", "/v1/documents", 204, "*", false, "GET, HEAD"},
		{"both: another origin may not reindex", both, other, "POST", "/v1/reindex", 403, "", false, ""},

		{"off: OPTIONS is not allowed", off, app, "POST", "/v1/ask", 405, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodOptions, tt.env.Server.URL+tt.path, nil,
				"Origin", tt.origin, "Access-Control-Request-Method", tt.method,
				"Access-Control-Request-Headers", "authorization,content-type")
			if r.Status != tt.status {
				t.Errorf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			h := r.Header
			if tt.allowOrigin == "" {
				if c := corsHeaders(h); c != "" {
					t.Errorf("CORS headers %s, want none", c)
				}
				if r.Status != 405 {
					checkError(t, r, tt.status, "cors_not_allowed")
				}
				return
			}
			if len(r.Body) != 0 {
				t.Errorf("a preflight's body: %q", r.Body)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != tt.credentials {
				t.Errorf("credentials %v, want %v", got, tt.credentials)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != tt.methods {
				t.Errorf("Access-Control-Allow-Methods %q, want %q", got, tt.methods)
			}
			allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
			if !strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "content-type") {
				t.Errorf("Access-Control-Allow-Headers %q, want Authorization and Content-Type", allowed)
			}
			if h.Get("Access-Control-Max-Age") == "" {
				t.Error("no Access-Control-Max-Age")
			}
			if !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Vary %q, want Origin", h.Values("Vary"))
			}
		})
	}
}

// TestCORSRequests: the requests themselves carry Access-Control-Allow-
// Origin only for allowed origins; others are answered as ever, without
// it, so the browser keeps the answer from the page. With keys, the
// preflight needs none (browsers send none), and a refusal is readable.
func TestCORSRequests(t *testing.T) {
	t.Parallel()
	const app, other = "https://app.example", "https://other.example"
	listed := newTestEnv(t, Config{CORSOrigins: []string{app}, AdminToken: adminToken, Keys: testKeys(t)}, true)
	star := newTestEnv(t, Config{CORSOrigins: []string{"*"}, AdminToken: adminToken}, true)
	ask := askJSON(t, vardoQuestion, nil)
	key := []string{"Authorization", "Bearer " + aliceKey}
	admin := []string{"Authorization", "Bearer " + adminToken}
	tests := []struct {
		name         string
		env          *testEnv
		origin       string
		method, path string
		body         []byte
		auth         []string
		status       int
		allowOrigin  string
		credentials  bool
	}{
		{"listed: ask", listed, app, "POST", "/v1/ask", ask, key, 200, app, true},
		{"listed: documents", listed, app, "GET", "/v1/documents", nil, key, 200, app, true},
		{"listed: reindex", listed, app, "POST", "/v1/reindex", nil, admin, 200, app, true},
		{"listed: without a key, a readable 401", listed, app, "POST", "/v1/ask", ask, nil, 401, app, true},
		{"not listed: answered, without CORS", listed, other, "POST", "/v1/ask", ask, key, 200, "", false},
		{"no Origin: no CORS", listed, "", "POST", "/v1/ask", ask, key, 200, "", false},
		{"listed, not a /v1/ route", listed, app, "GET", "/healthz", nil, nil, 200, "", false},
		{"*: ask", star, other, "POST", "/v1/ask", ask, nil, 200, "*", false},
		{"*: a document", star, other, "GET", "/v1/documents/harbour.txt", nil, nil, 200, "*", false},
		{"*: models", star, other, "GET", "/v1/models", nil, nil, 200, "*", false},
		{"*: reindex works, unseen by the page", star, other, "POST", "/v1/reindex", nil, admin, 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.auth
			if tt.origin != "" {
				header = append([]string{"Origin", tt.origin}, header...)
			}
			r := do(t, tt.method, tt.env.Server.URL+tt.path, tt.body, header...)
			if r.Status != tt.status {
				t.Errorf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if got := r.Header.Get("Access-Control-Allow-Credentials") == "true"; got != tt.credentials {
				t.Errorf("credentials %v, want %v", got, tt.credentials)
			}
			if tt.allowOrigin != "" && !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
				t.Errorf("Access-Control-Expose-Headers %q, want X-Request-Id", r.Header.Get("Access-Control-Expose-Headers"))
			}
			if strings.HasPrefix(tt.path, "/v1/") && !slices.Contains(r.Header.Values("Vary"), "Origin") {
				t.Errorf("Vary %q, want Origin", r.Header.Values("Vary"))
			}
		})
	}
	// An OPTIONS that is not a preflight is an OPTIONS: 405 as before.
	r := do(t, http.MethodOptions, listed.Server.URL+"/v1/ask", nil, "Authorization", "Bearer "+aliceKey)
	checkError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
}
