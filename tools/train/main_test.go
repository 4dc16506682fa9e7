package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestModelReproduces fits the model again from the committed data and
// checks that the result is the committed answer/model.json, byte for
// byte: the model in the binary is exactly what the training command
// makes.
func TestModelReproduces(t *testing.T) {
	if testing.Short() {
		t.Skip("fits the model (seconds); skipped with -short")
	}
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"-root", "../..", "-check"}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "boosted trees (the model)") {
		t.Errorf("the report lacks the chosen model's figures:\n%s", out.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-folds", "1"}, {"-nope"}, {"-root", t.TempDir(), "-check"}} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, &out, &errs); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
