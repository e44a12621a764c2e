package exec

import (
	"context"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// FuzzAggregateStateEntry: restoring an aggregate's state entry (bytes
// read back from the state store or a downloaded checkpoint) returns an
// error for malformed input, never panics.
func FuzzAggregateStateEntry(f *testing.F) {
	plan := &planner.Aggregate{Input: testScan(1, aggStateCols...), GroupCols: []int{0}}
	for _, s := range []string{"count*", "sum:3", "avg:4", "max:1", "count:1:distinct", "bit_or:1", "stddev:3", "bool_and:2"} {
		plan.Aggs = append(plan.Aggs, parseAggCall(f, s, aggStateCols))
	}
	ctx := context.Background()
	build := func() *Dataflow {
		df, err := NewDataflowWithState(ctx, nil, plan, 1<<31|7<<8)
		if err != nil {
			f.Fatal(err)
		}
		return df
	}
	// Seeds: the entries of a real run.
	df := build()
	c := &types.Chunk{}
	for _, r := range []types.Row{
		{types.DInt(1), types.DInt(5), types.DBool(true), types.Null, types.DFloat(2)},
		{types.DInt(1), types.DInt(7), types.DBool(false), types.Null, types.DFloat(-1)},
		{types.DInt(2), types.Null, types.Null, types.Null, types.Null},
	} {
		c.Append(types.Insert, r)
	}
	if err := df.Push(ctx, 1, c); err != nil {
		f.Fatal(err)
	}
	if _, err := df.Barrier(ctx, 1); err != nil {
		f.Fatal(err)
	}
	seeds := 0
	err := df.StateChanges(nil, true, func(k, v []byte) error { f.Add(k, v); seeds++; return nil }, func([]byte) error { return nil })
	if err != nil || seeds == 0 {
		f.Fatalf("no seed entries (%v)", err)
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		in := build().state[0]
		if !isOwnFormat(value) {
			return
		}
		_ = in.own.restoreOwnEntry(in, key, value)
	})
}
