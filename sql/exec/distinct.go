package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// distinct removes duplicates by counting each row: a row is emitted when
// its count goes from 0 to 1 and retracted when it returns to 0.
//
// DISTINCT ON (batch only) keeps the first row per key in input order, which
// is the order of the Sort below it.
type distinct struct {
	on     []int
	counts keyedState[*int64]
	slab   []int64
	keyBuf []byte
	out    types.Chunk
}

func newDistinct(n *planner.Distinct) *distinct {
	d := &distinct{counts: newMemState[*int64]()}
	if len(n.On) > 0 {
		d.on = n.On
	}
	return d
}

func (d *distinct) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	d.out.Reset()
	for i, r := range c.Rows {
		if d.on != nil {
			if !c.Ops[i].IsInsert() {
				return types.Unsupported("retractions into DISTINCT ON")
			}
			d.keyBuf, _ = appendColsKey(d.keyBuf[:0], r, d.on)
		} else {
			d.keyBuf = appendRowKey(d.keyBuf[:0], r)
		}
		n, seen := d.counts.Get(d.keyBuf)
		if !seen {
			if !c.Ops[i].IsInsert() {
				// Deleting a row that is not there: ignore it rather than
				// go negative.
				continue
			}
			n = take(&d.slab)
			*n = 0
			d.counts.Put(string(d.keyBuf), n)
		}
		if d.on != nil {
			if !seen {
				*n = 1
				d.out.Append(types.Insert, r)
			}
			continue
		}
		if c.Ops[i].IsInsert() {
			if *n == 0 {
				d.out.Append(types.Insert, r)
			}
			*n++
			continue
		}
		*n--
		if *n == 0 {
			d.counts.Delete(d.keyBuf)
			d.out.Append(types.Delete, r)
		}
	}
	if d.out.Len() == 0 {
		return nil
	}
	return out.Emit(ctx, &d.out)
}

func (d *distinct) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
