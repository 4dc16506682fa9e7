package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/net/html"

	"citebot/answer"
	"citebot/corpus"
)

// recordingLibrary answers from a Live, records each question with the
// conversation it came with, and can fail; AskStream sends the text in
// three pieces, as a language model would in many.
type recordingLibrary struct {
	*corpus.Live
	err error

	mu    sync.Mutex
	asked []asked
}

type asked struct {
	question string
	k        int
	history  []answer.Turn
	stream   bool
}

func (l *recordingLibrary) record(ctx context.Context, q string, k int, stream bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, asked{q, k, answer.History(ctx), stream})
}

func (l *recordingLibrary) last(t testing.TB) asked {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.asked) == 0 {
		t.Fatal("the library was asked nothing")
	}
	return l.asked[len(l.asked)-1]
}

func (l *recordingLibrary) Ask(ctx context.Context, q string, k int) (answer.Answer, error) {
	l.record(ctx, q, k, false)
	if l.err != nil {
		return answer.Answer{}, l.err
	}
	return l.Live.Ask(ctx, q, k)
}

func (l *recordingLibrary) AskStream(ctx context.Context, q string, k int, onText func(string)) (answer.Answer, error) {
	l.record(ctx, q, k, true)
	if l.err != nil {
		return answer.Answer{}, l.err
	}
	a, err := l.Live.Ask(ctx, q, k)
	if err != nil {
		return a, err
	}
	n := len(a.Answer) / 3
	for n > 0 && !isBoundary(a.Answer, n) {
		n--
	}
	onText(a.Answer[:n])
	onText(a.Answer[n : 2*n])
	onText(a.Answer[2*n:])
	return a, nil
}

func isBoundary(s string, i int) bool { return boundary(s, i) && boundary(s, 2*i) }

const (
	harbourQ = "When did the harbour of Vardø freeze?"
	moonQ    = "What colour is the moon of Jupiter made from?"
	treatyQ  = "When was the Treaty of Examples signed?"
)

// The ask page's answers, as drawn without JavaScript: the answer text
// with its citation links, the sources with their quotes, the refusal
// with the closest passages, and the body's state.
func TestAskAnswers(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{}, live, live, testLogger())
	for _, how := range []string{"get", "post"} {
		for _, q := range []string{harbourQ, treatyQ, moonQ} {
			t.Run(how+" "+q, func(t *testing.T) {
				want, err := live.Ask(context.Background(), q, 5)
				if err != nil {
					t.Fatal(err)
				}
				var res *http.Response
				var body string
				if how == "get" {
					res, body = get(t, h, "/?q="+url.QueryEscape(q))
				} else {
					res, body = post(t, h, "/", url.Values{"q": {q}})
				}
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d", res.StatusCode)
				}
				page := parse(t, body)
				if got := attr(byTag(page, "body")[0], "data-state"); got != "answered" {
					t.Errorf(`body data-state %q, want "answered"`, got)
				}
				checkAnswer(t, mustID(t, page, "answer"), want)
				carry := carriedTurns(t, page)
				if len(carry) != 1 || carry[0] != (turn{q, want.Answer}) {
					t.Errorf("the form carries %q, want this question and its answer", carry)
				}
				if q := mustID(t, page, "q"); text(q) != "" {
					t.Errorf("the question box still holds %q after an answer", text(q))
				}
			})
		}
	}
}

