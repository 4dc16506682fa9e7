// Package corpus keeps the index a running service answers from and
// replaces it live: a reindex builds the next index in the background while
// questions are answered from the current one, then swaps it in atomically.
// The HTTP API, the web page, the Telegram bot and SIGHUP share one Live,
// so there is one reindex at a time whoever asks for it. The front ends see
// it as a Library, and the corpus only through a read-only View; they
// offer the same example questions (Examples).
package corpus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"citebot/answer"
	"citebot/retrieval"
)

// ErrNotReady is returned while no index has been loaded yet.
var ErrNotReady = errors.New("the index is not loaded yet")

// Updater brings an index up to date with the documents, starting from the
// one being served (nil before the first load); a Store's Update with
// the service's folders and settings.
type Updater func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error)

// AnswerFunc answers questions from one index (an answer composer's
// Answer method).
type AnswerFunc func(ctx context.Context, question string, k int) (answer.Answer, error)

// Observer is told what happens, for metrics. Its methods must be quick
// and safe for concurrent use.
type Observer interface {
	Answered(found bool)
	// Reindexed reports a reindex's outcome, and Served the index that
	// serves from now on.
	Reindexed(took time.Duration, err error)
	Served(docs, chunks int)
}

// Result is the outcome of a reindex.
type Result struct {
	retrieval.Summary
	// Warning is set when the new index serves but could not be saved: the
	// index folder keeps the previous snapshot.
	Warning string `json:"warning,omitempty"`
}

// Options tune a Live.
type Options struct {
	// CacheSize bounds the answers kept per index for repeated questions;
	// 0 turns the cache off.
	CacheSize int
	Observer  Observer
	// Streamer, when set, makes the streaming answerer for each index
	// (a language model's); without it AskStream sends answers whole.
	Streamer func(*retrieval.Index) StreamFunc
	// Conversational is true when the answerer reads earlier turns (a
	// language model): a question with history then bypasses the cache.
	Conversational bool
}

// StreamFunc answers like an AnswerFunc, sending the answer's text to
// onText piece by piece as it is written; the pieces join into the
// returned answer's text.
type StreamFunc func(ctx context.Context, question string, k int, onText func(string)) (answer.Answer, error)

// Live is the index being served and the machinery to replace it.
type Live struct {
	done    <-chan struct{} // closed when the service stops: reindexing ends
	update  Updater
	compose func(*retrieval.Index) AnswerFunc
	opt     Options

	cur atomic.Pointer[state]

	mu     sync.Mutex
	flight *flight // the reindex running now, or nil
	// queued is the reindex that starts when flight ends, asked for by
	// Changed while flight ran; nil when none is.
	queued *flight
	runs   sync.WaitGroup

	last atomic.Pointer[ReindexRun] // the last reindex that finished
}

// ReindexRun is a finished reindex, as maintainers see it: when it
// started, how long it took, and what it did or why it failed.
type ReindexRun struct {
	Started time.Time
	Took    time.Duration
	// Result is the summary of a reindex that succeeded.
	Result Result
	// Err is why the reindex failed (the previous index kept serving);
	// nil when it succeeded.
	Err error
}

// state is one index with what is derived from it; replaced whole.
type state struct {
	ix     *retrieval.Index
	ans    AnswerFunc
	stream StreamFunc // nil: answers are sent whole
	cache  *cache
}

// flight is one reindex; everyone who asked for it waits on done.
type flight struct {
	done chan struct{}
	res  Result
	err  error
}

// New returns a Live with no index: Load or Reindex loads the first one.
// ctx is the service's lifetime: canceling it stops a reindex under way
// (on shutdown); only its cancellation is kept, not its values. compose
// makes the answerer for each new index.
func New(ctx context.Context, update Updater, compose func(*retrieval.Index) AnswerFunc, opt Options) *Live {
	return &Live{done: ctx.Done(), update: update, compose: compose, opt: opt}
}

// Index returns the index being served, or nil before the first load:
// for the service's wiring, which builds the next index from it. Front
// ends read the corpus through View.
func (l *Live) Index() *retrieval.Index {
	if s := l.cur.Load(); s != nil {
		return s.ix
	}
	return nil
}

