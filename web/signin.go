package web

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Reading by key: when the server has read keys (--api-keys), the HTTP
// API's guard sends a browser without a key or session here, with the
// page it asked for as ?next=. The form takes a key (or the admin token,
// which the keys file does not hold but which opens as much and more) and
// starts a session: the same cookie, store and rules as the maintainers'
// (HttpOnly, SameSite=Strict, Secure over TLS; only a random id in it),
// then goes back to that page. The key is never shown, set in a cookie
// or logged; the session keeps its SHA-256 and asks the keys about it on
// each request, so a key taken out of the keys file ends its sessions.

// keyData is the sign-in page's own data.
type keyData struct {
	CSRF, Next, Error string
	SignedInAs        string // the name of the session the browser has already
}

// handleKeyForm shows the key sign-in form; without read keys there is
// nothing to sign in for, and the browser goes on to the page it wanted.
func handleKeyForm(s *site, a *admin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := localPath(r.URL.Query().Get("next"))
		if a.keys == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		a.keyForm(w, r, s, http.StatusOK, next, "")
	})
}

// handleKeySignIn checks the key and starts a session.
func handleKeySignIn(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, &pageError{formStatus(err), t.Expired})
			return
		}
		next := localPath(r.PostForm.Get("next"))
		if a.keys == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		c, err := r.Cookie(signinCookie)
		if err != nil || !sameToken(c.Value, r.PostForm.Get("csrf")) {
			a.keyForm(w, r, s, http.StatusForbidden, next, t.Expired)
			return
		}
		key := r.PostForm.Get("key")
		sum := sha256.Sum256([]byte(key))
		name, isKey := a.keys.CheckHash(sum)
		isAdmin := a.enabled && a.tokenOK(key) // both asked, whichever matches: the time says neither
		switch {
		case isAdmin:
			a.start(w, r, session{name: adminName, admin: true})
			name = adminName
		case isKey:
			a.start(w, r, session{name: name, key: sum})
		default:
			a.keyForm(w, r, s, http.StatusUnauthorized, next, t.WrongKey)
			return
		}
		a.log.Info("web: signed in", "key", name)
		http.Redirect(w, r, next, http.StatusSeeOther)
	}))
}

// handleKeySignOut ends the session, a reader's or a maintainer's.
func handleKeySignOut(s *site, a *admin) http.Handler {
	return a.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		id, sess, ok := a.current(r)
		if err := r.ParseForm(); err != nil || (ok && !sameToken(sess.csrf, r.PostForm.Get("csrf"))) {
			s.fail(w, r, &pageError{http.StatusForbidden, t.Expired})
			return
		}
		if ok {
			a.sessions.drop(id)
		}
		setCookie(w, r, sessionCookie, "", time.Time{})
		to := "/"
		if a.keys != nil {
			to = "/signin"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}))
}

// keyForm renders the sign-in page with a CSRF token.
func (a *admin) keyForm(w http.ResponseWriter, r *http.Request, s *site, status int, next, msg string) {
	t := language(r)
	d := &keyData{CSRF: signinToken(w, r), Next: next, Error: msg}
	if _, sess, ok := a.current(r); ok {
		d.SignedInAs = sess.name
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "signin", s.page(r, t.SignInTitle, "", d))
}

// reader is Handler.Session: whether the request's session, a reader's or
// a maintainer's, may read, and its name.
func (a *admin) reader(r *http.Request) (string, bool) {
	id, sess, ok := a.current(r)
	switch {
	case !ok:
		return "", false
	case sess.admin:
		return sess.name, true
	case a.keys == nil:
		return "", false
	}
	name, ok := a.keys.CheckHash(sess.key)
	if !ok {
		a.sessions.drop(id) // the key is gone from the keys file
		return "", false
	}
	return name, true
}

// account is the reader the navigation offers to sign out: only with
// read keys, where a session is what lets a browser read.
func (a *admin) account(r *http.Request) *account {
	if a.keys == nil {
		return nil
	}
	name, ok := a.reader(r)
	if !ok {
		return nil
	}
	_, sess, _ := a.current(r)
	return &account{Name: name, CSRF: sess.csrf}
}

// localPath is next if it is a path on this site, "/" otherwise: it must
// start with one slash, and hold no backslash, control character or
// space (browsers read "/\evil.example" and "/\t/evil.example" as another
// host), no scheme, host or user; the sign-in and sign-out paths
// themselves lead to "/".
func localPath(next string) string {
	if len(next) == 0 || next[0] != '/' || strings.HasPrefix(next, "//") || len(next) > 4096 {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if u.Path == "/signin" || u.Path == "/signout" {
		return "/"
	}
	return next
}
