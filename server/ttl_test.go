package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testClock is a clock the test moves by hand (the server reads it from
// its goroutines).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withClock starts the server on clk; the periodic sweep is pushed out of
// the way so that the test decides when rows are removed (CHECKPOINT).
func withClock(clk *testClock) func(*Options) {
	return func(o *Options) {
		o.Clock = clk.now
		o.TTLSweepInterval = time.Hour
		o.BarrierInterval = 20 * time.Millisecond
	}
}

// queryCol returns the first column of every row, as text, joined by
// spaces.
func queryCol(t *testing.T, conn *pgx.Conn, q string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		v := rows.RawValues()[0] // text: the connection uses the simple protocol
		if v == nil {
			out = append(out, "NULL")
		} else {
			out = append(out, string(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return strings.Join(out, " ")
}

func wantCol(t *testing.T, conn *pgx.Conn, q, want string) {
	t.Helper()
	if got := queryCol(t, conn, q); got != want {
		t.Fatalf("%s: got %q, want %q", q, got, want)
	}
}

func execTag(t *testing.T, conn *pgx.Conn, q string) string {
	t.Helper()
	tag, err := conn.Exec(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return tag.String()
}

func wantCode(t *testing.T, conn *pgx.Conn, q, code string) {
	t.Helper()
	_, err := conn.Exec(context.Background(), q)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Fatalf("%s: got %v, want SQLSTATE %s", q, err, code)
	}
}

// TestTableTTLProcessingTime covers ttl_time = 'processing' with both
// ttl_update modes: visibility through SELECT, joins, COPY TO, UPDATE,
// DELETE and INSERT; the sweep at CHECKPOINT with its counter; a restart
// with expired rows the sweep has not removed; and a view over the table,
// which keeps what it computed. Point reads and writes go through INSERT
// ... ON CONFLICT (a primary-key lookup): a scan refreshes every row it
// reads with on_read_and_write.
func TestTableTTLProcessingTime(t *testing.T) {
	for _, update := range []string{"on_write", "on_read_and_write"} {
		t.Run(update, func(t *testing.T) {
			refreshed := update == "on_read_and_write"
			pick := func(onWrite, onRead string) string {
				if refreshed {
					return onRead
				}
				return onWrite
			}
			dir := t.TempDir()
			clk := newTestClock()
			s := startTestServer(t, dir, withClock(clk))
			conn := connectSimple(t, s)
			execAll(t, conn,
				`CREATE TABLE t (id int PRIMARY KEY, v text) WITH (ttl = '1 hour', ttl_update = '`+update+`')`,
				`CREATE TABLE other (id int PRIMARY KEY, w text)`,
				`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`, // expiry 60 min
				`INSERT INTO other VALUES (1, 'x'), (2, 'y'), (3, 'z')`,
				`CREATE MATERIALIZED VIEW n AS SELECT count(*) AS n FROM t`,
			)
			clk.advance(30 * time.Minute)
			// A write moves the expiry (row 2: 90 min).
			execAll(t, conn, `INSERT INTO t VALUES (2, 'b2') ON CONFLICT (id) DO UPDATE SET v = excluded.v`)
			clk.advance(20 * time.Minute)
			// A point read of row 1 that writes nothing: with
			// on_read_and_write it moves row 1's expiry to 110 min.
			execAll(t, conn, `INSERT INTO t VALUES (1, 'other') ON CONFLICT (id) DO NOTHING`)
			clk.advance(10*time.Minute - time.Microsecond)
			if !refreshed { // (a scan would refresh every row)
				wantCol(t, conn, `SELECT count(*) FROM t WHERE id = 3`, "1")
			}
			clk.advance(time.Microsecond) // 60 min: rows expire at exactly write time + ttl
			want := pick("2", "1 2")
			// (With on_read_and_write this scan moves rows 1 and 2 to 120 min.)
			wantCol(t, conn, `SELECT id FROM t ORDER BY id`, want)
			wantCol(t, conn, `SELECT t.id FROM t JOIN other USING (id) ORDER BY 1`, want)
			var buf strings.Builder
			if _, err := conn.PgConn().CopyTo(context.Background(), &buf, `COPY t TO STDOUT`); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != strings.Count(want, " ")+1 {
				t.Fatalf("COPY TO returned %q", buf.String())
			}
			// Row 3 is expired in both modes: invisible to UPDATE and
			// DELETE, and its key is free for INSERT.
			if tag := execTag(t, conn, `UPDATE t SET v = 'zombie' WHERE id = 3`); tag != "UPDATE 0" {
				t.Fatalf("UPDATE of an expired row: %s", tag)
			}
			if tag := execTag(t, conn, `DELETE FROM t WHERE id = 3`); tag != "DELETE 0" {
				t.Fatalf("DELETE of an expired row: %s", tag)
			}
			execAll(t, conn, `INSERT INTO t VALUES (3, 'fresh')`) // expiry 120 min
			wantCol(t, conn, `SELECT v FROM t WHERE id = 3`, "fresh")
			// The view keeps what it computed: expiry is not a delete; the
			// fresh row 3 arrives as an insert.
			execAll(t, conn, `FLUSH`)
			wantCol(t, conn, `SELECT n FROM n`, "4")

			// Restart before any sweep: expired rows stay invisible.
			clk.advance(45 * time.Minute) // 105 min
			wantRows := pick("3", "1 2 3")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = startTestServer(t, dir, withClock(clk))
			conn = connectSimple(t, s)
			wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "0")
			wantCol(t, conn, `SELECT id FROM t ORDER BY id`, wantRows) // on_read_and_write: now 165 min
			// CHECKPOINT sweeps: with on_write rows 1 and 2 are removed.
			execAll(t, conn, `CHECKPOINT`)
			wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, pick("2", "0"))
			wantCol(t, conn, `SELECT ttl_time || ' ' || ttl::text FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "processing 01:00:00")
			wantCol(t, conn, `SELECT id FROM t ORDER BY id`, wantRows)
			clk.advance(61 * time.Minute)
			wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "")
			execAll(t, conn, `CHECKPOINT`)
			wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "3")
			if got := ttlMetric(t, s, "public.t"); got != 3 {
				t.Fatalf("streamdb_ttl_expired_rows{relation=public.t} = %v, want 3", got)
			}
			wantCol(t, conn, `SELECT n FROM n`, "4")
		})
	}
}

// TestTableTTLEventTime covers ttl_time = '<column>' with both ttl_update
// modes and a WATERMARK delay: the processing clock does not matter, the
// table's event-time frontier does.
func TestTableTTLEventTime(t *testing.T) {
	for _, update := range []string{"on_write", "on_read_and_write"} {
		t.Run(update, func(t *testing.T) {
			dir := t.TempDir()
			clk := newTestClock()
			s := startTestServer(t, dir, withClock(clk))
			conn := connectSimple(t, s)
			execAll(t, conn,
				`CREATE TABLE e (id int PRIMARY KEY, at timestamptz, WATERMARK FOR at AS at - INTERVAL '10' MINUTE)
					WITH (ttl = '1 hour', ttl_time = 'at', ttl_update = '`+update+`')`,
				`INSERT INTO e VALUES (1, '2025-01-01 00:00+00'), (2, '2025-01-01 00:30+00'), (3, NULL)`,
			)
			clk.advance(1000 * time.Hour) // processing time is irrelevant
			wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "1 2 3")
			// frontier = 01:09 - 10 min = 00:59: nothing expired yet.
			execAll(t, conn, `INSERT INTO e VALUES (4, '2025-01-01 01:09+00')`)
			wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "1 2 3 4")
			// frontier = 01:10 - 10 min = 01:00 = row 1's expiry; with
			// on_read_and_write the reads above moved it to 00:59 + 1 h.
			execAll(t, conn, `INSERT INTO e VALUES (5, '2025-01-01 01:10+00')`)
			if update == "on_write" {
				wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "2 3 4 5")
			} else {
				wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "1 2 3 4 5")
			}
			// A late event older than frontier - ttl is stored invisible.
			execAll(t, conn, `INSERT INTO e VALUES (6, '2024-12-31 00:00+00')`)
			wantCol(t, conn, `SELECT count(*) FROM e WHERE id = 6`, "0")
			// frontier 03:00: everything but the NULL row expires, also
			// after a restart, before and after the sweep.
			execAll(t, conn, `INSERT INTO e VALUES (7, '2025-01-01 03:10+00')`)
			wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "3 7")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = startTestServer(t, dir, withClock(clk))
			conn = connectSimple(t, s)
			wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "3 7")
			execAll(t, conn, `CHECKPOINT`)
			wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'e' AND operator = 'table rows'`, "5")
			wantCol(t, conn, `SELECT ttl_time FROM streamdb.state_tables WHERE relation_name = 'e' AND operator = 'table rows'`, "at")
			wantCol(t, conn, `SELECT id FROM e ORDER BY id`, "3 7")
		})
	}
}

// TestTTLNexmarkSource: a source with an event-time TTL returns exactly
// the events of the same (seeded) source without TTL that are within ttl
// of the latest event.
func TestTTLNexmarkSource(t *testing.T) {
	s := startTestServer(t, t.TempDir(), withClock(newTestClock()))
	conn := connectSimple(t, s)
	ddl := func(name, with string) string {
		return `CREATE SOURCE ` + name + ` (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
			extra VARCHAR) WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 5000` + with + `)`
	}
	execAll(t, conn, ddl("bid_all", ""), ddl("bid_ttl", `, ttl = '100 milliseconds', ttl_time = 'date_time'`))
	waitNexmark(t, s)
	all := queryInt(t, conn, `SELECT count(*) FROM bid_all`)
	want := queryInt(t, conn, `SELECT count(*) FROM bid_all WHERE date_time + interval '100 milliseconds' > (SELECT max(date_time) FROM bid_all)`)
	got := queryInt(t, conn, `SELECT count(*) FROM bid_ttl`)
	if got != want || want == 0 || want == all {
		t.Fatalf("bid_ttl has %d rows, want %d (of %d)", got, want, all)
	}
}

func TestTTLValidation(t *testing.T) {
	s := startTestServer(t, t.TempDir(), withClock(newTestClock()))
	conn := connectSimple(t, s)
	for _, c := range []struct{ sql, code string }{
		{`CREATE TABLE x (id int) WITH (ttl = 'soon')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '0 seconds')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '-1 hour')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '1 month')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '1 hour', ttl_time = 'nope')`, "42703"},
		{`CREATE TABLE x (id int) WITH (ttl = '1 hour', ttl_time = 'id')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '1 hour', ttl_update = 'on_read')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl_update = 'on_write')`, "22023"},
		{`CREATE TABLE x (id int) WITH (ttl = '1 hour', ttl_mode = 'x')`, "22023"},
		{`CREATE TABLE x (id int PRIMARY KEY, u int UNIQUE) WITH (ttl = '1 hour')`, "0A000"},
	} {
		wantCode(t, conn, c.sql, c.code)
	}
	wantCol(t, conn, `SELECT count(*) FROM pg_class WHERE relname = 'x'`, "0")
	execAll(t, conn, `CREATE TABLE ok (id int, at timestamp) WITH (ttl = '1 day 2 hours', ttl_time = 'at', ttl_update = 'ON_READ_AND_WRITE')`)
	wantCol(t, conn, `SELECT ttl::text FROM streamdb.state_tables WHERE relation_name = 'ok' AND operator = 'table rows'`, "26:00:00")
	wantCode(t, conn, `ALTER TABLE ok DROP COLUMN at`, "0A000")
	wantCode(t, conn, `CREATE UNIQUE INDEX ok_id ON ok (id)`, "0A000")
	execAll(t, conn, `ALTER TABLE ok RENAME COLUMN at TO seen`, `CREATE INDEX ok_seen ON ok (seen)`)
	wantCol(t, conn, `SELECT ttl_time FROM streamdb.state_tables WHERE relation_name = 'ok' AND operator = 'table rows'`, "seen")
	// ALTER TABLE ... SET/RESET validates like CREATE TABLE ... WITH.
	execAll(t, conn, `CREATE TABLE plain (id int PRIMARY KEY, u int UNIQUE, at timestamp)`, `CREATE MATERIALIZED VIEW v AS SELECT id FROM ok`)
	for _, c := range []struct{ sql, code string }{
		{`ALTER TABLE ok SET (ttl = 'soon')`, "22023"},
		{`ALTER TABLE ok SET (ttl = '1 month')`, "22023"},
		{`ALTER TABLE ok SET (ttl_time = 'nope')`, "42703"},
		{`ALTER TABLE ok SET (ttl_time = 'id')`, "22023"},
		{`ALTER TABLE ok SET (ttl_update = 'on_read')`, "22023"},
		{`ALTER TABLE ok SET (ttl_mode = 'x')`, "0A000"},
		{`ALTER TABLE ok SET (fillfactor = 70)`, "0A000"},
		{`ALTER TABLE ok RESET (fillfactor)`, "0A000"},
		{`ALTER TABLE plain SET (ttl_time = 'at')`, "22023"},
		{`ALTER TABLE plain SET (ttl = '1 hour')`, "0A000"},
		{`ALTER MATERIALIZED VIEW v SET (ttl = '1 hour')`, "0A000"},
	} {
		wantCode(t, conn, c.sql, c.code)
	}
	// Nothing changed: the renamed column is still the TTL's.
	wantCol(t, conn, `SELECT ttl_time || ' ' || ttl::text FROM streamdb.state_tables WHERE relation_name = 'ok' AND operator = 'table rows'`, "seen 26:00:00")
	execAll(t, conn, `ALTER TABLE ok SET (ttl = '2 hours')`)
	wantCol(t, conn, `SELECT ttl_time || ' ' || ttl::text FROM streamdb.state_tables WHERE relation_name = 'ok' AND operator = 'table rows'`, "seen 02:00:00")
	wantCol(t, conn, `SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'ok'`, "ttl=2 hours,ttl_time=seen,ttl_update=on_read_and_write")
}

// TestViewTTL covers a view's own TTL (processing time, on_write): its
// rows and its operator state (a group, a join key on both sides) expire
// per key, are never returned once expired, are removed by the sweep at
// CHECKPOINT, and a later event for the key starts afresh; a retraction
// of a forgotten row changes nothing; all of it across a restart.
func TestViewTTL(t *testing.T) {
	dir := t.TempDir()
	clk := newTestClock()
	s := startTestServer(t, dir, withClock(clk))
	conn := connectSimple(t, s)
	execAll(t, conn,
		`CREATE TABLE t (k int, v int)`,
		`CREATE TABLE a (id int PRIMARY KEY, x text)`,
		`CREATE TABLE b (id int PRIMARY KEY, y text)`,
		`CREATE MATERIALIZED VIEW agg WITH (ttl = '1 hour') AS SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k`,
		`CREATE MATERIALIZED VIEW j WITH (ttl = '1 hour') AS SELECT a.id, a.x, b.y FROM a JOIN b ON a.id = b.id`,
		`INSERT INTO t VALUES (1, 10), (2, 20)`,
		`INSERT INTO a VALUES (1, 'p')`, `INSERT INTO b VALUES (1, 'q')`,
		`FLUSH`,
	)
	const aggQ = `SELECT k || ':' || n || ':' || s FROM agg ORDER BY k`
	wantCol(t, conn, aggQ, "1:1:10 2:1:20")
	clk.advance(30 * time.Minute)
	execAll(t, conn, `INSERT INTO t VALUES (2, 5)`, `FLUSH`) // group 2 touched at 30 min
	wantCol(t, conn, aggQ, "1:1:10 2:2:25")
	clk.advance(30 * time.Minute) // 60 min: group 1, its row and the join expire
	wantCol(t, conn, aggQ, "2:2:25")
	wantCol(t, conn, `SELECT count(*) FROM j`, "0")
	execAll(t, conn, `CHECKPOINT`) // sweeps: forgets the keys, removes the rows
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator LIKE 'materialize%'`, "1")
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator NOT LIKE 'materialize%'`, "1")
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'j' AND operator NOT LIKE 'materialize%'`, "2")
	wantCol(t, conn, `SELECT DISTINCT ttl_time || ' ' || ttl::text FROM streamdb.state_tables WHERE relation_name = 'agg'`, "processing 01:00:00")
	// Group 1 starts afresh; the retraction of its forgotten row is
	// dropped.
	execAll(t, conn, `INSERT INTO t VALUES (1, 7)`, `DELETE FROM t WHERE v = 10`, `FLUSH`)
	wantCol(t, conn, aggQ, "1:1:7 2:2:25")
	// Join key 1 is forgotten on both sides: a new right row finds no left
	// row, a new left row finds the new right row.
	execAll(t, conn, `UPDATE b SET y = 'r' WHERE id = 1`, `FLUSH`)
	wantCol(t, conn, `SELECT count(*) FROM j`, "0")
	execAll(t, conn, `UPDATE a SET x = 'p2' WHERE id = 1`, `FLUSH`)
	wantCol(t, conn, `SELECT x || y FROM j`, "p2r")

	// Restart: committed state, expiries and counters come back.
	clk.advance(20 * time.Minute) // 80 min
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startTestServer(t, dir, withClock(clk))
	conn = connectSimple(t, s)
	execAll(t, conn, `FLUSH`)
	wantCol(t, conn, aggQ, "1:1:7 2:2:25")
	clk.advance(15 * time.Minute) // 95 min: group 2 (touched at 30) expires
	wantCol(t, conn, aggQ, "1:1:7")
	// A view over the view backfills without the expired row (its rows
	// keep what they computed from then on: no TTL of their own).
	execAll(t, conn, `CREATE MATERIALIZED VIEW down AS SELECT k FROM agg`)
	wantCol(t, conn, `SELECT k FROM down ORDER BY k`, "1")
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator LIKE 'materialize%'`, "2")
	if got := ttlMetric(t, s, "public.agg"); got != 2 {
		t.Fatalf("streamdb_ttl_expired_rows{relation=public.agg} = %v, want 2", got)
	}
	execAll(t, conn, `INSERT INTO t VALUES (2, 1)`, `FLUSH`)
	wantCol(t, conn, aggQ, "1:1:7 2:1:1")
	wantCol(t, conn, `SELECT k FROM down ORDER BY k`, "1 2")
}

