package postgres

import (
	"errors"
	"log/slog"

	"github.com/stompbox/stompbox/history"
)

// Config configures a Store. Zero fields get their defaults; URL is
// required.
type Config struct {
	// URL is the database, e.g. postgres://user:pass@host:5432/chat. A
	// password is better given by PGPASSWORD or a .pgpass file.
	URL string
	// MaxRooms bounds the rooms. Default history.DefaultMaxRooms (10000).
	MaxRooms int
	// MaxNames bounds the claimed names. Default history.DefaultMaxNames
	// (1000000).
	MaxNames int
	// MaxBytes bounds the bytes of messages (history.Size). Default
	// history.DefaultMaxBytes (8 GiB).
	MaxBytes int64
	// MaxConns bounds the connections this node opens. Default 16.
	MaxConns int32
	// Logger receives migrations and failures. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.URL == "" {
		return errors.New("history/postgres: Config.URL is empty")
	}
	history.DefaultLimits(&c.MaxRooms, &c.MaxNames, &c.MaxBytes)
	if c.MaxConns <= 0 {
		c.MaxConns = 16
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
