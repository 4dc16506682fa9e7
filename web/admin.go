package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"citebot/corpus"
	"citebot/document"
)

// The maintainers' view: a sign-in form takes the admin token and sets a
// session cookie (the token itself never reaches a page or a cookie);
// signed in, the index's state, the last reindex, a reindex button, and
// the documents, to add (upload.go) and remove. Every form that changes
// something carries a CSRF token, and the browser's own cross-origin
// signals are checked besides. Readers signed in with a key (signin.go)
// share the sessions, but only a session started with the admin token
// opens this view.

const (
	sessionCookie = "citebot_session"
	signinCookie  = "citebot_signin" // the sign-in form's CSRF token, before there is a session
	maxSessions   = 1000             // beyond it the session closest to expiry goes
)

// adminName is the name of a session started with the admin token, in
// the request log (the HTTP API names the admin token so too).
const adminName = "admin"

// admin is what the maintainers' routes, and the key sign-in, share.
type admin struct {
	enabled  bool
	want     [sha256.Size]byte // the token's hash: compared in constant time whatever the lengths
	sessions *sessions
	lib      corpus.Library
	runs     Reindexes
	keys     Keys   // nil: no key sign-in
	folder   Folder // nil: no documents folder to change
	origin   *http.CrossOriginProtection
	log      *slog.Logger
}

func newAdmin(s *site, cfg Config, lib corpus.Library, runs Reindexes) *admin {
	a := &admin{enabled: cfg.AdminToken != "", want: sha256.Sum256([]byte(cfg.AdminToken)),
		sessions: newSessions(cfg.SessionTTL, time.Now), lib: lib, runs: runs, keys: cfg.Keys, folder: cfg.Documents,
		origin: http.NewCrossOriginProtection(), log: s.log}
	a.origin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &pageError{http.StatusForbidden, language(r).Expired})
	}))
	return a
}

func (a *admin) tokenOK(got string) bool {
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], a.want[:]) == 1
}

// session returns the request's maintainer's session, if it has a live
// one started with the admin token.
func (a *admin) session(r *http.Request) (string, session, bool) {
	id, s, ok := a.current(r)
	if !ok || !s.admin {
		return "", session{}, false
	}
	return id, s, true
}

// current returns the request's live session, a maintainer's or a
// reader's.
func (a *admin) current(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", session{}, false
	}
	s, ok := a.sessions.get(c.Value)
	return c.Value, s, ok
}

// start replaces the request's session, if any, with a new one (a new
// id, so that an id known before signing in is worth nothing after) and
// sets its cookie.
func (a *admin) start(w http.ResponseWriter, r *http.Request, s session) {
	if old, _, ok := a.current(r); ok {
		a.sessions.drop(old)
	}
	id, s := a.sessions.create(s)
	setCookie(w, r, sessionCookie, id, s.expires)
	setCookie(w, r, signinCookie, "", time.Time{})
}

// adminData is the maintainers' page's own data.
type adminData struct {
	Disabled, SignedIn, Ready bool
	Error                     string
	CSRF                      string
	Documents, Chunks         int
	Last                      *runView
	Result                    *runView    // the reindex this page was the answer to
	Change                    *changeView // the upload or removal this page was the answer to
	Confirm                   *confirmView
	Upload                    *uploadView // the upload form, or why there is none
	Files                     []fileRow   // the documents, each with a remove button
}

// runView is a reindex as the page shows it.
type runView struct {
	Head, Started, Datetime, Took string
	Error, Warning                string
	Summary                       *summaryView
}

type summaryView struct {
	Counts       []count
	Skipped      []document.Skipped
	File, Reason string // the skipped table's headings
}

type count struct {
	Name string
	N    int
}

// handleAdmin shows the sign-in form, or to a signed-in maintainer the
// index's state.
func handleAdmin(s *site, a *admin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.enabled {
			a.render(w, r, s, http.StatusForbidden, &adminData{Disabled: true})
			return
		}
		if _, sess, ok := a.session(r); ok {
			a.render(w, r, s, http.StatusOK, a.status(r, sess, nil))
			return
		}
		a.signinForm(w, r, s, http.StatusOK, "")
	})
}

