package hostile

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// connectAs connects over TCP with a name and passcode.
func connectAs(t *testing.T, s *server, name string) *stomptest.Conn {
	t.Helper()
	c := stomptest.DialTCP(t, s.stomp)
	c.Connect("login", name, "passcode", "secret-of-"+name)
	return c
}

// historyLen pages back through a room's whole history and counts it.
func historyLen(t *testing.T, c *stomptest.Conn, room string) int {
	t.Helper()
	n, before := 0, ""
	for page := 0; ; page++ {
		id := fmt.Sprintf("h-%s-%d", room, page)
		kv := []string{"id", id, "destination", "/app/rooms/" + room + "/history", "limit", "200"}
		if before != "" {
			kv = append(kv, "before", before)
		}
		c.Send(frame.New(frame.SUBSCRIBE, kv...))
		m := c.Expect(frame.MESSAGE)
		var lines []struct{ ID int64 }
		if err := json.Unmarshal(m.Body, &lines); err != nil {
			t.Fatalf("history of %s: %v in %q", room, err, m.Body)
		}
		c.Send(frame.New(frame.UNSUBSCRIBE, "id", id))
		if len(lines) == 0 {
			return n
		}
		n += len(lines)
		before = fmt.Sprint(lines[0].ID)
	}
}

// The chat under attack: sessions making rooms past -max-rooms, claiming
// names past -max-names, and sending 4,000-character lines as fast as they
// can. Every budget refuses with its name; what is stored is what the rates
// allow; the bystander keeps chatting.
func TestHostileChatFlood(t *testing.T) {
	const maxRooms, maxNames = 300, 100
	// Every attacker here comes from 127.0.0.1: the per-address rates are
	// opened up so that the global budgets are what is tested.
	s := start(t, "-max-rooms", fmt.Sprint(maxRooms), "-max-names", fmt.Sprint(maxNames),
		"-rooms-per-ip", "100000,1000", "-claims-per-ip", "100000,1000", "-lines-per-ip", "100000,1000")
	attack(t, s, 32<<20, func() string {
		// Rooms: 40 sessions each try to make 20 (their burst) by joining.
		made, refused := 0, 0
		for i := range 40 {
			c := connectAs(t, s, fmt.Sprintf("roomer-%d", i))
			for j := range 20 {
				c.Send(frame.New(frame.SUBSCRIBE, "id", fmt.Sprint(j), "destination", fmt.Sprintf("/topic/rooms.r%d-%d", i, j), "receipt", fmt.Sprint(j)))
				f, err := c.Read()
				if err != nil {
					t.Fatalf("roomer %d: %v", i, err)
				}
				if f.Command == frame.ERROR {
					if body := string(f.Body); !strings.Contains(body, "max-rooms") {
						t.Fatalf("a room past the budget refused without naming it: %q", body)
					}
					refused++
					c.ExpectClosed()
					break
				}
				made++
			}
			c.Raw().Close()
		}
		if made > maxRooms || refused == 0 {
			t.Fatalf("%d rooms made, %d refusals, with -max-rooms %d", made, refused, maxRooms)
		}

		// Names: claims past -max-names are refused naming the budget;
		// the names claimed so far still work.
		var taken int
		for i := 0; taken == 0 && i < maxNames+50; i++ {
			c := stomptest.DialTCP(t, s.stomp)
			c.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "host", "localhost", "login", fmt.Sprintf("claimer-%d", i), "passcode", "p"))
			f, err := c.Read()
			if err != nil {
				t.Fatalf("claimer %d: %v", i, err)
			}
			if f.Command == frame.ERROR {
				if !strings.Contains(string(f.Body), "max-names") {
					t.Fatalf("a claim past the budget refused without naming it: %q", f.Body)
				}
				taken = i
			}
			c.Raw().Close()
		}
		if taken == 0 {
			t.Fatalf("%d names claimed with -max-names %d", maxNames+50, maxNames)
		}
		connectAs(t, s, "roomer-0").Raw().Close() // a name claimed before still connects

		// Lines: 6 sessions flood one room with 4,000-character lines for
		// a second; each gets its burst (20) and its rate (5 a second).
		reader := connectAs(t, s, "roomer-1")
		flooders := make([]*stomptest.Conn, 6) // at most 6 × (20+5×1) lines: one page of history
		for i := range flooders {
			flooders[i] = connectAs(t, s, fmt.Sprintf("roomer-%d", 10+i))
		}
		body := fmt.Sprintf(`{"content":%q}`, strings.Repeat("가", 4000))
		sent := 0
		start := time.Now()
		for time.Since(start) < time.Second {
			for _, c := range flooders {
				c.SendText("/app/rooms/r0-0/chat", body, "content-type", "application/json")
				sent++
			}
		}
		for _, c := range flooders {
			c.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
			c.Expect(frame.RECEIPT)
		}
		// The server takes lines until it has read each DISCONNECT, behind
		// the flood: its rates run until then, not until the last send.
		elapsed := time.Since(start)
		stored := historyLen(t, reader, "r0-0")
		allowed := len(flooders) * (20 + int(5*elapsed.Seconds()+1))
		if stored > allowed || stored < len(flooders)*20 {
			t.Fatalf("%d of %d lines stored from %d sessions in %s; the rates allow %d", stored, sent, len(flooders), elapsed, allowed)
		}
		reader.Raw().Close()
		return fmt.Sprintf("%d rooms made, then refused (max-rooms %d); claim %d refused (max-names %d); %d of %d 12 KB lines stored in %s",
			made, maxRooms, taken+1, maxNames, stored, sent, elapsed.Round(time.Millisecond))
	})
}

