//go:build !linux

package netpoll

import (
	"errors"
	"syscall"
	"time"
)

// A Poller is not available on this system: Default returns nil.
type Poller struct{}

// Default returns nil: there is no epoll here.
func Default() *Poller { return nil }

// New fails: there is no epoll here.
func New() (*Poller, error) { return nil, errors.ErrUnsupported }

func (p *Poller) Wait(w *Waiter, rc syscall.RawConn, deadline time.Time) error {
	return errors.ErrUnsupported
}

func (p *Poller) Wake(w *Waiter) bool { return false }

func (p *Poller) Waiting() int { return 0 }

func (p *Poller) SetAlarm(a *Alarm, at time.Time) {}

func (p *Poller) StopAlarm(a *Alarm) {}
