package main

import (
	"slices"
	"testing"
)

// flagValue is the value after name in args, or "" when name is absent.
func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func TestBenchArgs(t *testing.T) {
	c, _ := parseFlags(nil)
	s := &server{name: "x", url: "ws://127.0.0.1:1/chat-app", pid: 42, login: "guest", passcode: "guest"}
	idle := benchArgs(c, s, load{mode: "idle", subs: 19000})
	for name, want := range map[string]string{"-subs": "19000", "-pubs": "0", "-window": "", "-rate": "", "-rooms": "",
		"-dest": "", "-send-dest": "", "-pid": "42", "-login": "guest"} {
		if got := flagValue(idle, name); got != want {
			t.Errorf("idle: %s %q, want %q in %q", name, got, want, idle)
		}
	}
	app := load{mode: "window", subs: 1000, pubs: 1, window: 10, dest: "/topic/echo.%d", sendDest: "/app/echo/%d"}
	args := benchArgs(c, s, app)
	for name, want := range map[string]string{"-subs": "1000", "-pubs": "1", "-window": "10",
		"-dest": "/topic/echo.%d", "-send-dest": "/app/echo/%d", "-rate": ""} {
		if got := flagValue(args, name); got != want {
			t.Errorf("%v: %s %q, want %q in %q", app, name, got, want, args)
		}
	}
	if got := app.String(); got != "1,000 subscribers, closed window through /app/echo/{room}" {
		t.Errorf("String %q", got)
	}
	if args[0] != "-c" || args[1] != c.clientCPU {
		t.Errorf("not pinned to -client-cpu: %q", args)
	}
}
