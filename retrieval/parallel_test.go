package retrieval

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// forEach behaves the same with one call, run on the caller's goroutine,
// as with many: every call runs, an error is returned, a cancelled
// context runs nothing and returns its cause.
func TestForEach(t *testing.T) {
	boom := errors.New("boom")
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(boom)
	for _, tt := range []struct {
		name      string
		ctx       context.Context
		n         int
		failAt    int // -1: none
		want      error
		wantCalls func(int32) bool
	}{
		{"one call", context.Background(), 1, -1, nil, func(c int32) bool { return c == 1 }},
		{"many calls", context.Background(), 40, -1, nil, func(c int32) bool { return c == 40 }},
		{"one call fails", context.Background(), 1, 0, boom, func(c int32) bool { return c == 1 }},
		{"one of many fails", context.Background(), 40, 3, boom, func(c int32) bool { return c >= 1 && c <= 40 }},
		{"one call, cancelled", cancelled, 1, -1, boom, func(c int32) bool { return c == 0 }},
		{"many calls, cancelled", cancelled, 40, -1, boom, func(c int32) bool { return c == 0 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			err := forEach(tt.ctx, tt.n, func(_ context.Context, i int) error {
				calls.Add(1)
				if i == tt.failAt {
					return boom
				}
				return nil
			})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("forEach = %v, want %v", err, tt.want)
			}
			if c := calls.Load(); !tt.wantCalls(c) {
				t.Errorf("%d calls", c)
			}
		})
	}
}
