package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"citebot/answer"
	"citebot/internal/testdocs"
)

// The plain JSON API, over HTTP to a real server (fixture_test.go).

const (
	vardoQuestion   = "When did the harbour of Vardø freeze?"
	refusedQuestion = "What is the boiling point of ethanol?"
	adminToken      = "s3cret-admin-token"
)

// client never follows redirects, so tests see what the server answers.
var apiClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends one request; header is name, value pairs.
func do(t testing.TB, method, url string, body []byte, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (e *testEnv) get(t testing.TB, path string, header ...string) response {
	t.Helper()
	return do(t, http.MethodGet, e.Server.URL+path, nil, header...)
}

func (e *testEnv) post(t testing.TB, path string, body []byte, header ...string) response {
	t.Helper()
	return do(t, http.MethodPost, e.Server.URL+path, body, header...)
}

// askJSON is the body of POST /v1/ask for a question (and k, if not nil).
func askJSON(t testing.TB, question string, k *int) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		Question string `json:"question"`
		K        *int   `json:"k,omitempty"`
	}{question, k})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *testEnv) ask(t testing.TB, question string) answer.Answer {
	t.Helper()
	r := e.post(t, "/v1/ask", askJSON(t, question, nil))
	if r.Status != http.StatusOK {
		t.Fatalf("ask %q: got status %d (%s), want 200", question, r.Status, r.Body)
	}
	return decodeAnswer(t, r)
}

func decodeAnswer(t testing.TB, r response) answer.Answer {
	t.Helper()
	checkJSONType(t, r)
	var a answer.Answer
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("the answer %s does not decode: %v", r.Body, err)
	}
	return a
}

func checkJSONType(t testing.TB, r response) {
	t.Helper()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", r.Header.Get("Content-Type"))
	}
	if !json.Valid(r.Body) {
		t.Errorf("the body is not valid JSON: %q", r.Body)
	}
}

// checkError checks the status and that the body is exactly the API's
// error object, {"error": {"code": code, "message": "..."}}.
func checkError(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status: got %d, want %d (body %s)", r.Status, status, r.Body)
	}
	checkJSONType(t, r)
	var body struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("the error body %s is not {\"error\":{\"code\",\"message\"}}: %v", r.Body, err)
	}
	if body.Error == nil || body.Error.Code == nil || body.Error.Message == nil {
		t.Fatalf("the error body %s lacks error.code or error.message", r.Body)
	}
	if got := *body.Error.Code; got != code {
		t.Errorf("error code: got %q, want %q (message %q)", got, code, *body.Error.Message)
	}
	if strings.TrimSpace(*body.Error.Message) == "" {
		t.Errorf("the error message is empty")
	}
}

