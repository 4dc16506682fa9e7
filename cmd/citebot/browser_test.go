package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"citebot/answer"
	"citebot/internal/browsertest"
	"citebot/internal/testdocs"
	"citebot/loader/extract/extracttest"
)

// The web page in a real browser (Debian's chromium through chromedp),
// against `citebot serve` running in process: what a person does, click
// by click, and what must never happen (a dialog, a request elsewhere, a
// console error, an accessibility violation).

// devQuestion is a question of the seeds' dev set.
const devQuestion = "When was the Union State of Belarus and Russia established?"

// screenshotDir is where -screenshots writes the README's pictures.
const screenshotDir = "../../docs/screenshots"

// startPageServer serves the seeds (or docs) for a browser test.
func startPageServer(t *testing.T, docs string, args ...string) *server {
	t.Helper()
	s := startServe(t, nil, append([]string{"--docs", docs, "--index", filepath.Join(t.TempDir(), "index")}, args...)...)
	s.waitReady(t)
	return s
}

// apiAnswer is what the JSON API answers the same question: the page must
// show the same citations.
func apiAnswer(t *testing.T, s *server, question string) answer.Answer {
	t.Helper()
	a, status := s.ask(t, question)
	if status != http.StatusOK {
		t.Fatalf("POST /v1/ask: %d", status)
	}
	return a
}

