package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citebot/answer"
	"citebot/corpus"
	"citebot/retrieval"
)

// benchQuestions are the committed question sets' questions as POST
// /v1/ask bodies: over a thousand, so that cycling through them never
// meets the answer cache.
func benchQuestions(b *testing.B) [][]byte {
	b.Helper()
	var out [][]byte
	for _, path := range []string{"../testdata/seeds-dev.jsonl", "../testdata/seeds-extra.jsonl", "../testdata/xquad/qa.jsonl"} {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var q struct{ Question string }
			if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
				b.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"question": q.Question, "k": 5})
			out = append(out, body)
		}
		f.Close()
	}
	return out
}

// seedsServer is the whole API over the seeds (middleware, metrics,
// logging at warn as bench/http.sh runs it, the answer cache at its
// default size).
func seedsServer(b *testing.B) http.Handler {
	b.Helper()
	rc, err := retrieval.DefaultConfig()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	live := corpus.New(ctx,
		func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
			return retrieval.NewMemoryStore(rc).Update(ctx, prev, retrieval.FromFolder("../seeds", 1<<20))
		},
		func(ix *retrieval.Index) corpus.AnswerFunc {
			return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning, CorpusScript: "latin"}.Answer
		},
		corpus.Options{CacheSize: 1024})
	if _, err := live.Load(ctx); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return NewServer(Config{}, live, log, nil)
}

// BenchmarkAskUnique is POST /v1/ask over the seeds through the whole
// server on a loopback connection, 16 requests at a time, with questions
// that do not repeat within the cache's size: every answer is computed.
// The client's allocations count too. It reports the latency's median
// and 99th percentile.
func BenchmarkAskUnique(b *testing.B) {
	srv := httptest.NewServer(seedsServer(b))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	bodies := benchQuestions(b)
	var next atomic.Int64
	var mu sync.Mutex
	var took []time.Duration
	b.SetParallelism(8) // 16 on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			body := bodies[int(next.Add(1))%len(bodies)]
			start := time.Now()
			resp, err := client.Post(srv.URL+"/v1/ask", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Error(err)
			}
			resp.Body.Close()
			mine = append(mine, time.Since(start))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkAskHandlerUnique is BenchmarkAskUnique without the network:
// the server's handler called in process, one request at a time, so that
// the allocations are the server's own.
func BenchmarkAskHandlerUnique(b *testing.B) {
	h := seedsServer(b)
	bodies := benchQuestions(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/ask", bytes.NewReader(bodies[i%len(bodies)]))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
