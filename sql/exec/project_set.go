package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// projectSet evaluates the set-returning functions of a select list: each
// input change yields as many changes (with its op) as the longest function
// result, shorter results padded with NULL. The functions must be
// deterministic for retractions to cancel what inserts produced.
type projectSet struct {
	ec      *evalCtx
	node    *planner.ProjectSet
	args    [][]evalFn
	offsets []int // the first output column of each function
	results [][]types.Row
	b       *chunkBuilder
}

func newProjectSet(ec *evalCtx, n *planner.ProjectSet) (*projectSet, error) {
	p := &projectSet{ec: ec, node: n, b: newChunkBuilder(len(n.Cols))}
	off := len(n.Input.Columns())
	for _, f := range n.SRFs {
		if f.Fn == nil || f.Fn.SRF == nil {
			return nil, types.Unsupported("set-returning function in this position")
		}
		args, err := ec.compileAll(f.Args)
		if err != nil {
			return nil, err
		}
		p.args = append(p.args, args)
		p.offsets = append(p.offsets, off)
		off += len(f.Cols)
	}
	p.results = make([][]types.Row, len(n.SRFs))
	return p, nil
}

func (p *projectSet) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	op := types.Insert
	for i, in := range c.Rows {
		op = types.Insert
		if !c.Ops[i].IsInsert() {
			op = types.Delete
		}
		if len(p.node.SRFs) == 1 {
			// One function: stream its rows, so that a LIMIT above can stop
			// generate_series(1, 1e9) after a few.
			f := p.node.SRFs[0]
			err := srfRows(p.ec, f, p.args[0], in, func(ord int64, r types.Row) error {
				o := p.b.newRow()
				copy(o, in)
				n := copy(o[p.offsets[0]:], r)
				if f.WithOrdinality && p.offsets[0]+n < len(o) {
					o[p.offsets[0]+n] = types.DInt(ord)
				}
				return p.b.add(ctx, op, o, out)
			})
			if err != nil {
				return err
			}
			continue
		}
		longest := 0
		for j, f := range p.node.SRFs {
			rows := p.results[j][:0]
			err := srfRows(p.ec, f, p.args[j], in, func(ord int64, r types.Row) error {
				row := append(make(types.Row, 0, len(f.Cols)), r...)
				if f.WithOrdinality && len(row) < len(f.Cols) {
					row = append(row, types.DInt(ord))
				}
				rows = append(rows, row)
				return nil
			})
			if err != nil {
				return err
			}
			p.results[j] = rows
			longest = max(longest, len(rows))
		}
		for k := 0; k < longest; k++ {
			o := p.b.newRow()
			copy(o, in)
			for j := range p.node.SRFs {
				if k < len(p.results[j]) {
					copy(o[p.offsets[j]:], p.results[j][k])
				}
			}
			if err := p.b.add(ctx, op, o, out); err != nil {
				return err
			}
		}
	}
	return p.b.flush(ctx, out)
}

func (p *projectSet) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
