package history_test

import (
	"testing"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/historytest"
)

func TestMemory(t *testing.T) {
	historytest.Run(t, func(t *testing.T, maxRooms, maxNames int) history.Store {
		return history.NewMemory(history.MemoryConfig{MaxRooms: maxRooms, MaxNames: maxNames})
	})
}

func TestMemoryMaxBytes(t *testing.T) {
	historytest.Bytes(t, history.NewMemory(history.MemoryConfig{MaxBytes: 1000}))
}
