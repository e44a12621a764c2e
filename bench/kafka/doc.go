// Package kafka benchmarks Debezium JSON ingestion end to end (issue 6): an
// in-process kfake broker holds N pre-produced Debezium change events over
// 8 partitions; a real in-process server with checkpoints on (every 2 s)
// creates a CDC table over the topic and a GROUP BY materialized view,
// and the benchmark times until the view has counted every event.
//
//	go test -run '^$' -bench . ./bench/kafka/                  # 200 K events
//	STREAMDB_BENCH_EVENTS=1000000 go test -run '^$' -bench . ./bench/kafka/
//
// It prints events, wall time, events/s, process CPU seconds (getrusage:
// server, broker and client together, since all run in this process) and
// events per CPU-second ("per core"; an upper bound on the server's cost
// since the broker's fetch work is included).
package kafka