func TestViewTTLValidation(t *testing.T) {
	s := startTestServer(t, t.TempDir(), withClock(newTestClock()))
	conn := connectSimple(t, s)
	execAll(t, conn, `CREATE TABLE t (k int, v int, at timestamptz)`)
	for _, c := range []struct{ sql, code string }{
		{`CREATE MATERIALIZED VIEW v WITH (ttl = 'never') AS SELECT k FROM t`, "22023"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_time = 'nope') AS SELECT k, at FROM t`, "42703"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_time = 'k') AS SELECT k, at FROM t`, "22023"},
		// on_read_and_write needs a view row to name its operator key
		// (ttl_view_read.go), and processing time.
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT count(*) AS n FROM t GROUP BY k`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT k + 1 AS k1, count(*) AS n FROM t GROUP BY k`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT count(*) AS n FROM t`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT a.k, b.v FROM t a JOIN t b ON a.k = b.k`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT a.k, count(*) AS n FROM t a JOIN t b ON a.k = b.k GROUP BY a.k`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT DISTINCT k FROM (SELECT DISTINCT k, v FROM t) s`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_time = 'at', ttl_update = 'on_read_and_write') AS SELECT k, at FROM t`, "0A000"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour', ttl_update = 'sometimes') AS SELECT k FROM t`, "22023"},
		{`CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour') AS SELECT k FROM t ORDER BY v LIMIT 3`, "0A000"},
	} {
		wantCode(t, conn, c.sql, c.code)
	}
	wantCol(t, conn, `SELECT count(*) FROM pg_class WHERE relname = 'v'`, "0")
	// A view without stateful operators has only its rows to expire.
	execAll(t, conn, `CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour') AS SELECT k FROM t WHERE v > 0`)
	// Shapes whose rows name their operator key take on_read_and_write.
	execAll(t, conn,
		`CREATE MATERIALIZED VIEW r1 WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT k FROM t WHERE v > 0`,
		`CREATE MATERIALIZED VIEW r2 WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT count(*) AS n, k FROM t WHERE v > 0 GROUP BY k HAVING count(*) > 1`,
		`CREATE MATERIALIZED VIEW r3 WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT DISTINCT v, k FROM t`,
	)
}

