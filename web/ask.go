package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"citebot/answer"
	"citebot/corpus"
	"citebot/document"
)

// maxFormBytes bounds a posted question: the question (at most 4,000
// characters) and the earlier turns the page carries, at most
// maxCarried exchanges of them.
const maxFormBytes = 256 << 10

// maxCarried is how many earlier exchanges (a question and its answer)
// the page carries to the next question: as many as a follow-up is read
// with (answer.MaxTurns turns).
const maxCarried = answer.MaxTurns / 2

// closestShown is how many closest passages a refusal shows, as the bot
// does: enough to see where the documents came near.
const closestShown = 3

// ndjson is the type of a streamed answer; the script asks for it.
const ndjson = "application/x-ndjson"

// turn is one earlier exchange of a conversation.
type turn struct{ Question, Answer string }

// askData is the ask page's own data.
type askData struct {
	Question string // left in the box when it could not be answered
	Notice   string
	Turns    []turn // earlier exchanges, shown above the answer
	Carry    []turn // the exchanges the form sends with the next question
	Answer   *answerView
	Examples []string
}

// answerView is an answer as the page shows it.
type answerView struct {
	Question   string
	Error      string // the question could not be answered: why
	Found      bool
	Pieces     []piece // the answer's text, its [n] markers links
	Refusal    string
	Confidence string
	Note       string
	Sources    []sourceView
	Closest    []sourceView
}

// piece is a run of answer text, a link when Href is set.
type piece struct{ Text, Href string }

// sourceView is a citation or a passage: where it is and what it says.
type sourceView struct {
	N                  int
	Title, File, Where string
	Href               string
	Quote              template.HTML // exactly the cited bytes (see exact)
}

// handleAsk serves the ask page: empty with example questions, or with
// the answer to ?q= or to a posted question (and the turns it carries).
// A post that asks for NDJSON (the page's script does) gets the answer
// streamed instead.
func handleAsk(s *site, cfg Config, lib corpus.Library, ex *corpus.Examples) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		var question string
		var turns []turn
		asked := false
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				msg := t.BadQuestion
				if formStatus(err) == http.StatusRequestEntityTooLarge {
					msg = t.TooLarge
				}
				s.fail(w, r, &pageError{formStatus(err), msg})
				return
			}
			question, turns, asked = r.PostForm.Get("q"), carried(r.PostForm), true
			if strings.HasPrefix(r.Header.Get("Accept"), ndjson) {
				streamAnswer(w, r, s, cfg, lib, question, turns)
				return
			}
		} else if v, ok := r.URL.Query()["q"]; ok {
			question, asked = v[0], true
		}

		d := &askData{Turns: turns, Carry: turns}
		p := s.page(r, "", "ask", d)
		if !asked {
			status := http.StatusOK
			if _, ok := lib.View(); ok {
				d.Examples = ex.Questions(r.Context())
			} else {
				status, d.Notice = http.StatusServiceUnavailable, t.NotReady
			}
			s.render(w, r, status, "ask", p)
			return
		}
		a, err := ask(r.Context(), s, cfg, lib, t, question, turns, nil)
		if err != nil && r.Context().Err() != nil {
			return // the asker is gone
		}
		status := answered(p, d, t, question, a, err)
		s.render(w, r, status, "ask", p)
	})
}

// answered puts an answer, or the error in its place, on the ask page,
// and returns the page's status.
func answered(p *page, d *askData, t *phrases, question string, a answer.Answer, err error) int {
	if err != nil {
		status, msg := http.StatusInternalServerError, t.Internal
		var pe *pageError
		if errors.As(err, &pe) {
			status, msg = pe.status, pe.msg
		}
		d.Answer = &answerView{Question: question, Error: msg}
		d.Question, p.State = question, "error"
		return status
	}
	d.Answer = newAnswerView(t, question, a)
	d.Carry = append(d.Carry[:len(d.Carry):len(d.Carry)], turn{question, a.Answer})
	if len(d.Carry) > maxCarried {
		d.Carry = d.Carry[len(d.Carry)-maxCarried:]
	}
	p.Title, p.State = shorten(question, 80), "answered"
	return http.StatusOK
}

