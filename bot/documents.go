package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"citebot/bot/tghtml"
	"citebot/docfolder"
)

// Documents is the documents folder the admins change through the bot (a
// *docfolder.Folder): files they send are put into it, /remove takes
// them out.
type Documents interface {
	Put(ctx context.Context, name string, body io.Reader) (docfolder.Report, error)
	Remove(ctx context.Context, id string) (docfolder.Report, error)
	MaxFileBytes() int64
}

const (
	// downloadLimit is the largest file the Bot API lets a bot download
	// (getFile answers "file is too big" beyond it).
	downloadLimit = 20 << 20
	// listedDocuments bounds /documents: past it the list says how many
	// more there are (GET /v1/documents has them all).
	listedDocuments = 200
)

// receiveDocument handles a file sent in a private chat: an admin's is
// downloaded, checked and put into the documents folder, and the reply
// says what became of it ("added: report.pdf, 14 pages, 62 chunks", or
// why it was skipped); anyone else's is refused and not downloaded.
func (b *Bot) receiveDocument(ctx context.Context, m *models.Message, p *phrases) {
	d := m.Document
	if !b.admins[m.From.ID] {
		b.log.Info("telegram: a document from someone who is not an admin; refused", "user", m.From.ID)
		b.reply(ctx, m, textBlocks(p.notAdminUpload), nil)
		return
	}
	if b.cfg.Documents == nil {
		b.reply(ctx, m, textBlocks(p.noFolder), nil)
		return
	}
	name := d.FileName
	if name == "" {
		b.reply(ctx, m, textBlocks(p.noFileName), nil)
		return
	}
	// Refused by the name or the size Telegram reports: nothing is
	// downloaded.
	if err := docfolder.CheckPath(name); err != nil {
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.notStored, name, err)), nil)
		return
	}
	if reason := docfolder.Unsupported(name); reason != "" {
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.skipped, name, reason)), nil)
		return
	}
	limit := min(downloadLimit, b.cfg.Documents.MaxFileBytes())
	switch {
	case d.FileSize > downloadLimit:
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.tooLargeTelegram, name, p.size(d.FileSize))), nil)
		return
	case d.FileSize > limit:
		b.reply(ctx, m, textBlocks(fmt.Sprintf(p.tooLarge, name, p.size(limit))), nil)
		return
	}
	rep, err := func() (docfolder.Report, error) {
		defer b.typing(ctx, replyTarget(m))()
		body, err := b.download(ctx, d.FileID, limit)
		if err != nil {
			return docfolder.Report{}, err
		}
		defer body.Close()
		return b.cfg.Documents.Put(ctx, name, body)
	}()
	if err != nil {
		b.log.Warn("telegram: storing a document failed", "user", m.From.ID, "file", name, "err", err)
		b.reply(ctx, m, textBlocks(b.changeFailed(p, name, err)), nil)
		return
	}
	b.log.Info("telegram: document received", "user", m.From.ID, "file", name, "result", rep.Files[0].Result)
	b.reply(ctx, m, textBlocks(describe(p, rep.Files[0])), nil)
}

