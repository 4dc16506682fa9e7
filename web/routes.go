package web

import (
	"net/http"

	"citebot/corpus"
)

// addRoutes is the page's whole surface in one place. citebot serve
// mounts exactly these paths beside the API (httpapi.Config.Pages).
func addRoutes(mux *http.ServeMux, s *site, cfg Config, lib corpus.Library, runs Reindexes) {
	examples := corpus.NewExamples(lib, cfg.DefaultK, maxExamples)
	a := newAdmin(s, cfg, lib, runs)
	mux.Handle("GET /{$}", handleAsk(s, cfg, lib, examples))
	mux.Handle("POST /{$}", handleAsk(s, cfg, lib, examples))
	mux.Handle("GET /documents", handleDocuments(s, lib))
	mux.Handle("GET /documents/{id...}", handleViewer(s, lib))
	mux.Handle("GET /static/{name}", handleStatic(s.assets, s))
	mux.Handle("GET /admin", handleAdmin(s, a))
	mux.Handle("POST /admin/signin", handleSignIn(s, a))
	mux.Handle("POST /admin/reindex", handleReindexPage(s, a))
	mux.Handle("POST /admin/signout", handleSignOut(s, a))
}

// maxExamples is how many example questions the empty ask page offers,
// as many as the bot's /start.
const maxExamples = 3
