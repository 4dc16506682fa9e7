// Command search200k is target figure 4 of bench/targets.sh: the latency
// of a search (Index.Search, the top 5 passages, as an answer asks) over a
// synthetic corpus of -chunks one-chunk documents, one search at a time.
// The corpus is the one of the 10k- and 100k-chunk search benchmarks of
// package retrieval (Zipf-distributed English words and "termN" names,
// about 700 bytes a document), built in memory with citebot's default
// ranking; the questions are those benchmarks' four and -queries more of
// 3 to 10 words drawn from the same distribution.
//
//	search200k -chunks 200000 -seconds 10
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"citebot/chunking"
	"citebot/internal/testdocs"
	"citebot/retrieval"
)

// Result is what the run measured. Latencies are in milliseconds.
type Result struct {
	Chunks    int     `json:"chunks"`
	TextMB    float64 `json:"text_mb"`
	BuildSec  float64 `json:"build_s"`
	HeapMB    float64 `json:"heap_mb"`
	Questions int     `json:"questions"`
	Searches  int     `json:"searches"`
	P50       float64 `json:"p50_ms"`
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Mean      float64 `json:"mean_ms"`
	// CPUPerSearch is the process's processor time over the searches
	// (the collector's included) divided by their number: a figure other
	// processes on a shared machine disturb less than latency.
	CPUPerSearch float64 `json:"cpu_ms_per_search"`
	NoResults    int     `json:"searches_without_results"`
	Description  string  `json:"description"`
}

func main() {
	chunks := flag.Int("chunks", 200000, "chunks (one per synthetic document)")
	seconds := flag.Float64("seconds", 10, "how long searches are measured, after a warm-up pass")
	queries := flag.Int("queries", 500, "generated questions besides the benchmarks' four")
	flag.Parse()
	r, err := run(context.Background(), *chunks, *queries, time.Duration(*seconds*float64(time.Second)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "search200k:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

func run(ctx context.Context, n, nq int, dur time.Duration) (Result, error) {
	docs, words := testdocs.Synthetic(n)
	r := Result{Chunks: n}
	var text int
	for _, d := range docs {
		text += len(d.Text)
	}
	r.TextMB = float64(text) / 1e6
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		return r, err
	}
	// As the retrieval benchmarks: no boilerplate patterns, so that every
	// document is exactly one chunk.
	cfg.Chunk = chunking.Options{MaxBytes: 1000}
	start := time.Now()
	res, err := retrieval.NewMemoryStore(cfg).Update(ctx, nil, retrieval.FromDocuments(docs, nil))
	if err != nil {
		return r, fmt.Errorf("build: %w", err)
	}
	ix := res.Index
	r.BuildSec = time.Since(start).Seconds()
	if ix.NumChunks() != n {
		return r, fmt.Errorf("the synthetic corpus has %d chunks, want %d", ix.NumChunks(), n)
	}
	docs = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMB = float64(ms.HeapAlloc) / 1e6

	qs := []string{
		"When was the information security agreement adopted by the union state?",
		"cyber threat cooperation between member states",
		"what norms of responsible behavior does the expert report contain",
		"term12 term400 resilience",
	}
	qr := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(qr, 1.1, 2, uint64(len(words)-1))
	for range nq {
		w := make([]string, 3+qr.IntN(8))
		for i := range w {
			w[i] = words[z.Uint64()]
		}
		qs = append(qs, strings.Join(w, " ")+"?")
	}
	r.Questions = len(qs)
	r.Description = fmt.Sprintf("Index.Search top 5 over %d synthetic one-chunk documents (%.0f MB of text), one search at a time; %d questions in turn",
		n, r.TextMB, len(qs))

	for _, q := range qs { // warm-up: every question once
		if _, err := ix.Search(ctx, q, 5); err != nil {
			return r, err
		}
	}
	var took []time.Duration
	var sum time.Duration
	cpu0 := cpuTime()
	deadline := time.Now().Add(dur)
	for i := 0; time.Now().Before(deadline); i++ {
		t0 := time.Now()
		ps, err := ix.Search(ctx, qs[i%len(qs)], 5)
		if err != nil {
			return r, err
		}
		d := time.Since(t0)
		took = append(took, d)
		sum += d
		if len(ps) == 0 {
			r.NoResults++
		}
	}
	cpu := cpuTime() - cpu0
	slices.Sort(took)
	msOf := func(p float64) float64 {
		i := min(len(took)-1, int(p*float64(len(took))))
		return float64(took[i].Microseconds()) / 1000
	}
	r.Searches = len(took)
	r.P50, r.P90, r.P99 = msOf(0.50), msOf(0.90), msOf(0.99)
	r.Mean = float64(sum.Microseconds()) / 1000 / float64(len(took))
	r.CPUPerSearch = float64(cpu.Microseconds()) / 1000 / float64(len(took))
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