// checkAnswer checks an answer's section against the answer object.
func checkAnswer(t testing.TB, sec *html.Node, want answer.Answer) {
	t.Helper()
	if got := text(bySelector(sec, "h2.question")[0]); got != want.Question {
		t.Errorf("the question reads %q, want %q", got, want.Question)
	}
	if !want.Found {
		ref := bySelector(sec, "p.refusal")
		if len(ref) != 1 || text(ref[0]) != want.Answer {
			t.Fatalf("refusal %v, want one p.refusal reading %q", ref, want.Answer)
		}
		if len(bySelector(sec, "p.answer-text")) != 0 || byID(sec, "sources") != nil {
			t.Error("a refusal shows an answer or sources")
		}
		items := byTag(mustID(t, sec, "closest"), "li")
		if len(want.Passages) == 0 || len(items) != min(closestShown, len(want.Passages)) {
			t.Fatalf("%d closest passages for %d passages", len(items), len(want.Passages))
		}
		for i, li := range items {
			p := want.Passages[i]
			checkSource(t, li, spanHref(p.Document, p.Start, p.End), p.Text)
		}
		return
	}
	texts := bySelector(sec, "p.answer-text")
	if len(texts) != 1 || text(texts[0]) != want.Answer {
		t.Fatalf("answer text %q, want %q", text(texts[0]), want.Answer)
	}
	cites := bySelector(texts[0], "a.cite")
	if len(cites) != len(want.Citations) || len(cites) == 0 {
		t.Fatalf("%d citation links for %d citations", len(cites), len(want.Citations))
	}
	for i, a := range cites {
		c := want.Citations[i]
		if got, wantHref := attr(a, "href"), spanHref(c.Document, c.Start, c.End); got != wantHref {
			t.Errorf("[%d] links %q, want %q", c.N, got, wantHref)
		}
		if !strings.HasPrefix(attr(a, "href"), "/documents/") || !strings.Contains(attr(a, "href"), "?start=") {
			t.Errorf("[%d] links %q, not the viewer at its span", c.N, attr(a, "href"))
		}
		if text(a) != "["+itoa(c.N)+"]" {
			t.Errorf("citation link reads %q", text(a))
		}
	}
	items := byTag(mustID(t, sec, "sources"), "li")
	if len(items) != len(want.Citations) {
		t.Fatalf("%d sources for %d citations", len(items), len(want.Citations))
	}
	for i, li := range items {
		c := want.Citations[i]
		checkSource(t, li, spanHref(c.Document, c.Start, c.End), c.Quote)
		if !strings.Contains(text(li), c.Document) || !strings.Contains(text(li), "L"+itoa(c.LineStart)) {
			t.Errorf("source %d does not say its file and lines: %q", c.N, text(li))
		}
	}
	if conf := bySelector(sec, "p.confidence"); want.Confidence > 0 && (len(conf) != 1 || !strings.HasPrefix(text(conf[0]), "Confidence: ")) {
		t.Errorf("confidence %v for %v", conf, want.Confidence)
	}
}

