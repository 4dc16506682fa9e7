package bot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"citebot/answer"
)

// mention is the entity Telegram sends for the first "@name" in text (in
// any case), its offset and length in UTF-16 units.
func mention(text, name string) models.MessageEntity {
	i := strings.Index(strings.ToLower(text), strings.ToLower(name))
	if i < 0 {
		panic("no " + name + " in " + text)
	}
	return models.MessageEntity{Type: models.MessageEntityTypeMention,
		Offset: len(utf16.Encode([]rune(text[:i]))), Length: len(utf16.Encode([]rune(name)))}
}

func TestGroupAddressing(t *testing.T) {
	h := launch(t, nil, Config{})
	const (
		harbour = "When did the harbour of Vardø freeze?"
		me      = "@citebot_test_bot"
	)
	botMsg := &models.Message{ID: 900, Date: 1, From: &models.User{ID: botID, IsBot: true, FirstName: "Citebot", Username: "citebot_test_bot"}}
	userMsg := &models.Message{ID: 901, Date: 1, From: &models.User{ID: 555, FirstName: "Cy"}}
	tests := []struct {
		name     string
		typ      models.ChatType
		text     string
		entities func(text string) []models.MessageEntity
		reply    *models.Message
		want     string // the question asked; "" when the message is ignored
	}{
		{name: "mention first", text: me + " " + harbour, want: harbour},
		{name: "mention in a plain group", typ: models.ChatTypeGroup, text: me + " " + harbour, want: harbour},
		{name: "mention with a comma", text: me + ", " + harbour, want: harbour},
		{name: "mention last", text: harbour + " " + me, want: harbour},
		{name: "mention in capitals", text: "@CiteBot_Test_Bot " + harbour, want: harbour},
		{name: "emoji before the mention", text: "🙂🇳🇴 " + me + " " + harbour, want: "🙂🇳🇴 " + harbour},
		{name: "emoji around the mention", text: "👩‍👩‍👧 ok " + me + " 🙂 " + harbour, want: "👩‍👩‍👧 ok 🙂 " + harbour},
		{name: "replacement character before the mention", text: "\uFFFD " + me + " " + harbour, want: "\uFFFD " + harbour},
		{name: "mention and another mention", text: "@someone " + me + " " + harbour,
			entities: func(s string) []models.MessageEntity {
				return []models.MessageEntity{mention(s, "@someone"), mention(s, me)}
			},
			want: "@someone " + harbour},
		{name: "text mention", text: "Citebot, " + harbour,
			entities: func(s string) []models.MessageEntity {
				return []models.MessageEntity{{Type: models.MessageEntityTypeTextMention, Offset: 0, Length: 7, User: &models.User{ID: botID}}}
			},
			want: harbour},
		{name: "reply to the bot", text: harbour, entities: none, reply: botMsg, want: harbour},
		{name: "/ask", text: "/ask " + harbour, entities: none, want: harbour},
		{name: "/ask to the bot", text: "/ask" + me + " " + harbour, entities: none, want: harbour},
		{name: "/ask on its own line", text: "/ask" + me + "\n" + harbour, entities: none, want: harbour},
		{name: "/ask to the bot in capitals", text: "/ASK@CITEBOT_TEST_BOT " + harbour, entities: none, want: harbour},

		{name: "plain chatter", text: harbour, entities: none},
		{name: "reply to someone else", text: harbour, entities: none, reply: userMsg},
		{name: "mention of someone else", text: "@someone " + harbour,
			entities: func(s string) []models.MessageEntity { return []models.MessageEntity{mention(s, "@someone")} }},
		{name: "bot's name without an entity", text: me + " " + harbour, entities: none},
		{name: "mention entity at the wrong offset", text: "hey " + me + " " + harbour,
			entities: func(s string) []models.MessageEntity {
				return []models.MessageEntity{{Type: models.MessageEntityTypeMention, Offset: 0, Length: 17}}
			}},
		{name: "longer name starting with the bot's", text: "@citebot_test_bot2 " + harbour,
			entities: func(s string) []models.MessageEntity { return []models.MessageEntity{mention(s, "@citebot_test_bot2")} }},
		{name: "/ask to another bot", text: "/ask@otherbot " + harbour, entities: none},
		{name: "/ask to another bot, mentioning this one", text: "/ask@otherbot " + me + " " + harbour},
		{name: "/help to another bot", text: "/help@otherbot", entities: none},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chat := -1000 - int64(i)
			typ := tc.typ
			if typ == "" {
				typ = models.ChatTypeSupergroup
			}
			var ents []models.MessageEntity
			if tc.entities != nil {
				ents = tc.entities(tc.text)
			} else {
				ents = []models.MessageEntity{mention(tc.text, me)}
			}
			u := groupText(chat, 7, typ, tc.text, ents...)
			u.Message.ReplyToMessage = tc.reply
			h.lib.questions()
			h.f.push(u)
			// A question after it, in the same chat: when it is answered,
			// the message before has been handled.
			h.f.push(groupText(chat, 7, typ, "/ask@citebot_test_bot Where did fishing boats winter?"))
			h.f.waitFor(t, "the answer to the question after", func() bool {
				msgs := h.sent(chat)
				return len(msgs) > 0 && strings.Contains(text(msgs[len(msgs)-1]), "Kirkenes")
			})
			asked := h.lib.questions()
			msgs := h.sent(chat)
			if tc.want == "" {
				if len(asked) != 1 || len(msgs) != 1 {
					t.Errorf("not for the bot, yet answered: asked %q, %d messages, want only the question after", asked, len(msgs))
				}
				return
			}
			if len(asked) != 2 || len(msgs) != 2 {
				t.Fatalf("asked %q, %d messages; want the question answered", asked, len(msgs))
			}
			if got := strings.Join(strings.Fields(asked[0]), " "); got != tc.want {
				t.Errorf("question asked: got %q, want %q", asked[0], tc.want)
			}
			if strings.Contains(strings.ToLower(asked[0]), "citebot") {
				t.Errorf("the mention was not stripped: %q", asked[0])
			}
			if !strings.Contains(text(msgs[0]), "1966") {
				t.Errorf("answer %q, want the 1966 fact", text(msgs[0]))
			}
			// In a group the answer replies to the question.
			want := `"message_id":` + strconv.Itoa(u.Message.ID)
			if rp := msgs[0].Params["reply_parameters"]; !strings.Contains(rp, want) {
				t.Errorf("reply_parameters %q, want %s", rp, want)
			}
		})
	}
}

