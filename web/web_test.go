package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	// http.FileServerFS redirects /index.html to the directory, "/".
	if res := get(t, h, "/index.html"); res.StatusCode != http.StatusMovedPermanently {
		t.Errorf("GET /index.html: status %d, want 301 to /", res.StatusCode)
	}
	for _, path := range []string{"/"} {
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
		"/chat.js":   "text/javascript",
		"/app.js":    "text/javascript",
		"/style.css": "text/css",
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
	for _, path := range []string{"/app.js", "/chat.js"} {
		b := body(t, get(t, Handler(), path))
		if strings.Contains(b, "innerHTML") || strings.Contains(b, "insertAdjacentHTML") {
			t.Errorf("%s uses innerHTML/insertAdjacentHTML; message text must go in with textContent", path)
		}
	}
}

func TestUnknownPathIs404(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/no-such-file.js", "/vendor/", "/nope/deeper.html"} {
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
				req := httptest.NewRequest(http.MethodGet, "/chat.js", nil)
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
