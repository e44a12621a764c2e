package nexmark

import "time"

// RunSpec is one throughput run of a suite.
type RunSpec struct {
	Query              string
	Variant            string
	Events             int64
	CheckpointInterval time.Duration
}

// heavyQueries keep the most state per event (joins, per-key Top-N,
// sliding windows): the suite gives them a fifth of the events so that
// `make bench` stays under 40 minutes on 2 cores.
var heavyQueries = map[string]bool{"q4": true, "q5": true, "q7": true, "q9": true, "q16": true, "q18": true, "q19": true, "q20": true}

// oneSecondQueries are run a second time with checkpoints every second
// (performance.md 5.1 rule 5): a stateless, a GROUP BY and a join query.
var oneSecondQueries = []string{"q0", "q17", "q20"}

// DefaultSuite is what `make bench` runs: every in-scope query as a view
// and as a black-hole sink with checkpoints every 10 s, with events events
// (a fifth of that for the heavy queries), and the oneSecondQueries views
// again with checkpoints every second.
func DefaultSuite(events int64) []RunSpec {
	size := func(q string) int64 {
		if heavyQueries[q] {
			return max(events/5, 1000)
		}
		return events
	}
	var specs []RunSpec
	for _, q := range QueryNames() {
		for _, v := range []string{VariantView, VariantBlackhole} {
			specs = append(specs, RunSpec{Query: q, Variant: v, Events: size(q), CheckpointInterval: 10 * time.Second})
		}
	}
	for _, q := range oneSecondQueries {
		specs = append(specs, RunSpec{Query: q, Variant: VariantView, Events: size(q), CheckpointInterval: time.Second})
	}
	return specs
}
