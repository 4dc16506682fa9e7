// Package bot is citebot's Telegram front end, on github.com/go-telegram/bot:
// questions in private chats and, when the bot is addressed, in groups;
// answers in HTML (laid out by bot/tghtml) with their sources listed and a
// button per source that shows the full passage; refusals that offer the
// closest passages.
//
// go-telegram/bot (v1.19.0) runs each update in its own goroutine with no
// panic recovery, misses "/cmd@name" and mis-counts entity offsets (which
// are UTF-16 units), reports a 429's retry_after without acting on it, and
// gives every inline button a copy_text that makes callback data invalid.
// So here updates are queued per chat (in order within a chat, chats in
// parallel), a handler's panic is recovered, commands and mentions are
// matched by hand, sends are paced and a 429's retry_after is honoured, and
// the inline keyboard is serialized by our own types. Webhook updates are
// checked against the secret before anything else.
package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"citebot/corpus"
)

// Config holds the bot's settings.
type Config struct {
	Token string
	// APIURL is the Bot API server; empty means Telegram's.
	APIURL string
	// Allow, when not empty, lists the user and chat ids that are answered.
	Allow []int64
	// Admins may run /reindex, send documents to add them, /remove and
	// /documents.
	Admins []int64
	// Documents is the documents folder the admins' files go into; nil:
	// there is none (a replica serving a shared store), and the bot says
	// so.
	Documents Documents
	// WebhookURL switches from long polling to a webhook: Telegram posts
	// updates to this URL, which must reach WebhookHandler. WebhookSecret
	// is the token Telegram sends back with each (random when empty).
	WebhookURL, WebhookSecret string
	// K is the number of passages retrieved per question.
	K int
	// DrainTimeout bounds the wait for updates in hand at shutdown
	// (default 10 s).
	DrainTimeout time.Duration
	Logger       *slog.Logger

	// The rest keep their defaults in service; tests, which cannot wait
	// that long, shorten them.

	// limits pace the sends; zero rates take telegramLimits' (and
	// MaxRetries too when all the fields are zero).
	limits sendLimits
	// buttonTTL is how long source buttons work (default 48 h).
	buttonTTL time.Duration
	// pollTimeout is the long-polling timeout (default 50 s).
	pollTimeout time.Duration
}

// Bot is a running Telegram bot.
type Bot struct {
	cfg     Config
	lib     corpus.Library
	log     *slog.Logger
	api     *tg.Bot
	me      *models.User
	queues  *queues
	buttons *buttons
	send    *sender
	files   *http.Client // downloads of the files admins send
	allow   map[int64]bool
	admins  map[int64]bool
	secret  string
	// typingEvery renews "typing…" while answering.
	typingEvery time.Duration

	examples *corpus.Examples // shown by /start
	history  *histories

	mu   sync.Mutex
	work context.Context // handlers run in it; set by Run
}

