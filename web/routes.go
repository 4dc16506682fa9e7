package web

import (
	"net/http"

	"citebot/corpus"
)

// addRoutes is the page's whole surface in one place. citebot serve
// mounts exactly these paths beside the API (httpapi.Config.Pages).
func addRoutes(mux *http.ServeMux, s *site, cfg Config, lib corpus.Library, a *admin) {
	examples := corpus.NewExamples(lib, cfg.DefaultK, maxExamples)
	mux.Handle("GET /{$}", handleAsk(s, cfg, lib, examples))
	mux.Handle("POST /{$}", handleAsk(s, cfg, lib, examples))
	mux.Handle("GET /documents", handleDocuments(s, lib))
	mux.Handle("GET /documents/{id...}", handleViewer(s, lib))
	mux.Handle("GET /static/{name}", handleStatic(s.assets, s))
	mux.Handle("GET /signin", handleKeyForm(s, a))
	mux.Handle("POST /signin", handleKeySignIn(s, a))
	mux.Handle("POST /signout", handleKeySignOut(s, a))
	mux.Handle("GET /admin", handleAdmin(s, a))
	mux.Handle("POST /admin/signin", handleSignIn(s, a))
	mux.Handle("POST /admin/reindex", handleReindexPage(s, a))
	mux.Handle("POST /admin/upload", handleUpload(s, a))
	mux.Handle("GET /admin/delete", handleDeleteForm(s, a))
	mux.Handle("POST /admin/delete", handleDelete(s, a))
	mux.Handle("POST /admin/signout", handleSignOut(s, a))
}

// maxExamples is how many example questions the empty ask page offers,
// as many as the bot's /start.
const maxExamples = 3