// Filling the history past -max-history-bytes: every receipted line up to
// the budget is stored, the next gets an ERROR naming the budget (no
// RECEIPT), and the history holds no more than the budget allows.
func TestHostileHistoryFull(t *testing.T) {
	const budget = 200_000
	s := start(t, "-max-history-bytes", fmt.Sprint(budget), "-lines-per-ip", "100000,1000")
	attack(t, s, 32<<20, func() string {
		c := connectAs(t, s, "채우기")
		body := fmt.Sprintf(`{"content":%q}`, strings.Repeat("가", 4000)) // 12,000 bytes of text
		receipted := 0
		for i := 0; ; i++ {
			c.SendText("/app/rooms/full/chat", body, "content-type", "application/json", "receipt", fmt.Sprint(i))
			f, err := c.Read()
			if err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			if f.Command == frame.RECEIPT {
				receipted++
				continue
			}
			if f.Command != frame.ERROR || !strings.Contains(string(f.Body), "max-history-bytes") {
				t.Fatalf("line %d: %s %q, want an ERROR naming max-history-bytes", i, f.Command, f.Body)
			}
			break
		}
		if want := budget / 12_000; receipted < want-1 || receipted > want {
			t.Fatalf("%d lines receipted within %d bytes of 12 KB lines, want about %d", receipted, budget, want)
		}
		// A second attacker keeps at it for a second: each line is refused.
		refused := 0
		for start := time.Now(); time.Since(start) < time.Second; {
			c2 := connectAs(t, s, "또채우기") // a name claimed before costs no claim
			c2.SendText("/app/rooms/full/chat", body, "content-type", "application/json", "receipt", "r")
			if f := c2.ExpectError(); !strings.Contains(string(f.Body), "max-history-bytes") {
				t.Fatalf("a line into a full history: %q", f.Body)
			}
			refused++
		}
		reader := connectAs(t, s, "읽기")
		if n := historyLen(t, reader, "full"); n != receipted {
			t.Fatalf("the history holds %d lines, %d were receipted", n, receipted)
		}
		reader.Raw().Close()
		return fmt.Sprintf("%d lines of 12 KB receipted, then %d more refused in 1 s naming max-history-bytes (%d)", receipted, refused+1, budget)
	})
}
