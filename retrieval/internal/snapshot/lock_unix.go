//go:build unix

package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockIndex takes the index folder's write lock, waiting for another
// process's save to end. The kernel drops the lock when its holder dies,
// so a crashed save never leaves the folder locked.
func LockIndex(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock index folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock index folder: %w", err)
	}
	return func() { f.Close() }, nil
}