// TestViewTTLEventTime covers a view with ttl_time = '<column>': the view's
// time is the largest value of the column it ever produced; rows expire by
// their own column, operator keys by the frontier at their last change;
// the processing clock does not matter; all of it across a restart.
func TestViewTTLEventTime(t *testing.T) {
	dir := t.TempDir()
	clk := newTestClock()
	s := startTestServer(t, dir, withClock(clk))
	conn := connectSimple(t, s)
	execAll(t, conn,
		`SET TIME ZONE 'UTC'`,
		`CREATE TABLE ev (k int, at timestamptz)`,
		`CREATE MATERIALIZED VIEW last WITH (ttl = '1 hour', ttl_time = 'last_at') AS
			SELECT k, max(at) AS last_at, count(*) AS n FROM ev GROUP BY k`,
		`INSERT INTO ev VALUES (1, '2025-01-01 00:00+00'), (2, '2025-01-01 00:30+00')`, `FLUSH`,
	)
	const q = `SELECT k || '@' || to_char(last_at AT TIME ZONE 'UTC', 'HH24:MI') || 'x' || n FROM last ORDER BY k`
	clk.advance(10000 * time.Hour) // irrelevant
	wantCol(t, conn, q, "1@00:00x1 2@00:30x1")
	// Frontier 01:00: row 1 (00:00 + 1 h) expires; group 1 (changed at
	// frontier 00:30) stays until 01:30.
	execAll(t, conn, `INSERT INTO ev VALUES (3, '2025-01-01 01:00+00')`, `FLUSH`)
	wantCol(t, conn, q, "2@00:30x1 3@01:00x1")
	// Group 1 still has its state: a new event counts 2.
	execAll(t, conn, `INSERT INTO ev VALUES (1, '2025-01-01 00:10+00')`, `FLUSH`)
	wantCol(t, conn, q, "1@00:10x2 2@00:30x1 3@01:00x1")
	// Frontier 01:40: group 2 (last changed at frontier 00:30) is
	// forgotten; rows 1 (00:10) and 2 (00:30) expire.
	execAll(t, conn, `INSERT INTO ev VALUES (4, '2025-01-01 01:40+00')`, `FLUSH`)
	wantCol(t, conn, q, "3@01:00x1 4@01:40x1")
	wantCol(t, conn, `SELECT DISTINCT ttl_time FROM streamdb.state_tables WHERE relation_name = 'last'`, "last_at")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startTestServer(t, dir, withClock(clk))
	conn = connectSimple(t, s)
	execAll(t, conn, `SET TIME ZONE 'UTC'`)
	wantCol(t, conn, q, "3@01:00x1 4@01:40x1")
	// Group 2 starts afresh (count 1); group 1 (changed at frontier 01:00)
	// still counts.
	execAll(t, conn, `INSERT INTO ev VALUES (2, '2025-01-01 01:45+00'), (1, '2025-01-01 01:50+00')`, `FLUSH`)
	wantCol(t, conn, q, "1@01:50x3 2@01:45x1 3@01:00x1 4@01:40x1")
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'last' AND operator LIKE 'materialize%'`, "3")
}

// TestTTLKafkaTable: a Kafka CDC table takes a TTL like any table (here
// event time): rows its source writes expire by the table's frontier.
func TestTTLKafkaTable(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	s := startTestServer(t, t.TempDir(), withClock(newTestClock()), func(o *Options) {
		o.Settings = map[string]string{"kafka.partition_check_interval": "200ms"}
	})
	conn := connectSimple(t, s)
	execAll(t, conn, `CREATE TABLE ev (id int PRIMARY KEY, at timestamptz) WITH (connector = 'kafka', topic = 'ev',
		properties.bootstrap.server = '`+broker+`', scan.startup.mode = 'earliest', ttl = '1 hour', ttl_time = 'at')
		FORMAT PLAIN ENCODE JSON`)
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, v := range []string{
		`{"id": 1, "at": "2025-01-01 00:00:00+00"}`,
		`{"id": 2, "at": "2025-01-01 00:30:00+00"}`,
		`{"id": 3, "at": "2025-01-01 01:00:00+00"}`,
	} {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "ev", Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the last record; row 1 expired when it arrived.
	for range 400 {
		if queryCol(t, conn, `SELECT count(*) FROM ev WHERE id = 3`) == "1" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantCol(t, conn, `SELECT id FROM ev ORDER BY id`, "2 3")
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'ev' AND operator = 'table rows'`, "1")
}

// ttlMetric reads streamdb_ttl_expired_rows{relation} from the server's
// metrics registry (-1: absent).
func ttlMetric(t *testing.T, s *Server, relation string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "streamdb_ttl_expired_rows" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "relation" && l.GetValue() == relation {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}
