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
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return context.Cause(ctx)
}
