package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
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

// deferCollection turns the collector off until the first collection,
// which sets the pacing asked for; an operator's GOGC stands.
func TestDeferCollection(t *testing.T) {
	pct, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(limit) })

	deferCollection(func(string) string { return "" }, 70)
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent %d after deferCollection, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != quietStartBytes {
		t.Fatalf("memory limit %d, want %d", got, quietStartBytes)
	}
	// The first collection restores the pacing; its cleanup runs soon
	// after, on a goroutine of the runtime's.
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		got := debug.SetGCPercent(-1)
		debug.SetGCPercent(got)
		if got == 70 && debug.SetMemoryLimit(-1) == math.MaxInt64 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GC percent %d and limit %d after a collection: the pacing asked for did not come", got, debug.SetMemoryLimit(-1))
		}
		time.Sleep(10 * time.Millisecond)
	}

	debug.SetGCPercent(50)
	deferCollection(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}, 70)
	if got := debug.SetGCPercent(50); got != 50 {
		t.Errorf("GC percent %d with GOGC=50 set: the operator's choice must stand", got)
	}
}

// collectOften sets the batch pacing unless the operator chose one, and
// gives the previous one back.
func TestCollectOften(t *testing.T) {
	pct := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(pct) })
	for _, tt := range []struct {
		env  map[string]string
		want int
	}{
		{nil, batchGCPercent},
		{map[string]string{"GOGC": "200"}, 100},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, 100},
	} {
		debug.SetGCPercent(100)
		restore := collectOften(func(k string) string { return tt.env[k] })
		got := debug.SetGCPercent(-1)
		debug.SetGCPercent(got)
		if got != tt.want {
			t.Errorf("with %v: GC percent %d, want %d", tt.env, got, tt.want)
		}
		restore()
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("with %v: GC percent %d once restored, want 100", tt.env, got)
		}
	}
}
