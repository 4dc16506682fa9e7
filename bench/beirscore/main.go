// Command beirscore scores TREC run files against BEIR qrels with one
// piece of code for every engine of bench/scifact.sh: nDCG@10 (binary
// relevance: a grade above 0 is relevant), Recall@10, Recall@100 and
// MRR@10, averaged over the queries of the qrels, as `citebot eval --beir`
// computes them. A query a run has no line for scores 0.
//
//	beirscore -qrels ../shared/bench/scifact/qrels/test.tsv citebot.run bleve.run
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
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

// score averages the metrics over the queries of qrels.
func score(qrels map[string]map[string]int, ranked map[string][]string) Scores {
	var s Scores
	for qid, rel := range qrels {
		var dcg, idcg float64
		found10, found100 := 0, 0
		for i, doc := range ranked[qid] {
			if rel[doc] <= 0 {
				continue
			}
			if i < 10 {
				dcg += 1 / math.Log2(float64(i+2))
				found10++
				if found10 == 1 {
					s.MRR10 += 1 / float64(i+1)
				}
			}
			if i < 100 {
				found100++
			}
		}
		nrel := 0
		for _, g := range rel {
			if g > 0 {
				nrel++
			}
		}
		for i := range min(nrel, 10) {
			idcg += 1 / math.Log2(float64(i+2))
		}
		if idcg > 0 {
			s.NDCG10 += dcg / idcg
		}
		if nrel > 0 {
			s.Recall10 += float64(found10) / float64(nrel)
			s.Recall100 += float64(found100) / float64(nrel)
		}
		s.Queries++
	}
	if s.Queries > 0 {
		n := float64(s.Queries)
		s.NDCG10 /= n
		s.Recall10 /= n
		s.Recall100 /= n
		s.MRR10 /= n
	}
	return s
}

func readQrels(path string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	err := eachLine(path, func(n int, line string) error {
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || (n == 1 && fields[0] == "query-id") {
			return nil
		}
		g, err := strconv.Atoi(fields[2])
		if err != nil {
			return fmt.Errorf("%s line %d: bad score %q", path, n, fields[2])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]int{}
		}
		out[fields[0]][fields[1]] = g
		return nil
	})
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
