package main

import (
	"citebot/internal/testdocs"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tinyBotAPI is just enough of the Bot API to see serve's wiring: it hands
// out queued updates and records what the bot sends.
type tinyBotAPI struct {
	mu      sync.Mutex
	updates []string // JSON updates, served once
	sent    []map[string]string
	server  *httptest.Server
	files   map[string]string // file_id → content, served at documents/<file_id>
}

func newTinyBotAPI(t *testing.T) *tinyBotAPI {
	a := &tinyBotAPI{files: map[string]string{}}
	a.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/file/bot777:e2e/documents/"); ok {
			a.mu.Lock()
			content, ok := a.files[id]
			a.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(content))
			return
		}
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		r.ParseMultipartForm(1 << 20)
		params := map[string]string{"method": method}
		if r.MultipartForm != nil {
			for k, v := range r.MultipartForm.Value {
				params[k] = v[0]
			}
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		result := "true"
		switch method {
		case "getMe":
			result = `{"id": 777, "is_bot": true, "first_name": "Citebot", "username": "citebot_e2e_bot"}`
		case "getUpdates":
			result = "[" + strings.Join(a.updates, ",") + "]"
			a.updates = nil
			if result == "[]" {
				time.Sleep(50 * time.Millisecond)
			}
		case "getFile":
			id := params["file_id"]
			result = fmt.Sprintf(`{"file_id": %q, "file_unique_id": "u%s", "file_size": %d, "file_path": "documents/%s"}`, id, id, len(a.files[id]), id)
			a.sent = append(a.sent, params)
		case "sendMessage":
			result = `{"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}`
			fallthrough
		default:
			a.sent = append(a.sent, params)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true, "result": ` + result + `}`))
	}))
	t.Cleanup(a.server.Close)
	return a
}

func (a *tinyBotAPI) queue(update string) {
	a.mu.Lock()
	a.updates = append(a.updates, update)
	a.mu.Unlock()
}

// all returns a copy of every call made so far.
func (a *tinyBotAPI) all() []map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]string(nil), a.sent...)
}

func (a *tinyBotAPI) waitSent(t *testing.T, method, contains string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		for _, p := range a.sent {
			if p["method"] == method && strings.Contains(p["text"]+p["url"], contains) {
				a.mu.Unlock()
				return p
			}
		}
		a.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s containing %q; sent: %v", method, contains, a.sent)
	return nil
}

const tgQuestion = `{"update_id": %d, "message": {"message_id": 5, "date": 0, "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "chat": {"id": 42, "type": "private"}, "text": "When did the SCO agreement come into effect?"}}`

// With TELEGRAM_BOT_TOKEN set, serve runs the bot (long polling here) on
// the same live index as the API.
func TestServeTelegramPolling(t *testing.T) {
	api := newTinyBotAPI(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": "777:e2e", "TELEGRAM_API_URL": api.server.URL}
	s := startServe(t, env, "--docs", seeds, "--index", seedIndex(t))
	s.waitReady(t) // before, the bot answers that it is still loading
	api.queue(strings.Replace(tgQuestion, "%d", "1", 1))
	p := api.waitSent(t, "sendMessage", "2012")
	if p["parse_mode"] != "HTML" || !strings.Contains(p["reply_markup"], "callback_data") {
		t.Errorf("answer message: %v", p)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve with the bot stopped with %v", err)
	}
}

// In webhook mode serve registers the webhook and takes updates at
// POST /telegram/webhook, only with the secret.
func TestServeTelegramWebhook(t *testing.T) {
	api := newTinyBotAPI(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": "777:e2e", "TELEGRAM_API_URL": api.server.URL}
	s := startServe(t, env, "--docs", seeds, "--index", filepath.Join(t.TempDir(), "ix"),
		"--telegram-webhook-url", "https://bot.example.org/telegram/webhook", "--telegram-webhook-secret", "s3cret-Token")
	s.waitReady(t)
	set := api.waitSent(t, "setWebhook", "https://bot.example.org/telegram/webhook")
	if set["secret_token"] != "s3cret-Token" {
		t.Errorf("setWebhook secret_token %q", set["secret_token"])
	}
	post := func(secret, body string) int {
		req, _ := http.NewRequest("POST", s.url+"/telegram/webhook", strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong", strings.Replace(tgQuestion, "%d", "7", 1)); code != 401 {
		t.Errorf("wrong secret: %d, want 401", code)
	}
	if code := post("", strings.Replace(tgQuestion, "%d", "8", 1)); code != 401 {
		t.Errorf("no secret: %d, want 401", code)
	}
	if code := post("s3cret-Token", strings.Replace(tgQuestion, "%d", "9", 1)); code != 200 {
		t.Errorf("right secret: %d, want 200", code)
	}
	api.waitSent(t, "sendMessage", "2012")
	api.mu.Lock()
	answers := 0
	for _, p := range api.sent {
		if p["method"] == "sendMessage" {
			answers++
		}
	}
	api.mu.Unlock()
	if answers != 1 {
		t.Errorf("%d answers sent, want 1 (updates with a wrong secret must not be processed)", answers)
	}
}

func TestServeTelegramBadSettings(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--telegram-webhook-url", "https://x.example/telegram/webhook"}},
		{map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}, []string{"--telegram-admins", "12,abc"}},
		{map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}, []string{"--telegram-webhook-secret", "has space"}},
		{map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}, []string{"--telegram-webhook-url", "ftp://x"}},
	} {
		r := cli(t, tt.env, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--docs", seeds, "--index", t.TempDir()}, tt.args...)...)
		if r.code != 2 {
			t.Errorf("serve %v with %v: exit %d, want 2 (%s)", tt.args, tt.env, r.code, r.stderr)
		}
	}
}

// Telegram unreachable at start does not keep the API down: the bot keeps
// trying in the background.
func TestServeTelegramUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	env := map[string]string{"TELEGRAM_BOT_TOKEN": "777:e2e", "TELEGRAM_API_URL": url}
	s := startServe(t, env, "--docs", seeds, "--index", seedIndex(t))
	s.waitReady(t)
	if a, code := s.ask(t, "What is MGIMO?"); code != 200 || !a.Found {
		t.Errorf("ask while Telegram is unreachable: %d %v", code, a.Found)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("stop: %v", err)
	}
	if !strings.Contains(s.log.String(), "getMe") {
		t.Errorf("the log does not say Telegram is unreachable:\n%s", s.log)
	}
}

// An admin's document sent to the bot lands in --docs and is indexed; a
// stranger's is refused without being fetched; /remove takes one out.
func TestServeTelegramDocuments(t *testing.T) {
	api := newTinyBotAPI(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": "777:e2e", "TELEGRAM_API_URL": api.server.URL}
	docs := smallDocs(t)
	s := startServe(t, env, "--docs", docs, "--index", filepath.Join(t.TempDir(), "ix"), "--telegram-admins", "42")
	s.waitReady(t)
	const notes = "# Depot notes\n\nThe Kalmorvin depot opened in 1911.\n"
	document := func(update, user int, id, name string) string {
		return fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": 0, "from": {"id": %d, "is_bot": false, "first_name": "Ann"}, `+
			`"chat": {"id": %d, "type": "private"}, "document": {"file_id": %q, "file_unique_id": "u%s", "file_name": %q, "file_size": %d}}}`,
			update, update, user, user, id, id, name, len(notes))
	}
	api.mu.Lock()
	api.files["f1"], api.files["f2"] = notes, notes
	api.mu.Unlock()
	api.queue(document(1, 42, "f1", "depot.md"))
	api.waitSent(t, "sendMessage", "added: depot.md, 1 chunk")
	if got := readFileT(t, filepath.Join(docs, "depot.md")); string(got) != notes {
		t.Errorf("depot.md holds %q", got)
	}
	if a, _ := s.ask(t, "When did the Kalmorvin depot open?"); !a.Found || a.Citations[0].Document != "depot.md" {
		t.Errorf("the document sent is not answered from: %+v", a)
	}

	api.queue(document(2, 43, "f2", "stranger.md"))
	api.waitSent(t, "sendMessage", "only the bot's administrators may add documents")
	for _, p := range api.all() {
		if p["method"] == "getFile" && p["file_id"] == "f2" {
			t.Error("a stranger's file was fetched")
		}
	}
	api.queue(`{"update_id": 3, "message": {"message_id": 3, "date": 0, "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "chat": {"id": 42, "type": "private"}, "text": "/remove depot.md"}}`)
	api.waitSent(t, "sendMessage", "removed: depot.md")
	if names := testdocs.ReadTree(t, docs); len(names) != 2 {
		t.Errorf("the folder holds %q, want the two files it started with", keysOf(names))
	}
}
