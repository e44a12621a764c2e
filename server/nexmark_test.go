package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// nexmarkDDL creates the person, auction and bid sources over events
// events with seed 0.
func nexmarkDDL(events int, extra string) []string {
	with := func(kind string) string {
		return fmt.Sprintf("WITH (connector = 'nexmark', nexmark.table.type = '%s', nexmark.event.num = %d, nexmark.max.chunk.size = 5000%s)", kind, events, extra) // a later option wins
	}
	return []string{
		`CREATE SOURCE person (id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR,
			date_time TIMESTAMP, extra VARCHAR) ` + with("person"),
		`CREATE SOURCE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
			date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR) ` + with("auction"),
		`CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
			extra VARCHAR) ` + with("bid"),
	}
}

func waitNexmark(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.nexmark.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNexmarkSource(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	execAll(t, conn, nexmarkDDL(10000, "")...)
	waitNexmark(t, s)
	counts := func() [3]int64 {
		return [3]int64{queryInt(t, conn, "SELECT count(*) FROM person"), queryInt(t, conn, "SELECT count(*) FROM auction"),
			queryInt(t, conn, "SELECT count(*) FROM bid")}
	}
	if got := counts(); got != [3]int64{200, 600, 9200} {
		t.Fatalf("counts %v, want 200, 600, 9200", got)
	}
	if n := queryInt(t, conn, "SELECT min(id) FROM person"); n != 1000 {
		t.Fatalf("first person %d", n)
	}
	if n := queryInt(t, conn, "SELECT count(DISTINCT id) FROM auction"); n != 600 {
		t.Fatalf("distinct auctions %d", n)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM streamdb.dataflows WHERE kind = 'nexmark source' AND status = 'finished'"); n != 3 {
		t.Fatalf("finished nexmark dataflows %d", n)
	}
	// Bad options are refused.
	for _, bad := range []string{
		`CREATE SOURCE x (id BIGINT) WITH (connector = 'nexmark', nexmark.table.type = 'foo')`,
		`CREATE SOURCE x (nope BIGINT) WITH (connector = 'nexmark', nexmark.table.type = 'bid')`,
		`CREATE SOURCE x (price TEXT) WITH (connector = 'nexmark', nexmark.table.type = 'bid')`,
		`CREATE SOURCE x (price BIGINT) WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = -1)`,
		`CREATE TABLE x (price BIGINT) WITH (connector = 'nexmark', nexmark.table.type = 'bid')`,
	} {
		if _, err := conn.Exec(context.Background(), bad); err == nil {
			t.Fatalf("%s: accepted", bad)
		}
	}
	// A restart neither duplicates nor loses rows.
	_ = s.Close()
	s = startTestServer(t, dir)
	conn = connectSimple(t, s)
	waitNexmark(t, s)
	if got := counts(); got != [3]int64{200, 600, 9200} {
		t.Fatalf("after restart: counts %v", got)
	}
	execAll(t, conn, "DROP SOURCE bid")
}

// TestNexmarkSourceRestartMidStream stops the server while the generator
// is writing, restarts it, and checks that the finished source holds
// exactly the rows of an uninterrupted source with the same options.
func TestNexmarkSourceRestartMidStream(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	const opts = "WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 200000, nexmark.max.chunk.size = 500)"
	execAll(t, conn, "CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR) "+opts)
	deadline := time.Now().Add(30 * time.Second)
	for queryInt(t, conn, "SELECT count(*) FROM bid") < 2000 {
		if time.Now().After(deadline) {
			t.Fatal("no rows generated")
		}
		time.Sleep(time.Millisecond)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM streamdb.sources WHERE connector = 'nexmark' AND lag > 0"); n != 1 {
		t.Fatalf("streamdb.sources: %d nexmark rows with lag", n)
	}
	_ = s.Close()
	s = startTestServer(t, dir)
	conn = connectSimple(t, s)
	execAll(t, conn, "CREATE SOURCE bid2 (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR) "+opts)
	waitNexmark(t, s)
	if n := queryInt(t, conn, "SELECT count(*) FROM bid"); n != 184000 {
		t.Fatalf("%d bids after the restart, want 184000", n)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM (SELECT * FROM bid EXCEPT ALL SELECT * FROM bid2) d"); n != 0 {
		t.Fatalf("%d rows of the interrupted source differ from the uninterrupted one", n)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM streamdb.sources WHERE connector = 'nexmark' AND lag = 0 AND \"offset\" = 200000"); n != 2 {
		t.Fatalf("streamdb.sources: %d finished nexmark rows", n)
	}
}

func TestWatermarkOptions(t *testing.T) {
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	execAll(t, conn, `CREATE SOURCE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP,
		WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 1000)`,
		`CREATE TABLE t (ts TIMESTAMPTZ, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)`)
	for name, want := range map[string]string{"bid": "4000000", "t": "60000000"} {
		d, ok := s.cat.LookupRelation("public", name)
		if !ok || d.Options[optWatermarkDelayMicros] != want || d.Options["watermark.column"] == "" {
			t.Fatalf("%s: options %v", name, d.Options)
		}
	}
	for _, bad := range []string{
		`CREATE TABLE x (ts TIMESTAMP, WATERMARK FOR nope AS nope)`,
		`CREATE TABLE x (ts INT, WATERMARK FOR ts AS ts)`,
		`CREATE TABLE x (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MONTH)`,
		`CREATE TABLE x (ts TIMESTAMP, WATERMARK FOR ts AS ts - 5)`,
	} {
		if _, err := conn.Exec(context.Background(), bad); err == nil {
			t.Fatalf("%s: accepted", bad)
		}
	}
	waitNexmark(t, s)
}

func TestWindowTableFunctions(t *testing.T) {
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE ev (id INT, ts TIMESTAMP, tz TIMESTAMPTZ, n INT)",
		"INSERT INTO ev VALUES (1, '2020-01-01 00:00:07', '2020-01-01 00:00:07+00', 1), (2, '2020-01-01 00:00:12', '2020-01-01 00:00:12+00', 2), (3, '1969-12-31 23:59:55', '1969-12-31 23:59:55+00', 3)",
		"SET TimeZone = 'UTC'",
		"CREATE VIEW evv AS SELECT id, ts FROM ev")
	for q, want := range map[string][]string{
		"SELECT id, window_start, window_end FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)": {
			"1|2020-01-01 00:00:00|2020-01-01 00:00:10", "2|2020-01-01 00:00:10|2020-01-01 00:00:20", "3|1969-12-31 23:59:50|1970-01-01 00:00:00"},
		"SELECT t.id, t.window_start FROM TUMBLE(ev, ts, INTERVAL '10' SECOND, INTERVAL '5' SECOND) AS t": {
			"1|2020-01-01 00:00:05", "2|2020-01-01 00:00:05", "3|1969-12-31 23:59:55"},
		"SELECT id, window_start, window_end FROM TUMBLE(ev, tz, INTERVAL '1' MINUTE) WHERE id = 1": {
			"1|2020-01-01 00:00:00+00|2020-01-01 00:01:00+00"},
		"SELECT id, window_start, window_end FROM HOP(evv, ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND) WHERE id = 2": {
			"2|2020-01-01 00:00:00|2020-01-01 00:00:15", "2|2020-01-01 00:00:05|2020-01-01 00:00:20", "2|2020-01-01 00:00:10|2020-01-01 00:00:25"},
		"WITH c AS (SELECT id, ts FROM ev WHERE id < 3) SELECT count(*), window_start FROM TUMBLE(c, ts, INTERVAL '1' HOUR) GROUP BY 2": {
			"2|2020-01-01 00:00:00"},
		"SELECT e.id, h.id FROM ev e, HOP(ev, ts, INTERVAL '10' SECOND, INTERVAL '10' SECOND) h WHERE e.id = h.id AND e.id = 1": {"1|1"},
	} {
		got := textRows(t, conn, q)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got  %v\n want %v", q, got, want)
		}
	}
	for q, code := range map[string]string{
		"SELECT * FROM TUMBLE(ev, ts)":                                         "42883",
		"SELECT * FROM TUMBLE(ev, n, INTERVAL '1' SECOND)":                     "42804",
		"SELECT * FROM TUMBLE(ev, ts, INTERVAL '1' MONTH)":                     "0A000",
		"SELECT * FROM TUMBLE(nope, ts, INTERVAL '1' SECOND)":                  "42P01",
		"SELECT * FROM TUMBLE(ev, nope, INTERVAL '1' SECOND)":                  "42703",
		"SELECT * FROM HOP(ev, ts, INTERVAL '3' SECOND, INTERVAL '10' SECOND)": "0A000",
		"SELECT * FROM HOP(ev, ts, INTERVAL '0' SECOND, INTERVAL '10' SECOND)": "22023",
		"SELECT * FROM TUMBLE(ev, ts, (SELECT INTERVAL '1' SECOND))":           "22023",
		"CREATE MATERIALIZED VIEW w AS SELECT 1 FROM ev EMIT ON WINDOW CLOSE":  "0A000",
	} {
		_, err := conn.Exec(context.Background(), q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != code {
			t.Errorf("%s: %v, want SQLSTATE %s", q, err, code)
		}
	}
}
