package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// BenchmarkDataflowTTL: a persisted GROUP BY dataflow fed 2^18 rows in
// chunks over 16 epochs (4096 groups), with and without view TTL; the
// state changes go to a discarding writer. Reported per input row.
func BenchmarkDataflowTTL(b *testing.B) {
	for _, ttl := range []bool{false, true} {
		b.Run(fmt.Sprintf("ttl=%v", ttl), func(b *testing.B) {
			const rows, groups, epochs = 1 << 18, 4096, 16
			ctx := context.Background()
			plan := &planner.Aggregate{Input: benchScan(), GroupCols: []int{1}, Aggs: []planner.AggCall{
				{Agg: testAgg("count*", nil), Filter: -1},
				{Agg: testAgg("sum", types.Int8), Args: []int{0}, Filter: -1},
			}}
			discard := func([]byte, []byte) error { return nil }
			discardDel := func([]byte) error { return nil }
			for i := 0; i < b.N; i++ {
				df, err := NewDataflowWithState(ctx, nil, plan, 100)
				if err != nil {
					b.Fatal(err)
				}
				if ttl {
					if err := df.EnableTTL(1_000_000); err != nil {
						b.Fatal(err)
					}
				}
				var c types.Chunk
				n := 0
				for e := 0; e < epochs; e++ {
					for ; n < (e+1)*rows/epochs; n++ {
						c.Append(types.Insert, types.Row{types.DInt(int64(n)), types.DInt(int64(n % groups))})
						if c.Len() == types.ChunkCapacity {
							if err := df.Push(ctx, 1, &c); err != nil {
								b.Fatal(err)
							}
							c = types.Chunk{}
						}
					}
					df.SetTTLNow(int64(e) * 100_000) // keys live 10 epochs: some expire
					if _, err := df.Barrier(ctx, uint64(e+1)); err != nil {
						b.Fatal(err)
					}
					if err := df.StateChanges(nil, false, discard, discardDel); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
