package embedding_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"citebot/embedding"
	"citebot/embedding/embeddingtest"
)

// fast is a config whose retries take milliseconds.
func fast(url string) embedding.OpenAIConfig {
	return embedding.OpenAIConfig{URL: url, Model: "test-embed", Backoff: time.Millisecond, MaxWait: 2 * time.Second, Timeout: 5 * time.Second}
}

func newClient(t *testing.T, cfg embedding.OpenAIConfig) *embedding.OpenAI {
	t.Helper()
	o, err := embedding.NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text number %d about topic %d", i, i%7)
	}
	return out
}

func unit(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(ss))
	}
	return out
}

func sameVector(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}

// N texts go out in ceil(N/batch) requests, each carrying the model and
// the key, and the vectors come back in input order even when the server
// lists them in another order; each is unit length.
func TestEmbedBatchBatchesAndKeepsOrder(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.Reverse(true)
	srv.RequireKey("sk-test")
	cfg := fast(srv.BaseURL())
	cfg.Key, cfg.BatchSize = "sk-test", 16
	o := newClient(t, cfg)

	in := texts(70)
	vecs, err := o.EmbedBatch(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 5 { // ceil(70/16)
		t.Fatalf("%d requests for 70 texts in batches of 16, want 5", len(reqs))
	}
	sent := 0
	for _, r := range reqs {
		if r.Model != "test-embed" || r.Authorization != "Bearer sk-test" {
			t.Errorf("request model %q, authorization %q", r.Model, r.Authorization)
		}
		if len(r.Input) > 16 {
			t.Errorf("a request carried %d texts, more than the batch size", len(r.Input))
		}
		sent += len(r.Input)
	}
	if sent != 70 || len(vecs) != 70 {
		t.Fatalf("sent %d texts, got %d vectors; want 70 and 70", sent, len(vecs))
	}
	for i, v := range vecs {
		if want := unit(embeddingtest.Vector(in[i], 8)); !sameVector(v, want) {
			t.Fatalf("vector %d is not the unit vector of text %d:\n got %v\nwant %v", i, i, v, want)
		}
	}

	one, err := o.Embed(context.Background(), in[3])
	if err != nil || !sameVector(one, vecs[3]) {
		t.Errorf("Embed(text 3) = %v, %v; want %v", one, err, vecs[3])
	}
	if got, err := o.EmbedBatch(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("EmbedBatch(nil) = %v, %v", got, err)
	}
}

// A 429 is retried, after the server's Retry-After when it gives one.
func TestRetries429HonouringRetryAfter(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.FailNext(embeddingtest.Failure{Status: 429, RetryAfter: "0.3"}, embeddingtest.Failure{Status: 429})
	o := newClient(t, fast(srv.BaseURL()))
	start := time.Now()
	vecs, err := o.EmbedBatch(context.Background(), texts(3))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("retried after %v, before the server's Retry-After of 0.3s", took)
	}
	if n := len(srv.Requests()); n != 3 || len(vecs) != 3 {
		t.Errorf("%d requests and %d vectors, want 3 (two 429s, then success) and 3", n, len(vecs))
	}
}

// 5xx statuses are retried MaxRetries times, then the call fails with an
// error naming the endpoint, the model, the status and the attempts.
func TestServerErrorsGiveUpAfterMaxRetries(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.Down(&embeddingtest.Failure{Status: 503, Message: "model is loading"})
	cfg := fast(srv.BaseURL())
	cfg.MaxRetries = 2
	o := newClient(t, cfg)
	_, err := o.EmbedBatch(context.Background(), texts(3))
	var e *embedding.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *embedding.Error", err)
	}
	if e.Status != 503 || e.Attempts != 3 || len(srv.Requests()) != 3 {
		t.Errorf("status %d after %d attempts (%d requests); want 503 after 3", e.Status, e.Attempts, len(srv.Requests()))
	}
	for _, want := range []string{srv.BaseURL() + "/embeddings", "test-embed", "503", "model is loading", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Other 4xx statuses are the request's fault: no retry.
func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := embeddingtest.New(t, 8)
			srv.FailNext(embeddingtest.Failure{Status: status, Message: "no such model"})
			o := newClient(t, fast(srv.BaseURL()))
			_, err := o.Embed(context.Background(), "hello")
			if err == nil || len(srv.Requests()) != 1 {
				t.Fatalf("err %v after %d requests; want an error after 1", err, len(srv.Requests()))
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", status)) || !strings.Contains(err.Error(), "no such model") ||
				!strings.Contains(err.Error(), "test-embed") {
				t.Errorf("error %q does not give the status, the server's message and the model", err)
			}
		})
	}
}

// A wrong key fails at once with 401 and says so.
func TestWrongKey(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.RequireKey("right")
	cfg := fast(srv.BaseURL())
	cfg.Key = "wrong"
	_, err := newClient(t, cfg).Embed(context.Background(), "hello")
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("err = %v; want a 401 that does not show the key", err)
	}
}

// A server that is not there at all is retried, then reported.
func TestServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/v1"
	srv.Close()
	cfg := fast(url)
	cfg.MaxRetries = 1
	_, err := newClient(t, cfg).Embed(context.Background(), "hello")
	var e *embedding.Error
	if !errors.As(err, &e) || e.Status != 0 || e.Attempts != 2 || !strings.Contains(err.Error(), url) {
		t.Errorf("err = %v; want an *embedding.Error with no status after 2 attempts naming %s", err, url)
	}
}

