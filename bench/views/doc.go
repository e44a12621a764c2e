// Package views benchmarks incremental materialized views end to end
// (issue 4): a real in-process server, data loaded over the wire with COPY
// FROM STDIN, the view brought up to date with FLUSH.
//
//	go test -run '^$' -bench . ./bench/views/                  # defaults: 1 M rows
//	STREAMDB_BENCH_ROWS=10000000 STREAMDB_BENCH_KEYS=1000000 \
//	STREAMDB_BENCH_JOIN_ROWS=1000000 go test -run '^$' -bench . -timeout 60m ./bench/views/
//	                                                             # the sizes
//
// The same sizes are flags: -views.rows, -views.keys, -views.join-rows,
// -views.batch. Each benchmark loads its data once per b.N iteration (the
// first iteration takes longer than -benchtime, so it runs once) and
// prints a results table: rows, wall time, rows/s, process CPU seconds
// (utime+stime from /proc/self/stat, server and client together since the
// server runs in process), rows/s per CPU-second ("per core"), and peak
// RSS (VmHWM, reset through /proc/self/clear_refs before each run).
//
// postgres_baseline.sh loads the same rows into a throwaway PostgreSQL 15
// cluster and times the same queries once, for comparison. It is run by
// hand, not in CI.
package views
