package bot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/go-telegram/bot/models"
)

// maxPending bounds the updates waiting in one chat: a chat that floods
// the bot loses its excess, the other chats are not held up.
const maxPending = 100

// queues runs updates in order within a chat and chats in parallel: one
// goroutine per chat with work, ended when its queue is empty. go-telegram/bot
// would run every update in a goroutine of its own, in no order.
type queues struct {
	handle func(ctx context.Context, u *models.Update)
	// recovered tells the user something went wrong after a handler's
	// panic; may be nil.
	recovered func(ctx context.Context, u *models.Update)
	log       *slog.Logger

	mu    sync.Mutex
	chats map[int64]*chatQueue
	wg    sync.WaitGroup
}

type chatQueue struct{ pending []*models.Update }

func newQueues(handle func(context.Context, *models.Update), log *slog.Logger) *queues {
	return &queues{handle: handle, log: log, chats: map[int64]*chatQueue{}}
}

// push queues u behind the chat's earlier updates. ctx is the context the
// update is handled with.
func (q *queues) push(ctx context.Context, u *models.Update) {
	id := chatID(u)
	q.mu.Lock()
	defer q.mu.Unlock()
	cq := q.chats[id]
	if cq == nil {
		cq = &chatQueue{}
		q.chats[id] = cq
		q.wg.Add(1)
		go q.work(ctx, id, cq)
	}
	if len(cq.pending) >= maxPending {
		q.log.Warn("telegram: chat floods the bot; update dropped", "chat", id, "update", u.ID)
		return
	}
	cq.pending = append(cq.pending, u)
}

func (q *queues) work(ctx context.Context, id int64, cq *chatQueue) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(cq.pending) == 0 {
			delete(q.chats, id)
			q.mu.Unlock()
			return
		}
		u := cq.pending[0]
		cq.pending[0] = nil
		cq.pending = cq.pending[1:]
		q.mu.Unlock()
		q.run(ctx, u)
	}
}

// run handles one update; a panic is logged, the user told, and the chat
// goes on.
func (q *queues) run(ctx context.Context, u *models.Update) {
	defer func() {
		if v := recover(); v != nil {
			q.log.Error("telegram: handler panicked", "update", u.ID, "panic", v, "stack", string(debug.Stack()))
			if q.recovered != nil {
				q.safely(func() { q.recovered(ctx, u) })
			}
		}
	}()
	q.handle(ctx, u)
}

// safely runs f, logging rather than propagating a panic.
func (q *queues) safely(f func()) {
	defer func() {
		if v := recover(); v != nil {
			q.log.Error("telegram: panic while reporting a panic", "panic", v)
		}
	}()
	f()
}

// wait returns when every queued update has been handled.
func (q *queues) wait() { q.wg.Wait() }

// chatID is the chat an update belongs to (0 for kinds citebot ignores,
// which then share one queue).
func chatID(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		} else if im := u.CallbackQuery.Message.InaccessibleMessage; im != nil {
			return im.Chat.ID // the chat onCallback answers in
		}
		return u.CallbackQuery.From.ID
	}
	return 0
}
