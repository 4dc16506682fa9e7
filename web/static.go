package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// assets are the embedded static files, each served under its own name
// and under a name carrying its content's hash (site.1a2b3c4d5e6f.css):
// pages link the hashed names, which are cached for a year, so a new
// binary's files are fetched at once and an unchanged file never again.
type assets struct {
	files map[string]asset // by served name, plain and hashed
	urls  assetURLs
}

type asset struct {
	body        []byte
	contentType string
	etag        string
	immutable   bool // the hashed name: its content never changes
}

// assetURLs are the paths the layout links.
type assetURLs struct {
	CSS, JS, Icon string
}

// contentTypes are set here rather than looked up in the system's MIME
// table, which differs between machines.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// embeddedAssets are hashed on first use, for the same reason as pages.
var embeddedAssets = sync.OnceValue(func() *assets { return loadAssets(staticFiles) })

func loadAssets(files fs.FS) *assets {
	a := &assets{files: map[string]asset{}}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		panic(err) // embedded: a test loads them
	}
	for _, e := range entries {
		name := e.Name()
		body, err := fs.ReadFile(files, "static/"+name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:6])
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		ct := contentTypes[ext]
		if ct == "" {
			ct = "application/octet-stream"
		}
		etag := `"` + hash + `"`
		a.files[name] = asset{body: body, contentType: ct, etag: etag}
		a.files[hashed] = asset{body: body, contentType: ct, etag: etag, immutable: true}
		switch name {
		case "site.css":
			a.urls.CSS = "/static/" + hashed
		case "site.js":
			a.urls.JS = "/static/" + hashed
		case "icon.svg":
			a.urls.Icon = "/static/" + hashed
		}
	}
	return a
}

// handleStatic serves an embedded file: a hashed name with a year's
// cache, a plain name revalidated by its ETag.
func handleStatic(a *assets, s *site) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := a.files[r.PathValue("name")]
		if !ok {
			s.fail(w, r, &pageError{http.StatusNotFound, language(r).NotFoundPage})
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("ETag", f.etag)
		if f.immutable {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}
