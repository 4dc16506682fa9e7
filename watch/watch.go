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

// Options says when changes are reported.
type Options struct {
	// Quiet is how long changes must settle before they are reported.
	Quiet time.Duration
	// MaxWait bounds how long a change waits for the folder to settle:
	// a file rewritten more often than Quiet must not hold back every
	// other change. 0 means ten times Quiet.
	MaxWait time.Duration
	// Check is how often the folder itself is looked at: a folder
	// deleted and created again, or replaced by a rename (`mv docs.new
	// docs`, a common way to deploy a new set), is a new folder that the
	// old watches never see. 0 means a second.
	Check time.Duration
	// Rearm, when it receives, makes the watcher start afresh on the
	// folder as it is now (serve sends on SIGHUP) and report a change.
	Rearm <-chan struct{}
}

// Changed is what a report names when the folder itself was replaced (or
// re-armed) rather than a file in it.
const Changed = "(folder replaced)"

// Folder watches dir and its subfolders (hidden ones, which the index
// ignores, excepted) until ctx ends. After changes, once opt.Quiet has
// passed without another (or opt.MaxWait after the first), it calls
// onChange with the paths that changed (relative to dir, sorted, each
// once). Folders created later are watched too, and so is a new folder
// that replaces dir. It fails only when dir cannot be watched at the
// start.
func Folder(ctx context.Context, dir string, opt Options, log *slog.Logger, onChange func(ctx context.Context, changed []string)) error {
	if opt.MaxWait <= 0 {
		opt.MaxWait = 10 * opt.Quiet
	}
	if opt.Check <= 0 {
		opt.Check = time.Second
	}
	t, err := arm(dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	defer func() { t.w.Close() }()
	check := time.NewTicker(opt.Check)
	defer check.Stop()

	pending := map[string]bool{}
	var first time.Time // of the oldest pending change
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	mark := func(path string) {
		if len(pending) == 0 {
			first = time.Now()
		}
		pending[path] = true
		timer.Reset(max(0, min(opt.Quiet, opt.MaxWait-time.Since(first))))
	}
	// gone: the folder could not be watched at the last try; stale: its
	// watches saw it removed or renamed away. Either way the next check
	// arms afresh, even when the folder now there reuses the old one's
	// inode, as a folder deleted and created again often does.
	gone, stale := false, false
	rearm := func(why string) {
		next, err := arm(dir)
		if err != nil {
			if !gone {
				log.Warn("watch: the documents folder cannot be watched; waiting for it to come back", "folder", dir, "err", err)
				gone = true
			}
			return
		}
		t.w.Close()
		t, gone, stale = next, false, false
		log.Info("watch: "+why+"; watching it again", "folder", dir)
		mark(Changed)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-opt.Rearm:
			rearm("re-armed on request")
		case <-check.C:
			if fi, err := os.Stat(dir); err != nil || gone || stale || !os.SameFile(fi, t.dir) {
				rearm("the documents folder was replaced")
			}
		case ev, ok := <-t.w.Events:
			if !ok {
				return errors.New("watch: the watcher closed")
			}
			rel, err := filepath.Rel(dir, ev.Name)
			if err != nil || hidden(rel) {
				continue
			}
			if rel == "." && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				stale = true
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					if err := addTree(t.w, ev.Name); err != nil {
						log.Warn("watch: cannot watch a new folder", "folder", ev.Name, "err", err)
					}
				}
			}
			mark(filepath.ToSlash(rel))
		case err, ok := <-t.w.Errors:
			if !ok {
				return errors.New("watch: the watcher closed")
			}
			// An overflow loses events: reindexing finds every change anyway.
			log.Warn("watch: "+err.Error()+"; reindexing to be sure", "folder", dir)
			mark("(events lost)")
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

// tree is a watcher of one folder, and that folder as it was when the
// watches were set.
type tree struct {
	w   *fsnotify.Watcher
	dir os.FileInfo
}

// arm watches dir as it is now.
func arm(dir string) (tree, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return tree{}, err
	}
	if !fi.IsDir() {
		return tree{}, fmt.Errorf("%s is not a folder", dir)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return tree{}, err
	}
	if err := addTree(w, dir); err != nil {
		w.Close()
		return tree{}, err
	}
	return tree{w: w, dir: fi}, nil
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
