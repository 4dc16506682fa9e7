package browsertest

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// pages is the tiny site the harness is tried on. Its scripts are files,
// so that the strict Content-Security-Policy it is served with lets them
// run, as it will for citebot's own page.
var pages = map[string]string{
	"/form": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask</title></head>
<body><main><h1>Ask</h1>
<form method="post" action="/answer">
<label for="q">Question</label> <input id="q" name="q"> <button type="submit">Ask</button>
</form>
<p id="js">JavaScript is off</p>
<script src="/form.js"></script>
</main></body></html>`,
	"/form.js": `document.getElementById("js").textContent = "JavaScript is on";`,

	"/dialogs": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dialogs</title></head>
<body><main><h1>Dialogs</h1>
<button id="alert">Alert</button> <button id="confirm">Confirm</button> <button id="prompt">Prompt</button>
<p id="out"></p>
<script src="/dialogs.js"></script>
</main></body></html>`,
	"/dialogs.js": `const out = document.getElementById("out");
document.getElementById("alert").onclick = () => { alert("hello"); out.textContent = "alerted"; };
document.getElementById("confirm").onclick = () => { out.textContent = "confirmed " + confirm("sure?"); };
document.getElementById("prompt").onclick = () => { out.textContent = "prompted " + JSON.stringify(prompt("name?", "x")); };`,

	"/outside": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outside</title></head>
<body><main><h1>Outside</h1>
<img src="/pixel.png" alt="inside"> <img src="http://outside.invalid/pixel.png" alt="outside">
</main></body></html>`,

	"/inaccessible": `<!doctype html>
<html><head><meta charset="utf-8"><title>Inaccessible</title></head>
<body><img src="/pixel.png"> <input id="nolabel"></body></html>`,

	"/console": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console</title></head>
<body><main><h1>Console</h1><img src="/missing.png" alt="missing">
<script src="/console.js"></script>
</main></body></html>`,
	"/console.js": `console.log("fine"); console.error("boom", 42); throw new Error("kaboom");`,

	"/slow": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slow</title></head>
<body><main><h1>Slow</h1><button id="go">Go</button>
<script src="/slow.js"></script>
</main></body></html>`,
	"/slow.js": `document.getElementById("go").onclick = () => setTimeout(() => {
	const p = document.createElement("p");
	p.id = "late"; p.textContent = "late";
	document.querySelector("main").append(p);
}, 50);`,
}

func pixel(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.Black)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// site serves pages on loopback.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	px := pixel(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/outside" { // whose image must reach the proxy
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
		}
		switch {
		case r.URL.Path == "/pixel.png" || r.URL.Path == "/favicon.ico":
			w.Header().Set("Content-Type", "image/png")
			w.Write(px)
		case r.URL.Path == "/answer" && r.Method == http.MethodPost:
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Answer</title></head>
<body><main><h1>Answer</h1><p id="answer">You asked: %s</p></main></body></html>`, html.EscapeString(r.FormValue("q")))
		case pages[r.URL.Path] != "":
			if strings.HasSuffix(r.URL.Path, ".js") {
				w.Header().Set("Content-Type", "text/javascript")
			} else {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
			}
			fmt.Fprint(w, pages[r.URL.Path])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// pageRequests are the page's requests but the favicon's, which the
// browser asks for on its own, sometime after the load.
func pageRequests(p *Page) []Request {
	return slices.DeleteFunc(p.Requests(), func(r Request) bool { return strings.HasSuffix(r.URL, "/favicon.ico") })
}

// recorder is a testing.TB whose Errorf and Logf are kept, to see the
// Check methods fail.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	logs   []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprint(args...))
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestFindChromium(t *testing.T) {
	const found = "/opt/found/chrome"
	look := func(have ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			if slices.Contains(have, name) {
				if strings.HasPrefix(name, "/") {
					return name, nil
				}
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		}
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "CITEBOT_CHROMIUM" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name     string
		env      string
		have     []string
		want     string
		whyHolds string
	}{
		{"the variable wins", found, []string{found, "/usr/bin/chromium"}, found, ""},
		{"a missing variable skips", "/nonexistent", []string{"/usr/bin/chromium"}, "", "CITEBOT_CHROMIUM=/nonexistent"},
		{"Debian's chromium", "", []string{"/usr/bin/chromium", "google-chrome"}, "/usr/bin/chromium", ""},
		{"chromium-browser", "", []string{"chromium-browser", "google-chrome"}, "/usr/bin/chromium-browser", ""},
		{"google-chrome", "", []string{"google-chrome"}, "/usr/bin/google-chrome", ""},
		{"none", "", nil, "", "apt-get install chromium"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := findChromium(env(tc.env), look(tc.have...))
			if got != tc.want {
				t.Errorf("path = %q, want %q", got, tc.want)
			}
			if !strings.Contains(why, tc.whyHolds) {
				t.Errorf("why = %q, want it to hold %q", why, tc.whyHolds)
			}
			if got == "" && !strings.Contains(why, "CITEBOT_AXE") {
				t.Errorf("why = %q, want it to say how to run the accessibility checks", why)
			}
		})
	}
}

