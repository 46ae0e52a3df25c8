package historytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stompbox/stompbox/history"
)

// Open opens a new, empty store whose MaxRooms and MaxNames budgets are
// maxRooms and maxNames; 0 means the store's default. The suite closes the
// store (Close errors are ignored after the first), so Open's own cleanups,
// registered on t, run after that.
type Open func(t *testing.T, maxRooms, maxNames int) history.Store

// Run runs the conformance suite against the stores open returns, each
// check in its own parallel subtest with its own store.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"IDs", testIDs},
		{"Fields", testFields},
		{"Paging", testPaging},
		{"UnknownRoom", testUnknownRoom},
		{"NegativeLimit", testNegativeLimit},
		{"Dedupe", testDedupe},
		{"DedupeBurst", testDedupeBurst},
		{"Rooms", testRooms},
		{"RoomBudget", testRoomBudget},
		{"NameBudget", testNameBudget},
		{"Claim", testClaim},
		{"Concurrent", testConcurrent},
		{"Odd", testOdd},
		{"CanceledContext", testCanceledContext},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// store opens a store through open and closes it when t ends.
func store(t *testing.T, open Open, maxRooms, maxNames int) history.Store {
	t.Helper()
	s := open(t, maxRooms, maxNames)
	t.Cleanup(func() { s.Close() })
	return s
}

func appendOK(t *testing.T, s history.Store, m history.Message) history.Message {
	t.Helper()
	got, dup, err := s.Append(context.Background(), m)
	if err != nil {
		t.Fatalf("Append(%+v): %v", m, err)
	}
	if dup {
		t.Fatalf("Append(%+v): dup = true, want false", m)
	}
	return got
}

func messages(t *testing.T, s history.Store, room string, q history.Query) []history.Message {
	t.Helper()
	msgs, err := s.Messages(context.Background(), room, q)
	if err != nil {
		t.Fatalf("Messages(%q, %+v): %v", room, q, err)
	}
	return msgs
}

