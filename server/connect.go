package server

import (
	"strings"
	"time"

	"github.com/stompbox/stompbox/frame"
)

var supportedVersions = []frame.Version{frame.V1_2, frame.V1_1, frame.V1_0}

// onConnect negotiates the version and heart-beats and answers CONNECTED.
func (s *session) onConnect(f *frame.Frame) *ProtocolError {
	v, ok := negotiateVersion(f.Header)
	if !ok {
		perr := protoErr("unsupported version", "supported versions are 1.0, 1.1 and 1.2; the client accepts %q", frame.Truncate(f.Header.Get(frame.HdrAcceptVersion)))
		perr.Header.Add(frame.HdrVersion, "1.0,1.1,1.2") // as the specification asks
		return perr
	}
	hb, hasHB := f.Header.Lookup(frame.HdrHeartBeat)
	cx, cy, ok := parseHeartBeat(string(hb), hasHB && v >= frame.V1_1)
	if !ok {
		return protoErr("invalid heart-beat", "heart-beat must be two non-negative integers, \"cx,cy\", not %q", frame.Truncate(string(hb)))
	}
	cfg := &s.srv.cfg
	out, in := negotiateHeartBeat(cx, cy, cfg.HeartBeatSend, cfg.HeartBeatReceive)
	if in > cfg.HeartBeatMax {
		return protoErr("heart-beat too slow", "the client offers a heart-beat every %s; the server needs one at least every %s (HeartBeatMax)", in, cfg.HeartBeatMax)
	}
	out = min(out, cfg.HeartBeatMax) // beating more often than asked is harmless

	info := &Session{ID: s.id, Transport: s.t.name(), Remote: s.conn.RemoteAddr().String()}
	if cfg.OnConnect != nil {
		s.enterApp() // an authenticator may ask a database or a remote service
		user, err := cfg.OnConnect(s.ctx, &ConnectRequest{Header: f.Header.Clone(), Request: s.req, Remote: info.Remote})
		s.leaveApp()
		if err != nil {
			s.logger().Info("connect refused", "err", err)
			return denied("connect", "", err)
		}
		info.User = user
	}
	s.req = nil // the handshake is done with: an idle session does not keep it
	s.info = info
	s.ctx = &sessionContext{Context: s.ctx, s: s}
	s.user.Store(&info.User)
	if s.srv.reg.add(s) && s.srv.userRouter != nil {
		waits := s.enterBroker() // a remote broker: a binding to make
		s.srv.userRouter.Online(info.User)
		if waits {
			s.leaveApp()
		}
	}

	s.ver.Store(uint32(v))
	s.rd.SetVersion(v)
	s.rd.SetLimits(cfg.Limits)
	s.hbIn = in
	s.connected = true
	s.conn.SetReadDeadline(time.Time{})

	c := frame.New(frame.CONNECTED, frame.HdrVersion, v.String(), frame.HdrServer, cfg.ServerName, frame.HdrSession, s.id)
	if v >= frame.V1_1 {
		c.Header.Add(frame.HdrHeartBeat, formatHeartBeat(cfg.HeartBeatSend, cfg.HeartBeatReceive))
	}
	if info.User != "" {
		c.Header.Add("user-name", info.User)
	}
	s.reply(c)
	s.startHeartbeats(out)
	s.logger().Info("session connected", "version", v.String(), "heartbeat_out", out, "heartbeat_in", in, "transport", s.t.name())
	s.event(Connected, "", "")
	return nil
}

// negotiateVersion picks the highest version both sides speak; a CONNECT
// without accept-version is STOMP 1.0.
func negotiateVersion(h frame.Header) (frame.Version, bool) {
	av, ok := h.Lookup(frame.HdrAcceptVersion)
	if !ok {
		return frame.V1_0, true
	}
	for _, v := range supportedVersions {
		for item := range strings.SplitSeq(string(av), ",") {
			if w, ok := frame.ParseVersion(strings.TrimSpace(item)); ok && w == v {
				return v, true
			}
		}
	}
	return 0, false
}