// documentBytes fetches a span of a document's text through the API.
func documentBytes(t *testing.T, s *server, id string, start, end int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/v1/documents/%s?start=%d&end=%d", s.url, escapePath(id), start, end))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("GET the span: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func escapePath(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// checkClean fails on what a page must never do.
func checkClean(p *browsertest.Page) {
	p.CheckNoDialogs()
	p.CheckNoOutsideRequests()
	p.CheckNoConsoleErrors()
}

// A person asks a dev-set question and sees the answer with its citations;
// clicking [1] opens the document with exactly the cited bytes highlighted.
func TestBrowserAskAndCheckCitation(t *testing.T) {
	s := startPageServer(t, seeds)
	want := apiAnswer(t, s, devQuestion)
	if !want.Found || len(want.Citations) == 0 {
		t.Fatalf("the API does not answer the dev question: %+v", want)
	}
	p := browsertest.NewPage(t)
	p.Navigate(s.url+"/", "#ask")
	if n := browsertest.Eval[int](p, `document.querySelectorAll("#examples button").length`); n == 0 {
		t.Error("an empty page shows no example questions")
	}
	p.CheckAccessibility()
	// The best of three tries is the figure: other tests share the
	// machine, and a pause of theirs is not the page's time.
	var took time.Duration
	for try := range 3 {
		if try > 0 {
			p.Navigate(s.url+"/", "#ask")
		}
		p.Type("#q", devQuestion)
		d := p.TimeUntil(`body[data-state="answered"]`, func() { p.Type("#q", "\r") })
		if try == 0 || d < took {
			took = d
		}
		if took <= 150*time.Millisecond {
			break
		}
	}
	t.Logf("Enter to answer drawn: %v", took)
	if took > 150*time.Millisecond && !raceEnabled {
		t.Errorf("the answer took %v to draw after Enter, the target is 150 ms", took)
	}
	if got := p.Text(".answer-text"); !strings.Contains(got, "[1]") {
		t.Errorf("answer text %q has no [1]", got)
	}
	c := want.Citations[0]
	href := browsertest.Eval[string](p, `document.querySelector("a.cite").getAttribute("href")`)
	if wantHref := fmt.Sprintf("/documents/%s?start=%d&end=%d", escapePath(c.Document), c.Start, c.End); href != wantHref {
		t.Errorf("[1] links to %q, want %q", href, wantHref)
	}
	if n := browsertest.Eval[int](p, `document.querySelectorAll("#sources li").length`); n != len(want.Citations) {
		t.Errorf("%d sources shown, the answer has %d citations", n, len(want.Citations))
	}
	p.CheckAccessibility()
	if browsertest.Screenshots() {
		p.Screenshot(filepath.Join(screenshotDir, "ask.png"))
	}

	p.Click("a.cite")
	p.WaitVisible("#hl")
	if n := browsertest.Eval[int](p, `document.querySelectorAll("mark").length`); n != 1 {
		t.Errorf("%d mark elements, want exactly one", n)
	}
	got := browsertest.Eval[string](p, `document.getElementById("hl").textContent`)
	if exact := documentBytes(t, s, c.Document, c.Start, c.End); got != exact || got != c.Quote {
		t.Errorf("highlighted %q,\nthe cited bytes are %q,\nthe quote %q", got, exact, c.Quote)
	}
	if inView := browsertest.Eval[bool](p, `(() => { const r = document.getElementById("hl").getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 })()`); !inView {
		t.Error("the highlight is not scrolled into view")
	}
	p.CheckAccessibility()
	if browsertest.Screenshots() {
		p.ScreenshotView(filepath.Join(screenshotDir, "viewer.png"))
	}
	checkClean(p)
}

// The largest seed document opens in the viewer with its highlight drawn
// within 200 ms; the list shows every document.
func TestBrowserViewerAndList(t *testing.T) {
	s := startPageServer(t, seeds)
	entries, err := os.ReadDir(seeds)
	if err != nil {
		t.Fatal(err)
	}
	var largest string
	var size int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Size() > size && !e.IsDir() {
			largest, size = e.Name(), fi.Size()
		}
	}
	start, end := int(size/2), int(size/2)+40
	text := documentBytes(t, s, largest, 0, int(size))
	for start > 0 && !isRuneStart(text[start]) {
		start--
	}
	for end < len(text) && !isRuneStart(text[end]) {
		end++
	}
	p := browsertest.NewPage(t)
	// The best of three loads, as for the answer's time.
	var nav browsertest.NavigationTiming
	for try := range 3 {
		p.Navigate(fmt.Sprintf("%s/documents/%s?start=%d&end=%d", s.url, escapePath(largest), start, end), "#hl")
		if n := p.NavigationTiming(); try == 0 || n.Load < nav.Load {
			nav = n
		}
		if nav.Load <= 200 {
			break
		}
	}
	t.Logf("viewer of %s (%d bytes): %+v", largest, size, nav)
	if got := browsertest.Eval[string](p, `document.getElementById("hl").textContent`); got != text[start:end] {
		t.Errorf("highlighted %q, want %q", got, text[start:end])
	}
	// The highlight comes with the page: it is drawn once the page has
	// loaded, stylesheet and script included.
	if nav.Load > 200 && !raceEnabled {
		t.Errorf("the viewer of the largest seed took %.0f ms to load, the target is 200 ms", nav.Load)
	}
	p.CheckAccessibility()

	p.Navigate(s.url+"/documents", "#documents")
	if n := browsertest.Eval[int](p, `document.querySelectorAll("#documents tbody tr").length`); n != len(entries) {
		t.Errorf("the list shows %d documents, the seeds are %d", n, len(entries))
	}
	p.CheckAccessibility()
	checkClean(p)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// A question the documents do not answer shows the refusal with the
// closest passages.
func TestBrowserRefusal(t *testing.T) {
	s := startPageServer(t, seeds)
	p := browsertest.NewPage(t)
	p.Navigate(s.url+"/", "#ask")
	p.Type("#q", "What is the recipe for a chocolate cake?")
	p.Click("#ask-submit")
	p.WaitVisible(".refusal")
	if n := browsertest.Eval[int](p, `document.querySelectorAll("#closest li").length`); n == 0 {
		t.Error("the refusal shows no closest passages")
	}
	checkClean(p)
}

// A browser that prefers Russian gets the page in Russian.
func TestBrowserRussian(t *testing.T) {
	s := startPageServer(t, seeds)
	p := browsertest.NewPage(t)
	if _, err := chromedp.Call(p.Context(), network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "ru-RU,ru;q=0.9"}}); err != nil {
		t.Fatal(err)
	}
	p.Navigate(s.url+"/", "#ask")
	if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "ru" {
		t.Errorf("lang %q, want ru", lang)
	}
	label := browsertest.Eval[string](p, `document.querySelector("label[for=q]").textContent`)
	if !strings.ContainsAny(label, "абвгдеёжзийклмнопрстуфхцчшщъыьэюя") {
		t.Errorf("the question box's label %q is not Russian", label)
	}
	p.Type("#q", "Когда было создано Союзное государство?")
	p.Click("#ask-submit")
	p.WaitReady(`body[data-state]`)
	p.CheckAccessibility()
	checkClean(p)
}

// Only the keyboard: "/" focuses the question, Enter asks, Tab reaches the
// first citation and Enter opens it.
func TestBrowserKeyboardOnly(t *testing.T) {
	s := startPageServer(t, seeds)
	p := browsertest.NewPage(t)
	p.Navigate(s.url+"/", "#ask")
	p.Do(chromedp.KeyEvent("/"))
	if id := browsertest.Eval[string](p, `document.activeElement.id`); id != "q" {
		t.Fatalf("after /, the focus is on %q, want the question box", id)
	}
	p.Do(chromedp.KeyEvent(devQuestion), chromedp.KeyEvent("\r"))
	p.WaitReady(`body[data-state="answered"]`)
	for range 60 {
		if browsertest.Eval[bool](p, `document.activeElement.matches("a.cite")`) {
			break
		}
		p.Do(chromedp.KeyEvent("\t"))
	}
	if !browsertest.Eval[bool](p, `document.activeElement.matches("a.cite")`) {
		t.Fatal("Tab never reaches a citation link")
	}
	p.Do(chromedp.KeyEvent("\r"))
	p.WaitVisible("#hl")
	checkClean(p)
}

