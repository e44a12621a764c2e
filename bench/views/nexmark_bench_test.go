package views

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/server"
)

// The Nexmark profiling loop (issue 8): one query at a time as a
// materialized view over the built-in generator, so that
//
//	go test -run '^$' -bench 'Nexmark/q17' -nexmark.events 1000000 \
//	    -cpuprofile q17.prof ./bench/views/
//
// profiles exactly one query. It is the quick per-query loop; the full
// benchmark with checkpoints, RSS and JSON output is `streamdb bench
// nexmark`.
var (
	nexmarkEvents  = flag.Int("nexmark.events", envInt("STREAMDB_BENCH_NEXMARK_EVENTS", 1_000_000), "Nexmark benchmark: events per source (STREAMDB_BENCH_NEXMARK_EVENTS)")
	nexmarkChunk   = flag.Int("nexmark.chunk", 20_000, "Nexmark benchmark: rows per generator batch (nexmark.max.chunk.size)")
	nexmarkQueries = flag.String("nexmark.queries", "q0,q1,q2,q5,q7,q8,q17,q20", "Nexmark benchmark: comma-separated queries")
)

// BenchmarkNexmark creates the three Nexmark sources (person, auction,
// bid) bounded to -nexmark.events events, then the query's view, and
// measures until every generator has finished and FLUSH returns: the
// events/s figure counts the events of the whole stream (all kinds), as
// Nexmark does. Sources whose kind the query does not read still run, as
// in the published setups.
func BenchmarkNexmark(b *testing.B) {
	queries := loadNexmarkQueries(b)
	for _, name := range strings.Split(*nexmarkQueries, ",") {
		sql, ok := queries[strings.TrimSpace(name)]
		if !ok {
			b.Fatalf("no Nexmark query %q in the server's testdata", name)
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				runNexmark(b, name, sql)
			}
		})
	}
}

func loadNexmarkQueries(b *testing.B) map[string]string {
	data, err := os.ReadFile(filepath.Join("..", "nexmark", "queries.sql"))
	if err != nil {
		b.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)\nCREATE MATERIALIZED VIEW nexmark_(q\d+) AS\n(.*?);`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = m[2]
	}
	return out
}

func runNexmark(b *testing.B, name, query string) {
	b.StopTimer()
	ctx := context.Background()
	conn, stop := startBenchServer(ctx, b, server.Options{})
	defer stop()
	exec := func(sql string) [][][]byte {
		res, err := conn.Exec(ctx, sql).ReadAll()
		if err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
		if len(res) == 0 {
			return nil
		}
		return res[len(res)-1].Rows
	}
	events := *nexmarkEvents
	with := func(kind string) string {
		return fmt.Sprintf("WITH (connector = 'nexmark', nexmark.table.type = '%s', nexmark.event.num = %d, nexmark.max.chunk.size = %d)", kind, events, *nexmarkChunk)
	}
	// The sources come first (the view binds to them), then the view at
	// once: it backfills the few batches written meanwhile and follows
	// the change log after that, all inside the timed part.
	resetPeakRSS()
	cpuStart := processCPU()
	b.StartTimer()
	start := time.Now()
	exec(`CREATE SOURCE person (id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR,
		date_time TIMESTAMP, extra VARCHAR) ` + with("person"))
	exec(`CREATE SOURCE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
		date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR) ` + with("auction"))
	exec(`CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
		extra VARCHAR) ` + with("bid"))
	exec("CREATE MATERIALIZED VIEW nexmark_" + name + " AS " + query)
	for deadline := time.Now().Add(30 * time.Minute); ; {
		rows := exec("SELECT count(*) FROM streamdb.sources WHERE connector = 'nexmark' AND lag = 0")
		if len(rows) == 1 && string(rows[0][0]) == "3" {
			break
		}
		if time.Now().After(deadline) {
			var states []string
			for _, r := range exec("SELECT source_name, \"offset\", lag FROM streamdb.sources") {
				states = append(states, fmt.Sprintf("%s", r))
			}
			b.Fatalf("the generators did not finish: %v", states)
		}
		time.Sleep(20 * time.Millisecond)
	}
	generated := time.Since(start)
	exec("FLUSH")
	b.StopTimer()
	wall := time.Since(start)
	cpu := processCPU() - cpuStart
	peak := peakRSS()
	viewRows := exec("SELECT count(*) FROM nexmark_" + name)
	// Operator state entries (input rows, or accumulators per group).
	stateKeys := exec("SELECT coalesce(sum(keys), 0) FROM streamdb.state_tables WHERE relation_name = 'nexmark_" + name + "' AND operator <> 'materialize (view rows)'")
	perSec := float64(events) / wall.Seconds()
	perCore := float64(events) / cpu.Seconds()
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(perCore, "events/cpu-s")
	fmt.Printf("\n%-6s %10s %10s %10s %12s %8s %14s %10s %11s %10s  %s\n", "query", "events", "gen s", "total s", "events/s", "cpu s", "events/s/core", "view rows", "state keys", "peak RSS", "load average")
	fmt.Printf("%-6s %10d %10.2f %10.2f %12.0f %8.2f %14.0f %10s %11s %6d MiB  %s\n\n",
		name, events, generated.Seconds(), wall.Seconds(), perSec, cpu.Seconds(), perCore, viewRows[0][0], stateKeys[0][0], peak>>20, loadAverage())
}
