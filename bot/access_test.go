package bot

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"citebot/answer"
	"citebot/corpus"
)

// Access (Config.Allow, Config.Admins and /reindex) and languages.

func TestAllow(t *testing.T) {
	h := launch(t, nil, Config{Allow: []int64{42, -500}})
	const (
		q          = "When did the harbour of Vardø freeze?"
		notAllowed = "Sorry, I only answer the people and chats I was set up for."
	)
	mentioned := func(chat, user int64) models.Update {
		s := "@citebot_test_bot " + q
		return groupText(chat, user, models.ChatTypeSupergroup, s, mention(s, "@citebot_test_bot"))
	}
	tests := []struct {
		name   string
		u      models.Update
		answer bool
		want   string
	}{
		{"allowed user", privateText(42, "en", q), true, "1966"},
		{"other user", privateText(7, "en", q), false, notAllowed},
		{"other user, /start", privateText(8, "en", "/start"), false, notAllowed},
		{"other user, Russian", privateText(9, "ru", q), false, "Извините, я отвечаю только тем людям и чатам, для которых меня настроили."},
		{"anyone in an allowed group", mentioned(-500, 7), true, "1966"},
		{"allowed user in another group", mentioned(-600, 42), true, "1966"},
		{"other user in another group", mentioned(-700, 7), false, notAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.lib.questions()
			msg := h.ask(tc.u)
			if s := shown(text(msg)); !strings.Contains(s, tc.want) {
				t.Errorf("reply %q, want %q", s, tc.want)
			}
			if asked := h.lib.questions(); (len(asked) > 0) != tc.answer {
				t.Errorf("questions asked: %q", asked)
			}
		})
	}
	// Chatter in a group that is not allowed stays unanswered, and no
	// refusal is sent either.
	h.f.push(groupText(-700, 7, models.ChatTypeSupergroup, "just chatting"))
	h.ask(mentioned(-700, 42))
	if got := len(h.sent(-700)); got != 2 {
		t.Errorf("messages to the group: got %d, want 2 (a refusal, then an answer)", got)
	}

	// Buttons: the allowed user's button works; pressed by someone else in
	// a private chat, it is refused politely.
	msg := h.ask(privateText(42, "en", q))
	kb := keyboardOf(t, msg)
	if cb := h.press(7, 7, "en", kb[0].CallbackData); cb.Params["text"] != notAllowed {
		t.Errorf("button pressed by another user: answerCallbackQuery text %q, want %q", cb.Params["text"], notAllowed)
	}
	if cb := h.press(7, -500, "en", kb[0].CallbackData); cb.Params["text"] != "" {
		t.Errorf("button pressed in an allowed group: answerCallbackQuery text %q", cb.Params["text"])
	}
	h.waitSent(-500, 2)
	if got := len(h.sent(7)); got != 1 {
		t.Errorf("messages to the user not allowed: %d, want 1", got)
	}
}

func TestReindex(t *testing.T) {
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	h := launch(t, lib, Config{Admins: []int64{1}})
	const q = "When was the Glimmerfen lighthouse built?"
	writeTestFile(t, filepath.Join(lib.Docs, "lighthouse.txt"), "Lighthouses\n\nThe Glimmerfen lighthouse was built in 1888 by Ada Brand.\n")

	// Not an admin: refused, nothing rebuilt.
	msg := h.ask(privateText(2, "en", "/reindex"))
	if got, want := shown(text(msg)), "Sorry, only the bot's administrators may reindex the documents."; got != want {
		t.Errorf("non-admin /reindex: got %q, want %q", got, want)
	}
	msg = h.ask(privateText(2, "ru", "/reindex"))
	if got, want := shown(text(msg)), "Извините, переиндексировать документы могут только администраторы бота."; got != want {
		t.Errorf("non-admin /reindex in Russian: got %q, want %q", got, want)
	}
	lib.mu.Lock()
	rebuilt := lib.reindexed
	lib.mu.Unlock()
	if rebuilt != 0 {
		t.Errorf("a non-admin's /reindex rebuilt the index")
	}
	if msg := h.ask(privateText(2, "en", q)); strings.Contains(text(msg), "1888") {
		t.Fatalf("the new document is answered before /reindex: %q", text(msg))
	}

	// An admin: rebuilt live, summary sent.
	h.f.push(privateText(1, "en", "/reindex"))
	msgs := h.waitSent(1, 2)
	if got, want := shown(text(msgs[0])), "Reindexing the documents…"; got != want {
		t.Errorf("first reply %q, want %q", got, want)
	}
	ix := lib.Index()
	wantSummary := "Done: 1 added, 0 changed, 0 removed, 3 unchanged, 0 skipped; " + strconv.Itoa(ix.NumChunks()) + " passages indexed."
	if got := shown(text(msgs[1])); got != wantSummary {
		t.Errorf("summary %q, want %q", got, wantSummary)
	}
	if msg := h.ask(privateText(2, "en", q)); !strings.Contains(text(msg), "1888") || !strings.Contains(text(msg), "lighthouse.txt") {
		t.Errorf("after /reindex: %q, want the new fact cited from lighthouse.txt", text(msg))
	}
	if msg := h.ask(privateText(2, "en", "/sources")); !strings.Contains(text(msg), "lighthouse.txt") {
		t.Errorf("/sources after /reindex lacks the new document: %q", text(msg))
	}

	// In a group, by name.
	h.f.push(groupText(-300, 1, models.ChatTypeSupergroup, "/reindex@citebot_test_bot"))
	msgs = h.waitSent(-300, 2)
	if got := shown(text(msgs[1])); !strings.HasPrefix(got, "Done: 0 added, 0 changed, 0 removed, 4 unchanged") {
		t.Errorf("second reindex summary %q", got)
	}
}

