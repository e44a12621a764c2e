package nexmark

// Target is issue 8's per-core throughput goal for one query, in events/s
// per core with checkpoints on: the best published durable figure (Flink
// with RocksDB/ForSt or RisingWave, performance.md section 2.9) and 1.25x
// that ("ahead").
type Target struct {
	BestDurable float64 `json:"best_durable_per_core"`
	Ahead       float64 `json:"ahead_per_core"`
}

// Targets returns issue 8's targets by query name; queries without a
// published figure (q12 uses processing time) are absent.
func Targets() map[string]Target {
	k := func(best, ahead float64) Target { return Target{BestDurable: best * 1000, Ahead: ahead * 1000} }
	return map[string]Target{
		"q0": k(379, 474), "q1": k(395, 494), "q2": k(414, 517), "q3": k(219, 273),
		"q4": k(34, 43), "q5": k(75, 93), "q7": k(37, 46), "q8": k(162, 202),
		"q9": k(21, 26), "q14": k(259, 324), "q15": k(168, 210), "q16": k(45, 56),
		"q17": k(161, 201), "q18": k(65, 82), "q19": k(44, 55), "q20": k(19, 24),
		"q21": k(147, 184), "q22": k(212, 265),
	}
}