// A cancelled context ends the waiting between attempts.
func TestContextEndsRetries(t *testing.T) {
	srv := embeddingtest.New(t, 8)
	srv.Down(&embeddingtest.Failure{Status: 429, RetryAfter: "30"})
	cfg := fast(srv.BaseURL())
	cfg.MaxWait = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newClient(t, cfg).Embed(ctx, "hello")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v; want the deadline, promptly", err, time.Since(start))
	}
}

// Each request has its own timeout: a server that hangs is given up on
// (and retried), never waited for forever.
func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := fast(srv.URL + "/v1")
	cfg.Timeout, cfg.MaxRetries = 50*time.Millisecond, 1
	start := time.Now()
	_, err := newClient(t, cfg).Embed(context.Background(), "hello")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v; want a timeout error, promptly", err, time.Since(start))
	}
}

// Responses that do not fit the request are errors, not vectors: a wrong
// count, mixed dimensions, an index out of range or repeated, an empty
// vector.
func TestMalformedResponses(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"too few", `[{"object":"embedding","index":0,"embedding":[1,0]}]`, "sent 2 texts, got 1 vectors"},
		{"mixed dimensions", `[{"object":"embedding","index":0,"embedding":[1,0]},{"object":"embedding","index":1,"embedding":[1,0,0]}]`, "mixed dimensions"},
		{"index out of range", `[{"object":"embedding","index":0,"embedding":[1,0]},{"object":"embedding","index":2,"embedding":[1,0]}]`, "outside"},
		{"index twice", `[{"object":"embedding","index":0,"embedding":[1,0]},{"object":"embedding","index":0,"embedding":[1,0]}]`, "two vectors"},
		{"empty vector", `[{"object":"embedding","index":0,"embedding":[1,0]},{"object":"embedding","index":1,"embedding":[]}]`, "empty vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"object":"list","data":%s,"model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}`, tt.data)
			}))
			defer srv.Close()
			_, err := newClient(t, fast(srv.URL+"/v1")).EmbedBatch(context.Background(), []string{"a", "b"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
			if calls != 1 {
				t.Errorf("%d calls; a malformed answer is not retried", calls)
			}
		})
	}
}

// Batches of one call must agree on the dimension, too.
func TestMixedDimensionsAcrossBatches(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Input []string }
		json.NewDecoder(r.Body).Decode(&req)
		dim := 4
		if strings.HasPrefix(req.Input[0], "second") {
			dim = 6
		}
		type datum struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []datum
		for i, s := range req.Input {
			data = append(data, datum{i, embeddingtest.Vector(s, dim)})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	}))
	defer srv.Close()
	cfg := fast(srv.URL + "/v1")
	cfg.BatchSize = 2
	_, err := newClient(t, cfg).EmbedBatch(context.Background(), []string{"first a", "first b", "second a"})
	if err == nil || !strings.Contains(err.Error(), "mixed dimensions") {
		t.Errorf("err = %v, want mixed dimensions", err)
	}
}

func TestNameAndURLs(t *testing.T) {
	tests := []struct {
		url, name, endpoint string
	}{
		{"http://localhost:11434/v1", "openai:m@http://localhost:11434/v1", "http://localhost:11434/v1/embeddings"},
		{"http://localhost:11434/v1/", "openai:m@http://localhost:11434/v1", "http://localhost:11434/v1/embeddings"},
		{"https://user:secret@example.com/v1/embeddings", "openai:m@https://example.com/v1", "https://example.com/v1/embeddings"},
	}
	for _, tt := range tests {
		o, err := embedding.NewOpenAI(embedding.OpenAIConfig{URL: tt.url, Model: "m", Key: "sk-secret"})
		if err != nil {
			t.Errorf("NewOpenAI(%q): %v", tt.url, err)
			continue
		}
		if o.Name() != tt.name || o.Endpoint() != tt.endpoint {
			t.Errorf("%q: name %q, endpoint %q; want %q, %q", tt.url, o.Name(), o.Endpoint(), tt.name, tt.endpoint)
		}
	}
	for _, bad := range []embedding.OpenAIConfig{
		{URL: "", Model: "m"},
		{URL: "http://localhost/v1", Model: ""},
		{URL: "localhost:11434", Model: "m"},
		{URL: "ftp://example.com/v1", Model: "m"},
		{URL: "http://example.com/v1?key=x", Model: "m"},
	} {
		if _, err := embedding.NewOpenAI(bad); err == nil {
			t.Errorf("NewOpenAI(%+v): no error", bad)
		}
	}
}

// The URL's credentials still reach the server, as basic auth.
func TestURLCredentialsAreSent(t *testing.T) {
	srv := embeddingtest.New(t, 4)
	url := strings.Replace(srv.BaseURL(), "http://", "http://u:p@", 1)
	if _, err := newClient(t, fast(url)).Embed(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0].Authorization; !strings.HasPrefix(got, "Basic ") {
		t.Errorf("Authorization %q, want basic auth from the URL", got)
	}
}