func checkSource(t testing.TB, li *html.Node, href, quote string) {
	t.Helper()
	links := bySelector(li, "a.source-link")
	if len(links) != 1 || attr(links[0], "href") != href {
		t.Errorf("source links %v, want one to %q", links, href)
	}
	quotes := bySelector(li, "blockquote.quote")
	if len(quotes) != 1 || text(quotes[0]) != quote {
		t.Errorf("source quote %q, want exactly %q", text(quotes[0]), quote)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// carriedTurns reads the turns the ask form carries.
func carriedTurns(t testing.TB, page *html.Node) []turn {
	t.Helper()
	form := mustID(t, page, "ask")
	var qs, as []string
	for _, in := range byTag(form, "input") {
		switch attr(in, "name") {
		case "turn-q":
			qs = append(qs, attr(in, "value"))
		case "turn-a":
			as = append(as, attr(in, "value"))
		}
	}
	if len(qs) != len(as) {
		t.Fatalf("%d carried questions, %d answers", len(qs), len(as))
	}
	var out []turn
	for i := range qs {
		out = append(out, turn{qs[i], as[i]})
	}
	return out
}

// A follow-up posts the earlier turns; they reach the answerer as the
// conversation (as the chat endpoint's do), are shown above the answer,
// and are carried on with the new one, the last three exchanges at most.
func TestAskFollowUp(t *testing.T) {
	lib := &recordingLibrary{Live: newTestLive(t, true)}
	h := New(Config{DefaultK: 4}, lib, nil, testLogger())
	earlier := []turn{{"q1", "a1"}, {"q2", "a2 [1]"}, {treatyQ, "It was signed in Oslo on 3 March 1921. [1]"}}
	form := url.Values{"q": {"And when did it enter into force?"}}
	for _, e := range earlier {
		form.Add("turn-q", e.Question)
		form.Add("turn-a", e.Answer)
	}
	res, body := post(t, h, "/", form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := lib.last(t)
	wantHistory := []answer.Turn{
		{Role: openai.ChatMessageRoleUser, Text: "q1"}, {Role: openai.ChatMessageRoleAssistant, Text: "a1"},
		{Role: openai.ChatMessageRoleUser, Text: "q2"}, {Role: openai.ChatMessageRoleAssistant, Text: "a2 [1]"},
		{Role: openai.ChatMessageRoleUser, Text: treatyQ}, {Role: openai.ChatMessageRoleAssistant, Text: earlier[2].Answer},
	}
	if got.question != "And when did it enter into force?" || got.k != 4 || !equalTurns(got.history, wantHistory) {
		t.Errorf("asked %q (k %d) with history %+v; want the follow-up, k 4, and %+v", got.question, got.k, got.history, wantHistory)
	}
	page := parse(t, body)
	shown := byTag(mustID(t, page, "turns"), "li")
	if len(shown) != 3 || !strings.Contains(text(shown[2]), treatyQ) || !strings.Contains(text(shown[0]), "a1") {
		t.Errorf("earlier turns shown: %d", len(shown))
	}
	carry := carriedTurns(t, page)
	if len(carry) != maxCarried || carry[0] != earlier[1] || carry[2].Question != "And when did it enter into force?" {
		t.Errorf("carried %q; want the last %d exchanges, this one last", carry, maxCarried)
	}
	if !strings.Contains(text(mustID(t, page, "answer")), "1 January 1922") {
		t.Errorf("the follow-up's answer: %q", text(mustID(t, page, "answer")))
	}
	// A page with turns offers to start over.
	if links := all(mustID(t, page, "ask"), func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/" }); len(links) != 1 {
		t.Error("no link to start a new conversation")
	}
}

func equalTurns(a, b []answer.Turn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The empty page: the question box and its hooks, and example questions
// as submit buttons that work without JavaScript.
func TestAskEmpty(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{}, live, live, testLogger())
	res, body := get(t, h, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	page := parse(t, body)
	form := mustID(t, page, "ask")
	if form.Data != "form" || attr(form, "method") != "post" || attr(form, "action") != "/" {
		t.Errorf("#ask is <%s method=%q action=%q>", form.Data, attr(form, "method"), attr(form, "action"))
	}
	q := mustID(t, page, "q")
	if q.Data != "textarea" || attr(q, "name") != "q" || byID(form, "q") == nil {
		t.Error("no textarea#q[name=q] in form#ask")
	}
	if labels := all(page, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "q" }); len(labels) != 1 {
		t.Error("the question box has no label")
	}
	submit := mustID(t, page, "ask-submit")
	if submit.Data != "button" || attr(submit, "type") != "submit" || byID(form, "ask-submit") == nil {
		t.Error("no button#ask-submit[type=submit] in form#ask")
	}
	sec := mustID(t, page, "answer")
	if sec.Data != "section" || attr(sec, "aria-live") != "polite" {
		t.Error("no section#answer[aria-live=polite]")
	}
	if hasAttr(byTag(page, "body")[0], "data-state") {
		t.Error("an empty page has a data-state")
	}
	buttons := byTag(mustID(t, page, "examples"), "button")
	if len(buttons) == 0 || len(buttons) > maxExamples {
		t.Fatalf("%d example questions", len(buttons))
	}
	for _, b := range buttons {
		if attr(b, "type") != "submit" || attr(b, "name") != "q" || attr(b, "value") == "" || text(b) != attr(b, "value") {
			t.Errorf("example button %v is not a submit of q", b.Attr)
		}
		// The example's own form posts only the example.
		form := b.Parent
		for form != nil && form.Data != "form" {
			form = form.Parent
		}
		if form == nil || attr(form, "method") != "post" || attr(form, "action") != "/" || len(byTag(form, "textarea")) != 0 {
			t.Errorf("example %q is not in a form of its own that posts to /", attr(b, "value"))
		}
		res, body := post(t, h, "/", url.Values{"q": {attr(b, "value")}})
		if res.StatusCode != http.StatusOK || len(bySelector(parse(t, body), "p.answer-text")) != 1 {
			t.Errorf("example %q is not answered", attr(b, "value"))
		}
	}
}

// Questions the page cannot ask, and a library that cannot answer: the
// page says why with the fitting status, keeps the question in the box,
// and the body's state is "error".
func TestAskErrors(t *testing.T) {
	lib := &recordingLibrary{Live: newTestLive(t, true)}
	h := New(Config{}, lib, nil, testLogger())
	notReady := New(Config{}, newTestLive(t, false), nil, testLogger())
	long := strings.Repeat("ы", 4001)
	tests := []struct {
		name   string
		h      http.Handler
		q      string
		libErr error
		status int
		want   string
	}{
		{"empty", h, "  \n ", nil, 400, "Write a question first."},
		{"too long", h, long, nil, 400, "The question has 4001 characters; the limit is 4000."},
		{"not UTF-8", h, "bad \xff bytes", nil, 400, "That question could not be read"},
		{"not ready", notReady, harbourQ, nil, 503, "The documents are still being indexed."},
		{"library fails", h, harbourQ, errors.New("disk on fire"), 500, "Something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib.err = tt.libErr
			defer func() { lib.err = nil }()
			res, body := post(t, tt.h, "/", url.Values{"q": {tt.q}})
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			page := parse(t, body)
			errs := bySelector(mustID(t, page, "answer"), "p.error")
			if len(errs) != 1 || !strings.Contains(text(errs[0]), tt.want) {
				t.Errorf("the page says %q, want %q", text(mustID(t, page, "answer")), tt.want)
			}
			if strings.Contains(body, "disk on fire") {
				t.Error("an internal error's text reached the page")
			}
			if got := attr(byTag(page, "body")[0], "data-state"); got != "error" {
				t.Errorf(`data-state %q, want "error"`, got)
			}
			if tt.name != "not UTF-8" && text(mustID(t, page, "q")) != strings.TrimPrefix(tt.q, "\n") {
				t.Error("the question is not kept in the box")
			}
		})
	}
	t.Run("not ready, empty page", func(t *testing.T) {
		res, body := get(t, notReady, "/")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "still being indexed") {
			t.Errorf("status %d, want 503 saying so", res.StatusCode)
		}
	})
	t.Run("form too large", func(t *testing.T) {
		res, body := post(t, h, "/", url.Values{"q": {"x"}, "turn-q": {strings.Repeat("x", maxFormBytes)}})
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "start a new conversation") {
			t.Errorf("status %d, want 413 saying to start over", res.StatusCode)
		}
	})
}

