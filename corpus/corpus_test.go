package corpus

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citebot/answer"
	"citebot/document"
	"citebot/retrieval"
)

// buildIndex makes a real index of one document.
func buildIndex(t testing.TB, text string) *retrieval.Index {
	t.Helper()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	doc := document.Document{ID: "a.txt", Title: "Notes", Text: text}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments([]document.Document{doc}, nil))
	ix := built.Index
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// countingAnswerer answers from its index and counts the calls.
type countingAnswerer struct {
	ix    *retrieval.Index
	calls *atomic.Int64
}

func (c countingAnswerer) Answer(ctx context.Context, q string, k int) (answer.Answer, error) {
	c.calls.Add(1)
	return answer.Extractive{Index: c.ix, Tuning: answer.DefaultTuning}.Answer(ctx, q, k)
}

type observed struct {
	mu                sync.Mutex
	found, refused    int
	reindexes, errors int
	served            int
}

func (o *observed) Answered(found bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if found {
		o.found++
	} else {
		o.refused++
	}
}

func (o *observed) Served(docs, chunks int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.served++
}

func (o *observed) Reindexed(_ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reindexes++
	if err != nil {
		o.errors++
	}
}

const (
	v1 = "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n"
	v2 = "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n\nThe lighthouse of Vardø was painted red in 1971.\n"
)

func TestLiveReindex(t *testing.T) {
	ctx := context.Background()
	indexes := map[string]*retrieval.Index{"v1": buildIndex(t, v1), "v2": buildIndex(t, v2)}
	var (
		mu      sync.Mutex
		next    = "v1"
		fail    error
		builds  atomic.Int64
		release = make(chan struct{})
		gate    = false
	)
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		builds.Add(1)
		mu.Lock()
		name, err, wait := next, fail, gate
		mu.Unlock()
		if wait {
			<-release
		}
		if err != nil {
			return retrieval.UpdateResult{}, err
		}
		ix := indexes[name]
		return retrieval.UpdateResult{Index: ix, Summary: retrieval.Summary{Added: 1, Chunks: ix.NumChunks()}}, nil
	}
	var calls atomic.Int64
	var obs observed
	live := New(ctx, update, func(ix *retrieval.Index) AnswerFunc { return countingAnswerer{ix, &calls}.Answer }, Options{CacheSize: 8, Observer: &obs})

	if _, err := live.Ask(ctx, "When did the harbour freeze?", 3); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Ask before loading: err %v, want ErrNotReady", err)
	}
	if live.Ready() || live.Index() != nil {
		t.Fatal("ready before loading")
	}
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	q := "When was the lighthouse of Vardø painted red?"
	a, err := live.Ask(ctx, q, 3)
	if err != nil || a.Found {
		t.Fatalf("v1 answers the lighthouse question (found %v, err %v); want a refusal", a.Found, err)
	}
	if _, err := live.Ask(ctx, q, 3); err != nil || calls.Load() != 1 {
		t.Errorf("a repeated question was answered %d times, want once (cached)", calls.Load())
	}

	// Two reindexes asked for while one runs share it: one build, one result.
	mu.Lock()
	next, gate = "v2", true
	mu.Unlock()
	type out struct {
		res Result
		err error
	}
	outs := make(chan out, 2)
	for range 2 {
		go func() {
			r, err := live.Reindex(ctx)
			outs <- out{r, err}
		}()
	}
	// Until the build finishes, questions are answered from v1.
	for builds.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	if a, _ := live.Ask(ctx, q, 3); a.Found {
		t.Error("the new index served before its build finished")
	}
	time.Sleep(20 * time.Millisecond) // the second caller joins the running build
	close(release)
	o1, o2 := <-outs, <-outs
	if o1.err != nil || o2.err != nil || o1.res.Added != 1 || o2.res.Added != 1 {
		t.Fatalf("concurrent reindexes: %+v, %+v", o1, o2)
	}
	if got := builds.Load(); got != 2 {
		t.Errorf("%d builds for the load and two concurrent reindexes, want 2", got)
	}
	// The swap is visible as soon as Reindex returns, and the cache of the
	// old index does not answer for the new one.
	if a, err := live.Ask(ctx, q, 3); err != nil || !a.Found {
		t.Errorf("after the reindex: found %v, err %v; want the lighthouse answered", a.Found, err)
	}

	// A failed reindex reports its error and leaves the index serving.
	mu.Lock()
	gate, fail = false, errors.New("disk on fire")
	mu.Unlock()
	before := live.Index()
	if _, err := live.Reindex(ctx); err == nil {
		t.Error("a failing reindex reported no error")
	}
	if live.Index() != before {
		t.Error("a failed reindex replaced the index")
	}
	if a, err := live.Ask(ctx, q, 3); err != nil || !a.Found {
		t.Errorf("after a failed reindex: found %v, err %v", a.Found, err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.reindexes != 3 || obs.errors != 1 || obs.served != 2 || obs.found == 0 || obs.refused == 0 {
		t.Errorf("observed %d reindexes (%d errors), %d indexes served, %d found, %d refused; want 3 (1 error), 2 and both kinds of answer", obs.reindexes, obs.errors, obs.served, obs.found, obs.refused)
	}
}

// A caller that stops waiting does not stop the reindex; canceling the
// service's context does, and Wait returns.
func TestLiveReindexCancel(t *testing.T) {
	svc, stop := context.WithCancel(context.Background())
	started := make(chan struct{})
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		close(started)
		<-ctx.Done()
		return retrieval.UpdateResult{}, ctx.Err()
	}
	live := New(svc, update, func(ix *retrieval.Index) AnswerFunc { return nil }, Options{})
	waiter, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := live.Reindex(waiter)
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("waiter's error %v, want context.Canceled", err)
	}
	stop()
	live.Wait()
	if live.Ready() {
		t.Error("ready after a canceled first load")
	}
}