func TestStayedHome(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:8080/":             true,
		"https://127.0.0.2/x":                true,
		"ws://localhost:1/":                  true,
		"http://[::1]:80/":                   true,
		"data:image/png;base64,AAAA":         true,
		"about:blank":                        true,
		"blob:http://127.0.0.1/1-2":          true,
		"http://outside.invalid/pixel.png":   false,
		"https://fonts.example.com/a.woff2":  false,
		"http://10.0.0.1/":                   false,
		"http://169.254.169.254/":            false,
		"http://localhost.example.com/":      false,
		"chrome-extension://abc/script.js":   false,
		"ftp://127.0.0.1/":                   false,
		"http://127.0.0.1.outside.invalid/x": false,
	} {
		if got := stayedHome(u); got != want {
			t.Errorf("stayedHome(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestForm(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.Navigate(srv.URL+"/form", "form")
	if got, want := p.Text("#js"), "JavaScript is on"; got != want {
		t.Errorf("#js = %q, want %q", got, want)
	}
	p.Type("#q", "When did it come into effect?")
	p.Click("button[type=submit]")
	p.WaitReady("#answer")
	if got, want := p.Text("#answer"), "You asked: When did it come into effect?"; got != want {
		t.Errorf("#answer = %q, want %q", got, want)
	}
	var got []string
	for _, r := range pageRequests(p) {
		got = append(got, r.Method+" "+strings.TrimPrefix(r.URL, srv.URL)+" "+r.Type)
	}
	want := []string{"GET /form Document", "GET /form.js Script", "POST /answer Document"}
	if !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
	p.CheckNoOutsideRequests()
	p.CheckNoDialogs()
	p.CheckNoConsoleErrors()
	p.CheckAccessibility()
}

func TestDialogs(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.Navigate(srv.URL+"/dialogs", "#prompt")
	for _, c := range []struct{ button, out string }{
		{"#alert", "alerted"},
		{"#confirm", "confirmed true"},
		{"#prompt", `prompted ""`},
	} {
		p.Click(c.button)
		if got := p.Text("#out"); got != c.out {
			t.Errorf("after %s, #out = %q, want %q", c.button, got, c.out)
		}
	}
	want := []Dialog{{"alert", "hello"}, {"confirm", "sure?"}, {"prompt", "name?"}}
	if got := p.Dialogs(); !slices.Equal(got, want) {
		t.Errorf("dialogs = %v, want %v", got, want)
	}
	rec := &recorder{TB: t}
	p.t = rec
	p.CheckNoDialogs()
	if len(rec.errors) != 3 || !strings.Contains(rec.errors[0], `alert("hello")`) {
		t.Errorf("CheckNoDialogs reported %q, want the three dialogs", rec.errors)
	}
}

func TestOutsideRequests(t *testing.T) {
	srv := site(t)
	rec := &recorder{TB: t}
	p := NewPage(rec)
	p.Navigate(srv.URL+"/outside", "img")
	want := []Request{{"GET", "http://outside.invalid/pixel.png", "Image"}}
	if got := p.OutsideRequests(); !slices.Equal(got, want) {
		t.Errorf("outside requests = %v, want %v", got, want)
	}
	if rs := pageRequests(p); len(rs) != 3 {
		t.Errorf("%d requests, want 3 (the page and two images): %v", len(rs), rs)
	}
	p.CheckNoOutsideRequests()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "outside.invalid") {
		t.Errorf("CheckNoOutsideRequests reported %q, want the outside image", rec.errors)
	}

	// The request went to the refusing proxy, and no further; the
	// loopback ones went straight to the server.
	seen := shared.b.proxy.requests()
	if !slices.Contains(seen, "GET http://outside.invalid/pixel.png HTTP/1.1") {
		t.Errorf("the proxy saw %q, want the outside image", seen)
	}
	for _, s := range seen {
		if strings.Contains(s, "127.0.0.1") {
			t.Errorf("the proxy saw %q: a loopback request went through it", s)
		}
	}
}

func TestConsoleErrors(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.Navigate(srv.URL+"/console", "h1")
	got := p.ConsoleErrors()
	for _, want := range []string{"console.error: boom 42", "uncaught: Error: kaboom", "404"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("console errors = %q, want one holding %q", got, want)
		}
	}
	if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "fine") }) {
		t.Errorf("console errors = %q, want no console.log", got)
	}
}

