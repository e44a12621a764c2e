package state

import (
	"fmt"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// BenchmarkBulkInsert measures one transaction inserting many rows (COPY,
// INSERT ... SELECT), reported per row.
func BenchmarkBulkInsert(b *testing.B) {
	for _, fresh := range []bool{false, true} {
		b.Run(fmt.Sprintf("fresh=%v", fresh), func(b *testing.B) { benchmarkBulkInsert(b, fresh) })
	}
}

func benchmarkBulkInsert(b *testing.B, fresh bool) {
	const rows = 100_000
	ts, err := OpenTableStore(b.TempDir(), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer ts.Close()
	payload := types.DString("some payload text of moderate size")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, err := ts.ReserveRowIDs(tbl, rows)
		if err != nil {
			b.Fatal(err)
		}
		tx := ts.Begin()
		for j := int64(0); j < rows; j++ {
			id := first + j
			insert := tx.Insert
			if fresh {
				insert = tx.InsertFresh
			}
			if err := insert(tbl, RowIDKey(id), types.Row{types.DInt(id), payload}); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