func ids(msgs []history.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// span returns lo, lo+1, ..., hi (nil when hi < lo).
func span(lo, hi int64) []int64 {
	var out []int64
	for id := lo; id <= hi; id++ {
		out = append(out, id)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testIDs(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	want := map[string]int64{}
	for i, room := range []string{"a", "b", "a", "c", "a", "b"} {
		m := appendOK(t, s, history.Message{Room: room, Name: "ann", Content: fmt.Sprint(i), TS: int64(1000 + i)})
		want[room]++
		if m.ID != want[room] {
			t.Errorf("append %d to %q: id %d, want %d", i, room, m.ID, want[room])
		}
	}
	for room, n := range want {
		if got := ids(messages(t, s, room, history.Query{})); !equalIDs(got, span(1, n)) {
			t.Errorf("room %q ids %v, want 1..%d", room, got, n)
		}
	}
}

func testFields(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	in := history.Message{ID: 99, Room: "lobby", Name: "ann", Content: "héllo, wörld ✓", TS: 1700000000123, ClientID: "c-1"}
	got := appendOK(t, s, in)
	want := in
	want.ID = 1
	if got != want {
		t.Errorf("Append returned %+v, want %+v (the store assigns ID, keeps the rest)", got, want)
	}
	msgs := messages(t, s, "lobby", history.Query{})
	if len(msgs) != 1 || msgs[0] != want {
		t.Errorf("Messages = %+v, want [%+v]", msgs, want)
	}
}

func testPaging(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	const n = 250
	for i := 1; i <= n; i++ {
		appendOK(t, s, history.Message{Room: "r", Name: "ann", Content: fmt.Sprint("line ", i), TS: int64(i)})
	}
	appendOK(t, s, history.Message{Room: "other", Name: "bob", Content: "elsewhere", TS: 1})
	tests := []struct {
		q    history.Query
		want []int64
	}{
		{history.Query{}, span(201, 250)},                                            // DefaultLimit latest
		{history.Query{Limit: 10}, span(241, 250)},                                   //
		{history.Query{Limit: 1}, span(250, 250)},                                    //
		{history.Query{Limit: 200}, span(51, 250)},                                   // MaxLimit
		{history.Query{Limit: 201}, span(51, 250)},                                   // capped
		{history.Query{Limit: math.MaxInt32}, span(51, 250)},                         // capped
		{history.Query{Before: 100, Limit: 10}, span(90, 99)},                        // id < Before
		{history.Query{Before: 100}, span(50, 99)},                                   //
		{history.Query{Before: 5, Limit: 10}, span(1, 4)},                            // short page
		{history.Query{Before: 2}, span(1, 1)},                                       //
		{history.Query{Before: 1}, nil},                                              // nothing before the first
		{history.Query{Before: 251, Limit: 3}, span(248, 250)},                       // Before past the end
		{history.Query{Before: math.MaxInt64, Limit: 3}, span(248, 250)},             //
		{history.Query{After: 10, Limit: 5}, span(11, 15)},                           // id > After, oldest first
		{history.Query{After: 1}, span(2, 51)},                                       // DefaultLimit
		{history.Query{After: 1, Limit: 1000}, span(2, 201)},                         // capped
		{history.Query{After: 240}, span(241, 250)},                                  // short page
		{history.Query{After: 249}, span(250, 250)},                                  //
		{history.Query{After: 250}, nil},                                             // nothing after the last
		{history.Query{After: math.MaxInt64}, nil},                                   //
		{history.Query{After: 10, Before: 13, Limit: 5}, span(11, 15)},               // After wins
		{history.Query{Before: -5, Limit: 2}, span(249, 250)},                        // not > 0: ignored
		{history.Query{After: -5, Before: 100, Limit: 2}, span(98, 99)},              //
		{history.Query{After: math.MinInt64, Before: math.MinInt64}, span(201, 250)}, //
	}
	for _, tt := range tests {
		msgs := messages(t, s, "r", tt.q)
		if got := ids(msgs); !equalIDs(got, tt.want) {
			t.Errorf("Messages(%+v) ids %v, want %v", tt.q, got, tt.want)
		}
		for _, m := range msgs {
			if m.Room != "r" || m.Content != fmt.Sprint("line ", m.ID) || m.TS != m.ID || m.Name != "ann" {
				t.Errorf("Messages(%+v): message %+v does not match what was appended", tt.q, m)
				break
			}
		}
	}
}

func testUnknownRoom(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	appendOK(t, s, history.Message{Room: "known", Name: "ann", Content: "hi", TS: 1})
	for _, q := range []history.Query{{}, {After: 1}, {Before: 10}, {Limit: 200}} {
		if msgs := messages(t, s, "unknown", q); len(msgs) != 0 {
			t.Errorf("Messages(unknown, %+v) = %v, want none", q, msgs)
		}
	}
	if _, _, err := s.CreateRoom(context.Background(), "empty", 5); err != nil {
		t.Fatal(err)
	}
	if msgs := messages(t, s, "empty", history.Query{}); len(msgs) != 0 {
		t.Errorf("Messages(empty room) = %v, want none", msgs)
	}
}

func testNegativeLimit(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	appendOK(t, s, history.Message{Room: "r", Name: "ann", Content: "hi", TS: 1})
	for _, room := range []string{"r", "unknown"} {
		if _, err := s.Messages(context.Background(), room, history.Query{Limit: -1}); !errors.Is(err, history.ErrNegativeLimit) {
			t.Errorf("Messages(%q, Limit -1) error %v, want ErrNegativeLimit", room, err)
		}
	}
}

func testDedupe(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx := context.Background()
	first := appendOK(t, s, history.Message{Room: "a", Name: "ann", Content: "one", TS: 1, ClientID: "x"})
	// The same (name, client id) again, even with other content or in another
	// room, returns the first message and stores nothing.
	for _, m := range []history.Message{
		{Room: "a", Name: "ann", Content: "one", TS: 2, ClientID: "x"},
		{Room: "a", Name: "ann", Content: "changed", TS: 3, ClientID: "x"},
		{Room: "b", Name: "ann", Content: "one", TS: 4, ClientID: "x"},
	} {
		got, dup, err := s.Append(ctx, m)
		if err != nil || !dup || got != first {
			t.Errorf("Append(%+v) = %+v, %v, %v; want %+v, true, nil", m, got, dup, err, first)
		}
	}
	// Another name with that client id, or no client id, is a new message.
	appendOK(t, s, history.Message{Room: "a", Name: "bob", Content: "one", TS: 5, ClientID: "x"})
	appendOK(t, s, history.Message{Room: "a", Name: "ann", Content: "one", TS: 6})
	appendOK(t, s, history.Message{Room: "a", Name: "ann", Content: "one", TS: 7})
	appendOK(t, s, history.Message{Room: "a", Name: "ann", Content: "two", TS: 8, ClientID: "y"})
	if got := ids(messages(t, s, "a", history.Query{})); !equalIDs(got, span(1, 5)) {
		t.Errorf("room a ids %v, want 1..5 (no duplicates stored, no ids skipped)", got)
	}
	if msgs := messages(t, s, "b", history.Query{}); len(msgs) != 0 {
		t.Errorf("room b holds %v, want nothing", msgs)
	}
	rooms, err := s.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 1 || rooms[0].LastActivity != 8 {
		t.Errorf("Rooms = %+v, want only a with LastActivity 8 (a duplicate touches nothing)", rooms)
	}
}

func testDedupeBurst(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	const n = 32
	var wg sync.WaitGroup
	got := make([]history.Message, n)
	dups := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			m := history.Message{Room: "r", Name: "ann", Content: fmt.Sprint("try ", i), TS: int64(i), ClientID: "same"}
			got[i], dups[i], errs[i] = s.Append(context.Background(), m)
		})
	}
	wg.Wait()
	stored := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Append %d: %v", i, errs[i])
		}
		if !dups[i] {
			stored++
		}
		if got[i] != got[0] {
			t.Errorf("Append %d returned %+v, Append 0 %+v; want the same stored message", i, got[i], got[0])
		}
	}
	if stored != 1 {
		t.Errorf("%d appends stored (dup = false), want exactly 1", stored)
	}
	if msgs := messages(t, s, "r", history.Query{}); len(msgs) != 1 || msgs[0] != got[0] {
		t.Errorf("room holds %+v, want [%+v]", msgs, got[0])
	}
}

