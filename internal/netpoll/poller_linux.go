//go:build linux

package netpoll

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Poller is an epoll instance, the goroutine that waits on it, and the
// timing wheel of the waits' deadlines.
type Poller struct {
	epfd int

	mu    sync.Mutex
	byFD  map[int32]*Waiter // the waiting Waiters, by socket
	wheel wheel
	gen   uint32

	file *os.File // the epoll descriptor, registered with Go's poller (run)
	rc   syscall.RawConn
}

var (
	defaultOnce sync.Once
	defaultP    *Poller
)

// Default returns the process's Poller, started on first use, or nil if
// it cannot be had (no epoll here, or epoll_create1 failed), in which case
// callers keep a goroutine per connection.
func Default() *Poller {
	defaultOnce.Do(func() {
		p, err := New()
		if err == nil {
			defaultP = p
		}
	})
	return defaultP
}

// New starts a Poller. It runs for the life of the process: most programs
// want just one, [Default].
func New() (*Poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netpoll: epoll descriptor: %w", err)
	}
	p := &Poller{epfd: fd, byFD: make(map[int32]*Waiter)}
	p.file = os.NewFile(uintptr(fd), "epoll") // pollable, as it is non-blocking
	if err := p.file.SetReadDeadline(time.Time{}); err != nil {
		// Go's poller would not take it: run could not wait on it.
		p.file.Close()
		return nil, fmt.Errorf("netpoll: epoll descriptor not pollable: %w", err)
	}
	if p.rc, err = p.file.SyscallConn(); err != nil {
		p.file.Close()
		return nil, fmt.Errorf("netpoll: epoll descriptor: %w", err)
	}
	p.wheel.now = ticks(time.Now())
	go p.run()
	return p, nil
}

// Wait parks a socket: w.F is called once, on a new goroutine, when rc is
// readable (or has hung up or failed), when deadline passes (unless it is
// zero), or when Wake(w) is called. rc must be the socket's own (a
// *net.TCPConn's SyscallConn), and the caller must not close the socket
// while w waits: Wake it first. An error means nothing was parked, and the
// caller should read the socket itself.
func (p *Poller) Wait(w *Waiter, rc syscall.RawConn, deadline time.Time) error {
	var cerr error
	err := rc.Control(func(fd uintptr) {
		p.mu.Lock()
		if w.waiting {
			p.mu.Unlock()
			cerr = errors.New("netpoll: Wait on a Waiter that is already waiting")
			return
		}
		p.gen++
		w.fd, w.gen, w.waiting = int32(fd), p.gen, true
		p.byFD[w.fd] = w
		if !deadline.IsZero() {
			p.wheel.add(w, ticks(deadline)+1)
		}
		gen, op := w.gen, unix.EPOLL_CTL_ADD
		if w.added {
			op = unix.EPOLL_CTL_MOD
		}
		w.added = true
		p.mu.Unlock()
		// From here w may be woken, and even waiting again, on another
		// goroutine: only the locals are ours.
		//
		// Level-triggered and one-shot: a socket that is readable already
		// is reported at once, and once reported is quiet until re-armed.
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(fd), Pad: int32(gen)}
		cerr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
		switch {
		case cerr == unix.EEXIST && op == unix.EPOLL_CTL_ADD:
			cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(fd), &ev)
		case cerr == unix.ENOENT && op == unix.EPOLL_CTL_MOD:
			cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
		}
		if cerr == nil {
			return
		}
		p.mu.Lock()
		if w.waiting && w.gen == gen {
			p.detach(w)
			cerr = fmt.Errorf("netpoll: epoll_ctl: %w", cerr)
		} else {
			cerr = nil // woken meanwhile (Wake, the deadline): F runs, as if parked
		}
		p.mu.Unlock()
	})
	if err != nil {
		return err
	}
	return cerr
}

// Wake ends w's wait at once: w.F is called with Woken, unless the wait
// had already ended (then Wake reports false and does nothing).
func (p *Poller) Wake(w *Waiter) bool {
	p.mu.Lock()
	ok := w.waiting
	if ok {
		p.detach(w)
	}
	p.mu.Unlock()
	if ok {
		go w.F(Woken, nil)
	}
	return ok
}