// docBytes is a document's bytes as stored on disk.
func (e *testEnv) docBytes(t testing.TB, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.Docs, filepath.FromSlash(id)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the 1-based line holding byte i of text.
func lineOf(text string, i int) int { return 1 + strings.Count(text[:i], "\n") }

var answerMarkerRE = regexp.MustCompile(`\[(\d+)\]`)

// checkAnswer checks the answer object's promises to clients: quotes
// and passages are exactly the bytes of the files they name, lines are
// right, every marker has exactly one citation and every citation is used.
func checkAnswer(t testing.TB, docs func(id string) (string, bool), a answer.Answer) {
	t.Helper()
	if a.Mode != answer.ModeExtractive {
		t.Errorf("mode: got %q, want %q", a.Mode, answer.ModeExtractive)
	}
	if a.Citations == nil || a.Passages == nil {
		t.Errorf("citations and passages must be arrays, never null: %+v", a)
	}
	if !a.Found && len(a.Citations) != 0 {
		t.Errorf("not found, but %d citations", len(a.Citations))
	}
	used := map[int]int{}
	for _, m := range answerMarkerRE.FindAllStringSubmatch(a.Answer, -1) {
		n, _ := strconv.Atoi(m[1])
		used[n]++
	}
	seen := map[int]bool{}
	type span struct {
		what, doc, text    string
		start, end, l0, l1 int
	}
	var spans []span
	for _, c := range a.Citations {
		if seen[c.N] {
			t.Errorf("two citations numbered %d", c.N)
		}
		seen[c.N] = true
		if used[c.N] == 0 {
			t.Errorf("citation [%d] is not used in %q", c.N, a.Answer)
		}
		if c.End-c.Start > 800 {
			t.Errorf("citation [%d] quotes %d bytes, over 800", c.N, c.End-c.Start)
		}
		spans = append(spans, span{fmt.Sprintf("citation [%d]", c.N), c.Document, c.Quote, c.Start, c.End, c.LineStart, c.LineEnd})
	}
	for n := range used {
		if !seen[n] {
			t.Errorf("marker [%d] in %q has no citation", n, a.Answer)
		}
	}
	for i, p := range a.Passages {
		if p.Rank != i+1 {
			t.Errorf("passage %d has rank %d", i, p.Rank)
		}
		if p.End-p.Start > 3000 {
			t.Errorf("passage %d is %d bytes, over 3000", p.Rank, p.End-p.Start)
		}
		spans = append(spans, span{fmt.Sprintf("passage %d", p.Rank), p.Document, p.Text, p.Start, p.End, p.LineStart, p.LineEnd})
	}
	for _, s := range spans {
		text, ok := docs(s.doc)
		if !ok {
			t.Errorf("%s names %q, which is not a document", s.what, s.doc)
			continue
		}
		if s.start < 0 || s.start >= s.end || s.end > len(text) {
			t.Errorf("%s: span [%d, %d) is not within %q's %d bytes", s.what, s.start, s.end, s.doc, len(text))
			continue
		}
		if got, want := s.text, text[s.start:s.end]; got != want {
			t.Errorf("%s: got text %q, want the file's bytes %q", s.what, got, want)
		}
		if got, want := s.l0, lineOf(text, s.start); got != want {
			t.Errorf("%s: line_start got %d, want %d", s.what, got, want)
		}
		if got, want := s.l1, lineOf(text, s.end-1); got != want {
			t.Errorf("%s: line_end got %d, want %d", s.what, got, want)
		}
	}
}

// diskDocs reads documents from the env's docs folder.
func (e *testEnv) diskDocs(id string) (string, bool) {
	if !filepath.IsLocal(filepath.FromSlash(id)) {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(e.Docs, filepath.FromSlash(id)))
	return string(b), err == nil
}

func TestAskErrors(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	q := func(s string) string { return `{"question":` + strconv.Quote(s) + `}` }
	tooBig := `{"question":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"malformed JSON", `{"question":`, 400, "bad_json"},
		{"not JSON at all", `question=hello`, 400, "bad_json"},
		{"unterminated string", `{"question":"abc}`, 400, "bad_json"},
		{"trailing comma", `{"question":"abc",}`, 400, "bad_json"},
		{"k as a string", `{"question":"abc","k":"5"}`, 400, "bad_json"},
		{"k a fraction", `{"question":"abc","k":5.5}`, 400, "bad_json"},
		{"k too big for an int", `{"question":"abc","k":1e400}`, 400, "bad_json"},
		{"question a number", `{"question":7}`, 400, "bad_json"},
		{"question an array", `{"question":["a"]}`, 400, "bad_json"},
		{"body an array", `["question"]`, 400, "bad_json"},
		{"body a string", `"question"`, 400, "bad_json"},
		{"unknown field", `{"question":"abc","questoin":"abc"}`, 400, "unknown_field"},
		{"a field in capitals", `{"QUESTION":"abc"}`, 400, "unknown_field"},
		{"a field in mixed case", `{"question":"abc","K":3}`, 400, "unknown_field"},
		{"two JSON values", `{"question":"abc"}{"question":"def"}`, 400, "bad_json"},
		{"a value and garbage", `{"question":"abc"} x`, 400, "bad_json"},
		{"empty body", ``, 400, "bad_json"},
		{"whitespace body", " \n\t ", 400, "bad_json"},
		{"invalid UTF-8 in a string", "{\"question\":\"caf\xe9?\"}", 400, "bad_json"},
		{"invalid UTF-8 outside strings", "{\"question\":\"abc\"}\xff", 400, "bad_json"},
		{"missing question", `{"k":5}`, 400, "missing_question"},
		{"empty object", `{}`, 400, "missing_question"},
		{"null question", `{"question":null}`, 400, "missing_question"},
		{"null body", `null`, 400, "missing_question"},
		{"empty question", q(""), 400, "bad_question"},
		{"whitespace question", q(" \t\n\r "), 400, "bad_question"},
		{"question of 4001 characters", q(strings.Repeat("ø", 4001)), 400, "question_too_long"},
		{"question of 4001 four-byte characters", q(strings.Repeat("🧊", 4001)), 400, "question_too_long"},
		{"k=0", `{"question":"abc","k":0}`, 400, "bad_k"},
		{"k=51", `{"question":"abc","k":51}`, 400, "bad_k"},
		{"k=-1", `{"question":"abc","k":-1}`, 400, "bad_k"},
		{"body over 64 KiB", tooBig, 413, "body_too_large"},
		{"body 1 byte over 64 KiB", `{"question":"abc"` + strings.Repeat(" ", MaxBodyBytes-len(`{"question":"abc"}`)) + ` }`, 413, "body_too_large"},
		{"body of 1 MiB", `{"question":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.post(t, "/v1/ask", []byte(tt.body))
			checkError(t, r, tt.status, tt.code)
		})
	}
}

// TestAskChunkedBody: a body without a Content-Length is bounded too.
func TestAskChunkedBody(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	for _, tt := range []struct {
		name   string
		body   string
		status int
	}{
		{"small", `{"question":` + strconv.Quote(vardoQuestion) + `}`, 200},
		{"over 64 KiB", `{"question":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A reader of unknown length makes the client send the body chunked.
			req, err := http.NewRequest(http.MethodPost, env.Server.URL+"/v1/ask", io.MultiReader(strings.NewReader(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if req.ContentLength != 0 {
				t.Fatalf("the request has a Content-Length of %d", req.ContentLength)
			}
			resp, err := apiClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r := response{resp.StatusCode, resp.Header, b}
			if tt.status == 413 {
				checkError(t, r, 413, "body_too_large")
			} else if r.Status != tt.status {
				t.Errorf("got %d (%s), want %d", r.Status, r.Body, tt.status)
			}
		})
	}
}

func TestAskAccepts(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	exact64K := `{"question":` + strconv.Quote(vardoQuestion)
	exact64K += strings.Repeat(" ", MaxBodyBytes-len(exact64K)-1) + "}"
	if len(exact64K) != MaxBodyBytes {
		t.Fatalf("the 64 KiB body is %d bytes", len(exact64K))
	}
	q4000 := strings.Repeat("ø", 4000) // 8,000 bytes: characters are counted, not bytes
	q4000b := strings.Repeat("🧊", 4000)
	tests := []struct {
		name     string
		body     string
		question string
		found    bool
		passages int // at most
	}{
		{"k=1", `{"question":` + strconv.Quote(vardoQuestion) + `,"k":1}`, vardoQuestion, true, 1},
		{"k=50", `{"question":` + strconv.Quote(vardoQuestion) + `,"k":50}`, vardoQuestion, true, 50},
		{"k omitted", `{"question":` + strconv.Quote(vardoQuestion) + `}`, vardoQuestion, true, 5},
		{"k null", `{"question":` + strconv.Quote(vardoQuestion) + `,"k":null}`, vardoQuestion, true, 5},
		{"escaped question", `{"question":"When did the harbour of Vard\u00f8 freeze?"}`, vardoQuestion, true, 5},
		{"surrounding whitespace", " \n" + `{"question":` + strconv.Quote(vardoQuestion) + "}\n\t ", vardoQuestion, true, 5},
		{"body of exactly 64 KiB", exact64K, vardoQuestion, true, 5},
		{"question of 4000 two-byte characters", `{"question":"` + q4000 + `"}`, q4000, false, 5},
		{"question of 4000 four-byte characters", `{"question":"` + q4000b + `"}`, q4000b, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.post(t, "/v1/ask", []byte(tt.body))
			if r.Status != http.StatusOK {
				t.Fatalf("status: got %d (%s), want 200", r.Status, r.Body)
			}
			a := decodeAnswer(t, r)
			if a.Question != tt.question {
				t.Errorf("question: got %q, want %q", a.Question, tt.question)
			}
			if a.Found != tt.found {
				t.Errorf("found: got %v, want %v (%q)", a.Found, tt.found, a.Answer)
			}
			if len(a.Passages) > tt.passages {
				t.Errorf("got %d passages, want at most %d", len(a.Passages), tt.passages)
			}
			checkAnswer(t, env.diskDocs, a)
		})
	}
}

// TestAskAnswers checks a found and a refused answer end to end.
func TestAskAnswers(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)

	a := env.ask(t, vardoQuestion)
	if !a.Found || len(a.Citations) == 0 {
		t.Fatalf("got found %v with %d citations (%q), want a cited answer", a.Found, len(a.Citations), a.Answer)
	}
	checkAnswer(t, env.diskDocs, a)
	if got, want := a.Citations[0].Document, "harbour.txt"; got != want {
		t.Errorf("cites %q, want %q", got, want)
	}
	if !strings.Contains(a.Citations[0].Quote, "1966") {
		t.Errorf("quotes %q, want the sentence with 1966", a.Citations[0].Quote)
	}

	nested := env.ask(t, "When was the Treaty of Examples signed?")
	checkAnswer(t, env.diskDocs, nested)
	if !nested.Found || nested.Citations[0].Document != "sub/treaty.md" {
		t.Errorf("got %+v, want an answer citing sub/treaty.md", nested)
	}

	r := env.post(t, "/v1/ask", askJSON(t, refusedQuestion, nil))
	if r.Status != http.StatusOK {
		t.Fatalf("status: got %d (%s), want 200", r.Status, r.Body)
	}
	if !bytes.Contains(r.Body, []byte(`"citations":[]`)) {
		t.Errorf("a refusal's citations must be an empty array: %s", r.Body)
	}
	refused := decodeAnswer(t, r)
	if refused.Found {
		t.Errorf("%q: got found, want refused (%q)", refusedQuestion, refused.Answer)
	}
	if refused.Answer == "" {
		t.Errorf("a refusal must say so, got an empty answer")
	}
	checkAnswer(t, env.diskDocs, refused)
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        []string
	}{
		{"GET", "/v1/nope", 404, "not_found", nil},
		{"GET", "/nope", 404, "not_found", nil},
		{"GET", "/", 404, "not_found", nil},
		{"POST", "/v1/asks", 404, "not_found", nil},
		{"GET", "/v1/documents/nope.txt", 404, "unknown_document", nil},
		{"GET", "/v1/documents/", 404, "unknown_document", nil},
		{"GET", "/v1/documents/sub", 404, "unknown_document", nil},
		{"GET", "/v1/documents/HARBOUR.TXT", 404, "unknown_document", nil},
		{"DELETE", "/v1/ask", 405, "method_not_allowed", []string{"POST"}},
		{"GET", "/v1/ask", 405, "method_not_allowed", []string{"POST"}},
		{"PUT", "/v1/ask", 405, "method_not_allowed", []string{"POST"}},
		// The mux adds the methods of /v1/documents/{id...}: it would
		// redirect /v1/documents to /v1/documents/ for them.
		{"PATCH", "/v1/documents", 405, "method_not_allowed", []string{"DELETE", "GET", "HEAD", "POST", "PUT"}},
		{"PATCH", "/v1/documents/harbour.txt", 405, "method_not_allowed", []string{"DELETE", "GET", "HEAD", "PUT"}},
		{"GET", "/v1/reindex", 405, "method_not_allowed", []string{"POST"}},
		{"POST", "/healthz", 405, "method_not_allowed", []string{"GET", "HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, env.Server.URL+tt.path, nil)
			checkError(t, r, tt.status, tt.code)
			if tt.allow == nil {
				return
			}
			var got []string
			for _, m := range strings.Split(r.Header.Get("Allow"), ",") {
				got = append(got, strings.TrimSpace(m))
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.allow) {
				t.Errorf("Allow: got %q, want %q", r.Header.Get("Allow"), strings.Join(tt.allow, ", "))
			}
		})
	}
}

func TestNotReady(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, false)
	ask := askJSON(t, vardoQuestion, nil)
	requests := []struct {
		method, path string
		body         []byte
	}{
		{"GET", "/readyz", nil},
		{"POST", "/v1/ask", ask},
		{"GET", "/v1/documents", nil},
		{"GET", "/v1/documents/harbour.txt", nil},
	}
	for _, rq := range requests {
		r := do(t, rq.method, env.Server.URL+rq.path, rq.body)
		t.Run("before "+rq.method+" "+rq.path, func(t *testing.T) {
			checkError(t, r, http.StatusServiceUnavailable, "not_ready")
		})
	}
	// Liveness does not depend on the index; a client's mistake is still
	// a 400, not a 503.
	if r := env.get(t, "/healthz"); r.Status != http.StatusOK {
		t.Errorf("/healthz before the load: got %d, want 200", r.Status)
	}
	checkError(t, env.post(t, "/v1/ask", []byte(`{"question":""}`)), 400, "bad_question")

	if _, err := env.Live.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, rq := range requests {
		r := do(t, rq.method, env.Server.URL+rq.path, rq.body)
		if r.Status != http.StatusOK {
			t.Errorf("after the load, %s %s: got %d (%s), want 200", rq.method, rq.path, r.Status, r.Body)
		}
	}
}

func TestReindexAuth(t *testing.T) {
	t.Parallel()
	enabled := newTestEnv(t, Config{AdminToken: adminToken}, true)
	disabled := newTestEnv(t, Config{}, true)
	tests := []struct {
		name   string
		env    *testEnv
		auth   []string
		status int
		code   string
	}{
		{"no Authorization", enabled, nil, 401, "unauthorized"},
		{"wrong token", enabled, []string{"Authorization", "Bearer wrong"}, 401, "unauthorized"},
		{"token prefix", enabled, []string{"Authorization", "Bearer " + adminToken[:5]}, 401, "unauthorized"},
		{"token with a suffix", enabled, []string{"Authorization", "Bearer " + adminToken + "x"}, 401, "unauthorized"},
		{"Basic scheme", enabled, []string{"Authorization", "Basic " + adminToken}, 401, "unauthorized"},
		{"token without a scheme", enabled, []string{"Authorization", adminToken}, 401, "unauthorized"},
		{"Bearer with an empty token", enabled, []string{"Authorization", "Bearer "}, 401, "unauthorized"},
		{"Bearer alone", enabled, []string{"Authorization", "Bearer"}, 401, "unauthorized"},
		{"no token configured", disabled, nil, 403, "reindex_disabled"},
		{"no token configured, a token sent", disabled, []string{"Authorization", "Bearer " + adminToken}, 403, "reindex_disabled"},
		{"no token configured, an empty one sent", disabled, []string{"Authorization", "Bearer "}, 403, "reindex_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.env.post(t, "/v1/reindex", nil, tt.auth...)
			checkError(t, r, tt.status, tt.code)
			if tt.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
			}
		})
	}

	for _, auth := range []string{"Bearer " + adminToken, "bearer " + adminToken} {
		r := enabled.post(t, "/v1/reindex", nil, "Authorization", auth)
		if r.Status != http.StatusOK {
			t.Fatalf("%q: got %d (%s), want 200", auth, r.Status, r.Body)
		}
		s := decodeSummary(t, r)
		if s.Added != 0 || s.Changed != 0 || s.Removed != 0 || s.Unchanged != len(testDocs) {
			t.Errorf("nothing changed, but the summary is %+v", s)
		}
	}
}

