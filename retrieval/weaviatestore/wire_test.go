package weaviatestore

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"citebot/retrieval"
)

var updateWire = flag.Bool("update-wire", false, "rewrite testdata/wire.golden")

// recorder is a Weaviate that writes down every request and answers
// enough for the store to go on: the chunk collection is missing at
// first and then exists with other BM25 parameters.
type recorder struct {
	mu      sync.Mutex
	log     bytes.Buffer
	created bool
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	fmt.Fprintf(&rec.log, "%s %s\n%s\n", r.Method, r.URL.RequestURI(), b)
	switch {
	case r.URL.Path == "/v1/schema/CitebotChunk" && r.Method == http.MethodGet && !rec.created:
		rec.created = true
		w.WriteHeader(http.StatusNotFound)
	case r.URL.Path == "/v1/schema/CitebotChunk" && r.Method == http.MethodGet:
		w.Write([]byte(`{"class":"CitebotChunk","invertedIndexConfig":{"bm25":{"b":0.75,"k1":1.2},"cleanupIntervalSeconds":60},"properties":[],"vectorIndexConfig":{"ef":-1}}`))
	case r.URL.Path == "/v1/schema" && r.Method == http.MethodPost, r.Method == http.MethodPut:
		w.Write(b)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/schema/"):
	case strings.HasPrefix(r.URL.Path, "/v1/schema/") && r.Method == http.MethodGet:
		w.WriteHeader(http.StatusNotFound)
	case r.URL.Path == "/v1/batch/objects" && r.Method == http.MethodPost:
		w.Write([]byte(`[]`))
	case r.URL.Path == "/v1/batch/objects" && r.Method == http.MethodDelete:
		w.Write([]byte(`{"results":{"matches":0,"limit":10000}}`))
	case r.URL.Path == "/v1/graphql":
		w.Write([]byte(`{"data":{"Aggregate":{"CitebotChunk":[{"meta":{"count":2}}]}}}`))
	case r.URL.Path == "/v1/objects/CitebotMeta/"+metaID:
		w.Write([]byte(`{"class":"CitebotMeta","properties":{"json":"{}"}}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// The requests for schema, deletes, reads and counts are, byte for byte,
// those Weaviate's Go client sent for the same calls before the store
// spoke HTTP itself (testdata/wire.golden was recorded from it, less its
// version probe and its batches, which go over gRPC: TestBatchRequest).
func TestWire(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s := &Store{http: srv.Client(), api: srv.URL + "/v1", chunk: "CitebotChunk", doc: "CitebotDocument", meta: "CitebotMeta", replication: 1,
		grpc: grpcClient(false, 0), grpcURL: grpcServer(t, batchPath, []byte{}, "0", "", nil)}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Ensure(ctx, 1.2, 0))
	must(s.Ensure(ctx, 0.9, 0.4))
	must(s.PutDocument(ctx, "a \"b\".txt", []byte("body\x00bytes"), []retrieval.RemoteChunk{
		{N: 0, Vector: []float32{1, 0.5, -0.25}, Terms: []string{"harbour", "froze"}},
		{N: 1, Terms: []string{"гаван"}},
	}))
	must(s.DeleteDocument(ctx, "ru.md"))
	must(s.PutMeta(ctx, []byte(`{"layout":"x"}`)))
	if m, ok, err := s.Meta(ctx); err != nil || !ok || string(m) != "{}" {
		t.Errorf("Meta = %q, %v, %v", m, ok, err)
	}
	if _, ok, err := s.Document(ctx, "zz.txt"); err != nil || ok {
		t.Errorf("Document of a missing id: ok %v, %v", ok, err)
	}
	if n, err := s.DocFreq(ctx, "froze\"\\\n"); err != nil || n != 2 {
		t.Errorf("DocFreq = %d, %v", n, err)
	}
	must(s.Drop(ctx))

	got := rec.log.Bytes()
	if *updateWire {
		must(os.WriteFile("testdata/wire.golden", got, 0o644))
	}
	want, err := os.ReadFile("testdata/wire.golden")
	must(err)
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("request line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// A GraphQL string literal reads back as the string (GraphQL's escapes
// are JSON's, so JSON reads it too): no term can end the literal early
// or change the query around it.
func FuzzGraphQLString(f *testing.F) {
	for _, s := range []string{"", "froze", `a"b\c`, "\x00\x1f\x7f", "гаван\u2028", "\xff\xfe", "}}){doc}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := appendGraphQLString(nil, s)
		var back string
		if err := json.Unmarshal(lit, &back); err != nil {
			t.Fatalf("%q gives %s: %v", s, lit, err)
		}
		// Each invalid byte becomes one U+FFFD.
		if want := string([]rune(s)); back != want {
			t.Fatalf("%q gives %s, read back as %q", s, lit, back)
		}
		for _, c := range lit {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("%q gives %s, with a raw control byte", s, lit)
			}
		}
	})
}
