package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// limit passes Count rows after skipping Offset (LIMIT without ORDER BY:
// which rows is unspecified, so they stream through). Once it has all its
// rows it returns errLimitReached, which stops the producers below it. A
// LIMIT over a Sort is built as a top-N sortOp instead.
type limit struct {
	count   int64 // -1: no limit
	offset  int64
	skipped int64
	passed  int64
	out     types.Chunk
}

func newLimit(count, offset int64) *limit { return &limit{count: count, offset: offset} }

// limitValues evaluates a Limit's count and offset (constants or
// parameters). A NULL count means no limit.
func limitValues(ec *evalCtx, n *planner.Limit) (count, offset int64, err error) {
	count = -1
	if n.Count != nil {
		d, err := evalConstInt(ec, n.Count)
		if err != nil {
			return 0, 0, err
		}
		if !d.IsNull() {
			if d.Int() < 0 {
				return 0, 0, types.Errorf(types.CodeInvalidRowCountInLimit, "LIMIT must not be negative")
			}
			count = d.Int()
		}
	}
	if n.Offset != nil {
		d, err := evalConstInt(ec, n.Offset)
		if err != nil {
			return 0, 0, err
		}
		if !d.IsNull() {
			if d.Int() < 0 {
				return 0, 0, types.Errorf(types.CodeInvalidRowCountInOffset, "OFFSET must not be negative")
			}
			offset = d.Int()
		}
	}
	return count, offset, nil
}

// evalConstInt evaluates a row-independent expression to an integer datum
// (or NULL).
func evalConstInt(ec *evalCtx, e planner.Expr) (types.Datum, error) {
	fn, err := ec.compile(e)
	if err != nil {
		return types.Null, err
	}
	d, err := fn(ec, nil)
	if err != nil || d.IsNull() {
		return d, err
	}
	switch d.K {
	case types.KInt:
		return d, nil
	case types.KFloat:
		return types.DInt(int64(d.Float() + 0.5)), nil
	case types.KDecimal:
		i, err := d.Decimal().Int64()
		if err != nil {
			return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "bigint out of range")
		}
		return types.DInt(i), nil
	}
	return types.Null, types.Errorf(types.CodeDatatypeMismatch, "argument of LIMIT must be type bigint")
}

func (l *limit) Push(ctx context.Context, _ int, c *types.Chunk, out Emitter) error {
	if l.count >= 0 && l.passed >= l.count {
		return errLimitReached
	}
	l.out.Reset()
	done := false
	for i, r := range c.Rows {
		if !c.Ops[i].IsInsert() {
			return types.Unsupported("retractions into LIMIT")
		}
		if l.skipped < l.offset {
			l.skipped++
			continue
		}
		l.out.Append(types.Insert, r)
		l.passed++
		if l.count >= 0 && l.passed >= l.count {
			done = true
			break
		}
	}
	if l.out.Len() > 0 {
		if err := out.Emit(ctx, &l.out); err != nil {
			return err
		}
	}
	if done {
		return errLimitReached
	}
	return nil
}

func (l *limit) Barrier(context.Context, types.Barrier, Emitter) error { return nil }
