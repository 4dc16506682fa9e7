package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"citebot/answer"
	"citebot/document"
)

// Questions with known answers in the fixture corpus (fixture_test.go).
const (
	qHarbour = "When did the harbour of Vardø freeze?"
	qTreaty  = "Where was the Treaty of Examples signed?"
	qEthanol = "What is the boiling point of ethanol?"
)

func newOpenAIClient(env *testEnv) *openai.Client {
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = env.Server.URL + "/v1"
	return openai.NewClientWithConfig(cfg)
}

func userMsg(q string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: q}}
}

// rawResult is one HTTP exchange, body read in full.
type rawResult struct {
	Status int
	Header http.Header
	Body   []byte
}

func postRaw(t *testing.T, url, contentType string, body []byte) rawResult {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResult{resp.StatusCode, resp.Header, b}
}

func getRaw(t *testing.T, url string) rawResult {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResult{resp.StatusCode, resp.Header, b}
}

func postChat(t *testing.T, env *testEnv, body string) rawResult {
	t.Helper()
	return postRaw(t, env.Server.URL+"/v1/chat/completions", "application/json", []byte(body))
}

// chatJSON is a request body for one user question.
func chatJSON(t *testing.T, q string, extra map[string]any) string {
	t.Helper()
	m := map[string]any{"model": "citebot", "messages": []map[string]any{{"role": "user", "content": q}}}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawChatResponse is a non-streaming response as a client decodes it.
type rawChatResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Citations  []answer.Citation `json:"citations"`
	Confidence *float64          `json:"confidence"`
}

func decodeChatResponse(t *testing.T, r rawResult) rawChatResponse {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var resp rawChatResponse
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
	if resp.Object != "chat.completion" || resp.Model != Model || !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Created == 0 {
		t.Errorf("envelope: object %q, model %q, id %q, created %d", resp.Object, resp.Model, resp.ID, resp.Created)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("%d choices, want 1: %s", len(resp.Choices), r.Body)
	}
	c := resp.Choices[0]
	if c.Index != 0 || c.Message.Role != "assistant" || c.FinishReason != "stop" {
		t.Errorf("choice: index %d, role %q, finish_reason %q", c.Index, c.Message.Role, c.FinishReason)
	}
	if u := resp.Usage; u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v", u)
	}
	return resp
}

var markerRE = regexp.MustCompile(`\[(\d+)\]`)

// splitReply cuts a reply into the answer and its Sources section.
func splitReply(content string) (body, sources string) {
	if i := strings.Index(content, "\n\nSources:\n"); i >= 0 {
		return content[:i], content[i:]
	}
	return content, ""
}

// wantLines is how a Sources entry names a span's lines, written out here
// independently of the production code.
func wantLines(a, b int) string {
	if a == b {
		return fmt.Sprintf("line %d", a)
	}
	return fmt.Sprintf("lines %d–%d", a, b)
}

