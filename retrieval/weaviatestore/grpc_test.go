package weaviatestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"citebot/retrieval"
)

// The queries of testdata/search-*.request, recorded from Weaviate's Go
// client against Weaviate 1.35.2 with the replies beside them.
var recorded = []struct {
	name string
	q    retrieval.RemoteQuery
	hits []retrieval.RemoteHit
}{
	{"keywords", retrieval.RemoteQuery{Terms: []string{"froze", "harbour"}, Limit: 5}, []retrieval.RemoteHit{
		{Doc: "a.txt", N: 0, Score: 0.5065275430679321}, {Doc: "a.txt", N: 1, Score: 0.060696087777614594}, {Doc: "ru.md", N: 0, Score: 0.060696087777614594}}},
	{"hybrid", retrieval.RemoteQuery{Terms: []string{"froze"}, Vector: []float32{0.9, 0.1, 0.5, -0.25}, Alpha: 0.3, Limit: 3}, []retrieval.RemoteHit{
		{Doc: "a.txt", N: 1, Score: 1}, {Doc: "a.txt", N: 0, Score: 0.9975147843360901}, {Doc: "ru.md", N: 0, Score: 0.699999988079071}}},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearchRequest(t *testing.T) {
	for _, tt := range recorded {
		want := readTestdata(t, "search-"+tt.name+".request")
		if got := searchRequest("CapChunk", tt.q); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", tt.name, got, want)
		}
	}
}

func TestSearchReply(t *testing.T) {
	for _, tt := range recorded {
		reply := readTestdata(t, "search-"+tt.name+".reply")
		hits, err := searchReply(reply)
		if err != nil || !slices.Equal(hits, tt.hits) {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, hits, err, tt.hits)
		}
		// Every cut of the reply short of its end is refused or decodes
		// to fewer whole results, never to made-up ones.
		for n := range len(reply) {
			cut, err := searchReply(reply[:n])
			if err == nil && len(cut) > len(tt.hits) {
				t.Errorf("%s cut at %d: %d hits", tt.name, n, len(cut))
			}
		}
	}
}

// grpcServer answers the gRPC method path over cleartext HTTP/2 the way
// Weaviate does: the framed reply, then the status in the trailers. Each
// request's message goes to got, when not nil.
func grpcServer(t *testing.T, path string, reply []byte, status, message string, got *[][]byte) (url string) {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != path || r.Header.Get("Content-Type") != "application/grpc" || r.ProtoMajor != 2 ||
			len(body) < 5 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
			t.Errorf("request %s %s %q, %d bytes", r.Proto, r.URL.Path, r.Header.Get("Content-Type"), len(body))
		} else if got != nil {
			*got = append(*got, body[5:])
		}
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		if reply != nil {
			frame := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(reply)))
			w.Write(append(frame, reply...))
		}
		w.Header().Set("Grpc-Status", status)
		w.Header().Set("Grpc-Message", message)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// grpcStore is a store whose gRPC endpoint is grpcServer's.
func grpcStore(t *testing.T, path string, reply []byte, status, message string, got *[][]byte) *Store {
	return &Store{chunk: "CapChunk", doc: "CapDocument", meta: "CapMeta", http: &http.Client{}, grpc: grpcClient(false, 0),
		grpcURL: grpcServer(t, path, reply, status, message, got)}
}

func TestSearchOverHTTP2(t *testing.T) {
	ctx := context.Background()
	tt := recorded[1]
	s := grpcStore(t, searchPath, readTestdata(t, "search-hybrid.reply"), "0", "", nil)
	hits, err := s.Search(ctx, tt.q)
	if err != nil || !slices.Equal(hits, tt.hits) {
		t.Errorf("search: %+v, %v", hits, err)
	}

	s = grpcStore(t, searchPath, nil, "14", "no%20connection", nil)
	if _, err := s.Search(ctx, tt.q); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no connection") {
		t.Errorf("status UNAVAILABLE: %v, want ErrUnavailable with the message", err)
	}
	s = grpcStore(t, searchPath, nil, "3", "bad%20query", nil)
	if _, err := s.Search(ctx, tt.q); err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "status 3: bad query") {
		t.Errorf("status INVALID_ARGUMENT: %v", err)
	}
	s = grpcStore(t, searchPath, []byte{0x12, 0x7f}, "0", "", nil)
	if _, err := s.Search(ctx, tt.q); err == nil {
		t.Error("a malformed reply decoded")
	}
	s.grpcURL = "http://127.0.0.1:1"
	if _, err := s.Search(ctx, tt.q); !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed port: %v, want ErrUnavailable", err)
	}
}

