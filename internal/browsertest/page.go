package browsertest

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds everything a Page does, from NewPage to the end of
// the test; a test's own -timeout deadline shortens it.
const DefaultTimeout = 60 * time.Second

// Page is one browser tab for one test. Its methods fail the test on an
// error (they call t.Fatal, so use them from the test's goroutine), and the
// tab closes when the test ends. A Page records from its start: the network
// requests, the dialogs and the console errors of whatever it loads.
type Page struct {
	t   testing.TB
	ctx context.Context

	noJS bool // DisableJavaScript was called

	mu       sync.Mutex
	closed   bool // the test is over: answer no more dialogs
	requests []Request
	dialogs  []Dialog
	console  []string
	answers  sync.WaitGroup // dialog answers under way
}

// Request is a network request the page made.
type Request struct {
	Method string
	URL    string
	Type   string // the resource type: Document, Stylesheet, Image, Fetch, …
}

func (r Request) String() string { return r.Method + " " + r.URL + " (" + r.Type + ")" }

// Dialog is a JavaScript dialog the page opened: alert, confirm, prompt or
// beforeunload. The Page accepted it at once.
type Dialog struct {
	Type    string
	Message string
}

func (d Dialog) String() string { return d.Type + "(" + strconv.Quote(d.Message) + ")" }

// NewPage opens a fresh tab in the package's browser, which starts with the
// first page. It skips the test when there is no Chromium (see HowToRun).
// The tab closes when the test ends, and it works until DefaultTimeout or
// shortly before the test's deadline, whichever is first.
func NewPage(t testing.TB) *Page {
	t.Helper()
	b := sharedBrowser(t)
	timeout := DefaultTimeout
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dt.Deadline(); ok {
			timeout = min(timeout, time.Until(d)*9/10)
		}
	}
	tctx, tcancel := context.WithTimeout(b.ctx, timeout)
	p := &Page{t: t}
	ctx, cancel := chromedp.NewContext(tctx, chromedp.WithListener(p.record))
	p.ctx = ctx
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		cancel()
		tcancel()
		p.answers.Wait()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	return p
}

// Context is the chromedp context of the tab, for what the Page has no
// method for: chromedp.Do(p.Context(), …), chromedp.Call(p.Context(), …).
func (p *Page) Context() context.Context { return p.ctx }

// Do runs chromedp actions in the tab and fails the test on an error.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("browsertest: %v", err)
	}
}

// Run runs one chromedp action in the page's tab and returns its value,
// failing the test on an error.
func Run[T any](p *Page, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.t.Fatalf("browsertest: %v", err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value into T; a promise is awaited.
func Eval[T any](p *Page, expression string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browsertest: evaluating %.80q: %v", expression, err)
	}
	return v
}

// Navigate loads url and waits until the load event has fired and an
// element matches the CSS selector waitFor ("" waits for none). It fails
// the test when the page does not load or answers with a status of 400
// or more; chromedp.NavigateResponse through Run gives the response
// itself.
func (p *Page) Navigate(url, waitFor string) {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("browsertest: loading %s: %v", url, err)
	}
	if resp != nil && resp.Status >= 400 {
		p.t.Fatalf("browsertest: loading %s: status %d %s", url, resp.Status, resp.StatusText)
	}
	if waitFor != "" {
		p.WaitReady(waitFor)
	}
}

// WaitReady waits until an element matches the CSS selector.
func (p *Page) WaitReady(selector string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.WaitReady(chromedp.CSS(selector))); err != nil {
		p.t.Fatalf("browsertest: waiting for %q: %v", selector, err)
	}
}

// WaitVisible waits until the first element that matches the CSS selector
// is visible.
func (p *Page) WaitVisible(selector string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		p.t.Fatalf("browsertest: waiting for %q to show: %v", selector, err)
	}
}

// Text is the textContent of the first element that matches the CSS
// selector, waiting for one.
func (p *Page) Text(selector string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.TextContent(chromedp.CSS(selector)))
	if err != nil {
		p.t.Fatalf("browsertest: reading the text of %q: %v", selector, err)
	}
	return s
}

// Click clicks the first element that matches the CSS selector, waiting for
// it to show.
func (p *Page) Click(selector string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible)); err != nil {
		p.t.Fatalf("browsertest: clicking %q: %v", selector, err)
	}
}

