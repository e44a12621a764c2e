package state

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// manualClock is a clock the test moves by hand.
type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time          { return c.t }
func (c *manualClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}
func ttlMicros(d time.Duration) int64 { return d.Microseconds() }
func evRow(id int64, at time.Time) types.Row {
	return types.Row{types.DInt(id), types.DTimestampTZ(types.TimestampFromTime(at))}
}
func evRowNull(id int64) types.Row                     { return types.Row{types.DInt(id), types.Null} }
func putRow(t *testing.T, ts *TableStore, r types.Row) { putRows(t, ts, r) }

func putRows(t *testing.T, ts *TableStore, rows ...types.Row) {
	t.Helper()
	tx := ts.Begin()
	for _, r := range rows {
		if err := tx.Put(tbl, key(r[0].Int()), r); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, tx)
}

// ids returns the ids a fresh transaction's Scan returns, and checks that
// Get agrees for every id in 1..max.
func ids(t *testing.T, ts *TableStore, maxID int64) string {
	t.Helper()
	tx := ts.Begin()
	defer tx.Rollback()
	var out []string
	seen := map[int64]bool{}
	err := tx.Scan(context.Background(), tbl, func(_ []byte, r types.Row) error {
		out = append(out, fmt.Sprint(r[0].Int()))
		seen[r[0].Int()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= maxID; id++ {
		_, ok, err := tx.Get(tbl, key(id))
		if err != nil {
			t.Fatal(err)
		}
		if ok != seen[id] {
			t.Fatalf("id %d: Get says present=%v, Scan says %v", id, ok, seen[id])
		}
	}
	return strings.Join(out, " ")
}

// physicalRows counts the stored rows, TTL records and index entries of
// tbl, expired or not.
func physicalRows(t *testing.T, ts *TableStore) (rows, records, index int) {
	t.Helper()
	count := func(p byte) int {
		n := 0
		pre := tablePrefix(p, tbl)
		it, err := ts.store.db.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for v := it.First(); v; v = it.Next() {
			n++
		}
		return n
	}
	return count(prefixRow), count(prefixExpiry), count(prefixTTLIndex)
}

func wantIDs(t *testing.T, ts *TableStore, maxID int64, want string) {
	t.Helper()
	if got := ids(t, ts, maxID); got != want {
		t.Fatalf("visible rows: got %q, want %q", got, want)
	}
}

func sweep(t *testing.T, ts *TableStore) int64 {
	t.Helper()
	n, err := ts.SweepExpired(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTTLProcessingOnWrite(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}); err != nil {
		t.Fatal(err)
	}
	putRows(t, ts, row(1, "a"), row(2, "b"))
	clk.advance(30 * time.Minute)
	putRows(t, ts, row(3, "c"), row(2, "b2")) // 2 is rewritten: its expiry moves
	wantIDs(t, ts, 3, "1 2 3")
	clk.advance(30*time.Minute - time.Microsecond)
	wantIDs(t, ts, 3, "1 2 3")
	// Reads do not refresh on_write rows.
	clk.advance(time.Microsecond)
	wantIDs(t, ts, 3, "2 3") // 1 expires exactly at write time + ttl
	// Expired, not swept: still stored, never returned; an Update or
	// Delete does not see it and an Insert of its key succeeds.
	if rows, _, _ := physicalRows(t, ts); rows != 3 {
		t.Fatalf("stored rows before the sweep: %d, want 3", rows)
	}
	tx := ts.Begin()
	if err := tx.Delete(tbl, key(1), nil); err != nil {
		t.Fatal(err)
	}
	if tx.HasWrites() {
		t.Fatal("Delete of an expired row wrote something")
	}
	tx.Rollback()
	clk.advance(30 * time.Minute)
	wantIDs(t, ts, 3, "")
	if n := sweep(t, ts); n != 3 {
		t.Fatalf("swept %d rows, want 3", n)
	}
	rows, recs, idx := physicalRows(t, ts)
	if rows != 0 || recs != 0 || idx != 0 {
		t.Fatalf("after the sweep: %d rows, %d expiry records, %d index entries; want none", rows, recs, idx)
	}
	if st, _ := ts.TTL(tbl); st.Expired != 3 {
		t.Fatalf("expired counter %d, want 3", st.Expired)
	}
	// A later write of an expired key starts afresh.
	tx = ts.Begin()
	if err := tx.Insert(tbl, key(1), row(1, "new")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, tx)
	wantIDs(t, ts, 3, "1")
}

func TestTTLProcessingOnReadAndWrite(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1, RefreshOnRead: true}); err != nil {
		t.Fatal(err)
	}
	putRows(t, ts, row(1, "a"), row(2, "b"))
	clk.advance(50 * time.Minute)
	// Reading row 1 (Get) refreshes it; row 2 is not read.
	tx := ts.Begin()
	if _, ok, err := tx.Get(tbl, key(1)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	tx.Rollback()
	// An internal read (SkipTTLRefresh) refreshes nothing.
	tx = ts.Begin()
	tx.SkipTTLRefresh()
	if _, ok, err := tx.Get(tbl, key(2)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	tx.Rollback()
	clk.advance(10 * time.Minute)
	tx = ts.Begin()
	if _, ok, _ := tx.Get(tbl, key(2)); ok {
		t.Fatal("row 2 should have expired: it was never read")
	}
	tx.Rollback()
	// A scan refreshes what it returns.
	wantIDs(t, ts, 2, "1")
	clk.advance(59 * time.Minute)
	wantIDs(t, ts, 2, "1")
	clk.advance(time.Hour)
	wantIDs(t, ts, 2, "")
	if n := sweep(t, ts); n != 2 {
		t.Fatalf("swept %d, want 2", n)
	}
	if _, recs, idx := physicalRows(t, ts); recs != 0 || idx != 0 {
		t.Fatalf("%d records and %d index entries left", recs, idx)
	}
}

func TestTTLEventTime(t *testing.T) {
	for _, refresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("refresh=%v", refresh), func(t *testing.T) {
			ts := openTestTableStore(t, t.TempDir())
			defer ts.Close()
			// The processing clock must not matter: it jumps a year ahead.
			clk := newManualClock()
			ts.SetClock(clk.now)
			spec := TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: 1, EventDelay: ttlMicros(10 * time.Minute), RefreshOnRead: refresh}
			if err := ts.SetTTL(tbl, spec); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			putRows(t, ts, evRow(1, t0), evRow(2, t0.Add(30*time.Minute)), evRowNull(3))
			clk.advance(365 * 24 * time.Hour)
			wantIDs(t, ts, 3, "1 2 3")
			// Frontier = max event - 10 min. Row 1 expires at t0+1h.
			putRow(t, ts, evRow(4, t0.Add(69*time.Minute)))
			wantIDs(t, ts, 4, "1 2 3 4") // frontier t0+59m
			putRow(t, ts, evRow(5, t0.Add(70*time.Minute)))
			if refresh {
				// Every earlier read refreshed row 1 to frontier+ttl.
				wantIDs(t, ts, 5, "1 2 3 4 5")
				putRow(t, ts, evRow(6, t0.Add(130*time.Minute))) // frontier t0+2h
				wantIDs(t, ts, 6, "3 4 5 6")                     // 1 refreshed to t0+59m+1h: expired at t0+2h
				return
			}
			wantIDs(t, ts, 5, "2 3 4 5") // frontier t0+1h: row 1 is gone
			// A late event older than frontier - ttl is stored invisible.
			putRow(t, ts, evRow(7, t0.Add(-time.Hour)))
			wantIDs(t, ts, 7, "2 3 4 5")
			if n := sweep(t, ts); n != 2 {
				t.Fatalf("swept %d, want 2", n)
			}
			if rows, _, _ := physicalRows(t, ts); rows != 4 {
				t.Fatalf("%d rows stored after the sweep, want 4", rows)
			}
		})
	}
}

