// Command beirbleve is Bleve's side of bench/scifact.sh, the full-text
// library a Go developer would pick: it indexes a BEIR corpus with Bleve v2
// (scorch, on disk in a temporary folder), answers the split's queries
// once, writing the top documents of each as a TREC run file for
// bench/beirscore, then measures throughput: the same queries round and
// round from -clients goroutines for -seconds, as bench/beircitebot does
// for citebot.
//
// The configuration is Bleve's own for English, with BM25 instead of its
// default TF-IDF: one text field holding what citebot indexes (the title,
// a blank line, the abstract), analysed by Bleve's "en" analyzer (Unicode
// words, English possessives, lower case, English stop words, Porter
// stemmer); no stored fields, term vectors or _all field, which ranking
// does not use; BM25 with -k1 and -b (the script passes citebot's); a
// match query (any of the query's terms) on that field, top -n documents.
//
// This is a module of its own, so that citebot's go.mod does not depend on
// Bleve; bench/scifact.sh builds it outside the repository. That is also
// why it keeps its own copy of reading the corpus and queries (readCorpus,
// readQueries below) instead of importing citebot/internal/beir: a module
// built outside the repository cannot import citebot's internal packages.
// The copy must read the files exactly as internal/beir does, or the two
// engines would rank different texts.
//
//	beirbleve -beir ../shared/bench/scifact -split test -k1 0.9 -b 0.4 -run bleve.run
package main

import (
	"bufio"
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

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// Result is what one engine measured, as bench/beircitebot writes it.
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
	k1 := flag.Float64("k1", 0.9, "BM25 k1")
	b := flag.Float64("b", 0.4, "BM25 b")
	runFile := flag.String("run", "", "TREC run file to write (required)")
	indexDir := flag.String("index", "", "folder for the index, which must not exist (required)")
	flag.Parse()
	r, err := run(*dir, *split, *runFile, *indexDir, *clients, *n, *k1, *b, time.Duration(*seconds*float64(time.Second)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "beirbleve:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

type doc struct {
	Body string `json:"body"`
}

func run(dir, split, runFile, indexDir string, clients, n int, k1, b float64, dur time.Duration) (Result, error) {
	if runFile == "" || indexDir == "" {
		return Result{}, fmt.Errorf("-run and -index are required")
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
	// Package variables: Bleve has no per-index setting for them.
	search.BM25_k1, search.BM25_b = k1, b
	r := Result{Engine: "bleve", Documents: len(docs), Queries: len(queries), Clients: clients, K1: k1, B: b,
		Config: fmt.Sprintf("Bleve v2, scorch; one text field, analyzer %q; BM25 k1 %g, b %g; match query", en.AnalyzerName, k1, b)}

	body := bleve.NewTextFieldMapping()
	body.Analyzer = en.AnalyzerName
	body.Store = false
	body.IncludeTermVectors = false
	body.IncludeInAll = false
	body.DocValues = false
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("body", body)
	im := mapping.NewIndexMapping()
	im.DefaultMapping = dm
	im.DefaultAnalyzer = en.AnalyzerName
	im.ScoringModel = index.BM25Scoring

	start := time.Now()
	idx, err := bleve.New(indexDir, im)
	if err != nil {
		return r, fmt.Errorf("create the index: %w", err)
	}
	defer idx.Close()
	batch := idx.NewBatch()
	for _, d := range docs {
		if err := batch.Index(d.id, doc{Body: d.text}); err != nil {
			return r, err
		}
		if batch.Size() >= 1000 {
			if err := idx.Batch(batch); err != nil {
				return r, err
			}
			batch.Reset()
		}
	}
	if err := idx.Batch(batch); err != nil {
		return r, err
	}
	r.IndexMS = time.Since(start).Milliseconds()
	if c, err := idx.DocCount(); err != nil || int(c) != len(docs) {
		return r, fmt.Errorf("the index holds %d documents, want %d (%v)", c, len(docs), err)
	}

	ask := func(text string) (*bleve.SearchResult, error) {
		q := bleve.NewMatchQuery(text)
		q.SetField("body")
		req := bleve.NewSearchRequestOptions(q, n, 0, false)
		return idx.Search(req)
	}

	// The ranking, once, in query order.
	f, err := os.Create(runFile)
	if err != nil {
		return r, err
	}
	w := bufio.NewWriter(f)
	for _, q := range queries {
		res, err := ask(q.text)
		if err != nil {
			f.Close()
			return r, fmt.Errorf("query %s: %w", q.id, err)
		}
		for i, h := range res.Hits {
			fmt.Fprintf(w, "%s Q0 %s %d %g bleve\n", q.id, h.ID, i+1, h.Score)
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
				if _, err := ask(q.text); err != nil {
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

type corpusDoc struct{ id, text string }

type query struct{ id, text string }

// readCorpus reads corpus.jsonl as internal/beir.ReadCorpus does for
// `citebot eval --beir` (a copy: see the package comment): the text is the
// title, a blank line and the abstract; empty documents are left out.
func readCorpus(path string) ([]corpusDoc, error) {
	var docs []corpusDoc
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
			docs = append(docs, corpusDoc{d.ID, text})
		}
		return nil
	})
	slices.SortFunc(docs, func(a, b corpusDoc) int { return strings.Compare(a.id, b.id) })
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
