package corpus

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citebot/retrieval"
)

// TestLiveChanged: a change made while a reindex runs gets a reindex that
// starts after it, and changes made meanwhile share that one; Reindex
// still joins the one running.
func TestLiveChanged(t *testing.T) {
	ctx := context.Background()
	ix := buildIndex(t, v1)
	var (
		mu      sync.Mutex
		version int // what the folder holds: bumped by each change
		seen    []int
	)
	gates := make(chan chan struct{}, 10)
	started := make(chan struct{}, 10)
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		mu.Lock()
		v := version
		mu.Unlock()
		started <- struct{}{}
		select {
		case g := <-gates:
			<-g
		default:
		}
		mu.Lock()
		seen = append(seen, v)
		mu.Unlock()
		return retrieval.UpdateResult{Index: ix, Summary: retrieval.Summary{Added: v}}, nil
	}
	live := New(ctx, update, func(*retrieval.Index) AnswerFunc { return nil }, Options{})

	// A reindex that has read version 0 and is held.
	hold := make(chan struct{})
	gates <- hold
	first := make(chan Result, 1)
	go func() {
		res, err := live.Reindex(ctx)
		if err != nil {
			t.Error(err)
		}
		first <- res
	}()
	<-started

	// Twenty changes land while it runs; a plain Reindex joins it.
	mu.Lock()
	version = 1
	mu.Unlock()
	var wg sync.WaitGroup
	var results [20]Result
	for i := range results {
		wg.Go(func() {
			res, err := live.Changed(ctx)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		})
	}
	joined := make(chan Result, 1)
	go func() {
		res, _ := live.Reindex(ctx)
		joined <- res
	}()
	time.Sleep(50 * time.Millisecond) // every caller is waiting
	close(hold)
	wg.Wait()
	if res := <-first; res.Added != 0 {
		t.Errorf("the reindex under way: read version %d, want 0", res.Added)
	}
	if res := <-joined; res.Added != 0 {
		t.Errorf("Reindex while one ran: got version %d, want the running one's (0)", res.Added)
	}
	for i, res := range results {
		if res.Added != 1 {
			t.Errorf("Changed %d: its reindex read version %d, want 1 (it started after the change)", i, res.Added)
		}
	}
	live.Wait()
	mu.Lock()
	if len(seen) != 2 {
		t.Errorf("reindexes: %v, want two (the running one, then one shared by every change)", seen)
	}
	// With nothing running, Changed starts one at once.
	version = 2
	mu.Unlock()
	if res, err := live.Changed(ctx); err != nil || res.Added != 2 {
		t.Errorf("Changed with nothing running: %+v, %v; want version 2", res, err)
	}
}

// TestLiveChangedWait: Wait covers the reindex queued behind the running
// one, and a caller that stops waiting does not cancel it.
func TestLiveChangedWait(t *testing.T) {
	ix := buildIndex(t, v1)
	var builds atomic.Int64
	release := make(chan struct{})
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		if builds.Add(1) == 1 {
			<-release
		}
		return retrieval.UpdateResult{Index: ix}, nil
	}
	live := New(context.Background(), update, func(*retrieval.Index) AnswerFunc { return nil }, Options{})
	go live.Reindex(context.Background())
	for builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := live.Changed(ctx); err != context.Canceled {
		t.Errorf("Changed with a canceled context: %v, want context.Canceled", err)
	}
	close(release)
	live.Wait()
	if got := builds.Load(); got != 2 {
		t.Errorf("builds after Wait: %d, want 2 (the queued reindex ran to its end)", got)
	}
}
