package loader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"citebot/document"
	"citebot/loader/extract"
)

// DefaultMaxFileBytes is the largest file indexed unless configured
// otherwise: bigger files are almost always dumps, not documents.
const DefaultMaxFileBytes = 20 << 20

// MaxFileBytes is the largest limit a caller may set: the index keeps
// byte offsets in 32 bits. A larger limit is taken as this one.
const MaxFileBytes = 1<<31 - 1

// fileLimit is the limit maxBytes asks for: the default for 0 or less,
// at most MaxFileBytes.
func fileLimit(maxBytes int64) int64 {
	if maxBytes <= 0 {
		return DefaultMaxFileBytes
	}
	return min(maxBytes, MaxFileBytes)
}

// ErrNoDocuments is returned when a docs folder holds nothing to index; the
// CLI maps it to exit code 2 because it is the user's input that is wrong.
var ErrNoDocuments = errors.New("no documents")

// Load reads every supported file under dir (recursively, hidden files
// and folders ignored) as a Document: .txt and .md files as they are,
// PDF, DOCX and HTML files as their extracted text (package extract). Files that cannot be indexed are
// returned as Skipped with a reason instead of failing the whole load: one
// bad file must not take the corpus down. A missing or unreadable dir, or
// one with no indexable file, is an error wrapping ErrNoDocuments or the
// file-system error.
func Load(dir string, maxBytes int64, title func(text string) string) ([]document.Document, []document.Skipped, error) {
	return LoadKnown(dir, maxBytes, title, nil)
}

// Known returns a document extracted before from a file with this path
// and sha256, if there is one: extracting a PDF costs far more than
// hashing it, so an unchanged file's text (and title) is taken from the
// index. Pass one only for an index built by the running versions of the
// extractors and chunker.
type Known func(id, sha256 string) (document.Document, bool)

// LoadKnown is Load reusing the extracted text of files that known has
// seen with the same bytes (nil: extract everything).
func LoadKnown(dir string, maxBytes int64, title func(text string) string, known Known) ([]document.Document, []document.Skipped, error) {
	return LoadCounted(context.Background(), dir, maxBytes, title, known, nil)
}

