package weaviatestore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"citebot/retrieval"
)

// Searches and batches go over Weaviate's gRPC API, spoken here with
// net/http's HTTP/2 and protowire rather than grpc-go and generated code,
// whose package initialisation every command would pay for. Over GraphQL
// and REST, which carry vectors as text, a hybrid search took 5 ms
// against 3.2 and a 50-chunk batch 13-23 ms against 7-12. Only Search
// and BatchObjects are used; their messages are in Weaviate's
// grpc/proto/v1 (search_get.proto, base_search.proto, properties.proto,
// batch.proto), and the requests here are those its Go client sent
// (testdata/search-*.request and batch-*.request, recorded from it).

// searchPath is the Search method of the weaviate.v1.Weaviate service.
const searchPath = "/weaviate.v1.Weaviate/Search"

// maxReplyBytes bounds a search's reply: a limit of thousands of hits of
// a few dozen bytes each is well under it.
const maxReplyBytes = 64 << 20

// grpcClient is an HTTP/2 client for the gRPC endpoint: cleartext (h2c,
// with prior knowledge, as gRPC does) for an http URL, TLS for https.
func grpcClient(secure bool, timeout time.Duration) *http.Client {
	var p http.Protocols
	if secure {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Protocols: &p, ForceAttemptHTTP2: true}}
}

// searchRequest encodes a SearchRequest for q on class, with the fields
// in the order Weaviate's Go client wrote them.
func searchRequest(class string, q retrieval.RemoteQuery) []byte {
	var b []byte
	b = appendString(b, 1, class) // collection
	// properties: doc and n
	var props []byte
	props = appendString(props, 1, "doc")
	props = appendString(props, 1, "n")
	b = appendBytes(b, 20, props)
	// metadata: the score
	b = appendBytes(b, 21, protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.VarintType), 1))
	b = appendVarint(b, 30, uint64(q.Limit))
	query := strings.Join(q.Terms, " ")
	if len(q.Vector) == 0 {
		var bm []byte
		bm = appendString(bm, 1, query)
		bm = appendString(bm, 2, "terms")
		b = appendBytes(b, 42, bm) // bm25_search
	} else {
		var h []byte
		h = appendString(h, 1, query)
		h = appendString(h, 2, "terms")
		if alpha := float32(q.Alpha); alpha != 0 {
			h = protowire.AppendTag(h, 4, protowire.Fixed32Type)
			h = protowire.AppendFixed32(h, math.Float32bits(alpha))
		}
		h = appendVarint(h, 5, 2) // fusion_type: relative score
		// vectors: one unnamed single vector, little-endian float32s
		var v []byte
		v = appendBytes(v, 3, float32Bytes(q.Vector))
		v = appendVarint(v, 4, 1) // VECTOR_TYPE_SINGLE_FP32
		h = appendBytes(h, 21, v)
		b = appendBytes(b, 41, h) // hybrid_search
	}
	// uses_123_api, uses_125_api, uses_127_api: properties come back
	// typed, in non_ref_props.
	for _, f := range []protowire.Number{100, 101, 102} {
		b = appendVarint(b, f, 1)
	}
	return b
}

func appendString(b []byte, f protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendTag(b, f, protowire.BytesType), s)
}

func appendBytes(b []byte, f protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, f, protowire.BytesType), v)
}

func appendVarint(b []byte, f protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, f, protowire.VarintType), v)
}

// errMalformed is a reply that does not decode.
var errMalformed = errors.New("malformed gRPC reply")

// fields calls fn with each field of the message b; fn gets the raw
// value (the bytes of a length-delimited field, the number otherwise).
func fields(b []byte, fn func(f protowire.Number, t protowire.Type, v uint64, raw []byte) error) error {
	for len(b) > 0 {
		f, t, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
		var v uint64
		var raw []byte
		switch t {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			raw, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(f, t, b)
		}
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
		if err := fn(f, t, v, raw); err != nil {
			return err
		}
	}
	return nil
}

