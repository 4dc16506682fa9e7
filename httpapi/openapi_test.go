package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"citebot/answer"
	"citebot/corpus"
	"citebot/docfolder"
	"citebot/retrieval"
)

// operationStatuses is every status each route of routes.go can answer,
// as the handlers and the middleware in front of them produce it; the
// description must list exactly these (TestOpenAPIStatuses). Besides them
// any route may answer 500 internal (a panic), and the server itself 400,
// 431 or 501 to a request it cannot read: openapi.json says so once, in
// its info.
var operationStatuses = map[string][]int{
	// decode: 400, 413; checkAsk: 400; the guard: 401; the limiter: 429;
	// an answerer's own error: 500; not loaded, canceled: 503.
	"POST /v1/ask":       {200, 400, 401, 413, 429, 500, 503},
	"GET /v1/documents":  {200, 401, 429, 503},
	"POST /v1/documents": {200, 400, 401, 403, 409, 413, 415, 422, 429, 500, 503, 507},
	// span: 400; unknown id: 404; http.ServeContent: 206 (Range), 304
	// (If-None-Match), 412 (If-Match), 416 (a Range that does not fit).
	"GET /v1/documents/{id}": {200, 206, 304, 400, 401, 404, 412, 416, 429, 503},
	// adminOnly: 401, 403; haveFolder: 409; changeError: 400, 404, 409,
	// 413, 500 (reindex_failed), 503 (shutting_down), 507; answerChange:
	// 422.
	"PUT /v1/documents/{id}":    {200, 400, 401, 403, 409, 413, 422, 429, 500, 503, 507},
	"DELETE /v1/documents/{id}": {200, 400, 401, 403, 404, 409, 429, 500, 503, 507},
	"POST /v1/reindex":          {200, 401, 403, 429, 500, 503},
	// as ask, and 404 model_not_found.
	"POST /v1/chat/completions": {200, 400, 401, 404, 413, 429, 500, 503},
	"GET /v1/models":            {200, 401, 429},
	"GET /v1/models/{model}":    {200, 401, 404, 429},
	"GET /healthz":              {200},
	"GET /readyz":               {200, 503},
	// metricsAuth: 401, 403.
	"GET /metrics":      {200, 401, 403},
	"GET /openapi.json": {200},
	// the bot's WebhookHandler: 400, 401, 413, 503; no bot: 404.
	"POST /telegram/webhook": {200, 400, 401, 404, 413, 503},
}

