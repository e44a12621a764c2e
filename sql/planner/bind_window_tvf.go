package planner

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// Window table functions in FROM (RisingWave's and Flink's):
//
//	TUMBLE(rel, time_col, size [, offset])
//	HOP(rel, time_col, slide, size [, offset])
//
// rel is a table, source, view or CTE name. Both return rel's columns
// followed by window_start and window_end, of time_col's type (timestamp or
// timestamptz). TUMBLE is a projection: window_start =
// date_bin(size, time_col, epoch + offset). HOP yields one row per window
// containing the row: the windows start at date_bin(slide, ...) minus 0 ..
// size/slide - 1 slides (a ProjectSet over generate_series), so size must
// be a multiple of slide. Both are plain operators, so they work the same
// in ad-hoc queries and in materialized views.

// isWindowTVF reports whether rf is a TUMBLE or HOP call.
func isWindowTVF(rf *pg_query.RangeFunction) bool {
	name, ok := windowTVFName(rf)
	return ok && (name == "tumble" || name == "hop")
}

func windowTVFName(rf *pg_query.RangeFunction) (string, bool) {
	if len(rf.Functions) != 1 || rf.IsRowsfrom {
		return "", false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return "", false
	}
	fc := items[0].GetFuncCall()
	if len(fc.Funcname) != 1 {
		return "", false
	}
	return strings.ToLower(strVal(fc.Funcname[0])), true
}

// bindWindowTVF binds TUMBLE/HOP; ok is false for any other function.
func (b *Binder) bindWindowTVF(rf *pg_query.RangeFunction, outer *scope) (Node, *scope, bool, error) {
	if !isWindowTVF(rf) {
		return nil, nil, false, nil
	}
	name, _ := windowTVFName(rf)
	fc := rf.Functions[0].GetList().GetItems()[0].GetFuncCall()
	hop := name == "hop"
	minArgs, maxArgs := 3, 4
	usage := "TUMBLE(relation, time_column, size [, offset])"
	if hop {
		minArgs, maxArgs = 4, 5
		usage = "HOP(relation, time_column, slide, size [, offset])"
	}
	fail := func(err error) (Node, *scope, bool, error) { return nil, nil, true, b.errAt(err, fc.Location) }
	if len(fc.Args) < minArgs || len(fc.Args) > maxArgs {
		return fail(types.Errorf(types.CodeUndefinedFunction, "%s takes %d to %d arguments: %s", strings.ToUpper(name), minArgs, maxArgs, usage))
	}
	if rf.Ordinality || rf.Lateral {
		return fail(unsupported("WITH ORDINALITY or LATERAL on %s", strings.ToUpper(name)))
	}
	// The relation argument is written as a column reference: rel or
	// schema.rel.
	cr := fc.Args[0].GetColumnRef()
	if cr == nil || len(cr.Fields) > 2 {
		return fail(types.Errorf(types.CodeSyntaxError, "the first argument of %s must be a table, source, view or CTE name", strings.ToUpper(name)))
	}
	rv := &pg_query.RangeVar{Relname: strVal(cr.Fields[len(cr.Fields)-1]), Inh: true, Relpersistence: "p", Location: cr.Location}
	if len(cr.Fields) == 2 {
		rv.Schemaname = strVal(cr.Fields[0])
	}
	input, relScope, err := b.bindRangeVar(rv, nil)
	if err != nil {
		return nil, nil, true, err
	}
	timeCol, err := b.bindExpr(relScope, fc.Args[1], exprCtx{clause: "window functions in FROM"})
	if err != nil {
		return nil, nil, true, err
	}
	tt := timeCol.Type()
	if tt.Family != types.TimestampFamily && tt.Family != types.TimestampTZFamily {
		return fail(types.Errorf(types.CodeDatatypeMismatch, "the time column of %s must be of type timestamp or timestamp with time zone, not %s", strings.ToUpper(name), tt.String()))
	}
	interval := func(i int, what string) (int64, error) {
		e, err := b.bindExpr(&scope{}, withIntervalField(fc.Args[i]), exprCtx{clause: "window functions in FROM"})
		if err != nil {
			return 0, err
		}
		if e.Type().Family == types.UnknownFamily {
			if e, err = b.coerce(e, types.Interval, builtins.CastImplicit, fc.Location); err != nil {
				return 0, err
			}
		}
		c, ok := e.(*Const)
		if !ok || e.Type().Family != types.IntervalFamily || c.Value.IsNull() {
			return 0, types.Errorf(types.CodeInvalidParameterValue, "the %s of %s must be a constant interval", what, strings.ToUpper(name))
		}
		iv := c.Value.Interval()
		if iv.Months != 0 {
			return 0, types.Errorf(types.CodeFeatureNotSupported, "%s windows measured in months or years are not supported", strings.ToUpper(name))
		}
		return int64(iv.Days)*86_400_000_000 + iv.Micros, nil
	}
	var slide, size, offset int64
	if hop {
		if slide, err = interval(2, "slide"); err != nil {
			return fail(err)
		}
		if size, err = interval(3, "size"); err != nil {
			return fail(err)
		}
	} else if size, err = interval(2, "size"); err != nil {
		return fail(err)
	} else {
		slide = size
	}
	if len(fc.Args) == maxArgs {
		if offset, err = interval(maxArgs-1, "offset"); err != nil {
			return fail(err)
		}
	}
	if size <= 0 || slide <= 0 {
		return fail(types.Errorf(types.CodeInvalidParameterValue, "window size and slide must be positive"))
	}
	if size%slide != 0 {
		return fail(types.Errorf(types.CodeFeatureNotSupported, "HOP windows whose size is not a multiple of the slide are not supported"))
	}
	ivConst := func(micros int64) Expr {
		return &Const{Value: types.DInterval(types.IntervalValue{Micros: micros}), Typ: types.Interval}
	}
	origin := &Const{Value: types.DTimestamp(offset), Typ: types.Timestamp}
	if tt.Family == types.TimestampTZFamily {
		origin = &Const{Value: types.DTimestampTZ(offset), Typ: types.TimestampTZ}
	}
	bin, err := builtins.ResolveFunction("date_bin", []*types.T{types.Interval, tt.WithTypmod(-1), origin.Typ})
	if err != nil {
		return fail(err)
	}
	lastStart, err := b.applyOverload(bin, []Expr{ivConst(slide), timeCol, origin}, fc.Location)
	if err != nil {
		return nil, nil, true, err
	}
	inCols := input.Columns()
	alias := name
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
	}
	var body Node = input
	var startExpr Expr = lastStart
	width := len(inCols)
	if hop {
		first := lastStart
		if n := size / slide; n > 1 {
			if first, err = b.bindOperator("-", lastStart, ivConst((n-1)*slide), fc.Location); err != nil {
				return nil, nil, true, err
			}
		}
		series, err := builtins.ResolveFunction("generate_series", []*types.T{first.Type(), lastStart.Type(), types.Interval})
		if err != nil {
			return fail(err)
		}
		bound, err := b.applyOverload(series, []Expr{first, lastStart, ivConst(slide)}, fc.Location)
		if err != nil {
			return nil, nil, true, err
		}
		srfCols := types.Schema{{Name: "window_start", Type: lastStart.Type()}}
		fs := &FuncScan{Fn: series, Args: bound.(*Func).Args, Cols: srfCols}
		ps := &ProjectSet{Input: input, SRFs: []*FuncScan{fs}}
		ps.Cols = append(append(ps.Cols, inCols...), srfCols...)
		body = ps
		startExpr = &ColRef{Idx: width, Typ: lastStart.Type()}
	}
	endExpr, err := b.bindOperator("+", startExpr, ivConst(size), fc.Location)
	if err != nil {
		return nil, nil, true, err
	}
	proj := &Project{Input: body}
	for i, c := range inCols {
		proj.Exprs = append(proj.Exprs, &ColRef{Idx: i, Typ: c.Type})
		proj.Cols = append(proj.Cols, c)
	}
	proj.Exprs = append(proj.Exprs, startExpr, endExpr)
	proj.Cols = append(proj.Cols, types.Column{Name: "window_start", Type: startExpr.Type()}, types.Column{Name: "window_end", Type: endExpr.Type()})
	sc := scopeFromSchema(alias, proj.Cols)
	sc.parent = outer
	if rf.Alias != nil {
		if err := applyColAliases(sc, rf.Alias); err != nil {
			return nil, nil, true, err
		}
	}
	return proj, sc, true, nil
}

