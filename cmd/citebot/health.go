package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthTimeout bounds one health check: a server that does not answer
// /readyz within it is as good as down to a container's health check.
const healthTimeout = 5 * time.Second

// runHealth asks the local serve's /readyz, at the address serve takes
// from the same --addr, CITEBOT_ADDR or config file: nil when it answers
// 200, an error saying why otherwise. The distroless image has no curl,
// so its HEALTHCHECK runs this. Every failure is exit 1, never 2, even a
// mistake in the invocation: Docker reserves 2 in health checks.
func runHealth(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := health(ctx, args, getenv, stdout, stderr)
	var ue usageError
	if errors.As(err, &ue) {
		return errors.New(err.Error())
	}
	return err
}

func health(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health", stderr)
	fs.String("config", "", "YAML config file (its addr is serve's)")
	addr := fs.String("addr", defaultAddr, "the address serve listens on, as given to it; a host of 0.0.0.0 or :: is asked on loopback")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("health takes no arguments, got %q", rest)
	}
	c := defaultConfig()
	if err := resolveFlags(fs, getenv, &c); err != nil {
		return err
	}
	url, err := readyURL(*addr)
	if err != nil {
		return usagef("health: addr %q: %v", *addr, err)
	}

	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	// Straight to the server: a proxy from the environment has no business
	// between a container and itself.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("health: %s did not answer within %v", url, healthTimeout)
		}
		return fmt.Errorf("health: %s: %w", url, errors.Unwrap(err)) // the *url.Error would name the URL twice
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s%s", url, resp.Status, errorMessage(body))
	}
	var ready struct {
		Documents int `json:"documents"`
		Chunks    int `json:"chunks"`
	}
	if json.Unmarshal(body, &ready) == nil {
		fmt.Fprintf(stdout, "ready: %d documents, %d chunks (%s)\n", ready.Documents, ready.Chunks, url)
	} else {
		fmt.Fprintf(stdout, "ready (%s)\n", url)
	}
	return nil
}

// readyURL is the /readyz URL of a server listening on addr. A listener on
// every address (0.0.0.0, ::, or no host) is asked on loopback, where it
// answers too.
func readyURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port == "" {
		return "", errors.New("no port")
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

// errorMessage is ": message" of the JSON error object in body, or of its
// first line when it is not one, for a one-line reason; "" for none.
func errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = e.Error.Message
	} else {
		msg, _, _ = strings.Cut(strings.TrimSpace(string(body)), "\n")
	}
	if msg == "" {
		return ""
	}
	return ": " + visibleLine(msg[:min(len(msg), 200)])
}