func testRooms(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx := context.Background()
	if rooms, err := s.Rooms(ctx); err != nil || len(rooms) != 0 {
		t.Fatalf("Rooms of a new store = %v, %v; want none", rooms, err)
	}
	r, created, err := s.CreateRoom(ctx, "m", 1000)
	if want := (history.Room{Name: "m", Created: 1000, LastActivity: 1000}); err != nil || !created || r != want {
		t.Errorf("CreateRoom(m) = %+v, %v, %v; want %+v, true, nil", r, created, err, want)
	}
	r, created, err = s.CreateRoom(ctx, "m", 2000)
	if want := (history.Room{Name: "m", Created: 1000, LastActivity: 1000}); err != nil || created || r != want {
		t.Errorf("CreateRoom(m) again = %+v, %v, %v; want %+v, false, nil", r, created, err, want)
	}
	appendOK(t, s, history.Message{Room: "b", Name: "ann", Content: "x", TS: 5000}) // creates b
	appendOK(t, s, history.Message{Room: "m", Name: "ann", Content: "x", TS: 3000})
	appendOK(t, s, history.Message{Room: "m", Name: "ann", Content: "y", TS: 3500})
	r, created, err = s.CreateRoom(ctx, "b", 9000)
	if want := (history.Room{Name: "b", Created: 5000, LastActivity: 5000}); err != nil || created || r != want {
		t.Errorf("CreateRoom(b) after Append = %+v, %v, %v; want %+v, false, nil", r, created, err, want)
	}
	if _, _, err := s.CreateRoom(ctx, "a", 4000); err != nil {
		t.Fatal(err)
	}
	rooms, err := s.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Room{
		{Name: "a", Created: 4000, LastActivity: 4000},
		{Name: "b", Created: 5000, LastActivity: 5000},
		{Name: "m", Created: 1000, LastActivity: 3500},
	}
	if fmt.Sprint(rooms) != fmt.Sprint(want) {
		t.Errorf("Rooms = %+v, want %+v", rooms, want)
	}
}

