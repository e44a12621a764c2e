package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/server"
	"github.com/streamdb/streamdb/tests/testutil"
)

// TestCopyBinaryAgainstPostgres compares binary COPY with PostgreSQL 15:
// COPY TO (FORMAT binary) writes the same bytes, what Postgres writes
// loads back through COPY FROM (FORMAT binary), and malformed streams fail
// with the same SQLSTATE.
func TestCopyBinaryAgainstPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := testutil.StartPostgres(t)
	srv := testutil.StartServer(t)
	connect := func(url string) *pgconn.PgConn {
		c, err := pgconn.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	pgc := connect(pg.ConnString())
	sdb := connect("postgres://streamdb@" + srv.PGAddr() + "/streamdb?sslmode=disable")
	setup := []string{
		"SET TIME ZONE 'UTC'",
		"CREATE TABLE bt (id int PRIMARY KEY, name text, score float8, born date, amount numeric(10,2), flag bool, big bigint, at timestamptz)",
		"CREATE TABLE bt_copy (id int PRIMARY KEY, name text, score float8, born date, amount numeric(10,2), flag bool, big bigint, at timestamptz)",
		`INSERT INTO bt VALUES
			(1, 'one', 1.5, '2020-01-02', 12.34, true, 9000000000, '2021-03-04 05:06:07.123456+00'),
			(2, NULL, -0.25, '1999-12-31', -0.01, false, -1, NULL),
			(3, 'tab	and ''quote''', 0, '2000-02-29', 0, NULL, 0, '1970-01-01 00:00:00+00')`,
	}
	for _, c := range []*pgconn.PgConn{pgc, sdb} {
		for _, sql := range setup {
			if _, err := c.Exec(ctx, sql).ReadAll(); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}
	copyOut := func(c *pgconn.PgConn, sql string) []byte {
		t.Helper()
		var buf bytes.Buffer
		if _, err := c.CopyTo(ctx, &buf, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return buf.Bytes()
	}
	const binOut = "COPY (SELECT * FROM bt ORDER BY id) TO STDOUT (FORMAT binary)"
	want := copyOut(pgc, binOut)
	if got := copyOut(sdb, binOut); !bytes.Equal(got, want) {
		t.Errorf("COPY TO binary:\nstreamdb %x\npostgres %x", got, want)
	}
	if got, want := copyOut(sdb, "COPY bt TO STDOUT (FORMAT binary)"), copyOut(pgc, "COPY bt TO STDOUT (FORMAT binary)"); !bytes.Equal(got, want) {
		t.Errorf("COPY table TO binary:\nstreamdb %x\npostgres %x", got, want)
	}

	// Postgres' bytes load into both and read back the same.
	for _, c := range []*pgconn.PgConn{pgc, sdb} {
		tag, err := c.CopyFrom(ctx, bytes.NewReader(want), "COPY bt_copy FROM STDIN (FORMAT binary)")
		if err != nil {
			t.Fatal(err)
		}
		if tag.String() != "COPY 3" {
			t.Errorf("tag %q", tag)
		}
	}
	// A subset of columns; the others take their defaults.
	sub := copyOut(pgc, "COPY (SELECT id + 10, name FROM bt ORDER BY id) TO STDOUT (FORMAT binary)")
	for _, c := range []*pgconn.PgConn{pgc, sdb} {
		if _, err := c.CopyFrom(ctx, bytes.NewReader(sub), "COPY bt_copy (id, name) FROM STDIN (FORMAT binary)"); err != nil {
			t.Fatal(err)
		}
	}
	const textOut = "COPY (SELECT * FROM bt_copy ORDER BY id) TO STDOUT"
	if got, want := copyOut(sdb, textOut), copyOut(pgc, textOut); !bytes.Equal(got, want) {
		t.Errorf("after binary COPY FROM:\nstreamdb %q\npostgres %q", got, want)
	}

	// Malformed streams: the same SQLSTATE as Postgres, nothing loaded.
	header := want[:19]
	bad := map[string][]byte{
		"bad signature":     append([]byte("PGCOPY\n\xff\r\n\x01"), want[11:]...),
		"WITH OIDS":         append(append(append([]byte(nil), want[:11]...), 0, 1, 0, 0, 0, 0, 0, 0), want[19:]...),
		"short field count": append(append([]byte(nil), header...), 0, 1, 0, 0, 0, 4, 0, 0, 0, 99, 0xff, 0xff),
		"truncated":         want[:len(want)-7],
		"bad int4 length":   append(append([]byte(nil), header...), 0, 8, 0, 0, 0, 6, 0, 0, 0, 99, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
	for name, data := range bad {
		code := func(c *pgconn.PgConn) string {
			_, err := c.CopyFrom(ctx, bytes.NewReader(data), "COPY bt_copy FROM STDIN (FORMAT binary)")
			if pe, ok := err.(*pgconn.PgError); ok {
				return pe.Code
			}
			return "no error"
		}
		if got, want := code(sdb), code(pgc); got != want {
			t.Errorf("%s: streamdb %s, postgres %s", name, got, want)
		}
	}
	if got, want := copyOut(sdb, textOut), copyOut(pgc, textOut); !bytes.Equal(got, want) {
		t.Errorf("after failed COPYs:\nstreamdb %q\npostgres %q", got, want)
	}
}

// BenchmarkCopyFrom loads 10,000 rows (int, text, float8, date) per
// iteration into a fresh table, through pgx's CopyFrom (binary format) and
// through text COPY.
func BenchmarkCopyFrom(b *testing.B) {
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	const n = 10000
	rows := make([][]any, n)
	var text strings.Builder
	born := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = []any{int32(i), fmt.Sprintf("name %d", i), float64(i) / 4, born.AddDate(0, 0, i%1000)}
		fmt.Fprintf(&text, "%d\tname %d\t%v\t%s\n", i, i, float64(i)/4, born.AddDate(0, 0, i%1000).Format("2006-01-02"))
	}
	table := 0
	fresh := func(b *testing.B) string {
		b.StopTimer()
		table++
		name := fmt.Sprintf("bench_copy_%d", table)
		if _, err := conn.Exec(ctx, "CREATE TABLE "+name+" (id int PRIMARY KEY, name text, score float8, born date)"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		return name
	}
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			name := fresh(b)
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{name}, []string{"id", "name", "score", "born"}, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			name := fresh(b)
			if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(text.String()), "COPY "+name+" FROM STDIN"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
