package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"citebot/answer"
	"citebot/bot/tghtml"
	"citebot/corpus"
	"citebot/document"
)

const (
	// maxMessage is Telegram's limit on a message's text, in UTF-16 units.
	maxMessage = 4096
	quoteChars = 160 // the short quote under each source
)

// onMessage handles a message, in its chat's turn.
func (b *Bot) onMessage(ctx context.Context, m *models.Message) {
	if m.From == nil || (strings.TrimSpace(m.Text) == "" && m.Document == nil) {
		return // channel posts, stickers and photos
	}
	if m.From.IsBot && m.SenderChat == nil {
		// Other bots. An anonymous group admin, or a channel writing in
		// its discussion group, comes as a bot user on behalf of a chat.
		return
	}
	p := lang(m.From.LanguageCode)
	private := m.Chat.Type == models.ChatTypePrivate
	if m.Document != nil {
		if private {
			b.receiveDocument(ctx, m, p)
		}
		return // a file shared in a group is not for the bot
	}
	cmd, args, other := command(m.Text, b.me.Username)
	if other {
		return // "/help@otherbot"
	}
	question := stripMention(args, b.me.Username)
	if cmd == "" {
		q, addressed := b.addressed(m)
		if !private && !addressed {
			return // group chatter not meant for the bot
		}
		question = q
	}
	if !b.allowed(m.From.ID, m.Chat.ID) {
		b.reply(ctx, m, textBlocks(p.notAllowed), nil)
		return
	}
	switch cmd {
	case "start":
		b.greet(ctx, m, p)
	case "help":
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.help, "@"+b.me.Username)), nil)
	case "sources":
		b.sources(ctx, m, p)
	case "reindex":
		b.reindex(ctx, m, p)
	case "documents":
		b.listDocuments(ctx, m, p)
	case "remove":
		b.removeDocument(ctx, m, p, args)
	case "ask", "":
		if strings.TrimSpace(question) == "" {
			b.reply(ctx, m, textBlocks(p.askUsage), nil)
			return
		}
		b.answer(ctx, m, p, question)
	default:
		if private {
			b.reply(ctx, m, textBlocks(fmt.Sprintf(p.help, "@"+b.me.Username)), nil)
		}
	}
}

// command splits "/ask@citebot_bot When …?" into "ask" and "When …?". other
// is true for a command addressed to another bot. Not a command: "", text.
// go-telegram/bot's own matching misses "/cmd@name".
func command(text, me string) (cmd, args string, other bool) {
	if !strings.HasPrefix(text, "/") {
		return "", text, false
	}
	head, rest, _ := strings.Cut(text[1:], " ")
	if h, r, ok := strings.Cut(head, "\n"); ok {
		head, rest = h, r+" "+rest
	}
	name, target, _ := strings.Cut(head, "@")
	if target != "" && !strings.EqualFold(target, me) {
		return "", "", true
	}
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) }) >= 0 {
		return "", text, false // "/ not a command", a path like /usr/bin
	}
	return strings.ToLower(name), strings.TrimSpace(rest), false
}

// addressed says whether a group message is for the bot (it mentions the
// bot, or replies to one of its messages) and returns the question with
// the mention taken out.
func (b *Bot) addressed(m *models.Message) (string, bool) {
	text := m.Text
	mentioned := false
	// Entity offsets count UTF-16 units; cut from the end so that earlier
	// offsets stay valid.
	for i := len(m.Entities) - 1; i >= 0; i-- {
		e := m.Entities[i]
		s, end, ok := utf16Span(text, e.Offset, e.Length)
		if !ok {
			continue
		}
		isMe := e.Type == models.MessageEntityTypeMention && strings.EqualFold(text[s:end], "@"+b.me.Username) ||
			e.Type == models.MessageEntityTypeTextMention && e.User != nil && e.User.ID == b.me.ID
		if isMe {
			mentioned = true
			text = text[:s] + text[end:]
		}
	}
	reply := m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == b.me.ID
	q := strings.TrimLeftFunc(strings.TrimSpace(text), func(r rune) bool { return r == ',' || r == ':' || unicode.IsSpace(r) })
	return q, mentioned || reply
}

// allowed says whether a user in a chat is answered: everyone when no
// allow list is set, else the listed users and chats, and the admins.
func (b *Bot) allowed(user, chat int64) bool {
	return len(b.allow) == 0 || b.allow[user] || b.allow[chat] || b.admins[user]
}

