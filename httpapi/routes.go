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
	mux.Handle("PUT /v1/documents/{id...}", handlePutDocument(cfg.AdminToken, cfg.Documents))
	mux.Handle("POST /v1/documents", handlePostDocuments(cfg.AdminToken, cfg.Documents))
	mux.Handle("DELETE /v1/documents/{id...}", handleDeleteDocument(cfg.AdminToken, cfg.Documents))
	mux.Handle("POST /v1/reindex", handleReindex(cfg.AdminToken, lib))
	mux.Handle("POST /v1/chat/completions", handleChatCompletions(cfg, lib))
	mux.Handle("GET /v1/models", handleModels())
	mux.Handle("GET /v1/models/{model}", handleModel())
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(lib))
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("GET /openapi.json", handleOpenAPI())
	mux.Handle("POST /telegram/webhook", handleTelegramWebhook(cfg.TelegramWebhook))
	if cfg.Pages != nil {
		addPageRoutes(mux, cfg.Pages)
	}
}

// addPageRoutes hands the web page's paths to its handler (package web
// has their routes), so that they share the API's request ids, logs,
// metrics and panic recovery. Only these paths: every other one stays
// the API's, with its JSON errors, and openapi.json describes none of
// them.
func addPageRoutes(mux *http.ServeMux, pages http.Handler) {
	mux.Handle("GET /{$}", pages)
	mux.Handle("POST /{$}", pages)
	mux.Handle("/documents", pages)
	mux.Handle("/documents/{id...}", pages)
	mux.Handle("/static/", pages)
	mux.Handle("/admin", pages)
	mux.Handle("/admin/", pages)
	mux.Handle("/signin", pages)
	mux.Handle("/signout", pages)
}
