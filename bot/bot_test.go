package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"citebot/answer"
	"citebot/corpus"
)

// This file holds the scenario tests' harness (a bot over the fake Bot API
// with a spying library and captured logs) and the tests of delivery modes:
// long polling, the webhook, and shutdown. The other scenarios are in
// private_test.go, group_test.go, flow_test.go and access_test.go.

const botID = 123456 // fakeAPI's getMe

// spyLibrary records the questions asked and lets a test change what Ask
// does for some of them (sleep, fail, panic).
type spyLibrary struct {
	*testLibrary

	mu    sync.Mutex
	asked []string
	// hook, when it returns handled, answers instead of the corpus.
	hook func(ctx context.Context, q string) (a answer.Answer, err error, handled bool)
	// reindexed counts Reindex calls; reindexErr, when set, fails them.
	reindexed  int
	reindexErr error
}

func (s *spyLibrary) Ask(ctx context.Context, q string, k int) (answer.Answer, error) {
	s.mu.Lock()
	s.asked = append(s.asked, q)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if a, err, ok := hook(ctx, q); ok {
			return a, err
		}
	}
	return s.testLibrary.Ask(ctx, q, k)
}

// AskStream answers through Ask (and its hook), the text in one piece.
func (s *spyLibrary) AskStream(ctx context.Context, q string, k int, onText func(string)) (answer.Answer, error) {
	a, err := s.Ask(ctx, q, k)
	if err == nil {
		onText(a.Answer)
	}
	return a, err
}

func (s *spyLibrary) Reindex(ctx context.Context) (corpus.Result, error) {
	s.mu.Lock()
	s.reindexed++
	err := s.reindexErr
	s.mu.Unlock()
	if err != nil {
		return corpus.Result{}, err
	}
	return s.testLibrary.Reindex(ctx)
}

func (s *spyLibrary) setHook(h func(ctx context.Context, q string) (answer.Answer, error, bool)) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// questions returns the questions asked so far and forgets them.
func (s *spyLibrary) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.asked
	s.asked = nil
	return q
}

// syncBuffer collects the bot's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is one bot running against the fake Bot API.
type harness struct {
	t    *testing.T
	f    *fakeAPI
	lib  *spyLibrary
	b    *Bot
	logs *syncBuffer

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	runErr   error
}

// launch starts a bot like startBot does, but keeps the means to stop it
// and read its log. lib may be nil for a fresh test library.
func launch(t *testing.T, lib *spyLibrary, cfg Config) *harness {
	t.Helper()
	return launchOn(t, newFakeAPI(t), lib, cfg)
}

