package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadQueries(t *testing.T) {
	const queries = `{"_id":"2","text":"two?"}` + "\n" + `{"_id":"1","text":"one?"}` + "\n" + `{"_id":"9","text":"unjudged"}` + "\n"
	tests := []struct {
		name, qrels string
		want        []query
		err         string
	}{
		{name: "the qrels' queries, each once, sorted by id",
			qrels: "query-id\tcorpus-id\tscore\n2\td1\t1\n1\td2\t0\n2\td3\t1\n",
			want:  []query{{"1", "one?"}, {"2", "two?"}}},
		{name: "a judged query missing from queries.jsonl", qrels: "3\td1\t1\n", err: "query 3 of"},
		{name: "no queries", qrels: "query-id\tcorpus-id\tscore\n", err: "lists no queries"},
		{name: "bad score", qrels: "1\td1\tx\n", err: "bad score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			qp, rp := filepath.Join(dir, "queries.jsonl"), filepath.Join(dir, "test.tsv")
			if err := os.WriteFile(qp, []byte(queries), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rp, []byte(tt.qrels), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readQueries(qp, rp)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
