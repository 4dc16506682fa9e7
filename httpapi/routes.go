package httpapi

import (
	"net/http"

	"citebot/corpus"
)

// addRoutes is the whole API surface in one place; openapi.json describes
// exactly these routes (a test holds them together).
func addRoutes(mux *http.ServeMux, cfg Config, lib corpus.Library, m *Metrics) {
	mux.Handle("POST /v1/ask", handleAsk(cfg, lib))
	mux.Handle("GET /v1/documents", handleDocuments(lib))
	mux.Handle("GET /v1/documents/{id...}", handleDocument(lib))
	mux.Handle("POST /v1/reindex", handleReindex(cfg.AdminToken, lib))
	mux.Handle("POST /v1/chat/completions", handleChatCompletions(cfg, lib))
	mux.Handle("GET /v1/models", handleModels())
	mux.Handle("GET /v1/models/{model}", handleModel())
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(lib))
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("GET /openapi.json", handleOpenAPI())
	mux.Handle("POST /telegram/webhook", handleTelegramWebhook(cfg.TelegramWebhook))
}
