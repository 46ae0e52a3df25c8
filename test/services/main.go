// Command services runs the backing services of the multi-node end-to-end
// tests: a RabbitMQ node and a PostgreSQL cluster of their own, on
// loopback (internal/rabbittest, internal/pgtest). It prints one JSON line
// with their URLs, then obeys lines on standard input:
//
//	stop-rabbit    stop RabbitMQ (answers "stopped")
//	start-rabbit   start it again, same port and data (answers "started")
//
// and stops everything when standard input closes, so a test that dies
// leaves nothing running.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/stompbox/stompbox/internal/pgtest"
	"github.com/stompbox/stompbox/internal/rabbittest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "services:", err)
		os.Exit(1)
	}
}

func run() error {
	rabbit, err := rabbittest.New()
	if err != nil {
		return err
	}
	defer rabbit.Close()
	pg, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer pg.Close()
	db, err := pg.NewDatabase(context.Background())
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.Encode(map[string]string{"amqp": rabbit.URL(), "postgres": db})
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "stop-rabbit":
			rabbit.Stop()
			fmt.Println("stopped")
		case "start-rabbit":
			if err := rabbit.Start(); err != nil {
				return err
			}
			fmt.Println("started")
		default:
			fmt.Println("unknown command")
		}
	}
	return nil
}
