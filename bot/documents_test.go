package bot

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"citebot/docfolder"
	"citebot/loader/extract/extracttest"
)

// The admins' documents: files sent to the bot, /remove and /documents,
// against the fake Bot API's getFile and file server.

const docsLimit = 64 << 10 // the folder's --max-file-bytes in these tests

// launchDocs starts a bot whose admin is user 1, writing into the test
// library's folder.
func launchDocs(t *testing.T, cfg Config) (*harness, *spyLibrary) {
	t.Helper()
	lib := &spyLibrary{testLibrary: newTestLibrary(t)}
	cfg.Admins = append(cfg.Admins, 1)
	cfg.Documents = docfolder.New(lib.Docs, docsLimit, lib.Live)
	return launch(t, lib, cfg), lib
}

// privateDocument is a file sent by user in a private chat.
func privateDocument(user int64, lang string, d *models.Document) models.Update {
	u := privateText(user, lang, "")
	u.Message.Document = d
	return u
}

var glacierPages = [][]string{
	{"Glacier survey 2020", "The Brenndal glacier retreated 412 metres between 1990 and 2020."},
	{"Methods", "Positions were measured with differential GPS every autumn."},
}

func TestDocumentFromAdmin(t *testing.T) {
	h, lib := launchDocs(t, Config{})
	pdf := extracttest.PDF(glacierPages...)
	doc := h.f.addFile("report.pdf", "application/pdf", pdf, 0)

	msg := h.ask(privateDocument(1, "en", doc))
	v, _ := lib.View()
	chunks := -1
	for _, d := range v.Documents() {
		if d.ID == "report.pdf" {
			chunks = d.Chunks
		}
	}
	if got, want := shown(text(msg)), "added: report.pdf, 2 pages, "+strconv.Itoa(chunks)+" chunks"; got != want {
		t.Errorf("reply %q, want %q", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(lib.Docs, "report.pdf")); err != nil || !bytes.Equal(b, pdf) {
		t.Errorf("report.pdf on disk: %v (%d bytes, want %d)", err, len(b), len(pdf))
	}
	gets := h.f.callsOf("getFile")
	if len(gets) != 1 || gets[0].Params["file_id"] != doc.FileID {
		t.Errorf("getFile calls %+v, want one for %s", gets, doc.FileID)
	}
	if dl := h.f.callsOf("file"); len(dl) != 1 || dl[0].Params["path"] != "documents/file_0.pdf" {
		t.Errorf("downloads %+v, want documents/file_0.pdf", dl)
	}
	if msg := h.ask(privateText(1, "en", "How far did the Brenndal glacier retreat?")); !strings.Contains(text(msg), "412") || !strings.Contains(text(msg), "report.pdf") {
		t.Errorf("the new document is not answered from: %q", text(msg))
	}

	// The same file again, then in Russian a new version.
	if got := shown(text(h.ask(privateDocument(1, "en", h.f.addFile("report.pdf", "application/pdf", pdf, 0))))); got != "unchanged: report.pdf (I have these very bytes already)" {
		t.Errorf("the same file again: %q", got)
	}
	pages := [][]string{{"Glacier survey 2024", "The Brenndal glacier retreated 515 metres between 1990 and 2024."}}
	if got := shown(text(h.ask(privateDocument(1, "ru", h.f.addFile("report.pdf", "application/pdf", extracttest.PDF(pages...), 0))))); !strings.HasPrefix(got, "изменён: report.pdf, страниц: 1, фрагментов: ") {
		t.Errorf("a new version, in Russian: %q", got)
	}
	if got := shown(text(h.ask(privateDocument(1, "en", h.f.addFile("notes.md", "text/markdown", []byte("# Notes\n\nThe depot opened in 1911.\n"), 0))))); got != "added: notes.md, 1 chunk" {
		t.Errorf("a text file: %q", got)
	}
	// The bot's token is in the download URL: never in its log.
	if strings.Contains(h.logs.String(), h.f.token) {
		t.Error("the log holds the bot's token")
	}
}

// TestDocumentRefused: files the folder would not index are refused with
// the reason and not kept; files over a limit are refused before they are
// downloaded.
func TestDocumentRefused(t *testing.T) {
	h, lib := launchDocs(t, Config{})
	before := names(t, lib.Docs)
	tests := []struct {
		name     string
		doc      *models.Document
		lang     string
		want     string
		download bool
	}{
		{"encrypted", h.f.addFile("locked.pdf", "application/pdf", extracttest.EncryptedPDF("pw", glacierPages...), 0), "en",
			"skipped: locked.pdf — encrypted PDF (needs a password; save an unprotected copy)", true},
		{"scan", h.f.addFile("scan.pdf", "application/pdf", extracttest.PDF([]string{}), 0), "en", "skipped: scan.pdf — PDF has no extractable text", true},
		{"binary", h.f.addFile("data.txt", "text/plain", []byte("caf\x00\x01"), 0), "ru", "пропущен: data.txt — binary (contains NUL bytes)", true},
		{"unsupported", h.f.addFile("photo.jpg", "image/jpeg", []byte("\xff\xd8\xff"), 0), "en", "skipped: photo.jpg — unsupported file type", false},
		{"over Telegram's limit", h.f.addFile("huge.pdf", "application/pdf", []byte("%PDF"), 25<<20), "en",
			"huge.pdf is 25 MB, but Telegram lets bots download files of at most 20 MB.", false},
		{"over Telegram's limit, Russian", h.f.addFile("huge.pdf", "application/pdf", []byte("%PDF"), 25<<20), "ru",
			"huge.pdf весит 25 МБ, а Telegram позволяет ботам скачивать файлы не больше 20 МБ.", false},
		{"over the folder's limit", h.f.addFile("big.txt", "text/plain", bytes.Repeat([]byte("a "), docsLimit), 0), "en",
			"big.txt is too large: I take files of at most 64 KB.", false},
		{"over the limit, its size understated", h.f.addFile("sly.txt", "text/plain", bytes.Repeat([]byte("a "), docsLimit), 100), "en",
			"sly.txt is too large: I take files of at most 64 KB.", true},
		{"a hidden name", h.f.addFile(".env.txt", "text/plain", []byte("SECRET=1\n"), 0), "en", `I did not store .env.txt: not a valid document path ".env.txt": ".env.txt" is a hidden name`, false},
		{"a device name", h.f.addFile("CON.txt", "text/plain", []byte("x\n"), 0), "en", `I did not store CON.txt`, false},
		{"no name", h.f.addFile("", "text/plain", []byte("x\n"), 0), "en", "Please send the file with its name", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			downloads := len(h.f.callsOf("file"))
			if got := shown(text(h.ask(privateDocument(1, tt.lang, tt.doc)))); !strings.HasPrefix(got, tt.want) {
				t.Errorf("reply %q, want %q", got, tt.want)
			}
			if got := len(h.f.callsOf("file")) > downloads; got != tt.download {
				t.Errorf("downloaded: %v, want %v", got, tt.download)
			}
		})
	}
	if after := names(t, lib.Docs); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the folder holds %q, want %q as before", after, before)
	}
	// A file in a group, even an admin's, is not for the bot.
	group := groupText(-100, 1, models.ChatTypeSupergroup, "")
	group.Message.Document = h.f.addFile("group.txt", "text/plain", []byte("Group notes.\n"), 0)
	h.f.push(group)
	h.ask(privateText(1, "en", "/help")) // the group's update is handled by now
	if n := len(h.sent(-100)); n != 0 {
		t.Errorf("%d replies in the group", n)
	}
	if _, err := os.Stat(filepath.Join(lib.Docs, "group.txt")); err == nil {
		t.Error("a file shared in a group was stored")
	}
}

