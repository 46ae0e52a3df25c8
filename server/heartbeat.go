package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/stompbox/stompbox/internal/netpoll"
)

// Out-going heart-beats. A connected session that negotiated them has an
// alarm on the poller's timing wheel (netpoll.Alarm), not a runtime timer:
// a write only notes its time (lastWrite), and the alarm, when it goes
// off, sends an end-of-line if nothing was written for the interval, or
// sets itself for the rest of it. The alarm is set hbSlack before the
// beat is due, as it goes off up to a tick after its time (half a tick
// more while the poller waits on a busy round): beats come up to 150 ms
// early, and late only when the poller is overloaded. Without a poller
// (Config.GoroutinePerConnection, or no epoll) a runtime timer does the
// same, on time.

// minHeartBeat is the shortest interval the server offers to send
// heart-beats at (Config.HeartBeatSend): one turn of the wheel.
const minHeartBeat = netpoll.Tick

// hbSlack is how long before a beat is due its alarm is set.
const hbSlack = netpoll.Tick + netpoll.Tick/2

// hbEpoch is what lastWrite counts from: a reading of the monotonic clock.
var hbEpoch = time.Now()

// startHeartbeats arms the first beat, at CONNECT.
func (s *session) startHeartbeats(out time.Duration) {
	s.hbOut.Store(int64(out))
	if out <= 0 {
		return
	}
	s.lastWrite.Store(int64(time.Since(hbEpoch)))
	s.armHeartbeat(out)
}

// armHeartbeat sets the alarm to go off in d (up to hbSlack before, on
// the wheel), unless heart-beats have stopped.
func (s *session) armHeartbeat(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.hbStopped:
	case s.srv.poller != nil:
		if s.hbAlarm.F == nil {
			s.hbAlarm.F = s.heartbeatDue
		}
		s.srv.poller.SetAlarm(&s.hbAlarm, time.Now().Add(d-hbSlack))
	case s.hbTimer == nil:
		s.hbTimer = time.AfterFunc(d, s.heartbeatDue)
	default:
		s.hbTimer.Reset(d)
	}
}

// stopHeartbeats keeps the alarm from going off again: the writer ended.
func (s *session) stopHeartbeats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hbStopped = true
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	if s.srv.poller != nil && s.hbAlarm.F != nil {
		s.srv.poller.StopAlarm(&s.hbAlarm)
	}
}

// heartbeatDue runs when the alarm goes off: it beats if nothing was
// written for the interval (less hbSlack), or sets the alarm for the rest
// of it. It may run once after heart-beats stopped (the poller had taken
// the alarm off its wheel); heartbeat then finds the session closing.
func (s *session) heartbeatDue() {
	out := s.heartbeatOut()
	quiet := time.Since(hbEpoch) - time.Duration(s.lastWrite.Load())
	slack := time.Duration(0)
	if s.srv.poller != nil {
		slack = hbSlack
	}
	if quiet < out-slack {
		s.armHeartbeat(out - quiet)
		return
	}
	s.armHeartbeat(out)
	s.heartbeat()
}

// wroteAt notes that bytes went to the client now: no heart-beat is due
// for an interval.
func (s *session) wroteAt() {
	if s.hbOut.Load() > 0 {
		s.lastWrite.Store(int64(time.Since(hbEpoch)))
	}
}

// parseHeartBeat parses a heart-beat header value "cx,cy" in milliseconds.
// An absent header means "0,0".
func parseHeartBeat(v string, present bool) (cx, cy time.Duration, ok bool) {
	if !present {
		return 0, 0, true
	}
	a, b, found := strings.Cut(v, ",")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 31)
	y, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 31)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond, true
}

// negotiateHeartBeat applies the specification's rule to the client's offer
// (cx: it can send every cx; cy: it wants to receive every cy) and the
// server's (sx, sy): each direction is off when either side says 0, and
// otherwise the larger of the two.
func negotiateHeartBeat(cx, cy, sx, sy time.Duration) (out, in time.Duration) {
	if sx > 0 && cy > 0 {
		out = max(sx, cy)
	}
	if cx > 0 && sy > 0 {
		in = max(cx, sy)
	}
	return out, in
}

func formatHeartBeat(sx, sy time.Duration) string {
	return strconv.FormatInt(sx.Milliseconds(), 10) + "," + strconv.FormatInt(sy.Milliseconds(), 10)
}
