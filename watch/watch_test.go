package watch

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Changes are reported once they settle, one call per burst, with every
// path that changed; new folders are watched; hidden ones are not.
func TestFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("old"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := make(chan []string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Folder(ctx, dir, 150*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)),
			func(ctx context.Context, changed []string) { calls <- changed })
	}()
	time.Sleep(100 * time.Millisecond) // the watcher is set up

	next := func(what string) []string {
		t.Helper()
		select {
		case c := <-calls:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("no report after %s", what)
			return nil
		}
	}
	// A burst: several writes, one report.
	for i := range 5 {
		os.WriteFile(filepath.Join(dir, "new.txt"), []byte{byte('a' + i)}, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("changed"), 0o644)
	if got := next("a burst of writes"); !slices.Equal(got, []string{"new.txt", "old.txt"}) {
		t.Errorf("burst: %v", got)
	}
	select {
	case c := <-calls:
		t.Errorf("a second report for the same burst: %v", c)
	case <-time.After(300 * time.Millisecond):
	}

	// A new folder, then a file in it.
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	next("a new folder")
	os.WriteFile(filepath.Join(dir, "sub", "deep.txt"), []byte("x"), 0o644)
	if got := next("a file in the new folder"); !slices.Contains(got, "sub/deep.txt") {
		t.Errorf("file in a new folder: %v", got)
	}

	// Renamed and removed.
	os.Rename(filepath.Join(dir, "new.txt"), filepath.Join(dir, "renamed.txt"))
	os.Remove(filepath.Join(dir, "old.txt"))
	got := next("a rename and a removal")
	for _, want := range []string{"new.txt", "renamed.txt", "old.txt"} {
		if !slices.Contains(got, want) {
			t.Errorf("rename and removal: %v lacks %s", got, want)
		}
	}

	// Hidden folders are not watched.
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, ".git", "index"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden.txt"), []byte("x"), 0o644)
	select {
	case c := <-calls:
		t.Errorf("a hidden file or folder's change was reported: %v", c)
	case <-time.After(400 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Folder: %v", err)
	}
}

func TestFolderMissing(t *testing.T) {
	err := Folder(context.Background(), filepath.Join(t.TempDir(), "none"), time.Second, slog.Default(), func(context.Context, []string) {})
	if err == nil {
		t.Error("watching a missing folder: no error")
	}
}