// TestDocumentFromStranger: a file from anyone but an admin is refused
// politely, never downloaded, and nothing is stored.
func TestDocumentFromStranger(t *testing.T) {
	h, lib := launchDocs(t, Config{Allow: []int64{2}})
	before := names(t, lib.Docs)
	for _, tc := range []struct {
		user int64
		lang string
		want string
	}{
		{2, "en", "Sorry, only the bot's administrators may add documents, so I did not keep this file."},
		{3, "en", "Sorry, only the bot's administrators may add documents, so I did not keep this file."},
		{2, "ru", "Извините, добавлять документы могут только администраторы бота, поэтому я не сохранил этот файл."},
	} {
		doc := h.f.addFile("intruder.txt", "text/plain", []byte("Intruder notes\n\nThe vault code is 1234.\n"), 0)
		if got := shown(text(h.ask(privateDocument(tc.user, tc.lang, doc)))); got != tc.want {
			t.Errorf("user %d (%s): %q, want %q", tc.user, tc.lang, got, tc.want)
		}
	}
	if n := len(h.f.callsOf("getFile")) + len(h.f.callsOf("file")); n != 0 {
		t.Errorf("%d getFile calls or downloads for strangers' files", n)
	}
	if after := names(t, lib.Docs); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the folder holds %q, want %q", after, before)
	}
}

