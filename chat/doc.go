// Package chat is the chat application stompbox serves: rooms, stored
// history, presence and typing over STOMP, on the messaging layer, with
// names that are claimed by a secret. docs/chat-protocol.md is its wire
// contract, frame by frame.
//
// An App is wired into a server in four places:
//
//	app, err := chat.New(ctx, chat.Config{Store: store, Router: router})
//	cfg.OnConnect = app.Connect           // names and their claims
//	cfg.OnSend = app.AuthorizeSend        // owned topics are the app's alone
//	cfg.OnSubscribe = app.AuthorizeSubscribe // room names; joining creates a room
//	cfg.OnEvent = app.OnEvent             // presence
//
// and app.Register(router) adds its handlers: the seed's /app/hello and
// /app/chat, and the rooms API under /app/rooms. HistoryHandler serves a
// room's history over HTTP for the read-only live view, and RoomLog is the
// rooms' history as the SSE endpoint's log (sse.Config.Log), so that a
// live view resumes with its Last-Event-ID on any node.
//
// Every method is safe for concurrent use. Lock order: App.mu is taken
// before the broker's locks (presence changes are published under it, so
// join and leave lines go out in the order they happened); the store is
// never called with App.mu held.
package chat
