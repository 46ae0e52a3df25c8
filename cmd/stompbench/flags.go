package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// options are stompbench's flags.
type options struct {
	url         string
	login       string
	passcode    string
	subprotocol string
	subs        int
	pubs        int
	rooms       int
	dest        string
	sendDest    string
	rate        float64
	window      int
	duration    time.Duration
	drain       time.Duration
	size        int
	pid         int
	json        bool
	connectRate float64
	dialers     int
	timeout     time.Duration
	quiet       bool
	heartbeat   time.Duration

	ws   bool   // from url's scheme
	addr string // host:port for tcp://
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("stompbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "ws://127.0.0.1:8080/chat-app", "the server: ws://host:port/path for STOMP over WebSocket, tcp://host:port for STOMP over TCP")
	fs.StringVar(&o.login, "login", "", "CONNECT login header; empty sends none")
	fs.StringVar(&o.passcode, "passcode", "", "CONNECT passcode header; empty sends none")
	fs.StringVar(&o.subprotocol, "subprotocol", "v12.stomp", "comma-separated WebSocket subprotocols to offer; empty offers none")
	fs.IntVar(&o.subs, "subs", 100, "subscriber connections")
	fs.IntVar(&o.pubs, "pubs", 1, "publisher connections")
	fs.IntVar(&o.rooms, "rooms", 1, "topics; subscriber i and publisher i use room i mod rooms")
	fs.StringVar(&o.dest, "dest", "/topic/bench.%d", "destination pattern; %d is the room number")
	fs.StringVar(&o.sendDest, "send-dest", "", "destination pattern publishers SEND to, when not -dest: an application destination that relays to -dest, e.g. /app/echo/%d")
	fs.Float64Var(&o.rate, "rate", 10, "messages a second per publisher (open loop; ignored with -window)")
	fs.IntVar(&o.window, "window", 0, "closed loop: messages each publisher keeps outstanding, counted until they come back on its own subscription; 0 uses -rate")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long publishers publish (or idle connections are held) once every connection is subscribed")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "after publishing, how long to wait for messages still on their way once none has arrived; those not in by then are lost")
	fs.IntVar(&o.size, "size", 100, "body bytes: JSON with the publisher, its sequence number and the send time, padded to this size")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to report its CPU time per delivery and memory per connection (from /proc)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of a table")
	fs.Float64Var(&o.connectRate, "connect-rate", 0, "new connections a second; 0 means as fast as -dialers allow")
	fs.IntVar(&o.dialers, "dialers", 64, "connections being opened at once")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound on each connection's handshake, CONNECT and SUBSCRIBE")
	fs.DurationVar(&o.heartbeat, "heartbeat", 0, "heart-beats offered both ways in CONNECT, and sent at the interval the server agrees to (as @stomp/stompjs does, at 10s); 0 offers none")
	fs.BoolVar(&o.quiet, "q", false, "no progress lines on stderr")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, o.check()
}

func (o *options) check() error {
	u, err := url.Parse(o.url)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	switch u.Scheme {
	case "ws":
		o.ws = true
	case "tcp":
		o.addr = u.Host
	default:
		return fmt.Errorf("-url %q: the scheme must be ws or tcp", o.url)
	}
	if u.Host == "" {
		return fmt.Errorf("-url %q: no host", o.url)
	}
	switch {
	case o.subs < 0 || o.pubs < 0 || o.subs+o.pubs == 0:
		return fmt.Errorf("-subs %d -pubs %d: need a connection", o.subs, o.pubs)
	case o.rooms < 1:
		return fmt.Errorf("-rooms %d: need at least one", o.rooms)
	case strings.Count(o.dest, "%d") != 1:
		return fmt.Errorf("-dest %q: needs one %%d for the room", o.dest)
	case o.sendDest != "" && strings.Count(o.sendDest, "%d") != 1:
		return fmt.Errorf("-send-dest %q: needs one %%d for the room", o.sendDest)
	case o.pubs > 0 && o.window <= 0 && o.rate <= 0:
		return fmt.Errorf("-rate %g: publishers need a rate or a -window", o.rate)
	case o.window < 0:
		return fmt.Errorf("-window %d: negative", o.window)
	case o.duration <= 0:
		return fmt.Errorf("-duration %v: must be positive", o.duration)
	case o.heartbeat < 0 || o.heartbeat > 0 && o.heartbeat < time.Millisecond:
		return fmt.Errorf("-heartbeat %v: 0 (none), or 1ms or more", o.heartbeat)
	case o.dialers < 1:
		return fmt.Errorf("-dialers %d: need at least one", o.dialers)
	}
	return nil
}

func (o *options) protocols() []string {
	if o.subprotocol == "" {
		return nil
	}
	return strings.Split(o.subprotocol, ",")
}

func (o *options) windowed() bool { return o.window > 0 }

func usage(fs *flag.FlagSet) {
	fmt.Fprint(fs.Output(), `stompbench loads a STOMP server over WebSocket or TCP and reports what it delivered.

Usage: stompbench [flags]

Subscribers and publishers are spread over -rooms topics (-dest). Once every
connection is subscribed, publishers send for -duration, either at -rate
messages a second each (open loop; a message's time is when it was due, so
a stalled sender counts against latency), or in a closed loop with -window
messages outstanding each (a publisher then subscribes to its own room too,
and a message stops being outstanding when it comes back there). Every body
carries its publisher, a sequence number and its send time, so every
subscriber counts what it lost or got twice.

The report: deliveries a second, publish-to-deliver latency (p50, p99,
p99.9, max; HDR histogram), connect time, ERROR frames, socket errors, lost
and duplicated messages, stompbench's own CPU per delivery, and with -pid the
server's CPU per delivery and memory per connection. A line of progress goes
to stderr every second. The exit status is 1 if anything was lost,
duplicated or refused, or a connection failed; 2 for bad flags.

Examples:
  stompbench -url ws://127.0.0.1:8080/chat-app -subs 1000 -pubs 1 -window 100 -duration 10s -pid $(pgrep -n stompbox)
  stompbench -url tcp://127.0.0.1:61613 -subs 1000 -pubs 1 -rate 10
  stompbench -subs 19900 -pubs 0 -connect-rate 5000 -duration 10s -pid $PID   # idle connections

Flags:
`)
	fs.PrintDefaults()
}
