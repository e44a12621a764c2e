package exec

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// evalFn is a compiled expression: it evaluates over one input row.
type evalFn func(ec *evalCtx, row types.Row) (types.Datum, error)

// evalCtx is the per-statement evaluation state shared by every expression
// and operator of one Run (sub-plans of subqueries included). It is not safe
// for concurrent use.
type evalCtx struct {
	ctx  context.Context
	env  *Env
	bctx *builtins.Context
	// outer is the stack of rows of enclosing queries: a correlated subquery
	// pushes the row it is evaluated for, and OuterRef{Depth: d} reads
	// outer[len(outer)-d].
	outer []types.Row
	// stack holds function arguments while they are evaluated, so that a call
	// needs no allocation and nested (reentrant) calls do not clash.
	stack []types.Datum
	// subqueries caches the rows of uncorrelated subqueries: they run once per
	// statement.
	subqueries map[*planner.Subquery][]types.Row
	// subquerySets are the hash sets of uncorrelated IN subqueries.
	subquerySets map[*planner.Subquery]*valueSet
	keyBuf       []byte
	// appendOnly is set for one-shot queries, whose inputs are snapshots
	// (inserts only): stateful operators may then skip the bookkeeping that
	// only retractions need (the MIN/MAX value multisets).
	appendOnly bool
	// compiled caches compiled expressions so that re-running a correlated
	// sub-plan per outer row does not recompile it.
	compiled map[planner.Expr]evalFn
	// workTables holds the current step of each running recursive CTE.
	workTables map[*planner.WorkTable][]types.Row
	// memo holds the values of the repeated sub-expressions of the
	// expressions being evaluated (see exprCompiler); memoBase is where
	// the innermost one's slots start.
	memo     []memoSlot
	memoBase int
}

// memoSlot is the value of one repeated sub-expression for the current
// row, once computed.
type memoSlot struct {
	set bool
	v   types.Datum
}

func newEvalCtx(ctx context.Context, env *Env) *evalCtx {
	if env == nil {
		env = &Env{}
	}
	bctx := env.Eval
	if bctx == nil {
		bctx = &builtins.Context{StmtTime: time.Now(), Location: time.UTC}
	}
	if bctx.Ctx == nil {
		bctx.Ctx = ctx
	}
	return &evalCtx{ctx: ctx, env: env, bctx: bctx}
}

// compile compiles e, reusing an earlier compilation of the same node.
func (ec *evalCtx) compile(e planner.Expr) (evalFn, error) {
	if fn, ok := ec.compiled[e]; ok {
		return fn, nil
	}
	fn, err := compileExpr(e)
	if err != nil {
		return nil, err
	}
	if ec.compiled == nil {
		ec.compiled = make(map[planner.Expr]evalFn)
	}
	ec.compiled[e] = fn
	return fn, nil
}

func (ec *evalCtx) compileAll(es []planner.Expr) ([]evalFn, error) {
	fns := make([]evalFn, len(es))
	for i, e := range es {
		fn, err := ec.compile(e)
		if err != nil {
			return nil, err
		}
		fns[i] = fn
	}
	return fns, nil
}

// Compiled is an expression compiled to closures, ready to be evaluated over
// rows. It is safe for concurrent use.
//
// The rows of uncorrelated subqueries are kept between calls made with the
// same *Env (one statement): like Postgres' init plans they run once per
// statement, which also keeps an UPDATE's SET from seeing the rows the
// statement itself already wrote.
type Compiled struct {
	fn evalFn

	mu           sync.Mutex
	env          *Env
	subqueries   map[*planner.Subquery][]types.Row
	subquerySets map[*planner.Subquery]*valueSet
}

// Compile compiles an expression.
func Compile(e planner.Expr) (*Compiled, error) {
	fn, err := compileExpr(e)
	if err != nil {
		return nil, err
	}
	return &Compiled{fn: fn}, nil
}

