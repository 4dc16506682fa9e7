// Package weaviatestore keeps an index's documents, chunks, vectors and
// keyword terms in Weaviate, so that several stateless citebot replicas
// can serve one corpus.
//
// The store knows nothing of chunking or ranking: retrieval hands it
// chunks with their vectors and their terms (already tokenized and
// stemmed by citebot, so Weaviate's BM25 sees the same words the embedded
// index does) and asks hybrid queries of it. Three collections, named
// with a prefix so that several corpora can share a server:
//
//   - <Prefix>Chunk: one object per chunk, with citebot's vector, its
//     terms (whitespace-tokenized, BM25-searchable), its document and its
//     ordinal in the document;
//   - <Prefix>Document: one object per document, with the text that is
//     cited and served, its pages and its chunks' spans (JSON);
//   - <Prefix>Meta: one object holding the manifest (JSON), which says
//     what the index contains and changes with every reindex.
//
// Weaviate is reached over its REST API for schema, deletes and objects,
// GraphQL for counts and gRPC for batches and searches, with net/http, encoding/json
// and protowire alone. The official Go client brought grpc-go, generated
// protobuf code and go-openapi with it, whose package initialisation
// every citebot command paid for at start (about 5 ms of a 23 ms cold
// ask), Weaviate or not.
package weaviatestore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"citebot/retrieval"
)

// Store is a retrieval.Remote.
var _ retrieval.Remote = (*Store)(nil)

// Config says where the server is and how to name the collections.
type Config struct {
	// URL is the REST endpoint, e.g. http://127.0.0.1:8080.
	URL string
	// GRPC is the gRPC host:port; empty means the URL's host on 50051.
	GRPC string
	// Prefix starts the collections' names; it must be a capitalised
	// GraphQL name ("Citebot" when empty).
	Prefix string
	// Timeout bounds each request (30 s when zero).
	Timeout time.Duration
	// Replication is the collections' replication factor (1 when zero);
	// it must not exceed the cluster's nodes.
	Replication int
}

// Store is a connection to one index in Weaviate. It is safe for
// concurrent use.
type Store struct {
	http             *http.Client
	api              string // the URL's /v1
	grpc             *http.Client
	grpcURL          string // scheme://host:port of the gRPC endpoint
	chunk, doc, meta string
	replication      int
}

// ErrUnavailable wraps errors that mean the server could not be reached.
var ErrUnavailable = errors.New("weaviate unavailable")

