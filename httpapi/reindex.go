package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"citebot/corpus"
)

// handleReindex rebuilds the index live for the admin. The response waits
// for the reindex (or joins the one already running), so the write
// deadline is lifted; a client that hangs up stops waiting, not the work.
func handleReindex(token string, lib corpus.Library) http.Handler {
	admin := adminOnly(token, errorf(http.StatusForbidden, "reindex_disabled", "reindexing over HTTP is disabled; start citebot with --admin-token to enable it"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !admin(w, r) {
			return
		}
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		res, err := lib.Reindex(r.Context())
		switch {
		case err != nil && r.Context().Err() != nil:
			return // the client went away; the reindex goes on
		case errors.Is(err, context.Canceled):
			writeError(w, r, errorf(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; the reindex was stopped and the previous index kept"))
			return
		case err != nil:
			logger(r.Context()).Error("reindex failed", "err", err)
			writeError(w, r, errorf(http.StatusInternalServerError, "reindex_failed", "%v; the previous index is still serving", err))
			return
		}
		if res.Warning != "" {
			logger(r.Context()).Warn("reindexed, but not saved", "warning", res.Warning)
		}
		res.Summary = res.Summary.Brief(maxSkippedListed)
		encode(w, http.StatusOK, res)
	})
}

// maxSkippedListed is how many skipped files a reindex's answer lists;
// the rest are counted by reason (the document list has them all).
const maxSkippedListed = 20

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