// summary is the index summary (POST /v1/reindex, `index --json`),
// decoded strictly.
type summary struct {
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
	Skipped   []struct {
		Document string `json:"document"`
		Reason   string `json:"reason"`
	} `json:"skipped"`
	Chunks  int    `json:"chunks"`
	TookMS  int64  `json:"took_ms"`
	Warning string `json:"warning"`
}

func decodeSummary(t testing.TB, r response) summary {
	t.Helper()
	checkJSONType(t, r)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("the summary %s: %v", r.Body, err)
	}
	for _, k := range []string{"added", "changed", "removed", "unchanged", "skipped", "chunks", "took_ms"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the summary %s lacks %q", r.Body, k)
		}
	}
	if s := string(raw["skipped"]); !strings.HasPrefix(s, "[") {
		t.Errorf("skipped: got %s, want an array", s)
	}
	var s summary
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("the summary %s: %v", r.Body, err)
	}
	if s.Chunks < 1 {
		t.Errorf("the summary counts %d chunks", s.Chunks)
	}
	return s
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{RateLimit: 1, RateBurst: 2}, true)
	for i, want := range []int{200, 200, 429} {
		r := env.get(t, "/v1/documents")
		if r.Status != want {
			t.Fatalf("request %d: got %d, want %d", i+1, r.Status, want)
		}
		if want != 429 {
			continue
		}
		checkError(t, r, 429, "rate_limited")
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 {
			t.Fatalf("Retry-After: got %q, want a whole number of seconds ≥ 1", r.Header.Get("Retry-After"))
		}
	}
	// Another /v1/ route shares the client's bucket.
	checkError(t, env.post(t, "/v1/ask", askJSON(t, vardoQuestion, nil)), 429, "rate_limited")
	// Probes and scrapes are never limited.
	for i := 0; i < 10; i++ {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
			if r := env.get(t, path); r.Status != http.StatusOK {
				t.Fatalf("%s, request %d: got %d, want 200", path, i+1, r.Status)
			}
		}
	}
	// Refused requests use up no token: after a second, one is free again.
	time.Sleep(1100 * time.Millisecond)
	if r := env.get(t, "/v1/documents"); r.Status != http.StatusOK {
		t.Errorf("after waiting: got %d (%s), want 200", r.Status, r.Body)
	}
}