func TestCacheEvicts(t *testing.T) {
	c := newCache(2)
	for i, q := range []string{"a", "b", "c"} {
		c.put(cacheKey{q, 5}, answer.Answer{Question: q, TookMS: int64(i)})
	}
	if _, ok := c.get(cacheKey{"a", 5}); ok {
		t.Error("the least recently used entry was kept")
	}
	if a, ok := c.get(cacheKey{"c", 5}); !ok || a.Question != "c" {
		t.Error("the newest entry is missing")
	}
	if _, ok := c.get(cacheKey{"c", 4}); ok {
		t.Error("another k shares the entry")
	}
	var nilCache *cache
	nilCache.put(cacheKey{"a", 1}, answer.Answer{})
	if _, ok := nilCache.get(cacheKey{"a", 1}); ok {
		t.Error("a nil cache returned an answer")
	}
}

// Fallback serves an index only while none is served.
func TestLiveFallback(t *testing.T) {
	ctx := context.Background()
	a, b := buildIndex(t, v1), buildIndex(t, v2)
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.UpdateResult{Index: b}, nil
	}
	var obs observed
	live := New(ctx, update, func(ix *retrieval.Index) AnswerFunc { return answer.Extractive{Index: ix}.Answer }, Options{Observer: &obs})
	if !live.Fallback(a) || live.Index() != a {
		t.Fatal("Fallback did not serve the index when none was served")
	}
	if _, err := live.Reindex(ctx); err != nil || live.Index() != b {
		t.Fatalf("reindex after a fallback: %v", err)
	}
	if live.Fallback(a) || live.Index() != b {
		t.Error("Fallback replaced a served index")
	}
	if obs.served != 2 {
		t.Errorf("%d indexes served, want 2", obs.served)
	}
}