// Open connects to the server and checks that it is ready.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("weaviate URL %q: want http(s)://host:port", cfg.URL)
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = "Citebot"
	}
	if !validName(prefix) {
		return nil, fmt.Errorf("weaviate prefix %q: want a capitalised name of letters and digits", prefix)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	grpcHost := cfg.GRPC
	if grpcHost == "" {
		grpcHost = net.JoinHostPort(u.Hostname(), "50051")
	}
	s := &Store{http: &http.Client{Timeout: timeout}, api: strings.TrimSuffix(u.String(), "/") + "/v1",
		grpc: grpcClient(u.Scheme == "https", timeout), grpcURL: u.Scheme + "://" + grpcHost,
		chunk: prefix + "Chunk", doc: prefix + "Document", meta: prefix + "Meta",
		replication: max(cfg.Replication, 1)}
	// Ready answers 200, or 503 while the node starts or shuts down.
	err = s.call(ctx, "check readiness", http.MethodGet, "/.well-known/ready", nil, nil)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusServiceUnavailable {
		return nil, fmt.Errorf("weaviate at %s: %w: not ready", cfg.URL, ErrUnavailable)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func validName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// statusError is an answer other than 2xx; what the server said is kept
// for the message.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d: %s", e.status, e.msg)
}

// maxErrorBody is as much of an error answer as a message quotes.
const maxErrorBody = 4 << 10

// call sends in (when not nil) as JSON to the API's path and decodes a
// 2xx answer into out (when not nil). A request that does not reach the
// server is ErrUnavailable; another status is a *statusError; both say
// what was being done.
func (s *Store) call(ctx context.Context, what, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("weaviate: %s: %w", what, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.api+path, body)
	if err != nil {
		return fmt.Errorf("weaviate: %s: %w", what, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("weaviate: %s: %w: %w", what, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return fmt.Errorf("weaviate: %s: %w", what, &statusError{status: resp.StatusCode, msg: strings.TrimSpace(string(msg))})
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		err = json.NewDecoder(resp.Body).Decode(out)
	}
	if err != nil {
		return fmt.Errorf("weaviate: %s: read the answer: %w", what, err)
	}
	return nil
}

func notFound(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == http.StatusNotFound
}

// The schema's JSON, field for field what Weaviate's own models send
// (asyncEnabled, additions, removals and operands are sent even when
// empty, as they are there).
type (
	class struct {
		Class               string          `json:"class"`
		InvertedIndexConfig *invertedConfig `json:"invertedIndexConfig,omitempty"`
		Properties          []property      `json:"properties"`
		ReplicationConfig   replication     `json:"replicationConfig"`
		VectorIndexConfig   map[string]any  `json:"vectorIndexConfig,omitempty"`
		VectorIndexType     string          `json:"vectorIndexType,omitempty"`
		Vectorizer          string          `json:"vectorizer,omitempty"`
	}
	invertedConfig struct {
		BM25      bm25Config `json:"bm25"`
		Stopwords stopwords  `json:"stopwords"`
	}
	bm25Config struct {
		B  float32 `json:"b,omitempty"`
		K1 float32 `json:"k1,omitempty"`
	}
	stopwords struct {
		Additions []string `json:"additions"`
		Preset    string   `json:"preset,omitempty"`
		Removals  []string `json:"removals"`
	}
	replication struct {
		AsyncEnabled bool  `json:"asyncEnabled"`
		Factor       int64 `json:"factor,omitempty"`
	}
	property struct {
		DataType          []string `json:"dataType"`
		IndexFilterable   *bool    `json:"indexFilterable,omitempty"`
		IndexRangeFilters *bool    `json:"indexRangeFilters,omitempty"`
		IndexSearchable   *bool    `json:"indexSearchable,omitempty"`
		Name              string   `json:"name"`
		Tokenization      string   `json:"tokenization,omitempty"`
	}
)

func ptr[T any](v T) *T { return &v }

// Ensure creates the collections when they do not exist, with BM25's k1
// and b; existing ones get k1 and b updated.
func (s *Store) Ensure(ctx context.Context, k1, b float64) error {
	// Weaviate drops a zero b (the field is omitempty) and would use
	// its default 0.75: a tiny b is the nearest sendable value.
	bm := bm25Config{K1: float32(k1), B: float32(max(b, 0.0001))}
	text := func(name, tok string, filterable, searchable bool) property {
		return property{Name: name, DataType: []string{"text"}, Tokenization: tok,
			IndexFilterable: ptr(filterable), IndexSearchable: ptr(searchable)}
	}
	stored := func(name, typ string) property {
		return property{Name: name, DataType: []string{typ}, IndexFilterable: ptr(false), IndexSearchable: ptr(false),
			IndexRangeFilters: ptr(false)}
	}
	noVectors := map[string]any{"skipDefaultQuantization": true}
	repl := replication{Factor: int64(s.replication)}
	classes := []class{
		{
			Class: s.chunk, Vectorizer: "none", VectorIndexType: "hnsw",
			VectorIndexConfig: map[string]any{"distance": "cosine", "skipDefaultQuantization": true},
			// Terms arrive stemmed and without stop words.
			InvertedIndexConfig: &invertedConfig{BM25: bm, Stopwords: stopwords{Preset: "none"}},
			ReplicationConfig:   repl,
			Properties: []property{
				text("doc", "field", true, false),
				// Filterable: a shorter new version deletes the chunks
				// numbered past its end.
				{Name: "n", DataType: []string{"int"}, IndexFilterable: ptr(true), IndexRangeFilters: ptr(false)},
				// Filterable too: document frequencies are counted with
				// a filter on a term.
				text("terms", "whitespace", true, true),
			},
		},
		{
			Class: s.doc, Vectorizer: "none", VectorIndexConfig: noVectors, ReplicationConfig: repl,
			Properties: []property{
				text("doc", "field", true, false),
				stored("body", "blob"), // gob of the document and its chunks
			},
		},
		{
			Class: s.meta, Vectorizer: "none", VectorIndexConfig: noVectors, ReplicationConfig: repl,
			Properties: []property{stored("json", "text")},
		},
	}
	for _, cl := range classes {
		// The class as the server has it, every field kept, so that an
		// update changes k1 and b and nothing else.
		var got map[string]any
		err := s.getJSON(ctx, "read collection "+cl.Class, "/schema/"+cl.Class, &got)
		if notFound(err) {
			if err := s.call(ctx, "create collection "+cl.Class, http.MethodPost, "/schema", cl, nil); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if cl.Class != s.chunk {
			continue
		}
		inv, _ := got["invertedIndexConfig"].(map[string]any)
		if inv == nil {
			inv = map[string]any{}
			got["invertedIndexConfig"] = inv
		}
		old, _ := inv["bm25"].(map[string]any)
		if k, ok := float32At(old, "k1"); ok && k == bm.K1 {
			if b, ok := float32At(old, "b"); ok && b == bm.B {
				continue
			}
		}
		inv["bm25"] = bm
		if err := s.call(ctx, "update BM25 parameters of "+cl.Class, http.MethodPut, "/schema/"+cl.Class, got, nil); err != nil {
			return err
		}
	}
	return nil
}

// getJSON decodes a GET's answer with numbers kept as written: a class
// read to be sent back must not have its integers turned into floats.
func (s *Store) getJSON(ctx context.Context, what, path string, out *map[string]any) error {
	var raw json.RawMessage
	if err := s.call(ctx, what, http.MethodGet, path, nil, &raw); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(out); err != nil {
		return fmt.Errorf("weaviate: %s: read the answer: %w", what, err)
	}
	return nil
}

// float32At is m[key] as a float32; ok is false when it is missing or
// not a number.
func float32At(m map[string]any, key string) (f float32, ok bool) {
	n, ok := m[key].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(n), 32)
	return float32(v), err == nil
}

// Drop deletes the index's collections and everything in them.
func (s *Store) Drop(ctx context.Context) error {
	for _, name := range []string{s.chunk, s.doc, s.meta} {
		err := s.call(ctx, "check collection "+name, http.MethodGet, "/schema/"+name, nil, nil)
		if notFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.call(ctx, "drop collection "+name, http.MethodDelete, "/schema/"+name, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// idSpace makes object ids deterministic (UUIDv5), so that writing a
// document again replaces its objects instead of adding copies.
var idSpace = uuid.MustParse("7d1c2f3e-5b6a-4c8d-9e0f-a1b2c3d4e5f6")

func chunkID(doc string, n int) string {
	return uuid.NewSHA1(idSpace, fmt.Appendf(nil, "chunk\x00%s\x00%d", doc, n)).String()
}

func docID(doc string) string {
	return uuid.NewSHA1(idSpace, []byte("doc\x00"+doc)).String()
}

var metaID = uuid.NewSHA1(idSpace, []byte("meta")).String()

// batchSize keeps one batch well under the server's request limits.
const batchSize = 500

// object is an object as a batch writes it.
type object struct {
	Class      string         `json:"class,omitempty"`
	ID         string         `json:"id,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
	Vector     []float32      `json:"vector,omitempty"`
}

// where is a filter as the REST API takes it; operands and path are sent
// even when empty, as Weaviate's own models send them.
type where struct {
	Operands  []where  `json:"operands"`
	Operator  string   `json:"operator,omitempty"`
	Path      []string `json:"path"`
	ValueInt  *int64   `json:"valueInt,omitempty"`
	ValueText *string  `json:"valueText,omitempty"`
}

func docIs(id string) where {
	return where{Operator: "Equal", Path: []string{"doc"}, ValueText: &id}
}

// PutDocument replaces a document's objects: its chunks (any left from a
// longer earlier version are deleted) and its stored body.
func (s *Store) PutDocument(ctx context.Context, id string, body []byte, chunks []retrieval.RemoteChunk) error {
	objs := make([]object, 0, len(chunks)+1)
	for _, c := range chunks {
		objs = append(objs, object{Class: s.chunk, ID: chunkID(id, c.N), Vector: c.Vector, Properties: map[string]any{
			"doc": id, "n": c.N, "terms": strings.Join(c.Terms, " "),
		}})
	}
	objs = append(objs, object{Class: s.doc, ID: docID(id), Properties: map[string]any{
		"doc": id, "body": encodeBlob(body)}})
	// Overwrite first (the ids are the same), then trim: a failure
	// midway leaves the old version or the new one, never nothing.
	if err := s.batch(ctx, "write "+id, objs); err != nil {
		return err
	}
	stale := where{Operator: "And", Operands: []where{docIs(id),
		{Operator: "GreaterThanEqual", Path: []string{"n"}, ValueInt: ptr(int64(len(chunks)))}}}
	return s.deleteWhere(ctx, s.chunk, stale, "trim "+id)
}

// deleteWhere deletes every object of class matching w.
func (s *Store) deleteWhere(ctx context.Context, class string, w where, what string) error {
	type match struct {
		Class string `json:"class"`
		Where where  `json:"where"`
	}
	req := struct {
		Match  match  `json:"match"`
		Output string `json:"output"`
	}{match{class, w}, "minimal"}
	for {
		var resp struct {
			Results *struct {
				Failed, Limit, Matches int64
			}
		}
		if err := s.call(ctx, what, http.MethodDelete, "/batch/objects", req, &resp); err != nil {
			return err
		}
		r := resp.Results
		if r == nil {
			return nil
		}
		if r.Failed > 0 {
			return fmt.Errorf("weaviate: %s: %d objects not deleted", what, r.Failed)
		}
		// One call deletes at most the server's query limit.
		if r.Matches < r.Limit || r.Matches == 0 {
			return nil
		}
	}
}

func (s *Store) batch(ctx context.Context, what string, objs []object) error {
	for i := 0; i < len(objs); i += batchSize {
		part := objs[i:min(i+batchSize, len(objs))]
		req, err := batchRequest(part)
		if err != nil {
			return fmt.Errorf("weaviate: %s: %w", what, err)
		}
		reply, err := s.unary(ctx, what, batchPath, req)
		if err != nil {
			return err
		}
		// Failures are per object, in a reply of status OK.
		errs, err := batchErrors(reply)
		if err != nil {
			return fmt.Errorf("weaviate: %s: %w", what, err)
		}
		if len(errs) > 0 {
			j := slices.Min(slices.Collect(maps.Keys(errs)))
			id := fmt.Sprintf("#%d", j)
			if j >= 0 && j < len(part) {
				id = part[j].ID
			}
			return fmt.Errorf("weaviate: %s: object %s: %s", what, id, errs[j])
		}
	}
	return nil
}

// DeleteDocument removes a document's chunks and body; a document the
// store does not hold is no error.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	// Chunks first: a document whose body is gone is gone for every view.
	for _, class := range []string{s.chunk, s.doc} {
		if err := s.deleteWhere(ctx, class, docIs(id), "delete "+id); err != nil {
			return err
		}
	}
	return nil
}

// property reads one text property of an object; ok is false when the
// store does not hold the object.
func (s *Store) property(ctx context.Context, what, class, id, name string) (v string, ok bool, err error) {
	var o struct {
		Properties map[string]any `json:"properties"`
	}
	err = s.call(ctx, what, http.MethodGet, "/objects/"+class+"/"+id, nil, &o)
	if notFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	v, _ = o.Properties[name].(string)
	return v, true, nil
}

// Document returns a document's stored body; ok is false when the store
// does not hold it.
func (s *Store) Document(ctx context.Context, id string) (body []byte, ok bool, err error) {
	raw, ok, err := s.property(ctx, "read "+id, s.doc, docID(id), "body")
	if !ok || err != nil {
		return nil, false, err
	}
	body, err = decodeBlob(raw)
	if err != nil {
		return nil, false, fmt.Errorf("weaviate: read %s: %w", id, err)
	}
	return body, true, nil
}

// Meta returns the stored manifest; ok is false when there is none.
func (s *Store) Meta(ctx context.Context) (data []byte, ok bool, err error) {
	js, ok, err := s.property(ctx, "read the manifest", s.meta, metaID, "json")
	if !ok || err != nil {
		return nil, false, err
	}
	return []byte(js), true, nil
}

// PutMeta writes the manifest. A batch of one is the upsert: the data API
// answers 422 to creating an existing id and 500 to updating a missing one.
func (s *Store) PutMeta(ctx context.Context, data []byte) error {
	return s.batch(ctx, "write the manifest", []object{{Class: s.meta, ID: metaID, Properties: map[string]any{"json": string(data)}}})
}

// graphQL runs a query and decodes its data into out.
func (s *Store) graphQL(ctx context.Context, what, query string, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := s.call(ctx, what, http.MethodPost, "/graphql", map[string]string{"query": query}, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("weaviate: %s: %s", what, resp.Errors[0].Message)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("weaviate: %s: read the answer: %w", what, err)
	}
	return nil
}

// Search runs a hybrid query, BM25 over the terms fused with vector
// similarity by relative score, and returns up to q.Limit chunks, best
// first. One BM25 field: Weaviate scores boosted properties as separate
// BM25 sums, which lost 0.07 nDCG@10 on SciFact against citebot's BM25F.
func (s *Store) Search(ctx context.Context, q retrieval.RemoteQuery) ([]retrieval.RemoteHit, error) {
	if q.Limit <= 0 || len(q.Terms) == 0 && len(q.Vector) == 0 {
		return nil, nil
	}
	return s.search(ctx, q)
}

// appendGraphQLString appends s as a GraphQL string literal. Control
// characters are escaped as \uXXXX, which GraphQL reads back; invalid
// UTF-8 becomes U+FFFD, as it would in the request's JSON anyway.
func appendGraphQLString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// DocFreq counts the chunks holding term.
func (s *Store) DocFreq(ctx context.Context, term string) (int, error) {
	query := "{Aggregate{" + s.chunk + `(where:{operator: Equal path: ["terms"] valueText: ` +
		string(appendGraphQLString(nil, term)) + "}){meta{count}}}}"
	var data struct {
		Aggregate map[string][]struct {
			Meta struct {
				Count float64 `json:"count"`
			} `json:"meta"`
		}
	}
	if err := s.graphQL(ctx, "count "+term, query, &data); err != nil {
		return 0, err
	}
	rows := data.Aggregate[s.chunk]
	if len(rows) == 0 {
		return 0, nil
	}
	return int(rows[0].Meta.Count), nil
}

// Weaviate's blob type travels as base64.
func encodeBlob(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decodeBlob(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("stored body is not base64: %w", err)
	}
	return b, nil
}