// TestTTLRestart: the index, the frontier and the counter survive a
// restart, and expired rows the sweep has not removed stay invisible.
func TestTTLRestart(t *testing.T) {
	dir := t.TempDir()
	clk := newManualClock()
	open := func() *TableStore {
		ts := openTestTableStore(t, dir)
		ts.SetClock(clk.now)
		if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}); err != nil {
			t.Fatal(err)
		}
		if err := ts.SetTTL(tbl+1, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: 1}); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	ts := open()
	putRows(t, ts, row(1, "a"), row(2, "b"))
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tx := ts.Begin()
	for i, at := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		if err := tx.Put(tbl+1, key(int64(i)), evRow(int64(i), at)); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, tx)
	clk.advance(40 * time.Minute)
	putRow(t, ts, row(3, "c"))
	clk.advance(20 * time.Minute)
	if n := sweep(t, ts); n != 3 { // rows 1, 2 and the event row at t0
		t.Fatalf("swept %d, want 3", n)
	}
	clk.advance(40 * time.Minute) // row 3 expired, not swept
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}

	ts = open()
	defer ts.Close()
	wantIDs(t, ts, 3, "")
	if st, _ := ts.TTL(tbl + 1); st.Frontier != types.TimestampFromTime(t0.Add(2*time.Hour)) || st.Expired != 1 {
		t.Fatalf("event-time table after restart: %+v", st)
	}
	if st, _ := ts.TTL(tbl); st.Expired != 2 {
		t.Fatalf("expired counter after restart: %d, want 2", st.Expired)
	}
	if rows, recs, idx := physicalRows(t, ts); rows != 1 || recs != 1 || idx != 1 {
		t.Fatalf("after restart: %d rows, %d records, %d index entries; want 1 each", rows, recs, idx)
	}
	if n := sweep(t, ts); n != 1 {
		t.Fatalf("swept %d after restart, want 1", n)
	}
}