// checkCitations checks each citation against the file on disk and the
// reply text: the quote is exactly the file's bytes, the lines are the
// lines holding the first and last byte, the markers in the answer are
// exactly the citations' numbers, and the Sources list has one line per
// citation, in order.
func checkCitations(t *testing.T, env *testEnv, content string, cits []answer.Citation) {
	t.Helper()
	body, sources := splitReply(content)
	markers := map[int]bool{}
	for _, m := range markerRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		markers[n] = true
	}
	seen := map[int]bool{}
	var wantSources strings.Builder
	wantSources.WriteString("\n\nSources:\n")
	for _, c := range cits {
		if seen[c.N] {
			t.Errorf("citation [%d] appears twice", c.N)
		}
		seen[c.N] = true
		if !markers[c.N] {
			t.Errorf("citation [%d] has no marker in the answer %q", c.N, body)
		}
		file, err := os.ReadFile(filepath.Join(env.Docs, filepath.FromSlash(c.Document)))
		if err != nil {
			t.Errorf("citation [%d]: %v", c.N, err)
			continue
		}
		if c.Start < 0 || c.Start >= c.End || c.End > len(file) {
			t.Errorf("citation [%d]: span %d..%d outside %s (%d bytes)", c.N, c.Start, c.End, c.Document, len(file))
			continue
		}
		if got := string(file[c.Start:c.End]); c.Quote != got {
			t.Errorf("citation [%d]: quote %q, but %s[%d:%d] is %q", c.N, c.Quote, c.Document, c.Start, c.End, got)
		}
		if ls := 1 + bytes.Count(file[:c.Start], []byte("\n")); c.LineStart != ls {
			t.Errorf("citation [%d]: line_start %d, want %d", c.N, c.LineStart, ls)
		}
		if le := 1 + bytes.Count(file[:c.End-1], []byte("\n")); c.LineEnd != le {
			t.Errorf("citation [%d]: line_end %d, want %d", c.N, c.LineEnd, le)
		}
		if len(c.Quote) > document.MaxCitationBytes {
			t.Errorf("citation [%d]: quote of %d bytes, over %d", c.N, len(c.Quote), document.MaxCitationBytes)
		}
		fmt.Fprintf(&wantSources, "[%d] %s — %s, %s\n", c.N, c.Title, c.Document, wantLines(c.LineStart, c.LineEnd))
	}
	for n := range markers {
		if !seen[n] {
			t.Errorf("marker [%d] in the answer has no citation", n)
		}
	}
	if len(cits) == 0 {
		if sources != "" {
			t.Errorf("no citations, but a Sources section: %q", sources)
		}
		return
	}
	if sources != wantSources.String() {
		t.Errorf("Sources section\n%q\nwant\n%q", sources, wantSources.String())
	}
}

// TestChatCompletion: go-openai's CreateChatCompletion gets the answer with
// its markers and a Sources list, and the raw JSON adds citations that are
// exact spans of the files.
func TestChatCompletion(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	client := newOpenAIClient(env)
	ctx := context.Background()

	cases := []struct {
		q, doc, fact string
		line         int
	}{
		{qHarbour, "harbour.txt", "1966", 3},
		{qTreaty, "sub/treaty.md", "Oslo", 3},
	}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: userMsg(tc.q)})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Choices) != 1 {
				t.Fatalf("%d choices, want 1", len(resp.Choices))
			}
			ch := resp.Choices[0]
			if ch.FinishReason != openai.FinishReasonStop {
				t.Errorf("finish reason %q, want stop", ch.FinishReason)
			}
			if ch.Message.Role != openai.ChatMessageRoleAssistant {
				t.Errorf("role %q", ch.Message.Role)
			}
			if resp.Model != Model || resp.Object != "chat.completion" || resp.ID == "" {
				t.Errorf("model %q, object %q, id %q", resp.Model, resp.Object, resp.ID)
			}
			if resp.Usage.TotalTokens <= 0 {
				t.Errorf("usage %+v", resp.Usage)
			}
			content := ch.Message.Content
			body, sources := splitReply(content)
			if !strings.Contains(body, tc.fact) || !strings.Contains(body, "[1]") {
				t.Errorf("answer %q lacks %q or [1]", body, tc.fact)
			}
			if !strings.HasPrefix(sources, "\n\nSources:\n[1] ") {
				t.Errorf("no Sources section starting with [1]: %q", content)
			}
			if want := fmt.Sprintf(" — %s, line %d\n", tc.doc, tc.line); !strings.Contains(sources, want) {
				t.Errorf("Sources %q lacks %q", sources, want)
			}

			// The same question, raw: the citations array.
			raw := decodeChatResponse(t, postChat(t, env, chatJSON(t, tc.q, nil)))
			if raw.Choices[0].Message.Content != content {
				t.Errorf("raw content %q differs from go-openai's %q", raw.Choices[0].Message.Content, content)
			}
			if len(raw.Citations) == 0 {
				t.Fatalf("no citations")
			}
			if raw.Citations[0].N != 1 || raw.Citations[0].Document != tc.doc || raw.Citations[0].LineStart != tc.line {
				t.Errorf("first citation %+v", raw.Citations[0])
			}
			if want := fmt.Sprintf("[1] %s — %s, line %d\n", raw.Citations[0].Title, tc.doc, tc.line); !strings.Contains(sources, want) {
				t.Errorf("Sources %q lacks %q", sources, want)
			}
			checkCitations(t, env, content, raw.Citations)
			// Beside the citations, the answer's confidence, as /v1/ask gives it.
			asked := env.ask(t, tc.q)
			if raw.Confidence == nil || *raw.Confidence != asked.Confidence || asked.Confidence <= 0 || asked.Confidence > 1 {
				t.Errorf("confidence %v, want /v1/ask's %v (within (0, 1])", raw.Confidence, asked.Confidence)
			}
		})
	}

	t.Run("conversation", func(t *testing.T) {
		// The last user message is the question, whatever came before,
		// in either order.
		for _, order := range [][2]string{{qHarbour, qTreaty}, {qTreaty, qHarbour}} {
			msgs := []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleSystem, Content: "You answer from the documents."},
				{Role: openai.ChatMessageRoleUser, Content: order[0]},
				{Role: openai.ChatMessageRoleAssistant, Content: "An earlier answer [1].\n\nSources:\n[1] Something — x.txt, line 1\n"},
				{Role: openai.ChatMessageRoleUser, Content: order[1]},
			}
			got, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			direct, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: userMsg(order[1])})
			if err != nil {
				t.Fatal(err)
			}
			if got.Choices[0].Message.Content != direct.Choices[0].Message.Content {
				t.Errorf("conversation ending in %q answered\n%q\nbut the question alone gets\n%q", order[1], got.Choices[0].Message.Content, direct.Choices[0].Message.Content)
			}
		}
		// A trailing assistant message does not hide the last user message.
		msgs := []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleUser, Content: qTreaty},
			{Role: openai.ChatMessageRoleAssistant, Content: "Let me look."},
		}
		got, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Choices[0].Message.Content; !strings.Contains(c, "Oslo") {
			t.Errorf("answer %q lacks Oslo", c)
		}
	})

	t.Run("multi-content", func(t *testing.T) {
		msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, MultiContent: []openai.ChatMessagePart{
			{Type: openai.ChatMessagePartTypeText, Text: qTreaty},
		}}}
		got, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Choices[0].Message.Content; !strings.Contains(c, "Oslo") || !strings.Contains(c, "sub/treaty.md") {
			t.Errorf("answer %q lacks Oslo or the file", c)
		}
		// Raw, with an image part beside the text: the image is ignored.
		raw := decodeChatResponse(t, postChat(t, env, `{"model":"citebot","messages":[{"role":"user","content":[`+
			`{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},`+
			`{"type":"text","text":"When did the harbour of Vardø freeze?"}]}]}`))
		if c := raw.Choices[0].Message.Content; !strings.Contains(c, "1966") {
			t.Errorf("answer %q lacks 1966", c)
		}
		checkCitations(t, env, raw.Choices[0].Message.Content, raw.Citations)
	})
}

