package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"citebot/bot/tghtml/tghtmltest"
	"citebot/corpus"
)

// fakeAPI is a Bot API server: it parses the multipart requests
// go-telegram/bot streams (chunked), records every call, serves
// getUpdates from a queue (long polling included) and answers the sending
// methods the way Telegram does.
type fakeAPI struct {
	t      testing.TB
	server *httptest.Server
	token  string
	me     models.User

	mu      sync.Mutex
	calls   []apiCall
	updates []models.Update
	nextID  int64
	nextMsg int
	// fail, when set for a method, answers the next calls of that method
	// with this error (and is consumed).
	fail    map[string][]apiError
	arrived chan struct{} // a call was recorded
	polls   chan struct{} // updates were queued
	// files are the files users sent, by file_id: getFile describes them
	// and /file/bot<token>/<file_path> serves their bytes.
	files map[string]*fakeFile
}

// fakeFile is a file on the fake's servers.
type fakeFile struct {
	id, uniqueID, path string
	data               []byte
	// size is what Telegram reports (len(data) unless a test says it
	// lies, or stands for a file too big to keep in a test).
	size int64
	gone bool // the file server answers 404
}

// apiCall is one recorded request: the method and its form fields (JSON
// fields such as reply_markup stay JSON text).
type apiCall struct {
	Method string
	Params map[string]string
	At     time.Time
}

