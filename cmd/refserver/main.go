package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/bench/refserver"
)

func main() {
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "address for STOMP over WebSocket at /chat-app")
	stompAddr := fs.String("stomp-addr", "", "address for STOMP over TCP; off when empty")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Usage = func() { usage(fs.Output(), fs) }
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "refserver: -log-level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, *addr, *stompAddr); err != nil {
		log.Error("refserver failed", "err", err)
		os.Exit(1)
	}
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `refserver is the reference STOMP server for stompbench: just enough STOMP
(CONNECT, SUBSCRIBE, SEND, MESSAGE, RECEIPT, DISCONNECT) over WebSocket and
TCP, delivering with one direct write per delivery, no queue, no batching.

Usage: refserver [flags]

Flags:
`)
	fs.PrintDefaults()
}

func run(ctx context.Context, log *slog.Logger, addr, stompAddr string) error {
	raiseFileLimit(log)
	srv := refserver.New(refserver.Config{Logger: log})
	errc := make(chan error, 2)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() { errc <- srv.ServeWS(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "endpoint", "/chat-app")
	if stompAddr != "" {
		tl, err := net.Listen("tcp", stompAddr)
		if err != nil {
			return err
		}
		go func() { errc <- srv.ServeTCP(tl) }()
		log.Info("listening for STOMP over TCP", "addr", tl.Addr().String())
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	log.Info("shutting down", "connections", srv.Conns())
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(sctx)
}

// raiseFileLimit raises the soft limit on open files to the hard limit.
func raiseFileLimit(log *slog.Logger) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur >= l.Max {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Warn("cannot raise the open-files limit", "err", err)
	}
}
