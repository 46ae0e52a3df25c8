package history_test

import (
	"context"
	"fmt"

	"github.com/stompbox/stompbox/history"
)

func ExampleMemory() {
	ctx := context.Background()
	s := history.NewMemory(history.MemoryConfig{})
	defer s.Close()

	for i, line := range []string{"hi", "hello", "how are you?"} {
		s.Append(ctx, history.Message{Room: "lobby", Name: "ann", Content: line, TS: int64(1000 + i)})
	}
	// A retried send with the same client id is stored once.
	s.Append(ctx, history.Message{Room: "lobby", Name: "bob", Content: "fine", TS: 2000, ClientID: "b-1"})
	_, dup, _ := s.Append(ctx, history.Message{Room: "lobby", Name: "bob", Content: "fine", TS: 2001, ClientID: "b-1"})
	fmt.Println("retry was a duplicate:", dup)

	// The latest two, oldest first; then what came after id 1.
	latest, _ := s.Messages(ctx, "lobby", history.Query{Limit: 2})
	for _, m := range latest {
		fmt.Println(m.ID, m.Name, m.Content)
	}
	after, _ := s.Messages(ctx, "lobby", history.Query{After: 1, Limit: 1})
	fmt.Println(after[0].ID, after[0].Content)
	// Output:
	// retry was a duplicate: true
	// 3 ann how are you?
	// 4 bob fine
	// 2 hello
}
