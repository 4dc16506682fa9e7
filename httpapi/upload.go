package httpapi

import (
	"context"
	"errors"
	"io"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"citebot/docfolder"
)

// Folder is the documents folder the admin writes through the API: a
// *docfolder.Folder.
type Folder interface {
	Put(ctx context.Context, name string, body io.Reader) (docfolder.Report, error)
	PutAll(ctx context.Context, files iter.Seq2[docfolder.File, error]) (docfolder.Report, error)
	Remove(ctx context.Context, id string) (docfolder.Report, error)
	MaxFileBytes() int64
}

const (
	// uploadReadTimeout replaces the server's read timeout for an
	// admin's upload: a large file over a slow link takes longer than a
	// question does.
	uploadReadTimeout = 10 * time.Minute
	// maxFilesPerRequest bounds the files of one multipart upload, and so
	// what it holds in temporary files before any is put in place.
	maxFilesPerRequest = 256
)

// handlePutDocument stores the request body as the document id (its path
// in the documents folder) and answers the reindex summary with the
// file's result.
func handlePutDocument(token string, folder Folder) http.Handler {
	admin := adminOnly(token, errWritesDisabled)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !admin(w, r) || !haveFolder(w, r, folder) {
			return
		}
		id := r.PathValue("id")
		// The name and the declared size are refused before a byte of
		// the body is read.
		if err := docfolder.CheckPath(id); err != nil {
			writeError(w, r, changeError(err))
			return
		}
		if max := folder.MaxFileBytes(); r.ContentLength > max {
			writeError(w, r, errorf(http.StatusRequestEntityTooLarge, "file_too_large", "%s is %d bytes; the limit is %d (--max-file-bytes)", id, r.ContentLength, max))
			return
		}
		liftDeadlines(w)
		rep, err := folder.Put(r.Context(), id, r.Body)
		answerChange(w, r, rep, err)
	})
}

// handlePostDocuments stores the files of a multipart/form-data body:
// parts named "file" (their file names are their paths, below the
// optional "folder" field, which must come first), with one reindex for
// them all.
func handlePostDocuments(token string, folder Folder) http.Handler {
	admin := adminOnly(token, errWritesDisabled)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !admin(w, r) || !haveFolder(w, r, folder) {
			return
		}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "multipart/form-data" {
			writeError(w, r, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"send the files as multipart/form-data (parts named file, and an optional folder field first), or PUT one file's bytes to /v1/documents/{path}"))
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			writeError(w, r, errorf(http.StatusBadRequest, "bad_multipart", "the multipart body cannot be read: %v", err))
			return
		}
		liftDeadlines(w)
		rep, err := folder.PutAll(r.Context(), multipartFiles(mr))
		if err == nil && len(rep.Files) == 0 {
			writeError(w, r, errorf(http.StatusBadRequest, "no_files", "the body holds no file; send each as a part named file, with its file name"))
			return
		}
		answerChange(w, r, rep, err)
	})
}

// multipartFiles yields the files of a multipart body in order; a part
// that is neither a file nor the one folder field ends it with an error.
func multipartFiles(mr *multipart.Reader) iter.Seq2[docfolder.File, error] {
	return func(yield func(docfolder.File, error) bool) {
		folder, haveFolder, files := "", false, 0
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(docfolder.File{}, errorf(http.StatusBadRequest, "bad_multipart", "the multipart body is malformed: %v", err))
				return
			}
			switch part.FormName() {
			case "folder":
				switch {
				case haveFolder:
					err = errorf(http.StatusBadRequest, "bad_multipart", "give the folder field once")
				case files > 0:
					err = errorf(http.StatusBadRequest, "bad_multipart", "send the folder field before the files")
				}
				if err != nil {
					yield(docfolder.File{}, err)
					return
				}
				v, err := io.ReadAll(io.LimitReader(part, 4096))
				if err != nil {
					yield(docfolder.File{}, err)
					return
				}
				folder, haveFolder = strings.TrimSuffix(string(v), "/"), true
			case "file":
				// The file name as sent: Part.FileName keeps only its last
				// element, which would hide a folder, or "..", from the
				// path checks.
				_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
				name := params["filename"]
				if files++; files > maxFilesPerRequest {
					yield(docfolder.File{}, errorf(http.StatusBadRequest, "too_many_files", "at most %d files a request", maxFilesPerRequest))
					return
				}
				if name == "" {
					yield(docfolder.File{}, errorf(http.StatusBadRequest, "bad_multipart", "file part %d has no file name", files))
					return
				}
				if folder != "" {
					name = folder + "/" + name
				}
				if !yield(docfolder.File{Path: name, Body: part}, nil) {
					return
				}
			default:
				yield(docfolder.File{}, errorf(http.StatusBadRequest, "bad_multipart", "unknown field %q; send parts named file and, first, an optional folder", part.FormName()))
				return
			}
		}
	}
}