// A degraded answer (a model's fallback) is not cached; with a
// conversational answerer a question with history bypasses the cache.
func TestLiveCacheSkips(t *testing.T) {
	ctx := context.Background()
	ix := buildIndex(t, v1)
	var calls atomic.Int64
	degraded := true
	answerFn := func(ctx context.Context, q string, k int) (answer.Answer, error) {
		calls.Add(1)
		return answer.Answer{Question: q, Degraded: degraded}, nil
	}
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return retrieval.UpdateResult{Index: ix}, nil
	}
	live := New(ctx, update, func(*retrieval.Index) AnswerFunc { return answerFn }, Options{CacheSize: 8, Conversational: true})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	live.Ask(ctx, "q", 3)
	live.Ask(ctx, "q", 3)
	if calls.Load() != 2 {
		t.Errorf("a degraded answer was served from the cache (%d calls, want 2)", calls.Load())
	}
	degraded = false
	live.Ask(ctx, "q", 3)
	live.Ask(ctx, "q", 3)
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3 (the good answer cached)", calls.Load())
	}
	hctx := answer.WithHistory(ctx, []answer.Turn{{Role: "user", Text: "earlier"}})
	live.Ask(hctx, "q", 3)
	if calls.Load() != 4 {
		t.Errorf("a follow-up was answered from the cache")
	}
}

// LastReindex records each finished reindex, the first load included:
// when it started, how long it took, its summary or its error; a failed
// one replaces the record of the one before, and the record is the
// caller's own.
func TestLiveLastReindex(t *testing.T) {
	ctx := context.Background()
	ix := buildIndex(t, v1)
	var fail error
	update := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		if fail != nil {
			return retrieval.UpdateResult{}, fail
		}
		time.Sleep(2 * time.Millisecond)
		return retrieval.UpdateResult{Index: ix, Summary: retrieval.Summary{Added: 1, Chunks: ix.NumChunks(),
			Skipped: []document.Skipped{{Document: "x.bin", Reason: "not a supported format"}}}}, nil
	}
	live := New(ctx, update, func(ix *retrieval.Index) AnswerFunc { return answer.Extractive{Index: ix}.Answer }, Options{})
	if _, ok := live.LastReindex(); ok {
		t.Fatal("a reindex is recorded before any ran")
	}
	if !live.Fallback(buildIndex(t, v2)) {
		t.Fatal("Fallback did not serve")
	}
	if _, ok := live.LastReindex(); ok {
		t.Fatal("a fallback index is recorded as a reindex")
	}

	before := time.Now()
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	run, ok := live.LastReindex()
	switch {
	case !ok:
		t.Fatal("the first load is not recorded")
	case run.Err != nil:
		t.Errorf("Err = %v after a load that succeeded", run.Err)
	case run.Started.Before(before) || run.Started.After(after):
		t.Errorf("Started = %v, not within the call (%v … %v)", run.Started, before, after)
	case run.Took < 2*time.Millisecond || run.Took > after.Sub(before):
		t.Errorf("Took = %v; want the update's time, at least 2ms and at most %v", run.Took, after.Sub(before))
	case run.Result.Added != 1 || len(run.Result.Skipped) != 1 || run.Result.Skipped[0].Document != "x.bin":
		t.Errorf("Result = %+v, want the update's summary", run.Result)
	}
	run.Result.Skipped[0].Document = "changed"
	if again, _ := live.LastReindex(); again.Result.Skipped[0].Document != "x.bin" {
		t.Error("changing the returned record changed the recorded one")
	}

	fail = errors.New("disk on fire")
	if _, err := live.Reindex(ctx); err == nil {
		t.Fatal("a failing reindex reported no error")
	}
	run, ok = live.LastReindex()
	if !ok || run.Err == nil || !strings.Contains(run.Err.Error(), "disk on fire") {
		t.Errorf("after a failed reindex: %+v, %v; want its error recorded", run, ok)
	}
	if run.Result.Added != 0 || run.Result.Skipped != nil {
		t.Errorf("a failed reindex recorded a summary: %+v", run.Result)
	}
}