// event is one line of a streamed answer.
type event map[string]string

// stream posts a question as the page's script does and reads the events.
func stream(t testing.TB, h http.Handler, form url.Values) (*http.Response, []event) {
	t.Helper()
	res, body := post(t, h, "/", form, "Accept", "application/x-ndjson")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") {
		t.Fatalf("Content-Type %q", ct)
	}
	var evs []event
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return res, evs
}

// A streamed answer: the earlier turns, the text in pieces that join into
// the answer, then the answer drawn by the same template as a posted
// one, and the turns to carry.
func TestAskStream(t *testing.T) {
	lib := &recordingLibrary{Live: newTestLive(t, true)}
	h := New(Config{}, lib, nil, testLogger())
	form := url.Values{"q": {harbourQ}, "turn-q": {"q1"}, "turn-a": {"a1"}}
	res, evs := stream(t, h, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if !lib.last(t).stream || len(lib.last(t).history) != 2 {
		t.Errorf("asked %+v; want a streamed question with the earlier turns", lib.last(t))
	}
	if len(evs) != 5 || evs[0]["type"] != "start" || evs[4]["type"] != "done" {
		t.Fatalf("events %v; want start, three texts, done", evs)
	}
	if !strings.Contains(evs[0]["turns"], "q1") {
		t.Errorf("start event's turns %q", evs[0]["turns"])
	}
	var joined string
	for _, ev := range evs[1:4] {
		if ev["type"] != "text" {
			t.Fatalf("event %v, want text", ev)
		}
		joined += ev["text"]
	}
	want, _ := lib.Live.Ask(context.Background(), harbourQ, 5)
	if joined != want.Answer {
		t.Errorf("the text pieces join into %q, want %q", joined, want.Answer)
	}
	done := evs[4]
	if done["state"] != "answered" {
		t.Errorf("done state %q", done["state"])
	}
	checkAnswer(t, parseFragment(t, done["answer"]), want)

	// The same answer posted without the script is drawn the same way.
	_, body := post(t, h, "/", form)
	var b strings.Builder
	for c := mustID(t, parse(t, body), "answer").FirstChild; c != nil; c = c.NextSibling {
		html.Render(&b, c)
	}
	var d strings.Builder
	for c := parseFragment(t, done["answer"]).FirstChild; c != nil; c = c.NextSibling {
		html.Render(&d, c)
	}
	if b.String() != d.String() {
		t.Errorf("streamed answer differs from the posted one:\n%s\n%s", d.String(), b.String())
	}
	carry := parseFragment(t, done["carry"])
	if ins := byTag(carry, "input"); len(ins) != 4 || attr(ins[2], "value") != harbourQ {
		t.Errorf("done carries %q", done["carry"])
	}
}

func TestAskStreamErrors(t *testing.T) {
	lib := &recordingLibrary{Live: newTestLive(t, true)}
	h := New(Config{}, lib, nil, testLogger())
	notReady := New(Config{}, newTestLive(t, false), nil, testLogger())
	tests := []struct {
		name   string
		h      http.Handler
		q      string
		libErr error
		status int
		want   string
	}{
		{"empty", h, "", nil, 400, "Write a question first."},
		{"not ready", notReady, harbourQ, nil, 503, "still being indexed"},
		{"library fails", h, harbourQ, errors.New("disk on fire"), 200, "Something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib.err = tt.libErr
			defer func() { lib.err = nil }()
			res, evs := stream(t, tt.h, url.Values{"q": {tt.q}})
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			last := evs[len(evs)-1]
			if last["type"] != "error" || last["state"] != "error" || !strings.Contains(last["answer"], tt.want) {
				t.Errorf("last event %v; want an error saying %q", last, tt.want)
			}
			if _, ok := last["carry"]; ok {
				t.Error("an error changes the carried turns")
			}
		})
	}
}

