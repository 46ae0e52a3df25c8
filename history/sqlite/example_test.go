package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/sqlite"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "stompbox-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "data", "stompbox.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	for i, line := range []string{"hi", "anyone here?", "yes, me"} {
		name := []string{"ann", "ann", "bob"}[i]
		m, _, err := s.Append(ctx, history.Message{Room: "lobby", Name: name, Content: line, TS: int64(1000 + i)})
		if err != nil {
			log.Fatal(err) // not stored: do not broadcast it
		}
		fmt.Println("stored", m.ID)
	}
	page, err := s.Messages(ctx, "lobby", history.Query{Limit: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range page {
		fmt.Printf("%d %s: %s\n", m.ID, m.Name, m.Content)
	}
	// Output:
	// stored 1
	// stored 2
	// stored 3
	// 2 ann: anyone here?
	// 3 bob: yes, me
}
