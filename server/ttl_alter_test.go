package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestViewTTLRefreshOnRead covers ttl_update = 'on_read_and_write' on
// views: a read by key lookup or full scan just before expiry keeps the
// row and its operator key (the group counts on), also when the epoch
// that applies the read runs after the old expiry; an unread row expires;
// a view's backfill is not a read; the refreshed expiries survive a
// restart.
func TestViewTTLRefreshOnRead(t *testing.T) {
	dir := t.TempDir()
	clk := newTestClock()
	s := startTestServer(t, dir, withClock(clk))
	conn := connectSimple(t, s)
	const with = `WITH (ttl = '1 hour', ttl_update = 'on_read_and_write')`
	execAll(t, conn,
		`CREATE TABLE t (k int, v int)`,
		`CREATE MATERIALIZED VIEW agg `+with+` AS SELECT k, count(*) AS n FROM t GROUP BY k`,
		`CREATE MATERIALIZED VIEW dist `+with+` AS SELECT DISTINCT k FROM t`,
		`CREATE MATERIALIZED VIEW p `+with+` AS SELECT k, v FROM t WHERE v > 0`,
		`CREATE MATERIALIZED VIEW cur `+with+` AS SELECT DISTINCT k FROM t`,
		// A TTL view runs on one worker whatever parallelism asks.
		`CREATE MATERIALIZED VIEW par WITH (ttl = '1 hour', ttl_update = 'on_read_and_write', parallelism = 4) AS SELECT k, count(*) AS n FROM t GROUP BY k`,
		`INSERT INTO t VALUES (1, 1), (2, 1), (3, 1)`, `FLUSH`, // every expiry: 60 min
	)
	wantCol(t, conn, `SELECT parallelism FROM streamdb.dataflows WHERE relation_name = 'par'`, "1")
	const aggQ = `SELECT k || ':' || n FROM agg ORDER BY k`
	if plan := queryCol(t, conn, `EXPLAIN SELECT n FROM agg WHERE k = 1`); !strings.Contains(plan, "lookup") {
		t.Fatalf("not a key lookup: %s", plan)
	}
	clk.advance(50 * time.Minute)
	// A key lookup of agg row 1; the epoch of CHECKPOINT applies it at
	// once (row 1: 110 min, group 1: 110 min).
	wantCol(t, conn, `SELECT n FROM agg WHERE k = 1`, "1")
	execAll(t, conn, `CHECKPOINT`)
	clk.advance(5 * time.Minute)
	// A backfill of a view over agg reads every row: not a user's read.
	execAll(t, conn, `CREATE MATERIALIZED VIEW down AS SELECT k FROM agg`)
	clk.advance(4*time.Minute + 59*time.Second)
	// 59:59: a full scan of p, a key lookup in dist through COPY TO, a
	// cursor over cur; no epoch runs before their rows' old expiry.
	wantCol(t, conn, `SELECT k FROM p ORDER BY k`, "1 2 3")
	var buf strings.Builder
	if _, err := conn.PgConn().CopyTo(context.Background(), &buf, `COPY (SELECT k FROM dist WHERE k = 2) TO STDOUT`); err != nil || buf.String() != "2\n" {
		t.Fatalf("COPY TO: %q, %v", buf.String(), err)
	}
	execAll(t, conn, `BEGIN`, `DECLARE c CURSOR FOR SELECT k FROM cur ORDER BY k`)
	wantCol(t, conn, `FETCH ALL c`, "1 2 3")
	execAll(t, conn, `COMMIT`)
	clk.advance(61 * time.Second) // 61 min
	// The epoch applies the reads (from their read time) before it sweeps.
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator LIKE 'materialize%'`, "2")
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'dist' AND operator LIKE 'materialize%'`, "2")
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 'p' AND operator LIKE 'materialize%'`, "0")
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'cur'`, "0")
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator NOT LIKE 'materialize%'`, "2")
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'dist' AND operator NOT LIKE 'materialize%'`, "2")

	// Restart: the refreshed expiries are stored (the original ones, 60
	// min, have passed).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startTestServer(t, dir, withClock(clk))
	conn = connectSimple(t, s)
	clk.advance(time.Minute) // 62 min; these reads refresh to 122 min
	wantCol(t, conn, aggQ, "1:1")
	wantCol(t, conn, `SELECT k FROM dist ORDER BY k`, "2")
	wantCol(t, conn, `SELECT k FROM p ORDER BY k`, "1 2 3")
	wantCol(t, conn, `SELECT k FROM cur ORDER BY k`, "1 2 3")
	// The read groups kept their state: they count on; the others start
	// afresh.
	execAll(t, conn, `INSERT INTO t VALUES (1, 1), (2, 1), (3, 1)`, `FLUSH`)
	wantCol(t, conn, aggQ, "1:2 2:1 3:1")
	wantCol(t, conn, `SELECT k FROM dist ORDER BY k`, "1 2 3")
	wantCol(t, conn, `SELECT k FROM p ORDER BY k`, "1 1 2 2 3 3")
	execAll(t, conn, `DELETE FROM t WHERE k = 2`, `FLUSH`) // dist key 2 held 2 rows
	wantCol(t, conn, `SELECT k FROM dist ORDER BY k`, "1 3")
	// Unread, everything expires an hour after its last change or read.
	clk.advance(60*time.Minute + time.Second)
	wantCol(t, conn, `SELECT count(*) FROM agg`, "0")
	wantCol(t, conn, `SELECT count(*) FROM dist`, "0")
	wantCol(t, conn, `SELECT count(*) FROM p`, "0")
	wantCol(t, conn, `SELECT count(*) FROM cur`, "0")
}