// TestChatCompletionNotFound: a question the documents do not answer gets
// a plain "don't say", no Sources and an empty citations array.
func TestChatCompletionNotFound(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	resp, err := newOpenAIClient(env).CreateChatCompletion(context.Background(),
		openai.ChatCompletionRequest{Model: Model, Messages: userMsg(qEthanol)})
	if err != nil {
		t.Fatal(err)
	}
	content := resp.Choices[0].Message.Content
	if !strings.Contains(content, "don't say") {
		t.Errorf("reply %q does not say the documents don't say", content)
	}
	if strings.Contains(content, "Sources") || markerRE.MatchString(content) {
		t.Errorf("reply %q has sources or markers", content)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("finish reason %q", resp.Choices[0].FinishReason)
	}

	r := postChat(t, env, chatJSON(t, qEthanol, nil))
	decodeChatResponse(t, r)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &fields); err != nil {
		t.Fatal(err)
	}
	if got := string(fields["citations"]); got != "[]" {
		t.Errorf(`"citations" is %s, want []`, got)
	}
	// How near the closest sentence came: below the threshold.
	var conf float64
	if err := json.Unmarshal(fields["confidence"], &conf); err != nil || conf < 0 || conf >= 1 {
		t.Errorf(`"confidence" is %s (%v), want a number within [0, 1)`, fields["confidence"], err)
	}
}

// sseEvent is one decoded chunk of a stream.
type sseChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage     *usage            `json:"usage"`
	Citations []answer.Citation `json:"citations"`

	raw map[string]json.RawMessage
}

