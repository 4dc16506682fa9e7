package bot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/go-telegram/bot/models"
)

// maxPending bounds the jobs waiting in one chat: a chat that floods the
// bot loses its excess, the other chats are not held up.
const maxPending = 100

// job is the work an update makes, run in its chat's turn (or at once).
type job struct {
	update int64
	run    func(ctx context.Context)
	// recovered tells the user that run panicked; may be nil.
	recovered func(ctx context.Context)
}

// queues runs jobs in order within a chat and chats in parallel: one
// goroutine per chat with work, ended when its queue is empty. go-telegram/bot
// would run every update in a goroutine of its own, in no order.
type queues struct {
	log *slog.Logger

	mu    sync.Mutex
	chats map[int64]*chatQueue
	wg    sync.WaitGroup
}

type chatQueue struct{ pending []job }

func newQueues(log *slog.Logger) *queues {
	return &queues{log: log, chats: map[int64]*chatQueue{}}
}

// push queues j behind the chat's earlier jobs; ctx is the context it runs
// with. It reports false when the chat's queue is full and j was dropped.
func (q *queues) push(ctx context.Context, chat int64, j job) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	cq := q.chats[chat]
	if cq == nil {
		cq = &chatQueue{}
		q.chats[chat] = cq
		q.wg.Add(1)
		go q.work(ctx, chat, cq)
	}
	if len(cq.pending) >= maxPending {
		q.log.Warn("telegram: chat floods the bot; update dropped", "chat", chat, "update", j.update)
		return false
	}
	cq.pending = append(cq.pending, j)
	return true
}

// now runs j at once, outside any chat's order (answering a button press,
// which Telegram wants within seconds), counted for wait.
func (q *queues) now(ctx context.Context, j job) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.run(ctx, j)
	}()
}

func (q *queues) work(ctx context.Context, chat int64, cq *chatQueue) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(cq.pending) == 0 {
			delete(q.chats, chat)
			q.mu.Unlock()
			return
		}
		j := cq.pending[0]
		cq.pending[0] = job{}
		cq.pending = cq.pending[1:]
		q.mu.Unlock()
		q.run(ctx, j)
	}
}

// run runs one job; a panic is logged, the user told, and the chat goes on.
func (q *queues) run(ctx context.Context, j job) {
	defer func() {
		if v := recover(); v != nil {
			q.log.Error("telegram: handler panicked", "update", j.update, "panic", v, "stack", string(debug.Stack()))
			if j.recovered != nil {
				q.safely(func() { j.recovered(ctx) })
			}
		}
	}()
	j.run(ctx)
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

// pending counts the jobs not started yet.
func (q *queues) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, cq := range q.chats {
		n += len(cq.pending)
	}
	return n
}

// wait returns when every job has run.
func (q *queues) wait() { q.wg.Wait() }

// chatOf is the chat an update's answer goes to (0 for kinds citebot
// ignores).
func chatOf(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if im := u.CallbackQuery.Message.InaccessibleMessage; im != nil {
			return im.Chat.ID
		}
		return u.CallbackQuery.From.ID
	}
	return 0
}