func testRoomBudget(t *testing.T, open Open) {
	s := store(t, open, 2, 0)
	ctx := context.Background()
	if _, _, err := s.CreateRoom(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	appendOK(t, s, history.Message{Room: "b", Name: "ann", Content: "x", TS: 2})
	if _, _, err := s.CreateRoom(ctx, "c", 3); !errors.Is(err, history.ErrTooManyRooms) {
		t.Errorf("CreateRoom past MaxRooms: %v, want ErrTooManyRooms", err)
	}
	if _, _, err := s.Append(ctx, history.Message{Room: "c", Name: "ann", Content: "x", TS: 4, ClientID: "k"}); !errors.Is(err, history.ErrTooManyRooms) {
		t.Errorf("Append to a new room past MaxRooms: %v, want ErrTooManyRooms", err)
	}
	// The refused append kept nothing, not even its client id.
	appendOK(t, s, history.Message{Room: "a", Name: "ann", Content: "x", TS: 5, ClientID: "k"})
	if _, created, err := s.CreateRoom(ctx, "b", 6); err != nil || created {
		t.Errorf("CreateRoom of an existing room at MaxRooms: created %v, %v; want false, nil", created, err)
	}
	rooms, err := s.Rooms(ctx)
	if err != nil || len(rooms) != 2 {
		t.Errorf("Rooms = %v, %v; want a and b", rooms, err)
	}
	if msgs := messages(t, s, "c", history.Query{}); len(msgs) != 0 {
		t.Errorf("refused room c holds %v", msgs)
	}
}

func testNameBudget(t *testing.T, open Open) {
	s := store(t, open, 0, 2)
	ctx := context.Background()
	for _, name := range []string{"ann", "bob"} {
		if err := s.Claim(ctx, name, []byte(name+"-hash")); err != nil {
			t.Fatalf("Claim(%s): %v", name, err)
		}
	}
	if err := s.Claim(ctx, "cyd", []byte("h")); !errors.Is(err, history.ErrTooManyNames) {
		t.Errorf("Claim past MaxNames: %v, want ErrTooManyNames", err)
	}
	if err := s.Claim(ctx, "ann", []byte("ann-hash")); err != nil {
		t.Errorf("Claim of a held name at MaxNames: %v, want nil", err)
	}
	if err := s.Claim(ctx, "bob", []byte("wrong")); !errors.Is(err, history.ErrNameTaken) {
		t.Errorf("Claim of a held name with another secret at MaxNames: %v, want ErrNameTaken", err)
	}
	if err := s.Claim(ctx, "cyd", []byte("h")); !errors.Is(err, history.ErrTooManyNames) {
		t.Errorf("Claim past MaxNames, again: %v, want ErrTooManyNames", err)
	}
}

func testClaim(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx := context.Background()
	h1 := []byte("0123456789abcdef0123456789abcdef")
	h2 := bytes.Clone(h1)
	h2[31] ^= 1
	mine := bytes.Clone(h1)
	tests := []struct {
		name string
		hash []byte
		want error
	}{
		{"ann", mine, nil},                // first claim
		{"ann", h1, nil},                  // same secret
		{"ann", h2, history.ErrNameTaken}, // one bit off
		{"ann", h1[:31], history.ErrNameTaken},
		{"ann", append(bytes.Clone(h1), 0), history.ErrNameTaken},
		{"ann", nil, history.ErrNameTaken},
		{"Ann", h2, nil}, // names are exact strings: the caller folds case if it wants
		{"bob", h2, nil},
		{"bob", h1, history.ErrNameTaken},
		{"carl", nil, nil}, // no secret: only a check that the name is free...
		{"carl", nil, nil},
		{"carl", h1, nil}, // ...which stored nothing: the first secret claims it
		{"carl", nil, history.ErrNameTaken},
		{"carl", h2, history.ErrNameTaken},
	}
	for i, tt := range tests {
		if i == 1 {
			mine[0] ^= 0xff // the store kept its own copy of the hash
		}
		if err := s.Claim(ctx, tt.name, tt.hash); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%d: Claim(%q, %x) = %v, want %v", i, tt.name, tt.hash, err, tt.want)
		}
	}
}

