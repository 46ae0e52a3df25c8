package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func TestIndexServedWithSecurityHeaders(t *testing.T) {
	h := Handler()
	// http.FileServerFS redirects /index.html to the directory.
	if res := get(t, h, "/classic/index.html"); res.StatusCode != http.StatusMovedPermanently {
		t.Errorf("GET /classic/index.html: status %d, want 301 to /classic/", res.StatusCode)
	}
	if res := get(t, h, "/classic"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/classic/" {
		t.Errorf("GET /classic: status %d to %q, want 301 to /classic/", res.StatusCode, res.Header.Get("Location"))
	}
	for _, path := range []string{"/classic/"} {
		res := get(t, h, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy = %q, want %q", path, got, ContentSecurityPolicy)
		}
		if !strings.Contains(ContentSecurityPolicy, "default-src 'self'") ||
			!strings.Contains(ContentSecurityPolicy, "connect-src 'self' ws: wss:") {
			t.Errorf("ContentSecurityPolicy = %q lacks the required directives", ContentSecurityPolicy)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("GET %s: Content-Type = %q, want text/html", path, got)
		}
		b := body(t, res)
		for _, want := range []string{
			`id="chat-messages"`,
			`id="name"`,
			`placeholder="이름을 입력하세요."`,
			`id="connect"`,
			`id="disconnect"`,
			`id="content"`,
			`placeholder="메시지를 입력하세요..."`,
			`id="send"`,
			`src="vendor/stomp.umd.min.js"`,
			`<script type="module" src="app.js">`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("GET %s: body lacks %s", path, want)
			}
		}
		if strings.Contains(b, "http://") || strings.Contains(b, "https://") {
			t.Errorf("GET %s: page refers to another origin (no CDN allowed)", path)
		}
	}
}

func TestScriptsAndStylesContentType(t *testing.T) {
	h := Handler()
	cases := map[string]string{
		"/classic/chat.js":   "text/javascript",
		"/classic/app.js":    "text/javascript",
		"/classic/style.css": "text/css",
	}
	for path, want := range cases {
		res := get(t, h, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, want) {
			t.Errorf("GET %s: Content-Type = %q, want %s", path, got, want)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy = %q", path, got)
		}
	}
}

func TestAppNeverUsesInnerHTML(t *testing.T) {
	for _, path := range []string{"/classic/app.js", "/classic/chat.js"} {
		b := body(t, get(t, Handler(), path))
		if strings.Contains(b, "innerHTML") || strings.Contains(b, "insertAdjacentHTML") {
			t.Errorf("%s uses innerHTML/insertAdjacentHTML; message text must go in with textContent", path)
		}
	}
}

func TestUnknownPathIs404(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/no-such-file.js", "/classic/vendor/", "/nope/deeper.html", "/.gitkeep", "/classic/.hidden", "/assets/"} {
		res := get(t, h, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
		if got := res.Header.Get("Content-Type"); strings.HasPrefix(got, "text/javascript") {
			t.Errorf("GET %s: 404 served as %q", path, got)
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	h := Handler()
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 20; j++ {
				req := httptest.NewRequest(http.MethodGet, "/classic/chat.js", nil)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Errorf("GET /chat.js: status %d", rec.Code)
					return
				}
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}

// The app's pages come from the build; without one, "/" says how to make it.
func TestAppPages(t *testing.T) {
	built := fstest.MapFS{"index.html": {Data: []byte("<div id=app></div>")}, "live.html": {Data: []byte("<div id=live></div>")}}
	for _, c := range []struct {
		fsys       fs.FS
		name, want string
		status     int
	}{
		{built, "index.html", "<div id=app>", http.StatusOK},
		{built, "live.html", "<div id=live>", http.StatusOK},
		{fstest.MapFS{}, "index.html", "run `make`", http.StatusServiceUnavailable},
	} {
		res := get(t, page(c.fsys, c.name), "/")
		if b := body(t, res); res.StatusCode != c.status || !strings.Contains(b, c.want) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, res.StatusCode, b, c.status, c.want)
		}
	}
	// The live view of any room is the one live page.
	h := Handler()
	for _, p := range []string{"/", "/rooms/lobby/live", "/rooms/%ED%95%9C%EA%B5%AD/live"} {
		res := get(t, h, p)
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s: status %d", p, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); res.StatusCode == http.StatusOK && !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
}
