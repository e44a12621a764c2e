package server

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var logBenchEvents = flag.Int("logbench.events", 1_000_000, "BenchmarkNexmarkGenerator: events per source")

// BenchmarkNexmarkGenerator measures what the three nexmark sources cost
// with no view reading them (issue 8: the generator's share of every
// Nexmark query): CPU time per event (utime + stime of the process, so it
// compares on a loaded machine), the table store's bytes per million
// events once flushed and compacted, and the bytes a checkpoint uploads.
//
//	go test -run '^$' -bench NexmarkGenerator -benchtime 1x -cpu 1 ./server
func BenchmarkNexmarkGenerator(b *testing.B) {
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		srv, err := Start(context.Background(), Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: dir,
			CheckpointInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		conn, err := pgx.Connect(context.Background(), "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable&default_query_exec_mode=simple_protocol")
		if err != nil {
			b.Fatal(err)
		}
		events := *logBenchEvents
		ddl := nexmarkDDL(events, ", nexmark.max.chunk.size = 20000")
		cpu0 := processCPUTime()
		b.StartTimer()
		start := time.Now()
		for _, q := range ddl {
			if _, err := conn.Exec(context.Background(), q); err != nil {
				b.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		if err := srv.nexmark.waitIdle(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		b.StopTimer()
		wall := time.Since(start)
		cpu := processCPUTime() - cpu0
		// A checkpoint flushes the memtable: the store then holds SSTs only.
		if _, err := conn.Exec(context.Background(), "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		var uploaded int64
		if err := conn.QueryRow(context.Background(), "SELECT coalesce(sum(bytes_uploaded), 0) FROM streamdb.checkpoints WHERE status = 'completed'").Scan(&uploaded); err != nil {
			b.Fatal(err)
		}
		flushedBytes := dirBytes(filepath.Join(dir, tablesStoreName), ".sst")
		if err := srv.tables.Store().DB().Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
			b.Fatal(err)
		}
		tableBytes := dirBytes(filepath.Join(dir, tablesStoreName), ".sst")
		bid := mustOIDb(b, srv, "bid")
		logRecords, err := srv.tables.LogRecordCount(bid)
		if err != nil {
			b.Fatal(err)
		}
		perM := float64(1_000_000) / float64(events)
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
		b.ReportMetric(cpu.Seconds()*perM, "cpu-s/Mevents")
		b.ReportMetric(float64(tableBytes)*perM/(1<<20), "table-MiB/Mevents")
		b.ReportMetric(float64(uploaded)*perM/(1<<20), "checkpoint-MiB/Mevents")
		fmt.Printf("\ngenerator: %d events, wall %.2fs, cpu %.2fs (%.0f events/cpu-s), table store %.1f MiB flushed, %.1f MiB compacted, checkpoint upload %.1f MiB, log-only=%v, bid: %d log records, %d row keys\n",
			events, wall.Seconds(), cpu.Seconds(), float64(events)/cpu.Seconds(), float64(flushedBytes)/(1<<20), float64(tableBytes)/(1<<20), float64(uploaded)/(1<<20),
			srv.tables.IsLogOnly(bid), logRecords, benchRowKeys(b, srv, bid))
		_ = conn.Close(context.Background())
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func mustOIDb(b *testing.B, srv *Server, name string) uint32 {
	d, ok := srv.cat.LookupRelation("public", name)
	if !ok {
		b.Fatalf("no relation %s", name)
	}
	return d.OID
}

// processCPUTime is the process's user + system CPU time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dirBytes sums the sizes of the files under dir with the suffix.
func dirBytes(dir, suffix string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == suffix {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func benchRowKeys(b *testing.B, srv *Server, oid uint32) int {
	p := []byte{'t', byte(oid >> 24), byte(oid >> 16), byte(oid >> 8), byte(oid)}
	n := 0
	if err := srv.tables.Store().ScanPrefix(p, func(_, _ []byte) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	return n
}
