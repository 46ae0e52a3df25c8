// Package sse serves broker messages to browsers as Server-Sent Events: a
// one-way stream for clients that only listen and do not speak STOMP.
//
//	GET /events?destination=/topic/news&destination=/topic/alerts
//
// streams, as text/event-stream, every message published to those
// destinations after the request, whether a STOMP client sent it or the
// server published it through the broker. Mount it on a mux:
//
//	events := sse.New(sse.Config{Broker: b})
//	mux.Handle("GET /events", events)
//	...
//	events.Shutdown(ctx) // before, or with, http.Server.Shutdown
//
// # Requests
//
// Only GET. Each destination parameter must be a valid broker destination
// under /topic/ ([broker.ValidDestination]); /queue/ destinations are
// refused, because a queue gives each message to one consumer and a stream
// cannot acknowledge one. Duplicates are folded; at most
// Config.MaxDestinations distinct ones. Refusals are plain text: 400 for a
// missing, invalid or excess destination, 401 when Config.Authenticate
// fails, 403 naming the destination Config.Authorize denies, 405 for other
// methods, 503 while shutting down or past a limit. A 503 for a limit
// names it (e.g. "sse: too many topics (MaxTopics 10000)") and carries
// Retry-After.
//
// # Wire format
//
// The response has Content-Type text/event-stream, Cache-Control
// no-cache and X-Accel-Buffering no (so nginx does not buffer it). It
// opens with a retry field (2000 ms) and an id line naming the point the
// stream starts from, then carries one event per message:
//
//	retry: 2000
//
//	id: K7QW2MZD-41
//
//	id: K7QW2MZD-42
//	event: message
//	data: {"destination":"/topic/news","contentType":"application/json","body":"{\"title\":\"hi\"}"}
//
//	: keep-alive
//
// The data field is a JSON [Envelope] on one line: destination (so a client
// listening to several can tell them apart), contentType (when the message
// had one) and body, the message body as a string. A body that is not
// valid UTF-8 is sent as base64 with "encoding":"base64". A browser reads it
// with
//
//	const es = new EventSource('/events?destination=/topic/news');
//	es.onmessage = (e) => {
//	  const { destination, body } = JSON.parse(e.data);
//	  show(destination, JSON.parse(body));
//	};
//
// A comment line ": keep-alive" goes out when the stream has been idle for
// Config.KeepAlive. The lone "id:" line at the start is not an event: it
// sets the EventSource's last event id, so that a client that reconnects
// before its first message still resumes from where it was.
//
// # Event ids and resuming
//
// Every message the Server receives gets the next number of one sequence;
// an event id is "<epoch>-<number>", where the epoch is random per Server
// (a restarted server has another). When an EventSource reconnects it
// sends the last id it saw as Last-Event-ID, and the stream first sends,
// in order, the messages after it that are still buffered (the last
// Config.BufferSize per destination, up to Config.BufferBytes), then live
// ones, with nothing lost or repeated in between. A stream's ids always
// increase, across all its destinations, however many publishers publish
// to them at once.
//
// If the buffer cannot cover the whole gap for a destination - the id is of
// another epoch or malformed, messages after it were dropped from the
// buffer, or the Server was not listening to the destination for part of
// the time - the stream first sends, for each destination affected,
//
//	event: gap
//	data: {"destination":"/topic/news","lastEventId":"K7QW2MZD-17"}
//
// and then whatever it does hold after the id (for an unusable id, all it
// holds). A client should then reload its view of that destination:
//
//	es.addEventListener('gap', (e) => reload(JSON.parse(e.data).destination));
//
// A malformed Last-Event-ID is never an error, only a gap. One longer than
// Config.MaxLastEventID (64 bytes) is malformed and is not quoted back: its
// gap events carry "lastEventId":"", so the opening of a stream stays
// small whatever the request sent.
//
// # Resuming on any node
//
// The buffers are a node's own: an id of another Server (another node of
// a cluster, or this one before a restart) cannot be resumed from them.
// For destinations an application keeps a durable, shared record of,
// Config.Log (a [Log]; package chat's RoomLog for its rooms'
// /topic/rooms.{room}) lets a stream resume on any node. Ids of a stream
// with a logged destination carry, after a colon, the position in the Log
// up to which the client has everything, one per destination of the
// request in its order (empty for one without a Log):
//
//	id: K7QW2MZD-42:17
//	id: K7QW2MZD-43:17,,5
//
// A resuming stream whose buffer cannot serve a logged destination is sent
// that destination's messages after the position from the Log instead, in
// order, before any live one; it listens first and reads the Log after, so
// a message logged meanwhile comes either from the Log or live, and a live
// one already sent from the Log is passed over: none is lost or sent
// twice. At most Config.MaxReplay (1000) are sent so per destination; a
// client that missed more, one whose position the Log has not reached, or
// one resuming while the Log cannot be read gets a gap event for it
// instead, and live messages from then on. A destination without a Log
// resumes from this Server's buffer only: elsewhere its client gets a gap
// event and live messages. An id whose marks would make it longer than
// MaxLastEventID goes out without them (it then resumes on the same node
// only). Replayed messages carry ids whose number is the one the stream
// resumed from, so the numbers of a stream's ids no longer always
// increase across a replay; the marks do.
//
// Messages can reach a node out of their order in the Log (two nodes
// publish positions 5 and 6, and 6 arrives first). A mark moves only over
// positions with none missing below, so it never claims a message the
// client was not sent; a resume from it may send again a few the client
// has, which it tells apart by their positions (the chat's line ids). A
// position that never arrives is given up once 64 later ones have.
// At most MaxReplays (64) streams read the Log at once; one more resuming
// meanwhile gets a gap event.
//
// # Resources
//
// The Server subscribes to the broker once per destination, when the first
// stream asks for it. Each message is encoded once into an event and kept
// in the destination's buffer; streams hold no copies and no queues of
// their own: each stream's writer (the request's goroutine) pulls what is
// new for it from its destinations' buffers, in order, and writes the
// shared bytes as they are, one flush per batch of about 64 KiB. A
// publisher only numbers and buffers the message; one goroutine of the
// Server then wakes the listening streams, so publishing costs the same
// whatever the number of streams, and nobody waits for a slow client.
// Besides messages a stream writes only its opening (the retry field, at
// most one gap event per destination, the id line) and keep-alives, all
// made from its own small state when written: nothing is queued for it.
//
// A stream that falls so far behind that a message it was not yet sent
// is dropped from its destination's buffer (it is more than BufferSize or
// BufferBytes behind) is a slow consumer and is ended, as is one whose
// client does not accept a write within Config.WriteTimeout; its client
// reconnects and gets a gap. When a destination's last stream ends, its
// subscription and buffer are kept for Config.BufferAge, so that a quick
// reconnect can resume, then dropped; but at most Config.MaxIdleTopics are
// kept so (past it the longest idle go at once), and at most
// Config.MaxTopics destinations are held in all: a request needing one
// more when none is idle gets 503.
//
// At most Config.MaxStreams streams are served at once; a request past it
// gets 503 "sse: too many streams (MaxStreams 10000)" with Retry-After,
// and a warning is logged at most about once a second. [Server.Stats]
// reports the streams open, the destinations held and idle, and how many
// streams were ended as slow consumers, for the command to publish.
//
// A Server is safe for concurrent use. Shutdown ends every stream and drops
// every subscription; http.Server.Shutdown alone would wait for streams
// that never go idle.
package sse