// stripMention takes "@botname" out of a command's text ("/ask @bot When …").
func stripMention(text, me string) string {
	var out []string
	for _, f := range strings.Fields(text) {
		if !strings.EqualFold(strings.TrimRight(f, ",:"), "@"+me) {
			out = append(out, f)
		}
	}
	if len(out) == len(strings.Fields(text)) {
		return text // keep the asker's spacing when there is nothing to strip
	}
	return strings.Join(out, " ")
}

// utf16Span converts a Telegram entity's UTF-16 offset and length into byte
// offsets of s.
func utf16Span(s string, off, n int) (start, end int, ok bool) {
	if off < 0 || n <= 0 {
		return 0, 0, false
	}
	units, start := 0, -1
	for i, r := range s {
		if units == off {
			start = i
		}
		if units == off+n {
			return start, i, start >= 0
		}
		// A real U+FFFD is one unit (Telegram's text is valid UTF-8).
		units += max(1, utf16.RuneLen(r))
	}
	if units == off+n && start >= 0 {
		return start, len(s), true
	}
	return 0, 0, false
}

// answer answers a question: typing while working, then the answer with
// its sources and a button per source.
func (b *Bot) answer(ctx context.Context, m *models.Message, p *phrases, question string) {
	if n := utf8.RuneCountInString(question); n > document.MaxQuestionChars {
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.tooLong, document.MaxQuestionChars)), nil)
		return
	}
	grow := b.newGrowing(replyTarget(m))
	a, err := func() (answer.Answer, error) {
		// Deferred: a panicking Ask must not leave "typing…" renewed forever.
		defer b.typing(ctx, replyTarget(m))()
		return b.askGrowing(answer.WithHistory(ctx, b.history.get(conversationOf(m))), grow, question)
	}()
	switch {
	case errors.Is(err, corpus.ErrNotReady):
		b.reply(ctx, m, textBlocks(p.notReady), nil)
		return
	case errors.Is(err, answer.ErrEmptyQuestion), errors.Is(err, answer.ErrInvalidQuestion):
		b.reply(ctx, m, textBlocks(p.badQuestion), nil)
		return
	case err != nil:
		b.log.Error("telegram: answer failed", "chat", m.Chat.ID, "err", err)
		b.reply(ctx, m, textBlocks(p.failed), nil)
		return
	}
	b.log.Info("telegram: answered", "chat", m.Chat.ID, "found", a.Found, "mode", a.Mode, "citations", len(a.Citations))
	b.history.add(conversationOf(m), question, a.Answer)
	if !a.Found {
		a.Answer = p.notFound // the refusal in the user's language
	}
	srcs := answerSources(a)
	for i := range srcs {
		srcs[i].Thread = replyTarget(m).thread
	}
	blocks := tghtml.Answer(a, p.labels, quoteChars)
	if a.Note != "" {
		blocks = append(blocks, tghtml.Block{Spans: []tghtml.Span{{Text: a.Note, Style: "i"}}})
	}
	grow.finish(ctx, blocks, b.keyboard(srcs))
}

// answerSources are the sources a button may show: for an answer, each
// citation's full passage; for a refusal, the closest passages.
func answerSources(a answer.Answer) []source {
	var out []source
	if a.Found {
		for _, c := range a.Citations {
			s := source{N: c.N, Document: c.Document, Title: c.Title, LineStart: c.LineStart, LineEnd: c.LineEnd, Page: c.Page,
				Start: c.Start, End: c.End, Text: c.Quote}
			for _, ps := range a.Passages {
				if ps.Document == c.Document && ps.Start <= c.Start && c.End <= ps.End {
					s.LineStart, s.LineEnd, s.Page, s.Start, s.End, s.Text = ps.LineStart, ps.LineEnd, ps.Page, ps.Start, ps.End, ps.Text
					break
				}
			}
			out = append(out, s)
		}
		return out
	}
	for i, ps := range a.Passages {
		if i == tghtml.ClosestShown {
			break
		}
		out = append(out, source{N: i + 1, Document: ps.Document, Title: ps.Title, LineStart: ps.LineStart, LineEnd: ps.LineEnd, Page: ps.Page, Start: ps.Start, End: ps.End, Text: ps.Text})
	}
	return out
}