func TestDocumentsList(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	r := env.get(t, "/v1/documents")
	if r.Status != http.StatusOK {
		t.Fatalf("status: got %d (%s), want 200", r.Status, r.Body)
	}
	checkJSONType(t, r)
	var list struct {
		Documents []struct {
			ID     string `json:"id"`
			Title  string `json:"title"`
			Bytes  int    `json:"bytes"`
			Chunks int    `json:"chunks"`
			SHA256 string `json:"sha256"`
		} `json:"documents"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	var ids, want []string
	for id := range testDocs {
		want = append(want, id)
	}
	sort.Strings(want)
	// A Markdown heading is its document's title; the others have some
	// title (the indexer picks a line).
	titles := map[string]string{"sub/treaty.md": "The Treaty of Examples"}
	for _, d := range list.Documents {
		ids = append(ids, d.ID)
		text, ok := testDocs[d.ID]
		if !ok {
			t.Errorf("unexpected document %q", d.ID)
			continue
		}
		if want, ok := titles[d.ID]; ok && d.Title != want || strings.TrimSpace(d.Title) == "" {
			t.Errorf("%s: title got %q, want %q", d.ID, d.Title, titles[d.ID])
		}
		if d.Bytes != len(text) {
			t.Errorf("%s: bytes got %d, want %d", d.ID, d.Bytes, len(text))
		}
		if d.Chunks < 1 {
			t.Errorf("%s: chunks got %d, want ≥ 1", d.ID, d.Chunks)
		}
		sum := sha256.Sum256([]byte(env.docBytes(t, d.ID)))
		if want := hex.EncodeToString(sum[:]); d.SHA256 != want {
			t.Errorf("%s: sha256 got %q, want %q", d.ID, d.SHA256, want)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("ids: got %q, want %q", ids, want)
	}
}

func TestDocumentText(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	harbour := env.docBytes(t, "harbour.txt")
	treaty := env.docBytes(t, "sub/treaty.md")
	ø := strings.Index(harbour, "ø")
	tests := []struct {
		name, path, want string
	}{
		{"whole document", "/v1/documents/harbour.txt", harbour},
		{"nested id", "/v1/documents/sub/treaty.md", treaty},
		{"nested id, slash escaped", "/v1/documents/sub%2Ftreaty.md", treaty},
		{"start and end", "/v1/documents/harbour.txt?start=15&end=33", harbour[15:33]},
		{"start only", "/v1/documents/harbour.txt?start=15", harbour[15:]},
		{"end only", "/v1/documents/harbour.txt?end=13", harbour[:13]},
		{"empty span", "/v1/documents/harbour.txt?start=7&end=7", ""},
		{"empty span at the end", fmt.Sprintf("/v1/documents/harbour.txt?start=%d&end=%d", len(harbour), len(harbour)), ""},
		{"whole by span", fmt.Sprintf("/v1/documents/harbour.txt?start=0&end=%d", len(harbour)), harbour},
		{"inside a character: bytes, not characters", fmt.Sprintf("/v1/documents/harbour.txt?start=%d&end=%d", ø, ø+1), harbour[ø : ø+1]},
		{"nested span", "/v1/documents/sub/treaty.md?start=2&end=24", treaty[2:24]},
		{"a plus sign", "/v1/documents/harbour.txt?start=%2B2&end=4", harbour[2:4]},
		{"leading zeros", "/v1/documents/harbour.txt?start=002&end=0004", harbour[2:4]},
		{"other parameters ignored", "/v1/documents/harbour.txt?start=1&end=3&x=y", harbour[1:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.get(t, tt.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status: got %d (%s), want 200", r.Status, r.Body)
			}
			if got, want := r.Header.Get("Content-Type"), "text/plain; charset=utf-8"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if got := string(r.Body); got != tt.want {
				t.Errorf("body: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDocumentBadSpans(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	size := len(testDocs["harbour.txt"])
	for _, query := range []string{
		"start=10&end=5",
		fmt.Sprintf("end=%d", size+1),
		fmt.Sprintf("start=%d", size+1),
		fmt.Sprintf("start=%d&end=%d", size+1, size+2),
		"start=-1",
		"end=-1",
		"start=-1&end=3",
		"start=abc",
		"end=abc",
		"start=1.5",
		"end=3e1",
		"start=0x10",
		"start=",
		"end=",
		"start=%201",
		"start=1%20",
		"start=%2B-1",
		"start=1&start=2",
		"end=3&end=3",
		"start=99999999999999999999999",
		"end=99999999999999999999999",
		"start=9223372036854775807",
	} {
		t.Run(query, func(t *testing.T) {
			checkError(t, env.get(t, "/v1/documents/harbour.txt?"+query), 400, "bad_span")
		})
	}
}

// TestDocumentConditional: Range and ETag work within the text, and their
// errors are the error object too.
func TestDocumentConditional(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	harbour := env.docBytes(t, "harbour.txt")
	whole := env.get(t, "/v1/documents/harbour.txt")
	etag := whole.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	spanTag := env.get(t, "/v1/documents/harbour.txt?start=15&end=33").Header.Get("ETag")
	if spanTag == etag || spanTag == "" {
		t.Errorf("a span's ETag %q must differ from the document's %q", spanTag, etag)
	}
	ok := []struct {
		name, path string
		header     []string
		status     int
		want       string
	}{
		{"a range", "/v1/documents/harbour.txt", []string{"Range", "bytes=0-3"}, 206, harbour[0:4]},
		{"a range of a span", "/v1/documents/harbour.txt?start=15&end=33", []string{"Range", "bytes=2-5"}, 206, harbour[17:21]},
		{"If-None-Match the ETag", "/v1/documents/harbour.txt", []string{"If-None-Match", etag}, 304, ""},
		{"If-None-Match another ETag", "/v1/documents/harbour.txt", []string{"If-None-Match", `"other"`}, 200, harbour},
		{"If-Match the ETag", "/v1/documents/harbour.txt", []string{"If-Match", etag}, 200, harbour},
		{"If-None-Match the document's ETag, for a span", "/v1/documents/harbour.txt?start=15&end=33", []string{"If-None-Match", etag}, 200, harbour[15:33]},
		{"If-Range the ETag", "/v1/documents/harbour.txt", []string{"Range", "bytes=0-3", "If-Range", etag}, 206, harbour[0:4]},
		{"If-Range another ETag: the whole text", "/v1/documents/harbour.txt", []string{"Range", "bytes=0-3", "If-Range", `"other"`}, 200, harbour},
		// The text has no modification time: dates are not compared.
		{"If-Range a date: the whole text", "/v1/documents/harbour.txt", []string{"Range", "bytes=0-3", "If-Range", "Mon, 02 Jan 2006 15:04:05 GMT"}, 200, harbour},
		{"If-Unmodified-Since is ignored", "/v1/documents/harbour.txt", []string{"If-Unmodified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"}, 200, harbour},
		{"If-Modified-Since is ignored", "/v1/documents/harbour.txt", []string{"If-Modified-Since", "Mon, 02 Jan 2035 15:04:05 GMT"}, 200, harbour},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			r := env.get(t, tt.path, tt.header...)
			if r.Status != tt.status || string(r.Body) != tt.want {
				t.Errorf("got %d %q, want %d %q", r.Status, r.Body, tt.status, tt.want)
			}
		})
	}
	t.Run("several ranges", func(t *testing.T) {
		r := env.get(t, "/v1/documents/harbour.txt", "Range", "bytes=0-3,5-7")
		ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.Status != 206 || ct != "multipart/byteranges" || params["boundary"] == "" {
			t.Fatalf("got %d %s, want 206 multipart/byteranges", r.Status, r.Header.Get("Content-Type"))
		}
		for _, part := range []string{"Content-Range: bytes 0-3/" + strconv.Itoa(len(harbour)) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + harbour[0:4] + "\r\n",
			"Content-Range: bytes 5-7/" + strconv.Itoa(len(harbour)) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + harbour[5:8] + "\r\n"} {
			if !bytes.Contains(r.Body, []byte(part)) {
				t.Errorf("no part %q in %q", part, r.Body)
			}
		}
	})
	bad := []struct {
		name, path string
		header     []string
		status     int
		code       string
	}{
		{"malformed range", "/v1/documents/harbour.txt", []string{"Range", "bytes=abc"}, 416, "bad_range"},
		{"backwards range", "/v1/documents/harbour.txt", []string{"Range", "bytes=5-2"}, 416, "bad_range"},
		{"range past the end", "/v1/documents/harbour.txt", []string{"Range", "bytes=1000-2000"}, 416, "bad_range"},
		{"range past a span's end", "/v1/documents/harbour.txt?start=0&end=3", []string{"Range", "bytes=3-4"}, 416, "bad_range"},
		{"If-Match another ETag", "/v1/documents/harbour.txt", []string{"If-Match", `"nope"`}, 412, "precondition_failed"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, env.get(t, tt.path, tt.header...), tt.status, tt.code)
		})
	}
}

// rawGet sends target as the request line's target, byte for byte, so that
// no client cleans or re-encodes it.
func rawGet(t *testing.T, addr, target string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %q: %v", target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %q: reading the body: %v", target, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func TestPathTraversal(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	addr := strings.TrimPrefix(env.Server.URL, "http://")
	secretPath := filepath.Join(filepath.Dir(env.Docs), "secret.txt")
	if b, err := os.ReadFile(secretPath); err != nil || !strings.Contains(string(b), "TOP-SECRET-OUTSIDE-DOCS") {
		t.Fatalf("the fixture's secret is not at %s: %v", secretPath, err)
	}
	payloads := testdocs.Traversals(t, env.Docs, secretPath)
	var targets []string
	for _, p := range payloads {
		targets = append(targets,
			"/v1/documents/"+p,
			"/v1/documents/"+p+"?start=0&end=20",
			"/"+p,
			"/v1/"+p,
			"/v1/documents/sub/"+p,
		)
	}
	targets = append(targets,
		"/v1/documents/../../secret.txt",
		"/v1/documents/%2e%2e/%2e%2e/secret.txt",
		"//etc/passwd",
		"/v1/documents//etc/passwd",
		"/v1/documents/harbour.txt/../../../secret.txt",
		"http://"+addr+"/v1/documents/../secret.txt",
	)
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			r := rawGet(t, addr, target)
			if r.Status >= 300 && r.Status < 400 {
				loc := r.Header.Get("Location")
				next := loc
				if u, err := url.Parse(loc); err == nil && u.IsAbs() {
					next = u.RequestURI()
				} else if !strings.HasPrefix(loc, "/") {
					next = target[:strings.LastIndex(target, "/")+1] + loc
				}
				r = rawGet(t, addr, next)
			}
			if r.Status == http.StatusOK {
				t.Errorf("status 200 (%q), want an error", r.Body)
			}
			if r.Status >= 500 {
				t.Errorf("status %d, want a 4xx: a client's mistake never gets a 5xx", r.Status)
			}
			for _, leak := range []string{"TOP-SECRET-OUTSIDE-DOCS", "root:"} {
				if bytes.Contains(r.Body, []byte(leak)) {
					t.Errorf("the body leaks %q: %q", leak, r.Body)
				}
			}
		})
	}
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	r := env.get(t, "/healthz")
	checkJSONType(t, r)
	var health map[string]any
	if err := json.Unmarshal(r.Body, &health); err != nil || r.Status != 200 || health["status"] != "ok" || len(health) != 1 {
		t.Errorf("/healthz: got %d %s, want 200 {\"status\":\"ok\"}", r.Status, r.Body)
	}

	r = env.get(t, "/readyz")
	checkJSONType(t, r)
	var ready struct {
		Status    string `json:"status"`
		Documents int    `json:"documents"`
		Chunks    int    `json:"chunks"`
	}
	if err := json.Unmarshal(r.Body, &ready); err != nil || r.Status != 200 {
		t.Fatalf("/readyz: got %d %s, want 200: %v", r.Status, r.Body, err)
	}
	want := ready
	want.Status, want.Documents, want.Chunks = "ready", len(testDocs), env.Live.Index().NumChunks()
	if ready != want {
		t.Errorf("/readyz: got %+v, want %+v", ready, want)
	}

	// HEAD works for probes that use it.
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := do(t, http.MethodHead, env.Server.URL+path, nil); r.Status != 200 {
			t.Errorf("HEAD %s: got %d, want 200", path, r.Status)
		}
	}
}

var reqIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func TestRequestID(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	tests := []struct {
		name, id string
		echoed   bool
	}{
		{"sane", "abc-123", true},
		{"with dots and colons", "svc.a:42_x", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"200 characters", strings.Repeat("x", 200), false},
		{"with spaces", "abc 123", false},
		{"with a quote", `abc"123`, false},
		{"with a newline escape", `abc\n123`, false},
		{"non-ASCII", "абв", false},
		{"log injection", "a=b level=ERROR", false},
		{"absent", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.id != "" {
				h = []string{"X-Request-Id", tt.id}
			}
			for _, path := range []string{"/healthz", "/v1/nope", "/v1/documents"} {
				r := env.get(t, path, h...)
				got := r.Header.Get("X-Request-Id")
				switch {
				case tt.echoed && got != tt.id:
					t.Errorf("%s: X-Request-Id got %q, want %q echoed", path, got, tt.id)
				case !tt.echoed && (got == tt.id || !reqIDPattern.MatchString(got)):
					t.Errorf("%s: X-Request-Id got %q, want a fresh sane id in place of %q", path, got, tt.id)
				}
			}
		})
	}
	a, b := env.get(t, "/healthz").Header.Get("X-Request-Id"), env.get(t, "/healthz").Header.Get("X-Request-Id")
	if a == b {
		t.Errorf("two requests got the same id %q", a)
	}
}

