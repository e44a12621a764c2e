package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamdb/streamdb/server"
	"github.com/streamdb/streamdb/state"
)

// startCacheServer starts a server with adjusted options and connects pgx.
func startCacheServer(tb testing.TB, adjust func(*server.Options)) (*server.Server, func() *pgx.Conn) {
	tb.Helper()
	ctx := context.Background()
	opts := server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: tb.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	if adjust != nil {
		adjust(&opts)
	}
	srv, err := server.Start(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	connect := func() *pgx.Conn {
		conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = conn.Close(ctx) })
		return conn
	}
	return srv, connect
}

// TestRowCacheViewLookups checks cached view lookups against full scans
// while the view changes between them: updated, inserted and deleted
// groups, a key that had no row, DROP and CREATE of the same name.
func TestRowCacheViewLookups(t *testing.T) {
	srv, connect := startCacheServer(t, nil)
	conn := connect()
	mustExec(t, conn, "CREATE TABLE kv (g text, id bigint, v int, PRIMARY KEY (g, id))")
	mustExec(t, conn, "INSERT INTO kv SELECT 'g' || (i % 5), i, i FROM generate_series(1, 50) i")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW per_g AS SELECT g, count(*) AS n, sum(v) AS s FROM kv GROUP BY g")
	mustExec(t, conn, "FLUSH")
	const lookup = "SELECT g, n, s FROM per_g WHERE g = $1"
	const scan = "SELECT g, n, s FROM per_g WHERE g || '' = $1"
	// queryStrings prints a row with fmt.Sprint: "g1" and 10 print as "g110".
	check := func(g string, want string) {
		t.Helper()
		got := fmt.Sprint(queryStrings(t, conn, lookup, g))
		if full := fmt.Sprint(queryStrings(t, conn, scan, g)); got != full || got != want {
			t.Fatalf("lookup of %s: %s, full scan %s, want %s", g, got, full, want)
		}
	}
	check("g1", "[g110 235]")
	check("g9", "[]")
	before := srv.RowCacheStats()
	check("g1", "[g110 235]")
	check("g9", "[]")
	if hits := srv.RowCacheStats().Hits - before.Hits; hits != 2 {
		t.Fatalf("%d cache hits for two repeated lookups, want 2", hits)
	}

	mustExec(t, conn, "UPDATE kv SET v = v + 1 WHERE g = 'g1'")
	mustExec(t, conn, "INSERT INTO kv VALUES ('g9', 1, 7)")
	mustExec(t, conn, "FLUSH")
	check("g1", "[g110 245]")
	check("g9", "[g91 7]")
	mustExec(t, conn, "DELETE FROM kv WHERE g = 'g1'")
	mustExec(t, conn, "INSERT INTO kv VALUES ('g9', 2, 3)")
	mustExec(t, conn, "FLUSH")
	check("g1", "[]")
	check("g9", "[g92 10]")
	before = srv.RowCacheStats()
	check("g9", "[g92 10]")
	if srv.RowCacheStats().Hits == before.Hits {
		t.Fatal("the answer updated by the epoch was not served from the cache")
	}

	// The counters in streamdb.storage.
	var hits, capacity int64
	if err := conn.QueryRow(context.Background(), "SELECT row_cache_hits, row_cache_capacity FROM streamdb.storage").Scan(&hits, &capacity); err != nil {
		t.Fatal(err)
	}
	if st := srv.RowCacheStats(); hits < 3 || hits > st.Hits || capacity != 64<<20 {
		t.Fatalf("streamdb.storage: row cache hits %d (server %d), capacity %d", hits, st.Hits, capacity)
	}
	// The Pebble columns are measured, not NULL: after a CHECKPOINT (which
	// flushes the memtables) the view store has sstables.
	mustExec(t, conn, "CHECKPOINT")
	var compactions, sstables, l0 *int64
	var stalled *time.Duration
	if err := conn.QueryRow(context.Background(), "SELECT compactions_in_progress, sstables, l0_files, write_stall_duration FROM streamdb.storage").Scan(&compactions, &sstables, &l0, &stalled); err != nil {
		t.Fatal(err)
	}
	if compactions == nil || sstables == nil || l0 == nil || stalled == nil || *sstables < 1 || *l0 > *sstables {
		t.Fatalf("streamdb.storage: compactions %v, sstables %v, l0 files %v, stall duration %v", compactions, sstables, l0, stalled)
	}

	mustExec(t, conn, "DROP MATERIALIZED VIEW per_g")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW per_g AS SELECT g, max(id) AS n, min(v) AS s FROM kv GROUP BY g")
	mustExec(t, conn, "FLUSH")
	check("g9", "[g92 3]")
	check("g2", "[g247 2]")
}

