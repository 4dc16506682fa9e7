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
}

// lang picks the phrases for a Telegram language_code ("ru", "ru-RU", "en",
// "" …): Russian for Russian, English for everyone else.
func lang(code string) *phrases {
	if base, _, _ := strings.Cut(strings.ToLower(code), "-"); base == "ru" {
		return &russian
	}
	return &english
}
