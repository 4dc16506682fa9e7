package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"citebot/retrieval"
)

func runIndex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("index", stderr)
	c, rest, err := parse(f, args, getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("index takes no arguments, got %q", rest)
	}
	rc, err := retrievalConfig(c)
	if err != nil {
		return err
	}
	store := storeFor(c, rc, false)
	st, err := store.open(ctx)
	if err != nil {
		return err
	}
	// On a terminal a status line shows the progress; the line is gone
	// before the summary is printed.
	stopProgress := func() {}
	if isTerminal(stderr) {
		m := retrieval.NewMeter()
		ctx = retrieval.WithMeter(ctx, m)
		stopProgress = showProgress(stderr, m, 200*time.Millisecond)
	}
	defer collectOften(getenv)()
	res, err := st.Refresh(ctx, retrieval.FromFolder(c.Docs, c.MaxFileBytes))
	stopProgress()
	if err != nil {
		return err
	}
	s := res.Summary
	if *f.json {
		enc := json.NewEncoder(stdout)
		return enc.Encode(s)
	}
	fmt.Fprintf(stdout, "indexed %s into %s in %d ms\n", c.Docs, store.where, s.TookMS)
	fmt.Fprintf(stdout, "  added %d, changed %d, removed %d, unchanged %d; %d chunks\n", s.Added, s.Changed, s.Removed, s.Unchanged, s.Chunks)
	if res.Rebuilt != "" && !res.First {
		fmt.Fprintf(stdout, "  rebuilt from scratch: %s\n", res.Rebuilt)
	}
	if len(s.Duplicates) > 0 {
		fmt.Fprintf(stdout, "  duplicates (indexed once, found under every name) %d:\n", len(s.Duplicates))
		for _, d := range s.Duplicates {
			fmt.Fprintf(stdout, "    %s: same as %s\n", d.Document, d.SameAs)
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(stdout, "  skipped %d:\n", len(s.Skipped))
		for _, sk := range s.Skipped {
			fmt.Fprintf(stdout, "    %s: %s\n", sk.Document, sk.Reason)
		}
	}
	return nil
}