// TestRowCacheConcurrentLookupsMatchScan runs writers (updates, inserts,
// deletes, FLUSH) against readers whose one statement both looks a group
// up by key and scans the whole view for it: one statement reads one
// epoch, so the two must agree, with the cache on (where the lookups hit
// it) and off.
func TestRowCacheConcurrentLookupsMatchScan(t *testing.T) {
	for _, size := range []int64{0, -1} {
		name := map[int64]string{0: "cache-on", -1: "cache-off"}[size]
		t.Run(name, func(t *testing.T) {
			srv, connect := startCacheServer(t, func(o *server.Options) {
				o.RowCacheSize = size
				o.BarrierInterval = 5 * time.Millisecond
			})
			conn := connect()
			mustExec(t, conn, "CREATE TABLE kv (g int, id int, v int, PRIMARY KEY (g, id))")
			mustExec(t, conn, "INSERT INTO kv SELECT i % 8, i, i FROM generate_series(1, 64) i")
			mustExec(t, conn, "CREATE MATERIALIZED VIEW per_g AS SELECT g, count(*) AS n, sum(v) AS s FROM kv GROUP BY g")
			mustExec(t, conn, "FLUSH")
			const query = "SELECT 'lookup', n, s FROM per_g WHERE g = $1 UNION ALL SELECT 'scan', n, s FROM per_g WHERE g + 0 = $1"
			if plan := queryStrings(t, conn, "EXPLAIN "+strings.ReplaceAll(query, "$1", "3")); !containsLine(plan, "lookup on (g)") {
				t.Fatalf("the first branch does not look up: %v", plan)
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 2 {
				c := connect()
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 3))
					for i := 0; i < 150; i++ {
						var sql string
						switch rng.IntN(4) {
						case 0:
							sql = fmt.Sprintf("UPDATE kv SET v = v + 1 WHERE g = %d", rng.IntN(10))
						case 1:
							sql = fmt.Sprintf("INSERT INTO kv VALUES (%d, %d, 1) ON CONFLICT DO NOTHING", rng.IntN(10), 1000+rng.IntN(1000))
						case 2:
							sql = fmt.Sprintf("DELETE FROM kv WHERE g = %d AND id %% 3 = %d", rng.IntN(10), rng.IntN(3))
						default:
							sql = "FLUSH"
						}
						if _, err := c.Exec(context.Background(), sql); err != nil && !strings.Contains(err.Error(), "40001") {
							errs <- fmt.Errorf("%s: %w", sql, err)
							return
						}
					}
				}()
			}
			var reads atomic.Int64
			var rwg sync.WaitGroup
			for r := range 3 {
				c := connect()
				rwg.Add(1)
				go func() {
					defer rwg.Done()
					rng := rand.New(rand.NewPCG(uint64(r), 5))
					for !stop.Load() {
						g := rng.IntN(10)
						rows, err := c.Query(context.Background(), query, g)
						if err != nil {
							errs <- err
							return
						}
						got := map[string][]string{}
						for rows.Next() {
							var kind string
							var n, s int64
							if err := rows.Scan(&kind, &n, &s); err != nil {
								errs <- err
								return
							}
							got[kind] = append(got[kind], fmt.Sprint(n, s))
						}
						if err := rows.Err(); err != nil {
							errs <- err
							return
						}
						sort.Strings(got["lookup"])
						sort.Strings(got["scan"])
						if fmt.Sprint(got["lookup"]) != fmt.Sprint(got["scan"]) {
							errs <- fmt.Errorf("group %d in one statement: lookup %v, scan %v", g, got["lookup"], got["scan"])
							return
						}
						reads.Add(1)
					}
				}()
			}
			wg.Wait()
			stop.Store(true)
			rwg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			st := srv.RowCacheStats()
			t.Logf("%d reads; row cache %+v", reads.Load(), st)
			if size == 0 && st.Hits == 0 {
				t.Fatal("no lookup hit the cache: the test compared Pebble with Pebble")
			}
			if size < 0 && st != (state.RowCacheStats{}) {
				t.Fatalf("cache off, yet counters %+v", st)
			}
		})
	}
}

// TestRowCacheTTLExpiry: a cached view row whose TTL passes by the
// (injected) clock is never served, with no epoch in between to update
// the cache.
func TestRowCacheTTLExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	srv, connect := startCacheServer(t, func(o *server.Options) {
		o.Clock = func() time.Time { return time.Unix(0, now.Load()).UTC() }
		o.TTLSweepInterval = time.Hour // no forced epoch during the test
	})
	conn := connect()
	mustExec(t, conn, "CREATE TABLE kv (g int, id int, PRIMARY KEY (g, id))")
	mustExec(t, conn, "INSERT INTO kv VALUES (1, 1), (1, 2), (2, 3)")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW per_g WITH (ttl = '1 hour') AS SELECT g, count(*) AS n FROM kv GROUP BY g")
	mustExec(t, conn, "FLUSH")
	const lookup = "SELECT g, n FROM per_g WHERE g = $1"
	if got := fmt.Sprint(queryStrings(t, conn, lookup, 1)); got != "[1 2]" {
		t.Fatalf("lookup before expiry: %s", got)
	}
	if got := fmt.Sprint(queryStrings(t, conn, lookup, 1)); got != "[1 2]" {
		t.Fatalf("cached lookup before expiry: %s", got)
	}
	now.Add(int64(2 * time.Hour))
	before := srv.RowCacheStats()
	if got := fmt.Sprint(queryStrings(t, conn, lookup, 1)); got != "[]" {
		t.Fatalf("lookup after expiry: %s, want no row", got)
	}
	if srv.RowCacheStats().Hits == before.Hits {
		t.Fatal("the expired row's lookup did not hit the cache: the expiry check on a hit was not tested")
	}
	if got := fmt.Sprint(queryStrings(t, conn, "SELECT g, n FROM per_g")); got != "[]" {
		t.Fatalf("full scan after expiry: %s", got)
	}
}