// handleDeleteDocument removes the document id from the documents folder
// and the index.
func handleDeleteDocument(token string, folder Folder) http.Handler {
	admin := adminOnly(token, errWritesDisabled)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !admin(w, r) || !haveFolder(w, r, folder) {
			return
		}
		liftDeadlines(w)
		rep, err := folder.Remove(r.Context(), r.PathValue("id"))
		answerChange(w, r, rep, err)
	})
}

// errWritesDisabled answers writes to the documents when no admin token
// is configured.
var errWritesDisabled = errorf(http.StatusForbidden, "writes_disabled", "changing the documents over HTTP is disabled; start citebot with --admin-token to enable it")

// haveFolder answers 409 when the server has no documents folder to
// write (a replica serving a shared store without --docs).
func haveFolder(w http.ResponseWriter, r *http.Request, folder Folder) bool {
	if folder == nil {
		writeError(w, r, errorf(http.StatusConflict, "no_documents_folder", "this server has no documents folder to write (started with an empty --docs); send the change to one that has"))
		return false
	}
	return true
}

// liftDeadlines gives an admin's change the time it needs: the upload
// more time to arrive, the reindex as long as it takes (a client that
// hangs up stops waiting, not the work).
func liftDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
	rc.SetWriteDeadline(time.Time{})
}

// answerChange answers a change's report: 200 with the summary and each
// file's result, 422 when no file could be indexed (with the results, and
// nothing of them kept), or the error.
func answerChange(w http.ResponseWriter, r *http.Request, rep docfolder.Report, err error) {
	switch {
	case err != nil && r.Context().Err() != nil:
		return // the client went away; a reindex under way goes on
	case err != nil:
		e := changeError(err)
		if errors.Is(err, docfolder.ErrReindex) {
			logger(r.Context()).Error("documents changed, but the reindex failed", "err", err)
		}
		writeError(w, r, e)
	case rep.Refused():
		var reasons []string
		for _, f := range rep.Files {
			reasons = append(reasons, f.Path+": "+f.Reason)
		}
		var body struct {
			errorBody
			Files []docfolder.FileResult `json:"files"`
		}
		body.Error.Code = "unindexable"
		body.Error.Message = strings.Join(reasons, "; ")
		body.Files = rep.Files
		encode(w, http.StatusUnprocessableEntity, body)
	default:
		if rep.Warning != "" {
			logger(r.Context()).Warn("documents changed and reindexed, but the index was not saved", "warning", rep.Warning)
		}
		rep.Summary = rep.Summary.Brief(maxSkippedListed)
		encode(w, http.StatusOK, rep)
	}
}

// changeError maps an error of the documents folder to what the client
// is told.
func changeError(err error) error {
	var e *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is over %d bytes", tooBig.Limit)
	case errors.Is(err, docfolder.ErrBadPath):
		return errorf(http.StatusBadRequest, "bad_path", "%v", err)
	case errors.Is(err, docfolder.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "file_too_large", "%v (--max-file-bytes); nothing was kept", err)
	case errors.Is(err, docfolder.ErrUpload):
		return errorf(http.StatusBadRequest, "bad_body", "%v; nothing was kept", err)
	case errors.Is(err, docfolder.ErrNotFound):
		return errorf(http.StatusNotFound, "unknown_document", "%v; GET /v1/documents lists them", err)
	case errors.Is(err, docfolder.ErrNoFolder):
		return errorf(http.StatusConflict, "no_documents_folder", "%v", err)
	case errors.Is(err, docfolder.ErrReadOnly):
		return errorf(http.StatusConflict, "read_only", "%v; nothing was changed", err)
	case errors.Is(err, docfolder.ErrLastDocument):
		return errorf(http.StatusConflict, "last_document", "%v", err)
	case errors.Is(err, docfolder.ErrNoSpace):
		return errorf(http.StatusInsufficientStorage, "no_space", "%v; nothing was kept", err)
	case errors.Is(err, docfolder.ErrReindex) && errors.Is(err, context.Canceled):
		return errorf(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down: %v", err)
	case errors.Is(err, docfolder.ErrReindex):
		return errorf(http.StatusInternalServerError, "reindex_failed", "%v; the previous index keeps serving", err)
	}
	return err // the server's own: logged, answered with a plain message
}
