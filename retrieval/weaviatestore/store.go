// Package weaviatestore keeps an index's documents, chunks, vectors and
// keyword terms in Weaviate, through the official Go client, so that
// several stateless citebot replicas can serve one corpus.
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
// Weaviate is reached over REST for schema and documents and over gRPC
// for batches and searches (faster, typed, and free of the GraphQL
// escaping of control characters).
package weaviatestore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"

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
	c                *wv.Client
	chunk, doc, meta string
	replication      int
	timeout          time.Duration
}

// ErrUnavailable wraps errors that mean the server could not be reached.
var ErrUnavailable = errors.New("weaviate unavailable")

// Open connects to the server and checks that it is ready.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("weaviate URL %q: want http(s)://host:port", cfg.URL)
	}
	grpcHost := cfg.GRPC
	if grpcHost == "" {
		grpcHost = net.JoinHostPort(u.Hostname(), "50051")
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
	c, err := wv.NewClient(wv.Config{
		Host: u.Host, Scheme: u.Scheme, Timeout: timeout,
		GrpcConfig: &wgrpc.Config{Host: grpcHost, Secured: u.Scheme == "https"},
	})
	if err != nil {
		return nil, fmt.Errorf("weaviate client: %w", err)
	}
	s := &Store{c: c, chunk: prefix + "Chunk", doc: prefix + "Document", meta: prefix + "Meta",
		replication: max(cfg.Replication, 1), timeout: timeout}
	ready, err := c.Misc().ReadyChecker().Do(ctx)
	if err != nil {
		return nil, s.wrap("check readiness", err)
	}
	if !ready {
		return nil, fmt.Errorf("weaviate at %s: %w: not ready", cfg.URL, ErrUnavailable)
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

// wrap adds what was being done and marks connection failures with
// ErrUnavailable: the client's REST errors hide the cause in a field.
func (s *Store) wrap(what string, err error) error {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) {
		if we.DerivedFromError != nil && (errors.Is(we.DerivedFromError, syscall.ECONNREFUSED) || we.StatusCode == -1) {
			return fmt.Errorf("weaviate: %s: %w: %v", what, ErrUnavailable, we.DerivedFromError)
		}
		msg := strings.TrimSpace(we.Msg)
		if we.DerivedFromError != nil {
			msg += ": " + we.DerivedFromError.Error()
		}
		return fmt.Errorf("weaviate: %s: status %d: %s", what, we.StatusCode, msg)
	}
	if strings.Contains(err.Error(), "code = Unavailable") {
		return fmt.Errorf("weaviate: %s: %w: %v", what, ErrUnavailable, err)
	}
	return fmt.Errorf("weaviate: %s: %w", what, err)
}

func ptr[T any](v T) *T { return &v }

// Ensure creates the collections when they do not exist, with BM25's k1
// and b; existing ones get k1 and b updated.
func (s *Store) Ensure(ctx context.Context, k1, b float64) error {
	// Weaviate drops a zero b (the field is omitempty) and would use
	// its default 0.75: a tiny b is the nearest sendable value.
	bm := &models.BM25Config{K1: float32(k1), B: float32(max(b, 0.0001))}
	text := func(name, tok string, filterable, searchable bool) *models.Property {
		return &models.Property{Name: name, DataType: []string{"text"}, Tokenization: tok,
			IndexFilterable: ptr(filterable), IndexSearchable: ptr(searchable)}
	}
	stored := func(name, typ string) *models.Property {
		return &models.Property{Name: name, DataType: []string{typ}, IndexFilterable: ptr(false), IndexSearchable: ptr(false),
			IndexRangeFilters: ptr(false)}
	}
	noVectors := map[string]any{"skipDefaultQuantization": true}
	classes := []*models.Class{
		{
			Class: s.chunk, Vectorizer: "none", VectorIndexType: "hnsw",
			VectorIndexConfig: map[string]any{"distance": "cosine", "skipDefaultQuantization": true},
			InvertedIndexConfig: &models.InvertedIndexConfig{Bm25: bm,
				// Terms arrive stemmed and without stop words.
				Stopwords: &models.StopwordConfig{Preset: "none"}},
			ReplicationConfig: &models.ReplicationConfig{Factor: int64(s.replication)},
			Properties: []*models.Property{
				text("doc", models.PropertyTokenizationField, true, false),
				// Filterable: a shorter new version deletes the chunks
				// numbered past its end.
				{Name: "n", DataType: []string{"int"}, IndexFilterable: ptr(true), IndexRangeFilters: ptr(false)},
				// Filterable too: document frequencies are counted with
				// a filter on a term.
				text("terms", models.PropertyTokenizationWhitespace, true, true),
			},
		},
		{
			Class: s.doc, Vectorizer: "none", VectorIndexConfig: noVectors,
			ReplicationConfig: &models.ReplicationConfig{Factor: int64(s.replication)},
			Properties: []*models.Property{
				text("doc", models.PropertyTokenizationField, true, false),
				stored("body", "blob"), // gob of the document and its chunks
			},
		},
		{
			Class: s.meta, Vectorizer: "none", VectorIndexConfig: noVectors,
			ReplicationConfig: &models.ReplicationConfig{Factor: int64(s.replication)},
			Properties:        []*models.Property{stored("json", "text")},
		},
	}
	for _, cl := range classes {
		got, err := s.c.Schema().ClassGetter().WithClassName(cl.Class).Do(ctx)
		if err == nil && got != nil {
			if cl.Class == s.chunk && (got.InvertedIndexConfig == nil || got.InvertedIndexConfig.Bm25 == nil ||
				got.InvertedIndexConfig.Bm25.K1 != bm.K1 || got.InvertedIndexConfig.Bm25.B != bm.B) {
				if got.InvertedIndexConfig == nil {
					got.InvertedIndexConfig = &models.InvertedIndexConfig{}
				}
				got.InvertedIndexConfig.Bm25 = bm
				if err := s.c.Schema().ClassUpdater().WithClass(got).Do(ctx); err != nil {
					return s.wrap("update BM25 parameters of "+cl.Class, err)
				}
			}
			continue
		}
		if err := s.c.Schema().ClassCreator().WithClass(cl).Do(ctx); err != nil {
			return s.wrap("create collection "+cl.Class, err)
		}
	}
	return nil
}

// Drop deletes the index's collections and everything in them.
func (s *Store) Drop(ctx context.Context) error {
	for _, name := range []string{s.chunk, s.doc, s.meta} {
		ok, err := s.c.Schema().ClassExistenceChecker().WithClassName(name).Do(ctx)
		if err != nil {
			return s.wrap("check collection "+name, err)
		}
		if ok {
			if err := s.c.Schema().ClassDeleter().WithClassName(name).Do(ctx); err != nil {
				return s.wrap("drop collection "+name, err)
			}
		}
	}
	return nil
}

// idSpace makes object ids deterministic (UUIDv5), so that writing a
// document again replaces its objects instead of adding copies.
var idSpace = uuid.MustParse("7d1c2f3e-5b6a-4c8d-9e0f-a1b2c3d4e5f6")

func chunkID(doc string, n int) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(idSpace, fmt.Appendf(nil, "chunk\x00%s\x00%d", doc, n)).String())
}