// SetAlarm makes the poller call a.F within one Tick after at, unless it
// is set again or stopped first. Setting an alarm that is set moves it.
func (p *Poller) SetAlarm(a *Alarm, at time.Time) {
	if a.w.F == nil {
		a.w.F = func(Reason, *Round) { a.F() } // once per Alarm
		a.w.alarm = true
	}
	p.mu.Lock()
	p.wheel.remove(&a.w)
	p.wheel.add(&a.w, ticks(at)+1)
	p.mu.Unlock()
}

// StopAlarm keeps a from going off (if it has not yet).
func (p *Poller) StopAlarm(a *Alarm) {
	p.mu.Lock()
	p.wheel.remove(&a.w)
	p.mu.Unlock()
}

// Waiting returns how many Waiters wait.
func (p *Poller) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byFD)
}

// detach ends w's wait: off the table and the wheel. p.mu must be held.
// Its socket stays armed in the epoll set; an event from it later finds no
// Waiter (or another wait's number) and is dropped.
func (p *Poller) detach(w *Waiter) {
	if p.byFD[w.fd] == w {
		delete(p.byFD, w.fd)
	}
	p.wheel.remove(w)
	w.waiting = false
}

// maxRound is the most Waiters one round ends (see Round).
const maxRound = 1 << 14

// run waits on the epoll set for the life of the process, waking Waiters
// whose sockets are ready and, once a tick, those whose deadline passed.
//
// It does not block a thread in epoll_wait: the epoll descriptor is itself
// registered with Go's poller, so run is a goroutine parked like any
// reader, scheduled when the set has events. With few cores that is once
// the goroutines it started before have run, so under load one wake-up
// collects every socket that became ready meanwhile: one Round, which run
// waits for before it looks again.
func (p *Poller) run() {
	events := make([]unix.EpollEvent, 256)
	var ready []*Waiter
	var reasons []Reason
	wheelNow := p.wheel.now // as of the last loop, when run held the lock
	nextTick := time.Time{}
	roundTimer := time.NewTimer(time.Hour)
	roundTimer.Stop()
	var expired []*Waiter
	onTick := func() { // the wheel's work while run waits for a round
		p.mu.Lock()
		expired = p.expire(expired[:0])
		wheelNow = p.wheel.now
		p.mu.Unlock()
		for i, w := range expired {
			go w.F(Expired, nil)
			expired[i] = nil
		}
	}
	for {
		if t := epoch.Add(time.Duration(wheelNow+1) * tick); !t.Equal(nextTick) {
			nextTick = t
			p.file.SetReadDeadline(t)
		}
		n := 0
		err := p.rc.Read(func(fd uintptr) bool {
			n, _ = unix.EpollWait(p.epfd, events, 0)
			return n > 0
		})
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			panic(fmt.Sprintf("netpoll: waiting on epoll: %v", err)) // a bad epfd: nothing can be waited on
		}
		ready, reasons = ready[:0], reasons[:0]
		p.mu.Lock()
		for n > 0 {
			for _, ev := range events[:n] {
				w := p.byFD[ev.Fd]
				if w == nil || w.gen != uint32(ev.Pad) {
					continue // a wait that was woken or expired first
				}
				p.detach(w)
				ready, reasons = append(ready, w), append(reasons, Readable)
			}
			if n < len(events) || len(ready) >= maxRound {
				break
			}
			n, _ = unix.EpollWait(p.epfd, events, 0) // there may be more
		}
		expired = p.expire(expired[:0])
		wheelNow = p.wheel.now
		p.mu.Unlock()
		var r *Round
		if len(ready) > 1 {
			r = newRound(len(ready))
		}
		for i, w := range ready {
			go w.F(reasons[i], r)
		}
		clear(ready) // let the Waiters go
		for i, w := range expired {
			go w.F(Expired, nil) // alone: an alarm, or a wait whose deadline passed
			expired[i] = nil
		}
		if r != nil {
			r.wait(roundTimer, onTick)
		}
	}
}

// expire advances the wheel to now and appends to list the Waiters whose
// deadline passed, and the Alarms due. p.mu is held.
func (p *Poller) expire(list []*Waiter) []*Waiter {
	p.wheel.advance(ticks(time.Now()), func(w *Waiter) {
		if !w.alarm && p.byFD[w.fd] == w {
			delete(p.byFD, w.fd)
		}
		w.waiting = false
		list = append(list, w)
	})
	return list
}