// Interval typmod field bits (Postgres' INTERVAL_MASK) of the single-field
// forms INTERVAL '4' SECOND, INTERVAL '1' MINUTE, ...
var intervalFieldUnits = map[int32]string{
	1 << 2: "years", 1 << 1: "months", 1 << 3: "days", 1 << 10: "hours", 1 << 11: "minutes", 1 << 12: "seconds",
}

var bareNumber = regexp.MustCompile(`^\s*[0-9]+(\.[0-9]+)?\s*$`)

// withIntervalField returns n with INTERVAL 'N' FIELD rewritten to
// INTERVAL 'N field': the binder ignores interval field restrictions
// (typename.go), so INTERVAL '1' MINUTE would otherwise read as one
// second, and window sizes are commonly written that way.
func withIntervalField(n *pg_query.Node) *pg_query.Node {
	tc := n.GetTypeCast()
	if tc == nil || tc.TypeName == nil || len(tc.TypeName.Typmods) == 0 || tc.Arg.GetAConst() == nil || tc.Arg.GetAConst().GetSval() == nil {
		return n
	}
	names := tc.TypeName.Names
	if len(names) == 0 || strVal(names[len(names)-1]) != "interval" {
		return n
	}
	text := tc.Arg.GetAConst().GetSval().Sval
	c := tc.TypeName.Typmods[0].GetAConst()
	if !bareNumber.MatchString(text) || c == nil || c.GetIval() == nil {
		return n
	}
	unit, ok := intervalFieldUnits[c.GetIval().Ival]
	if !ok {
		return n
	}
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg:      pg_query.MakeAConstStrNode(strings.TrimSpace(text)+" "+unit, tc.Location),
		TypeName: &pg_query.TypeName{Names: tc.TypeName.Names, Typemod: -1, Location: tc.TypeName.Location},
		Location: tc.Location,
	}}}
}
