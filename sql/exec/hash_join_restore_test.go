package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// TestJoinRestoreFirstEpoch checks that a join restored from its state
// (loaded straight into its side tables, without probing) emits exactly
// the changes of a join that never restarted, on the first epoch after
// each restart: random inserts and deletes on both sides, NULL keys,
// duplicate rows, with and without a residual condition, for every join
// kind and NOT IN.
func TestJoinRestoreFirstEpoch(t *testing.T) {
	ctx := context.Background()
	kinds := map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin,
		"right": planner.RightJoin, "full": planner.FullJoin, "semi": planner.SemiJoin, "anti": planner.AntiJoin, "not in": planner.AntiJoin}
	for name, kind := range kinds {
		for _, residual := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/residual=%t", name, residual), func(t *testing.T) {
				ls, rs := testScan(1, types.Int8, types.Int8), testScan(2, types.Int8, types.Int8)
				n := &planner.Join{Kind: kind, Left: ls, Right: rs, LeftKeys: []int{0}, RightKeys: []int{0},
					Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...), NullAware: name == "not in"}
				if kind == planner.SemiJoin || kind == planner.AntiJoin {
					n.Cols = ls.Cols
				}
				if residual {
					// left.val < right.val, over the concatenated row.
					n.On = binop(t, "<", &planner.ColRef{Idx: 1, Typ: types.Int8}, &planner.ColRef{Idx: 3, Typ: types.Int8})
				}
				build := func() *Dataflow {
					df, err := NewDataflowWithState(ctx, nil, n, 1<<31|7<<8)
					if err != nil {
						t.Fatal(err)
					}
					return df
				}
				steady := build()
				store := &memStateStore{m: map[string][]byte{}}
				restarted := build()
				rng := rand.New(rand.NewPCG(1, uint64(kind)))
				var live [2][]types.Row
				for epoch := uint64(1); epoch <= 40; epoch++ {
					for range 1 + rng.IntN(12) {
						side := rng.IntN(2)
						var c types.Chunk
						if len(live[side]) > 0 && rng.IntN(3) == 0 {
							k := rng.IntN(len(live[side]))
							c.Append(types.Delete, live[side][k])
							live[side] = slices.Delete(live[side], k, k+1)
						} else {
							key := types.DInt(int64(rng.IntN(5)))
							if rng.IntN(8) == 0 {
								key = types.Null
							}
							r := types.Row{key, types.DInt(int64(rng.IntN(4)))}
							c.Append(types.Insert, r)
							live[side] = append(live[side], r)
						}
						for _, df := range []*Dataflow{steady, restarted} {
							if err := df.Push(ctx, uint32(side+1), &c); err != nil {
								t.Fatal(err)
							}
						}
					}
					want, err := steady.Barrier(ctx, epoch)
					if err != nil {
						t.Fatal(err)
					}
					got, err := restarted.Barrier(ctx, epoch)
					if err != nil {
						t.Fatal(err)
					}
					if w, g := netChanges(want), netChanges(got); !slices.Equal(w, g) {
						t.Fatalf("epoch %d after a restart:\nwant %v\n got %v", epoch, w, g)
					}
					err = restarted.StateChanges(store, epoch == 1,
						func(k, v []byte) error { store.m[string(k)] = v; return nil },
						func(k []byte) error { delete(store.m, string(k)); return nil })
					if err != nil {
						t.Fatal(err)
					}
					restarted = build()
					if err := restarted.Restore(ctx, store, epoch); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// netChanges consolidates a chunk into sorted "row count" lines, dropping
// rows whose changes cancel out.
func netChanges(c *types.Chunk) []string {
	counts := map[string]int{}
	for i, r := range c.Rows {
		counts[formatRow(r)] += sign(c.Ops[i])
	}
	var out []string
	for r, n := range counts {
		if n != 0 {
			out = append(out, fmt.Sprintf("%s x%d", r, n))
		}
	}
	slices.Sort(out)
	return out
}
