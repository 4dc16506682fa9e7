package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"citebot/chunking"
	"citebot/document"
	"citebot/embedding/wordvec"
	"citebot/internal/testdocs"
	"citebot/loader"
	"citebot/retrieval/internal/rank"
)

// syntheticDocs is testdocs.Synthetic's corpus: n documents of one chunk
// each, for the 10k- and 100k-chunk search benchmarks.
func syntheticDocs(n int) []document.Document {
	docs, _ := testdocs.Synthetic(n)
	return docs
}

func benchConfig(tb testing.TB) Config {
	m, err := wordvec.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return Config{BM25: rank.DefaultBM25, Fusion: rank.DefaultFusion, Chunk: chunking.Options{MaxBytes: 1000},
		Embedder: Embedder{Name: wordvec.Version, Embed: m.EmbeddingFunc()}}
}

// benchIndex is the synthetic index the last search benchmark built, kept
// for the next run of the same size: with -count 5 the 200,000-chunk
// index would otherwise be built five times, a minute each.
var benchIndex struct {
	chunks       int
	ix           *Index
	heapPerChunk float64
}

func syntheticIndex(b *testing.B, chunks int) (*Index, float64) {
	if benchIndex.chunks == chunks {
		return benchIndex.ix, benchIndex.heapPerChunk
	}
	benchIndex.ix = nil // let the previous size go before building the next
	cfg := benchConfig(b)
	docs := syntheticDocs(chunks)
	ix, _, err := build(context.Background(), docs, nil, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if ix.NumChunks() != chunks {
		b.Fatalf("the synthetic corpus has %d chunks, want %d", ix.NumChunks(), chunks)
	}
	// The heap after building, per chunk: the index's memory cost
	// (texts, chunks, vectors in the store and the flat copy, postings).
	docs = nil
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	benchIndex.chunks, benchIndex.ix = chunks, ix
	benchIndex.heapPerChunk = float64(ms.HeapAlloc) / float64(chunks)
	return ix, benchIndex.heapPerChunk
}

func benchSearch(b *testing.B, chunks int) {
	benchQueries(b, chunks, []string{
		"When was the information security agreement adopted by the union state?",
		"cyber threat cooperation between member states",
		"what norms of responsible behavior does the expert report contain",
		"term12 term400 resilience",
	})
}

// benchUnmatched searches with questions whose words the synthetic corpus
// lacks: the keyword stage finds nothing, so every chunk's vector is
// scored (the fallback localRanker.rank takes when the words find fewer
// chunks than the candidates).
func benchUnmatched(b *testing.B, chunks int) {
	benchQueries(b, chunks, []string{
		"why do penguins swim in cold water",
		"how many moons does the planet have",
	})
}

func benchQueries(b *testing.B, chunks int, queries []string) {
	ix, heapPerChunk := syntheticIndex(b, chunks)
	ctx := context.Background()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := ix.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	// The targets are on the median, which the mean of ns/op can hide.
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(heapPerChunk, "heapB/chunk")
}

func BenchmarkSearch10k(b *testing.B)  { benchSearch(b, 10_000) }
func BenchmarkSearch100k(b *testing.B) { benchSearch(b, 100_000) }
func BenchmarkSearch200k(b *testing.B) { benchSearch(b, 200_000) }

func BenchmarkSearchUnmatched10k(b *testing.B)  { benchUnmatched(b, 10_000) }
func BenchmarkSearchUnmatched200k(b *testing.B) { benchUnmatched(b, 200_000) }

func BenchmarkBuildSeeds(b *testing.B) {
	cfg := benchConfig(b)
	docs, _, err := loader.Load("../seeds", 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := build(context.Background(), docs, nil, cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchDocumentsSciFact ranks SciFact's abstracts for its
// claims as `citebot eval --beir` does (100 documents a question), one at
// a time: the keyword and vector stages on real text, where the synthetic
// corpus repeats a few words. It needs the BEIR copy of SciFact beside
// the repository and is skipped without it.
func BenchmarkSearchDocumentsSciFact(b *testing.B) {
	ix, queries := sciFactIndex(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := ix.SearchDocuments(ctx, queries[i%len(queries)], 100); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchDocumentsSciFactParallel is the same with 8 clients at
// once per core, as eval's throughput pass runs them, but over every
// claim as often as the benchmark needs rather than 300 once: its ns/op
// is the inverse of the throughput.
func BenchmarkSearchDocumentsSciFactParallel(b *testing.B) {
	ix, queries := sciFactIndex(b)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q := queries[int(next.Add(1))%len(queries)]
			if _, err := ix.SearchDocuments(ctx, q, 100); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func sciFactIndex(b *testing.B) (*Index, []string) {
	dir := filepath.Join("..", "..", "shared", "bench", "scifact")
	var docs []document.Document
	readLines(b, filepath.Join(dir, "corpus.jsonl"), func(line []byte) {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(line, &d); err != nil {
			b.Fatal(err)
		}
		docs = append(docs, document.Document{ID: d.ID, Title: d.Title, Text: d.Title + "\n\n" + d.Text})
	})
	var queries []string
	readLines(b, filepath.Join(dir, "queries.jsonl"), func(line []byte) {
		var q struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(line, &q); err != nil {
			b.Fatal(err)
		}
		queries = append(queries, q.Text)
	})
	ix, _, err := build(context.Background(), docs, nil, benchConfig(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	return ix, queries
}

func readLines(b *testing.B, path string, each func(line []byte)) {
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("needs %s, not in a fresh clone: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		each(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
}