// Eval evaluates the expression over row (nil when it references no column).
func (c *Compiled) Eval(ctx context.Context, env *Env, row types.Row) (types.Datum, error) {
	ec := newEvalCtx(ctx, env)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.env != env {
		c.env, c.subqueries, c.subquerySets = env, nil, nil
	}
	ec.subqueries, ec.subquerySets = c.subqueries, c.subquerySets
	d, err := c.fn(ec, row)
	c.subqueries, c.subquerySets = ec.subqueries, ec.subquerySets
	return d, err
}

func isTrue(d types.Datum) bool { return d.K == types.KBool && d.I != 0 }

// callBinary calls a two-argument overload with strict NULL handling.
func callBinary(ec *evalCtx, fn *builtins.Overload, l, r types.Datum) (types.Datum, error) {
	if !fn.CalledOnNull && (l.IsNull() || r.IsNull()) {
		return types.Null, nil
	}
	base := len(ec.stack)
	ec.stack = append(ec.stack, l, r)
	d, err := fn.Fn(ec.bctx, ec.stack[base:base+2])
	ec.stack = ec.stack[:base]
	return d, err
}

// equalVia compares with an equality overload, or with types.Compare when
// the planner gave none. The result is NULL when either side is NULL.
func equalVia(ec *evalCtx, eq *builtins.Overload, l, r types.Datum) (types.Datum, error) {
	if eq != nil && eq.Fn != nil {
		return callBinary(ec, eq, l, r)
	}
	if l.IsNull() || r.IsNull() {
		return types.Null, nil
	}
	return types.DBool(types.Compare(l, r) == 0), nil
}

// compileExpr compiles an expression to a closure over one row.
//
// A sub-expression that occurs more than once (q14's 0.908 * price in
// "0.908 * price > 1000000 AND 0.908 * price < 50000000", extract(hour
// FROM date_time) in four CASE branches) is computed at most once per
// row: its occurrences share a memo slot, filled the first time one of
// them is evaluated (so CASE and AND still evaluate lazily) and cleared
// for the next row. Only calls and casts over columns, constants and
// parameters of non-volatile functions are shared; an error is never
// memoised, so the next occurrence reports it again.
func compileExpr(e planner.Expr) (evalFn, error) {
	c := &exprCompiler{}
	c.findRepeats(e)
	fn, err := c.node(e)
	if err != nil || c.nslots == 0 {
		return fn, err
	}
	n := c.nslots
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		saved, base := ec.memoBase, len(ec.memo)
		ec.memo = slices.Grow(ec.memo, n)[:base+n]
		clear(ec.memo[base:])
		ec.memoBase = base
		d, err := fn(ec, row)
		clear(ec.memo[base:])
		ec.memo, ec.memoBase = ec.memo[:base], saved
		return d, err
	}, nil
}

// exprCompiler compiles one expression tree.
type exprCompiler struct {
	// slots maps each occurrence of a repeated sub-expression to its memo
	// slot; inMemo marks the occurrences whose memo wrapper is being built.
	slots  map[planner.Expr]int
	inMemo map[planner.Expr]bool
	nslots int
}

// maxRepeatCandidates bounds the pairwise search for repeated
// sub-expressions (generated SQL can have huge expressions).
const maxRepeatCandidates = 64

// findRepeats assigns memo slots to the sub-expressions of e that occur
// more than once.
func (c *exprCompiler) findRepeats(e planner.Expr) {
	var cands []planner.Expr
	var walk func(planner.Expr)
	walk = func(x planner.Expr) {
		if len(cands) > maxRepeatCandidates {
			return
		}
		switch x := x.(type) {
		case *planner.Func:
			if shareable(x) {
				cands = append(cands, x)
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *planner.Cast:
			if shareable(x) {
				cands = append(cands, x)
			}
			walk(x.Arg)
		case *planner.And:
			for _, a := range x.Args {
				walk(a)
			}
		case *planner.Or:
			for _, a := range x.Args {
				walk(a)
			}
		case *planner.Not:
			walk(x.Arg)
		case *planner.IsNull:
			walk(x.Arg)
		case *planner.IsBool:
			walk(x.Arg)
		case *planner.Case:
			for _, w := range x.Whens {
				walk(w.Cond)
				walk(w.Result)
			}
			if x.Else != nil {
				walk(x.Else)
			}
		case *planner.Coalesce:
			for _, a := range x.Args {
				walk(a)
			}
		case *planner.InList:
			walk(x.Arg)
			for _, a := range x.List {
				walk(a)
			}
		case *planner.Subscript:
			walk(x.Arg)
		}
	}
	walk(e)
	if len(cands) < 2 || len(cands) > maxRepeatCandidates {
		return
	}
	for i, a := range cands {
		if _, done := c.slots[a]; done {
			continue
		}
		slot := -1
		for _, b := range cands[i+1:] {
			if _, done := c.slots[b]; done || !reflect.DeepEqual(a, b) {
				continue
			}
			if slot < 0 {
				slot = c.nslots
				c.nslots++
				if c.slots == nil {
					c.slots = map[planner.Expr]int{}
					c.inMemo = map[planner.Expr]bool{}
				}
				c.slots[a] = slot
			}
			c.slots[b] = slot
		}
	}
}

// shareable reports whether x may be computed once per row for all its
// occurrences: a call or cast, not volatile, over columns, constants and
// parameters only.
func shareable(x planner.Expr) bool {
	switch x := x.(type) {
	case *planner.ColRef, *planner.Const, *planner.Param:
		return true
	case *planner.Cast:
		return shareable(x.Arg)
	case *planner.Func:
		if x.Fn == nil || x.Fn.Volatility == builtins.Volatile || x.Fn.SetReturning {
			return false
		}
		for _, a := range x.Args {
			if !shareable(a) {
				return false
			}
		}
		return true
	}
	return false
}

// memoized compiles an occurrence of a repeated sub-expression: it reads
// the row's memo slot, or computes and fills it.
func (c *exprCompiler) memoized(e planner.Expr, slot int) (evalFn, error) {
	c.inMemo[e] = true
	inner, err := c.node(e)
	delete(c.inMemo, e)
	if err != nil {
		return nil, err
	}
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		m := &ec.memo[ec.memoBase+slot]
		if m.set {
			return m.v, nil
		}
		d, err := inner(ec, row)
		if err == nil {
			// inner may have evaluated a nested expression that grew
			// ec.memo: take the slot again.
			m = &ec.memo[ec.memoBase+slot]
			m.v, m.set = d, true
		}
		return d, err
	}, nil
}

