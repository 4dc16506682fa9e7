package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// phrases are the page's own words in one language; the templates read
// them as .T. Fields ending in F are format strings.
type phrases struct {
	Lang string // the <html lang> value

	Skip, NavLabel, NavAsk, NavDocuments, NavAdmin string

	AskTitle, AskLead, QuestionLabel, QuestionHint, AskButton, StartOver  string
	ExamplesHead, Pending, Failed, TurnsLabel, You, Bot                   string
	AnswerLabel, SourcesHead, ClosestHead, ConfidenceF, PageF, PageBreakF string
	EmptyQuestion, TooLongF, BadQuestion, NotReady, Internal, TooLarge    string

	DocumentsTitle, DocumentsLead, ColTitle, ColFile, ColSize, ColChunks, ColPages string
	SameAsF, SkippedHead, SkippedLead, ColReason, NoneSkipped                      string

	ViewerBytesF, ViewerLinesF, ViewerSpanF, WholeDocument, SpanLink, SelectionLink string
	NoDocumentF, BadSpan, NotFoundTitle, NotFoundPage, BadRequestTitle, ErrorTitle  string

	AdminTitle, AdminDisabled, TokenLabel, SignIn, SignOut, WrongToken, Expired string
	StatusHead, NoIndex, ColDocuments, LastReindex, NoReindex, Started, Took    string
	Added, Changed, Removed, Unchanged, Skipped, Chunks, ReindexButton          string
	ReindexDone, ReindexFailedF, ReindexStopped, WarningF, SignedIn             string

	SignInTitle, SignInLead, KeyLabel, WrongKey, SignedInAsF, AlreadySignedIn, Continue string

	AddHead, FilesLabel, FilesHintF, DropHint, UploadButton, Uploading, UploadHead string
	RemoveHead, NotMultipart, NoFiles, ChangeFailedF, NoFolder, ReadOnlyFolder     string
	MissingFolder, UnavailableF, FolderHead, Remove, RemoveTitle, RemoveAskF       string
	RemoveConfirm, Cancel, ChunksF, PagesCountF, ChangeReindexF                    string
}

