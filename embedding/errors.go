package embedding

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Error is a failed embeddings call: which endpoint and model, the last
// HTTP status (0 when no response came) and how many attempts were made.
type Error struct {
	Endpoint string
	Model    string
	Status   int
	Attempts int
	Err      error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("embeddings from %s (model %s)", e.Endpoint, e.Model)
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(", gave up after %d attempts", e.Attempts)
	}
	return msg + ": " + e.cause()
}

// maxBodyInMessage bounds how much of an error response's body a message
// quotes (a proxy's HTML error page, say).
const maxBodyInMessage = 300

// cause is what went wrong, without the status Error already gives:
// go-openai's own messages repeat it.
func (e *Error) cause() string {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(e.Err, &apiErr) && apiErr.HTTPStatusCode != 0:
		if apiErr.Message == "" {
			return "the server gave no message"
		}
		return apiErr.Message
	case errors.As(e.Err, &reqErr) && reqErr.HTTPStatusCode != 0:
		body := strings.Join(strings.Fields(string(reqErr.Body)), " ")
		if body == "" {
			return "empty response body"
		}
		if len(body) > maxBodyInMessage {
			body = strings.ToValidUTF8(body[:maxBodyInMessage], "") + "…"
		}
		return "response body: " + body
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
