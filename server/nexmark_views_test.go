package server

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	nexmarkViewEvents   = flag.Int("nexmark.view-events", 100_000, "events per source for TestNexmarkViews")
	nexmarkViewBackfill = flag.Bool("nexmark.view-backfill", false, "TestNexmarkViews: create the views after the sources are complete")
)

// TestNexmarkViews creates every Nexmark query of testdata/nexmark as a
// materialized view over nexmark sources of 100,000 events (default rate,
// seed 0, as Flink's generator), waits for the views to catch up, and
// checks that each view holds exactly the rows of the same query run ad
// hoc over the same events. q12 (proctime() windows) cannot match a
// recompute: its view is checked for internal consistency (checkQ12View).
// The sources are created first and views backfill from them while the
// generator still runs, so views see both a snapshot and later batches.
func TestNexmarkViews(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	queries := loadNexmarkQueries(t)
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	events := *nexmarkViewEvents
	execAll(t, conn, nexmarkDDL(events, ", nexmark.max.chunk.size = 20000")...)
	start := time.Now()
	if *nexmarkViewBackfill {
		waitNexmark(t, s)
	}
	for _, q := range queries {
		if _, err := conn.Exec(context.Background(), "CREATE MATERIALIZED VIEW nexmark_"+q.name+" AS "+q.sql); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
	}
	waitNexmark(t, s)
	generated := time.Since(start)
	execAll(t, conn, "FLUSH")
	t.Logf("%d events per source generated in %v; views flushed after %v", events, generated, time.Since(start))
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			if q.name == "q12" {
				checkQ12View(t, conn, "nexmark_q12")
				return
			}
			qs := time.Now()
			got := textRows(t, conn, "SELECT * FROM nexmark_"+q.name)
			viewRead := time.Since(qs)
			qs = time.Now()
			want := textRows(t, conn, q.sql)
			t.Logf("%d rows; view read %v, ad hoc %v", len(got), viewRead, time.Since(qs))
			got, want = tieProof(q.name, got), tieProof(q.name, want)
			if len(got) != len(want) {
				t.Fatalf("view has %d rows, the query %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d:\n view  %s\n query %s", i, got[i], want[i])
				}
			}
		})
	}
}

// checkQ12View checks a q12 view (bids per bidder per 10-second window of
// processing time) against the bids it counted: every bid is counted in
// exactly one window (the counts of a bidder add up to its bids), each
// window is 10 seconds long and aligned to 10 seconds, and no (bidder,
// window) pair appears twice. The windows themselves depend on the wall
// clock, so they cannot match a recompute.
func checkQ12View(t *testing.T, conn *pgx.Conn, view string) {
	t.Helper()
	perBidder := textRows(t, conn, "SELECT bidder, sum(bid_count) FROM "+view+" GROUP BY bidder")
	want := textRows(t, conn, "SELECT bidder, count(*) FROM bid GROUP BY bidder")
	if len(want) == 0 {
		t.Fatal("no bids")
	}
	if len(perBidder) != len(want) {
		t.Fatalf("%d bidders in the view, %d bid", len(perBidder), len(want))
	}
	for i := range want {
		if perBidder[i] != want[i] {
			t.Fatalf("bidder|bids: view %s, bid table %s", perBidder[i], want[i])
		}
	}
	bad := queryInt(t, conn, "SELECT count(*) FROM "+view+` WHERE window_end - window_start <> INTERVAL '10 seconds'
		OR extract(epoch FROM window_start)::numeric % 10 <> 0 OR bid_count < 1`)
	if bad != 0 {
		t.Fatalf("%d rows of %s have a malformed window or count", bad, view)
	}
	dup := queryInt(t, conn, "SELECT count(*) FROM (SELECT bidder, window_start FROM "+view+" GROUP BY bidder, window_start HAVING count(*) > 1) AS d")
	if dup != 0 {
		t.Fatalf("%d (bidder, window) pairs appear twice in %s", dup, view)
	}
}

// TestProctimeInViews checks where a view accepts proctime(): in a select
// list over an append-only source (evaluated once per row), not over a
// table (a DELETE would re-read the clock for the retraction), not in a
// WHERE or over an aggregate. Every refusal is 0A000.
func TestProctimeInViews(t *testing.T) {
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	execAll(t, conn, nexmarkDDL(50, "")...)
	execAll(t, conn, "CREATE TABLE plain (id int, v int)")
	execAll(t, conn,
		"CREATE MATERIALIZED VIEW stamped AS SELECT auction, proctime() AS p FROM bid",
		"CREATE MATERIALIZED VIEW stamped_join AS SELECT b.auction, proctime() AS p FROM bid AS b JOIN auction AS a ON a.id = b.auction")
	for _, bad := range []string{
		"CREATE MATERIALIZED VIEW x AS SELECT id, proctime() FROM plain",
		"CREATE MATERIALIZED VIEW x AS SELECT auction FROM bid WHERE proctime() > '2000-01-01'",
		"CREATE MATERIALIZED VIEW x AS SELECT c, proctime() FROM (SELECT count(*) AS c FROM bid) AS g",
		"CREATE MATERIALIZED VIEW x AS SELECT a.id, proctime() FROM auction AS a LEFT JOIN bid AS b ON a.id = b.auction",
	} {
		_, err := conn.Exec(context.Background(), bad)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "0A000" {
			t.Fatalf("%s: got %v, want 0A000", bad, err)
		}
	}
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	if n := queryInt(t, conn, "SELECT count(*) FROM stamped WHERE p IS NULL OR p > now()"); n != 0 {
		t.Fatalf("%d rows stamped NULL or in the future", n)
	}
	if n, want := queryInt(t, conn, "SELECT count(*) FROM stamped"), queryInt(t, conn, "SELECT count(*) FROM bid"); n != want || n == 0 {
		t.Fatalf("%d stamped rows, %d bids", n, want)
	}
}
