package exec

import (
	"context"
	"github.com/streamdb/streamdb/sql/builtins"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// The oracle tests check the central promise of the changelog operators:
// feeding an operator a random history of inserts, deletes and updates with
// barriers in between, and applying its output changes to a multiset, gives
// the same relation as running a fresh operator over the final input as a
// bounded input.

type multiset map[string]int

func (m multiset) apply(t *testing.T, c *types.Chunk) {
	t.Helper()
	for i, r := range c.Rows {
		k := formatRow(r)
		m[k] += sign(c.Ops[i])
		if m[k] < 0 {
			t.Fatalf("output retracts %q, which it never emitted", k)
		}
		if m[k] == 0 {
			delete(m, k)
		}
	}
}

func (m multiset) String() string {
	var lines []string
	for k, n := range m {
		for i := 0; i < n; i++ {
			lines = append(lines, k)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

type msEmitter struct {
	t *testing.T
	m multiset
}

func (e msEmitter) Emit(_ context.Context, c *types.Chunk) error {
	for i := 0; i+1 < c.Len(); i++ {
		if c.Ops[i] == types.UpdateDelete && c.Ops[i+1] != types.UpdateInsert {
			e.t.Fatalf("U- not followed by U+")
		}
	}
	e.m.apply(e.t, c)
	return nil
}

func randDatum(rng *rand.Rand, n int) types.Datum {
	if rng.Intn(6) == 0 {
		return types.Null
	}
	return types.DInt(int64(rng.Intn(n)))
}

// history generates a random changelog over rows of width 2 and returns it
// in chunks, with a barrier flag after each, plus the final contents.
func history(rng *rand.Rand, steps int) (chunks []*types.Chunk, final []types.Row) {
	var live []types.Row
	c := &types.Chunk{}
	for i := 0; i < steps; i++ {
		switch k := rng.Intn(10); {
		case k < 5 || len(live) == 0:
			r := types.Row{randDatum(rng, 5), randDatum(rng, 4)}
			live = append(live, r)
			c.Append(types.Insert, r)
		case k < 7:
			j := rng.Intn(len(live))
			c.Append(types.Delete, live[j])
			live = append(live[:j], live[j+1:]...)
		default:
			j := rng.Intn(len(live))
			r := types.Row{live[j][0], randDatum(rng, 4)}
			if rng.Intn(2) == 0 {
				r[0] = randDatum(rng, 5)
			}
			c.Append(types.UpdateDelete, live[j])
			c.Append(types.UpdateInsert, r)
			live[j] = r
		}
		if rng.Intn(7) == 0 {
			chunks = append(chunks, c)
			c = &types.Chunk{}
		}
	}
	chunks = append(chunks, c)
	return chunks, live
}

func intCols(n int) []*types.T {
	ts := make([]*types.T, n)
	for i := range ts {
		ts[i] = types.Int8
	}
	return ts
}

// checkOracle runs the incremental/batch comparison for an operator with
// one or two inputs.
func checkOracle(t *testing.T, seed int64, inputs int, newOp func(ec *evalCtx) Operator) {
	rng := rand.New(rand.NewSource(seed))
	ctx := context.Background()
	var hist [2][]*types.Chunk
	var final [2][]types.Row
	for i := 0; i < inputs; i++ {
		hist[i], final[i] = history(rng, 60)
	}

	incremental := multiset{}
	op := newOp(newEvalCtx(ctx, nil))
	out := msEmitter{t, incremental}
	for step := 0; len(hist[0])+len(hist[1]) > 0; step++ {
		in := rng.Intn(inputs)
		if len(hist[in]) == 0 {
			in = 1 - in
		}
		c := hist[in][0]
		hist[in] = hist[in][1:]
		if err := op.Push(ctx, in, c, out); err != nil {
			t.Fatal(err)
		}
		if rng.Intn(3) == 0 {
			if err := op.Barrier(ctx, types.Barrier{Epoch: types.Epoch(step)}, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := op.Barrier(ctx, types.Barrier{}, out); err != nil {
		t.Fatal(err)
	}

	// The batch run drives the last input first and tells the operator it
	// is complete, as Run does for joins.
	batch := multiset{}
	ec := newEvalCtx(ctx, nil)
	ec.appendOnly = true
	bop := newOp(ec)
	bout := msEmitter{t, batch}
	for in := inputs - 1; in >= 0; in-- {
		c := &types.Chunk{}
		for _, r := range final[in] {
			c.Append(types.Insert, r)
		}
		if err := bop.Push(ctx, in, c, bout); err != nil {
			t.Fatal(err)
		}
		if obs, ok := bop.(inputBarrierObserver); ok {
			obs.InputBarrier(in, types.Barrier{Final: true})
		}
	}
	if err := bop.Barrier(ctx, types.Barrier{Final: true}, bout); err != nil {
		t.Fatal(err)
	}
	if got, want := incremental.String(), batch.String(); got != want {
		t.Fatalf("seed %d: incremental result\n%s\ndiffers from batch result\n%s", seed, got, want)
	}
}

func TestOracleAggregate(t *testing.T) {
	ts := intCols(2)
	for _, group := range [][]int{{0}, nil} {
		n := &planner.Aggregate{Input: valuesNode(ts), GroupCols: group, Aggs: []planner.AggCall{
			{Agg: testAgg("count*", nil), Filter: -1},
			{Agg: testAgg("count", types.Int8), Args: []int{1}, Filter: -1},
			{Agg: testAgg("sum", types.Int4), Args: []int{1}, Filter: -1},
			{Agg: testAgg("min", types.Int8), Args: []int{1}, Filter: -1},
			{Agg: testAgg("max", types.Int8), Args: []int{1}, Filter: -1},
			{Agg: testAgg("avg", types.Int8), Args: []int{1}, Filter: -1},
			{Agg: testAgg("count", types.Int8), Args: []int{1}, Distinct: true, Filter: -1},
			{Agg: testAgg("array_agg", types.Int8), Args: []int{1}, Filter: -1, OrderBy: []planner.SortKey{{Col: 1}, {Col: 0}}},
			{Agg: testAgg("stddev", types.Int8), Args: []int{1}, Filter: -1},
			{Agg: testAgg("bit_or", types.Int8), Args: []int{1}, Filter: -1},
		}}
		for seed := int64(0); seed < 200; seed++ {
			checkOracle(t, seed, 1, func(ec *evalCtx) Operator {
				a, err := newAggregate(ec, n)
				if err != nil {
					t.Fatal(err)
				}
				return a
			})
		}
	}
}

func TestOracleJoin(t *testing.T) {
	ts := intCols(2)
	kinds := []planner.JoinKind{planner.InnerJoin, planner.LeftJoin, planner.RightJoin, planner.FullJoin, planner.SemiJoin, planner.AntiJoin}
	for _, kind := range kinds {
		for _, variant := range []string{"keys", "keys+on", "nested", "notin"} {
			if variant == "notin" && kind != planner.AntiJoin {
				continue
			}
			n := &planner.Join{Kind: kind, Left: valuesNode(ts), Right: valuesNode(ts)}
			switch variant {
			case "keys", "notin":
				n.LeftKeys, n.RightKeys = []int{0}, []int{0}
				n.NullAware = variant == "notin"
			case "keys+on":
				n.LeftKeys, n.RightKeys = []int{0}, []int{0}
				n.On = call(opLt, col(1), col(3))
			case "nested":
				n.On = call(opLt, col(1), col(3))
			}
			t.Run(kind.String()+"/"+variant, func(t *testing.T) {
				for seed := int64(0); seed < 200; seed++ {
					checkOracle(t, seed, 2, func(ec *evalCtx) Operator {
						j, err := newHashJoin(ec, n)
						if err != nil {
							t.Fatal(err)
						}
						return j
					})
				}
			})
		}
	}
}

func TestOracleDistinctSetOps(t *testing.T) {
	ts := intCols(2)
	for seed := int64(0); seed < 200; seed++ {
		checkOracle(t, seed, 1, func(*evalCtx) Operator { return newDistinct(&planner.Distinct{Input: valuesNode(ts)}) })
	}
	for _, kind := range []planner.SetOpKind{planner.Union, planner.Intersect, planner.Except} {
		for _, all := range []bool{false, true} {
			n := &planner.SetOp{Kind: kind, All: all, Left: valuesNode(ts), Right: valuesNode(ts), Cols: schemaOf(ts)}
			for seed := int64(0); seed < 200; seed++ {
				checkOracle(t, seed, 2, func(*evalCtx) Operator { return newSetOp(n) })
			}
		}
	}
}

func TestOracleTopN(t *testing.T) {
	keys := []planner.SortKey{{Col: 1, Desc: true, NullsFirst: true}}
	for _, lim := range [][2]int64{{3, 0}, {2, 2}, {-1, 1}} {
		for seed := int64(0); seed < 200; seed++ {
			checkOracle(t, seed, 1, func(*evalCtx) Operator { return newTopN(keys, lim[0], lim[1]) })
		}
	}
}

func TestOracleWindow(t *testing.T) {
	ts := intCols(2)
	n := &planner.Window{Input: valuesNode(ts), Funcs: []planner.WindowCall{
		{Win: &builtins.WindowOverload{Kind: builtins.WinRowNumber}, Filter: -1, PartitionBy: []int{0},
			OrderBy: []planner.SortKey{{Col: 1}}, Frame: planner.Frame{End: planner.CurrentRow}},
		{Win: &builtins.WindowOverload{Kind: builtins.WinRank}, Filter: -1, PartitionBy: []int{0},
			OrderBy: []planner.SortKey{{Col: 1, Desc: true, NullsFirst: true}}, Frame: planner.Frame{End: planner.CurrentRow}},
		{Agg: testAgg("sum", types.Int8), Args: []int{1}, Filter: -1, PartitionBy: []int{0, 1},
			Frame: planner.Frame{End: planner.CurrentRow}},
	}}
	for seed := int64(0); seed < 200; seed++ {
		checkOracle(t, seed, 1, func(ec *evalCtx) Operator {
			w, err := newWindow(ec, n)
			if err != nil {
				t.Fatal(err)
			}
			return w
		})
	}
}