var english = phrases{
	Lang: "en",
	Skip: "Skip to the content", NavLabel: "Main", NavAsk: "Ask", NavDocuments: "Documents", NavAdmin: "Maintenance",

	AskTitle:      "Ask the documents",
	AskLead:       "Ask in plain words. The answer quotes the documents, and each [n] opens the exact text it quotes.",
	QuestionLabel: "Your question",
	QuestionHint:  "Enter asks, Shift+Enter starts a new line, and / brings you back here.",
	AskButton:     "Ask", StartOver: "Start a new conversation",
	ExamplesHead: "Try, for example", Pending: "Looking in the documents…",
	Failed:     "Something went wrong while answering; please try again.",
	TurnsLabel: "Earlier in this conversation", You: "You", Bot: "citebot",
	AnswerLabel: "Answer", SourcesHead: "Sources", ClosestHead: "Closest passages",
	ConfidenceF: "Confidence: %d%%", PageF: "p. %d", PageBreakF: "Page %d",
	EmptyQuestion: "Write a question first.",
	TooLongF:      "The question has %d characters; the limit is %d.",
	BadQuestion:   "That question could not be read; please write it in plain text.",
	NotReady:      "The documents are still being indexed. Please try again in a moment.",
	Internal:      "Something went wrong on our side; the error is logged.",
	TooLarge:      "The question and the conversation it carries are too long; start a new conversation.",

	DocumentsTitle: "Documents", DocumentsLead: "The documents the answers come from, as the index holds them.",
	ColTitle: "Title", ColFile: "File", ColSize: "Size", ColChunks: "Chunks", ColPages: "Pages",
	SameAsF: "same bytes as %s", SkippedHead: "Files skipped at the last reindex",
	SkippedLead: "These files are in the documents folder but could not be indexed.",
	ColReason:   "Reason", NoneSkipped: "None: every file was indexed.",

	ViewerBytesF: "%s, %d lines", ViewerLinesF: "lines %d–%d", ViewerSpanF: "Highlighted: bytes %d–%d, %s.",
	WholeDocument: "Show the whole document", SpanLink: "Link to this passage", SelectionLink: "Link to the selected text",
	NoDocumentF:   "There is no document %q in the index.",
	BadSpan:       "The span does not fit the document: start and end must be byte offsets with start ≤ end ≤ its size, on character boundaries.",
	NotFoundTitle: "Not found", NotFoundPage: "There is no page here.", BadRequestTitle: "Bad request", ErrorTitle: "Error",

	AdminTitle:    "Maintenance",
	AdminDisabled: "Maintenance over the web is disabled. Start citebot with --admin-token (or CITEBOT_ADMIN_TOKEN) to enable it.",
	TokenLabel:    "Admin token", SignIn: "Sign in", SignOut: "Sign out",
	WrongToken: "That token is not right.", Expired: "The form has expired; it was reloaded, please try again.",
	StatusHead: "Index", NoIndex: "No index is being served yet.", ColDocuments: "Documents",
	LastReindex: "Last reindex", NoReindex: "No reindex has finished since the server started.",
	Started: "Started", Took: "Took",
	Added: "Added", Changed: "Changed", Removed: "Removed", Unchanged: "Unchanged", Skipped: "Skipped", Chunks: "Chunks",
	ReindexButton: "Reindex now", ReindexDone: "The reindex finished.",
	ReindexFailedF: "The reindex failed: %s. The previous index is still serving.",
	ReindexStopped: "The server is shutting down; the reindex was stopped and the previous index kept.",
	WarningF:       "Warning: %s", SignedIn: "Signed in.",

	SignInTitle:     "Sign in",
	SignInLead:      "Reading the documents on this server needs a key. Sign in with the one you were given.",
	KeyLabel:        "Key",
	WrongKey:        "That key is not one of this server's keys.",
	SignedInAsF:     "You are signed in as %s.",
	AlreadySignedIn: "Signed in already in this browser?",
	Continue:        "Continue",

	AddHead:        "Add documents",
	FilesLabel:     "Files",
	FilesHintF:     "Text, Markdown, PDF, DOCX or HTML, at most %s each. A file named like one in the folder replaces it.",
	DropHint:       "Or drop files on this box.",
	UploadButton:   "Upload",
	Uploading:      "Uploading and indexing…",
	UploadHead:     "The upload",
	RemoveHead:     "The removal",
	NotMultipart:   "The form did not arrive as a file upload (multipart/form-data); please upload the files again.",
	NoFiles:        "Choose one or more files first.",
	ChangeFailedF:  "Nothing was done: %s.",
	NoFolder:       "Documents cannot be added or removed here: this server has no documents folder (it serves without --docs).",
	ReadOnlyFolder: "Documents cannot be added or removed now: the documents folder is read-only.",
	MissingFolder:  "Documents cannot be added or removed now: the documents folder is missing.",
	UnavailableF:   "Documents cannot be added or removed now: %s.",
	FolderHead:     "Documents in the folder",
	Remove:         "Remove",
	RemoveTitle:    "Remove a document",
	RemoveAskF:     "Remove %s from the documents folder and the index? The file is deleted; this cannot be undone.",
	RemoveConfirm:  "Remove it", Cancel: "Cancel",
	ChunksF: "%d chunks", PagesCountF: "%d pages",
	ChangeReindexF: "Done, but not searchable yet: %s. The previous index keeps serving; reindex once the cause is fixed.",
}

