package embedding

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// responseInfo is what a retry needs from a response that go-openai's
// errors do not carry: the status and the Retry-After header.
type responseInfo struct {
	status     int
	retryAfter time.Duration
}

type responseInfoKey struct{}

func withResponseInfo(ctx context.Context, info *responseInfo) context.Context {
	return context.WithValue(ctx, responseInfoKey{}, info)
}

// doer is the HTTP client go-openai sends through; it notes each
// response's status and Retry-After in the request's responseInfo.
type doer struct{ client *http.Client }

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	res, err := d.client.Do(req)
	if err == nil {
		if info, ok := req.Context().Value(responseInfoKey{}).(*responseInfo); ok {
			info.status = res.StatusCode
			info.retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
		}
	}
	return res, err
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. Anything else, or a moment already past, is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs > 1e6 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// statusOf is the HTTP status behind err, 0 when no response came.
func statusOf(err error, info responseInfo) int {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		return apiErr.HTTPStatusCode
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0:
		return reqErr.HTTPStatusCode
	}
	return info.status
}

// retryable reports whether a failed request may pass on another attempt:
// rate limits, server errors, and requests that got no response at all
// (connection refused or reset, the per-request timeout). Other 4xx
// statuses mean the request itself is wrong, and a 2xx that could not be
// read will read the same next time.
func retryable(status int, err error) bool {
	switch {
	case status == http.StatusTooManyRequests, status >= 500:
		return true
	case status == 0:
		return err != nil
	}
	return false
}

// wait is how long to sleep before the retry after the given attempt:
// exponential backoff with jitter (a random point in its upper half), or
// the server's Retry-After when that is longer, capped at MaxWait.
func (o *OpenAI) wait(attempt int, retryAfter time.Duration) time.Duration {
	d := o.cfg.Backoff << min(attempt-1, 20)
	if d <= 0 || d > o.cfg.MaxWait {
		d = o.cfg.MaxWait
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		// A little jitter above the server's time keeps batches that were
		// told the same from arriving together.
		d = retryAfter + rand.N(o.cfg.Backoff/4+1)
	}
	return min(d, o.cfg.MaxWait)
}
