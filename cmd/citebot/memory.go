package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"citebot/corpus"
)

// settleHeadroom is the least garbage a server's heap may hold beside
// what is live before the collector runs: room for a few hundred
// answers' garbage at 10,000 documents, thousands on a small corpus.
const settleHeadroom = 32 << 20

// settleMemory returns to the system what building or loading an index
// left behind, and paces the collector so that garbage adds about an
// eighth of what is live (at least settleHeadroom) before a collection.
// By default the heap grows to twice what is live, and most of a
// server's heap is its index, which never becomes garbage: at 10,000
// documents (100 MB of text) a server under load held 730 MB. The
// pacing is GOGC, set again at every swap. A fixed cap on the heap did
// the same at first, but a server's live heap grows after a swap (the
// answer cache, the passage memo) and doubles during a reindex (two
// indexes at once), and under a cap the collector then ran without end:
// on the seeds a third fewer answers a second once the caches had filled.
// Collections come often on a large index, but it is mostly arrays
// without pointers (text, postings, vectors, chunk records), which a
// collection does not scan. A GOGC or GOMEMLIMIT in the environment is
// the operator's choice and is left alone.
func settleMemory(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.FreeOSMemory()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return // an unknown metric: keep Go's default pacing
	}
	debug.SetGCPercent(settlePercent(s[0].Value.Uint64()))
}

// settlePercent is the GOGC that lets garbage reach an eighth of live
// bytes, at least settleHeadroom: at most the default 100, and at least
// 10, below which collections would follow each other on any heap.
func settlePercent(live uint64) int {
	if live == 0 {
		return 100
	}
	return int(min(max(100*max(live/8, settleHeadroom)/live, 10), 100))
}

// settlingObserver settles the process's memory (settleMemory) each time
// a new index serves: in the background, since a full collection of a
// large index takes a few hundred milliseconds that the reindex which
// swapped it in must not wait for. It settles again a moment later: the
// previous index is still held at the swap (by the reindex that replaced
// it, by answers under way), and what it frees then would otherwise stay
// with the process until the runtime gives it back on its own, slowly.
type settlingObserver struct {
	corpus.Observer
	getenv func(string) string
}

// settleAgainAfter is how long after a swap memory is settled again.
const settleAgainAfter = time.Second

func (o settlingObserver) Served(docs, chunks int) {
	o.Observer.Served(docs, chunks)
	go func() {
		settleMemory(o.getenv)
		time.Sleep(settleAgainAfter)
		settleMemory(o.getenv)
	}()
}

// quietStartBytes is the memory a command may take before its first
// garbage collection.
const quietStartBytes = 64 << 20

// askGCPercent is the pacing `citebot ask` takes once its index is large
// enough to be collected at all: loading is a batch whose peak is what
// counts, as for batchGCPercent.
const askGCPercent = 25

// deferCollection keeps the collector off until the process's memory
// reaches quietStartBytes, and then gives it the pacing then (GOGC
// then, no limit). By default the first collection comes at 4 MB of
// heap: a cold ask on a small corpus allocates about 10 MB, exits, and
// spent 1.4 ms of its 8.5 in collections whose garbage the exit frees
// anyway. A large index passes the mark while it loads; the collection
// there frees a cleanup that sets the pacing, so from then on it is
// collected as usual. A GOGC or GOMEMLIMIT in the environment is the
// operator's choice and is left alone.
func deferCollection(getenv func(string) string, then int) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(quietStartBytes)
	// A pointer makes the sentinel an object of its own, never one
	// batched with other small allocations, which may outlive it.
	sentinel := &struct{ p *int }{}
	runtime.AddCleanup(sentinel, func(struct{}) {
		debug.SetGCPercent(then)
		debug.SetMemoryLimit(limit)
	}, struct{}{})
}

// batchGCPercent is the collector's pacing for `citebot index`.
const batchGCPercent = 25

// collectOften has the collector run once garbage reaches a quarter of
// what is live, instead of as much again. A build is a batch whose peak
// is what counts, and whose live heap (the text, the segment being
// written, then the index being opened) is mostly arrays without
// pointers, cheap to collect: at 10,000 documents (104 MB of text) a
// full build peaked at 546 MB with the default pacing and at 383 MB so,
// for about a fifth more CPU. A GOGC or GOMEMLIMIT in the environment is
// the operator's choice and is left alone. The returned function gives
// the pacing back (the command may run inside a longer process, a test's).
func collectOften(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	pct := debug.SetGCPercent(batchGCPercent)
	return func() { debug.SetGCPercent(pct) }
}