// New returns the bot, not yet running and not yet connected: Run asks
// Telegram who the bot is, retrying while Telegram cannot be reached, so
// that an outage of Telegram never keeps the rest of the service down.
func New(ctx context.Context, cfg Config, lib corpus.Library) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if cfg.K == 0 {
		cfg.K = 5
	}
	if cfg.limits == (sendLimits{}) {
		cfg.limits = telegramLimits
	}
	// A zero rate would let one message through, then block for ever.
	if cfg.limits.PerChat == 0 {
		cfg.limits.PerChat = telegramLimits.PerChat
	}
	if cfg.limits.PerGroup == 0 {
		cfg.limits.PerGroup = telegramLimits.PerGroup
	}
	if cfg.limits.Global == 0 {
		cfg.limits.Global = telegramLimits.Global
	}
	if cfg.buttonTTL == 0 {
		cfg.buttonTTL = 48 * time.Hour
	}
	if cfg.pollTimeout == 0 {
		cfg.pollTimeout = 50 * time.Second
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	b := &Bot{cfg: cfg, lib: lib, log: log, allow: idSet(cfg.Allow), admins: idSet(cfg.Admins),
		buttons: newButtons(cfg.buttonTTL, buttonBytes, time.Now), send: newSender(cfg.limits, log), secret: cfg.WebhookSecret,
		typingEvery: typingEvery, files: &http.Client{Timeout: 5 * time.Minute}}
	b.queues = newQueues(log)
	b.history = newHistories(time.Now)
	b.examples = corpus.NewExamples(lib, cfg.K, maxExamples)
	if cfg.WebhookURL != "" && b.secret == "" {
		var raw [24]byte
		rand.Read(raw[:])
		b.secret = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	opts := []tg.Option{
		tg.WithSkipGetMe(), // called below, with the caller's context
		// One worker handing updates, in order, to the per-chat queues.
		tg.WithNotAsyncHandlers(), tg.WithWorkers(1),
		tg.WithDefaultHandler(func(ctx context.Context, _ *tg.Bot, u *models.Update) { b.push(u) }),
		tg.WithErrorsHandler(func(err error) { log.Warn("telegram: bot API", "err", err) }),
		tg.WithAllowedUpdates(tg.AllowedUpdates{"message", "callback_query"}),
		// The client's timeout must outlast a long poll.
		tg.WithHTTPClient(cfg.pollTimeout, &http.Client{Timeout: cfg.pollTimeout + 15*time.Second}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, tg.WithServerURL(cfg.APIURL))
	}
	api, err := tg.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	b.api = api
	return b, nil
}

// retry calls f until it succeeds or ctx ends, waiting longer after each
// failure (1 s doubling to a minute); every failure is logged.
func (b *Bot) retry(ctx context.Context, what string, f func(ctx context.Context) error) error {
	wait := time.Second
	for {
		err := f(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		level := slog.LevelWarn
		if errors.Is(err, tg.ErrorUnauthorized) || errors.Is(err, tg.ErrorNotFound) {
			level = slog.LevelError // a wrong token: the operator must act
		}
		b.log.Log(ctx, level, "telegram: "+what+" failed; retrying", "err", err, "in", wait)
		if sleepCtx(ctx, wait) != nil {
			return ctx.Err()
		}
		wait = min(2*wait, time.Minute)
	}
}

// buttonBytes bounds the passage text kept behind source buttons: some
// tens of thousands of answers' worth.
const buttonBytes = 64 << 20

// typingEvery is how often "typing…" is renewed (Telegram clears it after
// five seconds); tests shorten it.
var typingEvery = 4 * time.Second

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Run asks Telegram who the bot is (retrying until it answers), receives
// updates until ctx is canceled (long polling, or the webhook when
// configured), then lets the updates in hand finish (up to DrainTimeout)
// and returns.
func (b *Bot) Run(ctx context.Context) error {
	err := b.retry(ctx, "getMe (is TELEGRAM_BOT_TOKEN right?)", func(ctx context.Context) error {
		me, err := b.api.GetMe(ctx)
		b.me = me
		return err
	})
	if err != nil {
		return nil // stopped before Telegram answered; nothing was taken
	}
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	b.mu.Lock()
	b.work = work
	b.mu.Unlock()

	if b.cfg.WebhookURL != "" {
		// Until Telegram has the webhook, it sends nothing; while it
		// cannot be reached, keep trying (the rest of the service serves).
		err := b.retry(ctx, "setWebhook "+b.cfg.WebhookURL, func(ctx context.Context) error {
			_, err := b.api.SetWebhook(ctx, &tg.SetWebhookParams{URL: b.cfg.WebhookURL, SecretToken: b.secret,
				AllowedUpdates: []string{"message", "callback_query"}})
			return err
		})
		if err == nil {
			b.log.Info("telegram: receiving updates by webhook", "bot", b.me.Username, "url", b.cfg.WebhookURL)
			<-ctx.Done()
		}
		// The webhook stays set: Telegram keeps the updates that come
		// while the service restarts.
	} else {
		// Long polling fails while a webhook is set (409 Conflict).
		if _, err := b.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
			b.log.Warn("telegram: deleteWebhook", "err", err)
		}
		b.log.Info("telegram: receiving updates by long polling", "bot", b.me.Username)
		b.api.Start(ctx)
	}

	// No more updates from here on: a webhook update that came now could
	// be accepted (200) and then lost when the handlers stop; refused
	// (503), Telegram sends it again. Updates in hand are finished.
	b.mu.Lock()
	b.work = nil
	b.mu.Unlock()

	drained := make(chan struct{})
	go func() { b.queues.wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(b.cfg.DrainTimeout):
		b.log.Warn("telegram: updates still in hand after the drain timeout; stopping them",
			"not_started", b.queues.pending())
		cancel()
		select {
		case <-drained:
		case <-time.After(5 * time.Second):
			b.log.Error("telegram: handlers did not stop; leaving them")
		}
	}
	b.log.Info("telegram: stopped")
	return nil
}

// push takes an update: a message is queued in its chat's turn; a button
// press is acknowledged at once (Telegram wants that within seconds, and
// the chat's queue may be long) and the passage it asks for queued. The
// lock is held throughout, so that nothing is queued once Run has stopped
// taking work.
func (b *Bot) push(u *models.Update) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	work := b.work
	if work == nil || work.Err() != nil {
		return false
	}
	switch {
	case u.Message != nil:
		m := u.Message
		b.queues.push(work, m.Chat.ID, job{update: u.ID,
			run:       func(ctx context.Context) { b.onMessage(ctx, m) },
			recovered: func(ctx context.Context) { b.apologize(ctx, u) }})
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		b.queues.now(work, job{update: u.ID,
			run: func(ctx context.Context) {
				if show := b.onCallback(ctx, cq); show != nil {
					b.queues.push(work, chatOf(u), job{update: u.ID, run: show})
				}
			},
			recovered: func(ctx context.Context) { b.apologize(ctx, u) }})
	}
	return true
}

// WebhookHandler receives updates that Telegram posts. A request without
// the right X-Telegram-Bot-Api-Secret-Token is refused (401) and not
// processed.
func (b *Bot) WebhookHandler() http.Handler {
	want := sha256.Sum256([]byte(b.secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")))
		if b.cfg.WebhookURL == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			webhookError(w, http.StatusUnauthorized, "unauthorized", "wrong or missing X-Telegram-Bot-Api-Secret-Token")
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			webhookError(w, http.StatusRequestEntityTooLarge, "body_too_large", "an update is at most 1 MiB")
			return
		}
		var u models.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			webhookError(w, http.StatusBadRequest, "bad_json", "not a Telegram update: "+err.Error())
			return
		}
		if !b.push(&u) {
			webhookError(w, http.StatusServiceUnavailable, "not_running", "the bot is not running; Telegram will retry")
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// webhookError answers with the error object of the HTTP API.
func webhookError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": message}})
}