// readSSE checks the framing of a raw stream, byte for byte: every event
// is "data: <one line>\n\n", the last is "data: [DONE]\n\n" and nothing
// follows. It returns the chunks before [DONE].
func readSSE(t *testing.T, r rawResult) []sseChunk {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	body := string(r.Body)
	if !strings.HasSuffix(body, "\n\ndata: [DONE]\n\n") {
		t.Fatalf("stream does not end with exactly data: [DONE] and a blank line: %q", body)
	}
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	if events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("last event %q", events[len(events)-1])
	}
	var chunks []sseChunk
	for i, ev := range events[:len(events)-1] {
		payload, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(payload, "\n") || payload == "" {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
		if payload == "[DONE]" {
			t.Fatalf("[DONE] at event %d, before the end", i)
		}
		var c sseChunk
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			t.Fatalf("event %d: %v: %s", i, err, payload)
		}
		if err := json.Unmarshal([]byte(payload), &c.raw); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	if len(chunks) == 0 {
		t.Fatal("no chunks before [DONE]")
	}
	for i, c := range chunks {
		if c.Object != "chat.completion.chunk" || c.Model != Model || c.Created == 0 || !strings.HasPrefix(c.ID, "chatcmpl-") {
			t.Errorf("chunk %d: object %q, model %q, created %d, id %q", i, c.Object, c.Model, c.Created, c.ID)
		}
		if c.ID != chunks[0].ID || c.Created != chunks[0].Created {
			t.Errorf("chunk %d: id %q created %d, but the first chunk has %q %d", i, c.ID, c.Created, chunks[0].ID, chunks[0].Created)
		}
	}
	if len(chunks[0].Choices) != 1 || chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Errorf("the first chunk does not give the role assistant: %+v", chunks[0])
	}
	return chunks
}

// streamResult is what a client makes of a stream's chunks.
type streamResult struct {
	content   string
	finish    *sseChunk // the chunk with finish_reason "stop"
	usage     *sseChunk // a chunk with usage
	usageLast bool      // the usage chunk is the last before [DONE]
}

func collectStream(t *testing.T, chunks []sseChunk) streamResult {
	t.Helper()
	var res streamResult
	for i := range chunks {
		c := &chunks[i]
		if c.Usage != nil {
			if res.usage != nil {
				t.Errorf("two usage chunks")
			}
			res.usage, res.usageLast = c, i == len(chunks)-1
			if len(c.Choices) != 0 {
				t.Errorf("usage chunk has choices: %+v", c.Choices)
			}
			if raw := string(c.raw["choices"]); raw != "[]" {
				t.Errorf("usage chunk: choices %s, want []", raw)
			}
			continue
		}
		if len(c.Choices) != 1 {
			t.Errorf("chunk %d has %d choices", i, len(c.Choices))
			continue
		}
		ch := c.Choices[0]
		if res.finish != nil {
			t.Errorf("chunk %d comes after the finish chunk", i)
		}
		res.content += ch.Delta.Content
		if ch.FinishReason != nil {
			if *ch.FinishReason != "stop" {
				t.Errorf("finish reason %q", *ch.FinishReason)
			}
			res.finish = c
		} else if _, ok := c.raw["citations"]; ok {
			t.Errorf("chunk %d carries citations but does not finish", i)
		} else if _, ok := c.raw["confidence"]; ok {
			t.Errorf("chunk %d carries confidence but does not finish", i)
		}
	}
	if res.finish == nil {
		t.Fatal("no chunk has finish_reason stop")
	}
	return res
}