// Type types text into the first element that matches the CSS selector,
// as keystrokes ("\n" presses Enter).
func (p *Page) Type(selector, text string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.CSS(selector), text, chromedp.NodeVisible)); err != nil {
		p.t.Fatalf("browsertest: typing into %q: %v", selector, err)
	}
}

// DisableJavaScript turns the page's scripts off in this tab, for what it
// loads from now on, as a browser with JavaScript disabled would. The
// Page's methods still work but TimeUntil; Axe turns scripts on for as
// long as axe-core runs, too late for the page's own scripts, which were
// skipped as the page loaded.
func (p *Page) DisableJavaScript() {
	p.t.Helper()
	p.setScripts(false)
	p.noJS = true
}

func (p *Page) setScripts(on bool) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		p.t.Fatalf("browsertest: turning JavaScript on=%v: %v", on, err)
	}
}

// Viewport sets the size of the page's viewport in CSS pixels (the browser
// window is 1280×800).
func (p *Page) Viewport(width, height int64) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(width, height)); err != nil {
		p.t.Fatalf("browsertest: setting the viewport: %v", err)
	}
}

// Screenshot writes a PNG of the whole page to path, making its folder.
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	p.screenshot(path, chromedp.FullScreenshot(100))
}

// ScreenshotView is Screenshot of what the viewport shows: a long
// document's page would make a picture of megabytes.
func (p *Page) ScreenshotView(path string) {
	p.t.Helper()
	p.screenshot(path, chromedp.CaptureScreenshot())
}

func (p *Page) screenshot(path string, take chromedp.Action[[]byte]) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, take)
	if err != nil {
		p.t.Fatalf("browsertest: taking a screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// record is the tab's listener: it runs for each event in the order the
// browser sent them, before the tab reads its next message, so whatever a
// finished action caused is recorded when it returns. It must return at
// once and send no command itself.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, Request{Method: ev.Request.Method, URL: ev.Request.URL, Type: string(ev.Type)})
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, Dialog{Type: string(ev.Type), Message: ev.Message})
		if p.closed {
			return
		}
		// The dialog blocks the page, and the action that opened it, until
		// it is answered: answer it from elsewhere.
		p.answers.Go(func() {
			_, _ = chromedp.Call(p.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		})
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			p.console = append(p.console, "console."+string(ev.Type)+": "+argsText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		p.console = append(p.console, "uncaught: "+exceptionText(ev.ExceptionDetails))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			s := string(ev.Entry.Source) + ": " + ev.Entry.Text
			if ev.Entry.URL != "" {
				s += " (" + ev.Entry.URL + ")"
			}
			p.console = append(p.console, s)
		}
	}
}

// argsText is the arguments of a console call as the console shows them,
// roughly: strings bare, other values as JSON or as their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Type == runtime.RemoteObjectTypeString && len(a.Value) > 0:
			s, err := strconv.Unquote(string(a.Value))
			if err != nil {
				s = string(a.Value)
			}
			parts = append(parts, s)
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.UnserializableValue != "":
			parts = append(parts, string(a.UnserializableValue))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// Requests are the network requests the page has made, in order. They
// include the browser's own request for /favicon.ico, sometime after the
// load, when the page names no icon.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// OutsideRequests are the requests for anything but loopback: any URL
// other than http(s) or ws(s) to localhost, 127.0.0.0/8 or [::1], apart
// from data:, blob: and about: URLs, which go nowhere.
func (p *Page) OutsideRequests() []Request {
	var out []Request
	for _, r := range p.Requests() {
		if !stayedHome(r.URL) {
			out = append(out, r)
		}
	}
	return out
}

// stayedHome reports whether a request for rawURL stays on the machine.
func stayedHome(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// Dialogs are the JavaScript dialogs the page has opened, in order.
func (p *Page) Dialogs() []Dialog {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Dialog(nil), p.dialogs...)
}

// ConsoleErrors are the page's console.error and console.assert messages,
// its uncaught exceptions and the browser's error log entries (a resource
// that failed to load, a refused script), in order.
func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// CheckNoOutsideRequests fails the test, naming them, if the page has
// asked for anything beyond loopback.
func (p *Page) CheckNoOutsideRequests() {
	p.t.Helper()
	for _, r := range p.OutsideRequests() {
		p.t.Errorf("the page asked for something beyond 127.0.0.1: %v", r)
	}
}