func TestAccessibility(t *testing.T) {
	srv := site(t)
	rec := &recorder{TB: t}
	p := NewPage(rec)
	p.Navigate(srv.URL+"/inaccessible", "img")
	p.CheckAccessibility()
	if _, ok := p.Axe(); !ok {
		if len(rec.errors) != 0 || len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "CITEBOT_AXE") {
			t.Errorf("without axe-core: errors %q, logs %q; want no error and a log naming CITEBOT_AXE", rec.errors, rec.logs)
		}
		t.Skip("axe-core not checked: CITEBOT_AXE unset")
	}
	for _, id := range []string{"image-alt", "label", "html-has-lang"} {
		if !slices.ContainsFunc(rec.errors, func(s string) bool { return strings.HasPrefix(s, "accessibility: "+id+" ") }) {
			t.Errorf("CheckAccessibility reported %q, want %s", rec.errors, id)
		}
	}
	vs, _ := p.Axe()
	i := slices.IndexFunc(vs, func(v Violation) bool { return v.ID == "image-alt" })
	if i < 0 {
		t.Fatalf("violations %v, want image-alt", vs)
	}
	if v := vs[i]; v.Impact != "critical" || !v.Blocking() || len(v.Nodes) != 1 || v.Nodes[0].Target != "img" || !strings.Contains(v.HelpURL, "image-alt") {
		t.Errorf("image-alt = %+v, want critical, on the img", v)
	}
}

func TestNoJavaScript(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.DisableJavaScript()
	p.Navigate(srv.URL+"/form", "form")
	if got, want := p.Text("#js"), "JavaScript is off"; got != want {
		t.Errorf("#js = %q, want %q", got, want)
	}
	p.Type("#q", "plain form")
	p.Click("button[type=submit]")
	p.WaitReady("#answer")
	if got, want := p.Text("#answer"), "You asked: plain form"; got != want {
		t.Errorf("#answer = %q, want %q", got, want)
	}
	p.CheckAccessibility() // axe-core runs with the page's scripts off
	p.Navigate(srv.URL+"/form", "form")
	if got, want := p.Text("#js"), "JavaScript is off"; got != want {
		t.Errorf("after axe-core, #js = %q, want %q", got, want)
	}
	p.CheckNoConsoleErrors()
}

func TestTiming(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.Navigate(srv.URL+"/slow", "#go")
	nt := p.NavigationTiming()
	if !(0 < nt.ResponseStart && nt.ResponseStart <= nt.ResponseEnd && nt.ResponseEnd <= nt.DOMContentLoaded && nt.DOMContentLoaded <= nt.Load) || nt.TransferSize <= 0 {
		t.Errorf("navigation timing %+v, want its milestones in order", nt)
	}
	res := p.PerformanceEntries("resource")
	if !slices.ContainsFunc(res, func(e PerformanceEntry) bool { return e.Name == srv.URL+"/slow.js" && e.Duration > 0 }) {
		t.Errorf("resource entries %+v, want slow.js", res)
	}
	before := p.Now()
	d := p.TimeUntil("#late", func() { p.Click("#go") })
	if d < 50*time.Millisecond || d > 5*time.Second {
		t.Errorf("TimeUntil = %v, want 50 ms and a little", d)
	}
	if after := p.Now(); after-before < d {
		t.Errorf("the page's clock went from %v to %v, less than the %v measured", before, after, d)
	}
	t.Logf("load %.1f ms, #late after %v", nt.Load, d)
}

func TestScreenshot(t *testing.T) {
	srv := site(t)
	p := NewPage(t)
	p.Viewport(800, 600)
	p.Navigate(srv.URL+"/form", "form")
	path := filepath.Join(t.TempDir(), "shots", "form.png")
	p.Screenshot(path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() < 600 {
		t.Errorf("the screenshot is %v, want 800 wide and at least 600 high", b)
	}
}

func TestTabsInParallel(t *testing.T) {
	srv := site(t)
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			p := NewPage(t)
			p.Navigate(srv.URL+"/form", "form")
			q := fmt.Sprintf("tab %d", i)
			p.Type("#q", q)
			p.Click("button[type=submit]")
			p.WaitReady("#answer")
			if got, want := p.Text("#answer"), "You asked: "+q; got != want {
				t.Errorf("#answer = %q, want %q", got, want)
			}
			if rs := pageRequests(p); len(rs) != 3 {
				t.Errorf("%d requests, want this tab's 3: %v", len(rs), rs)
			}
		})
	}
}
