package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// funcScan runs a set-returning function in FROM (generate_series, unnest,
// jsonb_each) and emits its rows as inserts, with a bigint ordinality column
// appended WITH ORDINALITY.
type funcScan struct {
	ec   *evalCtx
	node *planner.FuncScan
	args []evalFn
}

func newFuncScan(ec *evalCtx, n *planner.FuncScan) (*funcScan, error) {
	if n.Fn == nil || n.Fn.SRF == nil {
		name := "set-returning function"
		if n.Fn != nil {
			name = "set-returning function " + n.Fn.Name
		}
		return nil, types.Unsupported(name)
	}
	args, err := ec.compileAll(n.Args)
	if err != nil {
		return nil, err
	}
	return &funcScan{ec: ec, node: n, args: args}, nil
}

// srfRows calls the function over the given input row (nil in FROM) and
// hands each result row to fn, numbering them from 1. A strict function
// with a NULL argument returns no rows.
func srfRows(ec *evalCtx, n *planner.FuncScan, args []evalFn, in types.Row, fn func(ord int64, r types.Row) error) error {
	vals := make([]types.Datum, len(args))
	for i, a := range args {
		d, err := a(ec, in)
		if err != nil {
			return err
		}
		if d.IsNull() && !n.Fn.CalledOnNull {
			return nil
		}
		vals[i] = d
	}
	var ord int64
	return n.Fn.SRF(ec.bctx, vals, func(r types.Row) error {
		ord++
		return fn(ord, r)
	})
}

func (s *funcScan) Run(ctx context.Context, out Emitter) error {
	width := len(s.node.Cols)
	b := newChunkBuilder(width)
	err := srfRows(s.ec, s.node, s.args, nil, func(ord int64, r types.Row) error {
		o := b.newRow()
		n := copy(o, r)
		if s.node.WithOrdinality && n < width {
			o[width-1] = types.DInt(ord)
		}
		if b.chunk.Len()+1 >= types.ChunkCapacity {
			if err := checkCancel(ctx); err != nil {
				return err
			}
		}
		return b.add(ctx, types.Insert, o, out)
	})
	if err != nil {
		return err
	}
	return b.flush(ctx, out)
}