// inlineKeyboard and inlineButton serialize only the fields they use:
// go-telegram/bot's button type always sends "copy_text", which makes a
// button with callback data invalid.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// keyboard puts one button per source, one per row, each labelled with
// its marker and short title.
func (b *Bot) keyboard(sources []source) *inlineKeyboard {
	if len(sources) == 0 {
		return nil
	}
	data := b.buttons.put(sources)
	kb := &inlineKeyboard{}
	for i, s := range sources {
		label := fmt.Sprintf("[%d] %s", s.N, tghtml.Quote(s.Title, 40))
		kb.InlineKeyboard = append(kb.InlineKeyboard, []inlineButton{{Text: label, CallbackData: data[i]}})
	}
	return kb
}

// onCallback answers a source button's press at once (or the user's client
// spins, and Telegram refuses late answers) and returns the job that shows
// the passage in the chat's turn; nil when there is nothing to show. An
// expired or unknown button gets a friendly note.
func (b *Bot) onCallback(ctx context.Context, cq *models.CallbackQuery) func(context.Context) {
	p := lang(cq.From.LanguageCode)
	chat := cq.From.ID
	if m := cq.Message.Message; m != nil {
		chat = m.Chat.ID
	} else if im := cq.Message.InaccessibleMessage; im != nil {
		chat = im.Chat.ID
	}
	if !b.allowed(cq.From.ID, chat) {
		b.answerCallback(ctx, cq.ID, p.notAllowed)
		return nil
	}
	src, ok := b.buttons.get(cq.Data)
	if !ok {
		// Not sent from here (another replica answered, or this one
		// restarted): the button names its passage.
		if ref, valid := parseRef(cq.Data); valid {
			if v, ready := b.lib.View(); ready {
				src, ok = ref.resolve(v)
			}
		}
	}
	if !ok {
		b.answerCallback(ctx, cq.ID, p.expired)
		return nil
	}
	b.answerCallback(ctx, cq.ID, "")
	head := tghtml.Block{Spans: []tghtml.Span{{Text: fmt.Sprintf("[%d] ", src.N)}, {Text: src.Title, Style: "b"}, {Text: "\n"},
		{Text: src.Document, Style: "i"}}}
	if lines := p.labels.Location(src.Page, src.LineStart, src.LineEnd); lines != "" {
		head.Spans = append(head.Spans, tghtml.Span{Text: ", " + lines})
	}
	blocks := append([]tghtml.Block{head}, tghtml.Plain(src.Text, "")...)
	// The topic is the answer's, kept with the button: the pressed
	// message may be too old for Telegram to say where it is.
	to := target{chat: chat, thread: src.Thread}
	return func(ctx context.Context) { b.sendBlocks(ctx, to, blocks, nil) }
}

func (b *Bot) answerCallback(ctx context.Context, id, text string) {
	err := b.send.once(ctx, func(ctx context.Context) error {
		_, err := b.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: text != ""})
		return err
	})
	if err != nil {
		b.log.Warn("telegram: answerCallbackQuery", "err", err)
	}
}

// typing shows "typing…" until stop is called (Telegram clears it after
// five seconds, so it is renewed).
func (b *Bot) typing(ctx context.Context, to target) (stop func()) {
	// Chat actions are never retried: "typing…" after a flood wait would
	// only delay the answer.
	act := func(ctx context.Context) {
		b.send.once(ctx, func(ctx context.Context) error {
			_, err := b.api.SendChatAction(ctx, &tg.SendChatActionParams{ChatID: to.chat, MessageThreadID: to.thread, Action: models.ChatActionTyping})
			return err
		})
	}
	act(ctx)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(b.typingEvery):
				act(ctx)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// target is where a reply goes: the chat, the forum topic of the message
// (or the answer lands in the group's General topic), and in groups the
// message replied to.
type target struct {
	chat    int64
	thread  int
	replyTo int
}

func replyTarget(m *models.Message) target {
	to := target{chat: m.Chat.ID}
	if m.IsTopicMessage {
		to.thread = m.MessageThreadID
	}
	if m.Chat.Type != models.ChatTypePrivate {
		to.replyTo = m.ID
	}
	return to
}

// reply sends blocks to the message's chat, split into messages; in groups
// the first replies to the question. The keyboard goes on the last.
func (b *Bot) reply(ctx context.Context, m *models.Message, blocks []tghtml.Block, kb *inlineKeyboard) {
	b.sendBlocks(ctx, replyTarget(m), blocks, kb)
}

func (b *Bot) sendBlocks(ctx context.Context, to target, blocks []tghtml.Block, kb *inlineKeyboard) {
	chat := to.chat
	msgs := tghtml.Split(blocks, maxMessage)
	for i, text := range msgs {
		params := &tg.SendMessageParams{ChatID: chat, MessageThreadID: to.thread, Text: text, ParseMode: models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()}}
		if i == 0 && to.replyTo != 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: to.replyTo, AllowSendingWithoutReply: true}
		}
		if i == len(msgs)-1 && kb != nil {
			params.ReplyMarkup = kb
		}
		err := b.send.do(ctx, chat, func(ctx context.Context) error {
			_, err := b.api.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			b.log.Error("telegram: sendMessage", "chat", chat, "part", i+1, "of", len(msgs), "err", err)
			return
		}
	}
}

