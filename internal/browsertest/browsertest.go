// Package browsertest runs tests in a real browser: one headless Chromium
// for the tests of a package, driven over the DevTools protocol by
// github.com/chromedp/chromedp, and a fresh tab for each test. A tab records
// what a test asserts on afterwards: every network request the page makes,
// the JavaScript dialogs (answered at once, so the page never blocks), and
// the console errors and uncaught exceptions. A tab also runs axe-core for
// accessibility, reads timings from the Performance API, runs with
// JavaScript turned off, and takes PNG screenshots. Only tests import it.
//
// The browser is Debian's chromium (or the one CITEBOT_CHROMIUM names);
// without one, NewPage skips the test and says how to run it. axe-core is
// the file CITEBOT_AXE names (axe.min.js of the npm package, which .ci/run
// installs); without it the accessibility check is left out with a message
// and the rest of the test runs.
//
// A test package calls Main from its TestMain, so that its browser stops
// after its tests:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestAsk(t *testing.T) {
//		p := browsertest.NewPage(t)
//		p.Navigate(srv.URL, "form")
//		p.CheckNoOutsideRequests()
//		p.CheckAccessibility()
//	}
//
// The browser reaches loopback only: it resolves no host name but
// localhost, and sends every request for another address to a proxy on
// 127.0.0.1 that answers 502. A page's request for the outside world is
// recorded (see Page.OutsideRequests) and fails; Chromium's own calls home
// (component updates, sign-in) end at the proxy too; nothing leaves the
// machine.
//
// Every test binary that imports the package takes the flag -screenshots,
// which Screenshots reports, for the tests that write the README's
// pictures: go test ./web -run Screenshot -screenshots.
package browsertest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshots is the -screenshots flag of every test binary that imports
// the package.
var screenshots = flag.Bool("screenshots", false, "browser tests write their screenshots (PNG) for the README")

// Screenshots reports whether the test binary was given -screenshots, the
// sign for the tests that make the README's pictures to write them.
func Screenshots() bool { return *screenshots }

// HowToRun is what a skipped browser test says.
const HowToRun = "browser tests need Chromium: apt-get install chromium (Debian), " +
	"or CITEBOT_CHROMIUM=/path/to/chrome; the accessibility checks also need " +
	"CITEBOT_AXE=/path/to/axe.min.js (npm install axe-core; .ci/run does both)"

// startTimeout bounds the start of the browser.
const startTimeout = time.Minute

// shared is the package's browser, started by the first NewPage.
var shared struct {
	sync.Mutex
	main    bool // Main is running the tests
	started bool
	b       *browser
	skip    string // why there is no browser, when there is none
	err     error  // why it did not start
}

// browser is a running Chromium and the proxy it sends the outside world
// to.
type browser struct {
	ctx         context.Context // the chromedp context of the browser
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
	proxy       *refusingProxy
}

// Main runs the tests of a package and then stops the browser they
// started. Call it from TestMain; it returns, and the test binary then
// exits with the tests' result.
func Main(m *testing.M) {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.b != nil {
		shared.b.stop()
		shared.b = nil
	}
}

// sharedBrowser is the package's browser, started on first use. It skips
// the test when there is no Chromium and fails it when Chromium does not
// start.
func sharedBrowser(t testing.TB) *browser {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		t.Fatal("browsertest: call browsertest.Main(m) from the package's TestMain, so that the browser stops after the tests")
	}
	if !shared.started {
		shared.started = true
		path, why := findChromium(os.Getenv, exec.LookPath)
		if path == "" {
			shared.skip = why
		} else {
			shared.b, shared.err = start(path)
		}
	}
	switch {
	case shared.skip != "":
		t.Skip(shared.skip)
	case shared.err != nil:
		t.Fatalf("browsertest: starting Chromium: %v", shared.err)
	}
	return shared.b
}

// findChromium is the browser's path: CITEBOT_CHROMIUM if set, else the
// first of Debian's chromium, chromium-browser and google-chrome on the
// PATH. Without one it says why and how to get one.
func findChromium(getenv func(string) string, lookPath func(string) (string, error)) (path, why string) {
	if p := getenv("CITEBOT_CHROMIUM"); p != "" {
		if _, err := lookPath(p); err != nil {
			return "", fmt.Sprintf("no browser at CITEBOT_CHROMIUM=%s (%v); %s", p, err, HowToRun)
		}
		return p, ""
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := lookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "no chromium, chromium-browser or google-chrome found; " + HowToRun
}

// start starts a headless Chromium that reaches loopback only.
func start(path string) (*browser, error) {
	proxy, err := listenRefusingProxy()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 800),
		// Every address but loopback goes to the proxy, which refuses it.
		// "<-loopback>" takes out Chromium's implicit bypass list, which
		// also holds link-local addresses; loopback is then named alone.
		chromedp.ProxyServer("http://"+proxy.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>;localhost;127.0.0.0/8;[::1]"),
		// Chromium's own traffic (component updates, network time,
		// autofill, sign-in) would only meet the proxy: leave it out.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,"+
			"NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, cancel: cancel, allocCancel: acancel, proxy: proxy}

	// The first Run starts the browser and ties it to ctx, so it gets no
	// deadline of its own; the timer stands in for one.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(startTimeout):
		err = fmt.Errorf("%s did not start in %v", path, startTimeout)
	}
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// stop closes the browser, waiting a while for it to go, and then the
// proxy.
func (b *browser) stop() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "browsertest: stopping Chromium: %v\n", err)
	}
	cancel()
	b.cancel()
	b.allocCancel()
	b.proxy.close()
}

// refusingProxy is the HTTP proxy the browser sends every request for
// another address to. It answers each with 502 and keeps the request
// lines, so a test can see that nothing went past it.
type refusingProxy struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []string // request lines, such as "GET http://x.invalid/ HTTP/1.1"
}

func listenRefusingProxy() (*refusingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the refusing proxy: %w", err)
	}
	p := &refusingProxy{ln: ln}
	p.wg.Go(p.serve)
	return p, nil
}

func (p *refusingProxy) addr() string { return p.ln.Addr().String() }

func (p *refusingProxy) serve() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.refuse(conn) })
	}
}

func (p *refusingProxy) refuse(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if line = strings.TrimSpace(line); line != "" {
		p.mu.Lock()
		p.seen = append(p.seen, line)
		p.mu.Unlock()
	}
	// Read the headers too, so that closing does not reset the connection
	// before the browser has the answer.
	for err == nil {
		var h string
		if h, err = r.ReadString('\n'); strings.TrimSpace(h) == "" {
			break
		}
	}
	if err != nil {
		return
	}
	const body = "browsertest: the browser reaches 127.0.0.1 only\n"
	fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

// requests are the request lines the proxy has refused.
func (p *refusingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func (p *refusingProxy) close() {
	p.ln.Close()
	p.wg.Wait()
}
