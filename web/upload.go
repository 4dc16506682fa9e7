package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"citebot/docfolder"
)

// Adding and removing documents from the maintainers' view, through the
// documents folder the HTTP API writes (Folder): the upload form posts
// multipart/form-data (its CSRF token the first part, so that nothing is
// read, let alone written, for a forged form), and the page's script
// sends files dropped on the drop zone through the same form. Removing
// asks first, on a page of its own. Either way the answer is the
// maintainers' view with what happened to each file.

const (
	// maxUploadFiles bounds the files of one upload, as the API's.
	maxUploadFiles = 256
	// uploadReadTimeout replaces the server's read timeout for an
	// upload: large files over a slow link take longer than a question.
	uploadReadTimeout = 10 * time.Minute
)

// uploadView is the upload form, or why there is none.
type uploadView struct {
	Unavailable string // why files cannot be added or removed now
	Hint        string // what may be uploaded
}

// fileRow is a document of the maintainers' list.
type fileRow struct {
	ID, Title, Href string
	Chunks          int
}

// changeView is what an upload or a removal did, file by file.
type changeView struct {
	Head    string
	Error   string
	Warning string
	Files   []fileResult
}

// fileResult is one file's line: Result is docfolder's word (added,
// changed, unchanged, removed, skipped), for data-result; Word says it in
// the page's language.
type fileResult struct {
	Result, Word, Path, Href, Detail string
}

// confirmView asks whether to remove a document.
type confirmView struct {
	ID, Question string
}

// uploadForm says whether files can be added and removed, and what files.
func (a *admin) uploadForm(t *phrases) *uploadView {
	if a.folder == nil {
		return &uploadView{Unavailable: t.NoFolder}
	}
	if err := a.folder.Writable(); err != nil {
		switch {
		case errors.Is(err, docfolder.ErrReadOnly):
			return &uploadView{Unavailable: t.ReadOnlyFolder}
		case errors.Is(err, docfolder.ErrNoFolder):
			return &uploadView{Unavailable: t.MissingFolder}
		}
		return &uploadView{Unavailable: fmt.Sprintf(t.UnavailableF, err)}
	}
	return &uploadView{Hint: fmt.Sprintf(t.FilesHintF, t.limit(a.folder.MaxFileBytes()))}
}

// handleUpload puts the files of the upload form into the documents
// folder and shows what happened to each.
func handleUpload(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		if !a.enabled {
			a.render(w, r, s, http.StatusForbidden, &adminData{Disabled: true})
			return
		}
		_, sess, ok := a.session(r)
		if !ok {
			a.signinForm(w, r, s, http.StatusUnauthorized, t.Expired)
			return
		}
		refuse := func(status int, msg string) {
			d := a.status(r, sess, nil)
			d.Change = &changeView{Head: t.UploadHead, Error: msg}
			a.render(w, r, s, status, d)
		}
		mr, err := r.MultipartReader()
		if err != nil {
			refuse(http.StatusBadRequest, t.NotMultipart)
			return
		}
		// The form's first field is its CSRF token: a forged form is
		// refused before a byte of any file is read.
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "csrf" {
			refuse(http.StatusForbidden, t.Expired)
			return
		}
		got, _ := io.ReadAll(io.LimitReader(part, 256))
		if !sameToken(sess.csrf, string(got)) {
			refuse(http.StatusForbidden, t.Expired)
			return
		}
		if a.folder == nil {
			refuse(http.StatusConflict, t.NoFolder)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
		rc.SetWriteDeadline(time.Time{}) // the reindex takes what it takes
		files := &formFiles{mr: mr}
		rep, err := a.folder.PutAll(r.Context(), files.all())
		rep.Files = files.merge(rep.Files)
		a.answerChange(w, r, s, sess, t.UploadHead, rep, err)
	}))
}

// formFiles yields the files of an upload form's multipart body. A name
// that no document may have is not given to the folder, which would
// refuse the whole upload for it, but skipped with its reason beside the
// others.
type formFiles struct {
	mr  *multipart.Reader
	n   int                          // the files yielded and set aside
	bad map[int]docfolder.FileResult // set aside, by their place among the files
}

func (f *formFiles) all() iter.Seq2[docfolder.File, error] {
	return func(yield func(docfolder.File, error) bool) {
		for {
			part, err := f.mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(docfolder.File{}, err)
				return
			}
			if part.FormName() != "file" {
				continue // a field this form does not have: not a file
			}
			// The file name as sent: Part.FileName keeps only its last
			// element, which would hide a folder, or "..", from the
			// checks.
			_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			name := params["filename"]
			if name == "" {
				continue // the empty part of a file input with no file chosen
			}
			if f.n++; f.n > maxUploadFiles {
				yield(docfolder.File{}, fmt.Errorf("at most %d files an upload", maxUploadFiles))
				return
			}
			if err := docfolder.CheckPath(name); err != nil {
				if f.bad == nil {
					f.bad = map[int]docfolder.FileResult{}
				}
				f.bad[f.n-1] = docfolder.FileResult{Path: name, Result: docfolder.Skipped, Reason: err.Error()}
				continue
			}
			if !yield(docfolder.File{Path: name, Body: part}, nil) {
				return
			}
		}
	}
}