var russian = phrases{
	Lang: "ru",
	Skip: "Перейти к содержанию", NavLabel: "Главное меню", NavAsk: "Вопрос", NavDocuments: "Документы", NavAdmin: "Обслуживание",

	AskTitle:      "Спросите документы",
	AskLead:       "Спросите обычными словами. Ответ цитирует документы, и каждая ссылка [n] открывает тот самый текст, который цитируется.",
	QuestionLabel: "Ваш вопрос",
	QuestionHint:  "Enter — спросить, Shift+Enter — новая строка, / — вернуться сюда.",
	AskButton:     "Спросить", StartOver: "Начать новый разговор",
	ExamplesHead: "Например, спросите", Pending: "Ищу в документах…",
	Failed:     "При ответе что-то пошло не так; попробуйте ещё раз.",
	TurnsLabel: "Ранее в этом разговоре", You: "Вы", Bot: "citebot",
	AnswerLabel: "Ответ", SourcesHead: "Источники", ClosestHead: "Ближайшие фрагменты",
	ConfidenceF: "Уверенность: %d %%", PageF: "с. %d", PageBreakF: "Страница %d",
	EmptyQuestion: "Сначала напишите вопрос.",
	TooLongF:      "В вопросе %d символов; предел — %d.",
	BadQuestion:   "Не удалось прочитать вопрос; напишите его обычным текстом.",
	NotReady:      "Документы ещё индексируются. Попробуйте через минуту.",
	Internal:      "У нас что-то пошло не так; ошибка записана в журнал.",
	TooLarge:      "Вопрос вместе с разговором слишком длинный; начните новый разговор.",

	DocumentsTitle: "Документы", DocumentsLead: "Документы, из которых берутся ответы, в том виде, в каком их хранит индекс.",
	ColTitle: "Название", ColFile: "Файл", ColSize: "Размер", ColChunks: "Фрагменты", ColPages: "Страницы",
	SameAsF: "те же байты, что %s", SkippedHead: "Файлы, пропущенные при последней индексации",
	SkippedLead: "Эти файлы лежат в папке документов, но проиндексировать их не удалось.",
	ColReason:   "Причина", NoneSkipped: "Нет: проиндексированы все файлы.",

	ViewerBytesF: "%s, строк: %d", ViewerLinesF: "строки %d–%d", ViewerSpanF: "Выделено: байты %d–%d, %s.",
	WholeDocument: "Показать весь документ", SpanLink: "Ссылка на этот фрагмент", SelectionLink: "Ссылка на выделенный текст",
	NoDocumentF:   "В индексе нет документа %q.",
	BadSpan:       "Фрагмент не помещается в документ: начало и конец — смещения в байтах, начало ≤ конец ≤ размер, на границах символов.",
	NotFoundTitle: "Не найдено", NotFoundPage: "Здесь нет страницы.", BadRequestTitle: "Неверный запрос", ErrorTitle: "Ошибка",

	AdminTitle:    "Обслуживание",
	AdminDisabled: "Обслуживание через веб отключено. Запустите citebot с --admin-token (или CITEBOT_ADMIN_TOKEN), чтобы включить его.",
	TokenLabel:    "Токен администратора", SignIn: "Войти", SignOut: "Выйти",
	WrongToken: "Токен неверный.", Expired: "Форма устарела; она перезагружена, попробуйте ещё раз.",
	StatusHead: "Индекс", NoIndex: "Индекс ещё не загружен.", ColDocuments: "Документы",
	LastReindex: "Последняя индексация", NoReindex: "С запуска сервера индексация ещё не завершалась.",
	Started: "Начата", Took: "Заняла",
	Added: "Добавлено", Changed: "Изменено", Removed: "Удалено", Unchanged: "Без изменений", Skipped: "Пропущено", Chunks: "Фрагменты",
	ReindexButton: "Переиндексировать", ReindexDone: "Индексация завершена.",
	ReindexFailedF: "Индексация не удалась: %s. Работает прежний индекс.",
	ReindexStopped: "Сервер останавливается; индексация прервана, прежний индекс сохранён.",
	WarningF:       "Предупреждение: %s", SignedIn: "Вы вошли.",

	SignInTitle:     "Вход",
	SignInLead:      "Чтобы читать документы на этом сервере, нужен ключ. Войдите с ключом, который вам выдали.",
	KeyLabel:        "Ключ",
	WrongKey:        "Такого ключа на этом сервере нет.",
	SignedInAsF:     "Вы вошли как %s.",
	AlreadySignedIn: "Уже вошли в этом браузере?",
	Continue:        "Продолжить",

	AddHead:        "Добавить документы",
	FilesLabel:     "Файлы",
	FilesHintF:     "Текст, Markdown, PDF, DOCX или HTML, не больше %s каждый. Файл с именем уже лежащего в папке заменяет его.",
	DropHint:       "Или перетащите файлы в эту рамку.",
	UploadButton:   "Загрузить",
	Uploading:      "Загружаю и индексирую…",
	UploadHead:     "Загрузка",
	RemoveHead:     "Удаление",
	NotMultipart:   "Форма пришла не как загрузка файлов (multipart/form-data); загрузите файлы ещё раз.",
	NoFiles:        "Сначала выберите один или несколько файлов.",
	ChangeFailedF:  "Ничего не сделано: %s.",
	NoFolder:       "Добавлять и удалять документы здесь нельзя: у этого сервера нет папки документов (он работает без --docs).",
	ReadOnlyFolder: "Добавлять и удалять документы сейчас нельзя: папка документов доступна только для чтения.",
	MissingFolder:  "Добавлять и удалять документы сейчас нельзя: папки документов нет.",
	UnavailableF:   "Добавлять и удалять документы сейчас нельзя: %s.",
	FolderHead:     "Документы в папке",
	Remove:         "Удалить",
	RemoveTitle:    "Удаление документа",
	RemoveAskF:     "Удалить %s из папки документов и из индекса? Файл будет стёрт; отменить это нельзя.",
	RemoveConfirm:  "Да, удалить", Cancel: "Отмена",
	ChunksF: "фрагментов: %d", PagesCountF: "страниц: %d",
	ChangeReindexF: "Сделано, но пока не ищется: %s. Работает прежний индекс; переиндексируйте, когда причина будет устранена.",
}

