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
	"sync/atomic"
	"testing"

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

// BenchmarkAskUnique is POST /v1/ask over the seeds through the whole
// server (middleware, metrics, logging at warn as bench/http.sh runs it,
// the answer cache at its default size) on a loopback server, 16 requests
// at a time, with questions that do not repeat within the cache's size:
// every answer is computed.
func BenchmarkAskUnique(b *testing.B) {
	rc, err := retrieval.DefaultConfig()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
	srv := httptest.NewServer(NewServer(Config{}, live, log, nil))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	bodies := benchQuestions(b)
	var next atomic.Int64
	b.SetParallelism(8) // 16 on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[int(next.Add(1))%len(bodies)]
			resp, err := client.Post(srv.URL+"/v1/ask", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Error(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
