package server_test

import (
	"context"
	"flag"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"

	"github.com/streamdb/streamdb/bench/nexmark"
	"github.com/streamdb/streamdb/server"
)

var servingClients = flag.Int("serving.clients", 64, "BenchmarkServingUnderIngest: concurrent clients")

// BenchmarkServingUnderIngest is the serving benchmark in process (so that
// `go test -cpuprofile/-blockprofile/-mutexprofile` profile the server):
// prepared point SELECTs by the q17 view's key from -serving.clients
// connections while unbounded Nexmark ingest maintains q17. One op is one
// query; the p50/p99 latencies are reported as metrics.
func BenchmarkServingUnderIngest(b *testing.B) {
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	url := "postgres://streamdb@" + srv.PGAddr() + "/streamdb?sslmode=disable"
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	q17, err := nexmark.LookupQuery("q17")
	if err != nil {
		b.Fatal(err)
	}
	for _, ddl := range append(nexmark.SourceDDL(0, 10_000), nexmark.QueryDDL("nexmark_q17", q17, nexmark.VariantView)) {
		mustExec(b, conn, ddl)
	}
	time.Sleep(3 * time.Second)
	type key struct {
		auction int64
		day     string
	}
	var keys []key
	rows, err := conn.Query(ctx, "SELECT auction, day FROM nexmark_q17")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.auction, &k.day); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil || len(keys) == 0 {
		b.Fatalf("q17 keys: %d, %v", len(keys), err)
	}
	clients := make([]*pgx.Conn, *servingClients)
	for i := range clients {
		if clients[i], err = pgx.Connect(ctx, url); err != nil {
			b.Fatal(err)
		}
		defer clients[i].Close(ctx)
	}
	const query = "SELECT * FROM nexmark_q17 WHERE auction = $1 AND day = $2"
	work := make(chan struct{}, 1024)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	before := srv.RowCacheStats()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 17))
			var mine []time.Duration
			for range work {
				k := keys[rng.IntN(len(keys))]
				t0 := time.Now()
				r, err := c.Query(ctx, query, k.auction, k.day)
				n := 0
				if err == nil {
					for r.Next() {
						n++
					}
					err = r.Err()
				}
				if err == nil && n != 1 {
					err = errors.Newf("key (%d, %s): %d rows", k.auction, k.day, n)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	for b.Loop() {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	after := srv.RowCacheStats()
	if hits, misses := after.Hits-before.Hits, after.Misses-before.Misses; hits+misses > 0 {
		b.ReportMetric(float64(hits)/float64(hits+misses), "cache-hit-ratio")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
