// Package web is the web page people use: ask a question and read the
// answer with its sources, click a citation and see the exact bytes it
// quotes highlighted in the document, list the documents, and, behind the
// admin token, see the index's state, reindex, and add and remove
// documents. When the server has read keys, a sign-in form takes a key
// and keeps a session, which the HTTP API's key guard asks about
// (Handler.Session).
//
// Pages are rendered on the server with html/template and work without
// JavaScript (forms that post, pages that answer); a little plain
// JavaScript streams answers in, adds keyboard shortcuts and scrolls the
// viewer to its highlight. The HTML templates, the stylesheet and the
// script are embedded in the binary, and nothing is fetched from anywhere
// else: the Content-Security-Policy allows only this origin's script and
// style files, no inline ones, so that a document's text, a file name or
// a question is only ever shown as text.
//
// Like the HTTP API, it answers from a corpus.Library and sees the corpus
// only through its read-only View; documents are added and removed
// through the same Folder the API writes.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"citebot/corpus"
	"citebot/docfolder"
)

// Config holds the page's settings.
type Config struct {
	// AdminToken enables the maintainers' view (/admin) for people who
	// sign in with it; empty disables it.
	AdminToken string
	// DefaultK is the number of passages retrieved per question (5 when
	// 0), as for the API.
	DefaultK int
	// LogQuestions adds question text to info-level logs; otherwise
	// questions are logged at debug level only.
	LogQuestions bool
	// SessionTTL is how long a maintainer, or a reader signed in with a
	// key, stays signed in (12 hours when 0).
	SessionTTL time.Duration
	// Keys, when not nil, are the read keys (*access.Keyring): GET
	// /signin then takes one (or the admin token) and starts a session,
	// which Handler.Session vouches for. The page itself lets everyone
	// in: the HTTP API's key guard asks Session. nil: no key sign-in.
	Keys Keys
	// Documents is the documents folder the maintainers' view adds
	// documents to and removes them from; nil: there is none, and the
	// view says so.
	Documents Folder
}

// Keys are the read keys a person may sign in with.
type Keys interface {
	Check(key string) (name string, ok bool)
	// CheckHash is Check for the key's SHA-256: a session keeps only
	// the hash, and asks again on each request, so that a key taken out
	// of the keys file closes its sessions.
	CheckHash(sum [sha256.Size]byte) (name string, ok bool)
}

// Folder is the documents folder maintainers change from the page, the
// one the HTTP API writes (a *docfolder.Folder).
type Folder interface {
	PutAll(ctx context.Context, files iter.Seq2[docfolder.File, error]) (docfolder.Report, error)
	Remove(ctx context.Context, id string) (docfolder.Report, error)
	MaxFileBytes() int64
	// Writable says whether files can be put now (nil), or why not.
	Writable() error
}

// Reindexes is what the maintainers' view reads besides the library:
// the last reindex (a *corpus.Live records it). May be nil.
type Reindexes interface {
	LastReindex() (corpus.ReindexRun, bool)
}

// Handler is the page: every route of routes.go, with the security
// headers of every response.
type Handler struct {
	h http.Handler
	a *admin
}

