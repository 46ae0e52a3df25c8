package chat

import (
	"errors"
	"fmt"
	"net/http"
)

// MaxHTTPReads bounds the history pages HistoryHandler reads and sends at
// once.
const MaxHTTPReads = 64

// HistoryHandler serves a page of a room's history as JSON, oldest first,
// for the read-only live view and embeds:
//
//	GET /api/rooms/{room}/messages?before=ID&after=ID&limit=N
//
// It must be mounted on a pattern with a {room} wildcard. The parameters
// are those of SUBSCRIBE /app/rooms/{room}/history; a bad room or
// parameter is a 400 saying why. At most MaxHTTPReads pages are read and
// sent at once (each may be 1 MiB); past that the answer is a 503 naming
// the limit, with Retry-After.
func (a *App) HistoryHandler() http.Handler {
	slots := make(chan struct{}, MaxHTTPReads)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			a.warn.Warn("chat: history reads at their limit", "limit", "MaxHTTPReads")
			w.Header().Set("Retry-After", "1")
			http.Error(w, fmt.Sprintf("chat: too many history reads at once (MaxHTTPReads %d)", MaxHTTPReads), http.StatusServiceUnavailable)
			return
		}
		room := r.PathValue("room")
		if !ValidRoom(room) {
			http.Error(w, "chat: room names have 1-40 letters, digits, - and _", http.StatusBadRequest)
			return
		}
		q, err := ParseQuery(r.URL.Query().Get)
		var rf *refusal
		if errors.As(err, &rf) {
			http.Error(w, "chat: "+rf.msg, http.StatusBadRequest)
			return
		}
		lines, err := a.page(r.Context(), room, q)
		if err != nil {
			a.log.Error("chat: history read failed", "room", room, "err", err)
			http.Error(w, "chat: the history could not be read", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(lines)
	})
}
