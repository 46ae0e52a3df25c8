package chat

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// MaxClientIDLen bounds the client-id header of a chat line, in bytes.
const MaxClientIDLen = 64

// ChatIn is the body of a SEND to /app/rooms/{room}/chat.
type ChatIn struct {
	Content string `json:"content"`
}

// RoomIn is the body of a SEND to /app/rooms: make a room.
type RoomIn struct {
	Name string `json:"name"`
}

// Typing is an event on /topic/rooms.{room}.typing.
type Typing struct {
	Name string `json:"name"`
}

// A Line is a chat line as /topic/rooms.{room} and the history carry it:
// {"id","room","name","content","ts"}.
type Line = history.Message

// Register adds the app's handlers to r: the seed's /hello and /chat, and
// the rooms API (docs/chat-protocol.md).
func (a *App) Register(r *messaging.Router) {
	registerSeed(r, a.log, a.seedSpeaker)

	none := messaging.SendTo("") // these handlers publish what they must themselves
	messaging.Handle(r, "/rooms", a.createRoom, none)
	messaging.Handle(r, "/rooms/{room}/chat", a.chat, none)
	messaging.Handle(r, "/rooms/{room}/typing", a.typing, none)
	messaging.Subscribe(r, "/rooms", func(context.Context) (json.RawMessage, error) { return a.roomList(), nil })
	messaging.Subscribe(r, "/rooms/{room}/members", a.memberList)
	messaging.Subscribe(r, "/rooms/{room}/history", a.history)
}

// sender returns the session's name and its member state; a session
// without a name may not speak.
func (a *App) sender(ctx context.Context) (*server.Session, error) {
	s, ok := server.SessionFrom(ctx)
	if !ok || s.User == "" {
		return nil, refuse("name-required", "connect with a name to speak")
	}
	return s, nil
}

// room returns the handler's room variable, checked.
func room(ctx context.Context) (string, error) {
	r := messaging.Var(ctx, "room")
	if !ValidRoom(r) {
		return "", refuse("bad-room", "room names have 1-40 letters, digits, - and _")
	}
	return r, nil
}

// checkContent says what is wrong with a chat line, if anything.
func (a *App) checkContent(c string) error {
	if strings.TrimSpace(c) == "" {
		return refuse("blank", "a message needs some text")
	}
	if n := utf8.RuneCountInString(c); n > a.cfg.MaxContent {
		return refuse("too-long", "a message may have "+strconv.Itoa(a.cfg.MaxContent)+" characters at most, not "+strconv.Itoa(n))
	}
	for _, r := range c {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return refuse("bad-content", "a message may not contain control characters other than newline and tab")
		}
	}
	return nil
}

// spend takes a token of session s's chat rate, then one of its address's
// rate perIP (what names what that rate counts). A session the app never
// heard connect (OnEvent not wired) is refused rather than let through
// without a rate.
func (a *App) spend(s *server.Session, perIP *limit.Rate, what string) error {
	now := a.now()
	a.mu.Lock()
	m := a.sessions[s.ID]
	ok := m != nil && m.chat.Take(now, a.cfg.ChatRate, a.cfg.ChatBurst)
	a.mu.Unlock()
	switch {
	case m == nil:
		return refuse("not-connected", "the chat has no record of this session")
	case !ok:
		return refuse("rate-limited", "at most "+strconv.Itoa(a.cfg.ChatBurst)+" messages at once, then "+strconv.FormatFloat(a.cfg.ChatRate, 'g', -1, 64)+" a second: slow down")
	case !perIP.Allow(m.ip, now):
		a.warn.Warn("chat: a client address is over its rate", "what", what, "addr", m.ip)
		return refuse("rate-limited", "too many "+what+" from your address: slow down")
	}
	return nil
}

// chat stores a line, then broadcasts it: SEND /app/rooms/{room}/chat.
func (a *App) chat(ctx context.Context, in ChatIn) (struct{}, error) {
	return struct{}{}, a.forClient(ctx, a.post(ctx, in))
}

func (a *App) post(ctx context.Context, in ChatIn) error {
	s, err := a.sender(ctx)
	if err != nil {
		return err
	}
	room, err := room(ctx)
	if err != nil {
		return err
	}
	if err := a.checkContent(in.Content); err != nil {
		return err
	}
	cid := messaging.Header(ctx, "client-id")
	if len(cid) > MaxClientIDLen {
		return refuse("bad-client-id", "a client-id may have "+strconv.Itoa(MaxClientIDLen)+" bytes at most")
	}
	if err := a.spend(s, a.linesByIP, "lines"); err != nil {
		return err
	}
	if err := a.ensureRoom(ctx, room); err != nil {
		return err
	}
	ts := a.now().UnixMilli()
	line, dup, err := a.store.Append(ctx, history.Message{Room: room, Name: s.User, Content: in.Content, TS: ts, ClientID: cid})
	if errors.Is(err, history.ErrFull) {
		a.warn.Warn("chat: history budget reached", "limit", "max-history-bytes")
		return refuse("history-full", "the history is full (max-history-bytes): no new lines are stored")
	}
	if err != nil {
		a.log.Error("chat: store failed", "room", room, "err", err)
		return refuse("store-failed", "the message could not be stored; send it again")
	}
	if dup {
		if line.Room != room {
			return refuse("bad-client-id", "this client-id was used for a line in another room")
		}
		a.log.Debug("chat: repeated client-id, not stored again", "room", room, "id", line.ID)
		return nil
	}
	a.log.Debug("chat line", "room", room, "id", line.ID, "bytes", len(in.Content))
	a.mu.Lock()
	if st := a.rooms[room]; st != nil && ts > st.LastActivity {
		st.LastActivity = ts
	}
	a.mu.Unlock()
	// A stored line that fails to broadcast is still in the history, where
	// a client catching up finds it; the sender is told all the same.
	if err := a.router.Publish(ctx, RoomTopic(room), line); err != nil {
		a.log.Error("chat: broadcast failed", "room", room, "err", err)
		return refuse("broadcast-failed", "the message was stored but not broadcast: it is in the history")
	}
	return nil
}

