package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// A chart is a line chart of series over a logarithmic x axis, written as
// SVG by hand: a few lines of markup need no plotting library.
type chart struct {
	title, xLabel, yLabel string
	xs                    []float64 // the x ticks: every series' points are at some of them
	logY                  bool
	yFormat               func(float64) string
	series                []series
}

type series struct {
	name, color string
	points      []point
}

type point struct{ x, y float64 }

// The drawing's size and the plot area inside it.
const (
	svgW, svgH           = 780, 420
	plotL, plotR         = 90, 560
	plotT, plotB         = 50, 350
	legendX              = plotR + 24
	fontAttrs            = `font-family="sans-serif" font-size="12" fill="#222"`
	gridColor, axisColor = "#ddd", "#444"
)

// svg renders the chart.
func (c *chart) svg() []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, svgW, svgH, svgW, svgH)
	p(`<title>%s</title>`, esc(c.title))
	p(`<rect width="100%%" height="100%%" fill="#fff"/>`)
	p(`<text x="%d" y="28" font-family="sans-serif" font-size="16" font-weight="bold" fill="#222">%s</text>`, plotL, esc(c.title))

	// x: logarithmic over the ticks, with a little room at both ends.
	lo, hi := math.Log10(c.xs[0]), math.Log10(c.xs[len(c.xs)-1])
	pad := max((hi-lo)*0.05, 0.1)
	lo, hi = lo-pad, hi+pad
	xAt := func(x float64) float64 { return plotL + (math.Log10(x)-lo)/(hi-lo)*(plotR-plotL) }

	ticks, yAt := c.yScale()
	for _, t := range ticks {
		y := yAt(t)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, plotL, y, plotR, y, gridColor)
		p(`<text x="%d" y="%.1f" %s text-anchor="end">%s</text>`, plotL-6, y+4, fontAttrs, esc(c.yFormat(t)))
	}
	for _, x := range c.xs {
		px := xAt(x)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`, px, plotT, px, plotB, gridColor)
		p(`<text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`, px, plotB+18, fontAttrs, esc(count(x)))
	}
	p(`<polyline points="%d,%d %d,%d %d,%d" fill="none" stroke="%s"/>`, plotL, plotT, plotL, plotB, plotR, plotB, axisColor)
	p(`<text x="%d" y="%d" %s text-anchor="middle">%s</text>`, (plotL+plotR)/2, plotB+42, fontAttrs, esc(c.xLabel))
	p(`<text transform="translate(22 %d) rotate(-90)" %s text-anchor="middle">%s</text>`, (plotT+plotB)/2, fontAttrs, esc(c.yLabel))

	for i, s := range c.series {
		var pts bytes.Buffer
		for _, pt := range s.points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", xAt(pt.x), yAt(pt.y))
		}
		p(`<g><title>%s</title>`, esc(s.name))
		p(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, bytes.TrimSpace(pts.Bytes()), s.color)
		for _, pt := range s.points {
			p(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s, %s: %s</title></circle>`,
				xAt(pt.x), yAt(pt.y), s.color, esc(s.name), esc(count(pt.x)), esc(c.yFormat(pt.y)))
		}
		p(`</g>`)
		ly := plotT + 10 + 24*i
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"/>`, legendX, ly, legendX+24, ly, s.color)
		p(`<text x="%d" y="%d" %s>%s</text>`, legendX+32, ly+4, fontAttrs, esc(s.name))
	}
	p(`</svg>`)
	return b.Bytes()
}

// yScale returns the y ticks and the mapping of y to the drawing: from 0
// to a round number above the highest point, or decades when logY.
func (c *chart) yScale() ([]float64, func(float64) float64) {
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range c.series {
		for _, pt := range s.points {
			ymin, ymax = min(ymin, pt.y), max(ymax, pt.y)
		}
	}
	if math.IsInf(ymax, -1) { // no points
		ymin, ymax = 1, 10
	}
	var ticks []float64
	if c.logY {
		lo := math.Floor(math.Log10(max(ymin, 1)))
		hi := max(math.Ceil(math.Log10(max(ymax, 1))), lo+1)
		for e := lo; e <= hi; e++ {
			ticks = append(ticks, math.Pow(10, e))
		}
		return ticks, func(y float64) float64 {
			return plotB - (math.Log10(max(y, 1))-lo)/(hi-lo)*(plotB-plotT)
		}
	}
	step := niceStep(ymax / 5)
	top := math.Ceil(ymax/step) * step
	if top == 0 {
		top = step
	}
	for t := 0.0; t <= top+step/2; t += step {
		ticks = append(ticks, t)
	}
	return ticks, func(y float64) float64 { return plotB - y/top*(plotB-plotT) }
}

// niceStep is the smallest 1, 2 or 5 times a power of ten at least v.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

// count formats 5000 as "5,000".
func count(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// perSecond formats a rate: 250000 as "250k".
func perSecond(v float64) string {
	switch {
	case v >= 1e6:
		return trimZero(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	}
	return fmt.Sprintf("%.0f", v)
}

func trimZero(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }
