package planner

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// orderExpr is a bound ORDER BY item before it becomes a column position.
type orderExpr struct {
	e          Expr
	desc       bool
	nullsFirst bool
}

// aggCall is an aggregate found in a select list, HAVING or ORDER BY, with
// its arguments bound over the FROM scope.
type aggCall struct {
	agg      *builtins.AggOverload
	args     []Expr
	distinct bool
	filter   Expr
	order    []orderExpr
}

// winCall is a window function call with its clauses bound over the scope
// the window runs on.
type winCall struct {
	win       *builtins.WindowOverload
	agg       *builtins.AggOverload
	args      []Expr
	filter    Expr
	partition []Expr
	order     []orderExpr
	frame     Frame
	typ       *types.T
}

// aggCollector gathers the aggregate and window calls of one query level.
type aggCollector struct {
	aggs    []aggCall
	aggTyps []*types.T
	wins    []winCall
	// windows are the named windows of the WINDOW clause.
	windows map[string]*pg_query.WindowDef
}

// aggRef stands for aggregate idx until the aggregation stage maps it to a
// column of the Aggregate node's output.
type aggRef struct {
	idx int
	typ *types.T
}

// winRef stands for window call idx until the window stage maps it.
type winRef struct {
	idx int
	typ *types.T
}

// srfRef stands for set-returning function idx of a select list: its
// column field, or its whole row (field -1) for a function with several
// output columns.
type srfRef struct {
	idx   int
	field int
	typ   *types.T
	cols  types.Schema
}

func (e *aggRef) Type() *types.T { return e.typ }
func (e *winRef) Type() *types.T { return e.typ }
func (e *srfRef) Type() *types.T { return e.typ }

// srfCollector gathers the set-returning functions of a select list.
type srfCollector struct {
	calls []*FuncScan
}

