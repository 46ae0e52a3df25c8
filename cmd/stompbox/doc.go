// Command stompbox serves the chat: the browser app at /, STOMP over
// WebSocket at /chat-app, optionally STOMP over TCP, and /healthz.
//
// Usage:
//
//	stompbox [flags]
//
// Every flag can also be set from the environment (STOMPBOX_ADDR and so on);
// a flag on the command line wins. Run "stompbox -h" for the list.
//
// SIGINT or SIGTERM stops accepting connections, sends every client a
// close, and exits 0.
package main
