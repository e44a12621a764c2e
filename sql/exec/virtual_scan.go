package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// virtualScan emits the rows of a system table, generated on demand.
type virtualScan struct {
	ec   *evalCtx
	node *planner.VirtualScan
}

func (s *virtualScan) Run(ctx context.Context, out Emitter) error {
	if s.ec.env.Virtual == nil {
		return types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", s.node.Name)
	}
	rows, err := s.ec.env.Virtual.Rows(ctx, s.node.Name)
	if err != nil {
		return err
	}
	return emitRows(ctx, rows, out)
}
