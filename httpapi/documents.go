package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"citebot/corpus"
	"citebot/retrieval"
)

func handleDocuments(lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := loaded(w, r, lib)
		if !ok {
			return
		}
		encode(w, http.StatusOK, struct {
			Documents []retrieval.DocumentInfo `json:"documents"`
		}{v.Documents()})
	})
}

// handleDocument serves a document's stored text, or a byte span of it.
// The id is only ever a key into the index's documents: no part of the
// request reaches the file system, so no path can lead outside them.
func handleDocument(lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := loaded(w, r, lib)
		if !ok {
			return
		}
		id := r.PathValue("id")
		doc, ok := v.DocumentText(id)
		if !ok {
			writeError(w, r, errorf(http.StatusNotFound, "unknown_document", "no document %q in the index; GET /v1/documents lists them", id))
			return
		}
		start, end, err := span(r, len(doc.Text))
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Document-Bytes", strconv.Itoa(len(doc.Text)))
		// The text's version names the whole text (the file's hash, and
		// for extracted text the extractors' version); a span's tag adds
		// the span, so caches never mix the two.
		etag := `"` + doc.Version
		if start != 0 || end != len(doc.Text) {
			etag += "-" + strconv.Itoa(start) + "-" + strconv.Itoa(end)
		}
		w.Header().Set("ETag", etag+`"`)
		// ServeContent adds Range and If-None-Match handling; its own
		// errors (416, 412) are answered with the error object.
		http.ServeContent(&contentErrors{ResponseWriter: w, r: r}, r, "", time.Time{}, strings.NewReader(doc.Text[start:end]))
	})
}

// contentErrors replaces the plain-text errors of http.ServeContent (a
// Range header that does not fit the text: 416; a failed If-Match: 412)
// with the JSON error object, keeping their status and headers.
type contentErrors struct {
	http.ResponseWriter
	r      *http.Request
	failed bool
}

func (w *contentErrors) WriteHeader(code int) {
	if code < 400 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.failed = true
	e := errorf(code, "bad_range", "the Range header does not fit the text; give bytes=FIRST-LAST within it")
	if code == http.StatusPreconditionFailed {
		e = errorf(code, "precondition_failed", "the If-Match precondition failed")
	}
	writeError(w.ResponseWriter, w.r, e)
}

func (w *contentErrors) Write(b []byte) (int, error) {
	if w.failed {
		return len(b), nil // ServeContent's plain-text message
	}
	return w.ResponseWriter.Write(b)
}

func (w *contentErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// span reads ?start=&end= (byte offsets, half-open; both optional).
func span(r *http.Request, size int) (int, int, error) {
	q := r.URL.Query()
	start, end := 0, size
	for _, p := range []struct {
		name string
		v    *int
	}{{"start", &start}, {"end", &end}} {
		vals, ok := q[p.name]
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return 0, 0, errorf(http.StatusBadRequest, "bad_span", "give %s once", p.name)
		}
		n, err := strconv.Atoi(vals[0])
		if err != nil || n < 0 {
			return 0, 0, errorf(http.StatusBadRequest, "bad_span", "%s must be a byte offset (an integer ≥ 0), got %q", p.name, vals[0])
		}
		*p.v = n
	}
	if end > size || start > end {
		return 0, 0, errorf(http.StatusBadRequest, "bad_span", "the span [%d, %d) is not within the document's %d bytes", start, end, size)
	}
	return start, end, nil
}

// loaded returns the corpus being served, or answers 503 while none is.
func loaded(w http.ResponseWriter, r *http.Request, lib corpus.Library) (corpus.View, bool) {
	v, ok := lib.View()
	if !ok {
		writeError(w, r, errNotReady)
	}
	return v, ok
}