// Ready reports whether an index is being served.
func (l *Live) Ready() bool { return l.cur.Load() != nil }

// Fallback serves ix unless an index is served already: an index opened
// from disk when the first update failed must not replace one that a
// reindex has loaded meanwhile. It reports whether ix now serves; a nil
// ix never does.
func (l *Live) Fallback(ix *retrieval.Index) bool {
	if ix == nil || !l.cur.CompareAndSwap(nil, l.newState(ix)) {
		return false
	}
	l.served(ix)
	return true
}

// Follow serves ix, an index built elsewhere from the same shared store (a
// replica reloading after another replica's reindex), in place of the
// current one, unless ix is older than it: generations only move forward.
// A nil ix is ignored.
func (l *Live) Follow(ix *retrieval.Index) bool {
	if ix == nil {
		return false
	}
	for {
		cur := l.cur.Load()
		if cur != nil && (cur.ix == ix || cur.ix.Generation() >= ix.Generation()) {
			return false
		}
		if l.cur.CompareAndSwap(cur, l.newState(ix)) {
			l.served(ix)
			return true
		}
	}
}

// newState is the only way to a state, and its callers never pass a nil
// ix: a served state always has an index, so that View's ok is enough for
// front ends, which would otherwise get a nil *retrieval.Index inside a
// non-nil View.
func (l *Live) newState(ix *retrieval.Index) *state {
	s := &state{ix: ix, ans: l.compose(ix)}
	if l.opt.Streamer != nil {
		s.stream = l.opt.Streamer(ix)
	}
	if l.opt.CacheSize > 0 {
		s.cache = newCache(l.opt.CacheSize)
	}
	return s
}

func (l *Live) served(ix *retrieval.Index) {
	if l.opt.Observer != nil {
		l.opt.Observer.Served(len(ix.Documents()), ix.NumChunks())
	}
}

// Ask answers a question from the index being served. Answers to a
// question asked again (same text, same k) come from a cache that lives
// and dies with the index, so they never outlive a reindex.
func (l *Live) Ask(ctx context.Context, question string, k int) (answer.Answer, error) {
	return l.ask(ctx, question, k, nil)
}

// AskStream is Ask with the answer's text sent to onText as it is
// written, when the answerer can stream (a language model); otherwise, and
// for an answer in the cache, the text is sent in one piece.
func (l *Live) AskStream(ctx context.Context, question string, k int, onText func(string)) (answer.Answer, error) {
	return l.ask(ctx, question, k, onText)
}

// ask is Ask and AskStream: the cache, then the streaming answerer when
// there is text to stream to and one to stream with, else the plain one.
func (l *Live) ask(ctx context.Context, question string, k int, onText func(string)) (answer.Answer, error) {
	s := l.cur.Load()
	if s == nil {
		return answer.Answer{}, ErrNotReady
	}
	start := time.Now()
	key := cacheKey{question, k}
	c := s.cache
	if l.opt.Conversational && len(answer.History(ctx)) > 0 {
		c = nil // a follow-up means something else in each conversation
	}
	a, ok := c.get(key)
	streamed := false
	if !ok {
		var err error
		if onText != nil && s.stream != nil {
			a, err = s.stream(ctx, question, k, onText)
			streamed = true
		} else {
			a, err = s.ans(ctx, question, k)
		}
		if err != nil {
			return a, err
		}
		if !a.Degraded {
			c.put(key, a) // not a fallback: the model may be back next time
		}
	}
	if onText != nil && !streamed {
		onText(a.Answer)
	}
	a.TookMS = time.Since(start).Milliseconds()
	if l.opt.Observer != nil {
		l.opt.Observer.Answered(a.Found)
	}
	return a, nil
}

