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
		done <- Folder(ctx, dir, Options{Quiet: 150 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)),
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
	err := Folder(context.Background(), filepath.Join(t.TempDir(), "none"), Options{Quiet: time.Second}, slog.Default(), func(context.Context, []string) {})
	if err == nil {
		t.Error("watching a missing folder: no error")
	}
}

// watching starts Folder on dir and returns its reports.
func watching(t *testing.T, dir string, opt Options) <-chan []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan []string, 100)
	done := make(chan error, 1)
	go func() {
		done <- Folder(ctx, dir, opt, slog.New(slog.NewTextHandler(io.Discard, nil)),
			func(ctx context.Context, changed []string) { calls <- changed })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Folder: %v", err)
		}
	})
	time.Sleep(100 * time.Millisecond) // the watcher is set up
	return calls
}

// waitFor waits for a report naming path, failing after a while.
func waitFor(t *testing.T, calls <-chan []string, path, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c := <-calls:
			if slices.Contains(c, path) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no report of %s", what, path)
		}
	}
}

// A documents folder deleted and created again, or replaced by a rename,
// is watched again: the replacement is reported, and so are later changes
// in the new folder.
func TestFolderReplaced(t *testing.T) {
	for _, how := range []string{"deleted and recreated", "replaced by mv"} {
		t.Run(how, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "docs")
			os.Mkdir(dir, 0o755)
			calls := watching(t, dir, Options{Quiet: 50 * time.Millisecond, Check: 50 * time.Millisecond})
			switch how {
			case "deleted and recreated":
				os.RemoveAll(dir)
				time.Sleep(150 * time.Millisecond)
				os.Mkdir(dir, 0o755)
			default:
				next := filepath.Join(parent, "docs.new")
				os.Mkdir(next, 0o755)
				os.WriteFile(filepath.Join(next, "a.txt"), []byte("a"), 0o644)
				os.Rename(dir, filepath.Join(parent, "docs.old"))
				os.Rename(next, dir)
			}
			waitFor(t, calls, Changed, "the folder "+how)
			os.WriteFile(filepath.Join(dir, "later.txt"), []byte("x"), 0o644)
			waitFor(t, calls, "later.txt", "a file written in the new folder")
		})
	}
}

// A file rewritten more often than the quiet time does not hold back the
// report for longer than MaxWait.
func TestFolderMaxWait(t *testing.T) {
	dir := t.TempDir()
	calls := watching(t, dir, Options{Quiet: 200 * time.Millisecond, MaxWait: 600 * time.Millisecond})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				os.WriteFile(filepath.Join(dir, "busy.log"), []byte{byte(i)}, 0o644)
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	os.WriteFile(filepath.Join(dir, "report.txt"), []byte("x"), 0o644)
	waitFor(t, calls, "report.txt", "a change beside a busy file")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("reported after %v with MaxWait 600ms", took)
	}
}

// Rearm starts afresh and reports it, as SIGHUP does in serve.
func TestFolderRearm(t *testing.T) {
	rearm := make(chan struct{}, 1)
	dir := t.TempDir()
	calls := watching(t, dir, Options{Quiet: 50 * time.Millisecond, Rearm: rearm})
	rearm <- struct{}{}
	waitFor(t, calls, Changed, "a re-arm")
	os.WriteFile(filepath.Join(dir, "after.txt"), []byte("x"), 0o644)
	waitFor(t, calls, "after.txt", "a write after the re-arm")
}