// With JavaScript off, the form posts and the page that comes back holds
// the answer and its citation links.
func TestBrowserWithoutJavaScript(t *testing.T) {
	s := startPageServer(t, seeds)
	p := browsertest.NewPage(t)
	p.DisableJavaScript()
	p.Navigate(s.url+"/", "#ask")
	p.Type("#q", devQuestion)
	p.Click("#ask-submit")
	p.WaitReady("a.cite")
	if got := p.Text(".answer-text"); !strings.Contains(got, "[1]") {
		t.Errorf("answer without JavaScript: %q", got)
	}
	// A follow-up continues the conversation without JavaScript too.
	p.Type("#q", "And what does it say about information security?")
	p.Click("#ask-submit")
	p.WaitReady(`body[data-state]`)
	checkClean(p)
}

// A hostile document (script tags, javascript: links, event handlers, a
// </textarea>, bidi overrides) shows as text and runs nothing, in the
// viewer, the list and an answer quoting it.
func TestBrowserHostileDocument(t *testing.T) {
	docs := t.TempDir()
	hostile := "# <script>alert('title')</script> Harbour notes\n\n" +
		"The harbour <img src=x onerror=alert(1)> archive holds maps of 1871. " +
		"<a href=\"javascript:alert(2)\">click</a> </textarea><script>alert(3)</script> " +
		"<iframe src=\"http://198.51.100.7/\"></iframe> \u202eevil\u202c text <style>body{display:none}</style>\n"
	writeFile(t, filepath.Join(docs, "<script>alert(4)<", "notes.md"), hostile)
	writeFile(t, filepath.Join(docs, "plain.txt"), "The lighthouse was built in 1871.\n")
	s := startPageServer(t, docs)
	p := browsertest.NewPage(t)
	scripts := func() int { return browsertest.Eval[int](p, `document.scripts.length`) }
	handlers := `[...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on") || /^\s*javascript:/i.test(a.value))).length`

	p.Navigate(s.url+"/documents", "#documents")
	baseline := scripts()
	if n := browsertest.Eval[int](p, handlers); n != 0 {
		t.Errorf("the list has %d elements with event handlers or javascript: URLs", n)
	}
	var id string
	for _, d := range mustDocuments(t, s) {
		if strings.HasSuffix(d, "notes.md") {
			id = d
		}
	}
	p.Navigate(fmt.Sprintf("%s/documents/%s?start=0&end=20", s.url, escapePath(id)), "#hl")
	if got := scripts(); got != baseline {
		t.Errorf("the viewer has %d scripts, the page's own are %d", got, baseline)
	}
	if n := browsertest.Eval[int](p, handlers); n != 0 {
		t.Errorf("the viewer has %d elements with event handlers or javascript: URLs", n)
	}
	if !strings.Contains(p.Text("#doc"), "<script>alert(3)</script>") {
		t.Error("the document's markup is not shown as text")
	}
	p.Navigate(s.url+"/", "#ask")
	p.Type("#q", "What does the harbour archive hold?")
	p.Click("#ask-submit")
	p.WaitReady(`body[data-state]`)
	if n := browsertest.Eval[int](p, handlers); n != 0 {
		t.Errorf("the answer page has %d elements with event handlers or javascript: URLs", n)
	}
	checkClean(p)
}

