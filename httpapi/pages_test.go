package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// stubPages stands in for the web page's handler (front ends never
// import each other): it says which path it was given.
var stubPages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte("page " + r.Method + " " + r.URL.Path))
})

// With Config.Pages, the web page's paths reach it, and only those:
// every other path is the API's as before, its errors JSON, and page
// requests are logged, counted and given request ids like the API's.
func TestPagesMounted(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken, Pages: stubPages}, true)
	tests := []struct {
		method, path string
		page         bool   // served by the page
		status       int    // otherwise: the API's status
		code         string // and its error code
	}{
		{"GET", "/", true, 0, ""},
		{"POST", "/", true, 0, ""},
		{"GET", "/documents", true, 0, ""},
		{"DELETE", "/documents", true, 0, ""},
		{"GET", "/documents/sub/treaty.md", true, 0, ""},
		{"GET", "/static/site.css", true, 0, ""},
		{"GET", "/admin", true, 0, ""},
		{"POST", "/admin/signin", true, 0, ""},
		{"POST", "/admin/reindex", true, 0, ""},
		{"POST", "/admin/upload", true, 0, ""},
		{"GET", "/signin", true, 0, ""},
		{"POST", "/signin", true, 0, ""},
		{"POST", "/signout", true, 0, ""},
		{"GET", "/signinx", false, 404, "not_found"},
		{"PUT", "/", false, 405, "method_not_allowed"},
		{"GET", "/index.html", false, 404, "not_found"},
		{"GET", "/documentsx", false, 404, "not_found"},
		{"GET", "/administrator", false, 404, "not_found"},
		{"GET", "/v1/nope", false, 404, "not_found"},
		{"GET", "/v1/documents/nope.txt", false, 404, "unknown_document"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, env.Server.URL+tt.path, nil)
			if !tt.page {
				checkError(t, r, tt.status, tt.code)
				return
			}
			if r.Status != http.StatusOK || string(r.Body) != "page "+tt.method+" "+tt.path {
				t.Errorf("status %d, body %q; want the page's", r.Status, r.Body)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Error("a page response without X-Request-Id")
			}
		})
	}
	// The API's own routes answer as before.
	if r := env.get(t, "/v1/documents"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"documents"`) {
		t.Errorf("GET /v1/documents: %d %s", r.Status, r.Body)
	}
	// Pages are counted under their route patterns.
	m := env.metricsText(t)
	for _, route := range []string{`route="GET /{$}"`, `route="/documents/{id...}"`, `route="/admin/"`} {
		if !strings.Contains(m, route) {
			t.Errorf("metrics lack %s", route)
		}
	}
}

// Without Config.Pages the page's paths are unknown, as before.
func TestPagesAbsent(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	for _, path := range []string{"/", "/documents", "/static/site.css", "/admin", "/signin"} {
		checkError(t, env.get(t, path), http.StatusNotFound, "not_found")
	}
}
