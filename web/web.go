package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// static holds the browser app. The "all:" prefix is not used on purpose:
// dot files in static/ are not part of the app.
//
//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every response of Handler. The page
// loads its scripts and styles from its own origin only and talks to the
// STOMP endpoint over ws: or wss:.
const ContentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:"

// contentTypes fixes the media types that must not depend on the host's
// MIME tables (module scripts are refused by browsers when served with a
// non-JavaScript type).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".map":  "application/json; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// Handler returns an http.Handler serving the embedded chat app at "/".
// It is meant to be mounted at the root of the server's mux; the other
// routes (/chat-app, /healthz) are registered separately and take
// precedence as more specific patterns.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub only fails for an invalid path, and "static" is valid.
		panic("web: " + err.Error())
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		p := r.URL.Path
		if p != "/" && strings.HasSuffix(p, "/") {
			// No directory listings: the app has one page, served at "/".
			http.NotFound(w, r)
			return
		}
		if p == "/" {
			h.Set("Content-Type", contentTypes[".html"])
		} else if ct, ok := contentTypes[path.Ext(p)]; ok {
			h.Set("Content-Type", ct)
		}
		files.ServeHTTP(w, r)
	})
}
