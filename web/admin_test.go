package web

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"citebot/corpus"
)

const adminToken = "s3cret-T0ken-for-tests"

// browser keeps cookies between requests, as a browser does for one
// site, and remembers every page it was sent.
type browser struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
	bodies  []string
	header  http.Header // added to each request
}

func newBrowser(t testing.TB, h http.Handler) *browser {
	return &browser{t: t, h: h, cookies: map[string]*http.Cookie{}, header: http.Header{}}
}

func (b *browser) do(r *http.Request) (*http.Response, string) {
	b.t.Helper()
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	for k, v := range b.header {
		r.Header[k] = v
	}
	res, body := serve(b.t, b.h, r)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	b.bodies = append(b.bodies, body)
	return res, body
}

func (b *browser) get(target string) (*http.Response, string) {
	return b.do(httptest.NewRequest(http.MethodGet, target, nil))
}

func (b *browser) post(target string, form url.Values) (*http.Response, string) {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(r)
}

// csrf reads the CSRF token of the form with the id on a page.
func csrf(t testing.TB, body, form string) string {
	t.Helper()
	f := mustID(t, parse(t, body), form)
	for _, in := range byTag(f, "input") {
		if attr(in, "name") == "csrf" {
			return attr(in, "value")
		}
	}
	t.Fatalf("form #%s has no CSRF token", form)
	return ""
}

