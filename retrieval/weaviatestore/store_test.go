package weaviatestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"citebot/retrieval"
)

// testStore connects to the server named by CITEBOT_WEAVIATE_URL (and
// CITEBOT_WEAVIATE_GRPC) with collections of its own, dropped after the
// test; without a server the test is skipped, saying how to run it.
func testStore(t *testing.T) *Store {
	t.Helper()
	u := os.Getenv("CITEBOT_WEAVIATE_URL")
	if u == "" {
		t.Skip("no Weaviate server: set CITEBOT_WEAVIATE_URL (and CITEBOT_WEAVIATE_GRPC) to run the store's tests; .ci/run starts one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prefix := fmt.Sprintf("T%x", rand.Uint64())
	s, err := Open(ctx, Config{URL: u, GRPC: os.Getenv("CITEBOT_WEAVIATE_GRPC"), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Drop(context.Background()); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	return s
}

func TestStoreRoundTrip(t *testing.T) {
	s := testStore(t)
	ctx := context.Background()
	if err := s.Ensure(ctx, 0.9, 0.4); err != nil {
		t.Fatal(err)
	}
	if err := s.Ensure(ctx, 1.2, 0); err != nil { // again, other parameters
		t.Fatal(err)
	}
	if _, ok, err := s.Meta(ctx); err != nil || ok {
		t.Fatalf("meta before any write: ok=%v err=%v", ok, err)
	}
	vec := func(x, y float32) []float32 { return []float32{x, y, 0, 0} }
	docs := map[string][]retrieval.RemoteChunk{
		"a.txt": {
			{N: 0, Vector: vec(1, 0), Terms: []string{"harbour", "froze", "1966"}},
			{N: 1, Vector: vec(0.9, 0.1), Terms: []string{"ferri", "depart", "morn"}},
		},
		"ru.md": {{N: 0, Vector: vec(0, 1), Terms: []string{"гаван", "замерзл", "истор"}}},
	}
	for id, chunks := range docs {
		if err := s.PutDocument(ctx, id, []byte("body of "+id), chunks); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutMeta(ctx, []byte(`{"generation":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta(ctx, []byte(`{"generation":2}`)); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := s.Meta(ctx); err != nil || !ok || string(m) != `{"generation":2}` {
		t.Errorf("meta = %q %v %v", m, ok, err)
	}
	body, ok, err := s.Document(ctx, "a.txt")
	if err != nil || !ok || string(body) != "body of a.txt" {
		t.Errorf("document a.txt = %q %v %v", body, ok, err)
	}
	if _, ok, err := s.Document(ctx, "missing.txt"); err != nil || ok {
		t.Errorf("missing document: ok=%v err=%v", ok, err)
	}

	tests := []struct {
		name string
		q    retrieval.RemoteQuery
		want []retrieval.RemoteHit // Doc and N only
	}{
		{"keywords", retrieval.RemoteQuery{Terms: []string{"froze"}, Limit: 5}, []retrieval.RemoteHit{{Doc: "a.txt", N: 0}}},
		{"cyrillic", retrieval.RemoteQuery{Terms: []string{"замерзл"}, Limit: 5}, []retrieval.RemoteHit{{Doc: "ru.md", N: 0}}},
		{"second term", retrieval.RemoteQuery{Terms: []string{"истор"}, Limit: 5}, []retrieval.RemoteHit{{Doc: "ru.md", N: 0}}},
		{"vector only", retrieval.RemoteQuery{Vector: vec(0, 1), Alpha: 1, Limit: 1}, []retrieval.RemoteHit{{Doc: "ru.md", N: 0}}},
		{"hybrid", retrieval.RemoteQuery{Terms: []string{"ferri"}, Vector: vec(0.9, 0.1), Alpha: 0.5, Limit: 1}, []retrieval.RemoteHit{{Doc: "a.txt", N: 1}}},
		{"no limit", retrieval.RemoteQuery{Terms: []string{"froze"}}, nil},
	}
	for _, tt := range tests {
		hits, err := s.Search(ctx, tt.q)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []retrieval.RemoteHit
		for _, h := range hits {
			got = append(got, retrieval.RemoteHit{Doc: h.Doc, N: h.N})
		}
		if len(got) > len(tt.want) {
			got = got[:len(tt.want)]
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: hits %v, want %v first", tt.name, hits, tt.want)
		}
	}
	if n, err := s.DocFreq(ctx, "harbour"); err != nil || n != 1 {
		t.Errorf("DocFreq(harbour) = %d, %v; want 1", n, err)
	}

	// Writing a document again replaces its chunks: none of the old
	// version's is left.
	if err := s.PutDocument(ctx, "a.txt", []byte("v2"), []retrieval.RemoteChunk{{N: 0, Vector: vec(1, 0), Terms: []string{"lighthous"}}}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, retrieval.RemoteQuery{Terms: []string{"ferri"}, Limit: 5}); len(hits) != 0 {
		t.Errorf("a replaced chunk is still found: %v", hits)
	}
	if err := s.DeleteDocument(ctx, "a.txt"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Document(ctx, "a.txt"); ok {
		t.Error("deleted document still stored")
	}
	if hits, _ := s.Search(ctx, retrieval.RemoteQuery{Terms: []string{"lighthous"}, Limit: 5}); len(hits) != 0 {
		t.Errorf("a deleted document's chunk is still found: %v", hits)
	}
	if err := s.DeleteDocument(ctx, "never-there.txt"); err != nil {
		t.Errorf("deleting an unknown document: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{
		{URL: "localhost:8080"},
		{URL: "ftp://x"},
		{URL: "http://127.0.0.1:1", Prefix: "lower"},
	} {
		if _, err := Open(ctx, cfg); err == nil {
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
	// Nothing listens on port 1: the error says the server is unavailable.
	_, err := Open(ctx, Config{URL: "http://127.0.0.1:1"})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want ErrUnavailable", err)
	}
}

// Terms with GraphQL's special characters, and control characters, are
// searched and counted as the very words they are.
func TestStoreEscapes(t *testing.T) {
	s := testStore(t)
	ctx := context.Background()
	if err := s.Ensure(ctx, 1.2, 0.75); err != nil {
		t.Fatal(err)
	}
	odd := []string{`say"hi"`, `back\slash`, "bell\x07", "brace}){x}", "uni\u2028code"}
	if err := s.PutDocument(ctx, "odd.txt", []byte("x"), []retrieval.RemoteChunk{{N: 0, Terms: append([]string{"plain"}, odd...)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDocument(ctx, "other.txt", []byte("y"), []retrieval.RemoteChunk{{N: 0, Terms: []string{"plain", "say"}}}); err != nil {
		t.Fatal(err)
	}
	for _, term := range odd {
		if n, err := s.DocFreq(ctx, term); err != nil || n != 1 {
			t.Errorf("DocFreq(%q) = %d, %v; want 1", term, n, err)
		}
		hits, err := s.Search(ctx, retrieval.RemoteQuery{Terms: []string{term}, Limit: 5})
		if err != nil || len(hits) != 1 || hits[0].Doc != "odd.txt" || hits[0].Score <= 0 {
			t.Errorf("Search(%q) = %+v, %v; want odd.txt alone", term, hits, err)
		}
	}
}

// BenchmarkSearch is one hybrid search of a small collection, the request
// a replica makes per question.
func BenchmarkSearch(b *testing.B) {
	u := os.Getenv("CITEBOT_WEAVIATE_URL")
	if u == "" {
		b.Skip("no Weaviate server: set CITEBOT_WEAVIATE_URL")
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: u, GRPC: os.Getenv("CITEBOT_WEAVIATE_GRPC"), Prefix: fmt.Sprintf("B%x", rand.Uint64())})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Drop(ctx)
	if err := s.Ensure(ctx, 1.2, 0.75); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, 100)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return v
	}
	words := []string{"harbour", "froze", "ferri", "depart", "morn", "lighthous", "lamp", "replac", "agreement", "effect"}
	for d := range 20 {
		var chunks []retrieval.RemoteChunk
		for n := range 10 {
			chunks = append(chunks, retrieval.RemoteChunk{N: n, Vector: vec(), Terms: []string{words[(d+n)%len(words)], words[(d*n)%len(words)]}})
		}
		if err := s.PutDocument(ctx, fmt.Sprintf("d%d.txt", d), []byte("x"), chunks); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		q    retrieval.RemoteQuery
	}{
		{"hybrid", retrieval.RemoteQuery{Terms: []string{"harbour", "lamp"}, Vector: vec(), Alpha: 0.2, Limit: 100}},
		{"keywords", retrieval.RemoteQuery{Terms: []string{"harbour", "lamp"}, Limit: 100}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if hits, err := s.Search(ctx, bc.q); err != nil || len(hits) == 0 {
					b.Fatalf("search: %d hits, %v", len(hits), err)
				}
			}
		})
	}
}

// BenchmarkPutDocument writes a document of 50 chunks, each with a
// vector of 100 dimensions, as a reindex does.
func BenchmarkPutDocument(b *testing.B) {
	u := os.Getenv("CITEBOT_WEAVIATE_URL")
	if u == "" {
		b.Skip("no Weaviate server: set CITEBOT_WEAVIATE_URL")
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: u, GRPC: os.Getenv("CITEBOT_WEAVIATE_GRPC"), Prefix: fmt.Sprintf("B%x", rand.Uint64())})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Drop(ctx)
	if err := s.Ensure(ctx, 1.2, 0.75); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var chunks []retrieval.RemoteChunk
	for n := range 50 {
		v := make([]float32, 100)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		chunks = append(chunks, retrieval.RemoteChunk{N: n, Vector: v, Terms: []string{"harbour", "froze", fmt.Sprint(n)}})
	}
	body := make([]byte, 20<<10)
	for b.Loop() {
		if err := s.PutDocument(ctx, "d.txt", body, chunks); err != nil {
			b.Fatal(err)
		}
	}
}