// TestChatCompletionStream: the stream, read by go-openai and raw, says
// exactly what the non-streaming reply says, framed as OpenAI clients
// expect.
func TestChatCompletionStream(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	client := newOpenAIClient(env)
	ctx := context.Background()

	for _, q := range []string{qHarbour, qTreaty, qEthanol} {
		t.Run(q, func(t *testing.T) {
			plain := decodeChatResponse(t, postChat(t, env, chatJSON(t, q, nil)))
			want := plain.Choices[0].Message.Content

			// go-openai.
			for _, withUsage := range []bool{false, true} {
				req := openai.ChatCompletionRequest{Model: Model, Messages: userMsg(q), Stream: true}
				if withUsage {
					req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
				}
				stream, err := client.CreateChatCompletionStream(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				var got strings.Builder
				var finish openai.FinishReason
				var gotUsage *openai.Usage
				ids := map[string]bool{}
				for {
					resp, err := stream.Recv()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						stream.Close()
						t.Fatalf("Recv: %v", err)
					}
					ids[resp.ID] = true
					if resp.Usage != nil {
						gotUsage = resp.Usage
					}
					for _, ch := range resp.Choices {
						got.WriteString(ch.Delta.Content)
						if ch.FinishReason != "" {
							finish = ch.FinishReason
						}
					}
				}
				// After the end, Recv keeps saying io.EOF.
				if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
					t.Errorf("Recv after the end: %v, want io.EOF", err)
				}
				stream.Close()
				if got.String() != want {
					t.Errorf("streamed content\n%q\nwant (non-streaming)\n%q", got.String(), want)
				}
				if finish != openai.FinishReasonStop {
					t.Errorf("finish reason %q", finish)
				}
				if len(ids) != 1 {
					t.Errorf("chunk ids %v, want one", ids)
				}
				if withUsage && (gotUsage == nil || gotUsage.TotalTokens != plain.Usage.TotalTokens) {
					t.Errorf("usage %+v, want %+v", gotUsage, plain.Usage)
				}
				if !withUsage && gotUsage != nil {
					t.Errorf("usage %+v without include_usage", gotUsage)
				}
			}

			// Raw, without usage.
			res := collectStream(t, readSSE(t, postChat(t, env, chatJSON(t, q, map[string]any{"stream": true}))))
			if res.content != want {
				t.Errorf("raw streamed content\n%q\nwant\n%q", res.content, want)
			}
			if res.usage != nil {
				t.Errorf("a usage chunk without include_usage")
			}
			if string(res.finish.raw["citations"]) == "" {
				t.Errorf("the finish chunk carries no citations array")
			}
			if !slices.Equal(res.finish.Citations, plain.Citations) && !(len(res.finish.Citations) == 0 && len(plain.Citations) == 0) {
				t.Errorf("stream citations %+v, want %+v", res.finish.Citations, plain.Citations)
			}
			if len(plain.Citations) == 0 && string(res.finish.raw["citations"]) != "[]" {
				t.Errorf("finish chunk citations %s, want []", res.finish.raw["citations"])
			}
			var conf *float64
			if err := json.Unmarshal(res.finish.raw["confidence"], &conf); err != nil || conf == nil || plain.Confidence == nil || *conf != *plain.Confidence {
				t.Errorf("finish chunk confidence %s (%v), want the non-streaming reply's %v", res.finish.raw["confidence"], err, plain.Confidence)
			}
			checkCitations(t, env, res.content, res.finish.Citations)

			// Raw, with usage: a usage chunk with no choices just before [DONE].
			res = collectStream(t, readSSE(t, postChat(t, env, chatJSON(t, q, map[string]any{
				"stream": true, "stream_options": map[string]any{"include_usage": true}}))))
			if res.content != want {
				t.Errorf("raw streamed content (with usage)\n%q\nwant\n%q", res.content, want)
			}
			if res.usage == nil || !res.usageLast {
				t.Fatalf("no usage chunk just before [DONE]")
			}
			if *res.usage.Usage != (usage{plain.Usage.PromptTokens, plain.Usage.CompletionTokens, plain.Usage.TotalTokens}) {
				t.Errorf("stream usage %+v, non-streaming %+v", *res.usage.Usage, plain.Usage)
			}

			// "include_usage": false is the same as no stream_options.
			res = collectStream(t, readSSE(t, postChat(t, env, chatJSON(t, q, map[string]any{
				"stream": true, "stream_options": map[string]any{"include_usage": false}}))))
			if res.usage != nil {
				t.Errorf("a usage chunk with include_usage false")
			}
		})
	}
}

