// Command storestable prints eval --beir --json reports of two stores side
// by side (bench/stores.sh); a third report, of the second store's first
// run, gives its index time.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
)

type report struct {
	Split     string  `json:"split"`
	Queries   int     `json:"queries"`
	Chunks    int     `json:"chunks"`
	NDCG10    float64 `json:"ndcg_at_10"`
	Recall100 float64 `json:"recall_at_100"`
	IndexMS   int64   `json:"index_ms"`
	P50       float64 `json:"query_p50_ms"`
	P99       float64 `json:"query_p99_ms"`
	QPS       float64 `json:"queries_per_second"`
	Store     string  `json:"store"`
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: storestable EMBEDDED.json WEAVIATE.json [WEAVIATE-BUILD.json]")
		os.Exit(2)
	}
	var rs [3]report
	for i, path := range os.Args[1:] {
		raw, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(raw, &rs[i])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "storestable:", err)
			os.Exit(1)
		}
	}
	a, b := rs[0], rs[1]
	if len(os.Args) == 4 {
		b.IndexMS = rs[2].IndexMS
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "SciFact %s (%d queries, %d chunks)\t%s\t%s\t\n", a.Split, a.Queries, a.Chunks, a.Store, b.Store)
	fmt.Fprintf(tw, "nDCG@10\t%.4f\t%.4f\t  difference %+.4f\n", a.NDCG10, b.NDCG10, b.NDCG10-a.NDCG10)
	fmt.Fprintf(tw, "Recall@100\t%.4f\t%.4f\t\n", a.Recall100, b.Recall100)
	fmt.Fprintf(tw, "index time\t%.1f s\t%.1f s\t\n", float64(a.IndexMS)/1000, float64(b.IndexMS)/1000)
	fmt.Fprintf(tw, "query p50\t%.2f ms\t%.2f ms\t\n", a.P50, b.P50)
	fmt.Fprintf(tw, "query p99\t%.2f ms\t%.2f ms\t\n", a.P99, b.P99)
	fmt.Fprintf(tw, "throughput (8 at a time)\t%.0f q/s\t%.0f q/s\t\n", a.QPS, b.QPS)
	tw.Flush()
}