// streamAnswer answers a posted question as NDJSON events, one JSON
// object a line: "start" with the earlier turns' HTML, "text" with the
// answer's text as it is written (a language model's; otherwise all at
// once), then "done" with the answer's HTML and the turns the form
// carries next, or "error" with the error's HTML. The HTML comes from the
// ask page's own templates, so a streamed answer ends exactly as a
// posted one is drawn. A question that cannot be asked gets its status
// and the error event alone.
func streamAnswer(w http.ResponseWriter, r *http.Request, s *site, cfg Config, lib corpus.Library, question string, turns []turn) {
	t := language(r)
	d := &askData{Turns: turns, Carry: turns}
	p := s.page(r, "", "ask", d)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a model may write for longer than the server's write timeout
	h := w.Header()
	h.Set("Content-Type", ndjson+"; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // proxies must not hold the text back
	h.Set("Vary", "Accept, Accept-Language")

	broken := false
	send := func(ev map[string]string) {
		b, err := json.Marshal(ev)
		if err != nil || broken {
			return
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			broken = true
			return
		}
		rc.Flush()
	}
	headed := false // the status is sent
	finish := func(a answer.Answer, err error) {
		status := answered(p, d, t, question, a, err)
		parts := map[string]string{}
		for _, part := range []string{"answer", "carry"} {
			html, ferr := s.fragment("ask", part, p)
			if ferr != nil {
				s.log.Error("web: streaming an answer", "err", ferr)
				broken = true
				return
			}
			parts[part] = html
		}
		ev := map[string]string{"type": "done", "state": p.State, "answer": parts["answer"], "carry": parts["carry"]}
		if err != nil {
			ev = map[string]string{"type": "error", "state": p.State, "answer": parts["answer"]}
		}
		if !headed {
			w.WriteHeader(status)
		}
		send(ev)
	}

	if err := checkQuestion(t, question); err != nil {
		finish(answer.Answer{}, err)
		return
	}
	if _, ok := lib.View(); !ok {
		finish(answer.Answer{}, &pageError{http.StatusServiceUnavailable, t.NotReady})
		return
	}
	turnsHTML, err := s.fragment("ask", "turns", p)
	if err != nil {
		finish(answer.Answer{}, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	headed = true
	send(map[string]string{"type": "start", "turns": turnsHTML})
	a, err := ask(r.Context(), s, cfg, lib, t, question, turns, func(text string) {
		send(map[string]string{"type": "text", "text": text})
	})
	if err != nil && r.Context().Err() != nil {
		return // the asker is gone
	}
	finish(a, err)
}

// ask checks a question and answers it from the library, with the earlier
// turns read as its conversation, exactly as the API's chat endpoint
// does; onText, when set, gets the answer's text as it is written.
func ask(ctx context.Context, s *site, cfg Config, lib corpus.Library, t *phrases, question string, turns []turn, onText func(string)) (answer.Answer, error) {
	if err := checkQuestion(t, question); err != nil {
		return answer.Answer{}, err
	}
	if cfg.LogQuestions {
		s.log.Info("web: question", "question", question, "turns", len(turns))
	} else {
		s.log.Debug("web: question", "question", question, "turns", len(turns))
	}
	ctx = answer.WithHistory(ctx, history(turns))
	var a answer.Answer
	var err error
	if onText != nil {
		a, err = lib.AskStream(ctx, question, cfg.DefaultK, onText)
	} else {
		a, err = lib.Ask(ctx, question, cfg.DefaultK)
	}
	switch {
	case errors.Is(err, corpus.ErrNotReady):
		return a, &pageError{http.StatusServiceUnavailable, t.NotReady}
	case err != nil && ctx.Err() != nil:
		return a, ctx.Err()
	case err != nil:
		s.log.Error("web: answering failed", "err", err)
		return a, fmt.Errorf("answer: %w", err)
	}
	return a, nil
}

// checkQuestion refuses what the API refuses, in the asker's language.
func checkQuestion(t *phrases, q string) error {
	switch {
	case !utf8.ValidString(q):
		return &pageError{http.StatusBadRequest, t.BadQuestion}
	case strings.TrimSpace(q) == "":
		return &pageError{http.StatusBadRequest, t.EmptyQuestion}
	}
	if n := utf8.RuneCountInString(q); n > document.MaxQuestionChars {
		return &pageError{http.StatusBadRequest, fmt.Sprintf(t.TooLongF, n, document.MaxQuestionChars)}
	}
	if answer.CheckQuestion(q) != nil {
		return &pageError{http.StatusBadRequest, t.BadQuestion}
	}
	return nil
}

// formStatus is the status for a form that could not be read: too large
// (413), or malformed (400).
func formStatus(err error) int {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// carried reads the earlier exchanges a form sends (turn-q and turn-a,
// in order), the last maxCarried of them.
func carried(form url.Values) []turn {
	qs, as := form["turn-q"], form["turn-a"]
	var out []turn
	for i := range min(len(qs), len(as)) {
		if strings.TrimSpace(qs[i]) != "" {
			out = append(out, turn{qs[i], as[i]})
		}
	}
	if len(out) > maxCarried {
		out = out[len(out)-maxCarried:]
	}
	return out
}

// history is the conversation as the answerer reads it.
func history(turns []turn) []answer.Turn {
	var out []answer.Turn
	for _, t := range turns {
		out = append(out, answer.Turn{Role: openai.ChatMessageRoleUser, Text: t.Question})
		if a := strings.TrimSpace(t.Answer); a != "" {
			out = append(out, answer.Turn{Role: openai.ChatMessageRoleAssistant, Text: a})
		}
	}
	return out
}

// newAnswerView lays an answer out for the page: the text with each cited
// [n] a link to its span, the sources, or for a refusal the closest
// passages, each linking the viewer at its own span.
func newAnswerView(t *phrases, question string, a answer.Answer) *answerView {
	v := &answerView{Question: question, Found: a.Found, Note: a.Note}
	if !a.Found {
		v.Refusal = strings.TrimSpace(a.Answer)
		for i, p := range a.Passages {
			if i == closestShown {
				break
			}
			title, file := names(p.Title, p.Document)
			v.Closest = append(v.Closest, sourceView{N: i + 1, Title: title, File: file,
				Where: t.location(p.Page, p.LineStart, p.LineEnd), Href: spanHref(p.Document, p.Start, p.End), Quote: exact(p.Text)})
		}
		return v
	}
	if a.Confidence > 0 {
		v.Confidence = fmt.Sprintf(t.ConfidenceF, int(math.Round(a.Confidence*100)))
	}
	hrefs := make(map[int]string, len(a.Citations))
	for _, c := range a.Citations {
		href := spanHref(c.Document, c.Start, c.End)
		hrefs[c.N] = href
		title, file := names(c.Title, c.Document)
		v.Sources = append(v.Sources, sourceView{N: c.N, Title: title, File: file,
			Where: t.location(c.Page, c.LineStart, c.LineEnd), Href: href, Quote: exact(c.Quote)})
	}
	v.Pieces = pieces(a.Answer, hrefs)
	return v
}

// pieces cuts answer text at its [n] markers; a marker with a citation
// becomes a link to it, any other stays text.
func pieces(text string, hrefs map[int]string) []piece {
	var out []piece
	last := 0
	for _, m := range answer.Markers(text) {
		href, ok := hrefs[m.N]
		if !ok {
			continue
		}
		if last < m.Start {
			out = append(out, piece{Text: text[last:m.Start]})
		}
		out = append(out, piece{Text: text[m.Start:m.End], Href: href})
		last = m.End
	}
	if last < len(text) {
		out = append(out, piece{Text: text[last:]})
	}
	return out
}

// names returns the title to show and the file to show beside it: a
// missing title is replaced by the file, which is then not repeated.
func names(title, file string) (string, string) {
	if title = strings.TrimSpace(title); title == "" || title == file {
		return file, ""
	}
	return title, file
}

// shorten cuts s to at most n characters, on one line, for a page title.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
