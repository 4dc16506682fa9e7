package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// settleMemory paces the collector for what is live once an index
// serves, unless the operator chose a pacing or a limit.
func TestSettleMemory(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	held := make([]byte, 512<<20) // live while settling: an eighth is more than settleHeadroom
	settleMemory(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got < 10 || got > 20 {
		t.Errorf("GC percent %d after settling with %d MB live, want about 12", got, len(held)>>20)
	}
	held[0] = 1

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		debug.SetGCPercent(100)
		settleMemory(func(k string) string {
			if k == env {
				return "1GiB"
			}
			return ""
		})
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("GC percent %d with %s set: the operator's choice must stand", got, env)
		}
	}
}

// settlePercent lets garbage reach an eighth of what is live, at least
// settleHeadroom, within [10, 100].
func TestSettlePercent(t *testing.T) {
	for _, tt := range []struct {
		live uint64
		want int
	}{
		{0, 100}, {1 << 20, 100}, {settleHeadroom, 100}, {64 << 20, 50}, {256 << 20, 12}, {4 << 30, 12},
	} {
		if got := settlePercent(tt.live); got != tt.want {
			t.Errorf("settlePercent(%d MB) = %d, want %d", tt.live>>20, got, tt.want)
		}
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
