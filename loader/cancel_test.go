package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// Loading stops between files once its context ends: a shutdown does not
// wait for the rest of a large folder.
func TestLoadStopsWhenCanceled(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%02d.txt", i)), []byte("Some text.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var read atomic.Int32
	_, _, err := LoadCounted(ctx, dir, 0, nil, nil, func(int64) {
		if read.Add(1) == 5 {
			cancel()
		}
	})
	// Files are read on all cores: those already started finish.
	if n := int(read.Load()); !errors.Is(err, context.Canceled) || n > 5+runtime.GOMAXPROCS(0) {
		t.Errorf("after cancelling at the 5th file: %d files read, err %v", n, err)
	}
}
