package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// recursiveUnion is the source of a WITH RECURSIVE query: it runs the base
// plan, then the recursive plan over the rows of the previous step, until a
// step adds nothing. Ad-hoc queries only (a view refuses WITH RECURSIVE).
type recursiveUnion struct {
	ec   *evalCtx
	node *planner.RecursiveUnion
}

func (r *recursiveUnion) Run(ctx context.Context, out Emitter) error {
	ec := r.ec
	width := len(r.node.Cols)
	seen := map[string]bool{}
	var key []byte
	keep := func(rows []types.Row) []types.Row {
		if !r.node.Distinct {
			return rows
		}
		kept := rows[:0]
		for _, row := range rows {
			key = key[:0]
			for _, d := range row {
				key = types.AppendKey(key, d, false)
			}
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
			kept = append(kept, row)
		}
		return kept
	}
	collect := func(plan planner.Node) ([]types.Row, error) {
		var rows []types.Row
		err := runPlan(ec, plan, func(row types.Row) error {
			rows = append(rows, row.Copy())
			return nil
		})
		return rows, err
	}
	working, err := collect(r.node.Base)
	if err != nil {
		return err
	}
	working = keep(working)
	b := newChunkBuilder(width)
	if ec.workTables == nil {
		ec.workTables = map[*planner.WorkTable][]types.Row{}
	}
	saved := ec.workTables[r.node.Work]
	defer func() { ec.workTables[r.node.Work] = saved }()
	for len(working) > 0 {
		if err := checkCancel(ctx); err != nil {
			return err
		}
		for _, row := range working {
			if err := b.add(ctx, types.Insert, row, out); err != nil {
				return err
			}
		}
		ec.workTables[r.node.Work] = working
		next, err := collect(r.node.Recursive)
		if err != nil {
			return err
		}
		working = keep(next)
	}
	return b.flush(ctx, out)
}

// workTableScan emits the rows of the current step of a recursive CTE.
type workTableScan struct {
	ec   *evalCtx
	node *planner.WorkTableScan
}

func (w *workTableScan) Run(ctx context.Context, out Emitter) error {
	b := newChunkBuilder(len(w.node.Cols))
	for _, row := range w.ec.workTables[w.node.Work] {
		if err := b.add(ctx, types.Insert, row, out); err != nil {
			return err
		}
	}
	return b.flush(ctx, out)
}
