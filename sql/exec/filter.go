package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// filter keeps the changes whose row satisfies the predicate. An update
// whose old and new rows fall on different sides becomes a plain delete or
// insert.
type filter struct {
	ec   *evalCtx
	pred evalFn
	out  types.Chunk
}

func newFilter(ec *evalCtx, n *planner.Filter) (*filter, error) {
	pred, err := ec.compile(n.Pred)
	if err != nil {
		return nil, err
	}
	return &filter{ec: ec, pred: pred}, nil
}

func (f *filter) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	f.out.Reset()
	for i, r := range c.Rows {
		d, err := f.pred(f.ec, r)
		if err != nil {
			return err
		}
		if isTrue(d) {
			f.out.Append(c.Ops[i], r)
		}
	}
	fixUpdatePairs(&f.out)
	if f.out.Len() == 0 {
		return nil
	}
	return out.Emit(ctx, &f.out)
}

func (f *filter) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