type apiError struct {
	Code       int
	Desc       string
	RetryAfter int
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{t: t, token: "123456:TEST-token", me: models.User{ID: 123456, IsBot: true, FirstName: "Citebot", Username: "citebot_test_bot"},
		nextID: 1, nextMsg: 1000, fail: map[string][]apiError{}, arrived: make(chan struct{}, 1), polls: make(chan struct{}, 1),
		files: map[string]*fakeFile{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+f.token+"/"); ok {
		f.download(w, r, rest)
		return
	}
	prefix := "/bot" + f.token + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeAPI(w, apiError{Code: 401, Desc: "Unauthorized"}, nil)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	params := map[string]string{}
	// A call without parameters sends a multipart content type and an
	// empty body.
	if err := r.ParseMultipartForm(10 << 20); err != nil && err != http.ErrNotMultipart && !strings.HasSuffix(err.Error(), "EOF") {
		f.t.Errorf("fake Bot API: %s: unreadable multipart body: %v", method, err)
		writeAPI(w, apiError{Code: 400, Desc: "Bad Request: unreadable body"}, nil)
		return
	}
	if r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			params[k] = v[0]
		}
	}
	if method == "getUpdates" {
		f.getUpdates(w, r, params)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: method, Params: params, At: time.Now()})
	var failure *apiError
	if q := f.fail[method]; len(q) > 0 {
		failure, f.fail[method] = &q[0], q[1:]
	}
	var result any = true
	switch method {
	case "getMe":
		result = f.me
	case "getFile":
		ff, ok := f.files[params["file_id"]]
		switch {
		case !ok:
			failure = &apiError{Code: 400, Desc: "Bad Request: invalid file_id"}
		case ff.size > 20<<20:
			failure = &apiError{Code: 400, Desc: "Bad Request: file is too big"}
		default:
			result = models.File{FileID: ff.id, FileUniqueID: ff.uniqueID, FileSize: ff.size, FilePath: ff.path}
		}
	case "sendMessage", "editMessageText":
		f.nextMsg++
		var chat int64
		fmt.Sscan(params["chat_id"], &chat)
		result = models.Message{ID: f.nextMsg, Chat: models.Chat{ID: chat}, Text: params["text"], Date: int(time.Now().Unix())}
	}
	f.mu.Unlock()
	select {
	case f.arrived <- struct{}{}:
	default:
	}
	if failure != nil {
		writeAPI(w, *failure, nil)
		return
	}
	if method == "answerCallbackQuery" && utf8.RuneCountInString(params["text"]) > 200 {
		f.t.Errorf("answerCallbackQuery text of %d characters (Telegram: at most 200)", utf8.RuneCountInString(params["text"]))
	}
	if method == "sendMessage" && params["reply_markup"] != "" {
		var kb struct {
			InlineKeyboard [][]map[string]any `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(params["reply_markup"]), &kb); err != nil {
			f.t.Errorf("sendMessage: reply_markup %q: %v", params["reply_markup"], err)
		}
		for _, row := range kb.InlineKeyboard {
			for _, btn := range row {
				if d, _ := btn["callback_data"].(string); len(d) == 0 || len(d) > 64 {
					f.t.Errorf("button %v: callback_data of %d bytes (Telegram: 1-64)", btn, len(d))
				}
				if _, ok := btn["copy_text"]; ok {
					f.t.Errorf("button %v has copy_text besides callback_data (Telegram refuses it)", btn)
				}
			}
		}
	}
	if method == "sendMessage" {
		if err := checkTelegramHTML(params["text"]); err != nil {
			f.t.Errorf("sendMessage: %v in %q", err, params["text"])
			writeAPI(w, apiError{Code: 400, Desc: "Bad Request: can't parse entities: " + err.Error()}, nil)
			return
		}
	}
	writeAPI(w, apiError{}, result)
}

// download serves a file's bytes as Telegram's file server does, and
// records the download as a call of "file".
func (f *fakeAPI) download(w http.ResponseWriter, r *http.Request, path string) {
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: "file", Params: map[string]string{"path": path}, At: time.Now()})
	var data []byte
	found := false
	for _, ff := range f.files {
		if ff.path == path && !ff.gone {
			data, found = ff.data, true
		}
	}
	f.mu.Unlock()
	if r.Method != http.MethodGet || !found {
		writeAPI(w, apiError{Code: 404, Desc: "Not Found"}, nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

// addFile puts a file on the fake's servers, as a user's upload does, and
// returns the document a message carries for it. size, when not 0, is the
// size Telegram reports instead of the bytes'.
func (f *fakeAPI) addFile(name, mime string, data []byte, size int64) *models.Document {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.files)
	ff := &fakeFile{id: fmt.Sprintf("BQACAgIAAxkBAAI%04d", n), uniqueID: fmt.Sprintf("AgAD%04d", n),
		path: fmt.Sprintf("documents/file_%d%s", n, strings.ToLower(filepath.Ext(name))), data: data, size: int64(len(data))}
	if size != 0 {
		ff.size = size
	}
	f.files[ff.id] = ff
	return &models.Document{FileID: ff.id, FileUniqueID: ff.uniqueID, FileName: name, MimeType: mime, FileSize: ff.size}
}

// getUpdates answers queued updates after offset, or waits (long poll) up
// to the request's timeout, cut short for tests.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var offset int64
	fmt.Sscan(params["offset"], &offset)
	deadline := time.After(200 * time.Millisecond)
	for {
		f.mu.Lock()
		var out []models.Update
		for _, u := range f.updates {
			if u.ID >= offset {
				out = append(out, u)
			}
		}
		f.mu.Unlock()
		if len(out) > 0 {
			writeAPI(w, apiError{}, out)
			return
		}
		select {
		case <-f.polls:
		case <-deadline:
			writeAPI(w, apiError{}, []models.Update{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeAPI(w http.ResponseWriter, e apiError, result any) {
	w.Header().Set("Content-Type", "application/json")
	if e.Code != 0 {
		w.WriteHeader(e.Code)
		body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Desc}
		if e.RetryAfter > 0 {
			body["parameters"] = map[string]int{"retry_after": e.RetryAfter}
		}
		json.NewEncoder(w).Encode(body)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// push queues an update (its id assigned) for getUpdates.
func (f *fakeAPI) push(u models.Update) models.Update {
	f.mu.Lock()
	u.ID = f.nextID
	f.nextID++
	f.updates = append(f.updates, u)
	f.mu.Unlock()
	select {
	case f.polls <- struct{}{}:
	default:
	}
	return u
}

// failNext makes the next calls of method fail with e, in order.
func (f *fakeAPI) failNext(method string, e ...apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], e...)
}

// callsOf returns the recorded calls of a method.
func (f *fakeAPI) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until cond holds over the recorded calls.
func (f *fakeAPI) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-f.arrived:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; calls: %v", what, f.methods())
		}
	}
}

func (f *fakeAPI) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Method)
	}
	return out
}

// checkTelegramHTML is what Telegram would refuse of an HTML message.
func checkTelegramHTML(s string) error {
	if n := tghtmltest.UTF16Len(s); n > maxMessage || strings.TrimSpace(s) == "" {
		return fmt.Errorf("message of %d UTF-16 units", n)
	}
	return tghtmltest.WellFormed(s)
}

// startBot runs a bot against the fake API until the test ends.
func startBot(t testing.TB, f *fakeAPI, lib corpus.Library, cfg Config) *Bot {
	t.Helper()
	cfg.Token, cfg.APIURL = f.token, f.server.URL
	if cfg.limits == (sendLimits{}) {
		cfg.limits = sendLimits{PerChat: 1000, PerGroup: 1000, Global: 1000, MaxRetries: 3}
	}
	cfg.pollTimeout = 2 * time.Second
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.Logger = log
	ctx, cancel := context.WithCancel(context.Background())
	b, err := New(ctx, cfg, lib)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("the bot did not stop")
		}
	})
	return b
}