// textBlocks turns one of the bot's phrases into blocks.
func textBlocks(text string) []tghtml.Block { return tghtml.Plain(text, "") }

// maxExamples is how many example questions /start shows.
const maxExamples = 3

// greet answers /start: a greeting and three example questions the
// documents answer.
func (b *Bot) greet(ctx context.Context, m *models.Message, p *phrases) {
	name := b.me.FirstName
	if name == "" {
		name = "@" + b.me.Username
	}
	blocks := textBlocks(fmt.Sprintf(p.greeting, name))
	if qs := b.examples.Questions(ctx); len(qs) > 0 {
		ex := tghtml.Block{Spans: []tghtml.Span{{Text: p.examplesHead, Style: "b"}}}
		for _, q := range qs {
			ex.Spans = append(ex.Spans, tghtml.Span{Text: "\n• "}, tghtml.Span{Text: q, Style: "i"})
		}
		blocks = append(blocks, ex)
	}
	blocks = append(blocks, textBlocks(fmt.Sprintf(p.help, "@"+b.me.Username))...)
	b.reply(ctx, m, blocks, nil)
}

// sources answers /sources with the documents' titles and files.
func (b *Bot) sources(ctx context.Context, m *models.Message, p *phrases) {
	v, ok := b.lib.View()
	if !ok {
		b.reply(ctx, m, textBlocks(p.notReady), nil)
		return
	}
	docs := v.Documents()
	if len(docs) == 0 {
		b.reply(ctx, m, textBlocks(p.noDocuments), nil)
		return
	}
	blocks := []tghtml.Block{{Spans: []tghtml.Span{{Text: p.sourcesHead, Style: "b"}}}}
	for _, d := range docs {
		blocks = append(blocks, tghtml.Block{Spans: []tghtml.Span{{Text: "• "}, {Text: d.Title, Style: "b"}, {Text: "\n"}, {Text: d.ID, Style: "i"}}})
	}
	b.reply(ctx, m, blocks, nil)
}

// reindex answers /reindex for admins: the index is rebuilt live and the
// summary sent.
func (b *Bot) reindex(ctx context.Context, m *models.Message, p *phrases) {
	if !b.admins[m.From.ID] {
		b.reply(ctx, m, textBlocks(p.notAdmin), nil)
		return
	}
	b.reply(ctx, m, textBlocks(p.reindexing), nil)
	res, err := b.lib.Reindex(ctx)
	if err != nil {
		b.log.Error("telegram: reindex failed", "err", err)
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.reindexFail, err)), nil)
		return
	}
	s := res.Summary
	b.reply(ctx, m, textBlocks(fmt.Sprintf(p.reindexed, s.Added, s.Changed, s.Removed, s.Unchanged, len(s.Skipped), s.Chunks)), nil)
}

// apologize tells the asker that handling their update failed (after a
// panic was recovered), so that a question never goes unanswered.
func (b *Bot) apologize(ctx context.Context, u *models.Update) {
	if m := u.Message; m != nil && m.From != nil {
		b.reply(ctx, m, textBlocks(lang(m.From.LanguageCode).failed), nil)
	} else if cq := u.CallbackQuery; cq != nil {
		b.answerCallback(ctx, cq.ID, lang(cq.From.LanguageCode).failed)
	}
}