func TestRemoveAndDocuments(t *testing.T) {
	h, lib := launchDocs(t, Config{})
	msg := h.ask(privateText(1, "en", "/documents"))
	want := "Documents (3):\n\n• harbour.txt — 1 chunk\n\n• html.txt — 1 chunk\n\n• sub/treaty.md — "
	if got := shown(text(msg)); !strings.HasPrefix(got, want) {
		t.Errorf("/documents: %q, want %q…", got, want)
	}
	if got := shown(text(h.ask(privateText(1, "ru", "/documents")))); !strings.HasPrefix(got, "Документы (3):\n\n• harbour.txt — фрагментов: 1") {
		t.Errorf("/documents in Russian: %q", got)
	}
	for _, tc := range []struct {
		user             int64
		lang, text, want string
	}{
		{2, "en", "/documents", "Sorry, only the bot's administrators may list or remove documents."},
		{2, "en", "/remove html.txt", "Sorry, only the bot's administrators may list or remove documents."},
		{2, "ru", "/remove html.txt", "Извините, просматривать и удалять документы могут только администраторы бота."},
		{1, "en", "/remove", "Write the document's name after the command, for example: /remove report.pdf (/documents lists them)."},
		{1, "en", "/remove nope.txt", "There is no document nope.txt. /documents lists them."},
		{1, "ru", "/remove ../harbour.txt", "Документа ../harbour.txt нет. Список — /documents."},
		{1, "en", "/remove html.txt", "removed: html.txt"},
		{1, "en", "/remove@citebot_test_bot sub/treaty.md", "removed: sub/treaty.md"},
		{1, "en", "/remove harbour.txt", "harbour.txt is the only document, so I keep it: add another first."},
		{1, "en", "/documents", "Documents (1):\n\n• harbour.txt — 1 chunk"},
	} {
		if got := shown(text(h.ask(privateText(tc.user, tc.lang, tc.text)))); got != tc.want {
			t.Errorf("%d %s: %q, want %q", tc.user, tc.text, got, tc.want)
		}
	}
	if got := names(t, lib.Docs); strings.Join(got, " ") != "harbour.txt sub" {
		t.Errorf("the folder holds %q", got)
	}
	if msg := h.ask(privateText(2, "en", "Who wrote the Zorblax manual?")); strings.Contains(text(msg), "html.txt") {
		t.Errorf("answered from a removed document: %q", text(msg))
	}
}

// TestDocumentsWithoutFolder: a bot on a server without a documents
// folder says so; /documents still lists the index.
func TestDocumentsWithoutFolder(t *testing.T) {
	h := launch(t, nil, Config{Admins: []int64{1}})
	doc := h.f.addFile("a.txt", "text/plain", []byte("A.\n"), 0)
	for _, u := range []models.Update{privateDocument(1, "en", doc), privateText(1, "en", "/remove harbour.txt")} {
		if got := shown(text(h.ask(u))); got != "I cannot change the documents: this server has no documents folder to write to." {
			t.Errorf("%q", got)
		}
	}
	if got := shown(text(h.ask(privateText(1, "en", "/documents")))); !strings.HasPrefix(got, "Documents (3):") {
		t.Errorf("/documents: %q", got)
	}
	if len(h.f.callsOf("getFile")) != 0 {
		t.Error("a file was fetched with nowhere to put it")
	}
}

// TestDocumentDownloadFails: Telegram failing getFile, or the download,
// is told to the admin without the bot's token.
func TestDocumentDownloadFails(t *testing.T) {
	h, lib := launchDocs(t, Config{})
	h.f.failNext("getFile", apiError{Code: 400, Desc: "Bad Request: wrong file_id or the file is temporarily unavailable"})
	doc := h.f.addFile("a.txt", "text/plain", []byte("Alpha notes.\n"), 0)
	got := shown(text(h.ask(privateDocument(1, "en", doc))))
	if !strings.HasPrefix(got, "I did not store a.txt: getFile: ") || !strings.Contains(got, "temporarily unavailable") {
		t.Errorf("getFile failed: %q", got)
	}
	h.f.mu.Lock()
	h.f.files[doc.FileID].gone = true // the file server no longer has it
	h.f.mu.Unlock()
	got = shown(text(h.ask(privateDocument(1, "en", doc))))
	if !strings.HasPrefix(got, "I did not store a.txt: downloading the file: Telegram answered 404") {
		t.Errorf("download failed: %q", got)
	}
	for _, s := range []string{got, h.logs.String()} {
		if strings.Contains(s, h.f.token) {
			t.Errorf("the bot's token leaks: %q", s)
		}
	}
	if _, err := os.Stat(filepath.Join(lib.Docs, "a.txt")); err == nil {
		t.Error("a.txt was stored")
	}
}

// names lists a folder's entries, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
