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
	// keyFns compute node.KeyPrefix; compiled when the plan is built (the
	// evalCtx's cache is not for concurrent use), a failure reported by Run.
	keyFns     []evalFn
	compileErr error
}

func newScan(ec *evalCtx, n *planner.Scan, reuseRows bool) *scan {
	s := &scan{ec: ec, node: n, reuseRows: reuseRows}
	if len(n.KeyPrefix) > 0 {
		s.keyFns, s.compileErr = ec.compileAll(n.KeyPrefix)
	}
	return s
}

func (s *scan) Run(ctx context.Context, out Emitter) error {
	if s.ec.env.Tables == nil {
		return types.Errorf(types.CodeInternalError, "no table reader to scan %s", s.node.Table.Name)
	}
	phys, missing := s.node.Phys, s.node.Table.Missing
	b := newChunkBuilder(len(phys))
	b.reuse = s.reuseRows
	emit := func(stored types.Row) error {
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
	}
	var err error
	if pr, ok := s.ec.env.Tables.(TablePrefixReader); ok && len(s.node.KeyPrefix) > 0 {
		var prefix []byte
		var empty bool
		if prefix, empty, err = s.keyPrefix(); err == nil && !empty {
			err = pr.ScanTablePrefix(ctx, s.node.Table, prefix, emit)
		}
	} else {
		err = s.ec.env.Tables.ScanTable(ctx, s.node.Table, emit)
	}
	if err != nil {
		return err
	}
	return b.flush(ctx, out)
}

// keyPrefix evaluates the node's KeyPrefix and key-encodes it. empty is
// set when a value is NULL: `key = NULL` holds for no row.
func (s *scan) keyPrefix() (prefix []byte, empty bool, err error) {
	if s.compileErr != nil {
		return nil, false, s.compileErr
	}
	for _, fn := range s.keyFns {
		d, err := fn(s.ec, nil)
		if err != nil {
			return nil, false, err
		}
		if d.IsNull() {
			return nil, true, nil
		}
		prefix = types.AppendKey(prefix, d, false)
	}
	return prefix, false, nil
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