// merge puts the files set aside back in their places among the folder's
// results.
func (f *formFiles) merge(results []docfolder.FileResult) []docfolder.FileResult {
	if len(f.bad) == 0 {
		return results
	}
	out := make([]docfolder.FileResult, 0, len(results)+len(f.bad))
	for i := range cap(out) {
		if b, ok := f.bad[i]; ok {
			out = append(out, b)
		} else if len(results) > 0 {
			out, results = append(out, results[0]), results[1:]
		}
	}
	return out
}

// handleDeleteForm asks whether to remove a document: a page of its own,
// so that it asks with JavaScript off too, and never in a dialog.
func handleDeleteForm(s *site, a *admin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		if !a.enabled {
			a.render(w, r, s, http.StatusForbidden, &adminData{Disabled: true})
			return
		}
		_, sess, ok := a.session(r)
		if !ok {
			a.signinForm(w, r, s, http.StatusUnauthorized, "")
			return
		}
		id := r.URL.Query().Get("id")
		if id == "" {
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
			return
		}
		what := id
		if v, ok := a.lib.View(); ok {
			if doc, ok := v.DocumentText(id); ok && doc.Title != "" {
				what = fmt.Sprintf("%s (%s)", id, doc.Title)
			}
		}
		d := &adminData{SignedIn: true, CSRF: sess.csrf, Confirm: &confirmView{ID: id, Question: fmt.Sprintf(t.RemoveAskF, what)}}
		a.render(w, r, s, http.StatusOK, d)
	})
}

// handleDelete removes a document, once asked.
func handleDelete(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		sess, ok := a.signedPost(w, r, s)
		if !ok {
			return
		}
		if a.folder == nil {
			d := a.status(r, sess, nil)
			d.Change = &changeView{Head: t.RemoveHead, Error: t.NoFolder}
			a.render(w, r, s, http.StatusConflict, d)
			return
		}
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		rep, err := a.folder.Remove(r.Context(), r.PostForm.Get("id"))
		a.answerChange(w, r, s, sess, t.RemoveHead, rep, err)
	}))
}

// answerChange shows the maintainers' view with what an upload or a
// removal did: 200 when something was done, 422 when every file was
// refused (and none kept), or the error's status with its reason.
func (a *admin) answerChange(w http.ResponseWriter, r *http.Request, s *site, sess session, head string, rep docfolder.Report, err error) {
	t := language(r)
	if err != nil && r.Context().Err() != nil {
		return // the maintainer went away; a reindex under way goes on
	}
	c := &changeView{Head: head}
	for _, f := range rep.Files {
		c.Files = append(c.Files, t.fileResult(f))
	}
	status := http.StatusOK
	switch {
	case errors.Is(err, docfolder.ErrReindex):
		// The change is made: only the index lags behind.
		status, c.Error = changeStatus(err), fmt.Sprintf(t.ChangeReindexF, err)
		a.log.Error("web: documents changed, but the reindex failed", "err", err)
	case err != nil:
		status, c.Error = changeStatus(err), fmt.Sprintf(t.ChangeFailedF, err)
		if status == http.StatusInternalServerError {
			a.log.Error("web: changing the documents failed", "err", err)
		}
	case len(rep.Files) == 0:
		status, c.Error = http.StatusBadRequest, t.NoFiles
	case rep.Refused():
		status = http.StatusUnprocessableEntity
	}
	if rep.Warning != "" {
		c.Warning = fmt.Sprintf(t.WarningF, rep.Warning)
	}
	d := a.status(r, sess, nil)
	d.Change = c
	a.render(w, r, s, status, d)
}

// changeStatus is the status of a change that failed, as the HTTP API
// answers it.
func changeStatus(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, docfolder.ErrBadPath), errors.Is(err, docfolder.ErrUpload):
		return http.StatusBadRequest
	case errors.Is(err, docfolder.ErrTooLarge), errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, docfolder.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, docfolder.ErrNoFolder), errors.Is(err, docfolder.ErrReadOnly), errors.Is(err, docfolder.ErrLastDocument):
		return http.StatusConflict
	case errors.Is(err, docfolder.ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, docfolder.ErrReindex) && errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fileResult is a file's line: what happened, and the chunks and pages
// of an indexed document, or the reason one was skipped.
func (t *phrases) fileResult(f docfolder.FileResult) fileResult {
	words := map[string]string{docfolder.Added: t.Added, docfolder.Changed: t.Changed, docfolder.Unchanged: t.Unchanged,
		docfolder.Removed: t.Removed, docfolder.Skipped: t.Skipped}
	r := fileResult{Result: f.Result, Word: words[f.Result], Path: f.Path}
	if r.Word == "" {
		r.Word = f.Result
	}
	var detail []string
	switch f.Result {
	case docfolder.Skipped:
		detail = append(detail, f.Reason)
	case docfolder.Removed:
	default:
		r.Href = documentPath(f.Path)
		if f.Chunks > 0 {
			detail = append(detail, fmt.Sprintf(t.ChunksF, f.Chunks))
		}
		if f.Pages > 0 {
			detail = append(detail, fmt.Sprintf(t.PagesCountF, f.Pages))
		}
		if f.SameAs != "" {
			detail = append(detail, fmt.Sprintf(t.SameAsF, f.SameAs))
		}
	}
	r.Detail = strings.Join(slices.DeleteFunc(detail, func(s string) bool { return s == "" }), ", ")
	return r
}