// CheckNoDialogs fails the test, naming them, if the page has opened a
// JavaScript dialog.
func (p *Page) CheckNoDialogs() {
	p.t.Helper()
	for _, d := range p.Dialogs() {
		p.t.Errorf("the page opened a dialog: %v", d)
	}
}

// CheckNoConsoleErrors fails the test, naming them, if the page has logged
// an error or thrown an uncaught exception.
func (p *Page) CheckNoConsoleErrors() {
	p.t.Helper()
	for _, e := range p.ConsoleErrors() {
		p.t.Errorf("console error: %s", e)
	}
}

// PerformanceEntry is one entry of the page's performance timeline, in
// milliseconds from the page's time origin.
type PerformanceEntry struct {
	Name      string  `json:"name"`
	EntryType string  `json:"entryType"`
	StartTime float64 `json:"startTime"`
	Duration  float64 `json:"duration"`
}

// PerformanceEntries are the page's entries of one type from
// performance.getEntriesByType: "resource", "mark", "measure", "paint",
// "navigation".
func (p *Page) PerformanceEntries(entryType string) []PerformanceEntry {
	p.t.Helper()
	return Eval[[]PerformanceEntry](p, fmt.Sprintf(
		`performance.getEntriesByType(%q).map(e => ({name: e.name, entryType: e.entryType, startTime: e.startTime, duration: e.duration}))`,
		entryType))
}

// NavigationTiming is when the document's milestones came, in milliseconds
// from the start of its navigation (the "navigation" entry of the
// Performance API); a milestone not yet reached is 0.
type NavigationTiming struct {
	ResponseStart    float64 `json:"responseStart"`            // the first byte of the answer
	ResponseEnd      float64 `json:"responseEnd"`              // the last byte
	DOMInteractive   float64 `json:"domInteractive"`           // the document parsed
	DOMContentLoaded float64 `json:"domContentLoadedEventEnd"` // its DOMContentLoaded handlers done
	Load             float64 `json:"loadEventEnd"`             // its load handlers done
	TransferSize     int64   `json:"transferSize"`             // bytes over the wire, headers included
}

// NavigationTiming reads the timing of the document's navigation.
func (p *Page) NavigationTiming() NavigationTiming {
	p.t.Helper()
	return Eval[NavigationTiming](p, `(() => {
		const e = performance.getEntriesByType("navigation")[0];
		return e ? e.toJSON() : {};
	})()`)
}

// Now is the page's clock, performance.now(): the time since its time
// origin. Two readings around actions give their duration on the page's
// own clock.
func (p *Page) Now() time.Duration {
	p.t.Helper()
	return msDuration(Eval[float64](p, `performance.now()`))
}

// TimeUntil runs action and measures on the page's clock how long the
// document took, from just before the action, to hold an element matching
// the CSS selector (seen by a MutationObserver, so before it is painted).
// No element may match before the action; the action must not load
// another document.
func (p *Page) TimeUntil(selector string, action func()) time.Duration {
	p.t.Helper()
	sel := strconv.Quote(selector)
	if ok := Eval[bool](p, `(() => {
		const sel = `+sel+`;
		if (document.querySelector(sel)) return false;
		const w = {start: performance.now(), seen: 0};
		w.done = new Promise(resolve => {
			const obs = new MutationObserver(() => {
				if (!w.seen && document.querySelector(sel)) {
					w.seen = performance.now();
					obs.disconnect();
					resolve();
				}
			});
			obs.observe(document, {childList: true, subtree: true, attributes: true, characterData: true});
		});
		window.__browsertestWatch = w;
		return true;
	})()`); !ok {
		p.t.Fatalf("browsertest: %s matches before the action: nothing to time", selector)
	}
	action()
	return msDuration(Eval[float64](p, `(async () => {
		const w = window.__browsertestWatch;
		if (!w) throw new Error("the page was replaced while timing");
		await w.done;
		return w.seen - w.start;
	})()`))
}

// msDuration is a reading of the page's clock, in milliseconds, to the
// microsecond (browsers coarsen the clock further, to 5 to 100 µs).
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1e3)) * time.Microsecond
}