// download fetches a file from Telegram: getFile for its path, then the
// bytes, at most limit of them read (the folder refuses a longer file).
// Errors never carry the download URL, which holds the bot's token.
func (b *Bot) download(ctx context.Context, fileID string, limit int64) (io.ReadCloser, error) {
	var f *models.File
	err := b.send.do(ctx, 0, func(ctx context.Context) error {
		var err error
		f, err = b.api.GetFile(ctx, &tg.GetFileParams{FileID: fileID})
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("getFile: %w", err)
	case f.FilePath == "":
		return nil, errors.New("getFile: Telegram gave no file path")
	case f.FileSize > limit:
		return nil, fmt.Errorf("%w: %d bytes", docfolder.ErrTooLarge, f.FileSize)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("downloading the file: %w", redact(err, b.cfg.Token))
	}
	resp, err := b.files.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading the file: %w", redact(err, b.cfg.Token))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("downloading the file: Telegram answered %s", resp.Status)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, limit+1), resp.Body}, nil
}

// redact takes the token out of a URL error's URL.
func redact(err error, token string) error {
	var ue *url.Error
	if errors.As(err, &ue) && token != "" {
		ue.URL = strings.ReplaceAll(ue.URL, token, "***")
	}
	return err
}

// removeDocument answers /remove NAME for admins: the document leaves the
// folder and the index.
func (b *Bot) removeDocument(ctx context.Context, m *models.Message, p *phrases, name string) {
	switch {
	case !b.admins[m.From.ID]:
		b.reply(ctx, m, textBlocks(p.notAdminDocuments), nil)
		return
	case b.cfg.Documents == nil:
		b.reply(ctx, m, textBlocks(p.noFolder), nil)
		return
	case name == "":
		b.reply(ctx, m, textBlocks(p.removeUsage), nil)
		return
	}
	stop := b.typing(ctx, replyTarget(m))
	rep, err := b.cfg.Documents.Remove(ctx, name)
	stop()
	if err != nil {
		b.log.Info("telegram: /remove failed", "user", m.From.ID, "document", name, "err", err)
		b.reply(ctx, m, textBlocks(b.changeFailed(p, name, err)), nil)
		return
	}
	b.log.Info("telegram: document removed", "user", m.From.ID, "document", name)
	b.reply(ctx, m, textBlocks(describe(p, rep.Files[0])), nil)
}

// listDocuments answers /documents for admins: each document's file, with
// its pages and chunks.
func (b *Bot) listDocuments(ctx context.Context, m *models.Message, p *phrases) {
	if !b.admins[m.From.ID] {
		b.reply(ctx, m, textBlocks(p.notAdminDocuments), nil)
		return
	}
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
	blocks := []tghtml.Block{{Spans: []tghtml.Span{{Text: fmt.Sprintf(p.documentsHead, len(docs)), Style: "b"}}}}
	for i, d := range docs {
		if i == listedDocuments {
			blocks = append(blocks, textBlocks(fmt.Sprintf(p.moreDocuments, len(docs)-i))...)
			break
		}
		var what string
		if d.SameAs != "" {
			what = fmt.Sprintf(p.sameAs, d.SameAs)
		} else {
			what = counts(p, d.Pages, d.Chunks)
		}
		blocks = append(blocks, tghtml.Block{Spans: []tghtml.Span{{Text: "• "}, {Text: d.ID, Style: "b"}, {Text: " — " + what}}})
	}
	b.reply(ctx, m, blocks, nil)
}

// describe says what became of a file: "added: report.pdf, 14 pages, 62
// chunks", "skipped: scan.pdf — the reason".
func describe(p *phrases, f docfolder.FileResult) string {
	switch f.Result {
	case docfolder.Skipped:
		return fmt.Sprintf(p.skipped, f.Path, f.Reason)
	case docfolder.Removed:
		return fmt.Sprintf(p.removed, f.Path)
	case docfolder.Unchanged:
		return fmt.Sprintf(p.unchanged, f.Path)
	}
	format := p.added
	if f.Result == docfolder.Changed {
		format = p.changed
	}
	s := fmt.Sprintf(format, f.Path)
	if f.SameAs != "" {
		return s + " " + fmt.Sprintf(p.sameAsIndexed, f.SameAs)
	}
	if c := counts(p, f.Pages, f.Chunks); c != "" {
		s += ", " + c
	}
	return s
}

// counts is "14 pages, 62 chunks" (pages only when there are some).
func counts(p *phrases, pages, chunks int) string {
	var parts []string
	if pages > 0 {
		parts = append(parts, plural(pages, p.onePage, p.pages))
	}
	parts = append(parts, plural(chunks, p.oneChunk, p.chunks))
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf(one, n)
	}
	return fmt.Sprintf(many, n)
}

// changeFailed is the reply to a change the folder refused or could not
// make.
func (b *Bot) changeFailed(p *phrases, name string, err error) string {
	switch {
	case errors.Is(err, docfolder.ErrTooLarge):
		return fmt.Sprintf(p.tooLarge, name, p.size(min(downloadLimit, b.cfg.Documents.MaxFileBytes())))
	case errors.Is(err, docfolder.ErrNotFound), errors.Is(err, docfolder.ErrBadPath):
		return fmt.Sprintf(p.unknownDocument, name)
	case errors.Is(err, docfolder.ErrLastDocument):
		return fmt.Sprintf(p.lastDocument, name)
	case errors.Is(err, docfolder.ErrReadOnly), errors.Is(err, docfolder.ErrNoFolder), errors.Is(err, docfolder.ErrNoSpace):
		return fmt.Sprintf(p.cannotStore, err)
	case errors.Is(err, docfolder.ErrReindex):
		return fmt.Sprintf(p.reindexAfterFailed, name, err)
	}
	return fmt.Sprintf(p.notStored, name, err)
}

// size writes a size for people: "20 MB", "3.4 MB", "64 KB".
func (p *phrases) size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d %s", n, p.units[0])
	case n < 1<<20:
		return fmt.Sprintf("%.0f %s", float64(n)/(1<<10), p.units[1])
	}
	mb := float64(n) / (1 << 20)
	if mb >= 10 || mb == float64(int64(mb)) {
		return fmt.Sprintf("%.0f %s", mb, p.units[2])
	}
	return fmt.Sprintf("%.1f %s", mb, p.units[2])
}
