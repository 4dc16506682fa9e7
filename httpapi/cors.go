package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The answers to a CORS preflight: what a page of an allowed origin may
// send, and for how long its browser may remember that without asking
// again (10 minutes, so that a changed --cors-origins soon applies).
const (
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-Id"
	corsExposeHeaders = "X-Request-Id, Retry-After, ETag"
	corsMaxAge        = "600"
)

// ParseOrigins reads --cors-origins: comma-separated origins
// (scheme://host[:port], as a browser sends them in Origin), or * for any
// origin on the read routes. Origins are returned as browsers spell them
// (lower case, no default port, no trailing slash), so that comparing
// them with a request's Origin is exact.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		o := f
		if f != "*" {
			var ok bool
			if o, ok = normalOrigin(f); !ok {
				return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port] with scheme http or https and no path, e.g. https://app.example, or *", f)
			}
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func normalOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	switch {
	case scheme == "https":
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http":
		host = strings.TrimSuffix(host, ":80")
	default:
		return "", false
	}
	return scheme + "://" + host, true
}

// cors answers cross-origin requests from browser pages. Listed origins
// may use every /v1/ route (with the admin token where needed) and send
// credentials; "*" opens the read routes only (ask, chat, reading
// documents, models) to any page, never with credentials, so that no page
// anywhere drives the admin routes with a browser's stored login.
type cors struct {
	any     bool
	origins map[string]bool
}

func newCORS(origins []string) *cors {
	c := &cors{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		} else {
			c.origins[o] = true
		}
	}
	return c
}

// corsMethods is what a page may do on a /v1/ route: all the route's
// methods (for listed origins), and its reads (for "*"). Other paths are
// not for cross-origin pages (nil). The document routes list the writes
// of uploads and deletion too: a method a route does not serve is still
// answered 405.
func corsMethods(path string) (all, read []string) {
	switch {
	case path == "/v1/ask", path == "/v1/chat/completions":
		return []string{"POST"}, []string{"POST"}
	case path == "/v1/documents":
		return []string{"GET", "HEAD", "POST"}, []string{"GET", "HEAD"}
	case strings.HasPrefix(path, "/v1/documents/"):
		return []string{"GET", "HEAD", "PUT", "DELETE"}, []string{"GET", "HEAD"}
	case path == "/v1/models", strings.HasPrefix(path, "/v1/models/"):
		return []string{"GET", "HEAD"}, []string{"GET", "HEAD"}
	case path == "/v1/reindex":
		return []string{"POST"}, nil
	}
	return nil, nil
}

// allowed says whether origin may use method on a route, and with which
// of its methods, and whether as a listed origin (credentials allowed).
func (c *cors) allowed(origin, method string, all, read []string) (methods []string, listed, ok bool) {
	switch {
	case origin == "":
		return nil, false, false
	case c.origins[origin]:
		return all, true, slices.Contains(all, method)
	case c.any:
		return read, false, slices.Contains(read, method)
	}
	return nil, false, false
}

func (c *cors) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, read := corsMethods(r.URL.Path)
		origin := r.Header.Get("Origin")
		wanted := r.Header.Get("Access-Control-Request-Method")
		preflight := r.Method == http.MethodOptions && origin != "" && wanted != ""
		if all == nil && !preflight {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		// The answer depends on Origin: caches must keep one per origin.
		h.Add("Vary", "Origin")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			note(r).route = "cors_preflight"
			methods, listed, ok := c.allowed(origin, wanted, all, read)
			if !ok {
				// No CORS headers: the browser refuses the page the call.
				// The status and message are for the person with curl.
				writeError(w, r, errorf(http.StatusForbidden, "cors_not_allowed",
					"pages from origin %q may not %s %s here (--cors-origins lists the origins allowed, for the /v1/ routes; * opens the read routes only)", origin, wanted, r.URL.Path))
				return
			}
			c.allow(h, origin, listed)
			h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if _, listed, ok := c.allowed(origin, r.Method, all, read); ok {
			c.allow(h, origin, listed)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

func (c *cors) allow(h http.Header, origin string, listed bool) {
	if listed {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
}
