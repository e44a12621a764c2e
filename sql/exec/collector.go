package exec

import (
	"context"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// collector is the top of a one-shot dataflow: it hands each result row to
// the caller. A bounded input produces only inserts (every operator emits its
// buffered result once, on the final barrier), so a retraction reaching the
// collector is a bug.
type collector struct {
	emit func(types.Row) error
}

func (c *collector) Push(ctx context.Context, _ int, ch *types.Chunk, _ Emitter) error {
	for i, r := range ch.Rows {
		if !ch.Ops[i].IsInsert() {
			return errors.AssertionFailedf("one-shot query produced a retraction")
		}
		if err := c.emit(r); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