func (c *exprCompiler) node(e planner.Expr) (evalFn, error) {
	if slot, ok := c.slots[e]; ok && !c.inMemo[e] {
		return c.memoized(e, slot)
	}
	switch e := e.(type) {
	case *planner.Const:
		v := e.Value
		return func(*evalCtx, types.Row) (types.Datum, error) { return v, nil }, nil

	case *planner.ColRef:
		idx := e.Idx
		return func(_ *evalCtx, row types.Row) (types.Datum, error) {
			if idx >= len(row) {
				return types.Null, errors.AssertionFailedf("column %d out of range of a row of %d", idx, len(row))
			}
			return row[idx], nil
		}, nil

	case *planner.OuterRef:
		depth, idx := e.Depth, e.Idx
		return func(ec *evalCtx, _ types.Row) (types.Datum, error) {
			i := len(ec.outer) - depth
			if i < 0 || depth <= 0 || idx >= len(ec.outer[i]) {
				return types.Null, errors.AssertionFailedf("outer reference (%d, %d) out of range", depth, idx)
			}
			return ec.outer[i][idx], nil
		}, nil

	case *planner.Param:
		idx := e.Idx
		return func(ec *evalCtx, _ types.Row) (types.Datum, error) {
			if idx < 0 || idx >= len(ec.env.Params) {
				return types.Null, types.Errorf(types.CodeUndefinedParameter, "there is no parameter $%d", idx+1)
			}
			return ec.env.Params[idx], nil
		}, nil

	case *planner.Func:
		return c.fn(e)

	case *planner.Cast:
		arg, err := c.node(e.Arg)
		if err != nil {
			return nil, err
		}
		from, to, explicit := e.Arg.Type(), e.Typ, e.Explicit
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			d, err := arg(ec, row)
			if err != nil || d.IsNull() {
				return d, err
			}
			if explicit {
				return builtins.CastValue(ec.bctx, d, from, to, true)
			}
			return castDatum(ec.bctx, d, from, to)
		}, nil

	case *planner.And:
		args, err := c.list(e.Args)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			sawNull := false
			for _, a := range args {
				d, err := a(ec, row)
				if err != nil {
					return d, err
				}
				if d.IsNull() {
					sawNull = true
				} else if !d.Bool() {
					return types.DBool(false), nil
				}
			}
			if sawNull {
				return types.Null, nil
			}
			return types.DBool(true), nil
		}, nil

	case *planner.Or:
		args, err := c.list(e.Args)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			sawNull := false
			for _, a := range args {
				d, err := a(ec, row)
				if err != nil {
					return d, err
				}
				if d.IsNull() {
					sawNull = true
				} else if d.Bool() {
					return types.DBool(true), nil
				}
			}
			if sawNull {
				return types.Null, nil
			}
			return types.DBool(false), nil
		}, nil

	case *planner.Not:
		arg, err := c.node(e.Arg)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			d, err := arg(ec, row)
			if err != nil || d.IsNull() {
				return d, err
			}
			return types.DBool(!d.Bool()), nil
		}, nil

	case *planner.IsNull:
		arg, err := c.node(e.Arg)
		if err != nil {
			return nil, err
		}
		negate := e.Negate
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			d, err := arg(ec, row)
			if err != nil {
				return d, err
			}
			return types.DBool(d.IsNull() != negate), nil
		}, nil

	case *planner.IsBool:
		arg, err := c.node(e.Arg)
		if err != nil {
			return nil, err
		}
		want, negate := e.Want, e.Negate
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			d, err := arg(ec, row)
			if err != nil {
				return d, err
			}
			var is bool
			switch {
			case want.IsNull():
				is = d.IsNull()
			case d.IsNull():
				is = false
			default:
				is = d.Bool() == want.Bool()
			}
			return types.DBool(is != negate), nil
		}, nil

	case *planner.IsDistinct:
		l, r, err := c.pair(e.L, e.R)
		if err != nil {
			return nil, err
		}
		eq, negate := e.Eq, e.Negate
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			ld, err := l(ec, row)
			if err != nil {
				return ld, err
			}
			rd, err := r(ec, row)
			if err != nil {
				return rd, err
			}
			var distinct bool
			switch {
			case ld.IsNull() && rd.IsNull():
				distinct = false
			case ld.IsNull() || rd.IsNull():
				distinct = true
			default:
				d, err := equalVia(ec, eq, ld, rd)
				if err != nil {
					return d, err
				}
				distinct = !isTrue(d)
			}
			return types.DBool(distinct != negate), nil
		}, nil

	case *planner.Case:
		conds := make([]evalFn, len(e.Whens))
		results := make([]evalFn, len(e.Whens))
		for i, w := range e.Whens {
			var err error
			if conds[i], err = c.node(w.Cond); err != nil {
				return nil, err
			}
			if results[i], err = c.node(w.Result); err != nil {
				return nil, err
			}
		}
		var elseFn evalFn
		if e.Else != nil {
			var err error
			if elseFn, err = c.node(e.Else); err != nil {
				return nil, err
			}
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			for i, c := range conds {
				d, err := c(ec, row)
				if err != nil {
					return d, err
				}
				if isTrue(d) {
					return results[i](ec, row)
				}
			}
			if elseFn == nil {
				return types.Null, nil
			}
			return elseFn(ec, row)
		}, nil

	case *planner.Coalesce:
		args, err := c.list(e.Args)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			for _, a := range args {
				d, err := a(ec, row)
				if err != nil || !d.IsNull() {
					return d, err
				}
			}
			return types.Null, nil
		}, nil

	case *planner.NullIf:
		l, r, err := c.pair(e.L, e.R)
		if err != nil {
			return nil, err
		}
		eq := e.Eq
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			ld, err := l(ec, row)
			if err != nil {
				return ld, err
			}
			rd, err := r(ec, row)
			if err != nil {
				return rd, err
			}
			d, err := equalVia(ec, eq, ld, rd)
			if err != nil {
				return d, err
			}
			if isTrue(d) {
				return types.Null, nil
			}
			return ld, nil
		}, nil

	case *planner.MinMax:
		args, err := c.list(e.Args)
		if err != nil {
			return nil, err
		}
		least := e.Least
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			best := types.Null
			for _, a := range args {
				d, err := a(ec, row)
				if err != nil {
					return d, err
				}
				if d.IsNull() {
					continue
				}
				if best.IsNull() {
					best = d
					continue
				}
				c := types.Compare(d, best)
				if (least && c < 0) || (!least && c > 0) {
					best = d
				}
			}
			return best, nil
		}, nil

	case *planner.InList:
		arg, err := c.node(e.Arg)
		if err != nil {
			return nil, err
		}
		list, err := c.list(e.List)
		if err != nil {
			return nil, err
		}
		eq, negate := e.Eq, e.Negate
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			ad, err := arg(ec, row)
			if err != nil {
				return ad, err
			}
			if ad.IsNull() {
				return types.Null, nil
			}
			sawNull := false
			for _, l := range list {
				ld, err := l(ec, row)
				if err != nil {
					return ld, err
				}
				d, err := equalVia(ec, eq, ad, ld)
				if err != nil {
					return d, err
				}
				if d.IsNull() {
					sawNull = true
				} else if d.Bool() {
					return types.DBool(!negate), nil
				}
			}
			if sawNull {
				return types.Null, nil
			}
			return types.DBool(negate), nil
		}, nil

	case *planner.AnyAll:
		l, r, err := c.pair(e.L, e.R)
		if err != nil {
			return nil, err
		}
		op, all := e.Op, e.All
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			ld, err := l(ec, row)
			if err != nil {
				return ld, err
			}
			rd, err := r(ec, row)
			if err != nil || rd.IsNull() {
				return types.Null, err
			}
			return quantified(ec, op, all, ld, rd.Array().Elems)
		}, nil

	case *planner.ArrayCtor:
		elems, err := c.list(e.Elems)
		if err != nil {
			return nil, err
		}
		typ := e.Typ
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			vals := make([]types.Datum, len(elems))
			for i, el := range elems {
				d, err := el(ec, row)
				if err != nil {
					return d, err
				}
				vals[i] = d
			}
			return buildArray(typ.Elem, vals)
		}, nil

	case *planner.Subscript:
		return c.subscript(e)

	case *planner.Subquery:
		return compileSubquery(e)
	}
	return nil, types.Unsupported(fmt.Sprintf("expression %T", e))
}

func (c *exprCompiler) list(es []planner.Expr) ([]evalFn, error) {
	fns := make([]evalFn, len(es))
	for i, e := range es {
		fn, err := c.node(e)
		if err != nil {
			return nil, err
		}
		fns[i] = fn
	}
	return fns, nil
}

func (c *exprCompiler) fn(e *planner.Func) (evalFn, error) {
	fn := e.Fn
	if fn == nil || fn.Fn == nil {
		name := "function"
		if fn != nil {
			name = "function " + fn.Name + " in this position"
		}
		return nil, types.Unsupported(name)
	}
	argExprs := e.Args
	if fn.IntAsNumeric {
		argExprs = skipIntToNumericCasts(argExprs)
	}
	args, err := c.list(argExprs)
	if err != nil {
		return nil, err
	}
	if v, ok := foldConstantCall(fn, argExprs); ok {
		return func(*evalCtx, types.Row) (types.Datum, error) { return v, nil }, nil
	}
	strict := !fn.CalledOnNull
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		base, sawNull, err := pushArgs(ec, row, args)
		if err != nil {
			return types.Null, err
		}
		if strict && sawNull {
			ec.stack = ec.stack[:base]
			return types.Null, nil
		}
		d, err := fn.Fn(ec.bctx, ec.stack[base:base+len(args)])
		ec.stack = ec.stack[:base]
		return d, err
	}, nil
}

// skipIntToNumericCasts drops the casts of integer arguments to plain
// numeric, for a function that reads integers as numerics itself
// (Overload.IntAsNumeric): the cast would allocate a decimal per row only
// for the function to read it once.
func skipIntToNumericCasts(es []planner.Expr) []planner.Expr {
	var out []planner.Expr
	for i, a := range es {
		c, ok := a.(*planner.Cast)
		if !ok || c.Typ.Family != types.NumericFamily || c.Typ.Typmod >= 0 {
			continue
		}
		if from := c.Arg.Type(); from == nil || from.Family != types.IntFamily || from.Width == 0 {
			continue
		}
		if out == nil {
			out = append([]planner.Expr(nil), es...)
		}
		out[i] = c.Arg
	}
	if out == nil {
		return es
	}
	return out
}

// foldConstantCall evaluates, once at compile time, a call of an immutable
// function whose arguments are all constants ('a' || 'b', 2 * 3): the row
// loop then returns the value. A call that fails is not folded, so its
// error still surfaces per row, where a view turns it into NULL. Only calls
// whose argument and result types read nothing from the session are folded:
// a date or time printed as text depends on DateStyle and TimeZone, and an
// OID-like type on the catalog, whatever the function's volatility says.
func foldConstantCall(fn *builtins.Overload, args []planner.Expr) (v types.Datum, folded bool) {
	if fn.Volatility != builtins.Immutable || fn.SetReturning || len(args) == 0 || !sessionFree(fn.Ret) {
		return types.Null, false
	}
	for _, a := range args {
		if !sessionFree(a.Type()) {
			return types.Null, false
		}
	}
	vals := make([]types.Datum, len(args))
	sawNull := false
	for i, a := range args {
		c, ok := a.(*planner.Const)
		if !ok {
			return types.Null, false
		}
		vals[i] = c.Value
		sawNull = sawNull || c.Value.IsNull()
	}
	if sawNull && !fn.CalledOnNull {
		return types.Null, true
	}
	// The folding context has no session and no catalog: a function that
	// wants them despite being labelled immutable is left unfolded.
	defer func() {
		if recover() != nil {
			v, folded = types.Null, false
		}
	}()
	v, err := fn.Fn(&builtins.Context{StmtTime: time.Unix(0, 0), Location: time.UTC}, vals)
	if err != nil {
		return types.Null, false
	}
	return v, true
}

// sessionFree reports whether values of t mean the same in every session:
// no date or time (text forms follow DateStyle and TimeZone) and no
// OID-like type (resolved against the catalog).
func sessionFree(t *types.T) bool {
	if t == nil {
		return false
	}
	switch t.Family {
	case types.BoolFamily, types.FloatFamily, types.NumericFamily, types.StringFamily,
		types.BytesFamily, types.JSONFamily, types.UUIDFamily:
		return true
	case types.IntFamily:
		return t.Oid == types.OidInt2 || t.Oid == types.OidInt4 || t.Oid == types.OidInt8
	case types.ArrayFamily:
		return sessionFree(t.Elem)
	}
	return false
}

