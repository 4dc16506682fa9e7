package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"citebot/answer"
	"citebot/bot/tghtml"
	"citebot/bot/tghtml/tghtmltest"
	"citebot/document"
)

// Private chats: commands, answers in HTML, source buttons, refusals and
// long texts.

func TestPrivateCommands(t *testing.T) {
	h := launch(t, nil, Config{})
	tests := []struct {
		name, text string
		want       []string // in the message's visible text
	}{
		{"start", "/start", []string{"Hello! I am Citebot.", "Try, for example:", "In a group, mention me (@citebot_test_bot …)"}},
		{"help", "/help", []string{"Ask me a question in plain words", "@citebot_test_bot", "/ask QUESTION", "/sources lists the documents"}},
		{"help addressed to the bot", "/help@citebot_test_bot", []string{"Ask me a question in plain words"}},
		{"unknown command", "/frobnicate", []string{"Ask me a question in plain words"}},
		{"sources", "/sources", []string{"Documents I answer from:", "harbour.txt", "sub/treaty.md", "html.txt",
			"The Treaty of Examples", "The tag <script>alert(1)</script> & the entity &amp; appear in the Zorblax manual of 1999."}},
		{"ask without a question", "/ask", []string{"Write your question after the command"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := h.ask(privateText(42, "en", tc.text))
			if got, want := msg.Params["parse_mode"], "HTML"; got != want {
				t.Errorf("parse_mode: got %q, want %q", got, want)
			}
			if _, ok := msg.Params["reply_parameters"]; ok {
				t.Errorf("a private reply quotes the question: %v", msg.Params["reply_parameters"])
			}
			got := shown(text(msg))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			// Only /start asks the library: its examples are checked.
			if asked := h.lib.questions(); tc.name != "start" && len(asked) != 0 {
				t.Errorf("%s asked the library %q", tc.text, asked)
			}
		})
	}
}

func TestStartExamplesAreAnswerable(t *testing.T) {
	h := launch(t, nil, Config{})
	msg := h.ask(privateText(42, "en", "/start"))
	var examples []string
	for _, line := range strings.Split(shown(text(msg)), "\n") {
		if q, ok := strings.CutPrefix(line, "• "); ok {
			examples = append(examples, q)
		}
	}
	if got, want := len(examples), 3; got != want {
		t.Fatalf("examples: got %d %q, want %d in %q", got, examples, want, text(msg))
	}
	seen := map[string]bool{}
	for _, q := range examples {
		if seen[q] {
			t.Errorf("example %q shown twice", q)
		}
		seen[q] = true
		ans := h.ask(privateText(42, "en", q))
		if s := shown(text(ans)); !strings.Contains(s, "Sources") || strings.Contains(s, answer.NotFoundText) {
			t.Errorf("example %q is not answered: %q", q, s)
		}
		if len(keyboardOf(t, ans)) == 0 {
			t.Errorf("example %q: answer without source buttons", q)
		}
	}
	// The examples are worked out once per index: a second /start asks
	// the library nothing new.
	h.lib.questions()
	again := h.ask(privateText(43, "en", "/start"))
	if got := h.lib.questions(); len(got) != 0 {
		t.Errorf("second /start asked the library again: %q", got)
	}
	if text(again) != text(msg) {
		t.Errorf("second /start differs:\n%q\n%q", text(again), text(msg))
	}
}

func TestAnyTextIsAQuestion(t *testing.T) {
	h := launch(t, nil, Config{})
	for _, q := range []string{
		"When did the harbour of Vardø freeze?",
		"harbour Vardø freeze",                                   // no question mark, no command
		"/usr/bin and the harbour of Vardø: when did it freeze?", // a path, not a command
	} {
		msg := h.ask(privateText(42, "en", q))
		if !strings.Contains(text(msg), "1966") {
			t.Errorf("%q: answer %q, want the 1966 fact", q, text(msg))
		}
		if got := h.lib.questions(); len(got) != 1 || got[0] != q {
			t.Errorf("%q: the library was asked %q", q, got)
		}
	}
}

