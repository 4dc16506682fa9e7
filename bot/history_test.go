package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"citebot/answer"
)

// historyLibrary records the conversation each question came with.
type historyLibrary struct {
	*testLibrary
	mu   sync.Mutex
	seen [][]answer.Turn
}

func (l *historyLibrary) AskStream(ctx context.Context, q string, k int, onText func(string)) (answer.Answer, error) {
	l.mu.Lock()
	l.seen = append(l.seen, answer.History(ctx))
	l.mu.Unlock()
	return l.testLibrary.AskStream(ctx, q, k, onText)
}

// A chat's earlier question and answer go with its next question (for a
// language model to read a follow-up); other chats' do not.
func TestFollowUpCarriesHistory(t *testing.T) {
	f := newFakeAPI(t)
	lib := &historyLibrary{testLibrary: newTestLibrary(t)}
	startBot(t, f, lib, Config{})
	f.push(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	f.waitFor(t, "the first answer", func() bool { return len(f.callsOf("sendMessage")) >= 1 })
	f.push(privateText(42, "en", "And where did the boats winter?"))
	f.waitFor(t, "the second answer", func() bool { return len(f.callsOf("sendMessage")) >= 2 })
	f.push(privateText(7, "en", "And where did the boats winter?"))
	f.waitFor(t, "the other chat's answer", func() bool { return len(f.callsOf("sendMessage")) >= 3 })
	lib.mu.Lock()
	defer lib.mu.Unlock()
	if len(lib.seen) != 3 || len(lib.seen[0]) != 0 || len(lib.seen[2]) != 0 {
		t.Fatalf("histories %v: want none for first questions", lib.seen)
	}
	h := lib.seen[1]
	if len(h) != 2 || h[0].Role != "user" || h[0].Text != "When did the harbour of Vardø freeze?" || h[1].Role != "assistant" || h[1].Text == "" {
		t.Errorf("follow-up's history %+v", h)
	}
}

func TestHistoriesExpireAndBound(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	h := newHistories(func() time.Time { return now })
	one := conversation{chat: 1}
	for i := range 5 {
		h.add(one, "q", "a")
		if n := len(h.get(one)); n > answer.MaxTurns || n != min(2*(i+1), answer.MaxTurns) {
			t.Errorf("after %d turns: %d kept", i+1, n)
		}
	}
	now = now.Add(historyTTL + time.Minute)
	if got := h.get(one); got != nil {
		t.Errorf("an old conversation was kept: %v", got)
	}
	for i := range maxHistoryChats + 5 {
		h.add(conversation{chat: int64(i)}, "q", "a")
	}
	if len(h.chats) > maxHistoryChats {
		t.Errorf("%d chats remembered, want at most %d", len(h.chats), maxHistoryChats)
	}
}
