package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// rowKeyCount counts a table's 't' keys in the table store.
func rowKeyCount(t *testing.T, s *Server, oid uint32) int {
	t.Helper()
	p := []byte{'t', byte(oid >> 24), byte(oid >> 16), byte(oid >> 8), byte(oid)}
	n := 0
	if err := s.tables.Store().ScanPrefix(p, func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func logCount(t *testing.T, s *Server, oid uint32) int64 {
	t.Helper()
	n, err := s.tables.LogRecordCount(oid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func queryText(t *testing.T, conn *pgx.Conn, q string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&sb, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return sb.String()
}

func expectCode(t *testing.T, conn *pgx.Conn, q, code string) {
	t.Helper()
	_, err := conn.Exec(context.Background(), q)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: %v, want SQLSTATE %s", q, err, code)
	}
}

// TestLogOnlySource: a nexmark source stores each row once, as its log
// record, and every way of reading it answers as a table holding the same
// rows does.
func TestLogOnlySource(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	execAll(t, conn, nexmarkDDL(10000, "")...)
	waitNexmark(t, s)
	for _, name := range []string{"person", "auction", "bid"} {
		oid := mustOID(t, s, name)
		if !s.tables.IsLogOnly(oid) {
			t.Fatalf("source %s is not log-only", name)
		}
		if n := rowKeyCount(t, s, oid); n != 0 {
			t.Fatalf("source %s stores %d rows besides its log", name, n)
		}
	}
	if n := logCount(t, s, mustOID(t, s, "bid")); n != 9200 {
		t.Fatalf("%d log records of bid, want 9200", n)
	}
	// Plain tables holding the same rows are the reference.
	execAll(t, conn,
		"CREATE TABLE bid_copy (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR)",
		"INSERT INTO bid_copy SELECT * FROM bid",
		`CREATE TABLE auction_copy (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
			date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR)`,
		"INSERT INTO auction_copy SELECT * FROM auction",
	)
	if s.tables.IsLogOnly(mustOID(t, s, "bid_copy")) {
		t.Fatal("a plain table is log-only")
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM bid_copy"); n != 9200 {
		t.Fatalf("copy holds %d rows", n)
	}
	storage := func(name string) string {
		t.Helper()
		return strings.TrimSpace(queryText(t, conn, "SELECT operator FROM streamdb.state_tables WHERE relation_name = '"+name+"' AND operator LIKE 'table storage%' AND live_bytes IS NOT NULL"))
	}
	if got := storage("bid"); got != "table storage (log only)" {
		t.Fatalf("streamdb.state_tables of a source: %q", got)
	}
	if got := storage("bid_copy"); got != "" {
		t.Fatalf("streamdb.state_tables of a table: %q", got)
	}
	same := func(q, ref string) {
		t.Helper()
		if got, want := queryText(t, conn, q), queryText(t, conn, ref); got != want {
			t.Fatalf("%s:\n%s\nreference %s:\n%s", q, got, ref, want)
		}
	}
	same("SELECT count(*) FROM (SELECT * FROM bid EXCEPT ALL SELECT * FROM bid_copy) d", "SELECT 0::bigint")
	same("SELECT count(*) FROM (SELECT * FROM bid_copy EXCEPT ALL SELECT * FROM bid) d", "SELECT 0::bigint")
	const join = "SELECT a.category, count(*), sum(b.price) FROM %s b JOIN %s a ON b.auction = a.id GROUP BY a.category ORDER BY 1"
	same(fmt.Sprintf(join, "bid", "auction"), fmt.Sprintf(join, "bid_copy", "auction_copy"))
	same("SELECT * FROM bid WHERE price > 10000000 ORDER BY date_time, bidder", "SELECT * FROM bid_copy WHERE price > 10000000 ORDER BY date_time, bidder")

	// COPY TO and a cursor read the log.
	var buf, ref bytes.Buffer
	if _, err := conn.PgConn().CopyTo(context.Background(), &buf, "COPY (SELECT * FROM bid ORDER BY date_time, bidder, price) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.PgConn().CopyTo(context.Background(), &ref, "COPY (SELECT * FROM bid_copy ORDER BY date_time, bidder, price) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if buf.String() != ref.String() || strings.Count(buf.String(), "\n") != 9200 {
		t.Fatalf("COPY TO of the source differs from the table's (%d lines)", strings.Count(buf.String(), "\n"))
	}
	buf.Reset()
	if _, err := conn.PgConn().CopyTo(context.Background(), &buf, "COPY bid TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 9200 {
		t.Fatalf("COPY bid TO STDOUT: %d lines", n)
	}
	execAll(t, conn, "BEGIN", "DECLARE c CURSOR FOR SELECT price FROM bid")
	fetched := 0
	for {
		out := queryText(t, conn, "FETCH 1000 FROM c")
		if out == "" {
			break
		}
		fetched += strings.Count(out, "\n")
	}
	if fetched != 9200 {
		t.Fatalf("cursor fetched %d rows", fetched)
	}
	execAll(t, conn, "COMMIT")

	// A view created later backfills from the log, and so do the views
	// of a restart.
	const agg = "SELECT channel, count(*) AS n, sum(price) AS total, max(date_time) AS last FROM %s GROUP BY channel"
	execAll(t, conn, "CREATE MATERIALIZED VIEW by_channel AS "+fmt.Sprintf(agg, "bid"))
	same("SELECT * FROM by_channel ORDER BY 1", fmt.Sprintf(agg, "bid_copy")+" ORDER BY 1")

	// Writes other than the generator's are refused, as before.
	expectCode(t, conn, "DELETE FROM bid", "0A000")
	expectCode(t, conn, "UPDATE bid SET price = 0", "0A000")
	expectCode(t, conn, "TRUNCATE bid", "0A000")
	expectCode(t, conn, "INSERT INTO bid (price) VALUES (1)", "0A000")

	execAll(t, conn, "CHECKPOINT")
	if n := logCount(t, s, mustOID(t, s, "bid")); n != 9200 {
		t.Fatalf("%d log records of bid after a checkpoint: a log-only table's log was truncated", n)
	}
	_ = s.Close()
	s = startTestServer(t, dir)
	conn = connectSimple(t, s)
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	same("SELECT * FROM by_channel ORDER BY 1", fmt.Sprintf(agg, "bid_copy")+" ORDER BY 1")
	same("SELECT count(*) FROM (SELECT * FROM bid EXCEPT ALL SELECT * FROM bid_copy) d", "SELECT 0::bigint")
}

// TestLogTruncation: checkpoints truncate the change logs of tables to
// what the views over them can still need, and the views stay exact
// across restarts (which roll their state back to the last checkpoint and
// replay the logs from its offsets) and when created later.
func TestLogTruncation(t *testing.T) {
	dir := t.TempDir()
	noPeriodic := func(o *Options) { o.CheckpointInterval = -1 }
	s := startTestServer(t, dir, noPeriodic)
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE t (k int PRIMARY KEY, v int)",
		"INSERT INTO t SELECT g, 0 FROM generate_series(1, 100) g",
		"CREATE TABLE lonely (k int PRIMARY KEY, v int)", // no consumer
		"INSERT INTO lonely SELECT g, 0 FROM generate_series(1, 100) g",
		"CREATE MATERIALIZED VIEW agg AS SELECT k % 7 AS g, count(*) AS n, sum(v) AS total FROM t GROUP BY k % 7",
	)
	const agg = "SELECT k % 7 AS g, count(*) AS n, sum(v) AS total FROM t GROUP BY k % 7 ORDER BY 1"
	check := func(conn *pgx.Conn, what string) {
		t.Helper()
		if got, want := queryText(t, conn, "SELECT * FROM agg ORDER BY 1"), queryText(t, conn, agg); got != want {
			t.Fatalf("%s: view\n%s\nrecomputed\n%s", what, got, want)
		}
	}
	tOID, lonelyOID := mustOID(t, s, "t"), mustOID(t, s, "lonely")
	const rounds = 12
	var maxLog int64
	for i := 1; i <= rounds; i++ {
		execAll(t, conn,
			fmt.Sprintf("UPDATE t SET v = v + %d", i),
			fmt.Sprintf("UPDATE lonely SET v = v + %d", i),
			"CHECKPOINT")
		maxLog = max(maxLog, logCount(t, s, tOID))
	}
	// Without truncation: 100 inserts + 12 rounds of 100 update pairs.
	const full = 100 + rounds*200
	// checkpoint.retain = 3 keeps the records after the oldest retained
	// checkpoint's offsets: at most 3 rounds.
	if n := logCount(t, s, tOID); n > 3*200 || maxLog > 4*200 {
		t.Fatalf("log of t: %d records (max %d), want at most 600 of %d", n, maxLog, full)
	}
	if n := logCount(t, s, lonelyOID); n > 3*200 {
		t.Fatalf("log of a table without consumers: %d records, want at most 600 of %d", n, full)
	}
	check(conn, "after truncating checkpoints")

	// Updates the view applies after the last checkpoint: a restart rolls
	// the view back to the checkpoint and replays them from the log.
	execAll(t, conn, "UPDATE t SET v = v * 2 WHERE k > 50", "DELETE FROM t WHERE k % 10 = 0", "FLUSH")
	check(conn, "before restart")
	_ = s.Close()
	s = startTestServer(t, dir, noPeriodic)
	conn = connectSimple(t, s)
	execAll(t, conn, "FLUSH")
	check(conn, "after restart")

	// A view created later (over the truncated log) is exact, and so is
	// the old one under more writes.
	execAll(t, conn,
		"CREATE MATERIALIZED VIEW later AS SELECT k, v FROM t WHERE v > 20",
		"CREATE MATERIALIZED VIEW lonely_sum AS SELECT sum(v) AS s, count(*) AS n FROM lonely",
		"UPDATE t SET v = v + 1 WHERE k < 30", "UPDATE lonely SET v = v - 1 WHERE k < 30",
		"CHECKPOINT", "FLUSH",
	)
	check(conn, "after creating views over truncated logs")
	if got, want := queryText(t, conn, "SELECT * FROM later ORDER BY k"), queryText(t, conn, "SELECT k, v FROM t WHERE v > 20 ORDER BY k"); got != want {
		t.Fatalf("view created later:\n%s\nrecomputed\n%s", got, want)
	}
	if got, want := queryText(t, conn, "SELECT * FROM lonely_sum"), queryText(t, conn, "SELECT sum(v) AS s, count(*) AS n FROM lonely"); got != want {
		t.Fatalf("view over a table without consumers:\n%s\nrecomputed\n%s", got, want)
	}
}

// TestLogTruncationChildServer is the server process of
// TestLogTruncationKill9; it does nothing in a normal test run.
func TestLogTruncationChildServer(t *testing.T) {
	dir, listen := os.Getenv("STREAMDB_LOGTRUNC_CHILD_DIR"), os.Getenv("STREAMDB_LOGTRUNC_CHILD_LISTEN")
	if dir == "" {
		t.Skip("helper process of TestLogTruncationKill9")
	}
	srv, err := Start(context.Background(), Options{
		Listen: listen, HTTP: "-", DataDir: dir, BarrierInterval: 10 * time.Millisecond,
		// Checkpoints (and so truncations) all the time, so that kills
		// land between a truncation and the next checkpoint.
		CheckpointInterval: 50 * time.Millisecond,
		Settings:           map[string]string{"checkpoint.min_pause": "10ms"},
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	_ = srv.Close()
}

// TestLogTruncationKill9 kills the server with SIGKILL while tables are
// updated and checkpoints truncate their logs; after every restart (which
// rolls the views back to the last checkpoint and replays the logs from
// its offsets) the views must equal their queries recomputed.
func TestLogTruncationKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	listen := freePort(t)
	var child *exec.Cmd
	var conn *pgx.Conn
	start := func() {
		child = exec.Command(os.Args[0], "-test.run=^TestLogTruncationChildServer$")
		child.Env = append(os.Environ(), "STREAMDB_LOGTRUNC_CHILD_DIR="+dir, "STREAMDB_LOGTRUNC_CHILD_LISTEN="+listen)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(60 * time.Second); ; {
			c, err := pgx.Connect(context.Background(), "postgres://streamdb@"+listen+"/streamdb?sslmode=disable&default_query_exec_mode=simple_protocol")
			if err == nil {
				conn = c
				return
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill := func() {
		_ = conn.Close(context.Background())
		_ = child.Process.Signal(syscall.SIGKILL)
		_, _ = child.Process.Wait()
	}
	start()
	defer func() {
		if child.ProcessState == nil {
			_ = child.Process.Signal(syscall.SIGKILL)
			_, _ = child.Process.Wait()
		}
	}()
	const agg = "SELECT k % 7 AS g, count(*) AS n, sum(v) AS total FROM t GROUP BY k % 7"
	const join = "SELECT t.k, t.v, u.w FROM t JOIN u ON t.k = u.k WHERE t.v % 3 = 0"
	execAll(t, conn,
		"CREATE TABLE t (k int PRIMARY KEY, v int)",
		"CREATE TABLE u (k int PRIMARY KEY, w int)",
		"INSERT INTO t SELECT g, 0 FROM generate_series(1, 200) g",
		"INSERT INTO u SELECT g, g FROM generate_series(1, 200) g",
		"CREATE MATERIALIZED VIEW agg AS "+agg,
		"CREATE MATERIALIZED VIEW j AS "+join,
	)
	check := func(what string) {
		t.Helper()
		execAll(t, conn, "FLUSH")
		for _, q := range []struct{ view, query string }{{"agg", agg}, {"j", join}} {
			if got, want := queryText(t, conn, "SELECT * FROM "+q.view+" ORDER BY 1, 2, 3"), queryText(t, conn, q.query+" ORDER BY 1, 2, 3"); got != want {
				t.Fatalf("%s: view %s\n%s\nrecomputed\n%s", what, q.view, got, want)
			}
		}
	}
	step := 0
	for round := range 6 {
		for range 40 + round*15 {
			step++
			execAll(t, conn,
				fmt.Sprintf("UPDATE t SET v = v + %d WHERE k %% %d = 0", step, 1+step%5),
				fmt.Sprintf("UPDATE u SET w = w - 1 WHERE k %% %d = 1", 2+step%3),
			)
		}
		kill()
		start()
		check(fmt.Sprintf("after kill -9 #%d", round+1))
	}
	// The logs were truncated meanwhile: without truncation t's log would
	// hold its 200 inserts and at least 40 updated rows (2 records each)
	// per step.
	kill()
	srv := startTestServer(t, dir, func(o *Options) { o.CheckpointInterval = -1 })
	if got, all := logCount(t, srv, mustOID(t, srv, "t")), int64(200+step*2*40); got >= all {
		t.Fatalf("log of t holds %d records: not truncated (at least %d without truncation)", got, all)
	}
}

// TestKafkaSinkAfterTruncation: a sink created after its input table's
// log was truncated starts with a snapshot of the table, then follows the
// log: the topic, compacted by key, equals the table.
func TestKafkaSinkAfterTruncation(t *testing.T) {
	h := newKafkaHarness(t, "orders_out")
	h.mustExec(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(10,2))`)
	h.mustExec(`INSERT INTO orders SELECT g, g % 7, g * 1.5 FROM generate_series(1, 60) g`)
	for i := range 5 {
		h.mustExec(fmt.Sprintf(`UPDATE orders SET amount = amount + %d WHERE id %% %d = 0`, i+1, i+2))
	}
	h.mustExec(`DELETE FROM orders WHERE id % 11 = 0`)
	oid := mustOID(t, h.srv, "orders")
	h.eventually("the log of orders to be truncated", func() (bool, string) {
		h.mustExec("CHECKPOINT")
		start, err := h.srv.tables.LogStart(oid)
		if err != nil {
			t.Fatal(err)
		}
		return start > 1, fmt.Sprintf("log start %d", start)
	})
	h.mustExec(`UPDATE orders SET customer_id = 100 WHERE id < 5`)
	h.mustExec(`INSERT INTO orders VALUES (1000, 1, 1.00)`)
	h.mustExec(fmt.Sprintf(`CREATE SINK orders_out FROM orders WITH (connector = 'kafka', topic = 'orders_out', properties.bootstrap.server = '%s') FORMAT UPSERT ENCODE JSON`, h.broker))
	h.mustExec(`UPDATE orders SET amount = 0 WHERE id = 1000`)
	want := h.query(`SELECT id, customer_id, amount FROM orders ORDER BY id`)
	h.eventually("the sink to equal the table", func() (bool, string) {
		got := collapse(readSink(t, h.broker, "orders_out"))
		return got == want, got
	})
}

// FuzzParseLogBounds: the log bounds of a manifest (read back from the
// checkpoint store) never panic the parser, and what encode writes parses
// back to the same bounds.
func FuzzParseLogBounds(f *testing.F) {
	f.Add("16384:12,16390:7,*:40")
	f.Add("*:1")
	f.Add("")
	f.Add("x:y,*:")
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := parseLogBounds(s)
		if !ok {
			return
		}
		again, ok := parseLogBounds(b.encode())
		if !ok || again.Other != b.Other || len(again.Tables) != len(b.Tables) {
			t.Fatalf("%q: encode/parse round trip %v -> %v", s, b, again)
		}
		for oid, seq := range b.Tables {
			if again.Tables[oid] != seq {
				t.Fatalf("%q: table %d bound %d -> %d", s, oid, seq, again.Tables[oid])
			}
		}
	})
}
