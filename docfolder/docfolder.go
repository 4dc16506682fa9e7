// Package docfolder writes into the documents folder: the files
// maintainers put and remove over the HTTP API or send to the Telegram
// bot. Each file is checked the way the loader will read it before it is
// kept (a file it would skip, an encrypted PDF say, is refused with the
// loader's reason and never written), lands atomically (written to a
// hidden temporary file in the folder, synced, renamed over its name,
// the folder synced), so the indexer never reads half a file; then the
// index is brought up to date through a reindex that starts after the
// change. Files with the bytes the folder holds already are left alone.
//
// Names are checked before anything touches the disk (CheckPath), and
// every file operation goes through an os.Root, so that no name and no
// symbolic link leads outside the folder.
package docfolder

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"citebot/corpus"
	"citebot/document"
	"citebot/loader"
	"citebot/retrieval"
)

// Errors a front end tells apart (errors.Is); besides them, ErrBadPath.
var (
	// ErrNoFolder: there is no documents folder to write (a replica that
	// serves a shared store without one, or a folder that is gone).
	ErrNoFolder = errors.New("no documents folder")
	// ErrReadOnly: the documents folder cannot be written.
	ErrReadOnly = errors.New("the documents folder is read-only")
	// ErrTooLarge: a file is over the size limit (nothing was kept).
	ErrTooLarge = errors.New("file too large")
	// ErrNotFound: no file of that name to remove.
	ErrNotFound = errors.New("no such document")
	// ErrLastDocument: removing it would leave nothing to index, and the
	// index would keep serving it.
	ErrLastDocument = errors.New("the last document cannot be removed")
	// ErrUpload: the caller's bytes could not be read (a client that went
	// away, a malformed body).
	ErrUpload = errors.New("the file could not be received")
	// ErrNoSpace: the disk is full.
	ErrNoSpace = errors.New("no space left for the file")
	// ErrReindex: the change is made, but the reindex after it failed;
	// the previous index keeps serving.
	ErrReindex = errors.New("the reindex failed")
)

// What happened to a file, in FileResult.Result.
const (
	Added     = "added"
	Changed   = "changed"
	Unchanged = "unchanged"
	Removed   = "removed"
	Skipped   = "skipped"
)

// Index is the index kept in step with the folder: a *corpus.Live.
type Index interface {
	// Changed returns once a reindex that started after the call has
	// landed.
	Changed(ctx context.Context) (corpus.Result, error)
	View() (corpus.View, bool)
}

// File is one file to put: its path in the folder (with / separators)
// and its bytes.
type File struct {
	Path string
	Body io.Reader
}

// FileResult says what happened to one file.
type FileResult struct {
	Path   string `json:"path"`
	Result string `json:"result"`
	// Reason says why a file was skipped (and, for one refused before it
	// was written, not kept).
	Reason string `json:"reason,omitempty"`
	// Pages and Chunks describe the indexed document (pages for formats
	// that have them); SameAs names the document with the same bytes that
	// is indexed in its stead.
	Pages  int    `json:"pages,omitempty"`
	Chunks int    `json:"chunks,omitempty"`
	SameAs string `json:"same_as,omitempty"`
}

// Report is the reindex's summary (zero when nothing was written, so no
// reindex ran) and what happened to each file, in the order given.
type Report struct {
	corpus.Result
	Files []FileResult `json:"files"`
}

// Refused reports whether no file given was indexed: every one was
// skipped.
func (r Report) Refused() bool {
	for _, f := range r.Files {
		if f.Result != Skipped {
			return false
		}
	}
	return true
}

// Folder is a documents folder that files are put into and removed from.
type Folder struct {
	dir      string
	maxBytes int64
	index    Index
	// checks bounds the files parsed at once: each is held in memory
	// whole, and extracting is work for a core.
	checks chan struct{}
	// mu makes the step from a checked temporary file to its name (the
	// comparison with the file there, the rename) and removals one at a
	// time, so that two requests for one name never interleave.
	mu sync.Mutex
}

