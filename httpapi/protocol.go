package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// closeAfterChunked answers a request sent with chunked transfer encoding
// and closes its connection. Such a request may have carried a
// Content-Length as well, which net/http drops before a handler can see
// it; RFC 9112 (section 6.3) says a server must then close the connection,
// since the two lengths may disagree on where the next request starts.
// Chunked requests are rare from API clients, so closing after every one
// costs little.
func closeAfterChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// exactFields refuses keys of the JSON object raw that name a field of T
// only when letters are folded: encoding/json matches keys without regard
// to case, so {"QUESTION": …} would be taken for "question" although
// unknown fields are refused.
func exactFields[T any](raw []byte) *Error {
	names := fieldNames(reflect.TypeFor[T]())
	var unknown []byte
	if objectKeys(raw, func(k []byte) bool {
		if !names[string(k)] {
			unknown = k
			return false
		}
		return true
	}) {
		if unknown != nil {
			return errorf(http.StatusBadRequest, "unknown_field", "unknown field %q", unknown)
		}
		return nil
	}
	// A key with an escape, or no object: let encoding/json read the keys.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil // not an object: decoding said so already
	}
	for k := range keys {
		if !names[k] {
			return errorf(http.StatusBadRequest, "unknown_field", "unknown field %q", k)
		}
	}
	return nil
}

// objectKeys calls fn with each key of the JSON object raw, in order, as
// its bytes between the quotes, until fn returns false. It reports false,
// having called fn or not, when raw is not an object or a key holds an
// escape: then the keys are encoding/json's to read. raw is valid JSON
// in valid UTF-8 (decode checked both), so a key without an escape is its
// bytes, and the scan need not check what it skips; it only stays in
// bounds. This spares each request a second decoding into a map.
func objectKeys(raw []byte, fn func(key []byte) bool) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return true
	}
	for i < len(raw) && raw[i] == '"' {
		end := i + 1
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				return false
			}
			end++
		}
		if end >= len(raw) {
			return false
		}
		if !fn(raw[i+1 : end]) {
			return true
		}
		i = skipSpace(raw, end+1)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, skipValue(raw, skipSpace(raw, i+1)))
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return true
		default:
			return false
		}
	}
	return false
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value at raw[i].
func skipValue(raw []byte, i int) int {
	depth := 0
	for i < len(raw) {
		switch raw[i] {
		case '"':
			i++
			for i < len(raw) && raw[i] != '"' {
				if raw[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i > 0 && (raw[i-1] == '"' || raw[i-1] == '}' || raw[i-1] == ']') {
			return i
		}
	}
	return i
}

// knownNames caches jsonNames by type: the request bodies are few types,
// and asking reflection again on every request would be waste.
var knownNames sync.Map // reflect.Type → map[string]bool

func fieldNames(t reflect.Type) map[string]bool {
	if names, ok := knownNames.Load(t); ok {
		return names.(map[string]bool)
	}
	names, _ := knownNames.LoadOrStore(t, jsonNames(t))
	return names.(map[string]bool)
}

// jsonNames are the keys encoding/json writes for struct type t.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return names
	}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

// serverError matches the plain-text answers net/http writes itself, before
// any handler runs, to a request it cannot parse (a malformed request
// line, headers over the limit, an unsupported transfer encoding). A
// handler's response always carries a Date header, so none matches.
var serverError = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?s)\AHTTP/1\.1 (\d{3}) [^\r\n]*\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n(.*)\z`)
})

// asJSONError rewrites such an answer as the API's JSON error object, with
// the same status; ok is false for anything else.
func asJSONError(p []byte) (out []byte, ok bool) {
	m := serverError().FindSubmatch(p)
	if m == nil {
		return nil, false
	}
	status, _ := strconv.Atoi(string(m[1]))
	text := string(m[2])
	if code, rest, found := strings.Cut(text, " "); found && code == string(m[1]) {
		text = rest // "400 Bad Request: …" → "Bad Request: …"
	}
	var body errorBody
	body.Error.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
	if body.Error.Code == "" {
		body.Error.Code = "bad_request"
	}
	body.Error.Message = "the request could not be read: " + text
	js, err := json.Marshal(body)
	if err != nil {
		return nil, false
	}
	js = append(js, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(js), js), true
}
