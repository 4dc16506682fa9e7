package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"golang.org/x/time/rate"
)

// sendLimits are flood limits for sending: Telegram's (telegramLimits), or
// faster ones in tests.
type sendLimits struct {
	PerChat  rate.Limit // private chats
	PerGroup rate.Limit
	Global   rate.Limit
	// MaxRetries bounds the resends after Telegram answers 429.
	MaxRetries int
}

// telegramLimits are Telegram's flood limits (its FAQ: about one message a
// second in a chat, twenty a minute in a group, thirty a second in all).
var telegramLimits = sendLimits{PerChat: 1, PerGroup: rate.Every(3 * time.Second), Global: 30, MaxRetries: 3}

// sender paces outgoing requests and honours 429 retry_after, which
// go-telegram/bot reports but does not act on.
type sender struct {
	limits sendLimits
	global *rate.Limiter
	log    *slog.Logger
	sleep  func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	chats map[int64]*chatLimiter
}

type chatLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

func newSender(l sendLimits, log *slog.Logger) *sender {
	return &sender{limits: l, global: rate.NewLimiter(l.Global, max(1, int(l.Global))), log: log,
		sleep: sleepCtx, chats: map[int64]*chatLimiter{}}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// chat returns the chat's limiter: groups (negative ids) get the group
// rate, private chats the per-chat one. Idle limiters are dropped.
func (s *sender) chat(id int64) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(s.chats) > 10_000 {
		for k, c := range s.chats {
			if now.Sub(c.used) > time.Minute {
				delete(s.chats, k)
			}
		}
	}
	c := s.chats[id]
	if c == nil {
		r, burst := s.limits.PerChat, 2
		if id < 0 {
			r, burst = s.limits.PerGroup, 3
		}
		c = &chatLimiter{lim: rate.NewLimiter(r, burst)}
		s.chats[id] = c
	}
	c.used = now
	return c.lim
}

// once runs one Bot API call that is not worth waiting for: paced overall,
// never retried (a chat action, a callback's answer).
func (s *sender) once(ctx context.Context, call func(ctx context.Context) error) error {
	if err := s.global.Wait(ctx); err != nil {
		return err
	}
	return call(ctx)
}

// do runs one Bot API call for a chat (0: no chat limit, e.g. answering
// a callback), waiting its turn, and again as long as Telegram says 429.
func (s *sender) do(ctx context.Context, chat int64, call func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if chat != 0 {
			if err := s.chat(chat).Wait(ctx); err != nil {
				return err
			}
		}
		if err := s.global.Wait(ctx); err != nil {
			return err
		}
		err := call(ctx)
		var tooMany *tg.TooManyRequestsError
		if !errors.As(err, &tooMany) || attempt >= s.limits.MaxRetries {
			return err
		}
		wait := time.Duration(max(1, tooMany.RetryAfter)) * time.Second
		s.log.Warn("telegram: rate limited by Telegram; waiting", "chat", chat, "retry_after_s", tooMany.RetryAfter)
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}