// TestModels: one model, citebot, listed and fetched; any other is a 404.
func TestModels(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	client := newOpenAIClient(env)
	ctx := context.Background()

	list, err := client.ListModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Models) != 1 || list.Models[0].ID != Model || list.Models[0].Object != "model" || list.Models[0].OwnedBy == "" || list.Models[0].CreatedAt == 0 {
		t.Errorf("models %+v, want one: citebot", list.Models)
	}
	m, err := client.GetModel(ctx, Model)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != Model || m.Object != "model" {
		t.Errorf("model %+v", m)
	}

	r := getRaw(t, env.Server.URL+"/v1/models")
	var raw struct {
		Object string            `json:"object"`
		Data   []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &raw); err != nil || r.Status != 200 || raw.Object != "list" || len(raw.Data) != 1 {
		t.Errorf("GET /v1/models: %d %s (%v)", r.Status, r.Body, err)
	}

	r = getRaw(t, env.Server.URL+"/v1/models/other")
	checkErrorBody(t, r, http.StatusNotFound, "model_not_found")
	_, err = client.GetModel(ctx, "other")
	checkAPIError(t, err, http.StatusNotFound)
}

// checkErrorBody checks a raw error: the status and the JSON error object
// with a code (code "" accepts any) and a message.
func checkErrorBody(t *testing.T, r rawResult, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Errorf("error body %s: %v", r.Body, err)
		return
	}
	if e.Error.Message == "" || e.Error.Code == "" || (code != "" && e.Error.Code != code) {
		t.Errorf("error %+v, want code %q and a message", e.Error, code)
	}
}

// checkAPIError checks that go-openai reports an error response as an
// *openai.APIError with its status and message.
func checkAPIError(t *testing.T, err error, status int) {
	t.Helper()
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("error %v (%T), want *openai.APIError", err, err)
		return
	}
	if apiErr.HTTPStatusCode != status || apiErr.Message == "" {
		t.Errorf("APIError status %d message %q, want %d and a message", apiErr.HTTPStatusCode, apiErr.Message, status)
	}
}

