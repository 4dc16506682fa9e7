package bot

import (
	"sync"
	"time"

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
	chats map[int64]*chatHistory
}

type chatHistory struct {
	turns []answer.Turn
	at    time.Time
}

func newHistories(now func() time.Time) *histories {
	return &histories{now: now, chats: map[int64]*chatHistory{}}
}

// get returns a copy of the chat's recent turns.
func (h *histories) get(chat int64) []answer.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.chats[chat]
	if !ok || h.now().Sub(c.at) > historyTTL {
		return nil
	}
	return append([]answer.Turn(nil), c.turns...)
}

// add records a question and its answer.
func (h *histories) add(chat int64, question, reply string) {
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