// Reindex brings the index up to date and swaps it in. Only one reindex
// runs at a time: a call made while one runs waits for it and gets its
// result. A failed reindex leaves the current index serving. ctx bounds
// only the wait; the reindex itself runs to completion (or until the
// service stops), so a client that goes away does not waste it.
func (l *Live) Reindex(ctx context.Context) (Result, error) {
	l.mu.Lock()
	f := l.flight
	if f == nil {
		f = l.start()
	}
	l.mu.Unlock()
	return f.wait(ctx)
}

// start runs a new reindex; l.mu is held and no reindex runs.
func (l *Live) start() *flight {
	f := &flight{done: make(chan struct{})}
	l.launch(f)
	return f
}

// launch runs f as the reindex; l.mu is held.
func (l *Live) launch(f *flight) {
	l.flight = f
	l.runs.Add(1)
	go l.run(f)
}

// wait returns the flight's result once it has landed, or ctx's error
// when ctx ends first.
func (f *flight) wait(ctx context.Context) (Result, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Changed is Reindex for a caller that has just changed the documents
// (written or removed a file): a reindex running now may have read the
// folder before the change, so Changed waits for one that starts after
// the call. While one runs, every Changed call shares the one queued to
// follow it: many changes at once cost at most two reindexes, and none is
// left out. ctx bounds only the wait, as for Reindex.
func (l *Live) Changed(ctx context.Context) (Result, error) {
	l.mu.Lock()
	f := l.queued
	switch {
	case l.flight == nil:
		f = l.start()
	case f == nil:
		f = &flight{done: make(chan struct{})}
		l.queued = f
	}
	l.mu.Unlock()
	return f.wait(ctx)
}

// Load is Reindex for the first index, at start.
func (l *Live) Load(ctx context.Context) (Result, error) { return l.Reindex(ctx) }

// LastReindex returns the last reindex that finished, the first load
// included; ok is false before any has. An index served by Fallback or
// Follow was not reindexed here and does not count.
func (l *Live) LastReindex() (run ReindexRun, ok bool) {
	if r := l.last.Load(); r != nil {
		run = *r
		run.Result.Skipped = slices.Clone(r.Result.Skipped)
		run.Result.Duplicates = slices.Clone(r.Result.Duplicates)
		return run, true
	}
	return ReindexRun{}, false
}

// Wait returns when no reindex runs; after the service's context is
// canceled, that is soon.
func (l *Live) Wait() { l.runs.Wait() }

func (l *Live) run(f *flight) {
	start := time.Now()
	defer l.runs.Done()
	defer func() {
		l.mu.Lock()
		l.flight = nil
		if next := l.queued; next != nil {
			// Started before runs.Done below: Wait never sees a gap.
			l.queued = nil
			l.launch(next)
		}
		l.mu.Unlock()
		close(f.done)
	}()
	ctx, cancel := l.lifetime()
	defer cancel()
	res, err := l.update(ctx, l.Index())
	if errors.Is(err, retrieval.ErrNotSaved) && res.Index != nil {
		// The documents are what the maintainer asked for: serve them, and
		// say that the folder still holds the old snapshot.
		f.res.Warning = err.Error()
		err = nil
	}
	if err == nil && res.Index == nil {
		err = errors.New("the update returned no index")
	}
	if err != nil {
		f.err = fmt.Errorf("reindex: %w", err)
	} else {
		f.res.Summary = res.Summary
		if s := l.cur.Load(); s == nil || s.ix != res.Index {
			l.cur.Store(l.newState(res.Index))
			l.served(res.Index)
		}
	}
	took := time.Since(start)
	l.last.Store(&ReindexRun{Started: start, Took: took, Result: f.res, Err: f.err})
	if l.opt.Observer != nil {
		l.opt.Observer.Reindexed(took, f.err)
	}
}

// lifetime returns the context a reindex runs under: canceled when the
// service stops (l.done closes) or when cancel is called, whichever is
// first. It is not derived from any caller's context, so a caller that
// stops waiting does not stop the reindex.
func (l *Live) lifetime() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if l.done == nil { // a service that never stops
		return ctx, cancel
	}
	select {
	case <-l.done: // stopped already: the update sees it at once
		cancel()
		return ctx, cancel
	default:
	}
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