// handleSignIn checks the token and starts a session.
func handleSignIn(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		if !a.enabled {
			a.render(w, r, s, http.StatusForbidden, &adminData{Disabled: true})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, &pageError{formStatus(err), t.Expired})
			return
		}
		c, err := r.Cookie(signinCookie)
		if err != nil || !sameToken(c.Value, r.PostForm.Get("csrf")) {
			a.signinForm(w, r, s, http.StatusForbidden, t.Expired)
			return
		}
		if !a.tokenOK(r.PostForm.Get("token")) {
			a.signinForm(w, r, s, http.StatusUnauthorized, t.WrongToken)
			return
		}
		a.start(w, r, session{name: adminName, admin: true})
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	}))
}

// handleReindexPage reindexes for a signed-in maintainer and shows the
// result. The response waits for the reindex (or joins the one already
// running), so the write deadline is lifted; a maintainer who leaves
// stops waiting, not the work.
func handleReindexPage(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		sess, ok := a.signedPost(w, r, s)
		if !ok {
			return
		}
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		res, err := a.lib.Reindex(r.Context())
		status := http.StatusOK
		run := &runView{Head: t.ReindexDone}
		switch {
		case err != nil && r.Context().Err() != nil:
			return // the maintainer went away; the reindex goes on
		case errors.Is(err, context.Canceled):
			status, run.Head, run.Error = http.StatusServiceUnavailable, t.ErrorTitle, t.ReindexStopped
		case err != nil:
			s.log.Error("web: reindex failed", "err", err)
			status, run.Head, run.Error = http.StatusInternalServerError, t.ErrorTitle, fmt.Sprintf(t.ReindexFailedF, err)
		default:
			run.Summary = summary(t, res)
			if res.Warning != "" {
				run.Warning = fmt.Sprintf(t.WarningF, res.Warning)
			}
		}
		a.render(w, r, s, status, a.status(r, sess, run))
	}))
}

// handleSignOut ends the session.
func handleSignOut(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.signedPost(w, r, s); !ok {
			return
		}
		if id, _, ok := a.session(r); ok {
			a.sessions.drop(id)
		}
		setCookie(w, r, sessionCookie, "", time.Time{})
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	}))
}

