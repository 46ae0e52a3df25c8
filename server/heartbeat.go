package server

import (
	"strconv"
	"strings"
	"time"
)

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
