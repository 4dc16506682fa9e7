package main

import (
	"flag"
	"log/slog"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"citebot/answer"
	"citebot/corpus"
	"citebot/retrieval"
)

// llmFlags turn on generative answers: --llm-url (an OpenAI-compatible base
// URL), --llm-model, --llm-key, --llm-timeout (how long to wait before
// falling back to an extractive answer); OPENAI_BASE_URL and OPENAI_API_KEY
// are read too. Without --llm-url everything stays extractive and offline.
type llmFlags struct {
	url, model, key *string
	timeout         *time.Duration
}

func addLLMFlags(fs *flag.FlagSet) llmFlags {
	return llmFlags{
		url:     fs.String("llm-url", "", "OpenAI-compatible base URL, e.g. http://localhost:11434/v1 (else OPENAI_BASE_URL); turns on generative answers"),
		model:   fs.String("llm-model", "", "the language model's name (required with --llm-url)"),
		key:     fs.String("llm-key", "", "the language model's API key (else OPENAI_API_KEY)"),
		timeout: fs.Duration("llm-timeout", 30*time.Second, "how long to wait for the model before answering extractively"),
	}
}

// llmSettings are the resolved model settings; URL "" means none.
type llmSettings struct {
	URL, Model, Key string
	Timeout         time.Duration
}

func (l llmFlags) resolve(getenv func(string) string) (llmSettings, error) {
	s := llmSettings{URL: *l.url, Model: *l.model, Key: *l.key, Timeout: *l.timeout}
	if s.URL == "" {
		s.URL = getenv("OPENAI_BASE_URL")
	}
	if s.Key == "" {
		s.Key = getenv("OPENAI_API_KEY")
	}
	switch {
	case s.Timeout <= 0:
		return s, usagef("llm-timeout must be positive, got %v", s.Timeout)
	case s.URL != "" && s.Model == "":
		return s, usagef("llm-model is required with llm-url (%s)", s.URL)
	case s.URL == "" && *l.model != "":
		return s, usagef("llm-model is set but llm-url (or OPENAI_BASE_URL) is not")
	}
	return s, nil
}

// composer makes the answerer for each index: generative when a model is
// configured (falling back to extractive answers on any model trouble),
// else extractive.
func composer(c config, gen func(*retrieval.Index) answer.Generative) func(*retrieval.Index) corpus.AnswerFunc {
	if gen == nil {
		return func(ix *retrieval.Index) corpus.AnswerFunc { return newExtractive(ix, c).Answer }
	}
	return func(ix *retrieval.Index) corpus.AnswerFunc { return gen(ix).Answer }
}

// streamer makes the streaming answerer for each index when a model is
// configured; nil otherwise (answers are then sent whole).
func streamer(gen func(*retrieval.Index) answer.Generative) func(*retrieval.Index) corpus.StreamFunc {
	if gen == nil {
		return nil
	}
	return func(ix *retrieval.Index) corpus.StreamFunc { return gen(ix).Stream }
}

// generative makes the generative composer for an index, or nil without a
// model.
func generative(c config, llm llmSettings, log *slog.Logger, onFallback func(reason string)) func(*retrieval.Index) answer.Generative {
	if llm.URL == "" {
		return nil
	}
	cfg := openai.DefaultConfig(llm.Key)
	cfg.BaseURL = llm.URL
	// go-openai has no timeout of its own; the composer's context bounds
	// each reply, this bounds a connection that hangs regardless.
	cfg.HTTPClient = &http.Client{Timeout: llm.Timeout + 10*time.Second}
	client := openai.NewClientWithConfig(cfg)
	return func(ix *retrieval.Index) answer.Generative {
		ex := newExtractive(ix, c)
		return answer.Generative{Index: ix, Client: client, Model: llm.Model, Timeout: llm.Timeout,
			Extractive: ex, Log: log, OnFallback: onFallback, CorpusScript: ex.CorpusScript}
	}
}
