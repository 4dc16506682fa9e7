// Command beircitebot is citebot's side of bench/scifact.sh: it indexes a
// BEIR corpus in memory with citebot's default configuration (the one
// `citebot eval --beir` uses), answers the split's queries once, writing
// the top documents of each as a TREC run file for bench/beirscore, then
// measures throughput: the same queries round and round from -clients
// goroutines for -seconds. bench/beirbleve does the same with Bleve.
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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"citebot/document"
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
	docs, err := readCorpus(filepath.Join(dir, "corpus.jsonl"))
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

// readCorpus reads corpus.jsonl as `citebot eval --beir` does: the text is
// the title, a blank line and the abstract; empty documents are left out.
func readCorpus(path string) ([]document.Document, error) {
	var docs []document.Document
	err := eachJSON(path, func(raw []byte) error {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		text := d.Text
		if d.Title != "" {
			text = d.Title + "\n\n" + d.Text
		}
		if strings.TrimSpace(text) != "" {
			docs = append(docs, document.Document{ID: d.ID, Title: d.Title, Text: text})
		}
		return nil
	})
	slices.SortFunc(docs, func(a, b document.Document) int { return strings.Compare(a.ID, b.ID) })
	return docs, err
}

// readQueries is the queries of the qrels file, sorted by id.
func readQueries(queriesPath, qrelsPath string) ([]query, error) {
	texts := map[string]string{}
	err := eachJSON(queriesPath, func(raw []byte) error {
		var q struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			return err
		}
		texts[q.ID] = q.Text
		return nil
	})
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(qrelsPath)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []query
	for line := range strings.Lines(string(b)) {
		fields := strings.Split(strings.TrimSpace(line), "\t")
		if len(fields) != 3 || fields[0] == "query-id" || seen[fields[0]] {
			continue
		}
		seen[fields[0]] = true
		text, ok := texts[fields[0]]
		if !ok {
			return nil, fmt.Errorf("query %s of %s is not in %s", fields[0], qrelsPath, queriesPath)
		}
		out = append(out, query{fields[0], text})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no queries", qrelsPath)
	}
	slices.SortFunc(out, func(a, b query) int { return strings.Compare(a.id, b.id) })
	return out, nil
}

func eachJSON(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s line %d: %w", path, n, err)
		}
	}
	return sc.Err()
}
