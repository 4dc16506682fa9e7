// Command train fits citebot's answer model (answer/model.json) on
// committed data: the XQuAD development half (testdata/xquad, questions in
// English and Russian with gold answer spans, unanswerable ones included)
// and the seeds dev set (testdata/seeds-dev.jsonl, gold evidence strings).
//
// Every candidate sentence of every question's top passages is labelled by
// whether it holds the gold answer (at least half of a gold span's bytes,
// as the XQuAD scorer counts, or the whole evidence string). Off-topic
// questions (an article's questions asked of the collection without it)
// are added as unanswerable. Boosted trees, a logistic regression and a
// listwise ranker are fitted on the candidates' features and measured
// against each other by cross-validation over articles (a fold's articles
// are never seen by the model that answers them); the refusal thresholds
// are chosen on the trees' out-of-fold predictions, and the trees, fitted
// on everything, are the model.
//
//	go run ./tools/train            # writes answer/model.json, prints the report
//	go run ./tools/train -check     # fails when answer/model.json differs
package main

import (
	"bytes"
	"citebot/answer"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"citebot/chunking"
	"citebot/document"
	"citebot/loader"
	"citebot/retrieval"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the repository's root")
	out := fs.String("out", "answer/model.json", "where to write the model, under -root")
	source := fs.String("source", "answer/model_builtin.go", "where to write the model as Go source for the binary, under -root (empty: not written)")
	check := fs.Bool("check", false, "compare with -out instead of writing it")
	folds := fs.Int("folds", 4, "cross-validation folds (by article)")
	k := fs.Int("k", 5, "passages retrieved per question")
	verbose := fs.Bool("v", false, "list the questions whose best sentence is wrong (out of fold)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *folds < 2 {
		return errors.New("-folds must be at least 2")
	}
	sets := []dataSet{
		{name: "xquad", docs: filepath.Join(*root, "testdata/xquad/docs"), qa: filepath.Join(*root, "testdata/xquad/qa.jsonl")},
		{name: "seeds", docs: filepath.Join(*root, "seeds"), qa: filepath.Join(*root, "testdata/seeds-dev.jsonl")},
	}
	var qs []question
	for _, s := range sets {
		got, err := s.questions(ctx, *k)
		if err != nil {
			return err
		}
		qs = append(qs, got...)
	}
	off, err := sets[0].offTopic(ctx, *k, offTopicEvery)
	if err != nil {
		return err
	}
	qs = append(qs, off...)
	m, report, err := train(qs, *folds, *verbose)
	if err != nil {
		return err
	}
	b, err := encodeModel(m)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, report)
	// The Go source holds what the file holds (its rounded figures), so
	// it is made from the file's bytes read back.
	written, err := answer.ParseModel(b)
	if err != nil {
		return fmt.Errorf("the model written does not read back: %w", err)
	}
	src, err := builtinSource(written)
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data []byte
	}{{filepath.Join(*root, *out), b}}
	if *source != "" {
		files = append(files, struct {
			path string
			data []byte
		}{filepath.Join(*root, *source), src})
	}
	for _, f := range files {
		if *check {
			old, err := os.ReadFile(f.path)
			if err != nil {
				return err
			}
			if !bytes.Equal(old, f.data) {
				return fmt.Errorf("%s differs from the model fitted now: run go run ./tools/train", f.path)
			}
			fmt.Fprintf(stdout, "%s is what training gives\n", f.path)
			continue
		}
		if err := writeFile(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// writeFile replaces path atomically.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// newIndex indexes a folder as citebot does by default.
func newIndex(ctx context.Context, dir string) (*retrieval.Index, error) {
	docs, err := loadDocs(dir)
	if err != nil {
		return nil, err
	}
	return buildIndex(ctx, docs)
}

func loadDocs(dir string) ([]document.Document, error) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		return nil, err
	}
	docs, _, err := loader.Load(dir, 1<<30, func(s string) string { return chunking.Title(s, cfg.Chunk.Boilerplate) })
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s holds no documents", dir)
	}
	return docs, nil
}

func buildIndex(ctx context.Context, docs []document.Document) (*retrieval.Index, error) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		return nil, err
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(ctx, nil, retrieval.FromDocuments(docs, nil))
	ix := built.Index
	return ix, err
}
