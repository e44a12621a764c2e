package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/server"
)

// startLookupServer starts a server and connects pgx (extended protocol,
// prepared statements with binary parameters, as the serving benchmark).
func startLookupServer(tb testing.TB) (*pgx.Conn, func()) {
	tb.Helper()
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: tb.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	return conn, func() { _ = conn.Close(ctx); srv.Close() }
}

func mustExec(tb testing.TB, conn *pgx.Conn, sql string, args ...any) {
	tb.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// queryStrings runs a query and renders its rows, sorted by the query.
func queryStrings(tb testing.TB, conn *pgx.Conn, sql string, args ...any) []string {
	tb.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// TestKeyLookupPreparedMatchesScan runs prepared point and prefix SELECTs
// with parameters (which the lookup evaluates once per execution) on a
// table and a materialized view, and checks every answer against the same
// query written so that it cannot use the key (`col || ”`, `col + 0`): a
// full scan. Inside a transaction with its own uncommitted writes too.
func TestKeyLookupPreparedMatchesScan(t *testing.T) {
	conn, stop := startLookupServer(t)
	defer stop()
	mustExec(t, conn, "CREATE TABLE kv (g text, id bigint, v int, PRIMARY KEY (g, id))")
	mustExec(t, conn, "INSERT INTO kv SELECT 'g' || (i % 7), i, i * 10 FROM generate_series(1, 700) i")
	mustExec(t, conn, "CREATE MATERIALIZED VIEW per_g AS SELECT g, v % 3 AS r, count(*) AS n, sum(v) AS s FROM kv GROUP BY g, v % 3")
	mustExec(t, conn, "FLUSH")

	check := func(t *testing.T, lookup, scan string, args ...any) {
		t.Helper()
		got, want := queryStrings(t, conn, lookup, args...), queryStrings(t, conn, scan, args...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s %v:\n got %v\nwant %v (full scan)", lookup, args, got, want)
		}
	}
	checkAll := func(t *testing.T) {
		for _, g := range []any{"g0", "g3", "g6", "g7", "", nil} {
			check(t, "SELECT * FROM kv WHERE g = $1 ORDER BY id", "SELECT * FROM kv WHERE g || '' = $1 ORDER BY id", g)
			check(t, "SELECT * FROM per_g WHERE g = $1 ORDER BY r", "SELECT * FROM per_g WHERE g || '' = $1 ORDER BY r", g)
			for _, id := range []any{int64(1), int64(7), int64(700), int64(701), int32(3), nil} {
				check(t, "SELECT * FROM kv WHERE g = $1 AND id = $2", "SELECT * FROM kv WHERE g || '' = $1 AND id + 0 = $2", g, id)
			}
			for _, r := range []any{0, 1, 2, 3} {
				check(t, "SELECT * FROM per_g WHERE g = $1 AND r = $2", "SELECT * FROM per_g WHERE g || '' = $1 AND r + 0 = $2", g, r)
			}
		}
	}
	// The lookups must actually be taken, or this compares a scan with a
	// scan.
	plan := queryStrings(t, conn, "EXPLAIN SELECT * FROM kv WHERE g = 'g0' AND id = 1")
	if !containsLine(plan, "lookup on (g, id)") {
		t.Fatalf("no lookup in the plan: %v", plan)
	}
	plan = queryStrings(t, conn, "EXPLAIN SELECT * FROM per_g WHERE g = 'g0' AND r = 1")
	if !containsLine(plan, "lookup on (g, r)") {
		t.Fatalf("no lookup in the plan: %v", plan)
	}
	checkAll(t)

	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO kv VALUES ('g7', 1, 1), ('g0', 7000, 5)")
	mustExec(t, conn, "DELETE FROM kv WHERE g = 'g3' AND id = 3")
	mustExec(t, conn, "UPDATE kv SET id = id + 10000 WHERE g = 'g6' AND id < 100")
	if got := queryStrings(t, conn, "SELECT v FROM kv WHERE g = $1 AND id = $2", "g0", int64(7000)); fmt.Sprint(got) != "[5]" {
		t.Fatalf("own insert not seen by the lookup: %v", got)
	}
	checkAll(t)
	mustExec(t, conn, "ROLLBACK")
	checkAll(t)
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		for i := 0; i+len(sub) <= len(l); i++ {
			if l[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

// BenchmarkPointSelect runs a prepared point SELECT on a 100k-row table
// (by primary key) and on a 100k-row materialized view (by its leading
// column), with the key lookup ("lookup") and with the same query written
// so that it cannot use the key ("scan": `id + 0 = $1`), which is what
// every SELECT did before key lookups.
func BenchmarkPointSelect(b *testing.B) {
	conn, stop := startLookupServer(b)
	defer stop()
	const n = 100_000
	mustExec(b, conn, "CREATE TABLE points (id int PRIMARY KEY, v text)")
	mustExec(b, conn, fmt.Sprintf("INSERT INTO points SELECT i, 'v' || i FROM generate_series(1, %d) i", n))
	mustExec(b, conn, "CREATE MATERIALIZED VIEW points_v AS SELECT id, count(*) AS c, max(v) AS v FROM points GROUP BY id")
	mustExec(b, conn, "FLUSH")
	run := func(query string) func(b *testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i = i*7919%n + 1
				var id int32
				var v string
				var rows int
				r, err := conn.Query(ctx, query, int32(i))
				if err != nil {
					b.Fatal(err)
				}
				for r.Next() {
					if err := r.Scan(&id, &v); err != nil {
						b.Fatal(err)
					}
					rows++
				}
				if err := r.Err(); err != nil {
					b.Fatal(err)
				}
				if rows != 1 || int(id) != i {
					b.Fatalf("%s with %d: %d rows, id %d", query, i, rows, id)
				}
			}
		}
	}
	b.Run("table/lookup", run("SELECT id, v FROM points WHERE id = $1"))
	b.Run("table/scan", run("SELECT id, v FROM points WHERE id + 0 = $1"))
	b.Run("view/lookup", run("SELECT id, v FROM points_v WHERE id = $1"))
	b.Run("view/scan", run("SELECT id, v FROM points_v WHERE id + 0 = $1"))
}
