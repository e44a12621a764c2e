package kafka

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamdb/streamdb/server"
)

func events() int {
	if n, err := strconv.Atoi(os.Getenv("STREAMDB_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func BenchmarkDebeziumIngestGroupBy(b *testing.B) {
	n := events()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(8, "orders"))
		if err != nil {
			b.Fatal(err)
		}
		pr, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()[0]), kgo.DefaultProduceTopic("orders"), kgo.ProducerLinger(5*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		// Inserts then updates: 3/4 creates, 1/4 updates of earlier ids.
		ctx := context.Background()
		for j := 0; j < n; j += 10_000 {
			var recs []*kgo.Record
			for k := j; k < min(n, j+10_000); k++ {
				id, op, before := k, "c", "null"
				if k%4 == 3 {
					id, op, before = k/2, "u", fmt.Sprintf(`{"id":%d}`, k/2)
				}
				v := fmt.Sprintf(`{"before":%s,"after":{"id":%d,"customer_id":%d,"amount":"%d.%02d","ts":%d},"op":"%s","source":{"connector":"postgresql"}}`,
					before, id, id%1000, id%997, id%100, 1700000000000000+int64(id), op)
				recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprintf(`{"id":%d}`, id)), Value: []byte(v)})
			}
			if err := pr.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
		}
		pr.Close()
		srv, err := server.Start(ctx, server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: b.TempDir(),
			CheckpointInterval: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		conn, err := pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
		if err != nil {
			b.Fatal(err)
		}
		exec := func(sql string) [][][]byte {
			res, err := conn.Exec(ctx, sql).ReadAll()
			if err != nil {
				b.Fatalf("%s: %v", sql, err)
			}
			return res[len(res)-1].Rows
		}
		exec(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(10,2), ts timestamp)`)
		exec(`DROP TABLE orders`)
		b.StartTimer()
		cpu0, t0 := cpuSeconds(), time.Now()
		exec(fmt.Sprintf(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(10,2), ts timestamp)
			WITH (connector = 'kafka', topic = 'orders', properties.bootstrap.server = '%s') FORMAT DEBEZIUM ENCODE JSON`, c.ListenAddrs()[0]))
		exec(`CREATE MATERIALIZED VIEW by_customer AS SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer_id`)
		for {
			exec(`FLUSH`)
			rows := exec(`SELECT sum("offset") FROM streamdb.sources WHERE source_name = 'orders'`)
			if len(rows) == 1 && string(rows[0][0]) == strconv.Itoa(n) {
				// Updates of ids never created upsert them: compare with the table.
				want := exec(`SELECT count(*) FROM orders`)
				if got := exec(`SELECT sum(n) FROM by_customer`); len(got) == 1 && string(got[0][0]) == string(want[0][0]) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		wall, cpu := time.Since(t0), cpuSeconds()-cpu0
		b.StopTimer()
		b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
		b.ReportMetric(float64(n)/cpu, "events/cpu-s")
		fmt.Printf("debezium ingest -> GROUP BY view: %d events, %.2fs wall, %.0f events/s, %.2f CPU-s, %.0f events per CPU-second\n",
			n, wall.Seconds(), float64(n)/wall.Seconds(), cpu, float64(n)/cpu)
		_ = conn.Close(ctx)
		_ = srv.Close()
		c.Close()
	}
}