// New returns the folder dir ("" for none: every change then fails with
// ErrNoFolder), taking files of at most maxBytes (0: the loader's
// default), whose changes index brings into the index.
func New(dir string, maxBytes int64, index Index) *Folder {
	if maxBytes <= 0 {
		maxBytes = loader.DefaultMaxFileBytes
	}
	return &Folder{dir: dir, maxBytes: maxBytes, index: index, checks: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// MaxFileBytes is the largest file the folder takes.
func (f *Folder) MaxFileBytes() int64 { return f.maxBytes }

// tempPrefix starts the temporary files' names: hidden, so the loader and
// the folder watcher never see them.
const tempPrefix = ".citebot-upload-"

// staleAfter is how old a temporary file must be for Clean to take it for
// a crash's leftover rather than an upload under way (in this process or
// another sharing the folder).
const staleAfter = time.Hour

// Put stores one file under name and brings the index up to date.
func (f *Folder) Put(ctx context.Context, name string, body io.Reader) (Report, error) {
	return f.PutAll(ctx, func(yield func(File, error) bool) { yield(File{Path: name, Body: body}, nil) })
}

// PutAll stores files, taken one after the other (the parts of a
// multipart body, say: each Body is read before the next file is asked
// for), and brings the index up to date once for all of them.
//
// Every name is checked, every file read to a temporary file and checked
// as the loader would read it before any is put in place: an invalid
// name (ErrBadPath), a file over the limit (ErrTooLarge), an error
// reading the files (ErrUpload) or writing them (ErrReadOnly, ErrNoSpace
// …) fails the whole call, and nothing is kept. A file the loader would
// skip (an unsupported type, an encrypted PDF, invalid UTF-8 …) is
// reported Skipped with the reason and not kept; the others are renamed
// into place and reported Added or Changed, or Unchanged when the folder
// holds those bytes under that name already (nothing is written), or
// Skipped when something is in the way (a folder of that name, a symbolic
// link). When any is in place, a reindex that starts after the change
// brings the index up to date; a file that reindex skips is reported
// Skipped with its reason (and stays in the folder, like any file the
// loader skips). A failed reindex is ErrReindex beside the report: the
// files are in place, and the previous index keeps serving.
func (f *Folder) PutAll(ctx context.Context, files iter.Seq2[File, error]) (Report, error) {
	root, err := f.open()
	if err != nil {
		return Report{}, err
	}
	defer root.Close()
	var (
		rep    Report
		staged []*staged
	)
	defer func() {
		for _, s := range staged {
			if !s.done {
				root.Remove(s.temp)
			}
		}
	}()
	for file, err := range files {
		if err != nil {
			return Report{}, fmt.Errorf("%w: %w", ErrUpload, err)
		}
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		if err := checkNewPath(file.Path); err != nil {
			return Report{}, err
		}
		s, reason, err := f.stage(root, file)
		if err != nil {
			return Report{}, err
		}
		if reason != "" {
			rep.Files = append(rep.Files, FileResult{Path: file.Path, Result: Skipped, Reason: reason})
			continue
		}
		s.result = len(rep.Files)
		rep.Files = append(rep.Files, FileResult{Path: file.Path})
		staged = append(staged, s)
	}
	if len(staged) == 0 {
		return rep, nil
	}

	f.mu.Lock()
	var placed int
	var denied error
	for _, s := range staged {
		r := &rep.Files[s.result]
		r.Result, err = f.place(root, s)
		switch {
		case err == nil:
			placed++
		case errors.Is(err, ErrReadOnly):
			denied = err
			fallthrough
		default:
			r.Result, r.Reason = Skipped, "not written: "+err.Error()
		}
	}
	f.mu.Unlock()
	if placed == 0 {
		if denied != nil {
			return Report{}, denied
		}
		return rep, nil
	}

	res, err := f.index.Changed(ctx)
	if err != nil {
		return rep, fmt.Errorf("the files are in place, but %w: %w", ErrReindex, err)
	}
	rep.Result = res
	f.describe(&rep)
	return rep, nil
}

// staged is a file checked and written to a temporary file, waiting to be
// renamed into place.
type staged struct {
	path   string
	temp   string
	sum    [sha256.Size]byte
	result int  // its index in the report's files
	done   bool // renamed into place, or found there already
}

// stage reads a file into a temporary file in the folder and checks it
// as the loader would. A file the loader would skip gives the reason,
// and is not kept.
func (f *Folder) stage(root *os.Root, file File) (*staged, string, error) {
	if reason := Unsupported(file.Path); reason != "" {
		return nil, reason, nil // refused by its name: its bytes need not be read
	}
	s := &staged{path: file.Path, temp: tempPrefix + randomHex() + ".tmp"}
	tf, err := root.OpenFile(s.temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, "", diskError("creating a temporary file", err)
	}
	keep := false
	defer func() {
		if !keep {
			tf.Close()
			root.Remove(s.temp)
		}
	}()
	h := sha256.New()
	body := &bodyReader{r: io.LimitReader(file.Body, f.maxBytes+1)}
	n, err := io.Copy(io.MultiWriter(tf, h), body)
	switch {
	case body.err != nil:
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUpload, file.Path, body.err)
	case err != nil:
		return nil, "", diskError("writing "+file.Path, err)
	case n > f.maxBytes:
		return nil, "", fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, file.Path, f.maxBytes)
	}
	if err := tf.Sync(); err != nil {
		return nil, "", diskError("writing "+file.Path, err)
	}
	if err := tf.Close(); err != nil {
		return nil, "", diskError("writing "+file.Path, err)
	}
	h.Sum(s.sum[:0])

	// Read back what was written, as the loader will read it.
	f.checks <- struct{}{}
	data, err := root.ReadFile(s.temp)
	var reason string
	if err == nil {
		_, reason = loader.Parse(file.Path, data, f.maxBytes)
	}
	<-f.checks
	if err != nil {
		return nil, "", diskError("reading back "+file.Path, err)
	}
	if reason != "" {
		return nil, reason, nil
	}
	keep = true
	return s, "", nil
}