// createRoom makes a room: SEND /app/rooms {"name"}. An existing room is
// not an error.
func (a *App) createRoom(ctx context.Context, in RoomIn) (struct{}, error) {
	s, _ := server.SessionFrom(ctx)
	if !ValidRoom(in.Name) {
		return struct{}{}, a.forClient(ctx, refuse("bad-room", "room names have 1-40 letters, digits, - and _"))
	}
	if err := a.allowCreate(s); err != nil {
		return struct{}{}, a.forClient(ctx, err)
	}
	return struct{}{}, a.forClient(ctx, a.ensureRoom(ctx, in.Name))
}

// typing relays that the sender is typing: SEND /app/rooms/{room}/typing,
// at most one per TypingInterval per session, only from a member.
func (a *App) typing(ctx context.Context, _ []byte) (struct{}, error) {
	s, err := a.sender(ctx)
	if err != nil {
		return struct{}{}, a.forClient(ctx, err)
	}
	room, err := room(ctx)
	if err != nil {
		return struct{}{}, a.forClient(ctx, err)
	}
	now := a.now()
	a.mu.Lock()
	m := a.sessions[s.ID]
	switch {
	case m == nil || m.in[room] == 0:
		err = refuse("not-member", "join "+room+" (subscribe to "+RoomTopic(room)+") before typing in it")
	case !m.lastTyping.IsZero() && now.Sub(m.lastTyping) < a.cfg.TypingInterval:
		err = refuse("rate-limited", "at most one typing event every "+a.cfg.TypingInterval.String())
	default:
		m.lastTyping = now
	}
	a.mu.Unlock()
	if err != nil {
		return struct{}{}, a.forClient(ctx, err)
	}
	a.publish(ctx, TypingTopic(room), Typing{Name: s.User})
	return struct{}{}, nil
}

// memberList answers SUBSCRIBE /app/rooms/{room}/members.
func (a *App) memberList(ctx context.Context) ([]Member, error) {
	room, err := room(ctx)
	if err != nil {
		return nil, a.forClient(ctx, err)
	}
	return a.members(room), nil
}

// history answers SUBSCRIBE /app/rooms/{room}/history: the latest page,
// or with headers before, after and limit another one (Query). A
// subscriber always gets an answer: a bad room or a failed read is an
// ERROR, never a subscription left waiting.
func (a *App) history(ctx context.Context) (json.RawMessage, error) {
	room, err := room(ctx)
	if err != nil {
		return nil, messaging.Reject("%s", err.(*refusal).msg)
	}
	q, err := ParseQuery(func(k string) string { return messaging.Header(ctx, k) })
	if err != nil {
		return nil, messaging.Reject("%s", err.(*refusal).msg)
	}
	page, err := a.page(ctx, room, q)
	if err != nil {
		a.log.Error("chat: history read failed", "room", room, "err", err)
		return nil, messaging.Reject("the history of %s could not be read; try again", room)
	}
	return page, nil
}

// MaxPageBytes bounds a page of history as sent (JSON), well inside a
// session's outbound budget (-max-queued-bytes, 4 MiB): 200 lines of
// 4,000 four-byte characters would be 3.2 MB. A page of long lines holds
// fewer lines than asked; clients page on until a page comes back empty.
const MaxPageBytes = 1 << 20

// page reads a page of room's history and encodes it as a JSON array,
// oldest first, within MaxPageBytes: a page before an id (or the latest)
// keeps its newest lines, a page after an id its oldest.
func (a *App) page(ctx context.Context, room string, q history.Query) (json.RawMessage, error) {
	lines, err := a.store.Messages(ctx, room, q)
	if err != nil {
		return nil, err
	}
	enc := make([][]byte, len(lines))
	total := 2
	for i := range lines {
		if enc[i], err = encodeLine(lines[i]); err != nil {
			return nil, err
		}
	}
	from, to := 0, len(enc)
	if q.After > 0 {
		for to = 0; to < len(enc) && total+len(enc[to])+1 <= MaxPageBytes; to++ {
			total += len(enc[to]) + 1
		}
	} else {
		for from = len(enc); from > 0 && total+len(enc[from-1])+1 <= MaxPageBytes; from-- {
			total += len(enc[from-1]) + 1
		}
	}
	out := make([]byte, 0, total)
	out = append(out, '[')
	for i, b := range enc[from:to] {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	return append(out, ']'), nil
}

// ParseQuery reads the paging parameters before, after and limit from get
// (SUBSCRIBE headers or URL query values). Missing ones are zero; a limit
// over history.MaxLimit is capped to it.
func ParseQuery(get func(string) string) (history.Query, error) {
	var q history.Query
	num := func(k string) (int64, error) {
		v := get(k)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, refuse("bad-query", k+" must be a non-negative whole number, not "+strconv.Quote(frame.Truncate(v)))
		}
		return n, nil
	}
	var err error
	if q.Before, err = num("before"); err != nil {
		return q, err
	}
	if q.After, err = num("after"); err != nil {
		return q, err
	}
	l, err := num("limit")
	if err != nil {
		return q, err
	}
	q.Limit = int(min(l, history.MaxLimit))
	return q, nil
}
