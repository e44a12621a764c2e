package views

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/server"
)

// Sizes: flags, defaulting to environment variables, defaulting to a quick
// run. The sizes are 10 M rows / 1 M keys and 1 M rows per join side.
var (
	rowsFlag     = flag.Int("views.rows", envInt("STREAMDB_BENCH_ROWS", 1_000_000), "GROUP BY benchmark: rows inserted (STREAMDB_BENCH_ROWS)")
	keysFlag     = flag.Int("views.keys", envInt("STREAMDB_BENCH_KEYS", 100_000), "GROUP BY benchmark: distinct keys (STREAMDB_BENCH_KEYS)")
	joinRowsFlag = flag.Int("views.join-rows", envInt("STREAMDB_BENCH_JOIN_ROWS", 1_000_000), "join benchmark: rows per side (STREAMDB_BENCH_JOIN_ROWS)")
	batchFlag    = flag.Int("views.batch", envInt("STREAMDB_BENCH_BATCH", 100_000), "rows per COPY statement (STREAMDB_BENCH_BATCH)")
	// parallelismFlag lists the views.parallelism values each benchmark
	// runs with, as sub-benchmarks.
	parallelismFlag = flag.String("views.parallelism", envString("STREAMDB_BENCH_PARALLELISM", "1,2"), "comma-separated view worker counts to run each benchmark with (STREAMDB_BENCH_PARALLELISM)")
)

func envString(name, def string) string {
	if s := os.Getenv(name); s != "" {
		return s
	}
	return def
}

// forEachParallelism runs fn as one sub-benchmark per worker count of
// -views.parallelism.
func forEachParallelism(b *testing.B, fn func(b *testing.B, workers int)) {
	for _, f := range strings.Split(*parallelismFlag, ",") {
		workers, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || workers < 1 {
			b.Fatalf("bad -views.parallelism entry %q", f)
		}
		b.Run(fmt.Sprintf("parallelism=%d", workers), func(b *testing.B) { fn(b, workers) })
	}
}

func envInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		if n, err := strconv.Atoi(strings.ReplaceAll(s, "_", "")); err == nil {
			return n
		}
	}
	return def
}

// groupKey is row i's key; the multiplier is prime so the keys cycle
// through all values in a scattered order. postgres_baseline.sh computes
// the same formula.
func groupKey(i, keys int) int { return (i * 7919) % keys }

// BenchmarkGroupBy maintains SELECT k, count(*), sum(v) ... GROUP BY k while
// rows are loaded.
func BenchmarkGroupBy(b *testing.B) { forEachParallelism(b, benchGroupBy) }

func benchGroupBy(b *testing.B, workers int) {
	rows, keys := *rowsFlag, *keysFlag
	for range b.N {
		runLoad(b, loadSpec{
			name: fmt.Sprintf("group_by %d rows, %d keys, P=%d", rows, keys, workers), workers: workers,
			setup: []string{
				"CREATE TABLE g (k bigint, v bigint)",
				"CREATE MATERIALIZED VIEW gv AS SELECT k, count(*) AS c, sum(v) AS s FROM g GROUP BY k",
			},
			tables: []copyTable{{
				name: "g", rows: rows,
				row: func(buf []byte, i int) []byte {
					buf = strconv.AppendInt(buf, int64(groupKey(i, keys)), 10)
					buf = append(buf, '\t')
					buf = strconv.AppendInt(buf, int64(i%1000), 10)
					return append(buf, '\n')
				},
			}},
			check:    "SELECT count(*), sum(c) FROM gv",
			expected: fmt.Sprintf("%d %d", min(rows, keys), rows),
		})
	}
}

// BenchmarkJoin maintains a 2-way equi-join with one match per key while
// both sides are loaded.
func BenchmarkJoin(b *testing.B) { forEachParallelism(b, benchJoin) }

func benchJoin(b *testing.B, workers int) {
	rows := *joinRowsFlag
	side := func(buf []byte, i int) []byte {
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, int64(groupKey(i, rows)), 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, int64(i%1000), 10)
		return append(buf, '\n')
	}
	for range b.N {
		runLoad(b, loadSpec{
			name: fmt.Sprintf("join %d x %d rows, P=%d", rows, rows, workers), workers: workers,
			setup: []string{
				"CREATE TABLE l (id bigint, k bigint, a bigint)",
				"CREATE TABLE r (id bigint, k bigint, b bigint)",
				"CREATE MATERIALIZED VIEW jv AS SELECT l.id, l.a, r.b FROM l JOIN r ON l.k = r.k",
			},
			tables: []copyTable{
				{name: "l", rows: rows, row: side},
				{name: "r", rows: rows, row: side},
			},
			check:    "SELECT count(*) FROM jv",
			expected: strconv.Itoa(rows),
		})
	}
}

type copyTable struct {
	name string
	rows int
	// row appends row i in COPY text format.
	row func(buf []byte, i int) []byte
}

