// Package embeddingtest is a fake OpenAI-compatible embeddings server for
// tests: POST /v1/embeddings with {"model", "input": [...]} answered with
// {"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
// "model", "usage"}, as OpenAI, Ollama and vLLM answer. Its vectors are
// bags of hashed words, so texts sharing words are similar and retrieval
// over them works. Failures can be scripted.
package embeddingtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// Failure is a scripted error response.
type Failure struct {
	Status     int
	RetryAfter string // the Retry-After header, when not empty
	Message    string // the error message (default: the status text)
}

// Request is one request the server received.
type Request struct {
	Model         string
	Input         []string
	Authorization string
}

// Server is the fake. Its settings may be changed while it runs.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	dim      int
	key      string
	reverse  bool
	script   []Failure
	down     *Failure
	requests []Request
}

// New starts a server answering with dim-dimensional vectors; it stops
// when the test ends.
func New(tb testing.TB, dim int) *Server {
	s := &Server{dim: dim}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	tb.Cleanup(s.Close)
	return s
}

// BaseURL is what --embed-url takes: the server's URL and /v1.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// SetDim changes the dimension of the vectors returned from now on, as a
// server given another model would.
func (s *Server) SetDim(dim int) { s.mu.Lock(); s.dim = dim; s.mu.Unlock() }

// RequireKey makes requests without "Authorization: Bearer key" fail 401.
func (s *Server) RequireKey(key string) { s.mu.Lock(); s.key = key; s.mu.Unlock() }

// Reverse returns the data of each response in reverse index order, which
// clients must put back in input order by the index field.
func (s *Server) Reverse(on bool) { s.mu.Lock(); s.reverse = on; s.mu.Unlock() }

// FailNext answers the next requests with these failures, in order.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	s.script = append(s.script, f...)
	s.mu.Unlock()
}

// Down answers every request with f until Down(nil).
func (s *Server) Down(f *Failure) { s.mu.Lock(); s.down = f; s.mu.Unlock() }

// Requests returns the requests received so far, failed ones included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Texts is how many texts were sent in all requests.
func (s *Server) Texts() int {
	n := 0
	for _, r := range s.Requests() {
		n += len(r.Input)
	}
	return n
}

// Reset forgets the requests received.
func (s *Server) Reset() { s.mu.Lock(); s.requests = nil; s.mu.Unlock() }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/embeddings" {
		writeError(w, http.StatusNotFound, "unknown path "+r.URL.Path, "invalid_request_error")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "use POST", "invalid_request_error")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json, got "+ct, "invalid_request_error")
		return
	}
	var body struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON: "+err.Error(), "invalid_request_error")
		return
	}
	var input []string
	if err := json.Unmarshal(body.Input, &input); err != nil {
		var one string
		if err := json.Unmarshal(body.Input, &one); err != nil {
			writeError(w, http.StatusBadRequest, "input must be a string or an array of strings", "invalid_request_error")
			return
		}
		input = []string{one}
	}

	s.mu.Lock()
	s.requests = append(s.requests, Request{Model: body.Model, Input: input, Authorization: r.Header.Get("Authorization")})
	dim, key, reverse := s.dim, s.key, s.reverse
	var fail *Failure
	if len(s.script) > 0 {
		fail = &s.script[0]
		s.script = s.script[1:]
	} else if s.down != nil {
		fail = s.down
	}
	s.mu.Unlock()

	switch {
	case fail != nil:
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		msg := fail.Message
		if msg == "" {
			msg = http.StatusText(fail.Status)
		}
		typ := "server_error"
		if fail.Status == http.StatusTooManyRequests {
			typ = "rate_limit_exceeded"
		}
		writeError(w, fail.Status, msg, typ)
		return
	case key != "" && r.Header.Get("Authorization") != "Bearer "+key:
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided", "invalid_request_error")
		return
	case body.Model == "":
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error")
		return
	case body.EncodingFormat != "" && body.EncodingFormat != "float":
		writeError(w, http.StatusBadRequest, "this fake speaks encoding_format float only", "invalid_request_error")
		return
	case len(input) == 0:
		writeError(w, http.StatusBadRequest, "input must not be empty", "invalid_request_error")
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]datum, len(input))
	tokens := 0
	for i, text := range input {
		if text == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("input[%d] is empty", i), "invalid_request_error")
			return
		}
		data[i] = datum{Object: "embedding", Index: i, Embedding: Vector(text, dim)}
		tokens += len(words(text))
	}
	if reverse {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   data,
		"model":  body.Model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// writeError answers in OpenAI's error format.
func writeError(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": nil,
	}})
}

// Vector is the fake's embedding of text: each word adds ±1 at a position
// given by its hash, scaled by 3 so that it is not unit length (clients
// normalise). It is never the zero vector.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	ws := words(text)
	if len(ws) == 0 {
		v[0] = 1
		return v
	}
	for _, w := range ws {
		h := fnv.New64a()
		h.Write([]byte(w))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dim)] += 3 * sign
	}
	for _, x := range v {
		if x != 0 {
			return v
		}
	}
	v[0] = 1 // the words cancelled out
	return v
}

func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
