package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// classic holds the seed's page; app holds the Vue app as `make` builds
// it into web/dist ("all:" keeps the committed dist/.gitkeep, so the
// package compiles before the app is built).
var (
	//go:embed classic
	classic embed.FS
	//go:embed all:dist
	app embed.FS
)

// ContentSecurityPolicy is sent with every response of Handler. Pages load
// their scripts and styles from their own origin only and talk to the
// STOMP endpoint over ws: or wss: (and to /events and /api on the same
// origin).
const ContentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:"

// contentTypes fixes the media types that must not depend on the host's
// MIME tables (module scripts are refused by browsers when served with a
// non-JavaScript type).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".map":   "application/json; charset=utf-8",
	".json":  "application/json; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
}

// NotBuilt is the body of the 503 that "/" answers when the binary was
// built without the app (plain `go build` rather than `make`).
const NotBuilt = "The web app is not built into this binary: run `make` (it needs npm), or open /classic/ for the seed's page.\n"

// Handler serves the browser apps:
//
//	/                    the chat app (web/dist/index.html) and its /assets/
//	/rooms/{room}/live   the read-only live view of a room (web/dist/live.html)
//	/classic/            the seed's page, unchanged (/classic redirects there)
//
// Mount it at the root of the server's mux; the other routes (/chat-app,
// /events, /api/, /healthz) are more specific patterns and take precedence.
func Handler() http.Handler {
	dist := sub(app, "dist")
	old := sub(classic, "classic")
	mux := http.NewServeMux()
	mux.Handle("/classic/", http.StripPrefix("/classic", files(old)))
	mux.Handle("GET /classic", http.RedirectHandler("/classic/", http.StatusMovedPermanently))
	mux.Handle("GET /rooms/{room}/live", page(dist, "live.html"))
	mux.Handle("GET /{$}", page(dist, "index.html"))
	mux.Handle("/", files(dist))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		// fs.Sub only fails for an invalid path, and dir is valid.
		panic("web: " + err.Error())
	}
	return s
}

// files serves the files of fsys, with fixed content types, without
// directory listings or dot files.
func files(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if (p != "/" && strings.HasSuffix(p, "/")) || strings.Contains(p, "/.") {
			http.NotFound(w, r)
			return
		}
		if p == "/" {
			w.Header().Set("Content-Type", contentTypes[".html"])
		} else if ct, ok := contentTypes[path.Ext(p)]; ok {
			w.Header().Set("Content-Type", ct)
		}
		fh.ServeHTTP(w, r)
	})
}

// page serves one HTML file of fsys, or NotBuilt when it is missing.
func page(fsys fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			http.Error(w, NotBuilt, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", contentTypes[".html"])
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	})
}
