package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"citebot/answer"
)

// serve runs one request through the API's handler, in process.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkErrorObject checks that a recorded error is the error object.
func checkErrorObject(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("status %d: the body %q is not the error object (%v)", rec.Code, rec.Body.Bytes(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("status %d: Content-Type %q, want application/json", rec.Code, ct)
	}
}

// FuzzDecodeAsk sends arbitrary bytes as the body of POST /v1/ask: the
// answer is always 200, 400 or 413, always JSON, and a 200 is an answer
// object whose quotes are exactly the documents' bytes.
func FuzzDecodeAsk(f *testing.F) {
	for _, seed := range []string{
		`{"question":"When did the harbour of Vardø freeze?"}`,
		`{"question":"When was the Treaty of Examples signed?","k":1}`,
		`{"question":"What is the boiling point of ethanol?","k":50}`,
		`{"question":"Who wrote The Treaty of Examples?"}`,
		`{"question":"1966"}`,
		`{"question":"\u0000\ud800"}`,
		`{"question":"abc","k":"5"}`,
		`{"question":"abc","k":5.5}`,
		`{"question":7}`,
		`{"question":"abc","x":1}`,
		`{"question":"a"}{"question":"b"}`,
		`{"question":" "}`,
		`{"k":0}`,
		`{"question":"abc","k":-1}`,
		`{"question":"abc","k":51}`,
		`null`,
		`[]`,
		`{`,
		"",
		"{\"question\":\"\xff\"}",
		`{"question":"` + strings.Repeat("ø", 4001) + `"}`,
		`{"question":"` + strings.Repeat("a", MaxBodyBytes) + `"}`,
		`{"QUESTION":"When did the harbour freeze?"}`,
		`{"question":"harbour harbour harbour [1] [2]"}`,
	} {
		f.Add([]byte(seed))
	}
	env := newTestEnv(f, Config{}, true)
	h := env.Server.Config.Handler
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/ask", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := serve(h, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d: the body is not JSON: %q", rec.Code, rec.Body.Bytes())
		}
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			checkErrorObject(t, rec)
			return
		default:
			t.Fatalf("status %d (%s), want 200, 400 or 413", rec.Code, rec.Body.Bytes())
		}
		var a answer.Answer
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("the answer does not decode: %v", err)
		}
		checkAnswer(t, env.diskDocs, a)
	})
}

// FuzzDocumentSpan asks for arbitrary ?start=&end= spans of a document:
// never a 5xx; a 200 is exactly the bytes the span names, and a 400 comes
// only for a span that is not a valid one.
func FuzzDocumentSpan(f *testing.F) {
	for _, s := range []struct {
		start, end string
		which      uint8
	}{
		{"0", "5", 3}, {"15", "33", 3}, {"10", "5", 3}, {"", "", 3}, {"-1", "3", 3},
		{"abc", "", 1}, {"1.5", "2", 3}, {"+2", "4", 3}, {"002", "0004", 3},
		{"99999999999999999999", "1", 3}, {"0", "9223372036854775807", 3},
		{"7", "7", 3}, {"3", "", 1}, {"", "3", 2}, {"0x1", "0", 3}, {" 1", "2 ", 3},
		{"1&start=2", "3", 3}, {"0", "1000", 2}, {"", "", 0}, {"-0", "0", 3},
	} {
		f.Add(s.start, s.end, s.which)
	}
	env := newTestEnv(f, Config{}, true)
	h := env.Server.Config.Handler
	ids := []string{"harbour.txt", "sub/treaty.md"}
	f.Fuzz(func(t *testing.T, start, end string, which uint8) {
		id := ids[int(which>>2)%len(ids)]
		text, _ := env.diskDocs(id)
		q := url.Values{}
		if which&1 != 0 {
			q.Set("start", start)
		}
		if which&2 != 0 {
			q.Set("end", end)
		}
		req := httptest.NewRequest(http.MethodGet, "/v1/documents/"+id+"?"+q.Encode(), nil)
		rec := serve(h, req)

		// What the span means: both offsets optional, each a whole
		// number ≥ 0, start ≤ end ≤ the size.
		s, e, valid := 0, len(text), true
		for _, p := range []struct {
			on  bool
			raw string
			v   *int
		}{{which&1 != 0, start, &s}, {which&2 != 0, end, &e}} {
			if !p.on {
				continue
			}
			n, err := strconv.Atoi(p.raw)
			if err != nil || n < 0 {
				valid = false
				continue
			}
			*p.v = n
		}
		valid = valid && s <= e && e <= len(text)

		switch rec.Code {
		case http.StatusOK:
			if !valid {
				t.Fatalf("start=%q end=%q (which %d): 200 for an invalid span", start, end, which)
			}
			if got, want := rec.Body.String(), text[s:e]; got != want {
				t.Fatalf("start=%q end=%q: got %q, want %q", start, end, got, want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		case http.StatusBadRequest:
			if valid {
				t.Fatalf("start=%q end=%q (which %d): 400 (%s) for the valid span [%d, %d)", start, end, which, rec.Body.Bytes(), s, e)
			}
			checkErrorObject(t, rec)
		default:
			t.Fatalf("start=%q end=%q (which %d): status %d (%s), want 200 or 400", start, end, which, rec.Code, rec.Body.Bytes())
		}
	})
}

// FuzzObjectKeys holds exactFields' scan of a body's keys to encoding/json's
// reading of them: the same keys refused, for every valid JSON text.
func FuzzObjectKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"question":"q","k":5}`, `{"questoin":"q"}`, `{"QUESTION":"q"}`, ` { "k" : [1,{"a":"}"}] , "x":null } `,
		`{"question":"a\"b","k":1}`, `{"questio\u006e":"q"}`, `{"a":{"b":{"c":[]}},"question":"\\"}`, `[1,2]`, `"str"`, `null`, `{"k":-1.5e3,"question":true}`,
		`{"question":"x","question":"y"}`, "{\"\":\"\"}", `{"é":"ü"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) || !utf8.Valid(raw) {
			return // decode refuses both before it asks exactFields
		}
		var keys map[string]json.RawMessage
		var unknown []string
		isObject := json.Unmarshal(raw, &keys) == nil && bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{"))
		names := fieldNames(reflect.TypeFor[askRequest]())
		for k := range keys {
			if !names[k] {
				unknown = append(unknown, k)
			}
		}
		var scanned []string
		complete := objectKeys(raw, func(k []byte) bool { scanned = append(scanned, string(k)); return true })
		if complete && !isObject {
			t.Fatalf("objectKeys(%q) read keys %q of no object", raw, scanned)
		}
		if complete {
			for _, k := range scanned {
				if _, ok := keys[k]; !ok {
					t.Fatalf("objectKeys(%q) read %q, which is no key (keys %q)", raw, k, scanned)
				}
			}
			if !bytes.Contains(raw, []byte(`\`)) && len(uniq(scanned)) != len(keys) {
				t.Fatalf("objectKeys(%q) read %q, encoding/json %d keys", raw, scanned, len(keys))
			}
		}
		err := exactFields[askRequest](raw)
		switch {
		case len(unknown) == 0 && err != nil:
			t.Fatalf("exactFields(%q) = %v, but every key is known", raw, err)
		case len(unknown) > 0 && err == nil:
			t.Fatalf("exactFields(%q) passed unknown keys %q", raw, unknown)
		case len(unknown) == 1 && err.Message != "unknown field "+strconv.Quote(unknown[0]):
			t.Fatalf("exactFields(%q) = %q, want unknown field %q", raw, err.Message, unknown[0])
		}
	})
}

func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}