// sourceButtons checks a message's keyboard: one button per source, each
// labelled "[n] title", callback data within Telegram's 64 bytes.
func sourceButtons(t *testing.T, msg apiCall, titles ...string) []inlineButton {
	t.Helper()
	kb := keyboardOf(t, msg)
	if len(kb) != len(titles) {
		t.Fatalf("buttons: got %d %v, want %d", len(kb), kb, len(titles))
	}
	for i, b := range kb {
		if want := fmt.Sprintf("[%d] %s", i+1, tghtml.Quote(titles[i], 40)); b.Text != want {
			t.Errorf("button %d text: got %q, want %q", i, b.Text, want)
		}
		if n := len(b.CallbackData); n > 64 || n == 0 {
			t.Errorf("button %d callback data %q: %d bytes, want 1..64", i, b.CallbackData, n)
		}
	}
	return kb
}

// passageOf checks a passage message: a header naming the source, then
// exactly the passage, and returns the passage as shown.
func passageOf(t *testing.T, msg apiCall, n int, title, doc, lines string) string {
	t.Helper()
	head := fmt.Sprintf("[%d] %s\n%s, %s\n\n", n, title, doc, lines)
	s := shown(text(msg))
	if !strings.HasPrefix(s, head) {
		t.Fatalf("passage message %q, want it to start with %q", s, head)
	}
	return s[len(head):]
}

func TestAnswerHTMLAndButtons(t *testing.T) {
	h := launch(t, nil, Config{})
	const htmlTitle = "The tag <script>alert(1)</script> & the entity &amp; appear in the Zorblax manual of 1999."

	t.Run("document with markup", func(t *testing.T) {
		msg := h.ask(privateText(42, "en", "What appears in the Zorblax manual?"))
		html := text(msg)
		if strings.Contains(html, "<script>") || strings.Contains(html, " & ") {
			t.Errorf("document text not escaped: %q", html)
		}
		for _, want := range []string{
			"&lt;script&gt;alert(1)&lt;/script&gt; &amp; the entity &amp;amp; appear", // text and title, escaped
			"<b>[1]</b>", // the marker in the answer
			"<b>Sources</b>\n[1] <b>The tag &lt;script&gt;", // the heading, [n] and title
			"<i>html.txt</i>, line 3",                       // file and line
			"<blockquote>The tag &lt;script&gt;",            // the short quote
		} {
			if !strings.Contains(html, want) {
				t.Errorf("answer %q lacks %q", html, want)
			}
		}
		s := shown(html)
		if !strings.Contains(s, "The tag <script>alert(1)</script> & the entity &amp; appear in the Zorblax manual of 1999. [1]") {
			t.Errorf("answer shows %q, want the sentence exactly with its [1] marker", s)
		}
		kb := sourceButtons(t, msg, htmlTitle)
		// Button labels are plain text: not escaped.
		if !strings.Contains(kb[0].Text, "<script>") {
			t.Errorf("button label %q is escaped; labels are plain text", kb[0].Text)
		}

		cb := h.press(42, 42, "en", kb[0].CallbackData)
		if got := cb.Params["text"]; got != "" {
			t.Errorf("answerCallbackQuery text %q for a working button, want none", got)
		}
		msgs := h.waitSent(42, 2)
		passage := passageOf(t, msgs[1], 1, htmlTitle, "html.txt", "lines 1–3")
		if want := strings.TrimSuffix(testDocs["html.txt"], "\n"); passage != want {
			t.Errorf("passage shown:\n%q\nwant the document's bytes:\n%q", passage, want)
		}
		if strings.Contains(text(msgs[1]), "<script>") {
			t.Errorf("passage not escaped: %q", text(msgs[1]))
		}
	})

	t.Run("question with markup", func(t *testing.T) {
		h.lib.questions()
		for _, q := range []string{"<b>x</b> & y: when did the harbour of Vardø freeze?", "<b>x</b> & y", "<i>unclosed & <a href=\"x\">"} {
			msg := h.ask(privateText(44, "en", q)) // the fake rejects malformed HTML
			if strings.Contains(text(msg), "<b>x</b>") {
				t.Errorf("%q: the question's markup reached the message: %q", q, text(msg))
			}
			if got := h.lib.questions(); len(got) != 1 || got[0] != q {
				t.Errorf("the library was asked %q, want %q exactly", got, q)
			}
		}
	})

	t.Run("two citations", func(t *testing.T) {
		msg := h.ask(privateText(43, "en", "When was the Treaty of Examples signed and when did it enter into force?"))
		s := shown(text(msg))
		for _, want := range []string{
			"The Treaty of Examples was signed in Oslo on 3 March 1921. [1]",
			"[2]",
			"Sources\n[1] The Treaty of Examples\nsub/treaty.md, line 5\nThe Treaty of Examples was signed in Oslo on 3 March 1921.",
			"[2] The Treaty of Examples\nsub/treaty.md, line 7\nIt entered into force on 1 January 1922",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("answer %q lacks %q", s, want)
			}
		}
		kb := sourceButtons(t, msg, "The Treaty of Examples", "The Treaty of Examples")
		if kb[0].CallbackData == kb[1].CallbackData {
			t.Errorf("two buttons share callback data %q", kb[0].CallbackData)
		}
		h.press(43, 43, "en", kb[1].CallbackData)
		msgs := h.waitSent(43, 2)
		passage := passageOf(t, msgs[1], 2, "The Treaty of Examples", "sub/treaty.md", "lines 1–7")
		if want := strings.TrimSuffix(testDocs["sub/treaty.md"], "\n"); passage != want {
			t.Errorf("passage shown:\n%q\nwant:\n%q", passage, want)
		}
		// A button keeps working.
		h.press(43, 43, "en", kb[0].CallbackData)
		msgs = h.waitSent(43, 3)
		passageOf(t, msgs[2], 1, "The Treaty of Examples", "sub/treaty.md", "lines 1–7")
	})
}

