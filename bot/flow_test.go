package bot

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
	"golang.org/x/time/rate"

	"citebot/answer"
)

// Flow control: typing, order within a chat, chats in parallel, Telegram's
// 429, pacing, and panics.

// fastTyping renews "typing…" every d in the bots the test starts. Tests
// that use it do not run in parallel.
func fastTyping(t *testing.T, d time.Duration) {
	old := typingEvery
	typingEvery = d
	t.Cleanup(func() { typingEvery = old })
}

// actions returns the times of the sendChatAction calls to chat.
func (h *harness) actions(chat string) []time.Time {
	var out []time.Time
	for _, c := range h.f.callsOf("sendChatAction") {
		if c.Params["chat_id"] == chat {
			if c.Params["action"] != "typing" {
				h.t.Errorf("chat action %q, want typing", c.Params["action"])
			}
			out = append(out, c.At)
		}
	}
	return out
}

func TestTypingWhileAnswering(t *testing.T) {
	fastTyping(t, 50*time.Millisecond)
	const slow = "When did the harbour of Vardø freeze?"
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		if q == slow {
			time.Sleep(300 * time.Millisecond)
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{})
	msg := h.ask(privateText(42, "en", slow))
	typing := h.actions("42")
	if len(typing) < 3 {
		t.Errorf("typing actions during a 300ms answer: got %d, want it renewed (≥ 3 at 50ms)", len(typing))
	}
	for _, at := range typing {
		if at.After(msg.At) {
			t.Errorf("typing at %v after the answer at %v", at, msg.At)
		}
	}
	// A quick answer shows typing too, and nothing is left renewing it.
	h.ask(privateText(43, "en", "Where did fishing boats winter?"))
	if got := len(h.actions("43")); got < 1 {
		t.Errorf("no typing action for a quick answer")
	}
	n42, n43 := len(h.actions("42")), len(h.actions("43"))
	time.Sleep(200 * time.Millisecond)
	if len(h.actions("42")) != n42 || len(h.actions("43")) != n43 {
		t.Errorf("typing goes on after the answers")
	}
	// Commands that do not ask the library do not type.
	h.ask(privateText(44, "en", "/help"))
	if got := len(h.actions("44")); got != 0 {
		t.Errorf("typing for /help: %d", got)
	}
}

func TestOrderWithinAChat(t *testing.T) {
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	const first = "When did the harbour of Vardø freeze?"
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		if q == first {
			time.Sleep(200 * time.Millisecond) // a later question must still wait
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{})
	questions := []struct{ q, fact string }{
		{first, "1966"},
		{"When was the Treaty of Examples signed?", "1921"},
		{"Where did fishing boats winter?", "Kirkenes"},
		{"What appears in the Zorblax manual?", "Zorblax"},
		{"What is the boiling point of ethanol?", "The documents don't say"},
	}
	for _, q := range questions {
		h.f.push(privateText(42, "en", q.q))
	}
	msgs := h.waitSent(42, len(questions))
	for i, q := range questions {
		if !strings.Contains(text(msgs[i]), q.fact) {
			t.Errorf("reply %d: %q, want the answer to %q (%s)", i+1, text(msgs[i]), q.q, q.fact)
		}
	}
	asked := append([]string(nil), h.lib.questions()...)
	for i, q := range questions {
		if i >= len(asked) || asked[i] != q.q {
			t.Errorf("questions asked in the order %q", asked)
			break
		}
	}
}

func TestChatsInParallelAnd429(t *testing.T) {
	h := launch(t, nil, Config{})
	// Chat A's first answer is refused with 429, retry after 1 s.
	h.f.failNext("sendMessage", apiError{Code: 429, Desc: "Too Many Requests: retry after 1", RetryAfter: 1})
	h.f.push(privateText(1, "en", "When did the harbour of Vardø freeze?"))
	h.f.waitFor(t, "chat A's first attempt", func() bool { return len(h.sent(1)) == 1 })
	// Meanwhile chat B asks, and is answered while A waits.
	b := h.ask(privateText(2, "en", "Where did fishing boats winter?"))
	if !strings.Contains(text(b), "Kirkenes") {
		t.Errorf("chat B's answer %q", text(b))
	}
	a := h.waitSent(1, 2)
	if !strings.Contains(text(a[1]), "1966") || text(a[1]) != text(a[0]) {
		t.Errorf("chat A's resend %q, want the same answer as the refused %q", text(a[1]), text(a[0]))
	}
	if !b.At.Before(a[1].At) {
		t.Errorf("chat B answered at %v, after chat A's resend at %v: a waiting chat blocks the others", b.At, a[1].At)
	}
	if d := a[1].At.Sub(a[0].At); d < time.Second {
		t.Errorf("resend %v after the 429, want ≥ retry_after (1 s)", d)
	}
	if got := len(h.sent(0)); got != 3 {
		t.Errorf("sendMessage calls: got %d, want 3", got)
	}
	if !strings.Contains(h.logs.String(), "rate limited by Telegram") {
		t.Errorf("the 429 was not logged")
	}
}

