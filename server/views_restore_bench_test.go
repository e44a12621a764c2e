package server

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	restoreBenchEvents  = flag.Int("restore.events", 200_000, "BenchmarkViewRestore: nexmark events behind the view's state")
	restoreBenchQuery   = flag.String("restore.query", "q20", "BenchmarkViewRestore: the Nexmark query of bench/nexmark/queries.sql")
	restoreBenchProfile = flag.String("restore.cpuprofile", "", "BenchmarkViewRestore: write a CPU profile of the restarts (only) to this file")
	restoreBenchLog     = flag.String("restore.log", "", "BenchmarkViewRestore: write the server logs to this file")
)

// BenchmarkViewRestore measures a server start that resumes a Nexmark view
// from its committed state (go test ./server -run '^$' -bench
// ViewRestore -restore.events 1000000 -restore.cpuprofile restore.prof):
// the state is built once, then each iteration starts a server on the
// data directory (restoring the view's operators and rows) and closes it.
// ns/op is the time until the server serves, cpu-ms/op the CPU time of
// the process meanwhile (compare this one on a shared machine).
func BenchmarkViewRestore(b *testing.B) {
	text, err := os.ReadFile(filepath.Join("..", "bench", "nexmark", "queries.sql"))
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\nCREATE MATERIALIZED VIEW nexmark_` + regexp.QuoteMeta(*restoreBenchQuery) + ` AS\n(.*?);`).FindSubmatch(text)
	if m == nil {
		b.Fatalf("no query %s in queries.sql", *restoreBenchQuery)
	}
	dir := b.TempDir()
	opts := Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if *restoreBenchLog != "" {
		f, err := os.Create(*restoreBenchLog)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		opts.Logger = slog.New(slog.NewTextHandler(f, nil))
	}
	ctx := context.Background()
	start := func() *Server {
		s, err := Start(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := start()
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+s.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range append(nexmarkDDL(*restoreBenchEvents, ""), "CREATE MATERIALIZED VIEW v AS "+string(m[1])) {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := s.nexmark.waitIdle(wctx); err != nil {
		b.Fatal(err)
	}
	var rowsIn int64
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		b.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = 'v'").Scan(&rowsIn); err != nil {
		b.Fatal(err)
	}
	_ = conn.Close(ctx)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s over %d events: %d view input rows", *restoreBenchQuery, *restoreBenchEvents, rowsIn)
	if *restoreBenchProfile != "" {
		f, err := os.Create(*restoreBenchProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		before := restartCPU()
		s := start()
		cpu += restartCPU() - before
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// restartCPU is the process's user + system CPU time so far.
func restartCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
