package httpapi

import (
	"net/http"

	"citebot/corpus"
)

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz says whether questions can be answered: 503 until the
// first index is loaded, so a load balancer sends no traffic before.
func handleReadyz(lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := loaded(w, r, lib)
		if !ok {
			return
		}
		encode(w, http.StatusOK, struct {
			Status    string `json:"status"`
			Documents int    `json:"documents"`
			Chunks    int    `json:"chunks"`
		}{"ready", len(v.Documents()), v.NumChunks()})
	})
}

// handleTelegramWebhook hands Telegram's updates to the bot, which checks
// their secret token; without a bot in webhook mode the route is unknown.
func handleTelegramWebhook(h http.Handler) http.Handler {
	if h != nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errorf(http.StatusNotFound, "not_found", "the Telegram webhook is not enabled (citebot serve --telegram-webhook-url)"))
	})
}