func docID(doc string) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(idSpace, []byte("doc\x00"+doc)).String())
}

var metaID = strfmt.UUID(uuid.NewSHA1(idSpace, []byte("meta")).String())

// batchSize keeps one gRPC batch well under the server's message limits.
const batchSize = 500

// PutDocument replaces a document's objects: its chunks (any left from a
// longer earlier version are deleted) and its stored body.
func (s *Store) PutDocument(ctx context.Context, id string, body []byte, chunks []retrieval.RemoteChunk) error {
	objs := make([]*models.Object, 0, len(chunks)+1)
	for _, c := range chunks {
		o := &models.Object{Class: s.chunk, ID: chunkID(id, c.N), Properties: map[string]any{
			"doc": id, "n": c.N, "terms": strings.Join(c.Terms, " "),
		}}
		if len(c.Vector) > 0 {
			o.Vector = c.Vector
		}
		objs = append(objs, o)
	}
	objs = append(objs, &models.Object{Class: s.doc, ID: docID(id), Properties: map[string]any{
		"doc": id, "body": encodeBlob(body)}})
	// Overwrite first (the ids are the same), then trim: a failure
	// midway leaves the old version or the new one, never nothing.
	if err := s.batch(ctx, "write "+id, objs); err != nil {
		return err
	}
	stale := filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{
		filters.Where().WithPath([]string{"doc"}).WithOperator(filters.Equal).WithValueText(id),
		filters.Where().WithPath([]string{"n"}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(len(chunks))),
	})
	return s.deleteWhere(ctx, s.chunk, stale, "trim "+id)
}

// deleteWhere deletes every object of class matching where.
func (s *Store) deleteWhere(ctx context.Context, class string, where *filters.WhereBuilder, what string) error {
	for {
		r, err := s.c.Batch().ObjectsBatchDeleter().WithClassName(class).WithWhere(where).WithOutput("minimal").Do(ctx)
		if err != nil {
			return s.wrap(what, err)
		}
		if r.Results == nil {
			return nil
		}
		if r.Results.Failed > 0 {
			return fmt.Errorf("weaviate: %s: %d objects not deleted", what, r.Results.Failed)
		}
		// One call deletes at most the server's query limit.
		if r.Results.Matches < r.Results.Limit || r.Results.Matches == 0 {
			return nil
		}
	}
}

func (s *Store) batch(ctx context.Context, what string, objs []*models.Object) error {
	for i := 0; i < len(objs); i += batchSize {
		resp, err := s.c.Batch().ObjectsBatcher().WithObjects(objs[i:min(i+batchSize, len(objs))]...).Do(ctx)
		if err != nil {
			return s.wrap(what, err)
		}
		// Failures are per object, in the response, with err nil.
		for _, r := range resp {
			if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
				return fmt.Errorf("weaviate: %s: object %s: %s", what, r.ID, r.Result.Errors.Error[0].Message)
			}
		}
	}
	return nil
}

