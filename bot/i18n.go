package bot

import (
	"strings"

	"citebot/answer"
	"citebot/bot/tghtml"
)

// phrases are the bot's own words in one language. Strings with %s or %d
// are format strings; all are plain text (escaped when sent).
type phrases struct {
	labels       tghtml.Labels
	greeting     string // %s: the bot's name
	examplesHead string
	help         string // %s: the bot's @username
	sourcesHead  string
	noDocuments  string
	notAllowed   string
	notAdmin     string
	reindexing   string
	reindexed    string // %d added, %d changed, %d removed, %d unchanged, %d skipped, %d chunks
	reindexFail  string // %s: the reason
	askUsage     string
	tooLong      string // %d: the limit
	badQuestion  string
	notFound     string // a refusal: the documents do not answer
	notReady     string
	failed       string
	expired      string

	// The admins' changes to the documents.
	notAdminUpload     string
	notAdminDocuments  string
	noFolder           string
	noFileName         string
	notStored          string // %s the file, %v why
	tooLarge           string // %s the file, %s the limit
	tooLargeTelegram   string // %s the file, %s its size
	cannotStore        string // %v why
	reindexAfterFailed string // %s the file, %v why
	unknownDocument    string // %s the name
	lastDocument       string // %s the name
	removeUsage        string
	documentsHead      string // %d documents
	moreDocuments      string // %d not listed
	sameAs             string // %s the document with the same bytes
	sameAsIndexed      string // %s the document with the same bytes
	// What became of a file (%s): added, changed, unchanged, removed;
	// skipped has the reason too (%s).
	added, changed, unchanged, removed, skipped string
	onePage, pages, oneChunk, chunks            string // %d
	units                                       [3]string
}

var english = phrases{
	labels:       tghtml.Labels{Sources: "Sources", Line: "line", Lines: "lines", Closest: "Closest passages", Page: "p.", Confidence: "Confidence"},
	greeting:     "Hello! I am %s. I answer questions about my documents, quoting them, and every quote comes with its source: tap a source's button to read the full passage.",
	examplesHead: "Try, for example:",
	help:         "Ask me a question in plain words and I answer from the documents only, citing the passages I quote ([1], [2] …). When the documents don't say, I say so.\n\nIn a group, mention me (%s …), reply to one of my messages, or use /ask QUESTION.\n\n/sources lists the documents. /help shows this message.",
	sourcesHead:  "Documents I answer from:",
	noDocuments:  "I have no documents yet.",
	notAllowed:   "Sorry, I only answer the people and chats I was set up for.",
	notAdmin:     "Sorry, only the bot's administrators may reindex the documents.",
	reindexing:   "Reindexing the documents…",
	reindexed:    "Done: %d added, %d changed, %d removed, %d unchanged, %d skipped; %d passages indexed.",
	reindexFail:  "The reindex failed, so I keep answering from the previous index: %s",
	askUsage:     "Write your question after the command, for example: /ask When did the agreement come into effect?",
	tooLong:      "That question is too long for me; please keep it under %d characters.",
	badQuestion:  "I could not read that as a question; please write it in plain text.",
	notFound:     answer.NotFoundText,
	notReady:     "I am still loading my documents; please ask again in a moment.",
	failed:       "Something went wrong on my side while answering; please try again.",
	expired:      "This button has expired. Ask the question again to get fresh sources.",

	notAdminUpload:     "Sorry, only the bot's administrators may add documents, so I did not keep this file.",
	notAdminDocuments:  "Sorry, only the bot's administrators may list or remove documents.",
	noFolder:           "I cannot change the documents: this server has no documents folder to write to.",
	noFileName:         "Please send the file with its name (report.pdf, say): I keep documents under their names.",
	notStored:          "I did not store %s: %v",
	tooLarge:           "%s is too large: I take files of at most %s.",
	tooLargeTelegram:   "%s is %s, but Telegram lets bots download files of at most 20 MB. Add it over the HTTP API instead (PUT /v1/documents/…).",
	cannotStore:        "I cannot change the documents: %v",
	reindexAfterFailed: "%s: the change is made, but the reindex failed, so I keep answering from the previous index: %v",
	unknownDocument:    "There is no document %s. /documents lists them.",
	lastDocument:       "%s is the only document, so I keep it: add another first.",
	removeUsage:        "Write the document's name after the command, for example: /remove report.pdf (/documents lists them).",
	documentsHead:      "Documents (%d):",
	moreDocuments:      "… and %d more.",
	sameAs:             "the same file as %s",
	sameAsIndexed:      "(the same bytes as %s, indexed once)",
	added:              "added: %s",
	changed:            "changed: %s",
	unchanged:          "unchanged: %s (I have these very bytes already)",
	removed:            "removed: %s",
	skipped:            "skipped: %s — %s",
	onePage:            "%d page",
	pages:              "%d pages",
	oneChunk:           "%d chunk",
	chunks:             "%d chunks",
	units:              [3]string{"bytes", "KB", "MB"},
}