func TestStaleAndUnknownButtons(t *testing.T) {
	h := launch(t, nil, Config{buttonTTL: 250 * time.Millisecond})
	msg := h.ask(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	kb := sourceButtons(t, msg, "The harbour of Vardø froze in 1966, and again in 1987.")
	parts := strings.Split(kb[0].CallbackData, ":")
	key := parts[1]
	if len(parts) != 4 {
		t.Fatalf("callback data %q: want s:key:n:ref", kb[0].CallbackData)
	}
	ref := strings.Split(parts[3], ".")
	ref[3] = "1" // another checksum: the document no longer holds that text
	otherText := strings.Join(parts[:3], ":") + ":" + strings.Join(ref, ".")
	time.Sleep(300 * time.Millisecond)

	const expired = "This button has expired. Ask the question again to get fresh sources."
	for _, tc := range []struct{ name, data string }{
		{"expired, without a ref", strings.Join(parts[:3], ":")},
		{"ref to text the document no longer holds", otherText},
		{"ref to an unknown document", strings.Join(parts[:3], ":") + ":AAAAAAAA.0.3h.8ze3q6.0"},
		{"malformed ref", strings.Join(parts[:3], ":") + ":x.y"},
		{"ref past the end", strings.Join(parts[:3], ":") + ":" + ref[0] + ".0.zzzzzz.1.0"},
		{"empty", ""},
		{"garbage", "garbage"},
		{"prefix only", "s:"},
		{"unknown key", "s:AAAAAAAAAAAA:0"},
		{"index out of range", "s:" + key + ":9"},
		{"negative index", "s:" + key + ":-1"},
		{"not a number", "s:" + key + ":x"},
		{"binary", "s:\xff\x00:0"},
		{"64 bytes", strings.Repeat("z", 64)},
	} {
		cb := h.press(42, 42, "en", tc.data)
		if got := cb.Params["text"]; got != expired {
			t.Errorf("%s (%q): answerCallbackQuery text %q, want %q", tc.name, tc.data, got, expired)
		}
	}
	if got := h.sent(42); len(got) != 1 {
		t.Errorf("stale buttons sent messages: %d, want only the answer", len(got))
	}
	// Past its time here, the button still names its passage, which the
	// index still holds: it shows, as it would on a replica that never
	// saw the answer.
	if cb := h.press(42, 42, "en", kb[0].CallbackData); cb.Params["text"] != "" {
		t.Errorf("a button whose passage is still indexed: %q", cb.Params["text"])
	}
	msgs := h.waitSent(42, 2)
	passageOf(t, msgs[1], 1, "The harbour of Vardø froze in 1966, and again in 1987.", "harbour.txt", "lines 1–5")
	// Still serving, and new buttons work.
	msg = h.ask(privateText(42, "en", "Where did fishing boats winter?"))
	if !strings.Contains(text(msg), "Kirkenes") {
		t.Fatalf("answer after stale buttons: %q", text(msg))
	}
	kb = keyboardOf(t, msg)
	if cb := h.press(42, 42, "en", kb[0].CallbackData); cb.Params["text"] != "" {
		t.Errorf("fresh button: answerCallbackQuery text %q", cb.Params["text"])
	}
	h.waitSent(42, 3)
	if strings.Contains(h.logs.String(), "level=ERROR") {
		t.Errorf("stale buttons logged errors:\n%s", h.logs)
	}
}

func TestRefusal(t *testing.T) {
	h := launch(t, nil, Config{})
	msg := h.ask(privateText(42, "en", "What is the boiling point of ethanol?"))
	s := shown(text(msg))
	if !strings.HasPrefix(s, answer.NotFoundText) {
		t.Errorf("refusal %q, want it to start with %q", s, answer.NotFoundText)
	}
	if !strings.Contains(s, "Closest passages\n• ") {
		t.Errorf("refusal %q offers no closest passages", s)
	}
	if strings.Contains(s, "Sources") || strings.Contains(text(msg), "<b>[") {
		t.Errorf("refusal %q has sources or markers", s)
	}
	kb := keyboardOf(t, msg)
	if len(kb) == 0 || len(kb) > 3 {
		t.Fatalf("refusal buttons: got %d, want 1..3", len(kb))
	}
	if bullets := strings.Count(s, "• "); bullets != len(kb) {
		t.Errorf("refusal lists %d passages but has %d buttons", bullets, len(kb))
	}
	for i, b := range kb {
		if !strings.HasPrefix(b.Text, "["+strconv.Itoa(i+1)+"] ") {
			t.Errorf("button %d text %q", i, b.Text)
		}
	}
	h.press(42, 42, "en", kb[0].CallbackData)
	msgs := h.waitSent(42, 2)
	title := strings.TrimSuffix(strings.TrimPrefix(kb[0].Text, "[1] "), "…")
	if !strings.HasPrefix(shown(text(msgs[1])), "[1] "+title) {
		t.Errorf("closest passage message %q, want it headed by %q", shown(text(msgs[1])), title)
	}
}

// longLedger is a paragraph of about 12,000 characters, rich in characters
// that HTML escaping lengthens, with one fact in it.
func longLedger() string {
	var p strings.Builder
	for i := 0; p.Len() < 12000; i++ {
		if i == 60 {
			p.WriteString("The Quibbleton reservoir holds 42 million litres of water. ")
		}
		fmt.Fprintf(&p, "Ledger row %d lists R&D & M&A <costs> & <fees> & <taxes> && more. ", i)
	}
	return p.String() + "The ledger ends here."
}

func TestLongPassageSplits(t *testing.T) {
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	writeTestFile(t, filepath.Join(lib.Docs, "ledger.txt"), "Long ledger\n\n"+longLedger()+"\n")
	if _, err := lib.Reindex(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := launch(t, lib, Config{})
	msg := h.ask(privateText(42, "en", "How much water does the Quibbleton reservoir hold?"))
	if !strings.Contains(text(msg), "42 million litres") {
		t.Fatalf("answer %q", text(msg))
	}
	kb := keyboardOf(t, msg)
	a, err := lib.testLibrary.Ask(context.Background(), "How much water does the Quibbleton reservoir hold?", 5)
	if err != nil {
		t.Fatal(err)
	}
	var passage string
	for _, p := range a.Passages {
		if p.Document == "ledger.txt" && p.Start <= a.Citations[0].Start && a.Citations[0].End <= p.End {
			passage = p.Text
		}
	}
	if n := tghtmltest.UTF16Len(tghtml.Escape(passage)); n <= maxMessage {
		t.Fatalf("the passage escapes to %d UTF-16 units: too short to test splitting", n)
	}
	h.press(42, 42, "en", kb[0].CallbackData)
	// The passage in two messages or more, whitespace at the cuts aside.
	msgs := h.waitShown(42, 1, "[1] Long ledger\nledger.txt, line 3\n\n"+passage)
	if len(msgs) < 2 {
		t.Errorf("the passage came in %d message, want it split", len(msgs))
	}
	for _, m := range msgs {
		if n := tghtmltest.UTF16Len(text(m)); n > maxMessage { // the fake checks too
			t.Errorf("message of %d UTF-16 units", n)
		}
		if m.Params["reply_markup"] != "" {
			t.Errorf("a passage message has a keyboard")
		}
	}
}

// waitShown waits until the messages to chat, from the from-th on, show
// want but for whitespace (a cut drops the whitespace it falls in), and
// returns them.
func (h *harness) waitShown(chat int64, from int, want string) []apiCall {
	h.t.Helper()
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	want = norm(want)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var parts []string
		msgs := h.sent(chat)
		if len(msgs) > from {
			msgs = msgs[from:]
			for _, m := range msgs {
				parts = append(parts, shown(text(m)))
			}
		}
		got := norm(strings.Join(parts, " "))
		if got == want {
			return msgs
		}
		if time.Now().After(deadline) {
			k := 0
			for k < len(got) && k < len(want) && got[k] == want[k] {
				k++
			}
			h.t.Fatalf("messages to chat %d from #%d show %d bytes, want %d; they differ at byte %d: got …%q…, want …%q…",
				chat, from, len(got), len(want), k, got[max(0, k-30):min(len(got), k+30)], want[max(0, k-30):min(len(want), k+30)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHugeAnswerSplits(t *testing.T) {
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	long := longLedger()
	huge := answer.Answer{Found: true, Mode: answer.ModeExtractive,
		Answer: long + " [1]\n\nAnd the rest <b>& more</b>. [2]",
		Citations: []answer.Citation{
			{N: 1, Document: "big/ledger & co.txt", Title: "Ledger <one>", Start: 0, End: 100, LineStart: 1, LineEnd: 1, Quote: long[:100]},
			{N: 2, Document: "big/ledger & co.txt", Title: "Ledger <one>", Start: 20000, End: 20100, LineStart: 9, LineEnd: 9, Quote: "x & y"},
		},
		Passages: []answer.Passage{{Rank: 1, Document: "big/ledger & co.txt", Title: "Ledger <one>", Start: 0, End: len(long),
			LineStart: 1, LineEnd: 1, Text: long}}}
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		if q == "huge" {
			return huge, nil, true
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{})
	h.f.push(privateText(42, "en", "huge"))
	h.f.waitFor(t, "the whole answer", func() bool {
		got := h.sent(42)
		return len(got) > 0 && got[len(got)-1].Params["reply_markup"] != ""
	})
	msgs := h.sent(42)
	if len(msgs) < 4 {
		t.Fatalf("a 12,000-character answer (escaping to ~20,000) came in %d messages", len(msgs))
	}
	var all []string
	for i, m := range msgs {
		if (m.Params["reply_markup"] != "") != (i == len(msgs)-1) {
			t.Errorf("message %d of %d: keyboard %q; want it on the last only", i+1, len(msgs), m.Params["reply_markup"])
		}
		all = append(all, shown(text(m)))
	}
	s := strings.Join(strings.Fields(strings.Join(all, " ")), " ")
	for _, want := range []string{strings.Join(strings.Fields(long), " ") + " [1]", "And the rest <b>& more</b>. [2]",
		"Sources [1] Ledger <one> big/ledger & co.txt, line 1", "[2] Ledger <one> big/ledger & co.txt, line 9 x & y"} {
		if !strings.Contains(s, want) {
			t.Errorf("the answer's messages lack %q", want[max(0, len(want)-80):])
		}
	}
	kb := sourceButtons(t, msgs[len(msgs)-1], "Ledger <one>", "Ledger <one>")
	n := len(msgs)
	h.press(42, 42, "en", kb[0].CallbackData)
	parts := h.waitShown(42, n, "[1] Ledger <one>\nbig/ledger & co.txt, line 1\n\n"+long)
	if len(parts) < 3 {
		t.Errorf("the 12,000-character passage came in %d messages", len(parts))
	}
	// The second citation lies outside every passage: its button shows
	// the quote.
	h.press(42, 42, "en", kb[1].CallbackData)
	last := h.waitSent(42, n+len(parts)+1)[n+len(parts)]
	if got, want := shown(text(last)), "[2] Ledger <one>\nbig/ledger & co.txt, line 9\n\nx & y"; got != want {
		t.Errorf("quote-only passage: got %q, want %q", got, want)
	}
}

func TestTooLongQuestion(t *testing.T) {
	h := launch(t, nil, Config{})
	q := strings.Repeat("ё", document.MaxQuestionChars+1)
	msg := h.ask(privateText(42, "en", q))
	if got, want := shown(text(msg)), "That question is too long for me; please keep it under 4000 characters."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := h.lib.questions(); len(got) != 0 {
		t.Errorf("a too-long question reached the library")
	}
	// Exactly at the limit it is asked.
	h.ask(privateText(42, "en", strings.Repeat("ё", document.MaxQuestionChars-1)+"?"))
	if got := h.lib.questions(); len(got) != 1 || utf8.RuneCountInString(got[0]) != document.MaxQuestionChars {
		t.Errorf("a question of %d characters was not asked", document.MaxQuestionChars)
	}
}