type loadSpec struct {
	name     string
	workers  int // views.parallelism
	setup    []string
	tables   []copyTable
	check    string // a query over the view, run after the timed part
	expected string // its single row, values joined by a space
}

// startBenchServer starts an in-process server on a loopback port, without
// HTTP, with its data in a fresh b.TempDir(), and connects to it. stop closes
// the connection, then the server.
func startBenchServer(ctx context.Context, b *testing.B, opts server.Options) (conn *pgconn.PgConn, stop func()) {
	opts.Listen, opts.HTTP, opts.DataDir = "127.0.0.1:0", "-", b.TempDir()
	srv, err := server.Start(ctx, opts)
	if err != nil {
		b.Fatalf("starting server: %v", err)
	}
	closeServer := func() {
		if err := srv.Close(); err != nil {
			b.Errorf("closing server: %v", err)
		}
	}
	conn, err = pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		closeServer()
		b.Fatalf("connecting: %v", err)
	}
	return conn, func() {
		conn.Close(ctx)
		closeServer()
	}
}

func runLoad(b *testing.B, spec loadSpec) {
	b.StopTimer()
	ctx := context.Background()
	conn, stop := startBenchServer(ctx, b, server.Options{ViewParallelism: spec.workers})
	defer stop()
	for _, sql := range spec.setup {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	// Return the previous benchmark's heap to the OS first, or its peak
	// carries over into this one's.
	debug.FreeOSMemory()
	resetPeakRSS()
	total := 0
	for _, tbl := range spec.tables {
		total += tbl.rows
	}
	cpuStart := processCPU()
	start := time.Now()
	b.StartTimer()

	for _, tbl := range spec.tables {
		for from := 0; from < tbl.rows; from += *batchFlag {
			to := min(from+*batchFlag, tbl.rows)
			tag, err := conn.CopyFrom(ctx, newRowReader(tbl.row, from, to), "COPY "+tbl.name+" FROM STDIN")
			if err != nil {
				b.Fatalf("COPY %s rows %d..%d: %v", tbl.name, from, to, err)
			}
			if tag.RowsAffected() != int64(to-from) {
				b.Fatalf("COPY %s: %d rows affected, want %d", tbl.name, tag.RowsAffected(), to-from)
			}
		}
	}
	loaded := time.Since(start)
	if _, err := conn.Exec(ctx, "FLUSH").ReadAll(); err != nil {
		b.Fatalf("FLUSH: %v", err)
	}

	b.StopTimer()
	wall := time.Since(start)
	cpu := processCPU() - cpuStart
	peak := peakRSS()

	results, err := conn.Exec(ctx, spec.check).ReadAll()
	if err != nil {
		b.Fatalf("%s: %v", spec.check, err)
	}
	got := ""
	if len(results) == 1 && len(results[0].Rows) == 1 {
		var vals []string
		for _, v := range results[0].Rows[0] {
			vals = append(vals, string(v))
		}
		got = strings.Join(vals, " ")
	}
	if got != spec.expected {
		b.Errorf("%s = %q, want %q: the view is wrong after FLUSH", spec.check, got, spec.expected)
	}

	perSec := float64(total) / wall.Seconds()
	perCore := float64(total) / cpu.Seconds()
	b.ReportMetric(perSec, "rows/s")
	b.ReportMetric(perCore, "rows/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peakRSS-MiB")
	fmt.Printf("\n%-36s %12s %10s %10s %12s %10s %14s %12s  %s\n", "benchmark", "rows", "load s", "total s", "rows/s", "cpu s", "rows/s/core", "peak RSS", "load average (other processes skew wall times)")
	fmt.Printf("%-36s %12d %10.2f %10.2f %12.0f %10.2f %14.0f %9d MiB  %s\n\n",
		spec.name, total, loaded.Seconds(), wall.Seconds(), perSec, cpu.Seconds(), perCore, peak>>20, loadAverage())
}

// rowReader renders rows [from, to) on demand, so a batch is never held
// in memory as a whole.
type rowReader struct {
	row      func([]byte, int) []byte
	next, to int
	buf      bytes.Buffer
	scratch  []byte
}

func newRowReader(row func([]byte, int) []byte, from, to int) io.Reader {
	return bufio.NewReaderSize(&rowReader{row: row, next: from, to: to}, 64<<10)
}

func (r *rowReader) Read(p []byte) (int, error) {
	for r.buf.Len() < len(p) && r.next < r.to {
		r.scratch = r.row(r.scratch[:0], r.next)
		r.buf.Write(r.scratch)
		r.next++
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

// clockTicks is the unit of utime and stime in /proc/self/stat (USER_HZ),
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// processCPU returns the user plus system CPU time of this process.
func processCPU() time.Duration {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may contain spaces; fields after ')'
	// start at field 3 (state). utime and stime are fields 14 and 15.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// peakRSS returns VmHWM, the peak resident set size, in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+), so each
// benchmark reports its own peak, not an earlier one's.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// loadAverage returns the 1, 5 and 15 minute load averages: on a shared
// machine, wall-clock rates mean little when they exceed the core count.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