// LoadCounted is LoadKnown telling read, when it is not nil, the size of
// each file read, as it is read: a large folder takes a while, and a
// person wants to see it move. Files are read on all cores, so read,
// title and known may be called from several goroutines at once. It
// stops between files when ctx ends (a shutdown must not wait for the
// rest of a large folder) and returns ctx's error.
func LoadCounted(ctx context.Context, dir string, maxBytes int64, title func(text string) string, known Known, read func(bytes int64)) ([]document.Document, []document.Skipped, error) {
	maxBytes = fileLimit(maxBytes)
	// A docs folder that is missing or not a folder is the caller's
	// mistake, like an empty one: all wrap ErrNoDocuments.
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("docs folder: %w (%w)", err, ErrNoDocuments)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("docs folder %s: not a directory: %w", dir, ErrNoDocuments)
	}
	// WalkDir does not follow a root that is a symbolic link: it would
	// report the link itself as the only (unsupported) file. A docs folder
	// linked into place is common in deployments, so walk its target.
	root := dir
	if li, err := os.Lstat(dir); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if root, err = filepath.EvalSymlinks(dir); err != nil {
			return nil, nil, fmt.Errorf("docs folder: %w", err)
		}
	}
	var docs []document.Document
	var skipped []document.Skipped
	// The walk lists the files to read; they are read, hashed and parsed
	// on all cores after it (one after another, reading 10,000 files was
	// most of a cold start).
	var files []file
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		// The id travels as text: bytes of a name that are not UTF-8
		// are carried by runes that stand for them.
		reserved := document.ReservedInPath(rel)
		rel = document.IDFromPath(rel)
		if err != nil {
			if path == root {
				return err
			}
			skipped = append(skipped, document.Skipped{Document: rel, Reason: "unreadable: " + errReason(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path != root && Hidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !Supported(d.Name()) {
			skipped = append(skipped, document.Skipped{Document: rel, Reason: unsupported})
			return nil
		}
		if !d.Type().IsRegular() {
			fi, err := os.Stat(path) // follow a symlink to a regular file
			if err != nil || !fi.Mode().IsRegular() {
				skipped = append(skipped, document.Skipped{Document: rel, Reason: "not a regular file"})
				return nil
			}
			// ... but only within the folder: a link must not publish a
			// file from elsewhere on the machine.
			if d.Type()&fs.ModeSymlink != 0 && !within(root, path) {
				skipped = append(skipped, document.Skipped{Document: rel, Reason: "symbolic link to a file outside the documents folder (not followed)"})
				return nil
			}
		}
		if reserved {
			skipped = append(skipped, document.Skipped{Document: rel, Reason: "its name holds characters U+F780–U+F7FF, which stand for the bytes of names that are not UTF-8"})
			return nil
		}
		files = append(files, file{path, rel})
		return nil
	})
	if err == nil {
		docs, skipped = readFiles(ctx, files, maxBytes, title, known, read, skipped)
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, nil, fmt.Errorf("docs folder: %w", cerr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("docs folder: %w (%w)", err, ErrNoDocuments)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	docs = foldDuplicates(docs)
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Document < skipped[j].Document })
	if len(docs) == 0 {
		return nil, skipped, NoDocuments(dir, skipped)
	}
	return docs, skipped, nil
}

// foldDuplicates keeps one document per content: the first path (in ID
// order) is indexed, the others become its Aliases. docs must be sorted.
func foldDuplicates(docs []document.Document) []document.Document {
	first := map[string]int{} // sha256 -> index in out
	out := docs[:0]
	for _, d := range docs {
		if i, ok := first[d.SHA256]; ok {
			out[i].Aliases = append(out[i].Aliases, d.ID)
			continue
		}
		first[d.SHA256] = len(out)
		out = append(out, d)
	}
	return out
}

// within reports whether the symbolic link path resolves to a file inside
// root (both with every link resolved).
func within(root, path string) bool {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	base, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(base, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// NoDocuments is the error for a folder with nothing to index; it lists
// what was skipped and why, since that is what the person must fix.
func NoDocuments(dir string, skipped []document.Skipped) error {
	var b strings.Builder
	for i, s := range skipped {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(skipped)-i)
			break
		}
		fmt.Fprintf(&b, "; skipped %s: %s", s.Document, s.Reason)
	}
	return fmt.Errorf("docs folder %s: %w to index (%s)%s", dir, ErrNoDocuments, supportedList, b.String())
}

// file is one file to read: its path and its id.
type file struct{ path, rel string }

// readFiles reads files as documents, on up to GOMAXPROCS goroutines,
// and adds those it skips to skipped. It stops starting files once ctx
// ends.
func readFiles(ctx context.Context, files []file, maxBytes int64, title func(text string) string, known Known, read func(bytes int64), skipped []document.Skipped) ([]document.Document, []document.Skipped) {
	type result struct {
		doc    document.Document
		reason string
	}
	results := make([]result, len(files))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			doc, reason := readDocument(f.path, f.rel, maxBytes, known, read)
			if reason == "" {
				if title != nil && doc.Title == "" {
					doc.Title = title(doc.Text)
				}
				if doc.Title == "" {
					doc.Title = f.rel
				}
			}
			results[i] = result{doc, reason}
			return nil
		})
	}
	_ = g.Wait()
	docs := make([]document.Document, 0, len(files))
	for i, r := range results {
		switch {
		case r.reason != "":
			skipped = append(skipped, document.Skipped{Document: files[i].rel, Reason: r.reason})
		case r.doc.ID != "":
			docs = append(docs, r.doc)
		}
	}
	return docs, skipped
}

