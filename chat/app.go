package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/messaging"
)

// Config configures an App. Zero values get the defaults in the comments.
type Config struct {
	// Store keeps history, rooms and name claims. Required.
	Store history.Store
	// Router publishes the app's messages and serves its handlers
	// (Register adds them). Its Users must be set to the server for
	// errors to reach /user/queue/errors. Required.
	Router *messaging.Router
	// Logger receives structured logs; message contents are logged only
	// at debug level. Default: slog.Default().
	Logger *slog.Logger

	// ChatRate and ChatBurst bound one session's chat lines and room
	// creations: a burst of ChatBurst, then ChatRate a second. Defaults:
	// 5 and 20.
	ChatRate  float64
	ChatBurst int
	// TypingInterval is the least time between one session's typing
	// events. Default: 1s.
	TypingInterval time.Duration
	// MaxContent is the longest chat line, in characters. Default: 4000.
	MaxContent int

	// Per client address (IPv6: per /64), for floods from many sessions:
	// LinesPerIP bounds chat lines (default a burst of 200, then 20 a
	// second), RoomsPerIP new rooms (50, then one every 10 s), ClaimsPerIP
	// newly claimed names (100, then one a second). Names already claimed
	// cost nothing, so a reconnect storm behind one NAT is not refused.
	LinesPerIP, RoomsPerIP, ClaimsPerIP Rate

	// PresenceInterval is how often this node tells the others (through
	// the broker, on NodesTopic) who is in its rooms; a node not heard
	// from for three intervals is forgotten, its users gone from the
	// member lists. Default: 10s.
	PresenceInterval time.Duration

	// Now tells the time (for tests). Default: time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	if c.Store == nil || c.Router == nil {
		return c, errors.New("chat: Config.Store and Config.Router are required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ChatRate <= 0 {
		c.ChatRate = 5
	}
	if c.ChatBurst <= 0 {
		c.ChatBurst = 20
	}
	if c.TypingInterval <= 0 {
		c.TypingInterval = time.Second
	}
	if c.MaxContent <= 0 {
		c.MaxContent = 4000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PresenceInterval <= 0 {
		c.PresenceInterval = 10 * time.Second
	}
	c.LinesPerIP = c.LinesPerIP.or(20, 200)
	c.RoomsPerIP = c.RoomsPerIP.or(0.1, 50)
	c.ClaimsPerIP = c.ClaimsPerIP.or(1, 100)
	return c, nil
}

// A Rate is a burst of Burst events, then PerSecond a second.
type Rate struct {
	PerSecond float64
	Burst     int
}

// String is "BURST,PER_SECOND", e.g. "200,20"; Set parses it (flag.Value).
func (r *Rate) String() string {
	return strconv.Itoa(r.Burst) + "," + strconv.FormatFloat(r.PerSecond, 'g', -1, 64)
}

// Set parses "BURST,PER_SECOND".
func (r *Rate) Set(s string) error {
	b, p, ok := strings.Cut(s, ",")
	burst, err1 := strconv.Atoi(strings.TrimSpace(b))
	per, err2 := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if !ok || err1 != nil || err2 != nil || burst < 1 || per <= 0 {
		return fmt.Errorf("want BURST,PER_SECOND (e.g. 200,20), not %q", s)
	}
	r.Burst, r.PerSecond = burst, per
	return nil
}

func (r Rate) or(perSecond float64, burst int) Rate {
	if r.PerSecond <= 0 || r.Burst <= 0 {
		return Rate{perSecond, burst}
	}
	return r
}

func (r Rate) limiter() *limit.Rate { return &limit.Rate{Rate: r.PerSecond, Burst: r.Burst} }

// An App is the chat application. Create it with New.
type App struct {
	cfg    Config
	store  history.Store
	router *messaging.Router
	log    *slog.Logger
	warn   *limit.Warner
	now    func() time.Time

	linesByIP, roomsByIP, claimsByIP *limit.Rate

	mu       sync.Mutex
	rooms    map[string]*roomState // every room, loaded at New
	sessions map[string]*member    // connected sessions, by session id

	listCache json.RawMessage // the answer to /app/rooms, until listUntil
	listUntil time.Time

	// Presence across nodes (nodes.go).
	node      string             // this node's random id
	remotes   map[string]*remote // other nodes, by id; under mu
	inbox     chan *broker.Message
	nodeSub   *broker.Subscription
	stopNodes chan struct{}
	nodesDone chan struct{}

	// The presence outbox (nodes.go): publishes decided under mu, in order.
	outbox     chan outMsg
	outboxDone chan struct{}
	dropped    int         // presence messages the full outbox dropped; under mu
	outClosed  bool        // Close closed the outbox; under mu
	killed     atomic.Bool // set by tests to stop the outbox the way a kill does
}

// roomState is a room and who is in it.
type roomState struct {
	history.Room
	members map[string]int // name -> sessions of that name in the room
}

// member is what the app keeps of a connected session (anonymous ones
// too: they have rates, but no presence).
type member struct {
	name       string
	ip         string            // limit.AddrKey of the session's address
	subs       map[string]string // subscription id -> room, for /topic/rooms.{room}
	in         map[string]int    // room -> subscriptions to it
	chat       limit.Bucket
	joins      limit.Bucket // room subscriptions: each may broadcast a join and a leave
	lastTyping time.Time
}

// New loads the rooms from cfg.Store and returns the App.
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rooms, err := cfg.Store.Rooms(ctx)
	if err != nil {
		return nil, fmt.Errorf("chat: load rooms: %w", err)
	}
	a := &App{
		cfg: cfg, store: cfg.Store, router: cfg.Router, log: cfg.Logger, now: cfg.Now,
		warn:      limit.NewWarner(cfg.Logger, time.Second),
		linesByIP: cfg.LinesPerIP.limiter(), roomsByIP: cfg.RoomsPerIP.limiter(), claimsByIP: cfg.ClaimsPerIP.limiter(),
		rooms:    make(map[string]*roomState, len(rooms)),
		sessions: make(map[string]*member),
	}
	for _, r := range rooms {
		a.rooms[r.Name] = &roomState{Room: r}
	}
	if err := a.startNodes(ctx); err != nil {
		return nil, fmt.Errorf("chat: presence across nodes: %w", err)
	}
	return a, nil
}