// TestChatCompletionErrors: a client's mistakes are 4xx JSON errors that
// go-openai reports as APIErrors; fields citebot does not use are accepted.
func TestChatCompletionErrors(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	client := newOpenAIClient(env)
	ctx := context.Background()

	tooLong := strings.Repeat("harbour ", document.MaxQuestionChars/8) + "x" // document.MaxQuestionChars+1 characters
	if utf8.RuneCountInString(tooLong) != document.MaxQuestionChars+1 {
		t.Fatalf("tooLong has %d characters", utf8.RuneCountInString(tooLong))
	}
	huge := strings.Repeat("a", MaxBodyBytes+1)

	sys := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: "Be brief."}
	viaClient := []struct {
		name   string
		msgs   []openai.ChatCompletionMessage
		status int
	}{
		{"no messages", nil, 400},
		{"only system", []openai.ChatCompletionMessage{sys}, 400},
		{"only assistant", []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleAssistant, Content: "Hi."}}, 400},
		{"empty user message", append([]openai.ChatCompletionMessage{sys}, userMsg("")...), 400},
		{"blank user message", userMsg(" \n\t "), 400},
		{"last user message empty", append(userMsg(qHarbour), userMsg("")...), 400},
		{"too long", userMsg(tooLong), 400},
		{"body over 64 KiB", userMsg(huge), 413},
	}
	for _, tc := range viaClient {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: tc.msgs})
			checkAPIError(t, err, tc.status)
			_, err = client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: Model, Messages: tc.msgs, Stream: true})
			checkAPIError(t, err, tc.status)
		})
	}

	// A question of exactly the limit is fine, counted in characters, not bytes.
	atLimit := strings.Repeat("ø", document.MaxQuestionChars)
	if _, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: userMsg(atLimit)}); err != nil {
		t.Errorf("a question of %d characters: %v", document.MaxQuestionChars, err)
	}

	raw := []struct {
		name, body string
		status     int
		code       string
	}{
		{"empty body", ``, 400, "bad_json"},
		{"empty object", `{}`, 400, "missing_messages"},
		{"null messages", `{"model":"citebot","messages":null}`, 400, "missing_messages"},
		{"empty messages", `{"model":"citebot","messages":[]}`, 400, "missing_messages"},
		{"only system", `{"model":"citebot","messages":[{"role":"system","content":"Be brief."}]}`, 400, "missing_question"},
		{"empty user message", `{"model":"citebot","messages":[{"role":"user","content":""}]}`, 400, "bad_question"},
		{"user message without content", `{"model":"citebot","messages":[{"role":"user"}]}`, 400, "bad_question"},
		{"only an image", `{"model":"citebot","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`, 400, "bad_question"},
		{"too long", chatJSON(t, tooLong, nil), 400, "question_too_long"},
		{"too long, streaming", chatJSON(t, tooLong, map[string]any{"stream": true}), 400, "question_too_long"},
		{"malformed", `{"model":"citebot","messages":[{"role":"user","content":"hi"}]`, 400, "bad_json"},
		{"not JSON", `hello`, 400, "bad_json"},
		{"trailing garbage", chatJSON(t, qHarbour, nil) + `{}`, 400, "bad_json"},
		{"array body", `[]`, 400, "bad_json"},
		{"messages not an array", `{"messages":"hi"}`, 400, "bad_json"},
		{"content a number", `{"messages":[{"role":"user","content":5}]}`, 400, "bad_json"},
		{"stream not a bool", `{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}`, 400, "bad_json"},
		{"invalid UTF-8", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", 400, "bad_json"},
		{"over 64 KiB", chatJSON(t, huge, nil), 413, "body_too_large"},
		{"over 64 KiB, streaming", chatJSON(t, huge, map[string]any{"stream": true}), 413, "body_too_large"},
	}
	for _, tc := range raw {
		t.Run("raw "+tc.name, func(t *testing.T) {
			checkErrorBody(t, postChat(t, env, tc.body), tc.status, tc.code)
		})
	}

	t.Run("wrong method", func(t *testing.T) {
		r := getRaw(t, env.Server.URL+"/v1/chat/completions")
		checkErrorBody(t, r, http.StatusMethodNotAllowed, "")
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("Allow %q", allow)
		}
	})

	t.Run("unknown OpenAI fields", func(t *testing.T) {
		body := chatJSON(t, qHarbour, map[string]any{
			"temperature": 0.2, "top_p": 0.9, "stop": "END", "n": 2, "max_tokens": 50, "seed": 7,
			"presence_penalty": 0, "frequency_penalty": 0, "logit_bias": map[string]int{"50256": -100},
			"user": "someone", "response_format": map[string]any{"type": "text"},
			"tools": []any{map[string]any{"type": "function", "function": map[string]any{
				"name": "lookup", "description": "d", "parameters": map[string]any{"type": "object", "properties": map[string]any{}}}}},
			"tool_choice": "auto", "parallel_tool_calls": false, "logprobs": false, "metadata": map[string]string{"a": "b"},
		})
		resp := decodeChatResponse(t, postChat(t, env, body))
		if c := resp.Choices[0].Message.Content; !strings.Contains(c, "1966") {
			t.Errorf("answer %q", c)
		}
		// Messages with fields citebot does not use: names, tool calls, tool results.
		body = `{"model":"citebot","messages":[` +
			`{"role":"system","content":"Be brief.","name":"sys"},` +
			`{"role":"user","content":"hi","name":"ann"},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"nothing"},` +
			`{"role":"developer","content":"Cite."},` +
			`{"role":"user","content":"Where was the Treaty of Examples signed?","name":"ann"}]}`
		resp = decodeChatResponse(t, postChat(t, env, body))
		if c := resp.Choices[0].Message.Content; !strings.Contains(c, "Oslo") {
			t.Errorf("answer %q", c)
		}

		// Through go-openai. max_tokens is what older clients send: it
		// must be accepted (and ignored) however deprecated.
		got, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			//lint:ignore SA1019 the deprecated field is the point of the test
			Model: Model, Messages: userMsg(qTreaty), Temperature: 0.3, Stop: []string{"END"}, N: 2, MaxTokens: 40,
			Tools: []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "lookup", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Choices[0].Message.Content; !strings.Contains(c, "Oslo") {
			t.Errorf("answer %q", c)
		}
	})
}