// searchReply decodes a SearchReply into hits: each result's doc and n
// properties and its score.
func searchReply(b []byte) ([]retrieval.RemoteHit, error) {
	var hits []retrieval.RemoteHit
	err := fields(b, func(f protowire.Number, t protowire.Type, _ uint64, raw []byte) error {
		if f != 2 || t != protowire.BytesType { // results
			return nil
		}
		h := retrieval.RemoteHit{N: -1}
		err := fields(raw, func(f protowire.Number, t protowire.Type, _ uint64, raw []byte) error {
			switch {
			case f == 1 && t == protowire.BytesType: // properties
				return properties(raw, &h)
			case f == 2 && t == protowire.BytesType: // metadata
				return fields(raw, func(f protowire.Number, t protowire.Type, v uint64, _ []byte) error {
					if f == 11 && t == protowire.Fixed32Type { // score
						h.Score = float64(math.Float32frombits(uint32(v)))
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		hits = append(hits, h)
		return nil
	})
	return hits, err
}

// properties reads doc and n from a PropertiesResult's non_ref_props.
func properties(b []byte, h *retrieval.RemoteHit) error {
	return fields(b, func(f protowire.Number, t protowire.Type, _ uint64, raw []byte) error {
		if f != 11 || t != protowire.BytesType { // non_ref_props
			return nil
		}
		return fields(raw, func(f protowire.Number, t protowire.Type, _ uint64, entry []byte) error {
			if f != 1 || t != protowire.BytesType { // fields: map<string, Value>
				return nil
			}
			var key string
			var value []byte
			err := fields(entry, func(f protowire.Number, t protowire.Type, _ uint64, raw []byte) error {
				switch {
				case f == 1 && t == protowire.BytesType:
					key = string(raw)
				case f == 2 && t == protowire.BytesType:
					value = raw
				}
				return nil
			})
			if err != nil {
				return err
			}
			return fields(value, func(f protowire.Number, t protowire.Type, v uint64, raw []byte) error {
				switch {
				case key == "doc" && f == 13 && t == protowire.BytesType: // text_value
					h.Doc = string(raw)
				case key == "n" && f == 8 && t == protowire.VarintType: // int_value
					h.N = int(int64(v))
				case key == "n" && f == 1 && t == protowire.Fixed64Type: // number_value
					h.N = int(math.Float64frombits(v))
				}
				return nil
			})
		})
	})
}

// search sends one SearchRequest and decodes the reply.
func (s *Store) search(ctx context.Context, q retrieval.RemoteQuery) ([]retrieval.RemoteHit, error) {
	reply, err := s.unary(ctx, "search", searchPath, searchRequest(s.chunk, q))
	if err != nil {
		return nil, err
	}
	hits, err := searchReply(reply)
	if err != nil {
		return nil, fmt.Errorf("weaviate: search: %w", err)
	}
	return hits, nil
}

// unary calls a gRPC method with one message and returns the reply's.
func (s *Store) unary(ctx context.Context, what, path string, msg []byte) ([]byte, error) {
	frame := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(msg)))
	frame = append(frame, msg...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.grpcURL+path, bytes.NewReader(frame))
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := s.grpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w: %w", what, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+5))
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w: %w", what, ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("weaviate: %s: %w", what, &statusError{status: resp.StatusCode, msg: string(body[:min(len(body), maxErrorBody)])})
	}
	// The status is in the trailers, or in the headers of a reply that
	// carries nothing else.
	code, text := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if code == "" {
		code, text = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if code != "0" {
		if m, err := url.PathUnescape(text); err == nil {
			text = m
		}
		if code == strconv.Itoa(grpcUnavailable) {
			return nil, fmt.Errorf("weaviate: %s: %w: %s", what, ErrUnavailable, text)
		}
		return nil, fmt.Errorf("weaviate: %s: gRPC status %s: %s", what, cmp.Or(code, "missing"), text)
	}
	reply, err := unframe(body)
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w", what, err)
	}
	return reply, nil
}

// batchPath is the BatchObjects method of the weaviate.v1.Weaviate service.
const batchPath = "/weaviate.v1.Weaviate/BatchObjects"

// batchRequest encodes a BatchObjectsRequest of objs as Weaviate's Go
// client did, but for the order of the properties, sorted here (the
// client wrote a Go map's, which varies from run to run).
func batchRequest(objs []object) ([]byte, error) {
	var b []byte
	for _, o := range objs {
		var m []byte
		m = appendString(m, 1, o.ID)
		var st []byte // google.protobuf.Struct
		for _, k := range slices.Sorted(maps.Keys(o.Properties)) {
			var v []byte // google.protobuf.Value
			switch x := o.Properties[k].(type) {
			case string:
				v = protowire.AppendString(protowire.AppendTag(v, 3, protowire.BytesType), x)
			case int:
				v = protowire.AppendFixed64(protowire.AppendTag(v, 2, protowire.Fixed64Type), math.Float64bits(float64(x)))
			default:
				return nil, fmt.Errorf("property %s of %s: a %T, want a string or an int", k, o.ID, x)
			}
			var entry []byte
			entry = appendString(entry, 1, k)
			entry = appendBytes(entry, 2, v)
			st = appendBytes(st, 1, entry)
		}
		m = appendBytes(m, 3, appendBytes(nil, 1, st)) // properties.non_ref_properties
		m = appendString(m, 4, o.Class)
		if len(o.Vector) > 0 {
			m = appendBytes(m, 6, float32Bytes(o.Vector))
		}
		b = appendBytes(b, 1, m)
	}
	return b, nil
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// batchErrors decodes a BatchObjectsReply's errors: the index of each
// object that failed, with why.
func batchErrors(b []byte) (map[int]string, error) {
	var errs map[int]string
	err := fields(b, func(f protowire.Number, t protowire.Type, _ uint64, raw []byte) error {
		if f != 2 || t != protowire.BytesType {
			return nil
		}
		var index int
		var msg string
		err := fields(raw, func(f protowire.Number, t protowire.Type, v uint64, raw []byte) error {
			switch {
			case f == 1 && t == protowire.VarintType:
				index = int(int32(v))
			case f == 2 && t == protowire.BytesType:
				msg = string(raw)
			}
			return nil
		})
		if errs == nil {
			errs = map[int]string{}
		}
		errs[index] = msg
		return err
	})
	return errs, err
}

// grpcUnavailable is gRPC's UNAVAILABLE status.
const grpcUnavailable = 14

// unframe takes the one message out of a unary reply's body.
func unframe(b []byte) ([]byte, error) {
	if len(b) < 5 {
		return nil, fmt.Errorf("%w: %d bytes", errMalformed, len(b))
	}
	if b[0] != 0 {
		return nil, fmt.Errorf("%w: compressed, but none was asked for", errMalformed)
	}
	n := binary.BigEndian.Uint32(b[1:5])
	if n > maxReplyBytes || int(n) != len(b)-5 {
		return nil, fmt.Errorf("%w: a message of %d bytes in %d", errMalformed, n, len(b)-5)
	}
	return b[5:], nil
}