// A reply of any bytes decodes or is refused; it never panics, and each
// hit it gives came from a result of the reply.
func FuzzSearchReply(f *testing.F) {
	for _, tt := range recorded {
		f.Add(readTestdata(f, "search-"+tt.name+".reply"))
	}
	f.Add([]byte{0x12, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		hits, _ := searchReply(b)
		if len(hits) > len(b)/2 {
			t.Fatalf("%d hits from %d bytes: a result takes at least 2", len(hits), len(b))
		}
	})
}

// batchObject is a BatchObject decoded for comparison: the properties'
// values are kept encoded.
type batchObject struct {
	uuid, collection string
	props            map[string]string
	vector           string
}

func decodeBatch(t *testing.T, b []byte) []batchObject {
	t.Helper()
	var objs []batchObject
	err := fields(b, func(f protowire.Number, _ protowire.Type, _ uint64, raw []byte) error {
		o := batchObject{props: map[string]string{}}
		objs = append(objs, o)
		return fields(raw, func(f protowire.Number, _ protowire.Type, _ uint64, raw []byte) error {
			o := &objs[len(objs)-1]
			switch f {
			case 1:
				o.uuid = string(raw)
			case 4:
				o.collection = string(raw)
			case 6:
				o.vector = string(raw)
			case 3:
				return fields(raw, func(_ protowire.Number, _ protowire.Type, _ uint64, st []byte) error {
					return fields(st, func(_ protowire.Number, _ protowire.Type, _ uint64, entry []byte) error {
						var k, v string
						fields(entry, func(f protowire.Number, _ protowire.Type, _ uint64, raw []byte) error {
							if f == 1 {
								k = string(raw)
							} else {
								v = string(raw)
							}
							return nil
						})
						o.props[k] = v
						return nil
					})
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// The batches written are those Weaviate's Go client wrote for the same
// calls (testdata/batch-*.request, recorded from it), but for the order of
// the properties, which the client took from a Go map.
func TestBatchRequest(t *testing.T) {
	ctx := context.Background()
	var got [][]byte
	s := grpcStore(t, batchPath, readTestdata(t, "batch.reply"), "0", "", &got)
	vec := func(x, y float32) []float32 { return []float32{x, y, 0.5, -0.25} }
	if err := s.PutMeta(ctx, []byte(`{"g":1}`)); err != nil {
		t.Fatal(err)
	}
	// The trim after the write goes to the REST API, which is not there.
	s.api = "http://127.0.0.1:1/v1"
	err := s.PutDocument(ctx, "a.txt", []byte("a"), []retrieval.RemoteChunk{
		{N: 0, Vector: vec(1, 0), Terms: []string{"harbour", "froze"}}, {N: 1, Vector: vec(0.9, 0.1), Terms: []string{"ferri", "froze"}}})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "trim a.txt") {
		t.Errorf("PutDocument: %v, want the trim to find no server", err)
	}
	if len(got) != 2 {
		t.Fatalf("%d batches, want 2", len(got))
	}
	for i, name := range []string{"batch-meta.request", "batch-document.request"} {
		if g, w := decodeBatch(t, got[i]), decodeBatch(t, readTestdata(t, name)); !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
		}
	}
	// Sorted properties: the same batch is the same bytes.
	again, _ := batchRequest([]object{{ID: "x", Class: "C", Properties: map[string]any{"doc": "d", "n": 1, "terms": "t"}}})
	for range 10 {
		b, _ := batchRequest([]object{{ID: "x", Class: "C", Properties: map[string]any{"doc": "d", "n": 1, "terms": "t"}}})
		if !bytes.Equal(b, again) {
			t.Fatal("one batch encoded two ways")
		}
	}
	if _, err := batchRequest([]object{{ID: "x", Properties: map[string]any{"f": 1.5}}}); err == nil {
		t.Error("a float property was encoded")
	}
}

// An object the server refuses fails the batch, naming it and saying why
// (testdata/batch-error.reply is Weaviate's answer to an int property
// given a string).
func TestBatchErrors(t *testing.T) {
	s := grpcStore(t, batchPath, readTestdata(t, "batch-error.reply"), "0", "", nil)
	err := s.batch(context.Background(), "write", []object{{ID: "first", Class: "CapChunk", Properties: map[string]any{"doc": "d"}}})
	if err == nil || !strings.Contains(err.Error(), "object first: invalid integer property 'n'") {
		t.Errorf("batch: %v", err)
	}
	errs, err := batchErrors(readTestdata(t, "batch.reply"))
	if err != nil || len(errs) != 0 {
		t.Errorf("a reply without errors: %v, %v", errs, err)
	}
}

// A batch reply of any bytes decodes or is refused; it never panics.
func FuzzBatchErrors(f *testing.F) {
	f.Add(readTestdata(f, "batch-error.reply"))
	f.Add(readTestdata(f, "batch.reply"))
	f.Fuzz(func(t *testing.T, b []byte) {
		errs, _ := batchErrors(b)
		if len(errs) > len(b)/2 {
			t.Fatalf("%d errors from %d bytes", len(errs), len(b))
		}
	})
}