// signIn signs the browser in.
func (b *browser) signIn() {
	b.t.Helper()
	_, body := b.get("/admin")
	res, _ := b.post("/admin/signin", url.Values{"csrf": {csrf(b.t, body, "signin")}, "token": {adminToken}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		b.t.Fatalf("sign-in: status %d to %q, want 303 to /admin", res.StatusCode, res.Header.Get("Location"))
	}
}

// failingLibrary is a Live whose reindexes fail.
type failingLibrary struct{ *corpus.Live }

func (failingLibrary) Reindex(context.Context) (corpus.Result, error) {
	return corpus.Result{}, errors.New("reindex: disk on fire")
}

// A maintainer signs in with the token, sees the index, reindexes and
// signs out; the token never appears in a page.
func TestAdminFlow(t *testing.T) {
	live := newTestLive(t, true)
	b := newBrowser(t, New(Config{AdminToken: adminToken}, live, live, testLogger()))

	res, body := b.get("/admin")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: status %d", res.StatusCode)
	}
	page := parse(t, body)
	form := mustID(t, page, "signin")
	tok := mustID(t, page, "token")
	if attr(form, "method") != "post" || tok.Data != "input" || attr(tok, "type") != "password" || attr(tok, "name") != "token" || hasAttr(tok, "value") {
		t.Errorf("sign-in form: %v, token input %v", form.Attr, tok.Attr)
	}
	if byID(page, "reindex") != nil {
		t.Error("the reindex button shows before signing in")
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}

	b.signIn()
	c := b.cookies[sessionCookie]
	if c == nil || len(c.Value) < 40 {
		t.Fatalf("no session cookie after signing in: %v", b.cookies)
	}
	res, body = b.get("/admin")
	page = parse(t, body)
	if res.StatusCode != http.StatusOK || byID(page, "signin") != nil {
		t.Fatalf("signed in: status %d, the sign-in form still shows", res.StatusCode)
	}
	status := text(page)
	for _, want := range []string{"Documents", "5", "Chunks", "Last reindex", "Started", "Took", "Added", "scan <1>.pdf", "no text layer (a scan?) <script>alert(1)</script>"} {
		if !strings.Contains(status, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
	if times := byTag(page, "time"); len(times) != 1 || !strings.HasSuffix(attr(times[0], "datetime"), "Z") {
		t.Errorf("the last reindex's time: %v", times)
	}

	token := csrf(t, body, "reindex")
	if btn := byTag(mustID(t, page, "reindex"), "button"); len(btn) != 1 || attr(btn[0], "type") != "submit" {
		t.Error("no submit button in #reindex")
	}
	before, _ := live.LastReindex()
	res, body = b.post("/admin/reindex", url.Values{"csrf": {token}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reindex: status %d", res.StatusCode)
	}
	result := text(mustID(t, parse(t, body), "reindex-result"))
	if !strings.Contains(result, "The reindex finished.") || !strings.Contains(result, "Unchanged") || !strings.Contains(result, "scan <1>.pdf") {
		t.Errorf("reindex result %q", result)
	}
	if after, _ := live.LastReindex(); !after.Started.After(before.Started) {
		t.Error("the reindex did not run")
	}

	res, _ = b.post("/admin/signout", url.Values{"csrf": {token}})
	if res.StatusCode != http.StatusSeeOther || b.cookies[sessionCookie] != nil {
		t.Errorf("sign-out: status %d, cookie %v", res.StatusCode, b.cookies[sessionCookie])
	}
	// The old session is gone on the server too.
	r := httptest.NewRequest(http.MethodGet, "/admin", nil)
	r.AddCookie(c)
	if _, body := serve(t, b.h, r); byID(parse(t, body), "signin") == nil {
		t.Error("a signed-out session still works")
	}
	for _, body := range b.bodies {
		if strings.Contains(body, adminToken) {
			t.Fatal("the admin token appears in a page")
		}
	}
}

// The session cookie: random, HttpOnly, SameSite=Strict, for the whole
// site, Secure over TLS only, expiring with the session.
func TestAdminCookie(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken, SessionTTL: time.Hour}, live, live, testLogger())
	for _, tlsOn := range []bool{false, true} {
		b := newBrowser(t, h)
		_, body := b.get("/admin")
		r := httptest.NewRequest(http.MethodPost, "/admin/signin", strings.NewReader(url.Values{"csrf": {csrf(t, body, "signin")}, "token": {adminToken}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		res, _ := b.do(r)
		var c *http.Cookie
		for _, k := range res.Cookies() {
			if k.Name == sessionCookie {
				c = k
			}
		}
		if c == nil {
			t.Fatal("no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tlsOn {
			t.Errorf("TLS %v: cookie %+v; want HttpOnly, SameSite=Strict, Path=/, Secure only over TLS", tlsOn, c)
		}
		if d := time.Until(c.Expires); d < 59*time.Minute || d > time.Hour {
			t.Errorf("the cookie expires in %v, want the session's hour", d)
		}
		if c.Value == adminToken || strings.Contains(c.Value, adminToken) {
			t.Error("the cookie holds the token")
		}
	}
}

// Requests the maintainers' view refuses.
func TestAdminRefuses(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken}, live, live, testLogger())

	t.Run("disabled", func(t *testing.T) {
		off := New(Config{}, live, live, testLogger())
		for _, target := range []string{"/admin", "/admin/signin", "/admin/reindex", "/admin/signout"} {
			b := newBrowser(t, off)
			var res *http.Response
			var body string
			if target == "/admin" {
				res, body = b.get(target)
			} else {
				res, body = b.post(target, url.Values{"token": {""}})
			}
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Maintenance over the web is disabled") {
				t.Errorf("%s: status %d, want 403 saying it is disabled", target, res.StatusCode)
			}
			if byID(parse(t, body), "signin") != nil {
				t.Errorf("%s: a sign-in form with no token configured", target)
			}
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		b := newBrowser(t, h)
		_, body := b.get("/admin")
		for _, tok := range []string{"", "wrong", adminToken + "x", adminToken[:5]} {
			res, body2 := b.post("/admin/signin", url.Values{"csrf": {csrf(t, body, "signin")}, "token": {tok}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body2, "That token is not right.") || b.cookies[sessionCookie] != nil {
				t.Errorf("token %q: status %d, session %v", tok, res.StatusCode, b.cookies[sessionCookie])
			}
			body = body2
		}
	})
	t.Run("sign-in without its CSRF token", func(t *testing.T) {
		b := newBrowser(t, h)
		b.get("/admin")
		for _, token := range []string{"", "forged"} {
			res, _ := b.post("/admin/signin", url.Values{"csrf": {token}, "token": {adminToken}})
			if res.StatusCode != http.StatusForbidden || b.cookies[sessionCookie] != nil {
				t.Errorf("csrf %q: status %d, want 403 and no session", token, res.StatusCode)
			}
		}
		// Without the cookie the form's token is worth nothing either.
		_, body := b.get("/admin")
		delete(b.cookies, signinCookie)
		r := httptest.NewRequest(http.MethodPost, "/admin/signin", strings.NewReader(url.Values{"csrf": {csrf(t, body, "signin")}, "token": {adminToken}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, _ := serve(t, h, r); res.StatusCode != http.StatusForbidden {
			t.Errorf("without the sign-in cookie: status %d, want 403", res.StatusCode)
		}
	})
	t.Run("reindex without its CSRF token", func(t *testing.T) {
		b := newBrowser(t, h)
		b.signIn()
		before, _ := live.LastReindex()
		for _, token := range []string{"", "forged"} {
			res, body := b.post("/admin/reindex", url.Values{"csrf": {token}})
			if res.StatusCode != http.StatusForbidden || byID(parse(t, body), "reindex-result") != nil {
				t.Errorf("csrf %q: status %d, want 403 and no result", token, res.StatusCode)
			}
		}
		if after, _ := live.LastReindex(); after.Started != before.Started {
			t.Error("a forged form reindexed")
		}
	})
	t.Run("reindex signed out", func(t *testing.T) {
		res, body := post(t, h, "/admin/reindex", url.Values{"csrf": {"x"}})
		if res.StatusCode != http.StatusUnauthorized || byID(parse(t, body), "signin") == nil {
			t.Errorf("status %d, want 401 and the sign-in form", res.StatusCode)
		}
	})
	t.Run("cross-site", func(t *testing.T) {
		b := newBrowser(t, h)
		b.signIn()
		_, body := b.get("/admin")
		b.header.Set("Sec-Fetch-Site", "cross-site")
		res, _ := b.post("/admin/reindex", url.Values{"csrf": {csrf(t, body, "reindex")}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site post: status %d, want 403", res.StatusCode)
		}
	})
	t.Run("reindex fails", func(t *testing.T) {
		b := newBrowser(t, New(Config{AdminToken: adminToken}, failingLibrary{live}, live, testLogger()))
		b.signIn()
		_, body := b.get("/admin")
		res, body := b.post("/admin/reindex", url.Values{"csrf": {csrf(t, body, "reindex")}})
		result := text(mustID(t, parse(t, body), "reindex-result"))
		if res.StatusCode != http.StatusInternalServerError || !strings.Contains(result, "disk on fire") || !strings.Contains(result, "previous index is still serving") {
			t.Errorf("status %d, result %q", res.StatusCode, result)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		cold := newTestLive(t, false)
		b := newBrowser(t, New(Config{AdminToken: adminToken}, cold, cold, testLogger()))
		b.signIn()
		res, body := b.get("/admin")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "No index is being served yet.") || !strings.Contains(body, "No reindex has finished") {
			t.Errorf("status %d; want the page saying there is no index and no reindex yet", res.StatusCode)
		}
		// A reindex from the page loads the first index.
		res, body = b.post("/admin/reindex", url.Values{"csrf": {csrf(t, body, "reindex")}})
		if res.StatusCode != http.StatusOK || !cold.Ready() || byID(parse(t, body), "reindex-result") == nil {
			t.Errorf("status %d, ready %v", res.StatusCode, cold.Ready())
		}
	})
}

// Sessions expire, and there are never more than maxSessions.
func TestSessions(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	ss := newSessions(time.Hour, func() time.Time { return now })
	id, s := ss.create(session{name: "alice"})
	if got, ok := ss.get(id); !ok || got != s {
		t.Fatal("a new session is not found")
	}
	if _, ok := ss.get("other"); ok {
		t.Error("an unknown id is a session")
	}
	now = now.Add(59 * time.Minute)
	if _, ok := ss.get(id); !ok {
		t.Error("a session expired early")
	}
	now = now.Add(time.Minute)
	if _, ok := ss.get(id); ok {
		t.Error("an expired session still works")
	}
	for range maxSessions + 10 {
		ss.create(session{})
	}
	if n := len(ss.byID); n != maxSessions {
		t.Errorf("%d sessions kept, want at most %d", n, maxSessions)
	}
	id, _ = ss.create(session{})
	ss.drop(id)
	if _, ok := ss.get(id); ok {
		t.Error("a dropped session still works")
	}
}
