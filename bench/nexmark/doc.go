// Package nexmark is the benchmark harness of issue 8: it runs Nexmark
// queries against a real streamdb server started as a child process (the
// streamdb binary, its own temporary data directory, checkpoints on) and
// measures what performance.md section 5.3 asks for.
//
//	streamdb bench nexmark --query q0,q17 --events 1000000   # throughput, one run per query
//	make bench                                              # the suite: docs/bench/results.{json,md}, throughput.svg
//
// Throughput (RunQuery): the three Nexmark sources (person, auction, bid;
// the built-in generator, bounded to N events of all kinds) and the query
// as a materialized view ("view" variant) or as a black-hole sink, the same
// SELECT whose output is discarded ("blackhole" variant, what Flink and
// RisingWave publish). The run ends when every source has finished and
// FLUSH has returned, so every event has gone through the query. Per query
// it reports events/s, events/s per core, where core = CPU seconds of the
// whole server process (utime+stime from /proc/<pid>/stat, so compaction,
// checkpoint upload and GC count), the generator's own share (a run with
// the sources and no query, RunGenerator), peak RSS (VmHWM) and steady RSS
// (median VmRSS over the second half of the run), checkpoint duration
// p50/p99 and bytes uploaded per checkpoint (streamdb.checkpoints), state
// bytes per million events (streamdb.state_tables), and a throughput
// sample every second.
//
// RunRecovery (kill -9 and restart, from the local checkpoint copy and
// from the store), RunFreshness (INSERT until a polling reader sees it, at
// half the saturated rate) and RunServing (64 clients of prepared point
// SELECTs on a view under ingest, next to PostgreSQL 15 serving the same
// rows from a table) are the other benchmarks of the suite.
//
// Nothing here asserts a time: the numbers go to JSON and Markdown
// (WriteReport), not into pass/fail. The Go benchmarks in this package
// (go test -bench) cover the generator alone.
package nexmark
