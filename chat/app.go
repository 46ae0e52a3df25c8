package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

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
	return c, nil
}

// An App is the chat application. Create it with New.
type App struct {
	cfg    Config
	store  history.Store
	router *messaging.Router
	log    *slog.Logger
	warn   *limit.Warner
	now    func() time.Time

	mu       sync.Mutex
	rooms    map[string]*roomState // every room, loaded at New
	sessions map[string]*member    // connected sessions with a name, by session id
}

// roomState is a room and who is in it.
type roomState struct {
	history.Room
	members map[string]int // name -> sessions of that name in the room
}

// member is what the app keeps of a connected session.
type member struct {
	name       string
	subs       map[string]string // subscription id -> room, for /topic/rooms.{room}
	in         map[string]int    // room -> subscriptions to it
	chat       bucket
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
		warn:     limit.NewWarner(cfg.Logger, time.Second),
		rooms:    make(map[string]*roomState, len(rooms)),
		sessions: make(map[string]*member),
	}
	for _, r := range rooms {
		a.rooms[r.Name] = &roomState{Room: r}
	}
	return a, nil
}