// TestChatCompletionNotReady: before the index is loaded the endpoint
// answers 503 with a JSON error, streaming or not; the model list does not
// need the index.
func TestChatCompletionNotReady(t *testing.T) {
	env := newTestEnv(t, Config{}, false)
	client := newOpenAIClient(env)
	ctx := context.Background()

	checkErrorBody(t, postChat(t, env, chatJSON(t, qHarbour, nil)), http.StatusServiceUnavailable, "not_ready")
	checkErrorBody(t, postChat(t, env, chatJSON(t, qHarbour, map[string]any{"stream": true})), http.StatusServiceUnavailable, "not_ready")

	_, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: Model, Messages: userMsg(qHarbour)})
	checkAPIError(t, err, http.StatusServiceUnavailable)
	_, err = client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: Model, Messages: userMsg(qHarbour), Stream: true})
	checkAPIError(t, err, http.StatusServiceUnavailable)

	// A client's mistake is still its mistake, not a 503.
	checkErrorBody(t, postChat(t, env, `{"messages":[]}`), http.StatusBadRequest, "missing_messages")

	if _, err := client.ListModels(ctx); err != nil {
		t.Errorf("ListModels before the index loads: %v", err)
	}
}

// FuzzReplyText: whatever the titles, file names and answer text, the
// reply starts with the answer, lists every citation on its own Sources
// line, in order, and is valid UTF-8 when its inputs are.
func FuzzReplyText(f *testing.F) {
	f.Add("The Treaty of Examples", "sub/treaty.md", "It was signed in Oslo [1].", 1, 3, 3)
	f.Add("Harbour notes", "harbour.txt", "It froze in 1966 [1] and 1987 [2].", 2, 3, 5)
	f.Add("", "", "", 0, 0, 0)
	f.Add("ø — æ", "a b/c–d.txt", answer.NotFoundText, -1, 1, 1)
	f.Add("Sources:\n[1] x", "\n\n", "[1]\n\nSources:\n", 1, 7, 2)
	f.Add("\xff", "\xc3", "\xe2\x80", 3, 1, 2)
	f.Fuzz(func(t *testing.T, title, document, text string, n, lineStart, lineEnd int) {
		a := answer.Answer{Answer: text, Found: n > 0}
		// n > 0: citations [1]..[n] (at most 5), alternating two titles and files.
		for i := 1; i <= min(n, 5); i++ {
			c := answer.Citation{N: i, Title: title, Document: document, LineStart: lineStart, LineEnd: lineEnd}
			if i%2 == 0 {
				c.Title, c.Document, c.LineEnd = document, title, lineStart
			}
			a.Citations = append(a.Citations, c)
		}
		body, sources := replyText(a)
		reply := body + sources
		if body != text || !strings.HasPrefix(reply, text) {
			t.Fatalf("reply %q does not start with the answer %q", reply, text)
		}
		if utf8.ValidString(title) && utf8.ValidString(document) && utf8.ValidString(text) && !utf8.ValidString(reply) {
			t.Fatalf("reply %q is not valid UTF-8", reply)
		}
		if len(a.Citations) == 0 {
			if sources != "" {
				t.Fatalf("no citations, but sources %q", sources)
			}
			return
		}
		rest, ok := strings.CutPrefix(sources, "\n\nSources:\n")
		if !ok {
			t.Fatalf("sources %q do not start with the Sources heading", sources)
		}
		for _, c := range a.Citations {
			line := fmt.Sprintf("[%d] %s — %s, %s\n", c.N, c.Title, c.Document, wantLines(c.LineStart, c.LineEnd))
			if !strings.HasPrefix(rest, line) {
				t.Fatalf("sources %q lack the line %q for [%d] in its place", sources, line, c.N)
			}
			rest = rest[len(line):]
		}
		if rest != "" {
			t.Fatalf("sources %q have more than one line per citation: %q left", sources, rest)
		}
	})
}

// Only the citebot model is served: another name is a clear 404, as
// OpenAI answers for a model it does not have; no name, or another case,
// is citebot.
func TestChatCompletionModel(t *testing.T) {
	env := newTestEnv(t, Config{}, true)
	for model, want := range map[string]int{"citebot": 200, "CiteBot": 200, "": 200, "gpt-4o": 404} {
		body := `{"model":"` + model + `","messages":[{"role":"user","content":"When did the harbour of Vardø freeze?"}]}`
		resp, err := http.Post(env.Server.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 404 && !strings.Contains(string(raw), "model_not_found") {
			t.Errorf("model %q: %d %s, want %d", model, resp.StatusCode, raw, want)
		}
	}
}
