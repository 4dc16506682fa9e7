// Command beirscore scores TREC run files against BEIR qrels with one
// piece of code for every engine of bench/scifact.sh: nDCG@10 (binary
// relevance: a grade above 0 is relevant), Recall@10, Recall@100 and
// MRR@10, averaged over the queries of the qrels, by internal/beir, the
// code `citebot eval --beir` computes them with. A query a run has no line
// for scores 0.
//
//	beirscore -qrels ../shared/bench/scifact/qrels/test.tsv citebot.run bleve.run
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"citebot/internal/beir"
)

// Scores are one run's metrics.
type Scores struct {
	Run       string  `json:"run"`
	Queries   int     `json:"queries"`
	NDCG10    float64 `json:"ndcg_at_10"`
	Recall10  float64 `json:"recall_at_10"`
	Recall100 float64 `json:"recall_at_100"`
	MRR10     float64 `json:"mrr_at_10"`
}

func main() {
	qrelsPath := flag.String("qrels", "", "BEIR qrels file (query-id, corpus-id, score; tab-separated)")
	flag.Parse()
	if *qrelsPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: beirscore -qrels QRELS RUN...")
		os.Exit(2)
	}
	qrels, err := readQrels(*qrelsPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "beirscore:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, path := range flag.Args() {
		ranked, err := readRun(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "beirscore:", err)
			os.Exit(1)
		}
		s := score(qrels, ranked)
		s.Run = path
		enc.Encode(s)
	}
}

// score is the metrics of ranked, computed as `citebot eval --beir` does.
func score(qrels beir.Qrels, ranked map[string][]string) Scores {
	m := beir.Score(qrels, ranked)
	return Scores{Queries: m.Queries, NDCG10: m.NDCG10, Recall10: m.Recall10, Recall100: m.Recall100, MRR10: m.MRR10}
}

// readQrels is beir.ReadQrels, refusing a file with no judgements, which
// would score every run 0.
func readQrels(path string) (beir.Qrels, error) {
	out, err := beir.ReadQrels(path)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s holds no judgements", path)
	}
	return out, err
}

// readRun reads a TREC run file (qid Q0 docid rank score tag) into each
// query's documents in rank order, each once (at its best rank), so that a
// run listing a document twice cannot count it twice.
func readRun(path string) (map[string][]string, error) {
	type hit struct {
		doc  string
		rank int
	}
	hits := map[string][]hit{}
	err := eachLine(path, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) != 6 {
			return fmt.Errorf("%s line %d: want 6 fields (qid Q0 docid rank score tag), got %d", path, n, len(f))
		}
		rank, err := strconv.Atoi(f[3])
		if err != nil {
			return fmt.Errorf("%s line %d: bad rank %q", path, n, f[3])
		}
		hits[f[0]] = append(hits[f[0]], hit{f[2], rank})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(hits))
	for q, hs := range hits {
		slices.SortStableFunc(hs, func(a, b hit) int { return a.rank - b.rank })
		docs := make([]string, 0, len(hs))
		seen := make(map[string]bool, len(hs))
		for _, h := range hs {
			if !seen[h.doc] {
				seen[h.doc] = true
				docs = append(docs, h.doc)
			}
		}
		out[q] = docs
	}
	return out, nil
}

func eachLine(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			if err := fn(n, line); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}
