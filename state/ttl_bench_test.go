package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// BenchmarkTTL compares a table with and without a TTL: a bulk insert of
// 100,000 rows (per row), a full scan (per row), and a sweep that removes
// them all (per row).
func BenchmarkTTL(b *testing.B) {
	for _, ttl := range []bool{false, true} {
		b.Run(fmt.Sprintf("ttl=%v", ttl), func(b *testing.B) { benchmarkTTL(b, ttl) })
	}
}

func benchmarkTTL(b *testing.B, withTTL bool) {
	const rows = 100_000
	ts, err := OpenTableStore(b.TempDir(), Options{BlockCacheSize: 64 << 20, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer ts.Close()
	clk := newManualClock()
	ts.SetClock(clk.now)
	if withTTL {
		if err := ts.SetTTL(tbl, TTLSpec{TTL: time.Hour.Microseconds(), EventColumn: -1}); err != nil {
			b.Fatal(err)
		}
	}
	payload := types.DString("some payload text of moderate size")
	var insert, scan, sweep time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tx := ts.Begin()
		for j := int64(0); j < rows; j++ {
			id := int64(i)*rows + j
			if err := tx.InsertFresh(tbl, RowIDKey(id), types.Row{types.DInt(id), payload}); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		insert += time.Since(start)

		start = time.Now()
		tx = ts.Begin()
		n := 0
		if err := tx.Scan(context.Background(), tbl, func([]byte, types.Row) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		tx.Rollback()
		if n != rows {
			b.Fatalf("scanned %d rows", n)
		}
		scan += time.Since(start)

		start = time.Now()
		clk.advance(2 * time.Hour)
		if withTTL {
			if got, err := ts.SweepExpired(context.Background()); err != nil || got != rows {
				b.Fatalf("swept %d: %v", got, err)
			}
		} else if err := ts.DropTableData(tbl); err != nil {
			b.Fatal(err)
		}
		sweep += time.Since(start)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*rows) }
	b.ReportMetric(per(insert), "insert-ns/row")
	b.ReportMetric(per(scan), "scan-ns/row")
	b.ReportMetric(per(sweep), "remove-ns/row")
}