func testConcurrent(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx := context.Background()
	const (
		writers   = 16
		perWriter = 50
		nRooms    = 4
	)
	var mu sync.Mutex
	got := map[string]map[int64]string{} // room -> id -> content
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				room := fmt.Sprint("room", (w+i)%nRooms)
				content := fmt.Sprintf("w%d-%d", w, i)
				m := history.Message{Room: room, Name: fmt.Sprint("user", w), Content: content, TS: int64(i), ClientID: fmt.Sprint(i)}
				if i%5 == 4 {
					m.ClientID = "" // some without a client id
				}
				stored, dup, err := s.Append(ctx, m)
				if err != nil || dup {
					t.Errorf("Append(%+v) = %v, %v", m, dup, err)
					return
				}
				mu.Lock()
				if got[room] == nil {
					got[room] = map[int64]string{}
				}
				if prev, ok := got[room][stored.ID]; ok {
					t.Errorf("room %s id %d given to %q and %q", room, stored.ID, prev, content)
				}
				got[room][stored.ID] = content
				mu.Unlock()
			}
		})
	}
	// Readers, meanwhile, see pages in order.
	for r := range 4 {
		wg.Go(func() {
			for range 20 {
				msgs, err := s.Messages(ctx, fmt.Sprint("room", r), history.Query{Limit: 20})
				if err != nil {
					t.Error(err)
					return
				}
				for i := 1; i < len(msgs); i++ {
					if msgs[i].ID != msgs[i-1].ID+1 {
						t.Errorf("page ids %v not consecutive", ids(msgs))
						break
					}
				}
				if _, err := s.Rooms(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for room, byID := range got {
		n := int64(len(byID))
		total += len(byID)
		var all []history.Message
		for after := int64(0); ; {
			page := messages(t, s, room, history.Query{After: after, Limit: history.MaxLimit})
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].ID
		}
		if got := ids(all); !equalIDs(got, span(1, n)) {
			t.Errorf("room %s ids %v, want 1..%d without gaps", room, got, n)
			continue
		}
		for _, m := range all {
			if m.Content != byID[m.ID] {
				t.Errorf("room %s id %d holds %q, Append returned that id for %q", room, m.ID, m.Content, byID[m.ID])
			}
		}
	}
	if total != writers*perWriter {
		t.Errorf("%d messages stored, want %d", total, writers*perWriter)
	}
}

// testOdd feeds strings the caller should have refused; the store must keep
// them faithfully or fail cleanly, never crash.
func testOdd(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx := context.Background()
	odd := []string{"", "\x00", "a\x00b", "\xff\xfe", strings.Repeat("long ", 20000), "'; DROP TABLE messages; --", "%_*?", "日本語"}
	for _, str := range odd {
		m := history.Message{Room: str, Name: str, Content: str, TS: -1, ClientID: str}
		got, dup, err := s.Append(ctx, m)
		if err != nil {
			continue // refusing is allowed
		}
		if dup {
			t.Errorf("Append of odd %q: dup", trunc(str))
			continue
		}
		m.ID = got.ID
		if got != m {
			t.Errorf("Append of odd %q returned %+v", trunc(str), got)
		}
		msgs, err := s.Messages(ctx, str, history.Query{Limit: 1})
		if err != nil || len(msgs) != 1 || msgs[0] != m {
			t.Errorf("Messages of odd room %q = %d messages, %v; want the one appended", trunc(str), len(msgs), err)
		}
		if _, _, err := s.CreateRoom(ctx, str, math.MinInt64); err != nil {
			t.Errorf("CreateRoom(%q) of an existing room: %v", trunc(str), err)
		}
		if err := s.Claim(ctx, str, []byte(str)); err != nil {
			t.Errorf("Claim(%q): %v", trunc(str), err)
		}
	}
	if _, err := s.Rooms(ctx); err != nil {
		t.Error(err)
	}
}

func trunc(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

func testCanceledContext(t *testing.T, open Open) {
	s := store(t, open, 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: "x", TS: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a canceled context: %v, want context.Canceled", err)
	}
	if _, _, err := s.CreateRoom(ctx, "q", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateRoom with a canceled context: %v, want context.Canceled", err)
	}
	if err := s.Claim(ctx, "ann", []byte("h")); !errors.Is(err, context.Canceled) {
		t.Errorf("Claim with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.Messages(ctx, "r", history.Query{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Messages with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.Rooms(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Rooms with a canceled context: %v, want context.Canceled", err)
	}
	rooms, err := s.Rooms(context.Background())
	if err != nil || len(rooms) != 0 {
		t.Errorf("Rooms after canceled calls = %v, %v; want none", rooms, err)
	}
	// The canceled claim kept nothing.
	if err := s.Claim(context.Background(), "ann", []byte("other")); err != nil {
		t.Errorf("Claim after a canceled claim: %v", err)
	}
}

func testClose(t *testing.T, open Open) {
	s := open(t, 0, 0)
	ctx := context.Background()
	appendOK(t, s, history.Message{Room: "r", Name: "ann", Content: "x", TS: 1})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: "x", TS: 2}); !errors.Is(err, history.ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Messages(ctx, "r", history.Query{}); !errors.Is(err, history.ErrClosed) {
		t.Errorf("Messages after Close: %v, want ErrClosed", err)
	}
	if _, _, err := s.CreateRoom(ctx, "q", 1); !errors.Is(err, history.ErrClosed) {
		t.Errorf("CreateRoom after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Rooms(ctx); !errors.Is(err, history.ErrClosed) {
		t.Errorf("Rooms after Close: %v, want ErrClosed", err)
	}
	if err := s.Claim(ctx, "ann", nil); !errors.Is(err, history.ErrClosed) {
		t.Errorf("Claim after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, history.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
}
