package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"citebot/answer"
)

// MaxBodyBytes bounds a request body (64 KiB); a larger one is answered
// 413.
const MaxBodyBytes = 64 << 10

// Error is the one error type handlers return: a code for programs, a
// status, and a message for the person reading it. Anything else a handler
// meets is logged and answered as a plain 500.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// errorBody is the JSON error object every error is answered with,
// {"error": {"code": "...", "message": "..."}}; clients rely on its shape.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// encode writes v as JSON with the status; the Content-Type is set before
// WriteHeader, or it would be lost.
func encode(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	if a, ok := v.(answer.Answer); ok {
		if b, ok := appendAnswer(buf.AvailableBuffer(), &a); ok {
			buf.Write(b)
			write(w, status, buf)
			return
		}
	}
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Only a programming mistake gets here: report it as one.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"the response could not be encoded"}}` + "\n")
	}
	write(w, status, buf)
}

// write sends a JSON body with the status.
func write(w http.ResponseWriter, status int, buf *bytes.Buffer) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// jsonContentType is every JSON response's Content-Type, one slice for
// all: nothing changes a header value in place.
var jsonContentType = []string{"application/json"}

// buffers hold request and response bodies, from request to request: an
// answer's JSON is some 20 KB, grown afresh each time it was encoded.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// putBuffer keeps a buffer for another request, unless it grew so large
// (a document's text) that keeping it would hold memory for nothing.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		buffers.Put(b)
	}
}

// writeError answers with the error object. Errors that are not *Error are
// the server's own: logged in full, answered with a plain message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		logger(r.Context()).Error("request failed", "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong on our side; the error is logged"}
	}
	var body errorBody
	body.Error.Code, body.Error.Message = e.Code, e.Message
	encode(w, e.Status, body)
}

// decode reads a JSON request body into a T: at most MaxBodyBytes, valid
// UTF-8 (encoding/json would silently turn invalid bytes into U+FFFD, and
// a question must be what the client sent), exactly one JSON value, and,
// when strict, no unknown fields (a misspelt "questoin" must not pass as
// an empty question).
func decode[T any](w http.ResponseWriter, r *http.Request, strict bool) (T, error) {
	var v T
	buf := getBuffer()
	defer putBuffer(buf)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	raw := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return v, errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is over %d bytes", MaxBodyBytes)
		}
		return v, errorf(http.StatusBadRequest, "bad_body", "the request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return v, errorf(http.StatusBadRequest, "bad_json", "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(raw) {
		return v, errorf(http.StatusBadRequest, "bad_json", "the request body is not valid UTF-8")
	}
	if loneSurrogate(raw) {
		// encoding/json would decode "\ud800" to U+FFFD as silently as
		// invalid bytes.
		return v, errorf(http.StatusBadRequest, "bad_json", "the request body escapes half of a UTF-16 surrogate pair (\\uD800-\\uDFFF), which is no character")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&v); err != nil {
		return v, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, errorf(http.StatusBadRequest, "bad_json", "the request body holds more than one JSON value")
	}
	if strict {
		if err := exactFields[T](raw); err != nil {
			return v, err
		}
	}
	return v, nil
}

// jsonError turns a decoding error into a message that says where the
// body went wrong.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errorf(http.StatusBadRequest, "bad_json", "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errorf(http.StatusBadRequest, "bad_json", "the request body must be a JSON object, not %s", typ.Value)
		}
		return errorf(http.StatusBadRequest, "bad_json", "field %q must be %s, not %s", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "bad_json", "the JSON body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "unknown_field", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errorf(http.StatusBadRequest, "bad_json", "the request body is not valid JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + kind
}

// logger returns the request's logger (with its request id).
func logger(ctx interface{ Value(any) any }) *slog.Logger {
	if s := state(ctx); s != nil {
		return s.log
	}
	return slog.Default()
}

// loneSurrogate reports whether a JSON text holds a \u escape of a UTF-16
// surrogate that is not part of a high-low pair.
func loneSurrogate(raw []byte) bool {
	pendingHigh := false
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			if pendingHigh {
				return true
			}
			continue
		}
		if i+1 >= len(raw) || raw[i+1] != 'u' || i+6 > len(raw) {
			if pendingHigh {
				return true
			}
			i++ // an escaped character, \\ included
			continue
		}
		u, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		i += 5
		switch {
		case err != nil:
			return false // malformed; the decoder reports it
		case 0xD800 <= u && u < 0xDC00:
			if pendingHigh {
				return true
			}
			pendingHigh = true
		case 0xDC00 <= u && u < 0xE000:
			if !pendingHigh {
				return true
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return true
			}
		}
	}
	return pendingHigh
}