func TestReindexFailure(t *testing.T) {
	lib := &spyLibrary{testLibrary: newTestLibrary(t), reindexErr: errors.New("disk <full> & sad")}
	h := launch(t, lib, Config{Admins: []int64{1}})
	h.f.push(privateText(1, "ru", "/reindex"))
	msgs := h.waitSent(1, 2)
	if got, want := shown(text(msgs[1])), "Переиндексация не удалась, я продолжаю отвечать по прежнему индексу: disk <full> & sad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if msg := h.ask(privateText(1, "en", "When did the harbour of Vardø freeze?")); !strings.Contains(text(msg), "1966") {
		t.Errorf("after a failed reindex: %q", text(msg))
	}
}

func TestLanguages(t *testing.T) {
	const (
		found   = "When did the harbour of Vardø freeze?"
		refused = "What is the boiling point of ethanol?"
		broken  = "Break the library, please"
		empty   = "Pretend the question is empty"
		loading = "Pretend the index is loading"
	)
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	lib.setHook(func(ctx context.Context, q string) (answer.Answer, error, bool) {
		switch q {
		case broken:
			return answer.Answer{}, errors.New("the disk caught fire"), true
		case empty:
			return answer.Answer{}, answer.ErrEmptyQuestion, true
		case loading:
			return answer.Answer{}, corpus.ErrNotReady, true
		}
		return answer.Answer{}, nil, false
	})
	h := launch(t, lib, Config{buttonTTL: time.Hour})
	type phrase struct{ text, want string }
	english := []phrase{
		{"/start", "Hello! I am Citebot."},
		{"/start", "Try, for example:"},
		{"/help", "Ask me a question in plain words"},
		{"/sources", "Documents I answer from:"},
		{found, "Sources\n[1] "},
		{found, "\nConfidence: "},
		{refused, answer.NotFoundText + "\n\nClosest passages\n• "},
		{broken, "Something went wrong on my side while answering; please try again."},
		{empty, "I could not read that as a question; please write it in plain text."},
		{loading, "I am still loading my documents; please ask again in a moment."},
		{"/ask", "Write your question after the command"},
		{strings.Repeat("x", 4001), "That question is too long for me; please keep it under 4000 characters."},
	}
	russian := []phrase{
		{"/start", "Здравствуйте! Я Citebot."},
		{"/start", "Например, спросите:"},
		{"/help", "Задайте вопрос обычными словами"},
		{"/sources", "Документы, по которым я отвечаю:"},
		{found, "Источники\n[1] "},
		{found, "строка 3"},
		{found, "\nУверенность: "},
		{refused, "В документах об этом ничего не сказано: я не нашёл в них ответа на этот вопрос.\n\nБлижайшие фрагменты\n• "},
		{refused, "строки 1–5"},
		{broken, "Что-то пошло не так при ответе; попробуйте ещё раз."},
		{empty, "Не удалось прочитать это как вопрос; напишите его обычным текстом."},
		{loading, "Я ещё загружаю документы; спросите, пожалуйста, через минуту."},
		{"/ask", "Напишите вопрос после команды"},
		{strings.Repeat("x", 4001), "Вопрос слишком длинный; пожалуйста, уложитесь в 4000 символов."},
	}
	for i, tc := range []struct {
		lang    string
		phrases []phrase
		expired string
	}{
		{"en", english, "This button has expired. Ask the question again to get fresh sources."},
		{"", english, "This button has expired. Ask the question again to get fresh sources."},
		{"de", english, "This button has expired. Ask the question again to get fresh sources."},
		{"ru", russian, "Срок действия этой кнопки истёк. Задайте вопрос ещё раз, чтобы получить источники."},
		{"ru-RU", russian, "Срок действия этой кнопки истёк. Задайте вопрос ещё раз, чтобы получить источники."},
	} {
		t.Run("lang="+tc.lang, func(t *testing.T) {
			user := int64(100 + i)
			for _, p := range tc.phrases {
				msg := h.ask(privateText(user, tc.lang, p.text))
				if s := shown(text(msg)); !strings.Contains(s, p.want) {
					t.Errorf("%.30q: reply %q lacks %q", p.text, s, p.want)
				}
				if strings.HasPrefix(tc.lang, "ru") && strings.Contains(shown(text(msg)), "Sources") {
					t.Errorf("%.30q: English label in a Russian reply", p.text)
				}
			}
			if cb := h.press(user, user, tc.lang, "s:gone:0"); cb.Params["text"] != tc.expired {
				t.Errorf("expired button: %q, want %q", cb.Params["text"], tc.expired)
			}
		})
	}
}
