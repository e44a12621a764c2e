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
	b     *chunkBuilder
}

// newProject builds a projection; reuseRows is set when nothing above keeps
// its output rows.
func newProject(ec *evalCtx, n *planner.Project, reuseRows bool) (*project, error) {
	exprs, err := ec.compileAll(n.Exprs)
	if err != nil {
		return nil, err
	}
	b := newChunkBuilder(len(exprs))
	b.reuse = reuseRows
	return &project{ec: ec, exprs: exprs, b: b}, nil
}

func (p *project) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	for i, in := range c.Rows {
		r := p.b.newRow()
		for j, e := range p.exprs {
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
