package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

func TestSmokePrivateQuestionAndButton(t *testing.T) {
	f := newFakeAPI(t)
	lib := newTestLibrary(t)
	startBot(t, f, lib, Config{})
	f.push(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	f.waitFor(t, "the answer", func() bool { return len(f.callsOf("sendMessage")) >= 1 })
	msg := f.callsOf("sendMessage")[0]
	if !strings.Contains(msg.Params["text"], "1966") || !strings.Contains(msg.Params["text"], "Sources") || msg.Params["parse_mode"] != "HTML" {
		t.Fatalf("answer: %+v", msg.Params)
	}
	var kb struct {
		InlineKeyboard [][]map[string]any `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(msg.Params["reply_markup"]), &kb); err != nil || len(kb.InlineKeyboard) == 0 {
		t.Fatalf("reply_markup %q: %v", msg.Params["reply_markup"], err)
	}
	btn := kb.InlineKeyboard[0][0]
	if _, ok := btn["copy_text"]; ok {
		t.Errorf("button serializes copy_text: %v", btn)
	}
	if len(f.callsOf("sendChatAction")) == 0 {
		t.Error("no typing action")
	}
	data := btn["callback_data"].(string)
	f.push(models.Update{CallbackQuery: &models.CallbackQuery{ID: "cb1", From: models.User{ID: 42, LanguageCode: "en"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{ID: 5, Chat: models.Chat{ID: 42, Type: "private"}}},
		Data:    data}})
	f.waitFor(t, "the passage", func() bool { return len(f.callsOf("sendMessage")) >= 2 && len(f.callsOf("answerCallbackQuery")) >= 1 })
	if p := f.callsOf("sendMessage")[1].Params["text"]; !strings.Contains(p, "froze in 1966") {
		t.Errorf("passage message %q", p)
	}
}

// In a forum, the answer goes to the question's topic, not to General.
func TestForumTopicReply(t *testing.T) {
	f := newFakeAPI(t)
	startBot(t, f, newTestLibrary(t), Config{})
	f.push(models.Update{Message: &models.Message{ID: 9, MessageThreadID: 77, IsTopicMessage: true,
		From: &models.User{ID: 42, FirstName: "Ann"}, Chat: models.Chat{ID: -100500, Type: models.ChatTypeSupergroup, IsForum: true},
		Text: "/ask When did the harbour of Vardø freeze?"}})
	f.waitFor(t, "the answer", func() bool { return len(f.callsOf("sendMessage")) >= 1 })
	p := f.callsOf("sendMessage")[0].Params
	if p["message_thread_id"] != "77" || !strings.Contains(p["reply_parameters"], `"message_id":9`) {
		t.Errorf("answer in a forum topic: thread %q, reply %q", p["message_thread_id"], p["reply_parameters"])
	}
	if a := f.callsOf("sendChatAction"); len(a) == 0 || a[0].Params["message_thread_id"] != "77" {
		t.Errorf("typing not shown in the topic: %v", a)
	}
}

// An anonymous group admin writes as GroupAnonymousBot on behalf of the
// group, and "/ask @bot …" has the mention taken out of the question.
func TestAnonymousAdminAndMentionAfterAsk(t *testing.T) {
	f := newFakeAPI(t)
	startBot(t, f, newTestLibrary(t), Config{})
	group := models.Chat{ID: -1001234567890, Type: models.ChatTypeSupergroup}
	f.push(models.Update{Message: &models.Message{ID: 3, Chat: group, SenderChat: &group,
		From: &models.User{ID: 1087968824, IsBot: true, FirstName: "Group", Username: "GroupAnonymousBot"},
		Text: "/ask @citebot_test_bot When did the harbour of Vardø freeze?"}})
	f.waitFor(t, "the answer", func() bool { return len(f.callsOf("sendMessage")) >= 1 })
	if p := f.callsOf("sendMessage")[0].Params["text"]; !strings.Contains(p, "1966") {
		t.Errorf("anonymous admin's /ask: %q", p)
	}
	// Other bots stay ignored.
	f.push(models.Update{Message: &models.Message{ID: 4, Chat: group, From: &models.User{ID: 99, IsBot: true, Username: "other_bot"},
		Text: "/ask@citebot_test_bot When did the harbour of Vardø freeze?"}})
	time.Sleep(200 * time.Millisecond)
	if n := len(f.callsOf("sendMessage")); n != 1 {
		t.Errorf("%d messages sent; another bot's question must be ignored", n)
	}
}

func TestStripMention(t *testing.T) {
	for in, want := range map[string]string{
		"@citebot_test_bot When?":       "When?",
		"When, @CiteBot_Test_Bot, did?": "When, did?",
		"@citebot_test_bot: When?":      "When?",
		"no mention  here":              "no mention  here",
		"@someone_else When?":           "@someone_else When?",
	} {
		if got := stripMention(in, "citebot_test_bot"); got != want {
			t.Errorf("stripMention(%q) = %q, want %q", in, got, want)
		}
	}
}
