package server

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
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

// TestWindowStateBounded runs q5's windowed aggregates and join over a
// nexmark bid source with a WATERMARK on date_time, twice: over N and over
// 2N events. Once the watermark passes a window its state is dropped, so
// the state left at the end covers the last few open windows only and does
// not double with the input: the entry counts of the two runs are about
// equal (a count assertion, not a timing one). Without expiry the larger
// run keeps about twice the entries, which the test would catch.
func TestWindowStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	n := *watermarkStateEvents
	entries := map[string]int64{}
	for _, run := range []struct {
		name   string
		events int
	}{{"bid_n", n}, {"bid_2n", 2 * n}} {
		execAll(t, conn, fmt.Sprintf(`CREATE SOURCE %s (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
			date_time TIMESTAMP, extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
			WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = %d, nexmark.max.chunk.size = 2000, nexmark.min.event.gap.in.ns = 10000000)`, run.name, run.events))
		execAll(t, conn,
			"CREATE MATERIALIZED VIEW agg_"+run.name+" AS "+fmt.Sprintf(windowAggState, run.name),
			"CREATE MATERIALIZED VIEW q5_"+run.name+" AS "+fmt.Sprintf(windowStateViews["q5"], run.name))
		waitNexmark(t, s)
		execAll(t, conn, "FLUSH")
		for _, v := range []string{"agg_", "q5_"} {
			view := v + run.name
			entries[view] = queryInt(t, conn, "SELECT coalesce(sum(keys), 0) FROM streamdb.state_tables WHERE relation_name = '"+view+"' AND operator <> 'materialize (view rows)'")
			rows := queryInt(t, conn, "SELECT count(*) FROM "+view)
			late := queryInt(t, conn, "SELECT late_rows FROM streamdb.dataflows WHERE relation_name = '"+view+"'")
			t.Logf("%s: %d state entries, %d view rows, %d late rows", view, entries[view], rows, late)
			if rows == 0 {
				t.Fatalf("%s is empty", view)
			}
		}
		// Dropping closed windows loses nothing: with no late row the view
		// equals the query run ad hoc over all the events.
		if late := queryInt(t, conn, "SELECT late_rows FROM streamdb.dataflows WHERE relation_name = 'q5_"+run.name+"'"); late == 0 {
			got := textRows(t, conn, "SELECT * FROM q5_"+run.name)
			want := textRows(t, conn, fmt.Sprintf(windowStateViews["q5"], run.name))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("q5 over %s: the view has %d rows, the query %d (or they differ)", run.name, len(got), len(want))
			}
		}
	}
	for _, v := range []string{"agg_", "q5_"} {
		small, large := entries[v+"bid_n"], entries[v+"bid_2n"]
		if small == 0 || float64(large) > 1.5*float64(small) {
			t.Errorf("%s: %d state entries after %d events, %d after %d: state grows with the input", v, small, n, large, 2*n)
		}
	}
}

// TestWindowStateLong reports the state of q5 and q7 over a long nexmark
// run (go test ./server -run TestWindowStateLong -watermark.long-events
// 10000000 -v): state_tables entries and bytes sampled while the
// generator runs. Not a CI test: skipped unless the flag is set.
func TestWindowStateLong(t *testing.T) {
	events := *watermarkLongEvents
	if events == 0 {
		t.Skip("set -watermark.long-events")
	}
	s := startTestServer(t, t.TempDir())
	conn := connectSimple(t, s)
	execAll(t, conn, fmt.Sprintf(`CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
		date_time TIMESTAMP, extra VARCHAR, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		WITH (connector = 'nexmark', nexmark.table.type = 'bid', nexmark.event.num = %d, nexmark.max.chunk.size = 20000)`, events))
	for _, q := range strings.Split(*watermarkLongViews, ",") {
		execAll(t, conn, "CREATE MATERIALIZED VIEW "+q+" AS "+fmt.Sprintf(windowStateViews[q], "bid"))
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
		defer cancel()
		done <- s.nexmark.waitIdle(ctx)
	}()
	sample := func() {
		for _, q := range strings.Split(*watermarkLongViews, ",") {
			var keys, bytes int64
			err := conn.QueryRow(context.Background(), "SELECT coalesce(sum(keys), 0), coalesce(sum(live_bytes), 0) FROM streamdb.state_tables WHERE relation_name = $1 AND operator <> 'materialize (view rows)'", q).Scan(&keys, &bytes)
			if err != nil {
				t.Fatal(err)
			}
			bids := queryInt(t, conn, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = '"+q+"'")
			t.Logf("%6.0fs %s: rows_in %d, state entries %d, state bytes %d", time.Since(start).Seconds(), q, bids, keys, bytes)
		}
	}
	tick := time.NewTicker(*watermarkLongEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			execAll(t, conn, "FLUSH")
			sample()
			return
		case <-tick.C:
			sample()
		}
	}
}

var (
	watermarkLongEvents = flag.Int("watermark.long-events", 0, "TestWindowStateLong: events of the nexmark bid source (0: skip)")
	watermarkLongViews  = flag.String("watermark.long-views", "q5,q7", "TestWindowStateLong: views to create")
	watermarkLongEvery  = flag.Duration("watermark.long-every", 30*time.Second, "TestWindowStateLong: sampling period")
)