var russian = phrases{
	labels:       tghtml.Labels{Sources: "Источники", Line: "строка", Lines: "строки", Closest: "Ближайшие фрагменты", Page: "стр.", Confidence: "Уверенность"},
	greeting:     "Здравствуйте! Я %s. Я отвечаю на вопросы по своим документам, цитируя их, и у каждой цитаты есть источник: нажмите кнопку источника, чтобы прочитать фрагмент целиком.",
	examplesHead: "Например, спросите:",
	help:         "Задайте вопрос обычными словами — я отвечу только по документам и укажу цитируемые фрагменты ([1], [2] …). Если в документах ответа нет, я так и скажу.\n\nВ группе упомяните меня (%s …), ответьте на моё сообщение или используйте /ask ВОПРОС.\n\n/sources — список документов. /help — это сообщение.",
	sourcesHead:  "Документы, по которым я отвечаю:",
	noDocuments:  "У меня пока нет документов.",
	notAllowed:   "Извините, я отвечаю только тем людям и чатам, для которых меня настроили.",
	notAdmin:     "Извините, переиндексировать документы могут только администраторы бота.",
	reindexing:   "Переиндексирую документы…",
	reindexed:    "Готово: добавлено %d, изменено %d, удалено %d, без изменений %d, пропущено %d; проиндексировано фрагментов: %d.",
	reindexFail:  "Переиндексация не удалась, я продолжаю отвечать по прежнему индексу: %s",
	askUsage:     "Напишите вопрос после команды, например: /ask Когда соглашение вступило в силу?",
	tooLong:      "Вопрос слишком длинный; пожалуйста, уложитесь в %d символов.",
	badQuestion:  "Не удалось прочитать это как вопрос; напишите его обычным текстом.",
	notFound:     "В документах об этом ничего не сказано: я не нашёл в них ответа на этот вопрос.",
	notReady:     "Я ещё загружаю документы; спросите, пожалуйста, через минуту.",
	failed:       "Что-то пошло не так при ответе; попробуйте ещё раз.",
	expired:      "Срок действия этой кнопки истёк. Задайте вопрос ещё раз, чтобы получить источники.",

	notAdminUpload:     "Извините, добавлять документы могут только администраторы бота, поэтому я не сохранил этот файл.",
	notAdminDocuments:  "Извините, просматривать и удалять документы могут только администраторы бота.",
	noFolder:           "Я не могу менять документы: у этого сервера нет папки документов для записи.",
	noFileName:         "Пришлите файл с именем (например, report.pdf): документы хранятся под своими именами.",
	notStored:          "Я не сохранил %s: %v",
	tooLarge:           "%s слишком большой: я принимаю файлы не больше %s.",
	tooLargeTelegram:   "%s весит %s, а Telegram позволяет ботам скачивать файлы не больше 20 МБ. Добавьте его через HTTP API (PUT /v1/documents/…).",
	cannotStore:        "Я не могу менять документы: %v",
	reindexAfterFailed: "%s: изменение сделано, но переиндексация не удалась, и я отвечаю по прежнему индексу: %v",
	unknownDocument:    "Документа %s нет. Список — /documents.",
	lastDocument:       "%s — единственный документ, поэтому я его оставлю: сначала добавьте другой.",
	removeUsage:        "Напишите имя документа после команды, например: /remove report.pdf (список — /documents).",
	documentsHead:      "Документы (%d):",
	moreDocuments:      "… и ещё %d.",
	sameAs:             "тот же файл, что %s",
	sameAsIndexed:      "(те же байты, что у %s, проиндексированы один раз)",
	added:              "добавлен: %s",
	changed:            "изменён: %s",
	unchanged:          "без изменений: %s (у меня уже есть ровно этот файл)",
	removed:            "удалён: %s",
	skipped:            "пропущен: %s — %s",
	onePage:            "страниц: %d",
	pages:              "страниц: %d",
	oneChunk:           "фрагментов: %d",
	chunks:             "фрагментов: %d",
	units:              [3]string{"байт", "КБ", "МБ"},
}

// lang picks the phrases for a Telegram language_code ("ru", "ru-RU", "en",
// "" …): Russian for Russian, English for everyone else.
func lang(code string) *phrases {
	if base, _, _ := strings.Cut(strings.ToLower(code), "-"); base == "ru" {
		return &russian
	}
	return &english
}