// language picks the phrases for a request's Accept-Language: Russian
// when the client prefers it to English, English otherwise.
func language(r *http.Request) *phrases {
	best, bestQ := &english, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var p *phrases
		switch base {
		case "ru":
			p = &russian
		case "en":
			p = &english
		default:
			continue
		}
		// A tie keeps the earlier tag: clients list their preferences
		// first.
		if q > bestQ && q > 0 {
			best, bestQ = p, q
		}
	}
	return best
}

// location says where a span is, for people: "L12–14", "L12", with the
// page first for documents with pages ("p. 3, L40–41").
func (p *phrases) location(page, lineStart, lineEnd int) string {
	s := "L" + strconv.Itoa(lineStart)
	if lineEnd > lineStart {
		s += "–" + strconv.Itoa(lineEnd)
	}
	if page > 0 {
		s = fmt.Sprintf(p.PageF, page) + ", " + s
	}
	return s
}

// size is a byte count for people: bytes, KB or MB (of 1,000), with the
// language's decimal mark.
func (p *phrases) size(n int) string {
	var s string
	switch {
	case n < 1000:
		s = strconv.Itoa(n) + " B"
	case n < 1000_000:
		s = strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	default:
		s = strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
	if p.Lang == "ru" {
		s = strings.Replace(s, ".", ",", 1)
		s = strings.NewReplacer(" B", " Б", " kB", " КБ", " MB", " МБ").Replace(s)
	}
	return s
}

// limit is a size limit for people, exact: in MiB or KiB when it is a
// whole number of them (limits are set so: 20 MiB), else in bytes.
func (p *phrases) limit(n int64) string {
	units := [3]string{"MiB", "KiB", "B"}
	if p.Lang == "ru" {
		units = [3]string{"МиБ", "КиБ", "Б"}
	}
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " " + units[0]
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " " + units[1]
	}
	return strconv.FormatInt(n, 10) + " " + units[2]
}