// launchOn is launch over a given fake; cfg.APIURL, when set, is a server
// in front of it.
func launchOn(t *testing.T, f *fakeAPI, lib *spyLibrary, cfg Config) *harness {
	t.Helper()
	if lib == nil {
		lib = &spyLibrary{testLibrary: newTestLibrary(t)}
	}
	h := &harness{t: t, f: f, lib: lib, logs: &syncBuffer{}, done: make(chan error, 1)}
	cfg.Token = h.f.token
	if cfg.APIURL == "" {
		cfg.APIURL = h.f.server.URL
	}
	if cfg.limits == (sendLimits{}) {
		cfg.limits = sendLimits{PerChat: 1000, PerGroup: 1000, Global: 1000, MaxRetries: 3}
	}
	cfg.pollTimeout = 2 * time.Second
	var w io.Writer = h.logs
	if testing.Verbose() {
		w = io.MultiWriter(h.logs, os.Stderr)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	b, err := New(ctx, cfg, lib)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.b = b
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		if err := h.stop(15 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return h
}

// stop cancels Run's context and waits for Run to return.
func (h *harness) stop(timeout time.Duration) error {
	var err error
	h.stopOnce.Do(func() {
		h.cancel()
		select {
		case h.runErr = <-h.done:
		case <-time.After(timeout):
			err = errorString("Run did not return after its context was canceled")
		}
	})
	return err
}

type errorString string

func (e errorString) Error() string { return string(e) }

// sent returns the sendMessage calls to chat (every chat when chat is 0).
func (h *harness) sent(chat int64) []apiCall {
	var out []apiCall
	for _, c := range h.f.callsOf("sendMessage") {
		if chat == 0 || c.Params["chat_id"] == strconv.FormatInt(chat, 10) {
			out = append(out, c)
		}
	}
	return out
}

// waitSent waits until chat has received n messages and returns them.
func (h *harness) waitSent(chat int64, n int) []apiCall {
	h.t.Helper()
	h.f.waitFor(h.t, strconv.Itoa(n)+" messages to chat "+strconv.FormatInt(chat, 10), func() bool { return len(h.sent(chat)) >= n })
	return h.sent(chat)
}

// ask pushes an update and returns the next message to its chat.
func (h *harness) ask(u models.Update) apiCall {
	h.t.Helper()
	chat := chatOf(&u)
	n := len(h.sent(chat))
	h.f.push(u)
	return h.waitSent(chat, n+1)[n]
}

// press pushes a button press by user in chat and returns the
// answerCallbackQuery call for it.
func (h *harness) press(user, chat int64, lang, data string) apiCall {
	h.t.Helper()
	id := "cb" + strconv.FormatInt(time.Now().UnixNano(), 36)
	h.f.push(callbackUpdate(id, user, chat, lang, data))
	var got apiCall
	h.f.waitFor(h.t, "answerCallbackQuery "+id, func() bool {
		for _, c := range h.f.callsOf("answerCallbackQuery") {
			if c.Params["callback_query_id"] == id {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

// callbackUpdate is a press of an inline button under a message of chat.
func callbackUpdate(id string, user, chat int64, lang, data string) models.Update {
	typ := models.ChatTypePrivate
	if chat < 0 {
		typ = models.ChatTypeSupergroup
	}
	return models.Update{CallbackQuery: &models.CallbackQuery{ID: id, From: models.User{ID: user, FirstName: "Ann", LanguageCode: lang},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: 7, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chat, Type: typ}}},
		Data: data}}
}

// groupText is a message from user in a group chat.
func groupText(chat, user int64, typ models.ChatType, text string, entities ...models.MessageEntity) models.Update {
	return models.Update{Message: &models.Message{ID: int(time.Now().UnixNano() % 1e6), Date: int(time.Now().Unix()),
		From: &models.User{ID: user, FirstName: "Bo", LanguageCode: "en"},
		Chat: models.Chat{ID: chat, Type: typ, Title: "Test group"}, Text: text, Entities: entities}}
}

// keyboardOf returns the inline buttons of a sent message, row by row
// flattened; each button must have exactly text and callback_data.
func keyboardOf(t *testing.T, c apiCall) []inlineButton {
	t.Helper()
	raw := c.Params["reply_markup"]
	if raw == "" {
		return nil
	}
	var kb struct {
		InlineKeyboard [][]map[string]any `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &kb); err != nil {
		t.Fatalf("reply_markup %q: %v", raw, err)
	}
	var out []inlineButton
	for _, row := range kb.InlineKeyboard {
		for _, btn := range row {
			text, _ := btn["text"].(string)
			data, _ := btn["callback_data"].(string)
			if len(btn) != 2 || text == "" || data == "" {
				t.Errorf("button %v: want exactly text and callback_data", btn)
			}
			out = append(out, inlineButton{Text: text, CallbackData: data})
		}
	}
	return out
}

// shown is what an HTML message shows: tags dropped, entities decoded.
func shown(html string) string {
	var b strings.Builder
	for i := 0; i < len(html); {
		switch html[i] {
		case '<':
			j := strings.IndexByte(html[i:], '>')
			if j < 0 {
				b.WriteString(html[i:])
				return b.String()
			}
			i += j + 1
		case '&':
			decoded := false
			for ent, r := range map[string]string{"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": `"`} {
				if strings.HasPrefix(html[i:], ent) {
					b.WriteString(r)
					i += len(ent)
					decoded = true
					break
				}
			}
			if !decoded {
				b.WriteByte('&')
				i++
			}
		default:
			b.WriteByte(html[i])
			i++
		}
	}
	return b.String()
}

func text(c apiCall) string { return c.Params["text"] }

// --- delivery modes and shutdown ---

func TestLongPollingByDefault(t *testing.T) {
	h := launch(t, nil, Config{})
	msg := h.ask(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	if !strings.Contains(text(msg), "1966") {
		t.Errorf("answer %q, want the 1966 fact", text(msg))
	}
	if got := len(h.f.callsOf("deleteWebhook")); got != 1 {
		t.Errorf("deleteWebhook calls: got %d, want 1 (long polling clears a webhook)", got)
	}
	if got := len(h.f.callsOf("setWebhook")); got != 0 {
		t.Errorf("setWebhook calls: got %d, want 0", got)
	}
}

// New needs a token but no network; Run retries getMe while Telegram
// cannot be reached or refuses the token (logged as an error), and starts
// as soon as it answers.
func TestRunWaitsForTelegram(t *testing.T) {
	if _, err := New(context.Background(), Config{}, nil); err == nil {
		t.Error("New without a token: got nil error")
	}
	f := newFakeAPI(t)
	var logs syncBuffer
	b, err := New(context.Background(), Config{Token: "999:wrong", APIURL: f.server.URL,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, nil)
	if err != nil {
		t.Fatalf("New with a wrong token: %v (the check belongs to Run)", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "getMe") {
		if time.Now().After(deadline) {
			t.Fatalf("a refused token is not logged as an error: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run stopped while waiting for Telegram: %v, want nil", err)
	}

	// Telegram down at first (502), then up: the bot answers.
	f.failNext("getMe", apiError{Code: 502, Desc: "Bad Gateway"})
	h := launchOn(t, f, nil, Config{})
	if msg := h.ask(privateText(42, "en", "When did the harbour of Vardø freeze?")); !strings.Contains(text(msg), "1966") {
		t.Errorf("after Telegram came back: %q", text(msg))
	}
}

// webhookPost posts an update to the bot's webhook.
func webhookPost(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// waitWebhook waits until Run has set the webhook.
func (h *harness) waitWebhook() {
	h.t.Helper()
	h.f.waitFor(h.t, "the webhook set", func() bool { return strings.Contains(h.logs.String(), "receiving updates by webhook") })
}

func TestWebhook(t *testing.T) {
	h := launch(t, nil, Config{WebhookURL: "https://bot.example/telegram", WebhookSecret: "s3cret"})
	h.waitWebhook()
	set := h.f.callsOf("setWebhook")[0].Params
	if got, want := set["url"], "https://bot.example/telegram"; got != want {
		t.Errorf("setWebhook url: got %q, want %q", got, want)
	}
	if got, want := set["secret_token"], "s3cret"; got != want {
		t.Errorf("setWebhook secret_token: got %q, want %q", got, want)
	}
	if got := len(h.f.callsOf("deleteWebhook")); got != 0 {
		t.Errorf("deleteWebhook calls in webhook mode: got %d, want 0", got)
	}
	srv := httptest.NewServer(h.b.WebhookHandler())
	defer srv.Close()

	// Refused updates come first in the chat: had any been queued, it
	// would be answered before the accepted one.
	refused := privateText(42, "en", "Where did fishing boats winter?")
	for _, tc := range []struct {
		name, secret string
		body         []byte
		want         int
	}{
		{"wrong secret", "s3cret-not", mustJSON(t, refused), http.StatusUnauthorized},
		{"missing secret", "", mustJSON(t, refused), http.StatusUnauthorized},
		{"secret in another case", "S3CRET", mustJSON(t, refused), http.StatusUnauthorized},
		{"malformed JSON", "s3cret", []byte(`{"update_id": 1, "message": {`), http.StatusBadRequest},
		{"not JSON", "s3cret", []byte("hello"), http.StatusBadRequest},
	} {
		if got := webhookPost(t, srv.URL, tc.secret, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	u := privateText(42, "en", "When did the harbour of Vardø freeze?")
	u.ID = 77
	if got, want := webhookPost(t, srv.URL, "s3cret", mustJSON(t, u)), http.StatusOK; got != want {
		t.Fatalf("right secret: status %d, want %d", got, want)
	}
	msgs := h.waitSent(42, 1)
	if !strings.Contains(text(msgs[0]), "1966") {
		t.Errorf("webhook answer %q, want the 1966 fact", text(msgs[0]))
	}
	time.Sleep(100 * time.Millisecond)
	if got := h.sent(42); len(got) != 1 {
		t.Errorf("messages: got %d, want 1 (refused updates must not be processed): %v", len(got), got)
	}
	if got, want := h.lib.questions(), []string{"When did the harbour of Vardø freeze?"}; !equalStrings(got, want) {
		t.Errorf("questions asked: got %q, want %q", got, want)
	}
}

func TestWebhookHandlerWithoutWebhookMode(t *testing.T) {
	h := launch(t, nil, Config{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/telegram", bytes.NewReader(mustJSON(t, privateText(42, "en", "hi"))))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "")
	h.b.WebhookHandler().ServeHTTP(rec, req)
	if got, want := rec.Code, http.StatusUnauthorized; got != want {
		t.Errorf("webhook post to a polling bot: status %d, want %d", got, want)
	}
}

// slowOn makes Ask block on question q until release is closed, telling
// entered when it starts.
func slowOn(lib *spyLibrary, q string) (entered chan struct{}, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	lib.setHook(func(ctx context.Context, asked string) (answer.Answer, error, bool) {
		if asked == q {
			once.Do(func() { close(entered) })
			<-release
		}
		return answer.Answer{}, nil, false
	})
	return entered, release
}

func TestShutdownFinishesUpdatesInHand(t *testing.T) {
	const q = "When did the harbour of Vardø freeze?"
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			lib := &spyLibrary{testLibrary: newTestLibrary(t)}
			entered, release := slowOn(lib, q)
			cfg := Config{}
			if mode == "webhook" {
				cfg = Config{WebhookURL: "https://bot.example/telegram", WebhookSecret: "s3cret"}
			}
			h := launch(t, lib, cfg)
			var srv *httptest.Server
			if mode == "webhook" {
				h.waitWebhook()
				srv = httptest.NewServer(h.b.WebhookHandler())
				defer srv.Close()
				if got := webhookPost(t, srv.URL, "s3cret", mustJSON(t, privateText(42, "en", q))); got != http.StatusOK {
					t.Fatalf("webhook status %d, want 200", got)
				}
			} else {
				h.f.push(privateText(42, "en", q))
			}
			select {
			case <-entered:
			case <-time.After(10 * time.Second):
				t.Fatal("the question never reached the library")
			}
			h.cancel()
			select {
			case err := <-h.done:
				h.done <- err // for the cleanup
				t.Fatalf("Run returned (%v) while an update was being answered; log:\n%s", err, h.logs)
			case <-time.After(150 * time.Millisecond):
			}
			if mode == "webhook" {
				// Shutting down: a new update is refused, so Telegram keeps it.
				late := privateText(43, "en", "Where did fishing boats winter?")
				if got, want := webhookPost(t, srv.URL, "s3cret", mustJSON(t, late)), http.StatusServiceUnavailable; got != want {
					t.Errorf("webhook during shutdown: status %d, want %d", got, want)
				}
			}
			close(release)
			start := time.Now()
			if err := h.stop(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			if h.runErr != nil {
				t.Errorf("Run: %v", h.runErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Run took %v to return after the last answer", d)
			}
			msgs := h.sent(42)
			if len(msgs) != 1 || !strings.Contains(text(msgs[0]), "1966") {
				t.Fatalf("messages to the chat answered at shutdown: %v, want the 1966 answer", msgs)
			}
			if got := h.sent(43); len(got) != 0 {
				t.Errorf("the update refused at shutdown was answered: %v", got)
			}
			if mode == "webhook" {
				// Stopped: still refused.
				if got, want := webhookPost(t, srv.URL, "s3cret", mustJSON(t, privateText(44, "en", q))), http.StatusServiceUnavailable; got != want {
					t.Errorf("webhook after Run returned: status %d, want %d", got, want)
				}
			}
		})
	}
}

// A failing setWebhook (Telegram down, say) is retried with backoff while
// the bot keeps answering the updates a webhook set before still brings.
func TestSetWebhookRetries(t *testing.T) {
	const q = "When did the harbour of Vardø freeze?"
	f := newFakeAPI(t)
	f.failNext("setWebhook", apiError{Code: 502, Desc: "Bad Gateway"})
	h := launchOn(t, f, nil, Config{WebhookURL: "https://bot.example/telegram/webhook", WebhookSecret: "s3cret"})
	f.waitFor(t, "the first setWebhook", func() bool { return len(f.callsOf("setWebhook")) >= 1 })
	srv := httptest.NewServer(h.b.WebhookHandler())
	defer srv.Close()
	if got := webhookPost(t, srv.URL, "s3cret", mustJSON(t, privateText(42, "en", q))); got != http.StatusOK {
		t.Fatalf("webhook status %d while setWebhook is retried, want 200", got)
	}
	f.waitFor(t, "the answer", func() bool { return len(h.sent(42)) == 1 })
	f.waitFor(t, "setWebhook retried", func() bool { return len(f.callsOf("setWebhook")) >= 2 })
	calls := f.callsOf("setWebhook")
	if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
		t.Errorf("setWebhook retried after %v, want a backoff of about 1 s", gap)
	}
	select {
	case err := <-h.done:
		h.done <- err
		t.Errorf("Run returned (%v) after a failed setWebhook; want it to keep serving", err)
	default:
	}
}

func TestShutdownDrainTimeout(t *testing.T) {
	const q = "When did the harbour of Vardø freeze?"
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	lib.setHook(func(ctx context.Context, asked string) (answer.Answer, error, bool) {
		if asked == q {
			<-ctx.Done() // never done by itself: stopped by the drain timeout
			return answer.Answer{}, ctx.Err(), true
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{DrainTimeout: 200 * time.Millisecond})
	h.f.push(privateText(42, "en", q))
	h.f.waitFor(t, "typing", func() bool { return len(h.f.callsOf("sendChatAction")) > 0 })
	start := time.Now()
	if err := h.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("Run returned %v after cancel, want about the 200ms drain timeout", d)
	}
	if !strings.Contains(h.logs.String(), "drain timeout") {
		t.Errorf("no drain timeout warning in the log:\n%s", h.logs)
	}
}

func equalStrings(a, b []string) bool {
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
