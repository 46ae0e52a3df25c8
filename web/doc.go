// Package web serves the embedded browser chat application: the port of the
// seed's chat page (index.html, style.css, chat.js, app.js) together with the
// vendored @stomp/stompjs bundle that `make build` copies into
// static/vendor/ before the binary is built.
//
// Handler returns an http.Handler that serves those files at "/". Every
// response carries a Content-Security-Policy that allows only same-origin
// scripts and styles plus WebSocket connections, and
// X-Content-Type-Options: nosniff. If the binary was built without
// `make build`, static/vendor/stomp.umd.min.js is absent and requests for it
// answer 404; the rest of the page is still served.
//
// The handler is safe for concurrent use by multiple goroutines.
package web
