//go:build unix

package loader

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A file replaced by a FIFO between the listing and the open is refused at
// once: opening it must not wait for a writer.
func TestReadDocumentFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan string, 1)
	go func() {
		_, reason := readDocument(path, "notes.txt", DefaultMaxFileBytes, nil, nil)
		done <- reason
	}()
	select {
	case reason := <-done:
		if reason != "not a regular file" {
			t.Errorf("reason %q, want not a regular file", reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
}