func none(string) []models.MessageEntity { return nil }

func TestGroupCommandsAndButtons(t *testing.T) {
	h := launch(t, nil, Config{})
	const chat = -2000
	for _, tc := range []struct{ text, want string }{
		{"/help", "In a group, mention me (@citebot_test_bot …)"},
		{"/sources@citebot_test_bot", "Documents I answer from:"},
		{"/start", "Hello! I am Citebot."},
		{"/ask@citebot_test_bot", "Write your question after the command"},
	} {
		msg := h.ask(groupText(chat, 7, models.ChatTypeSupergroup, tc.text))
		if !strings.Contains(shown(text(msg)), tc.want) {
			t.Errorf("%s: %q lacks %q", tc.text, shown(text(msg)), tc.want)
		}
	}
	// An unknown command in a group is someone else's business.
	h.f.push(groupText(chat, 7, models.ChatTypeSupergroup, "/frobnicate"))
	msg := h.ask(groupText(chat, 7, models.ChatTypeSupergroup, "/ask When was the Treaty of Examples signed and when did it enter into force?"))
	if !strings.Contains(text(msg), "1921") {
		t.Fatalf("answer %q", text(msg))
	}
	n := len(h.sent(chat))
	if n != 5 {
		t.Errorf("messages to the group: got %d, want 5 (the unknown command unanswered)", n)
	}
	kb := keyboardOf(t, msg)
	if len(kb) != 2 {
		t.Fatalf("buttons: %v", kb)
	}
	// Anyone in the group may press a button; the passage goes to the group.
	h.press(8, chat, "en", kb[0].CallbackData)
	p := h.waitSent(chat, n+1)[n]
	if !strings.HasPrefix(shown(text(p)), "[1] The Treaty of Examples\nsub/treaty.md, lines 1–7\n\n# The Treaty of Examples") {
		t.Errorf("passage in the group: %q", shown(text(p)))
	}
}

// A button under a message too old for Telegram to send along (an
// inaccessible message: date 0) still belongs to its chat: the press
// waits its turn behind the chat's earlier updates and the passage goes
// to that chat.
func TestButtonOnInaccessibleMessageKeepsChatOrder(t *testing.T) {
	const slow = "When did the harbour of Vardø freeze?"
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	h := launch(t, lib, Config{})
	const chat = -4000
	msg := h.ask(groupText(chat, 7, models.ChatTypeSupergroup, "/ask Where did fishing boats winter?"))
	kb := keyboardOf(t, msg)
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		if q == slow {
			time.Sleep(200 * time.Millisecond)
		}
		return answer.Answer{}, nil, false
	})
	h.f.push(groupText(chat, 7, models.ChatTypeSupergroup, "/ask "+slow))
	press := models.Update{CallbackQuery: &models.CallbackQuery{ID: "old", From: models.User{ID: 9, FirstName: "Di"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup}, MessageID: 3}},
		Data: kb[0].CallbackData}}
	h.f.push(press)
	msgs := h.waitSent(chat, 3)
	if !strings.Contains(text(msgs[1]), "1966") || !strings.HasPrefix(shown(text(msgs[2])), "[1] The harbour of Vardø") {
		t.Errorf("group messages out of order: answer %q, then passage %q", shown(text(msgs[1])), shown(text(msgs[2])))
	}
	if got := len(h.sent(9)); got != 0 {
		t.Errorf("the passage went to the user's private chat")
	}
}
