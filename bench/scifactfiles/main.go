// Command scifactfiles writes a BEIR corpus.jsonl out as one .txt file per
// document (title, blank line, abstract), so that the end-to-end benchmark
// indexes SciFact the way a maintainer's folder would be: from files.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	in := flag.String("corpus", "../shared/bench/scifact/corpus.jsonl", "BEIR corpus.jsonl")
	out := flag.String("out", "", "folder to write the .txt files into")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "scifactfiles:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("line %d: %w", n+1, err)
		}
		body := d.Title + "\n\n" + d.Text + "\n"
		if err := os.WriteFile(filepath.Join(out, d.ID+".txt"), []byte(body), 0o644); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d documents to %s\n", n, out)
	return nil
}