// mustDocuments lists the document ids through the API.
func mustDocuments(t *testing.T, s *server) []string {
	t.Helper()
	resp, err := http.Get(s.url + "/v1/documents")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Documents []struct {
			ID string `json:"id"`
		} `json:"documents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range body.Documents {
		ids = append(ids, d.ID)
	}
	return ids
}

// A maintainer signs in with the admin token and reindexes from the page;
// the token never appears in a page and the session cookie is HttpOnly.
func TestBrowserSignInAndReindex(t *testing.T) {
	const token = "browser-admin-token-0123456789"
	s := startPageServer(t, seeds, "--admin-token", token)
	p := browsertest.NewPage(t)
	p.Navigate(s.url+"/admin", "#signin")
	p.Type("#token", token)
	p.Click("#signin button[type=submit]")
	p.WaitVisible("#reindex")
	if browsertest.Eval[string](p, `document.cookie`) != "" {
		t.Error("the session cookie is readable from JavaScript")
	}
	if strings.Contains(browsertest.Eval[string](p, `document.documentElement.outerHTML`), token) {
		t.Error("the admin token appears in the page")
	}
	p.Click("#reindex button[type=submit]")
	p.WaitVisible("#reindex-result")
	if got := p.Text("#reindex-result"); !strings.Contains(got, "3") {
		t.Errorf("reindex result %q does not report the documents", got)
	}
	checkClean(p)
}

// signInAdmin signs the page in at /admin with the admin token.
func signInAdmin(p *browsertest.Page, s *server, token string) {
	p.Navigate(s.url+"/admin", "#signin")
	p.Type("#token", token)
	p.Click("#signin button[type=submit]")
	p.WaitVisible("#reindex")
}

const (
	glacierFile     = "glacier-notes.txt"
	glacierText     = "Glacier notes\n\nThe Brenndal glacier retreated 412 metres between 1990 and 2020.\n"
	glacierQuestion = "How far did the Brenndal glacier retreat between 1990 and 2020?"
)

// A maintainer adds a text file with the file picker, sees what happened
// to it, asks a question the new document answers, and removes it again
// after the page asks (in the page: no dialog).
func TestBrowserUploadAndDelete(t *testing.T) {
	const token = "browser-admin-token-0123456789"
	docs := copySeeds(t)
	s := startPageServer(t, docs, "--admin-token", token)
	file := filepath.Join(t.TempDir(), glacierFile)
	writeFile(t, file, glacierText)

	p := browsertest.NewPage(t)
	signInAdmin(p, s, token)
	p.WaitVisible("#dropzone")
	if hidden := browsertest.Eval[bool](p, `document.getElementById("drop-hint").hidden`); hidden {
		t.Error("the drop hint stays hidden with JavaScript on")
	}
	p.CheckAccessibility()
	p.Do(chromedp.SetUploadFiles("#files", []string{file}))
	p.Click("#upload-submit")
	p.WaitVisible(`#upload-result li[data-result="added"]`)
	if got := p.Text(`#upload-result li[data-result="added"]`); !strings.Contains(got, glacierFile) || !strings.Contains(got, "chunk") {
		t.Errorf("the result reads %q", got)
	}
	if got := string(testdocs.ReadFile(t, filepath.Join(docs, glacierFile))); got != glacierText {
		t.Errorf("--docs holds %q", got)
	}
	p.CheckAccessibility()

	p.Navigate(s.url+"/", "#ask")
	p.Type("#q", glacierQuestion+"\r")
	p.WaitReady(`body[data-state="answered"]`)
	if href := browsertest.Eval[string](p, `document.querySelector("a.cite").getAttribute("href")`); !strings.HasPrefix(href, "/documents/"+glacierFile+"?") {
		t.Errorf("the answer cites %q, want the new document", href)
	}

	p.Navigate(s.url+"/admin", "#folder")
	row := `//table[@id="folder"]//tr[.//input[@name="id" and @value="` + glacierFile + `"]]//form[contains(@class,"delete")]//button`
	p.Do(chromedp.Click(chromedp.Search(row), chromedp.NodeVisible))
	p.WaitVisible("#confirm-delete")
	if got := p.Text("main"); !strings.Contains(got, glacierFile) {
		t.Errorf("the question %q does not name the file", got)
	}
	if _, err := os.Stat(filepath.Join(docs, glacierFile)); err != nil {
		t.Fatalf("asking removed the file: %v", err)
	}
	p.CheckAccessibility()
	p.Click("#confirm-delete button[type=submit]")
	p.WaitVisible(`#upload-result li[data-result="removed"]`)
	if _, err := os.Stat(filepath.Join(docs, glacierFile)); err == nil {
		t.Error("the file is still in --docs")
	}
	if n := browsertest.Eval[int](p, `document.querySelectorAll('#folder input[value="`+glacierFile+`"]').length`); n != 0 {
		t.Error("the removed document is still listed")
	}
	checkClean(p)
}

