package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// scan reads a stored table from the Env's snapshot and emits its rows as
// inserts, projected to the node's physical slots.
type scan struct {
	ec   *evalCtx
	node *planner.Scan
	// reuseRows is set when nothing above keeps the rows.
	reuseRows bool
}

func newScan(ec *evalCtx, n *planner.Scan, reuseRows bool) *scan {
	return &scan{ec: ec, node: n, reuseRows: reuseRows}
}

func (s *scan) Run(ctx context.Context, out Emitter) error {
	if s.ec.env.Tables == nil {
		return types.Errorf(types.CodeInternalError, "no table reader to scan %s", s.node.Table.Name)
	}
	phys, missing := s.node.Phys, s.node.Table.Missing
	b := newChunkBuilder(len(phys))
	b.reuse = s.reuseRows
	err := s.ec.env.Tables.ScanTable(ctx, s.node.Table, func(stored types.Row) error {
		r := b.newRow()
		for i, p := range phys {
			switch {
			case p < len(stored):
				r[i] = stored[p]
			case p < len(missing):
				// A row written before ADD COLUMN: pad it.
				r[i] = missing[p]
			}
		}
		if b.chunk.Len()+1 >= types.ChunkCapacity {
			if err := checkCancel(ctx); err != nil {
				return err
			}
		}
		return b.add(ctx, types.Insert, r, out)
	})
	if err != nil {
		return err
	}
	return b.flush(ctx, out)
}

// emitRows sends rows as inserts in chunks, checking for cancellation per
// chunk.
func emitRows(ctx context.Context, rows []types.Row, out Emitter) error {
	var c types.Chunk
	for len(rows) > 0 {
		if err := checkCancel(ctx); err != nil {
			return err
		}
		n := min(len(rows), types.ChunkCapacity)
		c.Reset()
		for _, r := range rows[:n] {
			c.Append(types.Insert, r)
		}
		if err := out.Emit(ctx, &c); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
