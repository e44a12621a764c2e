package nexmark

import (
	"fmt"
	"strings"
)

// ThroughputSVG draws a run's throughput over time (events/s between
// consecutive samples: the query's processed events and the generator's
// position) as a self-contained SVG.
func ThroughputSVG(run QueryResult) string {
	const w, h, left, right, top, bottom = 760.0, 360.0, 70.0, 20.0, 40.0, 50.0
	type point struct{ t, v float64 }
	rate := func(get func(Sample) int64) []point {
		var pts []point
		for i := 1; i < len(run.Samples); i++ {
			a, b := run.Samples[i-1], run.Samples[i]
			if dt := b.Seconds - a.Seconds; dt > 0 {
				pts = append(pts, point{b.Seconds, float64(get(b)-get(a)) / dt})
			}
		}
		return pts
	}
	processed := rate(func(s Sample) int64 { return s.Processed })
	generated := rate(func(s Sample) int64 { return s.Generated })
	maxT, maxV := 1.0, 1.0
	for _, p := range append(append([]point(nil), processed...), generated...) {
		maxT = max(maxT, p.t)
		maxV = max(maxV, p.v)
	}
	maxV = niceCeil(maxV)
	x := func(t float64) float64 { return left + t/maxT*(w-left-right) }
	y := func(v float64) float64 { return h - bottom - v/maxV*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14">streamdb Nexmark %s (%s), %d events, checkpoints every %dms: events/s over time</text>`+"\n",
		left, run.Query, run.Variant, run.Events, run.CheckpointIntervalMs)
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), w-right, y(v))
		label := "0"
		if v > 0 {
			label = kilo(v)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, label)
	}
	for i := 0; i <= 5; i++ {
		t := maxT * float64(i) / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0fs</text>`+"\n", x(t), h-bottom+18, t)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, top, left, h-bottom)
	line := func(pts []point, color, label string, row int) {
		if len(pts) == 0 {
			return
		}
		var d strings.Builder
		for i, p := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f,%.1f ", cmd, x(p.t), y(p.v))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.TrimSpace(d.String()), color)
		ly := h - 12 - float64(row)*0
		lx := left + float64(row)*260
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, lx, ly-4, lx+20, ly-4, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+26, ly, label)
	}
	line(generated, "#999", "generated (slowest source)", 1)
	line(processed, "#1f77b4", "processed by the query", 0)
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