func TestRetriesAreBounded(t *testing.T) {
	h := launch(t, nil, Config{limits: sendLimits{PerChat: 1000, PerGroup: 1000, Global: 1000, MaxRetries: 1}})
	tooMany := apiError{Code: 429, Desc: "Too Many Requests: retry after 1", RetryAfter: 1}
	h.f.failNext("sendMessage", tooMany, tooMany)
	h.f.push(privateText(1, "en", "When did the harbour of Vardø freeze?"))
	h.f.waitFor(t, "two attempts", func() bool { return len(h.sent(1)) == 2 })
	// Given up: the next question is answered, once.
	msg := h.ask(privateText(1, "en", "Where did fishing boats winter?"))
	if !strings.Contains(text(msg), "Kirkenes") {
		t.Errorf("answer after giving up: %q", text(msg))
	}
	if got := len(h.sent(1)); got != 3 {
		t.Errorf("sendMessage calls: got %d, want 3 (two attempts, then the next answer)", got)
	}
	if !strings.Contains(h.logs.String(), "telegram: sendMessage") {
		t.Errorf("the failed send was not logged")
	}
}

func TestPacing(t *testing.T) {
	// Only PerChat set: the other rates take their defaults (zero would
	// stop every send after the first).
	h := launch(t, nil, Config{limits: sendLimits{PerChat: 2}})
	qs := []string{"When did the harbour of Vardø freeze?", "Where did fishing boats winter?", "When was the Treaty of Examples signed?"}
	start := time.Now()
	for _, q := range qs {
		h.f.push(privateText(42, "en", q))
	}
	msgs := h.waitSent(42, 3)
	// Another chat is not held up by chat 42's pace.
	other := h.ask(privateText(43, "en", "When did the harbour of Vardø freeze?"))
	if d := msgs[2].At.Sub(msgs[0].At); d < 450*time.Millisecond {
		t.Errorf("three messages to one chat at 2/s (burst 2) took %v, want ≥ 0.5 s", d)
	}
	if d := msgs[1].At.Sub(msgs[0].At); d > 300*time.Millisecond {
		t.Errorf("the second message (within the burst) waited %v", d)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("pacing took %v", d)
	}
	if d := other.At.Sub(msgs[2].At); d > 300*time.Millisecond {
		t.Errorf("another chat's answer came %v after chat 42's last: held up by its pace", d)
	}
}

func TestSenderPacesGroupsAndGlobal(t *testing.T) {
	s := newSender(sendLimits{PerChat: 1000, PerGroup: rate.Every(100 * time.Millisecond), Global: 1000}, slogDiscard())
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < 4; i++ { // burst 3, then one at 10/s
		if err := s.do(ctx, -100, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("four messages to a group at 10/s (burst 3) took %v, want ≥ 100ms", d)
	}
	s = newSender(sendLimits{PerChat: 1000, PerGroup: 1000, Global: 10}, slogDiscard())
	start = time.Now()
	for i := 0; i < 11; i++ { // burst 10, then at 10/s, over different chats
		if err := s.do(ctx, int64(i+1), func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("eleven messages at 10/s globally (burst 10) took %v, want ≥ 100ms", d)
	}
	// A canceled context stops the wait for a 429.
	s = newSender(sendLimits{PerChat: 1000, PerGroup: 1000, Global: 1000, MaxRetries: 3}, slogDiscard())
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	calls := 0
	err := s.do(ctx, 1, func(context.Context) error {
		calls++
		return &tg.TooManyRequestsError{Message: "too many requests", RetryAfter: 1}
	})
	if err == nil || calls != 1 {
		t.Errorf("canceled during retry_after: err %v after %d calls, want the context's error after 1", err, calls)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	fastTyping(t, 30*time.Millisecond)
	const boom = "Please panic now"
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		if q == boom {
			panic("library exploded")
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{})
	h.f.push(privateText(42, "en", boom))
	h.f.waitFor(t, "the panic in the log", func() bool { return strings.Contains(h.logs.String(), "handler panicked") })
	if !strings.Contains(h.logs.String(), "library exploded") {
		t.Errorf("the panic's value is not logged")
	}
	// The asker is told, rather than left waiting.
	h.f.waitFor(t, "the apology", func() bool {
		for _, c := range h.f.callsOf("sendMessage") {
			if c.Params["chat_id"] == "42" && strings.Contains(c.Params["text"], english.failed) {
				return true
			}
		}
		return false
	})
	// The same chat goes on, and so do the others.
	for _, chat := range []int64{42, 43} {
		msg := h.ask(privateText(chat, "en", "When did the harbour of Vardø freeze?"))
		if !strings.Contains(text(msg), "1966") {
			t.Errorf("chat %d after the panic: %q", chat, text(msg))
		}
	}
	// The panicking answer left no "typing…" renewing itself.
	n := len(h.actions("42"))
	time.Sleep(150 * time.Millisecond)
	if got := len(h.actions("42")); got != n {
		t.Errorf("typing actions went on after a panic: %d, then %d", n, got)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
