package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/postgres"
	"github.com/stompbox/stompbox/history/sqlite"
)

// openHistory opens the store -history names: SQLite under -data by
// default, or PostgreSQL for a postgres:// URL. The log names where, never
// a password.
func openHistory(ctx context.Context, o *options, log *slog.Logger) (history.Store, error) {
	switch {
	case o.history == "":
		path := filepath.Join(o.data, "stompbox.db")
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path, MaxRooms: o.maxRooms, MaxNames: o.maxNames, MaxBytes: o.maxHistory, Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("history", "store", "sqlite", "path", path)
		return s, nil
	case strings.HasPrefix(o.history, "postgres://"), strings.HasPrefix(o.history, "postgresql://"):
		s, err := postgres.Open(ctx, postgres.Config{URL: o.history, MaxRooms: o.maxRooms, MaxNames: o.maxNames, MaxBytes: o.maxHistory, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("-history %s: %w", redact(o.history), err)
		}
		log.Info("history", "store", "postgres", "url", redact(o.history))
		return s, nil
	}
	return nil, fmt.Errorf("-history %q: want empty (SQLite under -data) or a postgres:// URL", redact(o.history))
}

// redact hides a URL's password.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}
