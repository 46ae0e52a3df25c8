package amqp

import (
	"errors"
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	for d, want := range map[string]string{
		"/topic/rooms.lobby": "topic.rooms.lobby",
		"/topic/a/b.c":       "topic.a.b.c",
	} {
		if got := routingKey(d); got != want {
			t.Errorf("routingKey(%q) = %q, want %q", d, got, want)
		}
	}
	long := "/topic/" + strings.Repeat("x", 300)
	if k := routingKey(long); len(k) > 255 || !strings.HasPrefix(k, "h.") || k != bindingKey(long) {
		t.Errorf("a long destination: %q", k)
	}
	for d, want := range map[string]string{
		"/topic/rooms.lobby": "topic.rooms.lobby",
		"/topic/rooms.*":     "topic.rooms.#",
		"/topic/rooms.{r}":   "topic.rooms.#",
		"/topic/*/x":         "topic.#",
		"/topic/**":          "topic.#",
		"/topic/ro*":         "topic.#",
		"/topic/a.b/c.*.d":   "topic.a.b.c.#",
	} {
		if got := bindingKey(d); got != want {
			t.Errorf("bindingKey(%q) = %q, want %q", d, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	err := redact(errors.New("dial amqp://guest:hunter2@h:1/ refused"), "amqp://guest:hunter2@h:1/")
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password in %q", err)
	}
	plain := errors.New("refused")
	if redact(plain, "amqp://h:1/") != plain {
		t.Fatal("an error without a password changed")
	}
}
