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
