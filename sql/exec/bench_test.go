package exec

import (
	"context"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// modTables serves a table of n rows (i, i % groups).
type modTables struct{ n, groups int }

func (m *modTables) ScanTable(_ context.Context, _ planner.TableRef, fn func(types.Row) error) error {
	r := make(types.Row, 2)
	for i := 0; i < m.n; i++ {
		r[0], r[1] = types.DInt(int64(i)), types.DInt(int64(i%m.groups))
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func benchScan() *planner.Scan {
	return &planner.Scan{Table: planner.TableRef{ID: 1, NumPhysical: 2}, Phys: []int{0, 1}, Cols: schemaOf([]*types.T{types.Int8, types.Int8})}
}

func BenchmarkGroupBy(b *testing.B) {
	env := &Env{Tables: &modTables{n: 1 << 20, groups: 1000}}
	plan := &planner.Aggregate{Input: benchScan(), GroupCols: []int{1}, Aggs: []planner.AggCall{
		{Agg: testAgg("count*", nil), Filter: -1},
		{Agg: testAgg("sum", types.Int8), Args: []int{0}, Filter: -1},
		{Agg: testAgg("max", types.Int8), Args: []int{0}, Filter: -1},
	}}
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), env, plan, func(types.Row) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashJoin(b *testing.B) {
	env := &Env{Tables: &modTables{n: 1 << 18, groups: 1 << 16}}
	plan := &planner.Join{Kind: planner.InnerJoin, Left: benchScan(), Right: benchScan(), LeftKeys: []int{0}, RightKeys: []int{0}}
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), env, plan, func(types.Row) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSort(b *testing.B) {
	env := &Env{Tables: &modTables{n: 1 << 18, groups: 1 << 16}}
	plan := &planner.Sort{Input: benchScan(), Keys: []planner.SortKey{{Col: 1}, {Col: 0, Desc: true}}}
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), env, plan, func(types.Row) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGroupByHighCardinality(b *testing.B) {
	env := &Env{Tables: &modTables{n: 1 << 20, groups: 1 << 20}}
	plan := &planner.Aggregate{Input: benchScan(), GroupCols: []int{1}, Aggs: []planner.AggCall{
		{Agg: testAgg("count*", nil), Filter: -1},
		{Agg: testAgg("sum", types.Int8), Args: []int{0}, Filter: -1},
	}}
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), env, plan, func(types.Row) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
