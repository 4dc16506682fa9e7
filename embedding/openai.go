package embedding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures an OpenAI-compatible embeddings client. URL and
// Model are required; zero values of the others mean their defaults.
type OpenAIConfig struct {
	// URL is the API's base URL, such as http://localhost:11434/v1 (Ollama)
	// or https://api.openai.com/v1; requests go to URL/embeddings. A URL
	// that already ends in /embeddings is taken as the endpoint itself.
	URL string
	// Model is the embedding model, e.g. text-embedding-3-small or
	// nomic-embed-text.
	Model string
	// Key is sent as a bearer token; empty sends none (local servers).
	Key string
	// Timeout bounds each request, retries apart (default 60s). The
	// caller's context bounds the whole call.
	Timeout time.Duration
	// BatchSize is how many texts one request carries (default 64).
	BatchSize int
	// MaxRetries is how many times a batch is retried after its first
	// attempt on 429, a 5xx status or a network error (default 5; a
	// negative value means no retries).
	MaxRetries int
	// Concurrency is how many batches of one EmbedBatch call are in
	// flight at once (default 4).
	Concurrency int
	// Backoff is the wait before the first retry, doubled for each further
	// one, with jitter (default 500ms).
	Backoff time.Duration
	// MaxWait caps a single wait between attempts, a server's Retry-After
	// included (default 1m).
	MaxWait time.Duration
	// Logger is told about retries (warn level); nil logs nothing.
	Logger *slog.Logger
}

// Defaults of OpenAIConfig.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultBatchSize   = 64
	DefaultMaxRetries  = 5
	DefaultConcurrency = 4
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxWait     = time.Minute
)

// OpenAI embeds texts with an OpenAI-compatible /v1/embeddings endpoint.
// It is safe for concurrent use.
type OpenAI struct {
	cfg      OpenAIConfig
	client   *openai.Client
	endpoint string // the embeddings URL without credentials, for messages
	name     string
}

// NewOpenAI checks cfg, fills in its defaults and returns the client. It
// sends nothing: a server that is down shows on the first Embed.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("embeddings: no model given")
	}
	base, shown, err := parseBaseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	oc := openai.DefaultConfig(cfg.Key)
	oc.BaseURL = base
	// go-openai sets no timeout and would wait forever: every request
	// gets one, and the doer notes what retries need from the response.
	oc.HTTPClient = &doer{client: &http.Client{Timeout: cfg.Timeout}}
	return &OpenAI{
		cfg:      cfg,
		client:   openai.NewClientWithConfig(oc),
		endpoint: shown + "/embeddings",
		name:     "openai:" + cfg.Model + "@" + shown,
	}, nil
}

// parseBaseURL returns the base URL requests are built on and the same
// without credentials, for names and messages.
func parseBaseURL(raw string) (base, shown string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", errors.New("embeddings: no URL given")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("embeddings: URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("embeddings: URL %q: want http(s)://HOST[:PORT]/PATH, e.g. http://localhost:11434/v1", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("embeddings: URL %q: no query or fragment, please (the key goes in --embed-key)", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/embeddings")
	u.RawPath = ""
	base = u.String()
	u.User = nil
	return base, u.String(), nil
}

// Name identifies the model and the server: an index records it, and one
// built with another name is re-embedded. It never holds the key.
func (o *OpenAI) Name() string { return o.name }

// Endpoint is the embeddings URL requests go to, without credentials.
func (o *OpenAI) Endpoint() string { return o.endpoint }

// Embed returns the unit vector of one text, as a query is embedded. Its
// signature is chromem-go's EmbeddingFunc.
func (o *OpenAI) Embed(ctx context.Context, text string) ([]float32, error) {
	vecs, err := o.EmbedBatch(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return vecs[0], nil
}

// Dimension asks the server how long the model's vectors are, by
// embedding a short probe text. It is asked each time, since the model
// behind a name may change.
func (o *OpenAI) Dimension(ctx context.Context) (int, error) {
	v, err := o.Embed(ctx, dimensionProbe)
	return len(v), err
}

const dimensionProbe = "How long are your vectors?"

// EmbedBatch returns the unit vectors of texts, in their order. Texts are
// sent BatchSize at a time, up to Concurrency requests at once; the first
// batch that fails for good fails the call (and cancels the others). All
// vectors have the same dimension, or the call fails.
func (o *OpenAI) EmbedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	n := (len(texts) + o.cfg.BatchSize - 1) / o.cfg.BatchSize
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu      sync.Mutex
		next    int
		wg      sync.WaitGroup
		workers = min(o.cfg.Concurrency, n)
	)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				b := next
				next++
				mu.Unlock()
				if b >= n {
					return
				}
				lo, hi := b*o.cfg.BatchSize, min((b+1)*o.cfg.BatchSize, len(texts))
				vecs, err := o.batch(ctx, texts[lo:hi], lo)
				if err != nil {
					cancel(err)
					return
				}
				copy(out[lo:hi], vecs)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		err := context.Cause(ctx)
		if e := (*Error)(nil); !errors.As(err, &e) {
			err = o.fail(0, 0, err) // the caller's context ended
		}
		return nil, err
	}
	if err := sameDimension(out); err != nil {
		return nil, o.fail(0, 0, err)
	}
	return out, nil
}

// batch embeds one batch, retrying what may pass on a later attempt.
// first is the batch's offset in the caller's texts, for messages.
func (o *OpenAI) batch(ctx context.Context, texts []string, first int) ([][]float32, error) {
	for attempt := 1; ; attempt++ {
		var info responseInfo
		res, err := o.client.CreateEmbeddings(withResponseInfo(ctx, &info), openai.EmbeddingRequest{
			Input: texts,
			Model: openai.EmbeddingModel(o.cfg.Model),
		})
		if err == nil {
			vecs, verr := vectors(res, len(texts))
			if verr != nil {
				return nil, o.fail(http.StatusOK, attempt, fmt.Errorf("texts %d-%d: %w", first, first+len(texts)-1, verr))
			}
			return vecs, nil
		}
		if ctx.Err() != nil {
			// The caller gave up (or another batch failed for good).
			return nil, context.Cause(ctx)
		}
		status := statusOf(err, info)
		if !retryable(status, err) || attempt > o.cfg.MaxRetries {
			return nil, o.fail(status, attempt, err)
		}
		wait := o.wait(attempt, info.retryAfter)
		o.cfg.Logger.Warn("embeddings request failed; retrying", "endpoint", o.endpoint, "model", o.cfg.Model,
			"status", status, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}

func (o *OpenAI) fail(status, attempts int, err error) *Error {
	return &Error{Endpoint: o.endpoint, Model: o.cfg.Model, Status: status, Attempts: attempts, Err: err}
}
