package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkViewTTLFullScan: a full scan of a 100k-row GROUP BY view with a
// TTL, ttl_update 'on_write' (reads note nothing) against
// 'on_read_and_write' (every row read is noted for the next epoch). One op
// is one scan; ns/op divided by 100k is the cost per row read.
func BenchmarkViewTTLFullScan(b *testing.B) {
	for _, update := range []string{"on_write", "on_read_and_write"} {
		b.Run(update, func(b *testing.B) {
			clk := newTestClock()
			s := startBenchServer(b, clk)
			conn := benchConn(b, s)
			ctx := context.Background()
			for _, q := range []string{
				`CREATE TABLE t (k int, v int)`,
				`INSERT INTO t SELECT g, g FROM generate_series(1, 100000) g`,
				`CREATE MATERIALIZED VIEW agg WITH (ttl = '1 hour', ttl_update = '` + update + `') AS SELECT k, count(*) AS n FROM t GROUP BY k`,
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				var n int64
				if err := conn.QueryRow(ctx, `SELECT count(*) FROM agg`).Scan(&n); err != nil || n != 100000 {
					b.Fatalf("count %d, %v", n, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			// The epoch that applies the noted reads (and checkpoints).
			cpu0 = processCPU()
			if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(processCPU()-cpu0)/1e6, "checkpoint-cpu-ms")
		})
	}
}

// BenchmarkTableTTLAlter: ALTER TABLE ... SET (ttl) on a table of 100k
// rows (one op indexes every row).
func BenchmarkTableTTLAlter(b *testing.B) {
	clk := newTestClock()
	s := startBenchServer(b, clk)
	conn := benchConn(b, s)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE t (id int PRIMARY KEY, v int)`,
		`INSERT INTO t SELECT g, g FROM generate_series(1, 100000) g`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE t SET (ttl = '%d hours')`, i+1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the process's user + system CPU time in nanoseconds (the
// server runs in the benchmark's process).
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startBenchServer(b *testing.B, clk *testClock) *Server {
	b.Helper()
	opts := withClock(clk)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: b.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	opts(&o)
	s, err := Start(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func benchConn(b *testing.B, s *Server) *pgx.Conn {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), "postgres://streamdb@"+s.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
