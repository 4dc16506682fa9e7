package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPI describes every route of routes.go (TestOpenAPICoversRoutes).
//
//go:embed openapi.json
var openAPI []byte

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
}
