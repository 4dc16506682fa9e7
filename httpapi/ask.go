package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"unicode/utf8"

	"citebot/answer"
	"citebot/corpus"
	"citebot/document"
)

// askRequest is the body of POST /v1/ask.
type askRequest struct {
	Question *string `json:"question"`
	K        *int    `json:"k"`
}

func handleAsk(cfg Config, lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[askRequest](w, r, true)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.Question == nil {
			writeError(w, r, errorf(http.StatusBadRequest, "missing_question", `the body needs a "question" (a string)`))
			return
		}
		k := cfg.DefaultK
		if req.K != nil {
			k = *req.K
		}
		a, err := ask(r.Context(), cfg, lib, *req.Question, k)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, a)
	})
}

// checkAsk refuses what no answer should be attempted for.
func checkAsk(question string, k int) error {
	if k < 1 || k > document.MaxK {
		return errorf(http.StatusBadRequest, "bad_k", "k must be between 1 and %d, got %d", document.MaxK, k)
	}
	if n := utf8.RuneCountInString(question); n > document.MaxQuestionChars {
		return errorf(http.StatusBadRequest, "question_too_long", "the question has %d characters; the limit is %d", n, document.MaxQuestionChars)
	}
	if err := answer.CheckQuestion(question); err != nil {
		return errorf(http.StatusBadRequest, "bad_question", "%v", err)
	}
	return nil
}

// ask checks a question and answers it; shared by /v1/ask and the chat
// endpoint, so both refuse the same things the same way.
func ask(ctx context.Context, cfg Config, lib corpus.Library, question string, k int) (answer.Answer, error) {
	return answerWith(ctx, cfg, question, k, func() (answer.Answer, error) { return lib.Ask(ctx, question, k) })
}

// askStream is ask with the answer's text sent as it is written.
func askStream(ctx context.Context, cfg Config, lib corpus.Library, question string, onText func(string)) (answer.Answer, error) {
	k := cfg.DefaultK
	return answerWith(ctx, cfg, question, k, func() (answer.Answer, error) { return lib.AskStream(ctx, question, k, onText) })
}

func answerWith(ctx context.Context, cfg Config, question string, k int, answerIt func() (answer.Answer, error)) (answer.Answer, error) {
	if err := checkAsk(question, k); err != nil {
		return answer.Answer{}, err
	}
	log := logger(ctx)
	if cfg.LogQuestions {
		log.Info("question", "question", question, "k", k)
	} else if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("question", "question", question, "k", k)
	}
	a, err := answerIt()
	switch {
	case errors.Is(err, corpus.ErrNotReady):
		return a, errNotReady
	case err != nil && ctx.Err() != nil:
		return a, errorf(http.StatusServiceUnavailable, "canceled", "the request was canceled before it was answered")
	case err != nil:
		return a, err
	}
	if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("answered", "found", a.Found, "mode", a.Mode, "citations", len(a.Citations), "took_ms", a.TookMS)
	}
	return a, nil
}

var errNotReady = errorf(http.StatusServiceUnavailable, "not_ready", "the index is still loading; try again shortly")

// lines says which lines a span covers, for people.
func lines(page, a, b int) string {
	if page > 0 {
		return "p. " + strconv.Itoa(page) + ", " + lines(0, a, b)
	}
	if a == b {
		return "line " + strconv.Itoa(a)
	}
	return "lines " + strconv.Itoa(a) + "–" + strconv.Itoa(b)
}
