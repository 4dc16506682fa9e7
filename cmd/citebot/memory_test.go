package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// settleMemory caps the heap near what is live once an index serves,
// unless the operator chose a limit.
func TestSettleMemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	held := make([]byte, 32<<20) // live while settling
	settleMemory(func(string) string { return "" })
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 || limit < int64(len(held))+settleHeadroom {
		t.Errorf("limit %d after settling with %d bytes live: want at least live plus %d", limit, len(held), settleHeadroom)
	}
	held[0] = 1

	debug.SetMemoryLimit(math.MaxInt64)
	settleMemory(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit %d with GOMEMLIMIT set: the operator's choice must stand", got)
	}
}
