package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"citebot/answer"
)

// fakeModel is an OpenAI-compatible chat endpoint whose reply is chosen by
// the test: a JSON body with a status.
func fakeModel(t *testing.T, status *atomic.Int32, content string, delay time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Stream bool `json:"stream"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		if s := int(status.Load()); s != 200 {
			w.WriteHeader(s)
			io.WriteString(w, `{"error": {"message": "down", "type": "server_error"}}`)
			return
		}
		if req.Stream {
			// The content in pieces of about ten bytes, as tokens come.
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < len(content); i += 10 {
				b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
					"choices": []map[string]any{{"index": 0, "delta": map[string]string{"content": content[i:min(i+10, len(content))]}}}})
				io.WriteString(w, "data: "+string(b)+"\n\n")
			}
			io.WriteString(w, "data: [DONE]\n\n")
			return
		}
		b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]string{"role": "assistant", "content": content}}}})
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// With a model, ask answers generatively with checked citations; on a
// model error or a late reply it answers extractively, exit 0 either way.
func TestAskWithModel(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := fakeModel(t, &status, "The agreement came into effect on January 5, 2012 [1].", 0)
	q := "When did the SCO agreement come into effect?"
	ix := seedIndex(t)
	run := func(env map[string]string, extra ...string) answer.Answer {
		t.Helper()
		args := append([]string{"ask", "--json", "--docs", seeds, "--index", ix}, extra...)
		return decodeAnswer(t, []byte(mustRun(t, env, "", append(args, q)...).stdout))
	}
	a := run(nil, "--llm-url", srv.URL+"/v1", "--llm-model", "m")
	if a.Mode != answer.ModeGenerative || !a.Found || len(a.Citations) != 1 || !strings.Contains(a.Citations[0].Quote, "January 5, 2012") {
		t.Errorf("generative answer: %+v", a)
	}
	checkAnswer(t, a, q, 5, newDocReader(seeds))

	// OPENAI_BASE_URL is read when --llm-url is not given.
	if a := run(map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "CITEBOT_LLM_MODEL": "m"}); a.Mode != answer.ModeGenerative {
		t.Errorf("with OPENAI_BASE_URL: mode %q", a.Mode)
	}

	status.Store(500)
	if a := run(nil, "--llm-url", srv.URL+"/v1", "--llm-model", "m"); a.Mode != answer.ModeExtractive || !a.Found {
		t.Errorf("model 500: %+v, want the extractive answer", a)
	}
	status.Store(200)
	slow := fakeModel(t, &status, "Too late [1].", 2*time.Second)
	start := time.Now()
	if a := run(nil, "--llm-url", slow.URL+"/v1", "--llm-model", "m", "--llm-timeout", "200ms"); a.Mode != answer.ModeExtractive {
		t.Errorf("slow model: mode %q, want extractive", a.Mode)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("the slow model held the answer for %v (timeout 200ms)", took)
	}

	for _, args := range [][]string{{"--llm-url", srv.URL}, {"--llm-model", "m"}, {"--llm-url", srv.URL, "--llm-model", "m", "--llm-timeout", "0s"}} {
		if r := cli(t, nil, "", append([]string{"ask", "--docs", seeds, "--index", ix}, append(args, q)...)...); r.code != 2 {
			t.Errorf("ask %v: exit %d, want 2", args, r.code)
		}
	}
}

// serve counts fallbacks in /metrics.
func TestServeModelFallbackMetric(t *testing.T) {
	var status atomic.Int32
	status.Store(503)
	srv := fakeModel(t, &status, "", 0)
	s := startServe(t, nil, "--docs", seeds, "--index", seedIndex(t), "--llm-url", srv.URL+"/v1", "--llm-model", "m")
	s.waitReady(t)
	if a, code := s.ask(t, "When did the SCO agreement come into effect?"); code != 200 || a.Mode != answer.ModeExtractive {
		t.Errorf("ask with the model down: %d %q", code, a.Mode)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `citebot_llm_fallbacks_total{reason="model_error"} 1`) {
		t.Errorf("metrics lack the fallback:\n%s", grepLines(string(body), "llm"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Streaming through serve: the model's text arrives in several content
// chunks, checked (the invalid [7] never shows), and the last chunk holds
// the citations; the pieces join into exactly the answer.
func TestServeStreamsModelText(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := fakeModel(t, &status, "The agreement came into effect on January 5, 2012 [1][7]. It covers terrorism [2].", 0)
	s := startServe(t, nil, "--docs", seeds, "--index", seedIndex(t), "--llm-url", srv.URL+"/v1", "--llm-model", "m", "--answer-cache", "0")
	s.waitReady(t)
	body := `{"model": "citebot", "stream": true, "messages": [{"role": "user", "content": "When did the SCO agreement come into effect?"}]}`
	resp, err := http.Post(s.url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var text strings.Builder
	pieces := 0
	var citations []answer.Citation
	for _, ev := range strings.Split(strings.TrimSpace(string(raw)), "\n\n") {
		data := strings.TrimPrefix(ev, "data: ")
		if data == "[DONE]" {
			break
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Citations []answer.Citation `json:"citations"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" && !strings.HasPrefix(c.Choices[0].Delta.Content, "\n\nSources:") {
			pieces++
			text.WriteString(c.Choices[0].Delta.Content)
		}
		if c.Citations != nil {
			citations = c.Citations
		}
	}
	got := text.String()
	if pieces < 2 || strings.Contains(got, "[7]") || !strings.Contains(got, "January 5, 2012 [1]") {
		t.Errorf("streamed answer in %d pieces: %q", pieces, got)
	}
	if len(citations) == 0 || !strings.Contains(citations[0].Quote, "2012") {
		t.Errorf("citations %+v", citations)
	}
}