// place renames a staged file into place, unless the folder holds those
// bytes under that name already. f.mu is held.
func (f *Folder) place(root *os.Root, s *staged) (string, error) {
	dir := path.Dir(s.path)
	if err := throughFolders(root, dir); err != nil {
		return "", err
	}
	result := Added
	switch fi, err := root.Lstat(s.path); {
	case err == nil && fi.IsDir():
		return "", fmt.Errorf("%s is a folder", s.path)
	case err == nil:
		result = Changed
		if same, err := sameBytes(root, s.path, s.sum); err == nil && same {
			root.Remove(s.temp)
			s.done = true
			return Unchanged, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", diskError("reading "+s.path, err)
	}
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return "", diskError("creating the folder "+dir, err)
		}
	}
	if err := root.Rename(s.temp, s.path); err != nil {
		return "", diskError("renaming into place", err)
	}
	s.done = true
	// The new name, and any new folder, last across a crash once their
	// folders are synced.
	if err := syncFolders(root, dir); err != nil {
		return "", diskError("syncing the folder", err)
	}
	return result, nil
}

// Remove removes the document id (its path in the folder) and brings the
// index up to date. An id that is no file in the folder is ErrNotFound; the
// only document the index holds is ErrLastDocument (with nothing to index,
// the reindex would fail and the index keep serving it).
func (f *Folder) Remove(ctx context.Context, id string) (Report, error) {
	if err := CheckPath(id); err != nil {
		return Report{}, err
	}
	if !loader.Supported(id) {
		return Report{}, fmt.Errorf("%w: %s is not a document type the folder holds", ErrNotFound, id)
	}
	root, err := f.open()
	if err != nil {
		return Report{}, err
	}
	defer root.Close()
	f.mu.Lock()
	err = f.remove(root, id)
	f.mu.Unlock()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Files: []FileResult{{Path: id, Result: Removed}}}
	res, err := f.index.Changed(ctx)
	if err != nil {
		return rep, fmt.Errorf("the file is removed, but %w: %w", ErrReindex, err)
	}
	rep.Result = res
	return rep, nil
}

// remove removes one file; f.mu is held.
func (f *Folder) remove(root *os.Root, id string) error {
	// The id of a file whose name is not UTF-8 carries its bytes as
	// stand-in runes; the file system wants the bytes.
	name := document.PathFromID(id)
	dir := path.Dir(name)
	if err := throughFolders(root, dir); err != nil {
		return fmt.Errorf("%w: %s (%w)", ErrNotFound, id, err)
	}
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && fi.IsDir():
		return fmt.Errorf("%w: no file %s in the documents folder", ErrNotFound, id)
	case err != nil:
		return diskError("reading "+id, err)
	}
	if v, ok := f.index.View(); ok {
		left := 0
		for _, d := range v.Documents() {
			if d.ID != id {
				left++
			}
		}
		if left == 0 {
			return fmt.Errorf("%w: %s is the only document; add another first", ErrLastDocument, id)
		}
	}
	if err := root.Remove(name); err != nil {
		return diskError("removing "+id, err)
	}
	if err := syncFolders(root, dir); err != nil {
		return diskError("syncing the folder", err)
	}
	return nil
}