// DeleteDocument removes a document's chunks and body; a document the
// store does not hold is no error.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	where := filters.Where().WithPath([]string{"doc"}).WithOperator(filters.Equal).WithValueText(id)
	// Chunks first: a document whose body is gone is gone for every view.
	for _, class := range []string{s.chunk, s.doc} {
		if err := s.deleteWhere(ctx, class, where, "delete "+id); err != nil {
			return err
		}
	}
	return nil
}

// Document returns a document's stored body; ok is false when the store
// does not hold it.
func (s *Store) Document(ctx context.Context, id string) (body []byte, ok bool, err error) {
	objs, err := s.c.Data().ObjectsGetter().WithClassName(s.doc).WithID(string(docID(id))).Do(ctx)
	if err != nil {
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.StatusCode == 404 {
			return nil, false, nil
		}
		return nil, false, s.wrap("read "+id, err)
	}
	if len(objs) == 0 {
		return nil, false, nil
	}
	props, _ := objs[0].Properties.(map[string]any)
	raw, _ := props["body"].(string)
	body, err = decodeBlob(raw)
	if err != nil {
		return nil, false, fmt.Errorf("weaviate: read %s: %w", id, err)
	}
	return body, true, nil
}

// Meta returns the stored manifest; ok is false when there is none.
func (s *Store) Meta(ctx context.Context) (data []byte, ok bool, err error) {
	objs, err := s.c.Data().ObjectsGetter().WithClassName(s.meta).WithID(string(metaID)).Do(ctx)
	if err != nil {
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.StatusCode == 404 {
			return nil, false, nil
		}
		return nil, false, s.wrap("read the manifest", err)
	}
	if len(objs) == 0 {
		return nil, false, nil
	}
	props, _ := objs[0].Properties.(map[string]any)
	js, _ := props["json"].(string)
	return []byte(js), true, nil
}

// PutMeta writes the manifest. A batch of one is the upsert: the data API
// answers 422 to creating an existing id and 500 to updating a missing one.
func (s *Store) PutMeta(ctx context.Context, data []byte) error {
	return s.batch(ctx, "write the manifest", []*models.Object{{Class: s.meta, ID: metaID, Properties: map[string]any{"json": string(data)}}})
}

// Search runs a hybrid query, BM25 over the terms fused with vector
// similarity by relative score, and returns up to q.Limit chunks, best
// first. One BM25 field: Weaviate scores boosted properties as separate
// BM25 sums, which lost 0.07 nDCG@10 on SciFact against citebot's BM25F.
func (s *Store) Search(ctx context.Context, q retrieval.RemoteQuery) ([]retrieval.RemoteHit, error) {
	if q.Limit <= 0 || len(q.Terms) == 0 && len(q.Vector) == 0 {
		return nil, nil
	}
	props := []string{"terms"}
	search := s.c.Experimental().Search().WithCollection(s.chunk).WithLimit(q.Limit).
		WithProperties("doc", "n").WithMetadata(&graphql.Metadata{Score: true})
	switch {
	case len(q.Vector) == 0:
		search = search.WithBM25((&graphql.BM25ArgumentBuilder{}).WithQuery(strings.Join(q.Terms, " ")).WithProperties(props...))
	default:
		h := (&graphql.HybridArgumentBuilder{}).WithQuery(strings.Join(q.Terms, " ")).WithVector(q.Vector).
			WithAlpha(float32(q.Alpha)).WithProperties(props).WithFusionType(graphql.RelativeScore)
		search = search.WithHybrid(h)
	}
	res, err := search.Do(ctx)
	if err != nil {
		return nil, s.wrap("search", err)
	}
	hits := make([]retrieval.RemoteHit, 0, len(res))
	for _, r := range res {
		doc, _ := r.Properties["doc"].(string)
		hits = append(hits, retrieval.RemoteHit{Doc: doc, N: toInt(r.Properties["n"]), Score: float64(r.Metadata.Score)})
	}
	return hits, nil
}

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	case int:
		return n
	}
	return -1
}

// DocFreq counts the chunks holding term.
func (s *Store) DocFreq(ctx context.Context, term string) (int, error) {
	where := filters.Where().WithPath([]string{"terms"}).WithOperator(filters.Equal).WithValueText(term)
	resp, err := s.c.GraphQL().Aggregate().WithClassName(s.chunk).WithWhere(where).
		WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}}).Do(ctx)
	if err != nil {
		return 0, s.wrap("count "+term, err)
	}
	if len(resp.Errors) > 0 {
		return 0, fmt.Errorf("weaviate: count %s: %s", term, resp.Errors[0].Message)
	}
	agg, _ := resp.Data["Aggregate"].(map[string]any)
	rows, _ := agg[s.chunk].([]any)
	if len(rows) == 0 {
		return 0, nil
	}
	row, _ := rows[0].(map[string]any)
	meta, _ := row["meta"].(map[string]any)
	n, _ := meta["count"].(float64)
	return int(n), nil
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
