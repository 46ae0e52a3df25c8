// Package web serves the embedded browser apps:
//
//   - the chat app at "/": Vue 3, built by `make` from web/app into
//     web/dist, with the read-only live view of a room at
//     /rooms/{room}/live;
//   - the seed's page at /classic/, unchanged, with the @stomp/stompjs
//     bundle that `make` copies into classic/vendor/.
//
// Nothing is loaded from another origin. Every response carries a
// Content-Security-Policy that allows only same-origin scripts and styles
// plus WebSocket connections, and X-Content-Type-Options: nosniff. A
// binary built without `make` (plain `go build`) answers "/" with a 503
// saying how to build the app; /classic/ still works, without its vendored
// bundle.
//
// The handler is safe for concurrent use by multiple goroutines.
package web