func TestCarried(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want []turn
	}{
		{"none", url.Values{}, nil},
		{"pairs", url.Values{"turn-q": {"a", "b"}, "turn-a": {"1", "2"}}, []turn{{"a", "1"}, {"b", "2"}}},
		{"unpaired", url.Values{"turn-q": {"a", "b"}, "turn-a": {"1"}}, []turn{{"a", "1"}}},
		{"empty question", url.Values{"turn-q": {" ", "b"}, "turn-a": {"1", "2"}}, []turn{{"b", "2"}}},
		{"too many", url.Values{"turn-q": {"a", "b", "c", "d"}, "turn-a": {"1", "2", "3", "4"}}, []turn{{"b", "2"}, {"c", "3"}, {"d", "4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := carried(tt.form)
			if len(got) != len(tt.want) {
				t.Fatalf("carried %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("carried %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestPieces(t *testing.T) {
	hrefs := map[int]string{1: "/documents/a?start=0&end=1", 2: "/documents/b?start=1&end=2"}
	tests := []struct {
		text string
		want []piece
	}{
		{"Plain.", []piece{{Text: "Plain."}}},
		{"One [1] two [2].", []piece{{Text: "One "}, {Text: "[1]", Href: hrefs[1]}, {Text: " two "}, {Text: "[2]", Href: hrefs[2]}, {Text: "."}}},
		{"[1][2]", []piece{{Text: "[1]", Href: hrefs[1]}, {Text: "[2]", Href: hrefs[2]}}},
		{"Not cited [3], not a marker [x] [", []piece{{Text: "Not cited [3], not a marker [x] ["}}},
		{"", nil},
	}
	for _, tt := range tests {
		got := pieces(tt.text, hrefs)
		if len(got) != len(tt.want) {
			t.Errorf("pieces(%q) = %+v, want %+v", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("pieces(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		}
	}
}