func (b *Binder) bindFuncCall(s *scope, fc *pg_query.FuncCall, ec exprCtx) (Expr, error) {
	name, err := funcName(fc.Funcname)
	if err != nil {
		return nil, b.errAt(err, fc.Location)
	}
	if fc.Over != nil {
		return b.bindWindowCall(s, name, fc, ec)
	}
	if builtins.IsAggregate(name) {
		return b.bindAggCall(s, name, fc, ec)
	}
	if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil {
		return nil, b.errAt(types.Errorf(types.CodeWrongObjectType, "%s is not an aggregate function", name), fc.Location)
	}
	if builtins.IsWindowFunction(name) {
		return nil, b.errAt(types.Errorf(types.CodeWrongObjectType, "window function %s requires an OVER clause", name), fc.Location)
	}
	args := make([]Expr, len(fc.Args))
	argTypes := make([]*types.T, len(fc.Args))
	for i, a := range fc.Args {
		// A set-returning function may be an argument in a select list
		// (quote_ident(unnest(a))): the ProjectSet below the projection
		// produces its rows and the function is applied to each.
		e, err := b.bindExpr(s, a, ec)
		if err != nil {
			return nil, err
		}
		args[i] = e
		argTypes[i] = e.Type()
	}
	ov, err := builtins.ResolveFunction(name, argTypes)
	if err != nil {
		return nil, b.errAt(err, fc.Location)
	}
	if ov.SetReturning {
		if ec.srfs == nil {
			return nil, b.errAt(types.Errorf(types.CodeFeatureNotSupported, "set-returning functions are not allowed in %s", orDefault(ec.clause, "this context")), fc.Location)
		}
		f, err := b.applyOverload(ov, args, fc.Location)
		if err != nil {
			return nil, err
		}
		fs := &FuncScan{Fn: ov, Args: f.(*Func).Args, Cols: srfColumns(ov, name, f.Type())}
		ec.srfs.calls = append(ec.srfs.calls, fs)
		if len(fs.Cols) != 1 {
			return &srfRef{idx: len(ec.srfs.calls) - 1, field: -1, typ: types.Record, cols: fs.Cols}, nil
		}
		return &srfRef{idx: len(ec.srfs.calls) - 1, typ: fs.Cols[0].Type, cols: fs.Cols}, nil
	}
	return b.applyOverload(ov, args, fc.Location)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// srfColumns returns the output columns of a set-returning function.
func srfColumns(ov *builtins.Overload, name string, ret *types.T) types.Schema {
	if len(ov.SRFColumns) > 1 {
		return ov.SRFColumns
	}
	t := ret
	if len(ov.SRFColumns) == 1 && ov.ReturnType == nil && ov.SRFColumns[0].Type != nil {
		t = ov.SRFColumns[0].Type
	}
	return types.Schema{{Name: name, Type: t}}
}

func (b *Binder) bindAggCall(s *scope, name string, fc *pg_query.FuncCall, ec exprCtx) (Expr, error) {
	if ec.aggs == nil || ec.inAgg {
		what := orDefault(ec.clause, "this context")
		if ec.inAgg {
			return nil, b.errAt(types.Errorf(types.CodeGroupingError, "aggregate function calls cannot be nested"), fc.Location)
		}
		return nil, b.errAt(types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed in %s", what), fc.Location)
	}
	inner := exprCtx{clause: "aggregate function arguments", aggs: ec.aggs, inAgg: true}
	var args []Expr
	var argTypes []*types.T
	if !fc.AggStar {
		for _, a := range fc.Args {
			e, err := b.bindExpr(s, a, inner)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			argTypes = append(argTypes, e.Type())
		}
	}
	ov, err := builtins.ResolveAggregate(name, argTypes)
	if err != nil {
		return nil, b.errAt(err, fc.Location)
	}
	for i := range args {
		if i < len(ov.Args) && !isPolymorphic(ov.Args[i]) {
			if args[i], err = b.coerce(args[i], ov.Args[i], builtins.CastImplicit, fc.Location); err != nil {
				return nil, err
			}
		} else if args[i].Type().Family == types.UnknownFamily {
			if args[i], err = b.coerce(args[i], types.Text, builtins.CastImplicit, fc.Location); err != nil {
				return nil, err
			}
		}
	}
	call := aggCall{agg: ov, args: args, distinct: fc.AggDistinct}
	if fc.AggFilter != nil {
		f, err := b.bindExpr(s, fc.AggFilter, inner)
		if err != nil {
			return nil, err
		}
		if call.filter, err = b.coerceBool(f, "argument of FILTER", fc.Location); err != nil {
			return nil, err
		}
	}
	for _, o := range fc.AggOrder {
		oe, err := b.bindOrderExpr(s, o.GetSortBy(), inner)
		if err != nil {
			return nil, err
		}
		call.order = append(call.order, oe)
	}
	ret := ov.Ret
	if ret == nil || isPolymorphic(ret) || ret.Oid == types.OidAnyArray {
		if len(args) > 0 {
			ret = types.ArrayOf(args[0].Type())
		}
	}
	// The same aggregate written twice (select list and HAVING) is
	// computed once.
	for i, prev := range ec.aggs.aggs {
		if prev.agg.Name == call.agg.Name && prev.agg.Kind == call.agg.Kind && prev.distinct == call.distinct && exprEqual(prev.filter, call.filter) &&
			len(prev.args) == len(call.args) && reflect.DeepEqual(prev.args, call.args) && reflectOrderEqual(prev.order, call.order) {
			return &aggRef{idx: i, typ: ec.aggs.aggTyps[i]}, nil
		}
	}
	ec.aggs.aggs = append(ec.aggs.aggs, call)
	ec.aggs.aggTyps = append(ec.aggs.aggTyps, ret)
	return &aggRef{idx: len(ec.aggs.aggs) - 1, typ: ret}, nil
}

func (b *Binder) bindOrderExpr(s *scope, sb *pg_query.SortBy, ec exprCtx) (orderExpr, error) {
	e, err := b.bindExpr(s, sb.Node, ec)
	if err != nil {
		return orderExpr{}, err
	}
	if e.Type().Family == types.UnknownFamily {
		if e, err = b.coerce(e, types.Text, builtins.CastImplicit, sb.Location); err != nil {
			return orderExpr{}, err
		}
	}
	desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
		return orderExpr{}, b.errAt(unsupported("ORDER BY ... USING"), sb.Location)
	}
	nullsFirst := desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return orderExpr{e: e, desc: desc, nullsFirst: nullsFirst}, nil
}

// Frame option bits of the Postgres parse tree (parsenodes.h).
const (
	frameNonDefault        = 0x00001
	frameRows              = 0x00004
	frameGroups            = 0x00008
	frameStartUnboundedPre = 0x00020
	frameEndUnboundedFol   = 0x00100
	frameStartCurrentRow   = 0x00200
	frameEndCurrentRow     = 0x00400
	frameStartOffsetPre    = 0x00800
	frameEndOffsetPre      = 0x01000
	frameStartOffsetFol    = 0x02000
	frameEndOffsetFol      = 0x04000
	frameExclusion         = 0x08000 | 0x10000 | 0x20000
)

func (b *Binder) bindWindowCall(s *scope, name string, fc *pg_query.FuncCall, ec exprCtx) (Expr, error) {
	if ec.aggs == nil || ec.inAgg {
		return nil, b.errAt(types.Errorf(types.CodeWindowingError, "window functions are not allowed in %s", orDefault(ec.clause, "this context")), fc.Location)
	}
	wd := fc.Over
	if wd.Refname != "" || (wd.Name != "" && len(wd.PartitionClause) == 0 && len(wd.OrderClause) == 0) {
		ref := wd.Refname
		if ref == "" {
			ref = wd.Name
		}
		named, ok := ec.aggs.windows[ref]
		if !ok {
			return nil, b.errAt(types.Errorf(types.CodeUndefinedObject, "window %q does not exist", ref), fc.Location)
		}
		merged := &pg_query.WindowDef{
			PartitionClause: named.PartitionClause, OrderClause: named.OrderClause,
			FrameOptions: named.FrameOptions, StartOffset: named.StartOffset, EndOffset: named.EndOffset,
		}
		if len(wd.OrderClause) > 0 {
			merged.OrderClause = wd.OrderClause
		}
		if wd.FrameOptions&frameNonDefault != 0 {
			merged.FrameOptions, merged.StartOffset, merged.EndOffset = wd.FrameOptions, wd.StartOffset, wd.EndOffset
		}
		wd = merged
	}
	// Arguments may contain aggregates of this level (rank() OVER (ORDER
	// BY sum(x))) but no window functions.
	inner := exprCtx{clause: "window function arguments", aggs: ec.aggs}
	bindArg := func(n *pg_query.Node) (Expr, error) {
		e, err := b.bindExprNoWindow(s, n, inner)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	call := winCall{}
	var argTypes []*types.T
	for _, a := range fc.Args {
		e, err := bindArg(a)
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, e)
		argTypes = append(argTypes, e.Type())
	}
	if builtins.IsAggregate(name) {
		ov, err := builtins.ResolveAggregate(name, argTypes)
		if err != nil {
			return nil, b.errAt(err, fc.Location)
		}
		call.agg = ov
		call.typ = ov.Ret
		if (call.typ == nil || isPolymorphic(call.typ) || call.typ.Oid == types.OidAnyArray) && len(call.args) > 0 {
			call.typ = types.ArrayOf(call.args[0].Type())
		}
		call.win = &builtins.WindowOverload{Name: name, Kind: builtins.WinAggregate, Args: ov.Args, Ret: call.typ}
		for i := range call.args {
			if i < len(ov.Args) && !isPolymorphic(ov.Args[i]) {
				if call.args[i], err = b.coerce(call.args[i], ov.Args[i], builtins.CastImplicit, fc.Location); err != nil {
					return nil, err
				}
			}
		}
		if fc.AggDistinct {
			return nil, b.errAt(unsupported("DISTINCT in window aggregates"), fc.Location)
		}
	} else {
		ov, err := builtins.ResolveWindow(name, argTypes)
		if err != nil {
			return nil, b.errAt(err, fc.Location)
		}
		call.win = ov
		call.typ = ov.Ret
		if call.typ == nil || isPolymorphic(call.typ) {
			if len(call.args) > 0 {
				call.typ = call.args[0].Type()
			}
		}
		for i := range call.args {
			if i < len(ov.Args) && !isPolymorphic(ov.Args[i]) {
				if call.args[i], err = b.coerce(call.args[i], ov.Args[i], builtins.CastImplicit, fc.Location); err != nil {
					return nil, err
				}
			}
		}
		// lag/lead default argument takes the value's type.
		if (ov.Kind == builtins.WinLag || ov.Kind == builtins.WinLead) && len(call.args) == 3 {
			if call.args[2], err = b.coerce(call.args[2], call.args[0].Type(), builtins.CastImplicit, fc.Location); err != nil {
				return nil, err
			}
		}
	}
	if call.typ == nil || call.typ.Family == types.UnknownFamily {
		call.typ = types.Text
	}
	if fc.AggFilter != nil {
		f, err := bindArg(fc.AggFilter)
		if err != nil {
			return nil, err
		}
		if call.filter, err = b.coerceBool(f, "argument of FILTER", fc.Location); err != nil {
			return nil, err
		}
	}
	for _, p := range wd.PartitionClause {
		e, err := bindArg(p)
		if err != nil {
			return nil, err
		}
		call.partition = append(call.partition, e)
	}
	for _, o := range wd.OrderClause {
		oe, err := b.bindOrderExpr(s, o.GetSortBy(), exprCtx{clause: "window ORDER BY", aggs: ec.aggs})
		if err != nil {
			return nil, err
		}
		call.order = append(call.order, oe)
	}
	fr, err := b.bindFrame(s, wd, inner)
	if err != nil {
		return nil, b.errAt(err, fc.Location)
	}
	call.frame = fr
	ec.aggs.wins = append(ec.aggs.wins, call)
	return &winRef{idx: len(ec.aggs.wins) - 1, typ: call.typ}, nil
}

// bindExprNoWindow binds an expression in which window functions are not
// allowed but aggregates are.
func (b *Binder) bindExprNoWindow(s *scope, n *pg_query.Node, ec exprCtx) (Expr, error) {
	before := len(ec.aggs.wins)
	e, err := b.bindExpr(s, n, ec)
	if err != nil {
		return nil, err
	}
	if len(ec.aggs.wins) != before {
		return nil, types.Errorf(types.CodeWindowingError, "window function calls cannot be nested")
	}
	return e, nil
}

func (b *Binder) bindFrame(s *scope, wd *pg_query.WindowDef, ec exprCtx) (Frame, error) {
	opts := wd.FrameOptions
	fr := Frame{Start: UnboundedPreceding, End: CurrentRow}
	if opts&frameNonDefault == 0 {
		return fr, nil
	}
	if opts&frameGroups != 0 {
		return fr, unsupported("GROUPS frames")
	}
	if opts&frameExclusion != 0 {
		return fr, unsupported("frame exclusion")
	}
	fr.Rows = opts&frameRows != 0
	switch {
	case opts&frameStartUnboundedPre != 0:
		fr.Start = UnboundedPreceding
	case opts&frameStartCurrentRow != 0:
		fr.Start = CurrentRow
	case opts&frameStartOffsetPre != 0:
		fr.Start = OffsetPreceding
	case opts&frameStartOffsetFol != 0:
		fr.Start = OffsetFollowing
	}
	switch {
	case opts&frameEndUnboundedFol != 0:
		fr.End = UnboundedFollowing
	case opts&frameEndCurrentRow != 0:
		fr.End = CurrentRow
	case opts&frameEndOffsetPre != 0:
		fr.End = OffsetPreceding
	case opts&frameEndOffsetFol != 0:
		fr.End = OffsetFollowing
	}
	bindOff := func(n *pg_query.Node) (Expr, error) {
		if n == nil {
			return nil, nil
		}
		e, err := b.bindExpr(s, n, exprCtx{clause: "window frame"})
		if err != nil {
			return nil, err
		}
		if fr.Rows {
			return b.coerce(e, types.Int8, builtins.CastImplicit, -1)
		}
		return e, nil
	}
	var err error
	if fr.StartOffset, err = bindOff(wd.StartOffset); err != nil {
		return fr, err
	}
	if fr.EndOffset, err = bindOff(wd.EndOffset); err != nil {
		return fr, err
	}
	if !fr.Rows && (fr.StartOffset != nil || fr.EndOffset != nil) {
		return fr, unsupported("RANGE frames with an offset")
	}
	return fr, nil
}

func reflectOrderEqual(a, b []orderExpr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].desc != b[i].desc || a[i].nullsFirst != b[i].nullsFirst || !exprEqual(a[i].e, b[i].e) {
			return false
		}
	}
	return true
}