// quantified evaluates "l op ANY|ALL (elems)" with SQL NULL semantics.
func quantified(ec *evalCtx, op *builtins.Overload, all bool, l types.Datum, elems []types.Datum) (types.Datum, error) {
	if len(elems) == 0 {
		return types.DBool(all), nil
	}
	sawNull := false
	for _, el := range elems {
		d, err := equalVia(ec, op, l, el)
		if err != nil {
			return d, err
		}
		switch {
		case d.IsNull():
			sawNull = true
		case all && !d.Bool():
			return types.DBool(false), nil
		case !all && d.Bool():
			return types.DBool(true), nil
		}
	}
	if sawNull {
		return types.Null, nil
	}
	return types.DBool(all), nil
}

// buildArray makes an array datum of the given element type. When the
// elements are themselves arrays (ARRAY[ARRAY[1,2], ARRAY[3,4]]) the result
// has one more dimension; they must then all have the same dimensions.
func buildArray(elem *types.T, vals []types.Datum) (types.Datum, error) {
	if len(vals) > 0 && vals[0].K == types.KArray {
		first := vals[0].Array()
		var elems []types.Datum
		for _, v := range vals {
			if v.IsNull() || v.K != types.KArray {
				return types.Null, types.Errorf(types.CodeArraySubscriptError, "multidimensional arrays must have array expressions with matching dimensions")
			}
			a := v.Array()
			if !sameDims(a.Dims, first.Dims) {
				return types.Null, types.Errorf(types.CodeArraySubscriptError, "multidimensional arrays must have array expressions with matching dimensions")
			}
			elems = append(elems, a.Elems...)
		}
		if len(first.Dims) == 0 {
			return types.DArray(&types.Array{Elem: first.Elem}), nil
		}
		dims := append([]int{len(vals)}, first.Dims...)
		return types.DArray(&types.Array{Elem: first.Elem, Dims: dims, Elems: elems}), nil
	}
	a := &types.Array{Elem: elem, Elems: vals}
	if len(vals) > 0 {
		a.Dims = []int{len(vals)}
	}
	return types.DArray(a), nil
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (c *exprCompiler) subscript(e *planner.Subscript) (evalFn, error) {
	base := e.Arg
	for {
		s, ok := base.(*planner.Subscript)
		if !ok {
			break
		}
		base = s.Arg
	}
	if t := base.Type(); t != nil && t.Family != types.ArrayFamily {
		return nil, types.Unsupported("subscripting type " + t.String())
	}
	arg, err := c.node(e.Arg)
	if err != nil {
		return nil, err
	}
	opt := func(x planner.Expr) (evalFn, error) {
		if x == nil {
			return nil, nil
		}
		return c.node(x)
	}
	// int2vector and oidvector (pg_index.indkey, pg_proc.proargtypes) are
	// subscripted from 0.
	lower := int64(1)
	if t := base.Type(); t != nil && (t.Oid == types.OidInt2Vector || t.Oid == types.OidOidVector) {
		lower = 0
	}
	if !e.Slice {
		// a[i][j] arrives as nested subscripts: gather the chain so that a
		// multidimensional array gets one index per dimension.
		idxExprs := []planner.Expr{e.Index}
		inner := e.Arg
		for {
			s, ok := inner.(*planner.Subscript)
			if !ok || s.Slice {
				break
			}
			idxExprs = append([]planner.Expr{s.Index}, idxExprs...)
			inner = s.Arg
		}
		if len(idxExprs) > 1 {
			if arg, err = c.node(inner); err != nil {
				return nil, err
			}
		}
		if f, ok := e.Arg.(*planner.Func); ok && len(idxExprs) == 1 && lower == 1 && f.Fn != nil && f.Fn.Element != nil {
			if ic, ok := e.Index.(*planner.Const); ok && ic.Value.K == types.KInt {
				return c.elementCall(f, ic.Value.I)
			}
		}
		idxs, err := c.list(idxExprs)
		if err != nil {
			return nil, err
		}
		return func(ec *evalCtx, row types.Row) (types.Datum, error) {
			ad, err := arg(ec, row)
			if err != nil || ad.IsNull() {
				return types.Null, err
			}
			a := ad.Array()
			// Fewer subscripts than dimensions give NULL in Postgres.
			if len(a.Dims) != len(idxs) {
				return types.Null, nil
			}
			flat := int64(0)
			for k, idx := range idxs {
				id, err := idx(ec, row)
				if err != nil || id.IsNull() {
					return types.Null, err
				}
				i := id.Int() + 1 - lower
				if i < 1 || i > int64(a.Dims[k]) {
					return types.Null, nil
				}
				flat = flat*int64(a.Dims[k]) + i - 1
			}
			return a.Elems[flat], nil
		}, nil
	}
	lo, err := opt(e.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := opt(e.Hi)
	if err != nil {
		return nil, err
	}
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		ad, err := arg(ec, row)
		if err != nil || ad.IsNull() {
			return types.Null, err
		}
		a := ad.Array()
		if len(a.Dims) > 1 {
			return types.Null, types.Unsupported("slicing a multidimensional array")
		}
		from, to := int64(1), int64(len(a.Elems))
		if lo != nil {
			d, err := lo(ec, row)
			if err != nil || d.IsNull() {
				return types.Null, err
			}
			from = max(from, d.Int()+1-lower)
		}
		if hi != nil {
			d, err := hi(ec, row)
			if err != nil || d.IsNull() {
				return types.Null, err
			}
			to = min(to, d.Int()+1-lower)
		}
		if from > to {
			return types.DArray(&types.Array{Elem: a.Elem}), nil
		}
		elems := append([]types.Datum(nil), a.Elems[from-1:to]...)
		return types.DArray(&types.Array{Elem: a.Elem, Dims: []int{len(elems)}, Elems: elems}), nil
	}, nil
}

// pushArgs evaluates a call's arguments onto ec.stack from base (the
// stack spares a slice per call) and reports whether any was NULL. On an
// error the stack is back at base.
func pushArgs(ec *evalCtx, row types.Row, args []evalFn) (base int, sawNull bool, err error) {
	base = len(ec.stack)
	for _, a := range args {
		d, err := a(ec, row)
		if err != nil {
			ec.stack = ec.stack[:base]
			return base, false, err
		}
		sawNull = sawNull || d.IsNull()
		ec.stack = append(ec.stack, d)
	}
	return base, sawNull, nil
}

// compileElementCall compiles f(args)[index], index a constant, for a
// function that can compute one element without building its array
// (Overload.Element): (regexp_match(url, p))[2] then allocates no array
// per row.
func (c *exprCompiler) elementCall(f *planner.Func, index int64) (evalFn, error) {
	args, err := c.list(f.Args)
	if err != nil {
		return nil, err
	}
	o := f.Fn
	strict := !o.CalledOnNull
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		base, sawNull, err := pushArgs(ec, row, args)
		if err != nil {
			return types.Null, err
		}
		if strict && sawNull {
			ec.stack = ec.stack[:base]
			return types.Null, nil
		}
		d, err := o.Element(ec.bctx, ec.stack[base:base+len(args)], index)
		ec.stack = ec.stack[:base]
		return d, err
	}, nil
}

// compilePair compiles the two operands of a binary expression.
func (c *exprCompiler) pair(le, re planner.Expr) (l, r evalFn, err error) {
	if l, err = c.node(le); err != nil {
		return nil, nil, err
	}
	if r, err = c.node(re); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}
