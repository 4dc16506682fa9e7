package bot

import (
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"citebot/answer"
)

// historyTTL is how long a chat's last turns are remembered: a follow-up
// ("and when did it enter into force?") comes within minutes.
const historyTTL = 30 * time.Minute

// maxHistoryChats bounds the chats remembered; the stalest go first.
const maxHistoryChats = 10_000

// histories keeps each chat's last turns, so that a language model can
// read a follow-up in their light.
type histories struct {
	mu    sync.Mutex
	now   func() time.Time
	chats map[conversation]*chatHistory
}

// conversation is whose turns follow each other: a private chat, or in a
// group one person in one topic (others' questions are not their context).
type conversation struct {
	chat   int64
	thread int
	user   int64
}

type chatHistory struct {
	turns []answer.Turn
	at    time.Time
}

func newHistories(now func() time.Time) *histories {
	return &histories{now: now, chats: map[conversation]*chatHistory{}}
}

// get returns a copy of the chat's recent turns.
func (h *histories) get(chat conversation) []answer.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.chats[chat]
	if !ok || h.now().Sub(c.at) > historyTTL {
		return nil
	}
	return append([]answer.Turn(nil), c.turns...)
}

// add records a question and its answer.
func (h *histories) add(chat conversation, question, reply string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if len(h.chats) >= maxHistoryChats {
		for id, c := range h.chats {
			if now.Sub(c.at) > historyTTL {
				delete(h.chats, id)
			}
		}
		if len(h.chats) >= maxHistoryChats {
			clear(h.chats) // all recent: a flood; forgetting is harmless
		}
	}
	c := h.chats[chat]
	if c == nil || now.Sub(c.at) > historyTTL {
		c = &chatHistory{}
		h.chats[chat] = c
	}
	c.turns = append(c.turns, answer.Turn{Role: "user", Text: question}, answer.Turn{Role: "assistant", Text: reply})
	if len(c.turns) > answer.MaxTurns {
		c.turns = append([]answer.Turn(nil), c.turns[len(c.turns)-answer.MaxTurns:]...)
	}
	c.at = now
}

func conversationOf(m *models.Message) conversation {
	c := conversation{chat: m.Chat.ID}
	if m.IsTopicMessage {
		c.thread = m.MessageThreadID
	}
	if m.Chat.Type != models.ChatTypePrivate && m.From != nil {
		c.user = m.From.ID
	}
	return c
}