// Files dropped on the drop zone are uploaded, an encrypted PDF among
// them refused with its reason and not kept.
func TestBrowserDropUpload(t *testing.T) {
	const token = "browser-admin-token-0123456789"
	docs := copySeeds(t)
	s := startPageServer(t, docs, "--admin-token", token)
	p := browsertest.NewPage(t)
	signInAdmin(p, s, token)
	pdf := extracttest.EncryptedPDF("pw", []string{"Secret", "Nothing to see."})
	encoded, _ := json.Marshal(pdf) // base64
	p.Do(chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([` + strconv.Quote(glacierText) + `], "` + glacierFile + `", {type: "text/plain"}));
		const pdf = Uint8Array.from(atob(` + string(encoded) + `), c => c.charCodeAt(0));
		dt.items.add(new File([pdf], "locked.pdf", {type: "application/pdf"}));
		const zone = document.getElementById("dropzone");
		zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`))
	p.WaitVisible(`#upload-result li[data-result="skipped"]`)
	got := browsertest.Eval[[]string](p, `[...document.querySelectorAll("#upload-result li")].map(li => li.dataset.result + " " + li.textContent)`)
	if len(got) != 2 || !strings.HasPrefix(got[0], "added ") || !strings.HasPrefix(got[1], "skipped ") || !strings.Contains(got[1], "encrypted PDF") {
		t.Errorf("results %q, want the text added and the PDF skipped as encrypted", got)
	}
	if _, err := os.Stat(filepath.Join(docs, "locked.pdf")); err == nil {
		t.Error("the encrypted PDF was kept")
	}
	if _, err := os.Stat(filepath.Join(docs, glacierFile)); err != nil {
		t.Errorf("the dropped text: %v", err)
	}
	p.CheckAccessibility()
	checkClean(p)
}

// With JavaScript off the file picker uploads and removing asks on its
// own page.
func TestBrowserUploadWithoutJavaScript(t *testing.T) {
	const token = "browser-admin-token-0123456789"
	docs := copySeeds(t)
	s := startPageServer(t, docs, "--admin-token", token)
	file := filepath.Join(t.TempDir(), glacierFile)
	writeFile(t, file, glacierText)
	p := browsertest.NewPage(t)
	p.DisableJavaScript()
	signInAdmin(p, s, token)
	p.Do(chromedp.SetUploadFiles("#files", []string{file}))
	p.Click("#upload-submit")
	p.WaitReady(`#upload-result li[data-result="added"]`)
	p.Navigate(s.url+"/admin/delete?id="+glacierFile, "#confirm-delete")
	p.Click("#confirm-delete button[type=submit]")
	p.WaitReady(`#upload-result li[data-result="removed"]`)
	if _, err := os.Stat(filepath.Join(docs, glacierFile)); err == nil {
		t.Error("the file is still in --docs")
	}
	checkClean(p)
}

// With --api-keys a reader is sent to the sign-in form, signs in with a
// key, lands on the page asked for and asks; the key never shows in the
// page and the session cookie is not readable from JavaScript.
func TestBrowserSignInWithKey(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, keys, "alice: "+aliceKey+"\n")
	s := startPageServer(t, seeds, "--api-keys", keys)
	p := browsertest.NewPage(t)
	p.Navigate(s.url+"/documents", "#signin")
	if loc := browsertest.Run(p, chromedp.Location()); loc != s.url+"/signin?next=%2Fdocuments" {
		t.Errorf("sent to %q, want the sign-in page", loc)
	}
	p.CheckAccessibility()
	// A wrong key: the form again, with the error, answered 401 (which
	// the browser logs as an error on its console: in a tab of its own).
	wrong := browsertest.NewPage(t)
	wrong.Navigate(s.url+"/signin", "#signin")
	wrong.Type("#key", "not-the-key-0123456789")
	wrong.Click("#signin button[type=submit]")
	wrong.WaitVisible("main .error")
	wrong.CheckNoDialogs()
	wrong.CheckNoOutsideRequests()
	for _, e := range wrong.ConsoleErrors() {
		if !strings.Contains(e, "status of 401") {
			t.Errorf("console error: %s", e)
		}
	}
	p.Type("#key", aliceKey)
	p.Click("#signin button[type=submit]")
	p.WaitVisible("#documents")
	if loc := browsertest.Run(p, chromedp.Location()); loc != s.url+"/documents" {
		t.Errorf("after signing in at %q, want /documents", loc)
	}
	if browsertest.Eval[string](p, `document.cookie`) != "" {
		t.Error("the session cookie is readable from JavaScript")
	}
	p.Navigate(s.url+"/", "#ask")
	p.Type("#q", devQuestion+"\r")
	p.WaitReady(`body[data-state="answered"]`)
	if got := p.Text(".answer-text"); !strings.Contains(got, "[1]") {
		t.Errorf("the answer signed in: %q", got)
	}
	if strings.Contains(browsertest.Eval[string](p, `document.documentElement.outerHTML`), aliceKey) {
		t.Error("the key appears in the page")
	}
	p.Click("#nav-signout button")
	p.WaitVisible("#signin")
	p.Navigate(s.url+"/", "#signin")
	checkClean(p)
}
