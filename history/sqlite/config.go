package sqlite

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/stompbox/stompbox/history"
)

// Config configures a Store. Zero fields get their defaults; only Path is
// required.
type Config struct {
	// Path is the database file, e.g. ./data/stompbox.db. Open creates its
	// parent directory (mode 0700) if missing. SQLite keeps Path-wal and
	// Path-shm beside it while the store is open.
	Path string
	// MaxRooms bounds the rooms the store holds. Default 10000
	// (history.DefaultMaxRooms).
	MaxRooms int
	// MaxNames bounds the claimed names the store holds. Default 1000000
	// (history.DefaultMaxNames).
	MaxNames int
	// MaxBytes bounds the bytes of messages the store holds, as
	// history.Size counts them (the file is roughly twice that); past it
	// Append returns history.ErrFull. Default 8 GiB
	// (history.DefaultMaxBytes).
	MaxBytes int64
	// MaxBatch bounds the writes (Append, CreateRoom, Claim) the writer
	// commits in one transaction. Default 256.
	MaxBatch int
	// Synchronous is SQLite's synchronous setting in WAL mode: "full" or
	// "normal". Default "full".
	//
	// With "full" every commit waits for fsync of the WAL, so a message
	// that Append returned survives a power cut; with "normal" it survives a
	// crash of the process, but the last commits before a power cut or
	// kernel crash may be lost. The server promises a message is stored
	// before it is broadcast, so the default is "full": group commit pays
	// one fsync per batch, not per message, and under load the difference
	// is small (on a 2-core VM, 256 concurrent appenders: 32,000-38,000
	// appends/s with "full", 37,000-42,000 with "normal"). A lone appender
	// does wait for its own fsync: 3,400-4,500 appends/s with "full",
	// 13,000-17,000 with "normal" there.
	Synchronous string
	// Logger receives the store's rare events (migrations, failed batches).
	// Default slog.Default().
	Logger *slog.Logger
}

// DefaultMaxBatch is the default Config.MaxBatch.
const DefaultMaxBatch = 256

func (c *Config) setDefaults() error {
	if c.Path == "" {
		return fmt.Errorf("history/sqlite: Config.Path is empty")
	}
	history.DefaultLimits(&c.MaxRooms, &c.MaxNames, &c.MaxBytes)
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	switch strings.ToLower(c.Synchronous) {
	case "", "full":
		c.Synchronous = "full"
	case "normal":
		c.Synchronous = "normal"
	default:
		return fmt.Errorf("history/sqlite: Config.Synchronous %q: want \"full\" or \"normal\"", c.Synchronous)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
