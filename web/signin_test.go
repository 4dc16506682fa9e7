package web

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/access"
)

const (
	aliceKey = "alice-0123456789abcdef"
	bobKey   = "bob-fedcba9876543210"
)

// testKeyring holds alice's key and an unnamed one.
func testKeyring(t testing.TB) *access.Keyring {
	t.Helper()
	k, err := access.Parse("keys.txt", []byte("alice: "+aliceKey+"\n"+bobKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signInWithKey signs the browser in at /signin, for next.
func (b *browser) signInWithKey(key, next string) *http.Response {
	b.t.Helper()
	_, body := b.get("/signin?next=" + url.QueryEscape(next))
	res, _ := b.post("/signin", url.Values{"csrf": {csrf(b.t, body, "signin")}, "next": {next}, "key": {key}})
	return res
}

// readCSRF is the CSRF token of the navigation's sign-out form.
func (b *browser) readCSRF() string {
	b.t.Helper()
	_, body := b.get("/documents")
	return csrf(b.t, body, "nav-signout")
}

// session asks the handler's Session hook about a request with the
// browser's cookies.
func (b *browser) session(h *Handler) (string, bool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	return h.Session(r)
}

// A reader signs in with a key and is sent back to the page asked for;
// the session answers for the request log by the key's name, and signing
// out ends it. The key never appears in a page or a cookie.
func TestKeySignIn(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken, Keys: testKeyring(t)}, live, live, testLogger())
	b := newBrowser(t, h)
	if _, ok := b.session(h); ok {
		t.Fatal("a session before signing in")
	}

	res, body := b.get("/signin?next=" + url.QueryEscape("/documents/harbour.txt?start=0&end=7"))
	page := parse(t, body)
	form := mustID(t, page, "signin")
	key := mustID(t, page, "key")
	if res.StatusCode != http.StatusOK || attr(form, "method") != "post" || attr(form, "action") != "/signin" {
		t.Fatalf("the sign-in page: status %d, form %v", res.StatusCode, form.Attr)
	}
	if attr(key, "type") != "password" || attr(key, "name") != "key" || hasAttr(key, "value") {
		t.Errorf("the key input: %v", key.Attr)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	token := csrf(t, body, "signin")
	for _, in := range byTag(form, "input") {
		if attr(in, "name") == "next" && attr(in, "value") != "/documents/harbour.txt?start=0&end=7" {
			t.Errorf("next %q", attr(in, "value"))
		}
	}

	for _, wrong := range []string{"", "wrong", aliceKey + "x", "alice: " + aliceKey} {
		res, body := b.post("/signin", url.Values{"csrf": {token}, "key": {wrong}, "next": {"/documents"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(text(parse(t, body)), "That key is not one of this server's keys.") || b.cookies[sessionCookie] != nil {
			t.Errorf("key %q: status %d, session %v", wrong, res.StatusCode, b.cookies[sessionCookie])
		}
	}

	res, _ = b.post("/signin", url.Values{"csrf": {token}, "key": {aliceKey}, "next": {"/documents/harbour.txt?start=0&end=7"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/documents/harbour.txt?start=0&end=7" {
		t.Fatalf("sign-in: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if name, ok := b.session(h); !ok || name != "alice" {
		t.Errorf("Session: %q, %v; want alice", name, ok)
	}
	if _, ok := b.cookies[signinCookie]; ok {
		t.Error("the sign-in form's cookie stays after signing in")
	}
	_, body = b.get("/documents")
	signout := mustID(t, parse(t, body), "nav-signout")
	if attr(signout, "action") != "/signout" || !strings.Contains(text(signout), "alice") {
		t.Errorf("the navigation's sign-out form: %v %q", signout.Attr, text(signout))
	}
	// A read key is no admin token.
	if _, body := b.get("/admin"); byID(parse(t, body), "signin") == nil || byID(parse(t, body), "reindex") != nil {
		t.Error("a read key opens the maintainers' view")
	}
	_, body = b.get("/signin")
	if !strings.Contains(text(parse(t, body)), "You are signed in as alice.") {
		t.Error("the sign-in page does not say who is signed in")
	}

	res, _ = b.post("/signout", url.Values{"csrf": {"forged"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: status %d", res.StatusCode)
	}
	old := b.cookies[sessionCookie]
	res, _ = b.post("/signout", url.Values{"csrf": {b.readCSRF()}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin" || b.cookies[sessionCookie] != nil {
		t.Errorf("sign-out: status %d to %q, cookie %v", res.StatusCode, res.Header.Get("Location"), b.cookies[sessionCookie])
	}
	b.cookies[sessionCookie] = old
	if _, ok := b.session(h); ok {
		t.Error("a signed-out session still reads")
	}
	for _, body := range b.bodies {
		if strings.Contains(body, aliceKey) {
			t.Fatal("the key appears in a page")
		}
	}
}

// The admin token signs in at /signin too, and that session opens the
// maintainers' view; signing in anew replaces the browser's session.
func TestKeySignInAdmin(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{AdminToken: adminToken, Keys: testKeyring(t)}, live, live, testLogger())
	b := newBrowser(t, h)
	b.signInWithKey(bobKey, "/")
	reader := b.cookies[sessionCookie]
	if name, ok := b.session(h); !ok || !strings.HasPrefix(name, "key-") {
		t.Errorf("an unnamed key's session: %q, %v", name, ok)
	}
	if res := b.signInWithKey(adminToken, "/admin"); res.Header.Get("Location") != "/admin" {
		t.Fatalf("the admin token: to %q", res.Header.Get("Location"))
	}
	if name, ok := b.session(h); !ok || name != "admin" {
		t.Errorf("Session: %q, %v; want admin", name, ok)
	}
	if _, body := b.get("/admin"); byID(parse(t, body), "reindex") == nil {
		t.Error("the admin token's session does not open the maintainers' view")
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(reader)
	if _, ok := h.Session(r); ok {
		t.Error("the session signed in before still reads after signing in anew")
	}
	for _, body := range b.bodies {
		if strings.Contains(body, adminToken) || strings.Contains(body, bobKey) {
			t.Fatal("a key appears in a page")
		}
	}

	// Without an admin token configured, an empty key is no token.
	noAdmin := New(Config{Keys: testKeyring(t)}, live, live, testLogger())
	b = newBrowser(t, noAdmin)
	if res := b.signInWithKey("", "/"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an empty key without an admin token: status %d", res.StatusCode)
	}
}

// The session cookie of a key: random, HttpOnly, SameSite=Strict, for the
// whole site, Secure over TLS only.
func TestKeyCookie(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{Keys: testKeyring(t)}, live, live, testLogger())
	for _, tlsOn := range []bool{false, true} {
		b := newBrowser(t, h)
		_, body := b.get("/signin")
		r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"csrf": {csrf(t, body, "signin")}, "key": {aliceKey}}.Encode()))
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
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tlsOn || len(c.Value) < 40 {
			t.Errorf("TLS %v: cookie %+v; want HttpOnly, SameSite=Strict, Path=/, Secure only over TLS, a long random value", tlsOn, c)
		}
		if strings.Contains(c.Value, aliceKey) {
			t.Error("the cookie holds the key")
		}
	}
}

// Sign-in forms the page refuses, and where it goes after signing in:
// only to a path on this site.
func TestKeySignInRefuses(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{Keys: testKeyring(t)}, live, live, testLogger())
	t.Run("no CSRF token", func(t *testing.T) {
		b := newBrowser(t, h)
		b.get("/signin")
		for _, token := range []string{"", "forged"} {
			res, _ := b.post("/signin", url.Values{"csrf": {token}, "key": {aliceKey}})
			if res.StatusCode != http.StatusForbidden || b.cookies[sessionCookie] != nil {
				t.Errorf("csrf %q: status %d, want 403 and no session", token, res.StatusCode)
			}
		}
	})
	t.Run("cross-site", func(t *testing.T) {
		b := newBrowser(t, h)
		_, body := b.get("/signin")
		b.header.Set("Sec-Fetch-Site", "cross-site")
		res, _ := b.post("/signin", url.Values{"csrf": {csrf(t, body, "signin")}, "key": {aliceKey}})
		if res.StatusCode != http.StatusForbidden || b.cookies[sessionCookie] != nil {
			t.Errorf("status %d, want 403 and no session", res.StatusCode)
		}
	})
	t.Run("next", func(t *testing.T) {
		for next, want := range map[string]string{
			"":                                   "/",
			"/":                                  "/",
			"/documents":                         "/documents",
			"/documents/a%20b.txt?start=1&end=2": "/documents/a%20b.txt?start=1&end=2",
			"/v1/documents":                      "/v1/documents",
			"//evil.example/":                    "/",
			"///evil.example/":                   "/",
			"/\\evil.example/":                   "/",
			"\\\\evil.example/":                  "/",
			"/docs\\..\\x":                       "/",
			"https://evil.example/":              "/",
			"http:/evil.example/":                "/",
			"javascript:alert(1)":                "/",
			"evil.example":                       "/",
			"/\t/evil.example":                   "/",
			"/\n/evil.example":                   "/",
			"/ /evil.example":                    "/",
			"/signin?next=/":                     "/",
			"/signout":                           "/",
		} {
			b := newBrowser(t, h)
			res := b.signInWithKey(aliceKey, next)
			if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != want {
				t.Errorf("next %q: status %d to %q, want 303 to %q", next, res.StatusCode, got, want)
			}
		}
	})
	t.Run("no keys", func(t *testing.T) {
		open := New(Config{AdminToken: adminToken}, live, live, testLogger())
		res, _ := get(t, open, "/signin?next=%2Fdocuments")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/documents" {
			t.Errorf("GET /signin without keys: status %d to %q, want 303 to /documents", res.StatusCode, res.Header.Get("Location"))
		}
		res, _ = get(t, open, "/signin?next=//evil.example")
		if res.Header.Get("Location") != "/" {
			t.Errorf("without keys, next //evil.example goes to %q", res.Header.Get("Location"))
		}
		b := newBrowser(t, open)
		b.signIn()
		if _, body := b.get("/documents"); byID(parse(t, body), "nav-signout") != nil {
			t.Error("without keys the navigation offers to sign out")
		}
	})
}

// A key taken out of the keys file ends its sessions at the next request.
func TestKeyRemovedEndsSession(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte("alice: "+aliceKey+"\nbob: "+bobKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := access.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	live := newTestLive(t, true)
	h := New(Config{Keys: keys}, live, live, testLogger())
	alice, bob := newBrowser(t, h), newBrowser(t, h)
	alice.signInWithKey(aliceKey, "/")
	bob.signInWithKey(bobKey, "/")
	// bob's key is renamed, alice's taken out.
	if err := os.WriteFile(file, []byte("robert: "+bobKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := keys.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := alice.session(h); ok {
		t.Error("the session of a removed key still reads")
	}
	if name, ok := bob.session(h); !ok || name != "robert" {
		t.Errorf("a renamed key's session: %q, %v; want robert", name, ok)
	}
	// And it stays ended when the key comes back: the session is gone.
	os.WriteFile(file, []byte("alice: "+aliceKey+"\n"), 0o600)
	keys.Reload()
	if _, ok := alice.session(h); ok {
		t.Error("a session ended by a reload came back")
	}
}
