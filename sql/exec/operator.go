package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/types"
)

// Operator is one deterministic state machine of a dataflow. It consumes
// changes (chunks of + / - / U- / U+ rows) on one or more input ports and
// emits changes to its output.
//
// Ownership: an operator may keep the Rows of the chunks it receives (rows are
// immutable once emitted) but not the Chunk itself, whose Ops and Rows slices
// the producer reuses after Emit returns.
type Operator interface {
	// Push processes a chunk arriving on input port `input` (0, or 1 for the
	// right side of joins and set operations), emitting to out.
	Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error
	// Barrier is called once the barrier has arrived on every input; the
	// operator flushes its pending output for the epoch and returns. The
	// runtime forwards the barrier afterwards.
	Barrier(ctx context.Context, b types.Barrier, out Emitter) error
}

// Emitter receives an operator's output.
type Emitter interface {
	Emit(ctx context.Context, c *types.Chunk) error
}

// Source is a leaf operator: it produces a bounded input (a snapshot) and has
// no input ports.
type Source interface {
	// Run emits every row of the source as inserts, in chunks of at most
	// types.ChunkCapacity rows.
	Run(ctx context.Context, out Emitter) error
}

// chunkBuilder accumulates output changes and emits full chunks. Rows are
// carved out of a per-chunk slab so that building a row costs no allocation
// of its own; a new slab is started after every emit because receivers may
// keep the rows.
type chunkBuilder struct {
	chunk types.Chunk
	slab  []types.Datum
	width int
	// reuse is set when no receiver keeps the rows: the slab is then
	// recycled after every emit instead of replaced.
	reuse bool
	base  []types.Datum
	// next is the number of rows of the next slab: slabs grow from 8 rows
	// to a chunk's capacity, so that a point lookup's one row does not
	// cost a chunk-sized slab (over 0.5 MB for 10 columns).
	next int
}

func newChunkBuilder(width int) *chunkBuilder {
	return &chunkBuilder{width: width}
}

// newRow returns a zeroed row of the builder's width; the caller fills it and
// passes it to add.
func (b *chunkBuilder) newRow() types.Row {
	if b.width == 0 {
		return types.Row{}
	}
	if len(b.slab) < b.width {
		// An update pair may take the chunk one row past its capacity.
		n := max(b.next, 8)
		b.next = min(2*n, types.ChunkCapacity+1)
		b.slab = make([]types.Datum, b.width*n)
		if b.reuse {
			b.base = b.slab
		}
	}
	r := b.slab[:b.width:b.width]
	b.slab = b.slab[b.width:]
	return r
}

// add appends one change and emits the chunk when it is full.
func (b *chunkBuilder) add(ctx context.Context, op types.Op, r types.Row, out Emitter) error {
	b.chunk.Append(op, r)
	// Never split an update pair across chunks.
	if b.chunk.Len() >= types.ChunkCapacity && op != types.UpdateDelete {
		return b.flush(ctx, out)
	}
	return nil
}

// flush emits the pending changes, if any.
func (b *chunkBuilder) flush(ctx context.Context, out Emitter) error {
	if b.chunk.Len() == 0 {
		return nil
	}
	err := out.Emit(ctx, &b.chunk)
	b.chunk.Reset()
	if b.reuse && b.base != nil {
		clear(b.base[:len(b.base)-len(b.slab)])
		b.slab = b.base
	}
	return err
}

// sign is +1 for ops that add their row and -1 for ops that remove it.
func sign(op types.Op) int {
	if op.IsInsert() {
		return 1
	}
	return -1
}

// fixUpdatePairs rewrites update halves whose partner was dropped (by a
// filter, say) into plain deletes and inserts, so that every U- in c is
// immediately followed by its U+.
func fixUpdatePairs(c *types.Chunk) {
	n := c.Len()
	for i := 0; i < n; i++ {
		switch c.Ops[i] {
		case types.UpdateDelete:
			if i+1 < n && c.Ops[i+1] == types.UpdateInsert {
				i++
				continue
			}
			c.Ops[i] = types.Delete
		case types.UpdateInsert:
			c.Ops[i] = types.Insert
		}
	}
}

// checkCancel returns the 57014 error when ctx is done.
func checkCancel(ctx context.Context) error {
	if ctx.Err() != nil {
		return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
	}
	return nil
}
