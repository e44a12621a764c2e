package server

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sources/nexmark"
	"github.com/streamdb/streamdb/sql/types"
)

var watermarkStateEvents = flag.Int("watermark.state-events", 20_000, "TestWindowStateBounded: events of the smaller run (the larger has twice as many)")

// windowStateViews are Nexmark q5 and q7 (../shared/reference/nexmark-queries.sql)
// over a bid source named %s.
var windowStateViews = map[string]string{
	"q5": `WITH auction_bids AS (
    SELECT auction, count(*) AS num, window_start, window_end
    FROM HOP(%[1]s, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    GROUP BY auction, window_start, window_end
), max_bids AS (
    SELECT max(num) AS maxn, window_start, window_end
    FROM auction_bids
    GROUP BY window_start, window_end
)
SELECT AB.auction, AB.num
FROM auction_bids AS AB
JOIN max_bids     AS MB
  ON AB.window_start = MB.window_start
 AND AB.window_end   = MB.window_end
 AND AB.num >= MB.maxn`,
	"q7": `SELECT B.auction, B.bidder, B.price, B.date_time, B.extra
FROM %[1]s AS B
JOIN (
    SELECT max(price) AS maxprice, window_start, window_end
    FROM TUMBLE(%[1]s, date_time, INTERVAL '10' SECOND)
    GROUP BY window_start, window_end
) AS B1
  ON B.price = B1.maxprice
 AND B.date_time >= B1.window_start
 AND B.date_time <  B1.window_end`,
}

// windowAggState is the windowed aggregate of q5 and q7 alone (the part
// whose state this engineer's watermark work bounds; q7's stream join is
// bounded by the interval join).
const windowAggState = `SELECT auction, count(*) AS num, window_start, window_end
    FROM HOP(%[1]s, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    GROUP BY auction, window_start, window_end`

// TestWindowStateBounded runs q5 (windowed aggregates joined on the
// window), its first aggregate alone, and q7 (a windowed max joined back to
// the bids by an interval join) over nexmark bids with a WATERMARK on
// date_time.
//
// Over a table fed N and then 2N events' bids (COPY batches, each followed
// by FLUSH), the state is counted at both points: once the watermark
// passes a window its state is dropped, so the state covers the last few
// open windows only and does not double with the input (a count
// assertion, not a timing one; without expiry the second count is about
// twice the first). A table never ends, so its windows stay open.
//
// Over a nexmark source bounded to N events, the end of the input moves
// the watermark to +infinity: every window closes, the views equal the
// query run ad hoc over all the events (dropping closed windows loses
// nothing), and no window state is left.
func TestWindowStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	n := *watermarkStateEvents
	views := []string{"agg_", "q5_", "q7_"}
	const columns = `(auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
			date_time TIMESTAMP, extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)`
	createViews := func(input string) {
		t.Helper()
		execAll(t, conn,
			"CREATE MATERIALIZED VIEW agg_"+input+" AS "+fmt.Sprintf(windowAggState, input),
			"CREATE MATERIALIZED VIEW q5_"+input+" AS "+fmt.Sprintf(windowStateViews["q5"], input),
			"CREATE MATERIALIZED VIEW q7_"+input+" AS "+fmt.Sprintf(windowStateViews["q7"], input))
	}
	entriesOf := func(view string) int64 {
		return queryInt(t, conn, "SELECT coalesce(sum(keys), 0) FROM streamdb.state_tables WHERE relation_name = '"+view+"' AND operator <> 'materialize (view rows)'")
	}

	// A table: counts after N and 2N events.
	execAll(t, conn, "CREATE TABLE bid_t "+columns)
	createViews("bid_t")
	cfg := nexmark.DefaultConfig(int64(2 * n))
	cfg.EventGapNanos = 10_000_000
	g, err := nexmark.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string][2]int64{}
	var rows []types.Row
	var buf bytes.Buffer
	for half := range 2 {
		for g.Next() < int64((half+1)*n) {
			rows = g.AppendRows(rows[:0], nexmark.KindBid, 2000, int64((half+1)*n)-g.Next())
			buf.Reset()
			for _, r := range rows {
				fmt.Fprintf(&buf, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", r[0].Int(), r[1].Int(), r[2].Int(), copyText(r[3].Str()), copyText(r[4].Str()),
					types.TimeFromTimestamp(r[5].Int()).Format("2006-01-02 15:04:05.000000"), copyText(r[6].Str()))
			}
			if _, err := conn.PgConn().CopyFrom(context.Background(), &buf, "COPY bid_t FROM STDIN"); err != nil {
				t.Fatal(err)
			}
			execAll(t, conn, "FLUSH")
		}
		for _, v := range views {
			e := entries[v]
			e[half] = entriesOf(v + "bid_t")
			entries[v] = e
			t.Logf("%sbid_t: %d state entries after %d events", v, e[half], g.Next())
		}
	}
	for _, v := range views {
		small, large := entries[v][0], entries[v][1]
		if small == 0 || float64(large) > 1.5*float64(small) {
			t.Errorf("%s: %d state entries after %d events, %d after %d: state grows with the input", v, small, n, large, 2*n)
		}
	}

	// Bounded: the end of the input closes every window.
	execAll(t, conn, fmt.Sprintf(`CREATE SOURCE bid_n %s WITH (connector = 'nexmark', nexmark.table.type = 'bid',
			nexmark.max.chunk.size = 2000, nexmark.min.event.gap.in.ns = 10000000, nexmark.event.num = %d)`, columns, n))
	createViews("bid_n")
	waitNexmark(t, s)
	execAll(t, conn, "FLUSH")
	for _, v := range views {
		view := v + "bid_n"
		entries := entriesOf(view)
		rows := queryInt(t, conn, "SELECT count(*) FROM "+view)
		late := queryInt(t, conn, "SELECT late_rows FROM streamdb.dataflows WHERE relation_name = '"+view+"'")
		t.Logf("%s: %d state entries, %d view rows, %d late rows", view, entries, rows, late)
		if rows == 0 {
			t.Fatalf("%s is empty", view)
		}
		if entries != 0 {
			t.Errorf("%s: %d window state entries left after the end of its input", view, entries)
		}
	}
	for _, q := range []string{"q5", "q7"} {
		if late := queryInt(t, conn, "SELECT late_rows FROM streamdb.dataflows WHERE relation_name = '"+q+"_bid_n'"); late == 0 {
			got := textRows(t, conn, "SELECT * FROM "+q+"_bid_n")
			want := textRows(t, conn, fmt.Sprintf(windowStateViews[q], "bid_n"))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s over bid_n: the view has %d rows, the query %d (or they differ)", q, len(got), len(want))
			}
		}
	}
}

