package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citebot/retrieval/weaviatestore"
)

// weaviateArgs are the flags that put a serve replica on the test's
// Weaviate server (CITEBOT_WEAVIATE_URL; .ci/run starts one), with
// collections of this test's own; without a server the test is skipped.
func weaviateArgs(t *testing.T) []string {
	t.Helper()
	u := os.Getenv("CITEBOT_WEAVIATE_URL")
	if u == "" {
		t.Skip("no Weaviate server: set CITEBOT_WEAVIATE_URL (and CITEBOT_WEAVIATE_GRPC) to run the replica tests; .ci/run starts one")
	}
	prefix := fmt.Sprintf("R%x", rand.Uint64())
	t.Cleanup(func() {
		s, err := weaviatestore.Open(context.Background(), weaviatestore.Config{URL: u, GRPC: os.Getenv("CITEBOT_WEAVIATE_GRPC"), Prefix: prefix})
		if err == nil {
			err = s.Drop(context.Background())
		}
		if err != nil {
			t.Errorf("drop the test's collections: %v", err)
		}
	})
	return []string{"--store", "weaviate", "--weaviate-url", u, "--weaviate-grpc", os.Getenv("CITEBOT_WEAVIATE_GRPC"),
		"--weaviate-prefix", prefix, "--weaviate-poll", "100ms"}
}

// Two serve replicas on one Weaviate: a reindex through one is answered
// by the other, which keeps no index of its own; Telegram updates reach
// either through the webhook.
func TestServeReplicas(t *testing.T) {
	wv := weaviateArgs(t)
	docs := copySeeds(t)
	api := newTinyBotAPI(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": "777:e2e", "TELEGRAM_API_URL": api.server.URL, "CITEBOT_ADMIN_TOKEN": "tok"}
	webhook := []string{"--telegram-webhook-url", "https://bot.example.org/telegram/webhook", "--telegram-webhook-secret", "shared-Secret"}
	// No --index: a replica must not need one; the folder given does not
	// even exist, so anything written there would show.
	noIndex := filepath.Join(t.TempDir(), "never")
	a := startServe(t, env, append(append([]string{"--docs", docs, "--index", noIndex}, wv...), webhook...)...)
	a.waitReady(t)
	// The second replica has no documents folder: it serves the store.
	b := startServe(t, env, append(append([]string{"--docs", "", "--index", noIndex}, wv...), webhook...)...)
	b.waitReady(t)

	for _, s := range []*server{a, b} {
		ans, code := s.ask(t, "When did the SCO agreement come into effect?")
		if code != 200 || !ans.Found || !strings.Contains(ans.Answer, "2012") {
			t.Fatalf("%s: %d %+v", s.url, code, ans)
		}
	}

	writeFile(t, filepath.Join(docs, "vardo.txt"), vardo)
	out, code := a.reindex(t, "tok")
	if code != 200 || out["added"] != float64(1) {
		t.Fatalf("reindex through a: %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ans, code := b.ask(t, "When did the harbour of Vardø freeze?")
		if code == 200 && ans.Found && strings.Contains(ans.Answer, "1966") && ans.Citations[0].Document == "vardo.txt" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b never answered from the document added through a: %d %+v\n%s", code, ans, b.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The span b cites holds against the text b serves.
	ans, _ := b.ask(t, "When did the harbour of Vardø freeze?")
	c := ans.Citations[0]
	if got := get(t, fmt.Sprintf("%s/v1/documents/%s?start=%d&end=%d", b.url, c.Document, c.Start, c.End)); got != c.Quote {
		t.Errorf("b serves %q for the span it cites as %q", got, c.Quote)
	}
	if _, err := os.Stat(noIndex); !os.IsNotExist(err) {
		t.Errorf("a replica wrote an index folder (%v)", err)
	}

	// A Telegram update posted to a (the load balancer's choice) is
	// answered from the shared corpus...
	postUpdate := func(s *server, update string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.url+"/telegram/webhook", strings.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "shared-Secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("webhook on %s: %d", s.url, resp.StatusCode)
		}
	}
	postUpdate(a, strings.Replace(strings.Replace(tgQuestion, "%d", "11", 1),
		"When did the SCO agreement come into effect?", "When did the harbour of Vardø freeze?", 1))
	sent := api.waitSent(t, "sendMessage", "1966")
	var markup struct {
		InlineKeyboard [][]struct {
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(sent["reply_markup"]), &markup); err != nil || len(markup.InlineKeyboard) == 0 {
		t.Fatalf("answer's buttons: %v %q", err, sent["reply_markup"])
	}
	// ...and its source button, pressed, reaches b, which never saw the
	// answer: b shows the passage all the same.
	press := fmt.Sprintf(`{"update_id": 12, "callback_query": {"id": "cb1", "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "chat_instance": "1",
		"message": {"message_id": 9, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "answer"}, "data": %q}}`, markup.InlineKeyboard[0][0].CallbackData)
	postUpdate(b, press)
	deadline = time.Now().Add(10 * time.Second)
	for {
		// The answer and then the passage, both holding the sentence.
		n := 0
		for _, p := range api.all() {
			if p["method"] == "sendMessage" && strings.Contains(p["text"], "froze in 1966") {
				n++
			}
		}
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b never showed the passage of a's button: %v", api.all())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range api.all() {
		if p["method"] == "answerCallbackQuery" && p["text"] != "" {
			t.Errorf("b answered the button with %q", p["text"])
		}
	}
}
