//go:build unix

package loader

import (
	"os"
	"syscall"
)

// openFile opens path for reading without blocking: opening a FIFO (a file
// replaced by one between the listing and the open, say) waits for a
// writer that may never come, and every later reindex would join the
// stuck one. The caller refuses anything that is not a regular file.
func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