// New returns the page's handler.
func New(cfg Config, lib corpus.Library, runs Reindexes, log *slog.Logger) *Handler {
	if cfg.DefaultK == 0 {
		cfg.DefaultK = 5
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &site{tmpl: pages(), assets: embeddedAssets(), log: log}
	a := newAdmin(s, cfg, lib, runs)
	s.account = a.account
	mux := http.NewServeMux()
	addRoutes(mux, s, cfg, lib, a)
	return &Handler{h: secure(s.fallback(mux)), a: a}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

// Session reports whether the request carries a live session, and whose
// it is for the request log: the key's name (as the keys file has it
// now), or "admin" for a session started with the admin token. A session
// whose key was taken out of the keys file is ended. It is the HTTP API's
// Config.Session.
func (h *Handler) Session(r *http.Request) (name string, ok bool) {
	return h.a.reader(r)
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are the parsed templates, one per page, each with the layout and
// the answer's parts. Parsed once: the files are in the binary, and a
// test renders every page. Parsed on first use, not at init: a command
// that serves no web page (ask, index, eval) would pay a millisecond
// for them at every start.
var pages = sync.OnceValue(func() map[string]*template.Template {
	return parsePages(templateFiles, "ask", "documents", "viewer", "admin", "signin", "error")
})

func parsePages(files fs.FS, names ...string) map[string]*template.Template {
	base := template.Must(template.New("").ParseFS(files, "templates/layout.html", "templates/answer.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(files, "templates/"+n+".html"))
	}
	return out
}

// site is what every handler renders with.
type site struct {
	tmpl   map[string]*template.Template
	assets *assets
	log    *slog.Logger
	// account is who the request is signed in as, when the layout
	// offers to sign out; nil when it never does.
	account func(*http.Request) *account
}

// page is what the layout shows around a page's own Data.
type page struct {
	T       *phrases
	Title   string
	Nav     string // the navigation entry that is the current page
	State   string // body's data-state: "answered" or "error" once an answer is drawn
	Assets  assetURLs
	Account *account // signed in with a key: the navigation's sign-out form
	Data    any
}

// account is a signed-in reader, for the navigation's sign-out form.
type account struct {
	Name, CSRF string
}

func (s *site) page(r *http.Request, title, nav string, data any) *page {
	t := language(r)
	if title == "" {
		title = t.AskTitle
	}
	p := &page{T: t, Title: title, Nav: nav, Assets: s.assets.urls, Data: data}
	if s.account != nil {
		p.Account = s.account(r)
	}
	return p
}

// render writes a page whole: it is executed into a buffer first, so a
// template error becomes a 500 rather than half a page.
func (s *site) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var b bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&b, "layout", p); err != nil {
		s.log.Error("web: rendering a page failed", "page", name, "err", err)
		http.Error(w, p.T.Internal, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fragment renders one named part of a page (an answer, the turns) for a
// streamed answer, from the same template as the whole page.
func (s *site) fragment(name, part string, p *page) (string, error) {
	var b bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&b, part, p); err != nil {
		return "", fmt.Errorf("render %s of the %s page: %w", part, name, err)
	}
	return b.String(), nil
}

// pageError is a request the page cannot serve, said to the person in
// their language; any other error is logged and shown as an internal one.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// fail renders the error page for err.
func (s *site) fail(w http.ResponseWriter, r *http.Request, err error) {
	t := language(r)
	status, msg := http.StatusInternalServerError, t.Internal
	var pe *pageError
	if errors.As(err, &pe) {
		status, msg = pe.status, pe.msg
	} else {
		s.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	title := t.ErrorTitle
	switch status {
	case http.StatusNotFound:
		title = t.NotFoundTitle
	case http.StatusBadRequest:
		title = t.BadRequestTitle
	}
	s.render(w, r, status, "error", s.page(r, title, "", msg))
}

// fallback answers what no route matches with the error page, in HTML:
// unknown paths 404, a wrong method 405 with the mux's Allow header.
func (s *site) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{h: http.Header{}}
		h.ServeHTTP(rec, r)
		t := language(r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.h.Get("Allow"))
			s.fail(w, r, &pageError{http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed)})
			return
		}
		if rec.status >= 300 && rec.status < 400 { // the mux's redirect of an unclean path
			w.Header().Set("Location", rec.h.Get("Location"))
			w.WriteHeader(rec.status)
			return
		}
		s.fail(w, r, &pageError{http.StatusNotFound, t.NotFoundPage})
	})
}

// statusRecorder captures what the mux would answer.
type statusRecorder struct {
	h      http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.h }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

// csp allows this origin's script, style, images and requests, and
// nothing inline: whatever a document holds cannot run or restyle the
// page. Forms post only here; no page can be framed.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers of every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