// TestWindowStateLong reports the state of q5 and/or q7 over a long run
// of nexmark bids (go test ./server -run TestWindowStateLong
// -watermark.long-events 10000000 -v). The bids come from the nexmark
// generator (default configuration: 10,000 events/s of event time) and
// are copied into a table with a WATERMARK in batches, each followed by
// FLUSH, so that every epoch covers a bounded slice of event time (the
// built-in source writes as fast as it can, and a view that lags behind it
// gets ever larger epochs); streamdb.state_tables is sampled every few
// batches. Not a CI test: skipped unless the flag is set.
func TestWindowStateLong(t *testing.T) {
	events := *watermarkLongEvents
	if events == 0 {
		t.Skip("set -watermark.long-events")
	}
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	ctx := context.Background()
	execAll(t, conn, `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
		date_time TIMESTAMP, extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)`)
	views := strings.Split(*watermarkLongViews, ",")
	for _, q := range views {
		execAll(t, conn, "CREATE MATERIALIZED VIEW "+q+" AS "+fmt.Sprintf(windowStateViews[q], "bid"))
	}
	g, err := nexmark.New(nexmark.DefaultConfig(int64(events)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sample := func() {
		for _, q := range views {
			var keys, bytes, rowsIn, late int64
			err := conn.QueryRow(ctx, `SELECT coalesce(sum(keys), 0), coalesce(sum(live_bytes), 0) FROM streamdb.state_tables
				WHERE relation_name = $1 AND operator <> 'materialize (view rows)'`, q).Scan(&keys, &bytes)
			if err == nil {
				err = conn.QueryRow(ctx, "SELECT rows_in, late_rows FROM streamdb.dataflows WHERE relation_name = $1", q).Scan(&rowsIn, &late)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%5.0fs events %9d %s: rows_in %9d, late %d, state entries %8d, state bytes %10d",
				time.Since(start).Seconds(), g.Next(), q, rowsIn, late, keys, bytes)
		}
	}
	var rows []types.Row
	var buf bytes.Buffer
	for batch := 1; !g.Done(); batch++ {
		rows = g.AppendRows(rows[:0], nexmark.KindBid, *watermarkLongBatch, math.MaxInt64)
		buf.Reset()
		for _, r := range rows {
			fmt.Fprintf(&buf, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", r[0].Int(), r[1].Int(), r[2].Int(), copyText(r[3].Str()), copyText(r[4].Str()),
				types.TimeFromTimestamp(r[5].Int()).Format("2006-01-02 15:04:05.000000"), copyText(r[6].Str()))
		}
		if _, err := conn.PgConn().CopyFrom(ctx, &buf, "COPY bid FROM STDIN"); err != nil {
			t.Fatal(err)
		}
		execAll(t, conn, "FLUSH")
		if batch%*watermarkLongSample == 0 {
			sample()
		}
	}
	sample()
}

// copyText escapes s for COPY's text format.
func copyText(s string) string {
	return strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\r", "\\r").Replace(s)
}

var (
	watermarkLongEvents = flag.Int("watermark.long-events", 0, "TestWindowStateLong: nexmark events to generate (0: skip)")
	watermarkLongViews  = flag.String("watermark.long-views", "q5,q7", "TestWindowStateLong: views to create")
	watermarkLongBatch  = flag.Int("watermark.long-batch", 20000, "TestWindowStateLong: bids per COPY (and FLUSH)")
	watermarkLongSample = flag.Int("watermark.long-sample", 25, "TestWindowStateLong: batches between samples")
)
