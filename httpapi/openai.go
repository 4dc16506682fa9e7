package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"citebot/answer"
	"citebot/corpus"
)

// Model is the one model the OpenAI-compatible endpoint offers.
const Model = "citebot"

// modelCreated is the model's "created" time for /v1/models: fixed, as
// the model does not change between runs.
const modelCreated = 1767225600 // 2026-01-01

// chatRequest is the part of an OpenAI chat completion request citebot
// uses; other fields (temperature, stop, tools, ...) are accepted and
// ignored, so that existing clients work unchanged. go-openai's message
// type reads content given as a string or as an array of parts.
type chatRequest struct {
	Model         string                         `json:"model"`
	Messages      []openai.ChatCompletionMessage `json:"messages"`
	Stream        bool                           `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatChoice struct {
	Index        int         `json:"index"`
	Message      chatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// usage counts are estimates (about four bytes a token): citebot has no
// tokenizer, and clients only display them.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatResponse struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	Created   int64             `json:"created"`
	Model     string            `json:"model"`
	Choices   []chatChoice      `json:"choices"`
	Usage     usage             `json:"usage"`
	Citations []answer.Citation `json:"citations"`
	// Confidence is the answer object's: the answer model's calibrated
	// probability that the first citation answers (0 for an answer a
	// language model wrote).
	Confidence float64 `json:"confidence"`
}

type chatDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

type streamChoice struct {
	Index        int       `json:"index"`
	Delta        chatDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
}

// chatChunk is one streamed event. Citations is omitzero, not omitempty:
// only the finish chunk sets it, and there an answer without citations
// must still say "citations": [], as the non-streaming reply does.
// Confidence, likewise, only in the finish chunk (where 0 is said).
type chatChunk struct {
	ID         string            `json:"id"`
	Object     string            `json:"object"`
	Created    int64             `json:"created"`
	Model      string            `json:"model"`
	Choices    []streamChoice    `json:"choices"`
	Usage      *usage            `json:"usage,omitempty"`
	Citations  []answer.Citation `json:"citations,omitzero"`
	Confidence *float64          `json:"confidence,omitempty"`
}

func handleChatCompletions(cfg Config, lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[chatRequest](w, r, false)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.Model != "" && !strings.EqualFold(req.Model, Model) {
			writeError(w, r, errorf(http.StatusNotFound, "model_not_found", "no model %q; the only model is %q", req.Model, Model))
			return
		}
		question, err := lastUserMessage(req.Messages)
		if err != nil {
			writeError(w, r, err)
			return
		}
		// The turns before the question let a language model read a
		// follow-up ("and when did it enter into force?").
		r = r.WithContext(answer.WithHistory(r.Context(), earlierTurns(req.Messages)))
		id, created := "chatcmpl-"+randomID(), time.Now().Unix()
		if req.Stream {
			var includeUsage bool
			if req.StreamOptions != nil {
				includeUsage = req.StreamOptions.IncludeUsage
			}
			streamChat(w, r, cfg, lib, question, chatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: Model}, includeUsage)
			return
		}
		a, err := ask(r.Context(), cfg, lib, question, cfg.DefaultK)
		if err != nil {
			writeError(w, r, err)
			return
		}
		body, sources := replyText(a)
		u := usage{PromptTokens: tokens(question), CompletionTokens: tokens(body) + tokens(sources)}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		encode(w, http.StatusOK, chatResponse{ID: id, Object: "chat.completion", Created: created, Model: Model,
			Choices: []chatChoice{{Message: chatMessage{Role: "assistant", Content: body + sources}, FinishReason: "stop"}},
			Usage:   u, Citations: nonNil(a.Citations), Confidence: a.Confidence})
	})
}

func nonNil(c []answer.Citation) []answer.Citation {
	if c == nil {
		return []answer.Citation{}
	}
	return c
}

// streamChat sends the reply as server-sent events in the OpenAI chunk
// format: the role, the answer's text as it is written (a language
// model's, checked as it goes; an extractive answer in one piece), its
// sources, a last chunk with the finish reason, the citations and the
// confidence, the usage when asked for, then "data: [DONE]". A request
// that cannot be answered gets its JSON error before any event.
func streamChat(w http.ResponseWriter, r *http.Request, cfg Config, lib corpus.Library, question string, base chatChunk, includeUsage bool) {
	if err := checkAsk(question, cfg.DefaultK); err != nil {
		writeError(w, r, err)
		return
	}
	if _, ok := lib.View(); !ok {
		writeError(w, r, errNotReady)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a slow reader is bounded by its own connection, not a fixed deadline
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies must not hold events back
	w.WriteHeader(http.StatusOK)

	broken := false
	send := func(v any) {
		if broken {
			return
		}
		b, err := json.Marshal(v)
		if err == nil {
			_, err = fmt.Fprintf(w, "data: %s\n\n", b)
		}
		if err == nil {
			err = rc.Flush()
		}
		broken = err != nil
	}
	chunk := func(d chatDelta, finish *string) chatChunk {
		c := base
		c.Choices = []streamChoice{{Delta: d, FinishReason: finish}}
		return c
	}
	send(chunk(chatDelta{Role: "assistant"}, nil))
	a, err := askStream(r.Context(), cfg, lib, question, func(text string) {
		if text != "" {
			send(chunk(chatDelta{Content: text}, nil))
		}
	})
	if err != nil {
		// The status is sent: the error travels as an event, as OpenAI's do.
		var e *Error
		if !errors.As(err, &e) {
			logger(r.Context()).Error("streamed answer failed", "err", err)
			e = &Error{Code: "internal", Message: "something went wrong on our side; the error is logged"}
		}
		var body errorBody
		body.Error.Code, body.Error.Message = e.Code, e.Message
		send(body)
	} else {
		body, sources := replyText(a)
		if sources != "" {
			send(chunk(chatDelta{Content: sources}, nil))
		}
		stop := "stop"
		last := chunk(chatDelta{}, &stop)
		last.Citations, last.Confidence = nonNil(a.Citations), &a.Confidence
		send(last)
		if includeUsage {
			u := usage{PromptTokens: tokens(question), CompletionTokens: tokens(body) + tokens(sources)}
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
			c := base
			c.Choices, c.Usage = []streamChoice{}, &u
			send(c)
		}
	}
	if !broken {
		fmt.Fprint(w, "data: [DONE]\n\n")
		rc.Flush()
	}
}

// lastUserMessage is the question: the text of the last message from the
// user (text parts joined, images and other parts ignored).
func lastUserMessage(msgs []openai.ChatCompletionMessage) (string, error) {
	if len(msgs) == 0 {
		return "", errorf(http.StatusBadRequest, "missing_messages", `the body needs "messages", with at least one message from the user`)
	}
	if i := lastUser(msgs); i >= 0 {
		return messageText(msgs[i]), nil
	}
	return "", errorf(http.StatusBadRequest, "missing_question", `no message has the role "user"; the last user message is the question`)
}

func lastUser(msgs []openai.ChatCompletionMessage) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == openai.ChatMessageRoleUser {
			return i
		}
	}
	return -1
}

func messageText(m openai.ChatCompletionMessage) string {
	if len(m.MultiContent) == 0 {
		return m.Content
	}
	var parts []string
	for _, p := range m.MultiContent {
		if p.Type == openai.ChatMessagePartTypeText {
			parts = append(parts, p.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// earlierTurns are the user's and the assistant's messages before the
// question, the assistant's without the sources list citebot appends.
func earlierTurns(msgs []openai.ChatCompletionMessage) []answer.Turn {
	var turns []answer.Turn
	for _, m := range msgs[:max(0, lastUser(msgs))] {
		if m.Role != openai.ChatMessageRoleUser && m.Role != openai.ChatMessageRoleAssistant {
			continue
		}
		text, _, _ := strings.Cut(messageText(m), "\n\nSources:\n")
		if text = strings.TrimSpace(text); text != "" {
			turns = append(turns, answer.Turn{Role: m.Role, Text: text})
		}
	}
	return turns
}

// replyText renders an answer for a chat client: the answer with its [n]
// markers, then a "Sources" list with each citation's title, file and
// lines (the exact quotes travel in the citations array).
func replyText(a answer.Answer) (body, sources string) {
	var b strings.Builder
	if a.Note != "" {
		b.WriteString("\n\n(" + a.Note + ")")
	}
	if len(a.Citations) == 0 {
		return a.Answer, b.String()
	}
	b.WriteString("\n\nSources:\n")
	for _, c := range a.Citations {
		fmt.Fprintf(&b, "[%d] %s — %s, %s\n", c.N, c.Title, c.Document, lines(c.Page, c.LineStart, c.LineEnd))
	}
	return a.Answer, b.String()
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

var citebotModel = model{ID: Model, Object: "model", Created: modelCreated, OwnedBy: "citebot"}

func handleModels() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, struct {
			Object string  `json:"object"`
			Data   []model `json:"data"`
		}{"list", []model{citebotModel}})
	})
}

func handleModel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("model"); id != Model {
			writeError(w, r, errorf(http.StatusNotFound, "model_not_found", "no model %q; the only model is %q", id, Model))
			return
		}
		encode(w, http.StatusOK, citebotModel)
	})
}
