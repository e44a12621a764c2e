package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestBoundedEpochs writes a backlog of small commits to two tables while
// no epoch runs (barrier_interval 1h), then FLUSHes: with
// views.max_epoch_rows 100 the view catches up in several epochs (about
// 1000 rows per table / 100), unbounded in one, and either way ends equal
// to its query.
func TestBoundedEpochs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxRows   int
		minEpochs int64
		maxEpochs int64
	}{
		{"bounded", 100, 8, 1 << 20},
		{"unbounded", -1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startTestServer(t, t.TempDir(), func(o *Options) {
				o.BarrierInterval = time.Hour
				o.ViewMaxEpochRows = tc.maxRows
			})
			conn := connectSimple(t, s)
			const query = "SELECT a.k, count(*) AS n, sum(a.v + b.v) AS s FROM a JOIN b ON a.k = b.k GROUP BY a.k"
			execAll(t, conn,
				"CREATE TABLE a (k INT, v INT)",
				"CREATE TABLE b (k INT, v INT)",
				"CREATE MATERIALIZED VIEW j AS "+query)
			before := queryInt(t, conn, "SELECT committed_epoch FROM streamdb.dataflows WHERE relation_name = 'j'")
			for i := range 40 {
				for _, tbl := range []string{"a", "b"} {
					var vals []string
					for r := range 25 {
						vals = append(vals, fmt.Sprintf("(%d, %d)", (i*25+r)%7, i*25+r))
					}
					execAll(t, conn, "INSERT INTO "+tbl+" VALUES "+strings.Join(vals, ", "))
				}
			}
			execAll(t, conn, "FLUSH")
			epochs := queryInt(t, conn, "SELECT committed_epoch FROM streamdb.dataflows WHERE relation_name = 'j'") - before
			if epochs < tc.minEpochs || epochs > tc.maxEpochs {
				t.Fatalf("the backlog took %d epochs, want %d to %d", epochs, tc.minEpochs, tc.maxEpochs)
			}
			got := textRows(t, conn, "SELECT * FROM j ORDER BY k")
			want := textRows(t, conn, query+" ORDER BY 1")
			if len(want) != 7 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("view:\n%s\nquery:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestSourceBackpressure: with no epoch running on its own (barrier_interval
// 1h) a nexmark generator stops once it is sources.max_backlog_rows (plus
// one batch) ahead of the view reading it, and resumes as FLUSH lets the
// view catch up; the view ends with every row.
func TestSourceBackpressure(t *testing.T) {
	const bound, chunk = 5000, 1000
	s := startTestServer(t, t.TempDir(), func(o *Options) {
		o.BarrierInterval = time.Hour
		o.SourceMaxBacklogRows = bound
	})
	conn := connectSimple(t, s)
	execAll(t, conn,
		fmt.Sprintf(`CREATE SOURCE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP)
			WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 100000, nexmark.max.chunk.size = %d)`, chunk),
		"CREATE MATERIALIZED VIEW c AS SELECT count(*) AS n FROM bid")
	// Wait until the generator stands still (or has finished, which
	// backpressure must prevent). Until the view's first epoch committed
	// nothing held the generator back; one FLUSH has the view read all of
	// that, and from then on the generator stays within the bound.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	generated := func() int64 { return queryInt(t, conn, "SELECT count(*) FROM bid") }
	var last int64
	waitStill := func() {
		last = -1
		for {
			n := generated()
			if n == last {
				return
			}
			last = n
			select {
			case <-ctx.Done():
				t.Fatal("the generator never stopped")
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	waitStill()
	execAll(t, conn, "FLUSH")
	waitStill()
	applied := queryInt(t, conn, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = 'c'")
	if ahead := last - applied; ahead > bound+chunk {
		t.Fatalf("the generator ran %d rows ahead of the view (bound %d, batches of %d)", ahead, bound, chunk)
	}
	if last >= 92000 {
		t.Fatalf("the generator wrote all %d rows without waiting for the view", last)
	}
	// FLUSH lets the view catch up, which lets the generator go on.
	for queryInt(t, conn, `SELECT count(*) FROM streamdb.sources WHERE source_name = 'bid' AND lag = 0`) == 0 {
		execAll(t, conn, "FLUSH")
		if ctx.Err() != nil {
			t.Fatal("the source never finished")
		}
	}
	execAll(t, conn, "FLUSH")
	if n := queryInt(t, conn, "SELECT n FROM c"); n != 92000 {
		t.Fatalf("view counted %d bids, want 92000", n)
	}
}

// TestEndOfInputClosesWindows: a bounded source's last windows close once
// it has written everything (its watermark goes to +infinity), so an EMIT
// ON WINDOW CLOSE view ends with every row; without that the watermark
// (largest event time - 4 s) never passes the last windows. The end
// survives a restart.
func TestEndOfInputClosesWindows(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	// 40,000 events at the default 10,000 events/s of event time: 4 s.
	execAll(t, conn,
		`CREATE SOURCE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP,
			WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
			WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = 40000, nexmark.max.chunk.size = 1000)`,
		`CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) AS n, sum(price) AS total
			FROM TUMBLE(bid, date_time, INTERVAL '1' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE`)
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	check := func() {
		t.Helper()
		want := textRows(t, conn, `SELECT window_start, count(*), sum(price) FROM TUMBLE(bid, date_time, INTERVAL '1' SECOND) GROUP BY 1 ORDER BY 1`)
		got := textRows(t, conn, "SELECT * FROM w ORDER BY 1")
		if len(want) < 4 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("view:\n%s\nquery:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var wm string
		if err := conn.QueryRow(context.Background(), "SELECT watermark::text FROM streamdb.dataflows WHERE relation_name = 'w'", pgx.QueryExecModeSimpleProtocol).Scan(&wm); err != nil || wm != "infinity" {
			t.Fatalf("watermark %q (%v), want infinity", wm, err)
		}
	}
	check()
	_ = s.Close()
	s = startTestServer(t, dir)
	conn = connectSimple(t, s)
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	check()
}