// Writable says whether files can be put into the folder now: nil, or an
// error wrapping ErrNoFolder (there is none, or it is gone) or ErrReadOnly,
// for a front end that offers uploads to say beforehand why it cannot. It
// creates and removes a hidden temporary file, as a put would.
func (f *Folder) Writable() error {
	root, err := f.open()
	if err != nil {
		return err
	}
	defer root.Close()
	probe := tempPrefix + randomHex() + ".tmp"
	tf, err := root.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return diskError("creating a file in it", err)
	}
	tf.Close()
	if err := root.Remove(probe); err != nil {
		return diskError("removing a file from it", err)
	}
	return nil
}

// Clean removes the temporary files that uploads cut short by a crash
// left in the folder (hidden, so the index never saw them), once they are
// old enough not to belong to an upload under way. It returns their
// names.
func (f *Folder) Clean() ([]string, error) {
	root, err := f.open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	d, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < staleAfter {
			continue
		}
		if err := root.Remove(e.Name()); err == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}

// open opens the folder as the root of every file operation.
func (f *Folder) open() (*os.Root, error) {
	if f.dir == "" {
		return nil, fmt.Errorf("%w: the server was started without one (--docs)", ErrNoFolder)
	}
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoFolder, err)
	}
	return root, nil
}

// describe completes the results of the files put from the reindex: a
// file it skipped says why; an indexed one, its pages and chunks.
func (f *Folder) describe(rep *Report) {
	skipped := map[string]string{}
	for _, s := range rep.Skipped {
		skipped[s.Document] = s.Reason
	}
	indexed := map[string]retrieval.DocumentInfo{}
	if v, ok := f.index.View(); ok {
		for _, d := range v.Documents() {
			indexed[d.ID] = d
		}
	}
	for i := range rep.Files {
		r := &rep.Files[i]
		if r.Result == Skipped {
			continue
		}
		if reason, ok := skipped[r.Path]; ok {
			r.Result, r.Reason = Skipped, reason
			continue
		}
		if d, ok := indexed[r.Path]; ok {
			r.Pages, r.Chunks, r.SameAs = d.Pages, d.Chunks, d.SameAs
		}
	}
}

// throughFolders checks the folders of dir that exist: each must be a
// folder, not a file or a symbolic link (the loader does not follow links
// to folders, so a document written through one would never be indexed).
func throughFolders(root *os.Root, dir string) error {
	if dir == "." {
		return nil
	}
	sofar := ""
	for part := range strings.SplitSeq(dir, "/") {
		sofar = path.Join(sofar, part)
		fi, err := root.Lstat(sofar)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // created when the file is put
		case err != nil:
			return diskError("reading "+sofar, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link, which the documents folder does not follow", sofar)
		case !fi.IsDir():
			return fmt.Errorf("%s is a file, not a folder", sofar)
		}
	}
	return nil
}

// sameBytes reports whether the file name holds the bytes whose sha256 is
// sum.
func sameBytes(root *os.Root, name string, sum [sha256.Size]byte) (bool, error) {
	old, err := root.Open(name)
	if err != nil {
		return false, err
	}
	defer old.Close()
	h := sha256.New()
	if _, err := io.Copy(h, old); err != nil {
		return false, err
	}
	return [sha256.Size]byte(h.Sum(nil)) == sum, nil
}

// syncFolders syncs dir and each folder above it up to the root, so that
// a new entry (and a new folder's own entry) survives a crash.
func syncFolders(root *os.Root, dir string) error {
	for {
		d, err := root.Open(dir)
		if err != nil {
			return err
		}
		err = d.Sync()
		d.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot sync a folder
			return err
		}
		if dir == "." {
			return nil
		}
		dir = path.Dir(dir)
	}
}

// diskError wraps an error of the folder's file system, naming the step;
// a folder that cannot be written is ErrReadOnly, a full disk ErrNoSpace.
func diskError(step string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %s: %w", ErrReadOnly, step, err)
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: %s: %w", ErrNoSpace, step, err)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// bodyReader keeps the error of the caller's reader, to tell it from the
// disk's.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
