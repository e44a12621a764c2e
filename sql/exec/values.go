package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// values emits the rows of a VALUES list (or the single empty row of a
// SELECT without FROM).
type values struct {
	ec   *evalCtx
	rows [][]evalFn
	cols int
}

func newValues(ec *evalCtx, n *planner.Values) (*values, error) {
	v := &values{ec: ec, cols: len(n.Cols)}
	for _, r := range n.Rows {
		fns, err := ec.compileAll(r)
		if err != nil {
			return nil, err
		}
		v.rows = append(v.rows, fns)
	}
	return v, nil
}

func (v *values) Run(ctx context.Context, out Emitter) error {
	b := newChunkBuilder(v.cols)
	for _, fns := range v.rows {
		r := b.newRow()
		if len(fns) != len(r) {
			r = make(types.Row, len(fns))
		}
		for i, fn := range fns {
			d, err := fn(v.ec, nil)
			if err != nil {
				return err
			}
			r[i] = d
		}
		if err := b.add(ctx, types.Insert, r, out); err != nil {
			return err
		}
	}
	return b.flush(ctx, out)
}
