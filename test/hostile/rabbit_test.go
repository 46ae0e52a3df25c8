package hostile

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/rabbittest"
)

// A node on RabbitMQ: filling a /queue (a durable RabbitMQ queue declared
// with -max-held as its x-max-length) past its limit. Each SEND past it
// gets ERROR queue full instead of a receipt, RabbitMQ keeps no more than
// the limit, and every receipted message is then consumed; the bystander,
// whose topic also crosses RabbitMQ, keeps chatting.
func TestHostileRabbitQueueFill(t *testing.T) {
	rabbit, err := rabbittest.New()
	if err != nil {
		if os.Getenv("STOMPBOX_REQUIRE_RABBITMQ") != "" {
			t.Fatalf("RabbitMQ is required (STOMPBOX_REQUIRE_RABBITMQ): %v", err)
		}
		t.Skipf("no RabbitMQ: %v (make deps installs it)", err)
	}
	t.Cleanup(rabbit.Close)
	const limit = 200
	s := start(t, "-broker", rabbit.URL(), "-max-held", strconv.Itoa(limit))
	attack(t, s, 32<<20, func() string {
		body := strings.Repeat("r", 1<<10)
		receipted, refused := 0, 0
		pub := connectTCP(t, s)
		for i := 0; i < limit+50; i++ {
			pub.SendText("/queue/rabbit-fill", body, "receipt", strconv.Itoa(i))
			f, err := pub.Read()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case f.Command == frame.RECEIPT:
				receipted++
			case f.Command == frame.ERROR && f.Header.Get("message") == "queue full" && strings.Contains(string(f.Body), "at its limit"):
				refused++
				pub.Raw().Close() // an ERROR ends the session
				pub = connectTCP(t, s)
			default:
				t.Fatalf("%s %q %q", f.Command, f.Header, f.Body)
			}
		}
		pub.Raw().Close()
		if receipted != limit || refused != 50 {
			t.Errorf("%d receipted and %d refused, want %d and 50", receipted, refused, limit)
		}
		c := connectTCP(t, s)
		c.Send(frame.New(frame.SUBSCRIBE, "id", "d", "destination", "/queue/rabbit-fill", "ack", "client-individual"))
		for range receipted {
			m := c.Expect(frame.MESSAGE)
			c.Send(frame.New(frame.ACK, "id", m.Header.Get("ack")))
		}
		c.ExpectNothing(300e6)
		c.Raw().Close()
		return fmt.Sprintf("x-max-length %d: %d receipted, %d refused (queue full), all %d consumed", limit, receipted, refused, receipted)
	})
}
