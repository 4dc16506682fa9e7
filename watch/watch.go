// Package watch notices changes in a folder of documents: files added,
// changed, renamed or removed anywhere below it (fsnotify), reported once
// they have settled, so that a burst of writes (a copy, an editor's save,
// a git checkout) makes one reindex rather than dozens.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Folder watches dir and its subfolders (hidden ones, which the index
// ignores, excepted) until ctx ends. After changes, once quiet has passed
// without another, it calls onChange with the paths that changed (relative
// to dir, sorted, each once). Folders created later are watched too.
func Folder(ctx context.Context, dir string, quiet time.Duration, log *slog.Logger, onChange func(ctx context.Context, changed []string)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watch: the watcher closed")
			}
			rel, err := filepath.Rel(dir, ev.Name)
			if err != nil || hidden(rel) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					if err := addTree(w, ev.Name); err != nil {
						log.Warn("watch: cannot watch a new folder", "folder", ev.Name, "err", err)
					}
				}
			}
			pending[filepath.ToSlash(rel)] = true
			timer.Reset(quiet)
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watch: the watcher closed")
			}
			// An overflow loses events: reindexing finds every change anyway.
			log.Warn("watch: "+err.Error()+"; reindexing to be sure", "folder", dir)
			pending["(events lost)"] = true
			timer.Reset(quiet)
		case <-timer.C:
			changed := make([]string, 0, len(pending))
			for p := range pending {
				changed = append(changed, p)
			}
			sort.Strings(changed)
			clear(pending)
			onChange(ctx, changed)
		}
	}
}

// addTree watches dir and every folder below it, hidden ones and symbolic
// links excepted.
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // a folder that vanished or cannot be read: skip it
		}
		if !d.IsDir() {
			return nil
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(path)
	})
}

func hidden(rel string) bool {
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return true
		}
	}
	return false
}