// TestViewTTLRefreshOnReadOverflow: reads of more rows than the per-view
// bound between two epochs refresh every row that was live at the read
// (rows and groups).
func TestViewTTLRefreshOnReadOverflow(t *testing.T) {
	clk := newTestClock()
	s := startTestServer(t, t.TempDir(), withClock(clk))
	conn := connectSimple(t, s)
	execAll(t, conn,
		`CREATE TABLE t (k int, v int)`,
		`CREATE MATERIALIZED VIEW agg WITH (ttl = '1 hour', ttl_update = 'on_read_and_write') AS SELECT k, count(*) AS n FROM t GROUP BY k`,
		`INSERT INTO t SELECT g, 0 FROM generate_series(1, 5) g`, `FLUSH`,
	)
	d, ok := s.cat.LookupRelation("public", "agg")
	if !ok {
		t.Fatal("no view agg")
	}
	s.ttl.view(d.OID).reads.limit = 2
	clk.advance(59 * time.Minute)
	wantCol(t, conn, `SELECT count(*) FROM agg`, "5") // notes 2 rows, then overflows
	clk.advance(2 * time.Minute)
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT sum(expired_rows) FROM streamdb.state_tables WHERE relation_name = 'agg'`, "0")
	execAll(t, conn, `INSERT INTO t SELECT g, 0 FROM generate_series(1, 5) g`, `FLUSH`)
	wantCol(t, conn, `SELECT string_agg(n::text, ' ') FROM agg`, "2 2 2 2 2")
}

// TestTableTTLAlter sets a TTL with ALTER TABLE on a table that holds
// rows, for every ttl_time x ttl_update combination; the rows present
// before the ALTER expire like rows written under the TTL (processing
// time: from the ALTER; event time: by their column), across a restart;
// RESET (ttl) makes the remaining rows permanent; reloptions and psql's
// \d+ show the options.
func TestTableTTLAlter(t *testing.T) {
	for _, ttlTime := range []string{"processing", "at"} {
		for _, update := range []string{"on_write", "on_read_and_write"} {
			t.Run(ttlTime+"/"+update, func(t *testing.T) {
				onRead := update == "on_read_and_write"
				dir := t.TempDir()
				clk := newTestClock()
				s := startTestServer(t, dir, withClock(clk))
				conn := connectSimple(t, s)
				execAll(t, conn,
					`CREATE TABLE t (id int PRIMARY KEY, at timestamptz)`,
					`INSERT INTO t VALUES (1, '2025-01-01 00:00+00'), (2, '2025-01-01 00:30+00'), (3, NULL)`,
					`CREATE MATERIALIZED VIEW n AS SELECT count(*) AS n FROM t`,
				)
				clk.advance(10 * time.Minute)
				execAll(t, conn, `ALTER TABLE t SET (ttl = '1 hour', ttl_time = '`+ttlTime+`', ttl_update = '`+update+`')`)
				wantCol(t, conn, `SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 't'`,
					"ttl=1 hour,ttl_time="+ttlTime+",ttl_update="+update)
				wantCol(t, conn, `SELECT ttl_time || ' ' || ttl::text FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, ttlTime+" 01:00:00")
				psqlDescribe(t, s, "t", "Options: ttl=1 hour, ttl_time="+ttlTime+", ttl_update="+update)
				restart := func() {
					t.Helper()
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					s = startTestServer(t, dir, withClock(clk))
					conn = connectSimple(t, s)
				}
				if ttlTime == "processing" {
					// Existing rows: 10 + 60 = 70 min (no stored write time).
					clk.advance(59 * time.Minute) // 69 min; row 4 expires at 129
					execAll(t, conn, `INSERT INTO t VALUES (4, NULL)`)
					restart()
					clk.advance(time.Minute) // 70 min
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "4")
					// With on_read_and_write that read moved row 4 to 130.
					clk.advance(59*time.Minute + 30*time.Second) // 129:30
					want := ""
					if onRead {
						want = "4"
					}
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, want)
					execAll(t, conn, `INSERT INTO t VALUES (5, NULL)`, `ALTER TABLE t RESET (ttl)`)
					clk.advance(1000 * time.Hour)
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, strings.TrimSpace(want+" 5"))
				} else {
					// The frontier is 00:30 (the rows' largest event time):
					// row 1 expires at 01:00, row 2 at 01:30, row 3 never.
					clk.advance(1000 * time.Hour) // irrelevant
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "1 2 3")
					execAll(t, conn, `INSERT INTO t VALUES (4, '2025-01-01 01:00+00')`)
					restart()
					// With on_read_and_write the read above moved rows 1 and 2
					// to 00:30 + 1 h, and this one moves them and row 4 to
					// 01:00 + 1 h.
					want := "2 3 4"
					if onRead {
						want = "1 2 3 4"
					}
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, want)
					execAll(t, conn, `INSERT INTO t VALUES (5, '2025-01-01 01:45+00')`)
					want = "3 4 5"
					if onRead {
						want = "1 2 3 4 5"
					}
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, want)
					execAll(t, conn, `ALTER TABLE t RESET (ttl)`, `INSERT INTO t VALUES (6, '2025-01-01 09:00+00')`)
					wantCol(t, conn, `SELECT id FROM t ORDER BY id`, want+" 6")
				}
				wantCol(t, conn, `SELECT count(*) FROM pg_class WHERE relname = 't' AND reloptions IS NULL`, "1")
				wantCol(t, conn, `SELECT count(*) FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "0")
				execAll(t, conn, `CHECKPOINT`) // a sweep finds nothing of t's
				restart()
				clk.advance(1000 * time.Hour)
				rows := queryCol(t, conn, `SELECT id FROM t ORDER BY id`)
				execAll(t, conn, `CHECKPOINT`)
				wantCol(t, conn, `SELECT id FROM t ORDER BY id`, rows)
				// Expiry is not a delete: the view counted every row.
				execAll(t, conn, `FLUSH`)
				if got := queryInt(t, conn, `SELECT n FROM n`); got < 5 {
					t.Fatalf("view count %d", got)
				}
			})
		}
	}
}

// psqlDescribe runs psql's \d+ on table and checks that its output
// contains want.
func psqlDescribe(t *testing.T, s *Server, table, want string) {
	t.Helper()
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql is needed (make test installs PostgreSQL 15): %v", err)
	}
	host, port, _ := strings.Cut(s.PGAddr(), ":")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "streamdb", "-d", "streamdb", "-c", `\d+ `+table)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=", "PSQL_PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("psql \\d+ %s: %v; want %q in:\n%s", table, err, want, out)
	}
}

// TestTableTTLAlterInterval: changing a processing-time TTL re-derives
// each row's expiry from its last write; switching to event time uses the
// column; rows that had expired stay gone.
func TestTableTTLAlterInterval(t *testing.T) {
	clk := newTestClock()
	s := startTestServer(t, t.TempDir(), withClock(clk))
	conn := connectSimple(t, s)
	execAll(t, conn, `CREATE TABLE t (id int PRIMARY KEY, at timestamptz) WITH (ttl = '1 hour')`,
		`INSERT INTO t VALUES (1, '2025-01-01 00:00+00')`, `INSERT INTO t VALUES (9, NULL)`)
	clk.advance(30 * time.Minute)
	execAll(t, conn, `INSERT INTO t VALUES (2, '2025-01-01 01:00+00')`)
	clk.advance(35 * time.Minute) // 65 min: rows 1 and 9 expired (60)
	execAll(t, conn, `ALTER TABLE t SET (ttl = '2 hours')`)
	// Row 2: 30 + 120 = 150 min. Rows 1 and 9 stay gone.
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "2")
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "2")
	clk.advance(84 * time.Minute) // 149 min
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "2")
	execAll(t, conn, `ALTER TABLE t SET (ttl = '90 minutes')`) // 30 + 90 = 120: expired
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "")
	execAll(t, conn, `ALTER TABLE t SET (ttl = '3 hours')`) // expired rows stay gone
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "")
	execAll(t, conn, `INSERT INTO t VALUES (3, '2025-01-01 00:00+00'), (4, '2025-01-01 02:00+00')`)
	execAll(t, conn, `ALTER TABLE t SET (ttl_time = 'at', ttl = '1 hour')`) // frontier 02:00
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "4")
	execAll(t, conn, `ALTER TABLE t RESET (ttl_time)`) // processing again: now + 1 h
	clk.advance(59 * time.Minute)
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "4")
	clk.advance(time.Minute)
	wantCol(t, conn, `SELECT id FROM t ORDER BY id`, "")
}

// TestTableTTLAlterConcurrentWriters: rows written while ALTER TABLE ...
// SET (ttl) indexes the existing rows all get an expiry (none is left
// permanent), whichever side of the change they commit on.
func TestTableTTLAlterConcurrentWriters(t *testing.T) {
	clk := newTestClock()
	s := startTestServer(t, t.TempDir(), withClock(clk))
	conn := connectSimple(t, s)
	execAll(t, conn, `CREATE TABLE t (id int PRIMARY KEY, v int)`,
		`INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g`)
	var wg sync.WaitGroup
	var writeErr error
	start := make(chan struct{})
	w := connectSimple(t, s)
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i := 0; i < 200; i++ {
			q := fmt.Sprintf(`INSERT INTO t VALUES (%d, 0); UPDATE t SET v = -1 WHERE id = %d`, 100000+i, 1+i*97)
			if _, err := w.Exec(context.Background(), q); err != nil {
				writeErr = err
				return
			}
		}
	}()
	close(start)
	execAll(t, conn, `ALTER TABLE t SET (ttl = '1 hour')`)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	wantCol(t, conn, `SELECT count(*) FROM t`, "20200")
	clk.advance(time.Hour)
	wantCol(t, conn, `SELECT count(*) FROM t`, "0")
	execAll(t, conn, `CHECKPOINT`)
	wantCol(t, conn, `SELECT expired_rows FROM streamdb.state_tables WHERE relation_name = 't' AND operator = 'table rows'`, "20200")
	execAll(t, conn, `ALTER TABLE t RESET (ttl)`)
	wantCol(t, conn, `SELECT count(*) FROM t`, "0")
}

// TestTTLAlterNexmarkSource: ALTER TABLE ... SET (ttl ...) on a source
// table that holds the generator's events re-derives their expiry like
// CREATE SOURCE ... WITH (ttl ...) with the new TTL would have set it (event
// time: the same events survive); RESET keeps the survivors. A source
// created without TTL keeps its rows as its log (log-only) and refuses a
// TTL with 0A000.
func TestTTLAlterNexmarkSource(t *testing.T) {
	s := startTestServer(t, t.TempDir(), withClock(newTestClock()))
	conn := connectSimple(t, s)
	ddl := func(name, with string) string {
		return `CREATE SOURCE ` + name + ` (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
			extra VARCHAR) WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 5000` + with + `)`
	}
	execAll(t, conn,
		ddl("bid_created", `, ttl = '100 milliseconds', ttl_time = 'date_time'`),
		ddl("bid_altered", `, ttl = '1 hour', ttl_time = 'date_time'`),
		ddl("bid_log", ""))
	waitNexmark(t, s)
	all := queryInt(t, conn, `SELECT count(*) FROM bid_altered`)
	execAll(t, conn, `ALTER TABLE bid_altered SET (ttl = '100 milliseconds')`)
	want := queryInt(t, conn, `SELECT count(*) FROM bid_created`)
	got := queryInt(t, conn, `SELECT count(*) FROM bid_altered`)
	if got != want || want == 0 || want == all {
		t.Fatalf("bid_altered has %d rows after ALTER, want %d (of %d)", got, want, all)
	}
	execAll(t, conn, `ALTER TABLE bid_altered RESET (ttl)`)
	if got := queryInt(t, conn, `SELECT count(*) FROM bid_altered`); got != want {
		t.Fatalf("bid_altered has %d rows after RESET, want %d", got, want)
	}
	wantCode(t, conn, `ALTER TABLE bid_log SET (ttl = '1 hour')`, "0A000")
	wantCol(t, conn, `SELECT count(*) FROM bid_log`, fmt.Sprint(all))
	wantCol(t, conn, `SELECT count(*) FROM pg_class WHERE relname = 'bid_log' AND array_to_string(reloptions, ',') LIKE '%ttl%'`, "0")
}
