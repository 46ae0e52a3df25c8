package main

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestChartIsXML(t *testing.T) {
	for _, logY := range []bool{false, true} {
		c := &chart{title: "a <b> & c", xLabel: "x", yLabel: "y", xs: []float64{10, 100, 1000, 5000},
			logY: logY, yFormat: perSecond, series: []series{
				{name: "one", color: "#123", points: []point{{10, 5}, {100, 50000}, {5000, 123456}}},
				{name: "two", color: "#456", points: []point{{1000, 2}}},
				{name: "none", color: "#789"},
			}}
		d := xml.NewDecoder(strings.NewReader(string(c.svg())))
		n := 0
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("logY %v: %v", logY, err)
			}
			// encoding/xml lets a repeated attribute pass; browsers do not.
			if e, ok := tok.(xml.StartElement); ok {
				seen := map[string]bool{}
				for _, a := range e.Attr {
					if seen[a.Name.Local] {
						t.Fatalf("logY %v: <%s> repeats %s", logY, e.Name.Local, a.Name.Local)
					}
					seen[a.Name.Local] = true
				}
			}
			n++
		}
		if n < 50 {
			t.Fatalf("only %d tokens", n)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{count(5000), "5,000"}, {count(19000), "19,000"}, {count(10), "10"}, {count(1000000), "1,000,000"},
		{perSecond(250000), "250k"}, {perSecond(1500000), "1.5M"}, {perSecond(950), "950"},
		{usText(1500), "1.5 ms"}, {usText(120), "120 µs"}, {usText(2300000), "2.3 s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for v, want := range map[float64]float64{0.3: 0.5, 7: 10, 100: 100, 120000: 200000} {
		if got := niceStep(v); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", v, got, want)
		}
	}
}
