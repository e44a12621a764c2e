package server

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The Nexmark queries of bench/nexmark/queries.sql (a copy of
// shared/reference/nexmark-queries.sql, embedded by the benchmark harness) over the nexmark connector.
//
// TestNexmarkQueriesSmall runs each query, ad hoc and as a view, over a
// small fixed dataset (500 events, seed 1, 5 events per second of event time so that
// the windowed queries see ten 10-second windows) and compares the rows,
// sorted, with testdata/nexmark/qN.expected. The expected rows were
// computed by PostgreSQL 15 over the same events (TUMBLE and HOP rewritten
// into date_bin / generate_series subqueries): run the test with
// -nexmark.rewrite-pg=<psql connection string> to regenerate them.
//
// Out of scope, as in the query file: q6 (Flink SQL cannot express it),
// q10 (a file-system sink), q11 (session windows), q13 (a side-input
// lookup join). Each of these is absent from the query file itself (which
// holds 19 queries); performance.md section 1.2 gives the reasons. q12
// uses proctime(), so its rows are not reproducible: it is checked for
// internal consistency only.

var nexmarkRewritePG = flag.String("nexmark.rewrite-pg", "", "regenerate testdata/nexmark/*.expected with psql at this connection string")

const (
	nexmarkSmallEvents = 500
	nexmarkSmallGapNs  = 200_000_000
	// nexmarkSmallSeed decorrelates neighbouring events (with seed 0 every
	// one of the first ~5,000 bids is on the hot auction, as in Java).
	nexmarkSmallSeed = 1
	// nexmarkSmallChunk makes the generator write many small batches, so
	// the views are maintained through many epochs, not from one snapshot.
	nexmarkSmallChunk = 23
)

type nexmarkQuery struct {
	name string // q0 ...
	sql  string
}

func loadNexmarkQueries(t *testing.T) []nexmarkQuery {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "bench", "nexmark", "queries.sql"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)\nCREATE MATERIALIZED VIEW nexmark_(q\d+) AS\n(.*?);`)
	var out []nexmarkQuery
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, nexmarkQuery{name: m[1], sql: m[2]})
	}
	if len(out) != 19 {
		t.Fatalf("%d queries in queries.sql, want 19", len(out))
	}
	return out
}

// textRows runs q and returns its rows in Postgres text format, columns
// joined by '|', NULL as "NULL", sorted.
func textRows(t *testing.T, conn *pgx.Conn, q string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		raw := rows.RawValues()
		cells := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = string(v)
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	sort.Strings(out)
	return out
}

// TestNexmarkQueriesSmall checks every query twice over the small
// dataset: ad hoc, and as a materialized view created before the events
// are generated (so the view is maintained batch by batch), both against
// testdata/nexmark/qN.expected. The server is then restarted: the views
// resume from their committed operator state and must still hold the
// expected rows, and q12's processing-time windows must be exactly the
// ones stamped before the restart (proctime() is never re-evaluated).
func TestNexmarkQueriesSmall(t *testing.T) {
	queries := loadNexmarkQueries(t)
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	execAll(t, conn, nexmarkDDL(nexmarkSmallEvents, fmt.Sprintf(", nexmark.min.event.gap.in.ns = %d, nexmark.seed = %d, nexmark.max.chunk.size = %d", nexmarkSmallGapNs, nexmarkSmallSeed, nexmarkSmallChunk))...)
	for _, q := range queries {
		execAll(t, conn, "CREATE MATERIALIZED VIEW nexmark_"+q.name+" AS "+q.sql)
	}
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	if *nexmarkRewritePG != "" {
		rewriteNexmarkExpected(t, conn, queries)
	}
	check := func(phase string, conn *pgx.Conn) {
		for _, q := range queries {
			t.Run(phase+"/"+q.name, func(t *testing.T) {
				if q.name == "q12" {
					checkQ12(t, textRows(t, conn, q.sql), nexmarkSmallEvents)
					checkQ12View(t, conn, "nexmark_q12")
					return
				}
				want := nexmarkExpected(t, q.name)
				for _, src := range []string{q.sql, "SELECT * FROM nexmark_" + q.name} {
					start := time.Now()
					got := tieProof(q.name, textRows(t, conn, src))
					t.Logf("%d rows in %v", len(got), time.Since(start))
					if len(got) != len(want) {
						t.Fatalf("%s: %d rows, want %d", src, len(got), len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s: row %d:\n got  %s\n want %s", src, i, got[i], want[i])
						}
					}
				}
			})
		}
	}
	check("first", conn)
	q12 := textRows(t, conn, "SELECT * FROM nexmark_q12")
	_ = s.Close()
	s = startTestServer(t, dir)
	conn = connectSimple(t, s)
	execAll(t, conn, "FLUSH")
	check("restarted", conn)
	if again := textRows(t, conn, "SELECT * FROM nexmark_q12"); strings.Join(again, "\n") != strings.Join(q12, "\n") {
		t.Fatalf("q12's windows changed across a restart:\n before %v\n after  %v", q12, again)
	}
}

// nexmarkTieColumns lists, for the queries whose ROW_NUMBER ordering can
// tie, the columns that every correct answer agrees on: q18 orders by
// date_time only and q19 by price only (several bids of a pair can share a
// millisecond, several bids of an auction a price), q9 by price and time.
// Rows are compared on these columns only.
var nexmarkTieColumns = map[string][]int{
	"q9":  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13},
	"q18": {0, 1, 5},
	"q19": {0, 2, 7},
}

// tieProof projects rows onto the columns of nexmarkTieColumns, sorted.
func tieProof(name string, rows []string) []string {
	cols, ok := nexmarkTieColumns[name]
	if !ok {
		return rows
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		cells := strings.Split(r, "|")
		keep := make([]string, len(cols))
		for j, c := range cols {
			keep[j] = cells[c]
		}
		out[i] = strings.Join(keep, "|")
	}
	sort.Strings(out)
	return out
}

// checkQ12 checks that q12's counts add up to the number of bids.
func checkQ12(t *testing.T, rows []string, events int) {
	t.Helper()
	total := 0
	for _, r := range rows {
		var n int
		if _, err := fmt.Sscanf(strings.Split(r, "|")[1], "%d", &n); err != nil {
			t.Fatalf("q12 row %q: %v", r, err)
		}
		total += n
	}
	if want := events / 50 * 46; total != want {
		t.Fatalf("q12 counts add up to %d, want %d bids", total, want)
	}
}

var (
	tumbleCall = regexp.MustCompile(`TUMBLE\((\w+), (\w+), (INTERVAL '\d+' SECOND)\)`)
	hopCall    = regexp.MustCompile(`HOP\((\w+), (\w+), (INTERVAL '\d+' SECOND), (INTERVAL '\d+' SECOND)\)`)
)

// pgDialect rewrites TUMBLE and HOP into PostgreSQL subqueries.
func pgDialect(q string) string {
	q = tumbleCall.ReplaceAllString(q, `(SELECT *, date_bin($3, $2, TIMESTAMP '1970-01-01') AS window_start, date_bin($3, $2, TIMESTAMP '1970-01-01') + $3 AS window_end FROM $1) AS tumble`)
	return hopCall.ReplaceAllString(q, `(SELECT r.*, w.window_start, w.window_start + $4 AS window_end FROM $1 AS r, generate_series(date_bin($3, r.$2, TIMESTAMP '1970-01-01') - $4 + $3, date_bin($3, r.$2, TIMESTAMP '1970-01-01'), $3) AS w(window_start)) AS hop`)
}

// rewriteNexmarkExpected loads the generated events into PostgreSQL and
// writes each query's sorted rows as testdata/nexmark/qN.expected.
func rewriteNexmarkExpected(t *testing.T, conn *pgx.Conn, queries []nexmarkQuery) {
	t.Helper()
	var script strings.Builder
	script.WriteString("DROP TABLE IF EXISTS person, auction, bid;\n")
	for _, ddl := range []string{
		"CREATE TABLE person (id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR, date_time TIMESTAMP, extra VARCHAR)",
		"CREATE TABLE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT, date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR)",
		"CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR)",
	} {
		script.WriteString(ddl + ";\n")
	}
	for _, tbl := range []string{"person", "auction", "bid"} {
		for _, r := range textRows(t, conn, "SELECT * FROM "+tbl) {
			cells := strings.Split(r, "|")
			for i, c := range cells {
				cells[i] = "'" + strings.ReplaceAll(c, "'", "''") + "'"
			}
			fmt.Fprintf(&script, "INSERT INTO %s VALUES (%s);\n", tbl, strings.Join(cells, ", "))
		}
	}
	run := func(input string) string {
		cmd := exec.Command("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-P", "null=NULL", *nexmarkRewritePG)
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql: %v\n%s", err, out)
		}
		return string(out)
	}
	run("SET TimeZone = 'UTC';\n" + script.String())
	for _, q := range queries {
		if q.name == "q12" {
			continue
		}
		out := run("SET TimeZone = 'UTC';\n" + pgDialect(q.sql) + ";\n")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if out == "" {
			lines = nil
		}
		sort.Strings(lines)
		text := strings.Join(lines, "\n")
		if len(lines) > 0 {
			text += "\n"
		}
		if err := os.WriteFile(filepath.Join("testdata", "nexmark", q.name+".expected"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withWatermarks adds WATERMARK FOR date_time AS date_time - delay to the
// CREATE SOURCE statements of nexmarkDDL.
func withWatermarks(ddl []string, delay string) []string {
	out := make([]string, len(ddl))
	for i, s := range ddl {
		out[i] = strings.Replace(s, "extra VARCHAR) WITH", "extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '"+delay+"' SECOND) WITH", 1)
		if out[i] == s {
			panic("nexmarkDDL changed shape: no WATERMARK added")
		}
	}
	return out
}

// TestNexmarkViewsWatermarked is TestNexmarkQueriesSmall's view half over
// sources with a WATERMARK (4 seconds behind the newest event, which the
// generator's in-order event times never fall behind): window state is
// dropped as windows close, and the joins bounding bid time by auction
// time (q4, q9) or by a window (q7) run as interval joins that drop rows
// out of reach. The views must still hold exactly the expected rows, and
// the interval joins must hold a small part of the rows they read.
func TestNexmarkViewsWatermarked(t *testing.T) {
	queries := loadNexmarkQueries(t)
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	ddl := nexmarkDDL(nexmarkSmallEvents, fmt.Sprintf(", nexmark.min.event.gap.in.ns = %d, nexmark.seed = %d, nexmark.max.chunk.size = %d", nexmarkSmallGapNs, nexmarkSmallSeed, nexmarkSmallChunk))
	execAll(t, conn, withWatermarks(ddl, "4")...)
	for _, q := range queries {
		execAll(t, conn, "CREATE MATERIALIZED VIEW nexmark_"+q.name+" AS "+q.sql)
	}
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	for _, name := range []string{"q4", "q7", "q9"} {
		plan := strings.Join(textRows(t, conn, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+queries[indexOfQuery(t, queries, name)].sql), "\n")
		if !strings.Contains(plan, "StreamIntervalJoin") {
			t.Fatalf("%s is not planned with an interval join:\n%s", name, plan)
		}
	}
	if n := queryInt(t, conn, "SELECT coalesce(sum(late_rows), 0) FROM streamdb.dataflows WHERE relation_name LIKE 'nexmark_q%'"); n != 0 {
		t.Fatalf("%d late rows: the generator's events are in order", n)
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			if q.name == "q12" {
				checkQ12View(t, conn, "nexmark_q12")
				return
			}
			want := nexmarkExpected(t, q.name)
			got := tieProof(q.name, textRows(t, conn, "SELECT * FROM nexmark_"+q.name))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%d rows, want %d:\n got  %v\n want %v", len(got), len(want), got, want)
			}
		})
	}
	bids := queryInt(t, conn, "SELECT count(*) FROM bid")
	for _, name := range []string{"q4", "q7", "q9"} {
		held := queryInt(t, conn, "SELECT coalesce(sum(keys), 0) FROM streamdb.state_tables WHERE relation_name = 'nexmark_"+name+"' AND operator LIKE 'interval join%'")
		t.Logf("%s: the interval join holds %d rows after reading %d bids", name, held, bids)
		if held*4 > bids {
			t.Errorf("%s: the interval join holds %d rows after reading %d bids: its state is not expiring", name, held, bids)
		}
	}
}

func indexOfQuery(t *testing.T, queries []nexmarkQuery, name string) int {
	t.Helper()
	for i, q := range queries {
		if q.name == name {
			return i
		}
	}
	t.Fatalf("no query %s", name)
	return -1
}

// nexmarkExpected reads testdata/nexmark/<name>.expected, one row a line,
// with tieProof applied.
func nexmarkExpected(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "nexmark", name+".expected"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) == 0 {
		want = nil
	}
	return tieProof(name, want)
}
