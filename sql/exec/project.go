package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// project computes expressions over each changed row; ops pass through.
type project struct {
	ec    *evalCtx
	exprs []evalFn
	// cols[j] is the input column that expression j merely references, or
	// -1: such columns are copied without calling the compiled closures
	// (two calls per value in a dataflow, where every expression is
	// wrapped for row-error handling), which dominated projections that
	// mostly pass columns through (HOP/TUMBLE expansions in q5, q7).
	cols []int
	b    *chunkBuilder
}

// newProject builds a projection; reuseRows is set when nothing above keeps
// its output rows.
func newProject(ec *evalCtx, n *planner.Project, reuseRows bool) (*project, error) {
	exprs, err := ec.compileAll(n.Exprs)
	if err != nil {
		return nil, err
	}
	cols := make([]int, len(n.Exprs))
	for j, e := range n.Exprs {
		cols[j] = -1
		if ref, ok := e.(*planner.ColRef); ok {
			cols[j] = ref.Idx
		}
	}
	b := newChunkBuilder(len(exprs))
	b.reuse = reuseRows
	return &project{ec: ec, exprs: exprs, cols: cols, b: b}, nil
}

func (p *project) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	for i, in := range c.Rows {
		r := p.b.newRow()
		for j, e := range p.exprs {
			if col := p.cols[j]; col >= 0 && col < len(in) {
				r[j] = in[col]
				continue
			}
			d, err := e(p.ec, in)
			if err != nil {
				return err
			}
			r[j] = d
		}
		if err := p.b.add(ctx, c.Ops[i], r, out); err != nil {
			return err
		}
	}
	return p.b.flush(ctx, out)
}

func (p *project) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
