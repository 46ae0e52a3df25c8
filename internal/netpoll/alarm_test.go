//go:build linux

package netpoll

import (
	"testing"
	"time"
)

// An alarm goes off once, within a Tick after its time, never before.
func TestAlarmGoesOffOnceAfterItsTime(t *testing.T) {
	p := Default()
	fired := make(chan time.Time, 4)
	a := &Alarm{F: func() { fired <- time.Now() }}
	at := time.Now().Add(150 * time.Millisecond)
	p.SetAlarm(a, at)
	select {
	case when := <-fired:
		if when.Before(at) {
			t.Fatalf("went off %v before its time", at.Sub(when))
		}
	case <-time.After(at.Sub(time.Now()) + 5*Tick):
		t.Fatal("did not go off")
	}
	select {
	case <-fired:
		t.Fatal("went off twice")
	case <-time.After(3 * Tick):
	}
}

// Setting an alarm again moves it; stopping it keeps it from going off.
func TestAlarmMovedAndStopped(t *testing.T) {
	p := Default()
	fired := make(chan time.Time, 4)
	a := &Alarm{F: func() { fired <- time.Now() }}
	p.SetAlarm(a, time.Now().Add(Tick))
	later := time.Now().Add(4 * Tick)
	p.SetAlarm(a, later)
	select {
	case when := <-fired:
		if when.Before(later) {
			t.Fatalf("went off at its first time, %v before the second", later.Sub(when))
		}
	case <-time.After(10 * Tick):
		t.Fatal("did not go off at its second time")
	}
	p.SetAlarm(a, time.Now().Add(Tick))
	p.StopAlarm(a)
	select {
	case <-fired:
		t.Fatal("a stopped alarm went off")
	case <-time.After(4 * Tick):
	}
}