// readSized reads r to its end into a buffer of size bytes at first.
func readSized(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, max(size, 512))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readDocument reads one file and decides whether it is indexable text.
// The reason is empty when it is. read, when not nil, is told the size of
// a regular file it opens.
func readDocument(path, rel string, maxBytes int64, known Known, read func(bytes int64)) (document.Document, string) {
	f, err := openFile(path)
	if err != nil {
		return document.Document{}, "unreadable: " + errReason(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return document.Document{}, "unreadable: " + errReason(err)
	}
	// What was listed as a regular file may have been replaced since: only
	// what is one now is read.
	if !fi.Mode().IsRegular() {
		return document.Document{}, "not a regular file"
	}
	if read != nil {
		// Told from the Stat done anyway: counting costs no system call.
		read(fi.Size())
	}
	if fi.Size() > maxBytes {
		return document.Document{}, fmt.Sprintf("too large: %d bytes, the limit is %d", fi.Size(), maxBytes)
	}
	// Read one byte past the limit: the file may have grown since Stat.
	// The buffer is the size Stat told, plus that byte: io.ReadAll would
	// grow it from 512 bytes by doubling, which on a cold start over 100
	// MB of files allocated twice the corpus in buffers thrown away.
	buf, err := readSized(io.LimitReader(f, maxBytes+1), fi.Size()+1)
	if err != nil {
		return document.Document{}, "unreadable: " + errReason(err)
	}
	if int64(len(buf)) > maxBytes {
		return document.Document{}, fmt.Sprintf("too large: over %d bytes", maxBytes)
	}
	return parse(rel, buf, maxBytes, known, true)
}

// Parse is what Load makes of one file's bytes, data, found at rel (the
// path relative to the documents folder, with / separators): the
// document, or why it would be skipped (reason not empty). The title is
// left to the caller. It lets a writer check a file the way Load will
// read it before putting it into the folder.
func Parse(rel string, data []byte, maxBytes int64) (doc document.Document, reason string) {
	maxBytes = fileLimit(maxBytes)
	switch {
	case !Supported(rel):
		return document.Document{}, unsupported
	case int64(len(data)) > maxBytes:
		return document.Document{}, fmt.Sprintf("too large: %d bytes, the limit is %d", len(data), maxBytes)
	}
	return parse(rel, data, maxBytes, nil, false)
}

// parse makes a document of a supported file's bytes, which are within
// the limit.
// owned says buf is parse's to keep: nothing else refers to it or writes
// it again, so a text file's text may be buf's bytes rather than a copy
// of them (at 100 MB of files, 100 MB less to allocate on every start).
func parse(rel string, buf []byte, maxBytes int64, known Known, owned bool) (document.Document, string) {
	sum := sha256.Sum256(buf)
	doc := document.Document{ID: rel, SHA256: hex.EncodeToString(sum[:])}
	if x := extract.For(rel); x != nil {
		if known != nil {
			if k, ok := known(rel, doc.SHA256); ok && k.SHA256 == doc.SHA256 {
				doc.Text, doc.Pages, doc.Title = k.Text, k.Pages, k.Title
				return doc, ""
			}
		}
		// The text is bounded like a text file: what is indexed and
		// served stays within the limit whatever the format's overhead.
		t, err := x(buf, int(maxBytes))
		if err != nil {
			return document.Document{}, extractReason(rel, err)
		}
		doc.Text, doc.Pages, doc.Title = t.Text, t.Pages, t.Title
		return doc, ""
	}
	text, _ := extract.DecodeText(buf)
	if reason := textProblem(text); reason != "" {
		return document.Document{}, reason
	}
	if owned {
		doc.Text = unsafe.String(unsafe.SliceData(text), len(text))
	} else {
		doc.Text = string(text)
	}
	return doc, ""
}

// Supported reports whether a file name has one of the indexed formats'
// extensions.
func Supported(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".markdown":
		return true
	}
	return extract.For(name) != nil
}

// Hidden reports whether a file or folder name is one Load ignores: a
// dot file (.git, .DS_Store, an editor's or a writer's temporary file).
func Hidden(name string) bool { return strings.HasPrefix(name, ".") }

const (
	supportedList = ".txt, .md, .pdf, .docx, .html"
	unsupported   = "unsupported file type (indexed: " + supportedList + ")"
)

// extractReason is the skip reason for a file extraction failed on.
func extractReason(name string, err error) string {
	kind := strings.ToUpper(strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), "."))
	switch {
	case errors.Is(err, extract.ErrEncrypted):
		return "encrypted " + kind + " (needs a password; save an unprotected copy)"
	case errors.Is(err, extract.ErrNoText):
		return kind + " has no extractable text (a scan without a text layer?)"
	case errors.Is(err, extract.ErrTooLarge):
		return "too large: " + err.Error()
	}
	return "cannot read " + kind + ": " + err.Error()
}

// textProblem says why data is not indexable UTF-8 text, or "".
func textProblem(data []byte) string {
	body := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if len(bytes.TrimSpace(body)) == 0 {
		return "empty"
	}
	if !utf8.Valid(body) {
		return "not valid UTF-8 text"
	}
	if bytes.IndexByte(body, 0) >= 0 {
		return "binary (contains NUL bytes)"
	}
	return ""
}

// errReason keeps the part of a file-system error a person can act on,
// without repeating the path the summary already shows.
func errReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
