package retrieval

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// forEach runs fn(ctx, i) for i in [0, n), at most GOMAXPROCS calls at a
// time. The first error cancels the ctx the other calls were given, no
// call starts after it, and forEach returns it once the running calls
// have returned; otherwise it returns ctx's cause when ctx was cancelled,
// whether or not every call ran.
//
// Consecutive i are run by one goroutine in blocks, about eight blocks
// per core: a goroutine per call made building the seed index 6% slower,
// each new goroutine growing its stack again.
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	workers := runtime.GOMAXPROCS(0)
	if n == 1 || workers == 1 {
		// Nothing to share out: a goroutine would only cost its start, a
		// wake-up of another thread and a stack grown again (an index of
		// one segment opens in one call, the cold start of every ask).
		for i := 0; i < n && ctx.Err() == nil; i++ {
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return context.Cause(ctx)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	block := max(1, n/(8*workers))
	for lo := 0; lo < n && gctx.Err() == nil; lo += block {
		g.Go(func() error {
			for i := lo; i < min(lo+block, n) && gctx.Err() == nil; i++ {
				if err := fn(gctx, i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return context.Cause(ctx)
}