// metricsText scrapes /metrics.
func (e *testEnv) metricsText(t testing.TB) string {
	t.Helper()
	r := e.get(t, "/metrics")
	if r.Status != 200 {
		t.Fatalf("/metrics: got %d", r.Status)
	}
	return string(r.Body)
}

var (
	sampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// metric is the value of the sample with that name whose labels include
// the given ones (name, value pairs), and whether there is one.
func metric(text, name string, labels ...string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		m := sampleRE.FindStringSubmatch(line)
		if m == nil || m[1] != name {
			continue
		}
		have := map[string]string{}
		for _, l := range labelRE.FindAllStringSubmatch(m[2], -1) {
			have[l[1]] = l[2]
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				ok = false
			}
		}
		if ok {
			v, err := strconv.ParseFloat(m[3], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func mustMetric(t testing.TB, text, name string, labels ...string) float64 {
	t.Helper()
	v, ok := metric(text, name, labels...)
	if !ok {
		t.Fatalf("no metric %s%q in /metrics", name, labels)
	}
	return v
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	env.get(t, "/healthz")
	before := env.metricsText(t)
	for _, name := range []string{"citebot_http_requests_total", "citebot_answers_total", "citebot_index_documents",
		"citebot_index_chunks", "citebot_reindex_total", "citebot_reindex_duration_seconds_count", "go_goroutines"} {
		if _, ok := metric(before, name); !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	found0 := mustMetric(t, before, "citebot_answers_total", "result", "found")
	refused0 := mustMetric(t, before, "citebot_answers_total", "result", "refused")

	if a := env.ask(t, vardoQuestion); !a.Found {
		t.Fatalf("%q was not found", vardoQuestion)
	}
	after := env.metricsText(t)
	if got := mustMetric(t, after, "citebot_answers_total", "result", "found"); got != found0+1 {
		t.Errorf("answers found: got %v, want %v", got, found0+1)
	}
	if got := mustMetric(t, after, "citebot_answers_total", "result", "refused"); got != refused0 {
		t.Errorf("answers refused: got %v, want %v", got, refused0)
	}
	if a := env.ask(t, refusedQuestion); a.Found {
		t.Fatalf("%q was found: %q", refusedQuestion, a.Answer)
	}
	after = env.metricsText(t)
	if got := mustMetric(t, after, "citebot_answers_total", "result", "refused"); got != refused0+1 {
		t.Errorf("answers refused: got %v, want %v", got, refused0+1)
	}
	if got := mustMetric(t, after, "citebot_answers_total", "result", "found"); got != found0+1 {
		t.Errorf("answers found: got %v, want %v", got, found0+1)
	}

	env.get(t, "/v1/no-such-route")
	env.post(t, "/v1/ask", []byte(`{`))
	env.get(t, "/v1/documents/sub/treaty.md")
	env.get(t, "/v1/documents/harbour.txt?start=0&end=3")
	text := env.metricsText(t)
	for _, c := range []struct {
		route, code string
		min         float64
	}{
		{"POST /v1/ask", "200", 2},
		{"POST /v1/ask", "400", 1},
		{"GET /metrics", "200", 3},
		{"GET /v1/documents/{id...}", "200", 2},
		{"unmatched", "404", 1},
	} {
		if got := mustMetric(t, text, "citebot_http_requests_total", "route", c.route, "code", c.code); got < c.min {
			t.Errorf("requests{route=%q,code=%q}: got %v, want ≥ %v", c.route, c.code, got, c.min)
		}
	}
	// The route label is the pattern, never the path a client sent.
	if strings.Contains(text, "no-such-route") || strings.Contains(text, "treaty.md") {
		t.Errorf("a request path became a label value")
	}
	if got := mustMetric(t, text, "citebot_index_documents"); got != float64(len(testDocs)) {
		t.Errorf("index documents: got %v, want %d", got, len(testDocs))
	}
	if got, want := mustMetric(t, text, "citebot_index_chunks"), float64(env.Live.Index().NumChunks()); got != want {
		t.Errorf("index chunks: got %v, want %v", got, want)
	}
	if got := mustMetric(t, text, "citebot_reindex_total", "result", "ok"); got != 1 {
		t.Errorf("reindexes ok after the load: got %v, want 1", got)
	}
	if got := mustMetric(t, text, "citebot_reindex_duration_seconds_count"); got != 1 {
		t.Errorf("reindex durations after the load: got %v, want 1", got)
	}

	writeTestFile(t, filepath.Join(env.Docs, "extra.txt"), "Extra\n\nThe lighthouse at Makkaur was automated in 2006.\n")
	if r := env.post(t, "/v1/reindex", nil, "Authorization", "Bearer "+adminToken); r.Status != 200 {
		t.Fatalf("reindex: got %d (%s)", r.Status, r.Body)
	}
	text = env.metricsText(t)
	if got := mustMetric(t, text, "citebot_reindex_total", "result", "ok"); got != 2 {
		t.Errorf("reindexes ok: got %v, want 2", got)
	}
	if got := mustMetric(t, text, "citebot_reindex_total", "result", "error"); got != 0 {
		t.Errorf("reindexes failed: got %v, want 0", got)
	}
	if got := mustMetric(t, text, "citebot_reindex_duration_seconds_count"); got != 2 {
		t.Errorf("reindex durations: got %v, want 2", got)
	}
	if got := mustMetric(t, text, "citebot_index_documents"); got != float64(len(testDocs)+1) {
		t.Errorf("index documents: got %v, want %d", got, len(testDocs)+1)
	}
	if got := mustMetric(t, text, "citebot_http_requests_total", "route", "POST /v1/reindex", "code", "200"); got != 1 {
		t.Errorf("reindex requests: got %v, want 1", got)
	}
}

// routesFromSource reads the route patterns of routes.go's addRoutes,
// the API's own (the web page's paths, which addPageRoutes hands on,
// are not the API's).
func routesFromSource(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	ast.Inspect(f, func(n ast.Node) bool {
		if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name != "addRoutes" {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("%s: a route whose pattern is not a string literal", fset.Position(call.Pos()))
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, s)
		return true
	})
	if len(routes) == 0 {
		t.Fatal("no routes found in routes.go")
	}
	return routes
}

var restWildcard = regexp.MustCompile(`\{(\w+)\.\.\.\}`)

func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	documented := map[string]bool{} // "post /v1/ask"
	for path, ops := range doc.Paths {
		for m := range ops {
			if all, _ := corsMethods(samplePath(path)); m == "options" && all != nil {
				continue // a preflight, which the CORS layer answers (TestOpenAPIStatuses)
			}
			if methods[m] {
				documented[m+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, route := range routesFromSource(t) {
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			t.Errorf("route %q has no method", route)
			continue
		}
		path = restWildcard.ReplaceAllString(path, "{$1}")
		key := strings.ToLower(method) + " " + path
		served[key] = true
		if !documented[key] {
			t.Errorf("route %q is not in openapi.json (want paths[%q].%s)", route, path, strings.ToLower(method))
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("openapi.json describes %q, which routes.go does not serve", key)
		}
	}
}

// TestOpenAPIAnswerSchema: the answer object's schema names every field
// answer.Answer, answer.Citation and answer.Passage encode, and describes
// confidence (a number within [0, 1]) in the answer and in the chat
// completion, which carries it beside its citations.
func TestOpenAPIAnswerSchema(t *testing.T) {
	type property struct {
		Type        string   `json:"type"`
		Minimum     *float64 `json:"minimum"`
		Maximum     *float64 `json:"maximum"`
		Description string   `json:"description"`
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string            `json:"required"`
				Properties map[string]property `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	schemas := doc.Components.Schemas
	for name, v := range map[string]any{"Answer": answer.Answer{}, "Citation": answer.Citation{}, "Passage": answer.Passage{}} {
		ty := reflect.TypeOf(v)
		for i := 0; i < ty.NumField(); i++ {
			field, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
			if field == "" || field == "-" {
				continue
			}
			if _, ok := schemas[name].Properties[field]; !ok {
				t.Errorf("schema %s lacks %q (%s.%s)", name, field, ty.Name(), ty.Field(i).Name)
			}
		}
	}
	if !slices.Contains(schemas["Answer"].Required, "confidence") {
		t.Errorf("Answer schema: confidence is not required (every answer has one): %v", schemas["Answer"].Required)
	}
	for _, name := range []string{"Answer", "ChatResponse"} {
		p, ok := schemas[name].Properties["confidence"]
		if !ok {
			t.Errorf("schema %s has no confidence", name)
			continue
		}
		if p.Type != "number" || p.Minimum == nil || *p.Minimum != 0 || p.Maximum == nil || *p.Maximum != 1 || p.Description == "" {
			t.Errorf("schema %s: confidence is %+v, want a described number within [0, 1]", name, p)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{}, true)
	r := env.get(t, "/openapi.json")
	if r.Status != 200 {
		t.Fatalf("status: got %d, want 200", r.Status)
	}
	checkJSONType(t, r)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("GET /openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3") {
		t.Errorf("openapi: got %q, want 3.x", doc.OpenAPI)
	}
	if len(doc.Paths) == 0 {
		t.Errorf("no paths")
	}
}

func TestReindex(t *testing.T) {
	t.Parallel()
	type counts struct{ Added, Changed, Removed, Unchanged int }
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	reindex := func(t *testing.T) response {
		t.Helper()
		return env.post(t, "/v1/reindex", nil, "Authorization", "Bearer "+adminToken)
	}
	const glacier = "Glacier survey\n\nThe Brenndal glacier retreated 412 metres between 1990 and 2020.\n"
	steps := []struct {
		name    string
		change  func(t *testing.T)
		want    counts
		skipped []string
	}{
		{"nothing changed", func(*testing.T) {}, counts{Unchanged: 3}, nil},
		{"a document added", func(t *testing.T) {
			writeTestFile(t, filepath.Join(env.Docs, "new", "glacier.txt"), glacier)
		}, counts{Added: 1, Unchanged: 3}, nil},
		{"a document changed", func(t *testing.T) {
			writeTestFile(t, filepath.Join(env.Docs, "secret-neighbour.txt"), "Neighbour\n\nThe neighbour moved to Hammerfest in 1999.\n")
		}, counts{Changed: 1, Unchanged: 3}, nil},
		{"a document removed and a file skipped", func(t *testing.T) {
			if err := os.Remove(filepath.Join(env.Docs, "secret-neighbour.txt")); err != nil {
				t.Fatal(err)
			}
			writeTestFile(t, filepath.Join(env.Docs, "empty.txt"), "")
			writeTestFile(t, filepath.Join(env.Docs, "data.bin"), "\x00\x01")
		}, counts{Removed: 1, Unchanged: 3}, []string{"data.bin", "empty.txt"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(t)
			r := reindex(t)
			if r.Status != http.StatusOK {
				t.Fatalf("status: got %d (%s), want 200", r.Status, r.Body)
			}
			s := decodeSummary(t, r)
			got := counts{s.Added, s.Changed, s.Removed, s.Unchanged}
			if got != st.want {
				t.Errorf("got %+v, want %+v (%s)", got, st.want, r.Body)
			}
			var skipped []string
			for _, sk := range s.Skipped {
				skipped = append(skipped, sk.Document)
				if sk.Reason == "" {
					t.Errorf("%s skipped without a reason", sk.Document)
				}
			}
			sort.Strings(skipped)
			if !slices.Equal(skipped, st.skipped) {
				t.Errorf("skipped: got %q, want %q", skipped, st.skipped)
			}
			if got, want := s.Chunks, env.Live.Index().NumChunks(); got != want {
				t.Errorf("chunks: got %d, want %d", got, want)
			}
		})
	}

	a := env.ask(t, "How far did the Brenndal glacier retreat?")
	checkAnswer(t, env.diskDocs, a)
	if !a.Found || len(a.Citations) == 0 || a.Citations[0].Document != "new/glacier.txt" || !strings.Contains(a.Citations[0].Quote, "412 metres") {
		t.Fatalf("the new document's fact: got %+v, want found, citing new/glacier.txt", a)
	}
	if r := env.get(t, "/v1/documents/new/glacier.txt"); r.Status != 200 || string(r.Body) != glacier {
		t.Errorf("the new document: got %d %q, want 200 with its text", r.Status, r.Body)
	}
	if r := env.get(t, "/v1/documents/secret-neighbour.txt"); r.Status != 404 {
		t.Errorf("the removed document: got %d, want 404", r.Status)
	}

	// An empty docs folder: the reindex fails and the old index serves on.
	docsBefore := env.get(t, "/v1/documents").Body
	if err := os.RemoveAll(env.Docs); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(env.Docs, 0o755); err != nil {
		t.Fatal(err)
	}
	checkError(t, reindex(t), http.StatusInternalServerError, "reindex_failed")

	again := env.ask(t, "How far did the Brenndal glacier retreat?")
	if !again.Found || len(again.Citations) == 0 || again.Citations[0].Document != "new/glacier.txt" {
		t.Errorf("after a failed reindex: got %+v, want the old index's answer", again)
	}
	if a := env.ask(t, vardoQuestion); !a.Found || a.Citations[0].Document != "harbour.txt" {
		t.Errorf("after a failed reindex: got %+v, want the old index's answer", a)
	}
	if got := env.get(t, "/v1/documents").Body; !bytes.Equal(got, docsBefore) {
		t.Errorf("after a failed reindex the documents are %s, want %s", got, docsBefore)
	}
	if r := env.get(t, "/v1/documents/harbour.txt"); r.Status != 200 || string(r.Body) != testDocs["harbour.txt"] {
		t.Errorf("after a failed reindex: got %d %q, want the stored text", r.Status, r.Body)
	}
	if r := env.get(t, "/readyz"); r.Status != 200 {
		t.Errorf("/readyz after a failed reindex: got %d, want 200", r.Status)
	}
	if got := mustMetric(t, env.metricsText(t), "citebot_reindex_total", "result", "error"); got != 1 {
		t.Errorf("reindexes failed: got %v, want 1", got)
	}
}

// TestReindexConcurrent: requests made while a reindex runs share it; all
// get the summary.
func TestReindexConcurrent(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	writeTestFile(t, filepath.Join(env.Docs, "more.txt"), "More\n\nThe ferry to Hamningberg stopped running in 1974.\n")
	const n = 4
	results := make(chan response, n)
	for i := 0; i < n; i++ {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/v1/reindex", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := apiClient.Do(req)
			if err != nil {
				results <- response{Status: -1, Body: []byte(err.Error())}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- response{resp.StatusCode, resp.Header, b}
		}()
	}
	added := 0
	for i := 0; i < n; i++ {
		r := <-results
		if r.Status != 200 {
			t.Errorf("got %d (%s), want 200", r.Status, r.Body)
			continue
		}
		added += decodeSummary(t, r).Added
	}
	if added < 1 {
		t.Errorf("no reindex counted the added document")
	}
	if a := env.ask(t, "When did the ferry to Hamningberg stop running?"); !a.Found || a.Citations[0].Document != "more.txt" {
		t.Errorf("got %+v, want an answer citing more.txt", a)
	}
}

// A folder of many files the index cannot use answers a reindex with the
// first few named and all counted by reason, not a list of megabytes.
func TestReindexSkippedSummarised(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{AdminToken: adminToken}, true)
	for i := range 150 {
		writeTestFile(t, filepath.Join(env.Docs, "junk", fmt.Sprintf("f%03d.bin", i)), "x")
	}
	r := env.post(t, "/v1/reindex", nil, "Authorization", "Bearer "+adminToken)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var s struct {
		Skipped         []json.RawMessage `json:"skipped"`
		SkippedTotal    int               `json:"skipped_total"`
		SkippedByReason map[string]int    `json:"skipped_by_reason"`
	}
	if err := json.Unmarshal(r.Body, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Skipped) != maxSkippedListed || s.SkippedTotal != 150 || s.SkippedByReason["unsupported file type"] != 150 {
		t.Errorf("%d listed, total %d, by reason %v; want %d listed of 150", len(s.Skipped), s.SkippedTotal, s.SkippedByReason, maxSkippedListed)
	}
}