// TestTTLSweepChunks: a sweep larger than one chunk removes everything and
// keeps rows rewritten after their first index entry.
func TestTTLSweepChunks(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}); err != nil {
		t.Fatal(err)
	}
	const n = 2*sweepChunk + 10
	tx := ts.Begin()
	for i := int64(1); i <= n; i++ {
		if err := tx.Put(tbl, key(i), row(i, "x")); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, tx)
	clk.advance(30 * time.Minute)
	putRows(t, ts, row(7, "again"), row(n, "again"))
	clk.advance(30 * time.Minute)
	if got := sweep(t, ts); got != n-2 {
		t.Fatalf("swept %d, want %d", got, n-2)
	}
	wantIDs(t, ts, n, fmt.Sprintf("7 %d", n))
	if rows, recs, idx := physicalRows(t, ts); rows != 2 || recs != 2 || idx != 2 {
		t.Fatalf("%d rows, %d records, %d index entries; want 2 each", rows, recs, idx)
	}
}

// TestTTLDropTable: DROP TABLE removes the TTL records with the rows.
func TestTTLDropTable(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}); err != nil {
		t.Fatal(err)
	}
	putRows(t, ts, row(1, "a"))
	if err := ts.DropTableData(tbl); err != nil {
		t.Fatal(err)
	}
	if rows, recs, idx := physicalRows(t, ts); rows+recs+idx != 0 {
		t.Fatalf("left after drop: %d rows, %d records, %d index entries", rows, recs, idx)
	}
}

// TestTTLSweepConcurrentWrites: sweeps running concurrently with writers
// that keep rewriting every key never remove a live row; once the writes
// stop and the TTL passes, one sweep removes everything, index included.
func TestTTLSweepConcurrentWrites(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	var mu sync.Mutex
	clk := newManualClock()
	ts.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clk.now() })
	if err := ts.SetTTL(tbl, TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}); err != nil {
		t.Fatal(err)
	}
	const writers, keysPer, rounds = 4, 25, 10
	stop := make(chan struct{})
	sweepErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				sweepErr <- nil
				return
			default:
			}
			if _, err := ts.SweepExpired(context.Background()); err != nil {
				sweepErr <- err
				return
			}
		}
	}()
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < keysPer; k++ {
					id := int64(w*keysPer + k)
					tx := ts.Begin()
					if err := tx.Put(tbl, key(id), row(id, fmt.Sprint(round))); err != nil {
						t.Error(err)
					}
					if err := tx.Commit(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		mu.Lock()
		clk.advance(50 * time.Minute) // every row was rewritten within the TTL
		mu.Unlock()
		tx := ts.Begin()
		n := 0
		err := tx.Scan(context.Background(), tbl, func(_ []byte, r types.Row) error {
			if r[1].Str() != fmt.Sprint(round) {
				return fmt.Errorf("row %d has value of round %s in round %d", r[0].Int(), r[1].Str(), round)
			}
			n++
			return nil
		})
		tx.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		if n != writers*keysPer {
			t.Fatalf("round %d: %d live rows, want %d", round, n, writers*keysPer)
		}
	}
	close(stop)
	if err := <-sweepErr; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clk.advance(time.Hour)
	mu.Unlock()
	if n := sweep(t, ts); n != writers*keysPer {
		t.Fatalf("final sweep removed %d, want %d", n, writers*keysPer)
	}
	if rows, recs, idx := physicalRows(t, ts); rows+recs+idx != 0 {
		t.Fatalf("left: %d rows, %d records, %d index entries", rows, recs, idx)
	}
	if st, _ := ts.TTL(tbl); st.Expired != writers*keysPer {
		t.Fatalf("expired counter %d", st.Expired)
	}
}

