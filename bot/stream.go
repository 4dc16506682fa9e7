package bot

import (
	"context"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"citebot/answer"
	"citebot/bot/tghtml"
)

// editEvery is the least time between two edits of a growing answer
// (Telegram's limit is about one message a second per chat).
var editEvery = time.Second

// growing shows an answer while it is written (a language model's): once
// it has come in more than one piece and a second has passed, the text so
// far is sent, then the message is edited as more comes, at most once per
// editEvery, by a goroutine of its own, so that the model's stream is never
// held up by Telegram's pace. An answer that comes at once is sent the
// ordinary way, in one go.
type growing struct {
	b     *Bot
	to    target
	start time.Time

	mu      sync.Mutex
	text    strings.Builder
	pieces  int
	started bool
	stop    chan struct{}
	done    chan struct{}

	// Used by the editing goroutine, then by finish once it has stopped.
	msgID int // the message being grown, 0 before it is sent
	shown string
	edit  time.Time
}

func (b *Bot) newGrowing(to target) *growing {
	return &growing{b: b, to: to, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
}

// add takes the next piece of the answer's text; the editing goroutine
// it may start stops when ctx is done.
func (g *growing) add(ctx context.Context, piece string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.text.WriteString(piece)
	g.pieces++
	if g.pieces >= 2 && !g.started {
		g.started = true
		go g.loop(ctx)
	}
}

func (g *growing) loop(ctx context.Context) {
	defer close(g.done)
	t := time.NewTicker(editEvery / 4)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			g.show(ctx)
		}
	}
}

// show sends or edits the message with the text so far, plain and
// escaped, within one message.
func (g *growing) show(ctx context.Context) {
	now := time.Now()
	if now.Sub(g.start) < editEvery || now.Sub(g.edit) < editEvery {
		return
	}
	g.mu.Lock()
	cur := g.text.String()
	g.mu.Unlock()
	msgs := tghtml.Split(tghtml.Plain(cur+" …", ""), maxMessage)
	if len(msgs) == 0 || msgs[0] == g.shown {
		return
	}
	g.edit, g.shown = now, msgs[0]
	if g.msgID == 0 {
		g.msgID = g.b.sendOne(ctx, g.to, msgs[0], nil)
		return
	}
	g.b.editOne(ctx, g.to.chat, g.msgID, msgs[0], nil)
}

// finish replaces the growing message with the final answer (its first
// part, with the keyboard when it is the only one) and sends the rest; or
// sends everything when nothing was shown yet, or when the last edit fails.
func (g *growing) finish(ctx context.Context, blocks []tghtml.Block, kb *inlineKeyboard) {
	g.mu.Lock()
	started := g.started
	g.mu.Unlock()
	if started {
		close(g.stop)
		<-g.done
	}
	if g.msgID == 0 {
		g.b.sendBlocks(ctx, g.to, blocks, kb)
		return
	}
	msgs := tghtml.Split(blocks, maxMessage)
	if len(msgs) == 0 {
		return
	}
	var first *inlineKeyboard
	if len(msgs) == 1 {
		first = kb
	}
	if wait := editEvery - time.Since(g.edit); wait > 0 {
		sleepCtx(ctx, wait)
	}
	if !g.b.editOne(ctx, g.to.chat, g.msgID, msgs[0], first) {
		g.b.sendBlocks(ctx, g.to, blocks, kb) // the partial one stays; the whole answer follows
		return
	}
	rest := g.to
	rest.replyTo = 0
	for i, text := range msgs[1:] {
		var k *inlineKeyboard
		if i == len(msgs)-2 {
			k = kb
		}
		g.b.sendOne(ctx, rest, text, k)
	}
}

// sendOne sends one HTML message and returns its id (0 when it failed).
func (b *Bot) sendOne(ctx context.Context, to target, text string, kb *inlineKeyboard) int {
	params := &tg.SendMessageParams{ChatID: to.chat, MessageThreadID: to.thread, Text: text, ParseMode: models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()}}
	if to.replyTo != 0 {
		params.ReplyParameters = &models.ReplyParameters{MessageID: to.replyTo, AllowSendingWithoutReply: true}
	}
	if kb != nil {
		params.ReplyMarkup = kb
	}
	var id int
	err := b.send.do(ctx, to.chat, func(ctx context.Context) error {
		m, err := b.api.SendMessage(ctx, params)
		if err == nil && m != nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		b.log.Error("telegram: sendMessage", "chat", to.chat, "err", err)
	}
	return id
}

// editOne replaces a message's text (and keyboard), reporting success.
func (b *Bot) editOne(ctx context.Context, chat int64, id int, text string, kb *inlineKeyboard) bool {
	params := &tg.EditMessageTextParams{ChatID: chat, MessageID: id, Text: text, ParseMode: models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()}}
	if kb != nil {
		params.ReplyMarkup = kb
	}
	err := b.send.do(ctx, chat, func(ctx context.Context) error {
		_, err := b.api.EditMessageText(ctx, params)
		return err
	})
	if err != nil {
		b.log.Warn("telegram: editMessageText", "chat", chat, "err", err)
	}
	return err == nil
}

// askGrowing asks with the answer shown in g as it is written.
func (b *Bot) askGrowing(ctx context.Context, g *growing, question string) (answer.Answer, error) {
	return b.lib.AskStream(ctx, question, b.cfg.K, func(piece string) { g.add(ctx, piece) })
}