// openAPIDoc is the part of openapi.json these tests read.
type openAPIDoc struct {
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		Responses       map[string]openAPIResponse `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Security    *[]map[string][]string     `json:"security"`
	Responses   map[string]openAPIResponse `json:"responses"`
}

type openAPIResponse struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema json.RawMessage `json:"schema"`
	} `json:"content"`
}

// operations returns the description's operations by "METHOD path", and
// the description.
func operations(t *testing.T) (map[string]openAPIOperation, openAPIDoc) {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	ops := map[string]openAPIOperation{}
	for path, item := range doc.Paths {
		for m, raw := range item {
			if m == "parameters" || m == "summary" || m == "description" || m == "servers" {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("paths[%q].%s: %v", path, m, err)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return ops, doc
}

// samplePath is a path the route pattern path matches: each {wildcard}
// filled in.
func samplePath(path string) string {
	return regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
}

// TestOpenAPIValid: openapi.json is one JSON object without a repeated
// key (encoding/json would keep the last silently, as other readers may
// not), and every $ref in it leads to something.
func TestOpenAPIValid(t *testing.T) {
	if !json.Valid(openAPI) {
		t.Fatal("openapi.json is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	if err := noRepeatedKeys(dec, "#"); err != nil {
		t.Error(err)
	} else if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Errorf("openapi.json holds more than one JSON value")
	}
	var doc any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolvePointer(doc, ref); err != nil {
					t.Errorf("%s: $ref %q: %v", at, ref, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
}

// noRepeatedKeys reads one JSON value from dec and reports an object that
// names a key twice.
func noRepeatedKeys(dec *json.Decoder, at string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("%s: key %q twice", at, key)
			}
			seen[key] = true
			if err := noRepeatedKeys(dec, at+"/"+key); err != nil {
				return err
			}
		}
		_, err = dec.Token() // }
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := noRepeatedKeys(dec, at+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ]
	}
	return err
}

// resolvePointer follows a local reference ("#/components/schemas/Error").
func resolvePointer(doc any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, errors.New("not a reference within the document")
	}
	v := doc
	for _, seg := range strings.Split(rest, "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is inside a value that is not an object", seg)
		}
		if v, ok = m[seg]; !ok {
			return nil, fmt.Errorf("no %q", seg)
		}
	}
	return v, nil
}

// TestOpenAPIOperations: every operation has a summary, an operationId
// (unique, usable as an identifier by client generators) and a security
// requirement (an empty list for an open one), and the document names
// servers and the security schemes its operations use.
func TestOpenAPIOperations(t *testing.T) {
	ops, doc := operations(t)
	ids := map[string]string{}
	identifier := regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	for key, op := range ops {
		switch {
		case op.OperationID == "":
			t.Errorf("%s has no operationId", key)
		case !identifier.MatchString(op.OperationID):
			t.Errorf("%s: operationId %q is not a lowerCamelCase identifier", key, op.OperationID)
		case ids[op.OperationID] != "":
			t.Errorf("operationId %q names both %s and %s", op.OperationID, ids[op.OperationID], key)
		}
		ids[op.OperationID] = key
		if op.Summary == "" {
			t.Errorf("%s has no summary", key)
		}
		if op.Security == nil {
			t.Errorf("%s says nothing of security (give [] for an open operation)", key)
			continue
		}
		for _, req := range *op.Security {
			for scheme := range req {
				if _, ok := doc.Components.SecuritySchemes[scheme]; !ok {
					t.Errorf("%s: security scheme %q is not in components.securitySchemes", key, scheme)
				}
			}
		}
	}
	if len(doc.Servers) == 0 {
		t.Error("openapi.json names no servers")
	}
	for _, s := range doc.Servers {
		if s.URL != "/" && !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
			t.Errorf("server %q: want / (the server serving the document) or citebot serve's default address", s.URL)
		}
	}
	if _, ok := doc.Components.SecuritySchemes["telegramSecret"]; !ok {
		t.Error("no security scheme for the Telegram webhook's secret token")
	}
}

// TestOpenAPIStatuses: each route's operation lists exactly the statuses
// of operationStatuses, and what follows from the middleware: 429 on the
// /v1/ routes (the rate limit), 401 where the key guard stands; an error
// status is answered with the error object. Each /v1/ path has its CORS
// preflight (OPTIONS: 204, 403 refused, and what the layers behind CORS
// answer an OPTIONS that is none: 401, 405, 429), and no other path has.
func TestOpenAPIStatuses(t *testing.T) {
	ops, doc := operations(t)
	routes := map[string]bool{}
	for _, route := range routesFromSource(t) {
		key := restWildcard.ReplaceAllString(route, "{$1}")
		routes[key] = true
		if _, ok := operationStatuses[key]; !ok {
			t.Errorf("route %q has no row in operationStatuses: which statuses can it answer?", route)
		}
	}
	for key := range operationStatuses {
		if !routes[key] {
			t.Errorf("operationStatuses has %q, which routes.go does not serve", key)
		}
	}
	g := &guard{}
	want := maps.Clone(operationStatuses)
	for key, statuses := range operationStatuses {
		_, path, _ := strings.Cut(key, " ")
		if strings.HasPrefix(path, "/v1/") && !slices.Contains(statuses, 429) {
			t.Errorf("operationStatuses[%q] lacks 429, which the rate limit answers on /v1/", key)
		}
		if !g.open(path) && !slices.Contains(statuses, 401) {
			t.Errorf("operationStatuses[%q] lacks 401, which the key guard answers", key)
		}
		if all, _ := corsMethods(samplePath(path)); all != nil {
			pre := []int{204, 403, 405, 429}
			if !g.open(path) {
				pre = append(pre, 401)
			}
			want["OPTIONS "+path] = pre
		}
	}
	for key, op := range ops {
		statuses, ok := want[key]
		if !ok {
			if strings.HasPrefix(key, "OPTIONS ") {
				t.Errorf("openapi.json describes %s, but CORS answers no preflight there", key)
			}
			continue // TestOpenAPICoversRoutes reports it
		}
		var got []int
		for code, resp := range op.Responses {
			n, err := strconv.Atoi(code)
			if err != nil {
				t.Errorf("%s: response %q is not a status", key, code)
				continue
			}
			got = append(got, n)
			if n >= 400 && !isErrorResponse(t, doc, resp) {
				t.Errorf("%s: %d is not answered with the error object in openapi.json", key, n)
			}
		}
		slices.Sort(got)
		statuses = slices.Sorted(slices.Values(statuses))
		if !slices.Equal(got, statuses) {
			t.Errorf("%s: openapi.json lists %v, the handlers answer %v", key, got, statuses)
		}
	}
	for key := range want {
		if _, ok := ops[key]; !ok && strings.HasPrefix(key, "OPTIONS ") {
			t.Errorf("openapi.json does not describe %s, the CORS preflight", key)
		}
	}
}

// isErrorResponse reports whether a response is JSON whose schema is the
// Error schema, or all of it and more.
func isErrorResponse(t *testing.T, doc openAPIDoc, resp openAPIResponse) bool {
	t.Helper()
	if name, ok := strings.CutPrefix(resp.Ref, "#/components/responses/"); ok {
		resp = doc.Components.Responses[name]
	}
	c, ok := resp.Content["application/json"]
	if !ok {
		return false
	}
	var schema struct {
		Ref   string `json:"$ref"`
		AllOf []struct {
			Ref string `json:"$ref"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(c.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	const errorSchema = "#/components/schemas/Error"
	return schema.Ref == errorSchema || (len(schema.AllOf) > 0 && schema.AllOf[0].Ref == errorSchema)
}

// TestOpenAPISchemas: each schema of a Go type the API encodes names
// exactly the keys that type writes, and requires those it always writes
// (page, pages, note and the like are omitted when empty, so they are
// optional).
func TestOpenAPISchemas(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"Answer":       answer.Answer{},
		"Citation":     answer.Citation{},
		"Passage":      answer.Passage{},
		"DocumentInfo": retrieval.DocumentInfo{},
		"Summary":      corpus.Result{}, // the reindex's answer
		"FileResult":   docfolder.FileResult{},
		"ChatResponse": chatResponse{},
		"Model":        model{},
		"Error":        errorBody{},
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		fields := jsonFieldsOf(reflect.TypeOf(v))
		var always []string
		for f, omitted := range fields {
			if _, ok := s.Properties[f]; !ok {
				t.Errorf("schema %s lacks %q, which %T writes", name, f, v)
			}
			if !omitted {
				always = append(always, f)
			}
		}
		for p := range s.Properties {
			if _, ok := fields[p]; !ok {
				t.Errorf("schema %s has %q, which %T never writes", name, p, v)
			}
		}
		slices.Sort(always)
		if got := slices.Sorted(slices.Values(s.Required)); !slices.Equal(got, always) {
			t.Errorf("schema %s requires %v; %T always writes %v", name, got, v, always)
		}
	}
}

// jsonFieldsOf returns the keys encoding/json writes for struct type t,
// each with whether it may be left out (omitempty, omitzero); embedded
// structs without a name give their fields.
func jsonFieldsOf(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, jsonFieldsOf(f.Type))
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
	}
	return out
}