// TestTTLAlter: AlterTTL gives every existing row (over several batches)
// its expiry before it calls commit; a failed commit restores the old
// TTL (here none, so no record is left); re-deriving keeps each row's
// write time; removal drops every record and index entry.
func TestTTLAlter(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	ctx := context.Background()
	const n = 2*alterBatchRows + 5
	tx := ts.Begin()
	for i := int64(1); i <= n; i++ {
		if err := tx.Put(tbl, key(i), row(i, "x")); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, tx)
	hour := TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}
	failed := fmt.Errorf("catalog write failed")
	if err := ts.AlterTTL(ctx, tbl, &hour, func() error { return failed }); err != failed {
		t.Fatalf("AlterTTL with a failing commit: %v", err)
	}
	if _, ok := ts.TTL(tbl); ok {
		t.Fatal("a failed AlterTTL left the TTL registered")
	}
	if _, recs, _ := physicalRows(t, ts); recs != 0 {
		t.Fatalf("a failed AlterTTL left %d records", recs)
	}
	var recsAtCommit int
	if err := ts.AlterTTL(ctx, tbl, &hour, func() error {
		_, recsAtCommit, _ = physicalRows(t, ts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if recsAtCommit != n {
		t.Fatalf("%d records when the catalog committed, want %d", recsAtCommit, n)
	}
	clk.advance(30 * time.Minute)
	putRows(t, ts, row(1, "again")) // 90 min
	clk.advance(10 * time.Minute)   // 40 min
	twoHours := TTLSpec{TTL: ttlMicros(2 * time.Hour), EventColumn: -1}
	if err := ts.AlterTTL(ctx, tbl, &twoHours, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	clk.advance(80 * time.Minute) // 120 min: the rows of minute 0 expire
	wantIDs(t, ts, n, "1")
	clk.advance(30 * time.Minute) // 150 min: row 1 (written at 30) expires
	wantIDs(t, ts, n, "")
	if err := ts.AlterTTL(ctx, tbl, nil, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if rows, recs, idx := physicalRows(t, ts); rows != 0 || recs != 0 || idx != 0 {
		t.Fatalf("after removal: %d rows, %d records, %d index entries; want none", rows, recs, idx)
	}
	if _, ok := ts.TTL(tbl); ok {
		t.Fatal("TTL still registered after removal")
	}
	putRows(t, ts, row(7, "kept"))
	clk.advance(1000 * time.Hour)
	wantIDs(t, ts, 7, "7")
}

// TestTTLAlterRewritesRacingCommit: a commit that encoded its rows before
// an AlterTTL registered the table's TTL writes their records once it
// holds the commit mutex (rewriteTTLRecords), so no row of it stays
// without an expiry.
func TestTTLAlterRewritesRacingCommit(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	tx := ts.Begin()
	for i := int64(1); i <= 3; i++ {
		if err := tx.Put(tbl, key(i), row(i, "x")); err != nil {
			t.Fatal(err)
		}
	}
	// What AlterTTL does between the commit's encoding and its lock.
	ts.ttl.set(tbl, &ttlTable{oid: tbl, spec: TTLSpec{TTL: ttlMicros(time.Hour), EventColumn: -1}})
	b := ts.store.db.NewBatch()
	defer b.Close()
	var tc ttlCommit
	if err := ts.rewriteTTLRecords(b, &tc, tx); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.db.Apply(b, pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if _, recs, idx := physicalRows(t, ts); recs != 3 || idx != 3 {
		t.Fatalf("%d records, %d index entries; want 3 each", recs, idx)
	}
}
