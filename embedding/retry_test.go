package embedding

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestWait(t *testing.T) {
	o := &OpenAI{cfg: OpenAIConfig{Backoff: 100 * time.Millisecond, MaxWait: 10 * time.Second}}
	for attempt := 1; attempt <= 8; attempt++ {
		full := min(100*time.Millisecond<<(attempt-1), 10*time.Second)
		for range 50 {
			if d := o.wait(attempt, 0); d < full/2 || d > full {
				t.Fatalf("wait(%d) = %v, want within [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
	if d := o.wait(1, 3*time.Second); d < 3*time.Second || d > 3*time.Second+25*time.Millisecond {
		t.Errorf("wait with Retry-After 3s = %v, want a little over 3s", d)
	}
	if d := o.wait(1, time.Hour); d != 10*time.Second {
		t.Errorf("wait with Retry-After 1h = %v, want MaxWait 10s", d)
	}
	if d := o.wait(1000, 0); d < 5*time.Second || d > 10*time.Second {
		t.Errorf("wait(1000) = %v, want within MaxWait", d)
	}
}

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true, 400: false, 401: false, 403: false, 404: false, 422: false, 200: false} {
		if got := retryable(status, errTest); got != want {
			t.Errorf("retryable(%d) = %v, want %v", status, got, want)
		}
	}
	if !retryable(0, errTest) {
		t.Error("a request with no response is not retried")
	}
}

var errTest = http.ErrHandlerTimeout
