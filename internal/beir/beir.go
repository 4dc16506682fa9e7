// Package beir reads a BEIR benchmark folder (corpus.jsonl, queries.jsonl,
// qrels/SPLIT.tsv) and scores document rankings against its qrels: nDCG@10
// with binary relevance (a grade above 0 is relevant), Recall@10,
// Recall@100 and MRR@10, averaged over the queries of the qrels. It is the
// one copy `citebot eval --beir`, bench/beircitebot and bench/beirscore
// share, so that their figures agree to the last digit.
package beir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"citebot/document"
)

// Qrels holds each query's judged documents and their grades.
type Qrels map[string]map[string]int

// QueryIDs is the queries of q, sorted, the order they are scored in: a
// sum of floats depends on its order, and a map has none.
func (q Qrels) QueryIDs() []string {
	ids := make([]string, 0, len(q))
	for id := range q {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Metrics are a ranking's scores averaged over the queries of the qrels.
type Metrics struct {
	Queries   int
	NDCG10    float64
	Recall10  float64
	Recall100 float64
	MRR10     float64
}

// Score averages the metrics over the queries of qrels; ranked holds each
// query's documents, best first, each once. A query ranked has nothing for
// scores 0.
func Score(qrels Qrels, ranked map[string][]string) Metrics {
	var m Metrics
	for _, qid := range qrels.QueryIDs() {
		rel := qrels[qid]
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
					m.MRR10 += 1 / float64(i+1)
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
			m.NDCG10 += dcg / idcg
		}
		if nrel > 0 {
			m.Recall10 += float64(found10) / float64(nrel)
			m.Recall100 += float64(found100) / float64(nrel)
		}
		m.Queries++
	}
	if m.Queries > 0 {
		n := float64(m.Queries)
		m.NDCG10 /= n
		m.Recall10 /= n
		m.Recall100 /= n
		m.MRR10 /= n
	}
	return m
}

// ReadCorpus reads corpus.jsonl as documents whose text is the title, a
// blank line, and the abstract, as a file of the corpus would be; empty
// documents are left out. They come sorted by id, so that an index built
// from them does not depend on the file's order.
func ReadCorpus(path string) ([]document.Document, error) {
	var docs []document.Document
	err := readJSONL(path, func(raw []byte) error {
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
		if strings.TrimSpace(text) == "" {
			return nil
		}
		docs = append(docs, document.Document{ID: d.ID, Title: d.Title, Text: text})
		return nil
	})
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	return docs, err
}

// ReadQueries reads queries.jsonl as each query's text by its id.
func ReadQueries(path string) (map[string]string, error) {
	qs := map[string]string{}
	err := readJSONL(path, func(raw []byte) error {
		var q struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			return err
		}
		qs[q.ID] = q.Text
		return nil
	})
	return qs, err
}

// ReadQrels reads a qrels file: query-id, corpus-id and score, separated
// by tabs, under an optional header line. Lines of another shape are
// skipped; a score that is not a number is an error.
func ReadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := Qrels{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(fields) != 3 || (n == 1 && fields[0] == "query-id") {
			continue
		}
		g, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: bad score %q", path, n, fields[2])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]int{}
		}
		out[fields[0]][fields[1]] = g
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// readJSONL calls fn with each line of path that is not blank. Lines may be
// long: an abstract is one line.
func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s line %d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
