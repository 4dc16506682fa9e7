// Command beircitebot is citebot's side of bench/scifact.sh: it indexes a
// BEIR corpus in memory with citebot's default configuration (the one
// `citebot eval --beir` uses), answers the split's queries once, writing
// the top documents of each as a TREC run file for bench/beirscore, then
// measures throughput: the same queries round and round from -clients
// goroutines for -seconds. bench/beirbleve does the same with Bleve. The
// corpus and queries are read by internal/beir, as `citebot eval --beir`
// reads them.
//
//	beircitebot -beir ../shared/bench/scifact -split test -run citebot.run -json
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"citebot/internal/beir"
	"citebot/retrieval"
)

// Result is what one engine measured; bench/beirbleve writes the same.
type Result struct {
	Engine    string  `json:"engine"`
	Documents int     `json:"documents"`
	Queries   int     `json:"queries"`
	IndexMS   int64   `json:"index_ms"`
	Clients   int     `json:"clients"`
	Searches  int64   `json:"searches"`
	Seconds   float64 `json:"seconds"`
	QPS       float64 `json:"queries_per_second"`
	// CPUSeconds is the processor time the process used while measuring
	// throughput; QPCPU, searches per CPU-second, is the figure other
	// processes on a shared machine disturb less.
	CPUSeconds float64 `json:"cpu_seconds"`
	QPCPU      float64 `json:"queries_per_cpu_second"`
	K1         float64 `json:"k1"`
	B          float64 `json:"b"`
	Config     string  `json:"config"`
}

func main() {
	dir := flag.String("beir", "../shared/bench/scifact", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)")
	split := flag.String("split", "test", "qrels split whose queries are asked")
	clients := flag.Int("clients", 8, "concurrent searches while measuring throughput")
	seconds := flag.Float64("seconds", 5, "how long throughput is measured")
	n := flag.Int("n", 100, "documents ranked per query")
	runFile := flag.String("run", "", "TREC run file to write (required)")
	flag.Parse()
	r, err := run(context.Background(), *dir, *split, *runFile, *clients, *n, time.Duration(*seconds*float64(time.Second)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "beircitebot:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

func run(ctx context.Context, dir, split, runFile string, clients, n int, dur time.Duration) (Result, error) {
	if runFile == "" {
		return Result{}, fmt.Errorf("-run is required")
	}
	if clients < 1 {
		return Result{}, fmt.Errorf("-clients must be at least 1")
	}
	docs, err := beir.ReadCorpus(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		return Result{}, err
	}
	queries, err := readQueries(filepath.Join(dir, "queries.jsonl"), filepath.Join(dir, "qrels", split+".tsv"))
	if err != nil {
		return Result{}, err
	}
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		return Result{}, err
	}
	r := Result{Engine: "citebot", Documents: len(docs), Queries: len(queries), Clients: clients,
		K1: cfg.BM25.K1, B: cfg.BM25.B,
		Config: fmt.Sprintf("citebot's defaults: BM25F k1 %g, b %g, title weight %g, section weight %g; %s fusion, vector weight %g, %d candidates; %d-byte chunks",
			cfg.BM25.K1, cfg.BM25.B, cfg.BM25.TitleWeight, cfg.BM25.SectionWeight, cfg.Fusion.Method, cfg.Fusion.VectorWeight, cfg.Fusion.Candidates, cfg.Chunk.MaxBytes)}
	start := time.Now()
	res, err := retrieval.NewMemoryStore(cfg).Update(ctx, nil, retrieval.FromDocuments(docs, nil))
	if err != nil {
		return r, fmt.Errorf("index: %w", err)
	}
	ix := res.Index
	r.IndexMS = time.Since(start).Milliseconds()

	// The ranking, once, in query order.
	f, err := os.Create(runFile)
	if err != nil {
		return r, err
	}
	w := bufio.NewWriter(f)
	for _, q := range queries {
		ranked, err := ix.SearchDocuments(ctx, q.text, n)
		if err != nil {
			f.Close()
			return r, fmt.Errorf("query %s: %w", q.id, err)
		}
		for i, d := range ranked {
			fmt.Fprintf(w, "%s Q0 %s %d %g citebot\n", q.id, d.DocID, i+1, d.Score)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return r, err
	}
	if err := f.Close(); err != nil {
		return r, err
	}

	// Throughput: clients goroutines take the next query, round and round.
	var next, done atomic.Int64
	var stop atomic.Bool
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start = time.Now()
	for range clients {
		wg.Go(func() {
			for !stop.Load() {
				q := queries[(next.Add(1)-1)%int64(len(queries))]
				if _, err := ix.SearchDocuments(ctx, q.text, n); err != nil {
					once.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
				done.Add(1)
			}
		})
	}
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		return r, firstErr
	}
	r.Seconds = time.Since(start).Seconds()
	r.CPUSeconds = (cpuTime() - cpu0).Seconds()
	r.Searches = done.Load()
	r.QPS = float64(r.Searches) / r.Seconds
	if r.CPUSeconds > 0 {
		r.QPCPU = float64(r.Searches) / r.CPUSeconds
	}
	return r, nil
}

// cpuTime is the processor time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type query struct{ id, text string }

// readQueries is the queries of the qrels file, sorted by id.
func readQueries(queriesPath, qrelsPath string) ([]query, error) {
	texts, err := beir.ReadQueries(queriesPath)
	if err != nil {
		return nil, err
	}
	qrels, err := beir.ReadQrels(qrelsPath)
	if err != nil {
		return nil, err
	}
	var out []query
	for _, id := range qrels.QueryIDs() {
		text, ok := texts[id]
		if !ok {
			return nil, fmt.Errorf("query %s of %s is not in %s", id, qrelsPath, queriesPath)
		}
		out = append(out, query{id, text})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no queries", qrelsPath)
	}
	return out, nil
}
