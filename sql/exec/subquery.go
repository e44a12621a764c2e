package exec

import (
	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// errFound stops a sub-plan once EXISTS has its answer.
var errFound = errors.New("exists: found a row")

// compileSubquery compiles a subquery expression. An uncorrelated subquery
// runs once per statement (its rows are cached in the evalCtx); a correlated
// one runs per outer row, with the row pushed on the outer stack for the
// OuterRefs of the sub-plan. The pushed row is the input row of the node
// evaluating the Subquery expression.
func compileSubquery(e *planner.Subquery) (evalFn, error) {
	var test evalFn
	if e.Kind == planner.SubqueryAny || e.Kind == planner.SubqueryAll {
		if e.Test == nil {
			return nil, errors.AssertionFailedf("ANY/ALL subquery without a test expression")
		}
		var err error
		if test, err = compileExpr(e.Test); err != nil {
			return nil, err
		}
	}
	// rows returns the subquery's rows; limit > 0 stops after that many
	// (a scalar subquery needs two to fail, EXISTS one). The cache of an
	// uncorrelated subquery holds what its one kind of use needs.
	rows := func(ec *evalCtx, row types.Row, limit int) ([]types.Row, error) {
		if !e.Correlated {
			if rs, ok := ec.subqueries[e]; ok {
				return rs, nil
			}
		} else {
			ec.outer = append(ec.outer, row)
			defer func() { ec.outer = ec.outer[:len(ec.outer)-1] }()
		}
		var rs []types.Row
		err := runPlan(ec, e.Plan, func(r types.Row) error {
			rs = append(rs, r.Copy())
			if limit > 0 && len(rs) >= limit {
				return errFound
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFound) {
			return nil, err
		}
		if !e.Correlated {
			if ec.subqueries == nil {
				ec.subqueries = make(map[*planner.Subquery][]types.Row)
			}
			ec.subqueries[e] = rs
		}
		return rs, nil
	}
	switch e.Kind {
	case planner.SubqueryScalar:
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			rs, err := rows(ec, row, 2)
			if err != nil {
				return types.Null, err
			}
			switch len(rs) {
			case 0:
				return types.Null, nil
			case 1:
				return firstCol(rs[0]), nil
			}
			return types.Null, types.Errorf(types.CodeCardinalityViolation, "more than one row returned by a subquery used as an expression")
		}, nil
	case planner.SubqueryExists:
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			rs, err := rows(ec, row, 1)
			if err != nil {
				return types.Null, err
			}
			return types.DBool(len(rs) > 0), nil
		}, nil
	case planner.SubqueryAny, planner.SubqueryAll:
		all := e.Kind == planner.SubqueryAll
		// "x IN (uncorrelated subquery)" probes a hash set of the values
		// instead of comparing with each: equal values have equal key
		// encodings (both sides have the type the planner coerced them to).
		hashed := !all && !e.Correlated && e.Cmp != nil && e.Cmp.Name == "=" && hashableIn(e)
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			td, err := test(ec, row)
			if err != nil {
				return td, err
			}
			rs, err := rows(ec, row, 0)
			if err != nil {
				return types.Null, err
			}
			if hashed {
				return ec.inSet(e, rs, td), nil
			}
			base := len(ec.stack)
			for _, r := range rs {
				ec.stack = append(ec.stack, firstCol(r))
			}
			vals := ec.stack[base:]
			d, err := quantified(ec, e.Cmp, all, td, vals)
			ec.stack = ec.stack[:base]
			return d, err
		}, nil
	case planner.SubqueryArray:
		elem := e.Typ.Elem
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			rs, err := rows(ec, row, 0)
			if err != nil {
				return types.Null, err
			}
			vals := make([]types.Datum, len(rs))
			for i, r := range rs {
				vals[i] = firstCol(r)
			}
			return buildArray(elem, vals)
		}, nil
	}
	return nil, types.Unsupported("this kind of subquery")
}

// hashableIn reports whether "= ANY" over the subquery can use a hash set:
// both sides of one family whose equality is equality of key encodings
// (not floats, with -0 and NaN, nor intervals, whose equality compares
// spans).
func hashableIn(e *planner.Subquery) bool {
	cols := e.Plan.Columns()
	if len(cols) == 0 || e.Test.Type() == nil || cols[0].Type == nil {
		return false
	}
	l, r := e.Test.Type().Family, cols[0].Type.Family
	if l != r {
		return false
	}
	switch l {
	case types.IntFamily, types.NumericFamily, types.StringFamily, types.BoolFamily, types.BytesFamily,
		types.DateFamily, types.TimestampFamily, types.TimestampTZFamily, types.UUIDFamily:
		return true
	}
	return false
}

// valueSet is the hashed first column of an uncorrelated IN subquery.
type valueSet struct {
	keys    map[string]struct{}
	hasNull bool
	empty   bool
}

// inSet evaluates "test = ANY (rows)" with SQL NULL semantics through the
// subquery's hash set, building it on first use.
func (ec *evalCtx) inSet(e *planner.Subquery, rs []types.Row, test types.Datum) types.Datum {
	set := ec.subquerySets[e]
	if set == nil {
		set = &valueSet{keys: make(map[string]struct{}, len(rs)), empty: len(rs) == 0}
		var buf []byte
		for _, r := range rs {
			d := firstCol(r)
			if d.IsNull() {
				set.hasNull = true
				continue
			}
			buf = types.AppendKey(buf[:0], d, false)
			set.keys[string(buf)] = struct{}{}
		}
		if ec.subquerySets == nil {
			ec.subquerySets = make(map[*planner.Subquery]*valueSet)
		}
		ec.subquerySets[e] = set
	}
	switch {
	case set.empty:
		return types.DBool(false)
	case test.IsNull():
		return types.Null
	}
	ec.keyBuf = types.AppendKey(ec.keyBuf[:0], test, false)
	if _, ok := set.keys[string(ec.keyBuf)]; ok {
		return types.DBool(true)
	}
	if set.hasNull {
		return types.Null
	}
	return types.DBool(false)
}

func firstCol(r types.Row) types.Datum {
	if len(r) == 0 {
		return types.Null
	}
	return r[0]
}