// signedPost checks a maintainer's form: a live session, and the
// session's CSRF token in the form. Otherwise it answers, and ok is false.
func (a *admin) signedPost(w http.ResponseWriter, r *http.Request, s *site) (session, bool) {
	t := language(r)
	if !a.enabled {
		a.render(w, r, s, http.StatusForbidden, &adminData{Disabled: true})
		return session{}, false
	}
	_, sess, ok := a.session(r)
	if !ok {
		a.signinForm(w, r, s, http.StatusUnauthorized, t.Expired)
		return session{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !sameToken(sess.csrf, r.PostForm.Get("csrf")) {
		d := a.status(r, sess, nil)
		d.Error = t.Expired
		a.render(w, r, s, http.StatusForbidden, d)
		return session{}, false
	}
	return sess, true
}

// signinForm shows the sign-in form with a CSRF token, set in a cookie
// too: the form must come back with both.
func (a *admin) signinForm(w http.ResponseWriter, r *http.Request, s *site, status int, msg string) {
	a.render(w, r, s, status, &adminData{CSRF: signinToken(w, r), Error: msg})
}

// signinToken is the CSRF token of a sign-in form, in a cookie for an
// hour: the one the browser has already, so that the maintainers' and the
// readers' forms, or two tabs, do not void each other, or a new one.
func signinToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(signinCookie); err == nil && len(c.Value) == tokenLen {
		return c.Value
	}
	csrf := randomToken()
	setCookie(w, r, signinCookie, csrf, time.Now().Add(time.Hour))
	return csrf
}

// status is the signed-in page: the index served, the last reindex, and
// the documents to add to and remove from.
func (a *admin) status(r *http.Request, sess session, result *runView) *adminData {
	t := language(r)
	d := &adminData{SignedIn: true, CSRF: sess.csrf, Result: result, Upload: a.uploadForm(t)}
	if v, ok := a.lib.View(); ok {
		docs := v.Documents()
		d.Ready, d.Documents, d.Chunks = true, len(docs), v.NumChunks()
		for _, doc := range docs {
			title, _ := names(doc.Title, doc.ID)
			d.Files = append(d.Files, fileRow{ID: doc.ID, Title: title, Href: documentPath(doc.ID), Chunks: doc.Chunks})
		}
	}
	if a.runs != nil {
		if run, ok := a.runs.LastReindex(); ok {
			d.Last = &runView{Started: run.Started.UTC().Format("2006-01-02 15:04:05 UTC"), Datetime: run.Started.UTC().Format(time.RFC3339),
				Took: run.Took.Round(time.Millisecond).String()}
			if run.Err != nil {
				d.Last.Error = fmt.Sprintf(t.ReindexFailedF, run.Err)
			} else {
				d.Last.Summary = summary(t, run.Result)
				if run.Result.Warning != "" {
					d.Last.Warning = fmt.Sprintf(t.WarningF, run.Result.Warning)
				}
			}
		}
	}
	return d
}

func summary(t *phrases, res corpus.Result) *summaryView {
	s := res.Summary
	return &summaryView{Counts: []count{{t.Added, s.Added}, {t.Changed, s.Changed}, {t.Removed, s.Removed},
		{t.Unchanged, s.Unchanged}, {t.Skipped, len(s.Skipped)}, {t.Chunks, s.Chunks}},
		Skipped: s.Skipped, File: t.ColFile, Reason: t.ColReason}
}

func (a *admin) render(w http.ResponseWriter, r *http.Request, s *site, status int, d *adminData) {
	w.Header().Set("Cache-Control", "no-store") // a maintainer's page stays out of caches
	p := s.page(r, language(r).AdminTitle, "admin", d)
	if d.SignedIn {
		p.Account = nil // the page has its own sign-out button
	}
	s.render(w, r, status, "admin", p)
}

// setCookie sets (or, with an empty value, clears) one of the
// maintainers' cookies: HttpOnly, SameSite=Strict, for the whole site,
// and Secure when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// sameToken compares a CSRF token with what came back, in constant time;
// an empty token matches nothing.
func sameToken(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// tokenLen is the length of randomToken's tokens.
const tokenLen = 43

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessions are the signed-in maintainers and readers, by the random id in
// their cookie, each with its expiry and CSRF token. They live in memory:
// a restart signs everyone out.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	now  func() time.Time
	byID map[string]session
}

type session struct {
	expires time.Time
	csrf    string
	name    string // for the request log: "admin", or the name of the key
	admin   bool   // started with the admin token: the maintainers' view is open
	// key is the SHA-256 of the read key a reader signed in with (never
	// the key), asked about again on each request.
	key [sha256.Size]byte
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, byID: map[string]session{}}
}

// create stores a new session with s's name, admin flag and key, and
// its own expiry and CSRF token.
func (ss *sessions) create(s session) (string, session) {
	id := randomToken()
	s.expires, s.csrf = ss.now().Add(ss.ttl), randomToken()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for k, v := range ss.byID {
		if !now.Before(v.expires) {
			delete(ss.byID, k)
		}
	}
	if len(ss.byID) >= maxSessions {
		var oldest string
		for k, v := range ss.byID {
			if oldest == "" || v.expires.Before(ss.byID[oldest].expires) {
				oldest = k
			}
		}
		delete(ss.byID, oldest)
	}
	ss.byID[id] = s
	return id, s
}

func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if ok && !ss.now().Before(s.expires) {
		delete(ss.byID, id)
		return session{}, false
	}
	return s, ok
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}
