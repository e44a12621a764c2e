package exec

import (
	"context"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

func ic(v int64) planner.Expr       { return &planner.Const{Value: types.DInt(v), Typ: types.Int8} }
func tc(s string) planner.Expr      { return &planner.Const{Value: types.DString(s), Typ: types.Text} }
func nullc(t *types.T) planner.Expr { return &planner.Const{Value: types.Null, Typ: t} }
func col(i int) planner.Expr        { return &planner.ColRef{Idx: i, Typ: types.Int8} }
func tcol(i int) planner.Expr       { return &planner.ColRef{Idx: i, Typ: types.Text} }

func intOp(name string, ret *types.T, fn func(a, b int64) (types.Datum, error)) *builtins.Overload {
	return &builtins.Overload{Name: name, Args: []*types.T{types.Int8, types.Int8}, Ret: ret,
		Fn: func(_ *builtins.Context, args []types.Datum) (types.Datum, error) {
			return fn(args[0].Int(), args[1].Int())
		}}
}

var (
	opEq  = intOp("=", types.Bool, func(a, b int64) (types.Datum, error) { return types.DBool(a == b), nil })
	opLt  = intOp("<", types.Bool, func(a, b int64) (types.Datum, error) { return types.DBool(a < b), nil })
	opGt  = intOp(">", types.Bool, func(a, b int64) (types.Datum, error) { return types.DBool(a > b), nil })
	opAdd = intOp("+", types.Int8, func(a, b int64) (types.Datum, error) { return types.DInt(a + b), nil })
	opDiv = intOp("/", types.Int8, func(a, b int64) (types.Datum, error) {
		if b == 0 {
			return types.Null, types.Errorf(types.CodeDivisionByZero, "division by zero")
		}
		return types.DInt(a / b), nil
	})
)

func call(fn *builtins.Overload, args ...planner.Expr) planner.Expr {
	return &planner.Func{Fn: fn, Args: args, Typ: fn.Ret}
}

// vals builds a Values node of (int8, text) rows from "1 a; 2 b" notation.
func vals(t *testing.T, spec string, ts ...*types.T) *planner.Values {
	n := &planner.Values{Cols: schemaOf(ts)}
	for _, r := range strings.Split(spec, ";") {
		if strings.TrimSpace(r) == "" {
			continue
		}
		var row []planner.Expr
		for i, f := range strings.Fields(r) {
			row = append(row, &planner.Const{Value: parseDatum(t, f, ts[i]), Typ: ts[i]})
		}
		n.Rows = append(n.Rows, row)
	}
	return n
}

func runToString(t *testing.T, env *Env, plan planner.Node) string {
	t.Helper()
	var out []string
	err := Run(context.Background(), env, plan, func(r types.Row) error {
		out = append(out, formatRow(r))
		return nil
	})
	if err != nil {
		return "error: " + err.Error() + " (" + types.Code(err) + ")"
	}
	return strings.Join(out, "\n")
}

func check(t *testing.T, env *Env, plan planner.Node, want string) {
	t.Helper()
	got := runToString(t, env, plan)
	want = strings.TrimSpace(want)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func sortBy(in planner.Node, cols ...int) *planner.Sort {
	s := &planner.Sort{Input: in}
	for _, c := range cols {
		s.Keys = append(s.Keys, planner.SortKey{Col: c})
	}
	return s
}

func TestRunPipeline(t *testing.T) {
	in := vals(t, "1 a; 2 a; 3 b; 4 b; 5 c; NULL c", types.Int8, types.Text)
	filter := &planner.Filter{Input: in, Pred: call(opGt, col(0), ic(1))}
	agg := &planner.Aggregate{Input: filter, GroupCols: []int{1}, Aggs: []planner.AggCall{
		{Agg: testAgg("count*", nil), Filter: -1},
		{Agg: testAgg("sum", types.Int8), Args: []int{0}, Filter: -1},
	}}
	plan := &planner.Limit{Input: &planner.Sort{Input: agg, Keys: []planner.SortKey{{Col: 0, Desc: true, NullsFirst: true}}}, Count: ic(2)}
	check(t, nil, plan, "c 1 5\nb 2 7")

	// Scalar aggregate over an empty input: one row, count 0.
	empty := &planner.Filter{Input: in, Pred: &planner.Const{Value: types.DBool(false), Typ: types.Bool}}
	check(t, nil, &planner.Aggregate{Input: empty, Aggs: []planner.AggCall{
		{Agg: testAgg("count*", nil), Filter: -1},
		{Agg: testAgg("max", types.Int8), Args: []int{0}, Filter: -1},
	}}, "0 NULL")

	// Project with an error from a function keeps its SQLSTATE.
	check(t, nil, &planner.Project{Input: in, Exprs: []planner.Expr{call(opDiv, col(0), ic(0))}, Cols: schemaOf([]*types.T{types.Int8})},
		"error: division by zero (22012)")

	// LIMIT/OFFSET errors.
	check(t, nil, &planner.Limit{Input: in, Count: ic(-1)}, "error: LIMIT must not be negative (2201W)")
	check(t, nil, &planner.Limit{Input: in, Count: ic(2), Offset: ic(3)}, "4 b\n5 c")
	// DISTINCT and DISTINCT ON over a sort.
	check(t, nil, sortBy(&planner.Distinct{Input: &planner.Project{Input: in, Exprs: []planner.Expr{tcol(1)}, Cols: schemaOf([]*types.T{types.Text})}}, 0), "a\nb\nc")
	check(t, nil, &planner.Distinct{Input: &planner.Sort{Input: in, Keys: []planner.SortKey{{Col: 1}, {Col: 0, Desc: true, NullsFirst: true}}}, On: []int{1}}, "2 a\n4 b\nNULL c")
}

func TestRunJoins(t *testing.T) {
	left := vals(t, "1 a; 2 b; 2 bb; NULL n", types.Int8, types.Text)
	right := vals(t, "2 x; 3 y; NULL z", types.Int8, types.Text)
	join := func(kind planner.JoinKind) planner.Node {
		return &planner.Join{Kind: kind, Left: left, Right: right, LeftKeys: []int{0}, RightKeys: []int{0}}
	}
	check(t, nil, sortBy(join(planner.InnerJoin), 1), "2 b 2 x\n2 bb 2 x")
	check(t, nil, sortBy(join(planner.LeftJoin), 1), "1 a NULL NULL\n2 b 2 x\n2 bb 2 x\nNULL n NULL NULL")
	check(t, nil, sortBy(join(planner.RightJoin), 3, 1), "2 b 2 x\n2 bb 2 x\nNULL NULL 3 y\nNULL NULL NULL z")
	check(t, nil, sortBy(join(planner.FullJoin), 1, 3), "1 a NULL NULL\n2 b 2 x\n2 bb 2 x\nNULL n NULL NULL\nNULL NULL 3 y\nNULL NULL NULL z")
	check(t, nil, sortBy(join(planner.SemiJoin), 1), "2 b\n2 bb")
	check(t, nil, sortBy(join(planner.AntiJoin), 1), "1 a\nNULL n")
	notIn := &planner.Join{Kind: planner.AntiJoin, Left: left, Right: right, LeftKeys: []int{0}, RightKeys: []int{0}, NullAware: true}
	check(t, nil, notIn, "")
	// Nested loop with a residual over the concatenated row.
	nl := &planner.Join{Kind: planner.InnerJoin, Left: left, Right: right, On: call(opLt, col(0), col(2))}
	check(t, nil, sortBy(nl, 1, 3), "1 a 2 x\n1 a 3 y\n2 b 3 y\n2 bb 3 y")
}

// countingTables serves one table of n rows (id, id*10) and counts the rows
// it produced.
type countingTables struct {
	n, read int
	short   bool
}

func (c *countingTables) ScanTable(ctx context.Context, _ planner.TableRef, fn func(types.Row) error) error {
	for i := 0; i < c.n; i++ {
		c.read++
		r := types.Row{types.DInt(int64(i)), types.DInt(int64(i * 10))}
		if c.short {
			r = r[:1]
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func TestRunScanLimitCancel(t *testing.T) {
	tables := &countingTables{n: 100000}
	env := &Env{Tables: tables}
	scan := &planner.Scan{Table: planner.TableRef{ID: 1, Name: "t", NumPhysical: 2}, Phys: []int{1, 0}, Cols: schemaOf([]*types.T{types.Int8, types.Int8})}
	check(t, env, &planner.Limit{Input: scan, Count: ic(3)}, "0 0\n10 1\n20 2")
	if tables.read > types.ChunkCapacity {
		t.Errorf("LIMIT 3 read %d rows", tables.read)
	}
	// Rows written before ADD COLUMN are padded with the missing value.
	short := &countingTables{n: 2, short: true}
	padded := &planner.Scan{Table: planner.TableRef{ID: 1, NumPhysical: 2, Missing: []types.Datum{types.Null, types.DInt(7)}}, Phys: []int{0, 1}, Cols: schemaOf([]*types.T{types.Int8, types.Int8})}
	check(t, &Env{Tables: short}, padded, "0 7\n1 7")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, env, scan, func(types.Row) error { return nil })
	if types.Code(err) != types.CodeQueryCanceled {
		t.Errorf("canceled run: %v", err)
	}
	// An aggregate over a LIMIT still gets its barrier.
	count := &planner.Aggregate{Input: &planner.Limit{Input: scan, Count: ic(5)}, Aggs: []planner.AggCall{{Agg: testAgg("count*", nil), Filter: -1}}}
	check(t, env, count, "5")
}

func TestExprs(t *testing.T) {
	tru := &planner.Const{Value: types.DBool(true), Typ: types.Bool}
	fls := &planner.Const{Value: types.DBool(false), Typ: types.Bool}
	nb := nullc(types.Bool)
	arr := &planner.ArrayCtor{Elems: []planner.Expr{ic(1), ic(2), nullc(types.Int8)}, Typ: types.Int8Array}
	cases := []struct {
		e    planner.Expr
		want string
	}{
		{&planner.And{Args: []planner.Expr{tru, nb}}, "NULL"},
		{&planner.And{Args: []planner.Expr{nb, fls}}, "f"},
		{&planner.Or{Args: []planner.Expr{nb, tru}}, "t"},
		{&planner.Or{Args: []planner.Expr{nb, fls}}, "NULL"},
		{&planner.Not{Arg: nb}, "NULL"},
		{&planner.IsNull{Arg: nb}, "t"},
		{&planner.IsBool{Arg: nb, Want: types.DBool(false), Negate: true}, "t"},
		{&planner.IsDistinct{L: ic(1), R: nullc(types.Int8), Eq: opEq}, "t"},
		{&planner.IsDistinct{L: nullc(types.Int8), R: nullc(types.Int8), Eq: opEq}, "f"},
		{&planner.Case{Whens: []planner.CaseWhen{{Cond: nb, Result: ic(1)}, {Cond: tru, Result: ic(2)}}, Typ: types.Int8}, "2"},
		{&planner.Case{Whens: []planner.CaseWhen{{Cond: fls, Result: ic(1)}}, Typ: types.Int8}, "NULL"},
		// COALESCE is lazy: the division by zero is never evaluated.
		{&planner.Coalesce{Args: []planner.Expr{nullc(types.Int8), ic(3), call(opDiv, ic(1), ic(0))}, Typ: types.Int8}, "3"},
		{&planner.NullIf{L: ic(3), R: ic(3), Eq: opEq, Typ: types.Int8}, "NULL"},
		{&planner.MinMax{Args: []planner.Expr{ic(3), nullc(types.Int8), ic(9)}, Typ: types.Int8}, "9"},
		{&planner.MinMax{Args: []planner.Expr{ic(3), nullc(types.Int8), ic(9)}, Least: true, Typ: types.Int8}, "3"},
		{&planner.InList{Arg: ic(1), List: []planner.Expr{ic(2), nullc(types.Int8)}, Eq: opEq}, "NULL"},
		{&planner.InList{Arg: ic(2), List: []planner.Expr{ic(2), nullc(types.Int8)}, Eq: opEq}, "t"},
		{&planner.InList{Arg: ic(3), List: []planner.Expr{ic(2)}, Eq: opEq, Negate: true}, "t"},
		{&planner.AnyAll{L: ic(2), Op: opEq, R: arr}, "t"},
		{&planner.AnyAll{L: ic(5), Op: opEq, R: arr}, "NULL"},
		{&planner.AnyAll{L: ic(0), Op: opLt, R: arr, All: true}, "NULL"},
		{&planner.AnyAll{L: ic(5), Op: opLt, R: arr, All: true}, "f"},
		{arr, "{1,2,NULL}"},
		{&planner.Subscript{Arg: arr, Index: ic(2), Typ: types.Int8}, "2"},
		{&planner.Subscript{Arg: arr, Index: ic(9), Typ: types.Int8}, "NULL"},
		{&planner.Subscript{Arg: arr, Slice: true, Lo: ic(2), Typ: types.Int8Array}, "{2,NULL}"},
		{call(opAdd, ic(1), nullc(types.Int8)), "NULL"},
		{&planner.Param{Idx: 0, Typ: types.Int8}, "42"},
		{&planner.Param{Idx: 1, Typ: types.Int8}, "error 42P02"},
	}
	env := &Env{Params: []types.Datum{types.DInt(42)}}
	for i, c := range cases {
		comp, err := Compile(c.e)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		d, err := comp.Eval(context.Background(), env, nil)
		got := formatDatum(d)
		if err != nil {
			got = "error " + types.Code(err)
		}
		if got != c.want {
			t.Errorf("case %d (%T): got %s, want %s", i, c.e, got, c.want)
		}
	}
}

func TestSubqueries(t *testing.T) {
	inner := vals(t, "1; 2; 3", types.Int8)
	one := &planner.Subquery{Kind: planner.SubqueryScalar, Plan: &planner.Limit{Input: inner, Count: ic(1)}, Typ: types.Int8}
	many := &planner.Subquery{Kind: planner.SubqueryScalar, Plan: inner, Typ: types.Int8}
	outer := vals(t, "1; 5", types.Int8)
	proj := func(e planner.Expr) planner.Node {
		return &planner.Project{Input: outer, Exprs: []planner.Expr{col(0), e}, Cols: schemaOf([]*types.T{types.Int8, e.Type()})}
	}
	check(t, nil, proj(one), "1 1\n5 1")
	check(t, nil, proj(many), "error: more than one row returned by a subquery used as an expression (21000)")
	// Correlated EXISTS: inner rows greater than the outer value.
	corr := &planner.Filter{Input: inner, Pred: call(opGt, col(0), &planner.OuterRef{Depth: 1, Idx: 0, Typ: types.Int8})}
	exists := &planner.Subquery{Kind: planner.SubqueryExists, Plan: corr, Correlated: true, Typ: types.Bool}
	check(t, nil, proj(exists), "1 t\n5 f")
	count := &planner.Subquery{Kind: planner.SubqueryScalar, Correlated: true, Typ: types.Int8,
		Plan: &planner.Aggregate{Input: corr, Aggs: []planner.AggCall{{Agg: testAgg("count*", nil), Filter: -1}}}}
	check(t, nil, proj(count), "1 2\n5 0")
	in := &planner.Subquery{Kind: planner.SubqueryAny, Plan: inner, Test: col(0), Cmp: opEq, Typ: types.Bool}
	check(t, nil, proj(in), "1 t\n5 f")
	all := &planner.Subquery{Kind: planner.SubqueryAll, Plan: inner, Test: col(0), Cmp: opLt, Typ: types.Bool}
	check(t, nil, proj(all), "1 f\n5 f")
	arr := &planner.Subquery{Kind: planner.SubqueryArray, Plan: corr, Correlated: true, Typ: types.Int8Array}
	check(t, nil, proj(arr), "1 {2,3}\n5 {}")
}

func TestRunWindow(t *testing.T) {
	in := vals(t, "1 a 10; 2 a 20; 3 a 20; 4 a 40; 5 b 7", types.Int8, types.Text, types.Int8)
	win := func(kind builtins.WindowKind, args ...int) planner.WindowCall {
		return planner.WindowCall{Win: &builtins.WindowOverload{Kind: kind, Ret: types.Int8}, Args: args, Filter: -1,
			PartitionBy: []int{1}, OrderBy: []planner.SortKey{{Col: 2}}}
	}
	sum := func(fr planner.Frame) planner.WindowCall {
		return planner.WindowCall{Agg: testAgg("sum", types.Int8), Args: []int{2}, Filter: -1,
			PartitionBy: []int{1}, OrderBy: []planner.SortKey{{Col: 2}}, Frame: fr}
	}
	funcs := []planner.WindowCall{
		win(builtins.WinRowNumber), win(builtins.WinRank), win(builtins.WinDenseRank),
		sum(planner.Frame{Start: planner.UnboundedPreceding, End: planner.CurrentRow}),
		sum(planner.Frame{Rows: true, Start: planner.OffsetPreceding, StartOffset: ic(1), End: planner.CurrentRow}),
		sum(planner.Frame{Start: planner.OffsetPreceding, StartOffset: ic(10), End: planner.OffsetFollowing, EndOffset: ic(0)}),
		win(builtins.WinLag, 0), win(builtins.WinLead, 0, 3, 0),
		win(builtins.WinFirstValue, 0), win(builtins.WinLastValue, 0), win(builtins.WinNtile, 3),
	}
	// ntile's argument: column 3 does not exist; use a project to add it.
	proj := &planner.Project{Input: in, Exprs: []planner.Expr{col(0), tcol(1), col(2), ic(2)}, Cols: schemaOf([]*types.T{types.Int8, types.Text, types.Int8, types.Int8})}
	funcs[7].Args = []int{0, 3, 3} // lead(c0, 2, 2)
	w := &planner.Window{Input: proj, Funcs: funcs}
	check(t, nil, w, `
1 a 10 2 1 1 1 10 10 10 NULL 3 1 1 1
2 a 20 2 2 2 2 50 30 50 1 4 1 3 1
3 a 20 2 3 2 2 50 40 50 2 2 1 3 2
4 a 40 2 4 4 3 90 60 40 3 2 1 4 2
5 b 7 2 1 1 1 7 7 7 NULL 2 5 5 1`)
	pr := planner.WindowCall{Win: &builtins.WindowOverload{Kind: builtins.WinPercentRank, Ret: types.Float8}, Filter: -1, OrderBy: []planner.SortKey{{Col: 2}}}
	cd := planner.WindowCall{Win: &builtins.WindowOverload{Kind: builtins.WinCumeDist, Ret: types.Float8}, Filter: -1, OrderBy: []planner.SortKey{{Col: 2}}}
	check(t, nil, &planner.Window{Input: in, Funcs: []planner.WindowCall{pr, cd}}, `
5 b 7 0 0.2
1 a 10 0.25 0.4
2 a 20 0.5 0.8
3 a 20 0.5 0.8
4 a 40 1 1`)
}

func TestFuncScanProjectSet(t *testing.T) {
	series := &builtins.Overload{Name: "generate_series", Args: []*types.T{types.Int8, types.Int8}, SetReturning: true,
		SRFColumns: schemaOf([]*types.T{types.Int8}),
		SRF: func(_ *builtins.Context, args []types.Datum, emit func(types.Row) error) error {
			for i := args[0].Int(); i <= args[1].Int(); i++ {
				if err := emit(types.Row{types.DInt(i)}); err != nil {
					return err
				}
			}
			return nil
		}}
	fs := &planner.FuncScan{Fn: series, Args: []planner.Expr{ic(1), ic(3)}, WithOrdinality: true, Cols: schemaOf([]*types.T{types.Int8, types.Int8})}
	check(t, nil, fs, "1 1\n2 2\n3 3")
	check(t, nil, &planner.FuncScan{Fn: series, Args: []planner.Expr{ic(1), nullc(types.Int8)}, Cols: schemaOf([]*types.T{types.Int8})}, "")
	in := vals(t, "1; 2", types.Int8)
	a := &planner.FuncScan{Fn: series, Args: []planner.Expr{ic(1), col(0)}, Cols: schemaOf([]*types.T{types.Int8})}
	b := &planner.FuncScan{Fn: series, Args: []planner.Expr{ic(1), ic(3)}, Cols: schemaOf([]*types.T{types.Int8})}
	ps := &planner.ProjectSet{Input: in, SRFs: []*planner.FuncScan{a, b}, Cols: schemaOf([]*types.T{types.Int8, types.Int8, types.Int8})}
	check(t, nil, ps, "1 1 1\n1 NULL 2\n1 NULL 3\n2 1 1\n2 2 2\n2 NULL 3")
}

func TestSetOpRun(t *testing.T) {
	l := vals(t, "1; 1; 2; 3", types.Int8)
	r := vals(t, "1; 3; 3; 4", types.Int8)
	so := func(kind planner.SetOpKind, all bool) planner.Node {
		return sortBy(&planner.SetOp{Kind: kind, All: all, Left: l, Right: r, Cols: schemaOf([]*types.T{types.Int8})}, 0)
	}
	check(t, nil, so(planner.Union, false), "1\n2\n3\n4")
	check(t, nil, so(planner.Union, true), "1\n1\n1\n2\n3\n3\n3\n4")
	check(t, nil, so(planner.Intersect, false), "1\n3")
	check(t, nil, so(planner.Intersect, true), "1\n3")
	check(t, nil, so(planner.Except, false), "2")
	check(t, nil, so(planner.Except, true), "1\n2")
}

func TestCompiledCachesSubqueries(t *testing.T) {
	tables := &countingTables{n: 3}
	scan := &planner.Scan{Table: planner.TableRef{ID: 1, NumPhysical: 2}, Phys: []int{0}, Cols: schemaOf([]*types.T{types.Int8})}
	sq := &planner.Subquery{Kind: planner.SubqueryScalar, Typ: types.Int8,
		Plan: &planner.Aggregate{Input: scan, Aggs: []planner.AggCall{{Agg: testAgg("count*", nil), Filter: -1}}}}
	c, err := Compile(sq)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Tables: tables}
	for i := 0; i < 3; i++ {
		d, err := c.Eval(context.Background(), env, nil)
		if err != nil || d.Int() != 3 {
			t.Fatalf("got %v, %v", d, err)
		}
	}
	if tables.read != 3 {
		t.Errorf("the subquery ran %d times for one statement", tables.read/3)
	}
	// A new statement (Env) runs it again.
	if _, err := c.Eval(context.Background(), &Env{Tables: tables}, nil); err != nil || tables.read != 6 {
		t.Errorf("new statement: read %d rows, %v", tables.read, err)
	}
}

func TestMultiDimSubscript(t *testing.T) {
	row := func(a, b int64) planner.Expr {
		return &planner.ArrayCtor{Elems: []planner.Expr{ic(a), ic(b)}, Typ: types.Int8Array}
	}
	arr := &planner.ArrayCtor{Elems: []planner.Expr{row(1, 2), row(3, 4)}, Typ: types.Int8Array}
	for _, c := range []struct {
		e    planner.Expr
		want string
	}{
		{&planner.Subscript{Arg: &planner.Subscript{Arg: arr, Index: ic(2), Typ: types.Int8}, Index: ic(1), Typ: types.Int8}, "3"},
		{&planner.Subscript{Arg: arr, Index: ic(2), Typ: types.Int8}, "NULL"},
		{&planner.Subscript{Arg: &planner.Subscript{Arg: arr, Index: ic(3), Typ: types.Int8}, Index: ic(1), Typ: types.Int8}, "NULL"},
		{arr, "{1,2,3,4}"},
	} {
		comp, err := Compile(c.e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := comp.Eval(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatDatum(d); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestRunRecoversPanics(t *testing.T) {
	in := vals(t, "1; 2", types.Int8)
	bad := &planner.Sort{Input: in, Keys: []planner.SortKey{{Col: 5}}}
	err := Run(context.Background(), nil, bad, func(types.Row) error { return nil })
	if err == nil || types.Code(err) != types.CodeInternalError {
		t.Fatalf("got %v", err)
	}
}

type fakeVirtual map[string][]types.Row

func (f fakeVirtual) Rows(_ context.Context, name string) ([]types.Row, error) {
	rows, ok := f[name]
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	return rows, nil
}

func TestVirtualScan(t *testing.T) {
	env := &Env{Virtual: fakeVirtual{"pg_catalog.pg_am": {{types.DInt(2), types.DString("heap")}, {types.DInt(403), types.DString("btree")}}}}
	vs := &planner.VirtualScan{Name: "pg_catalog.pg_am", Cols: schemaOf([]*types.T{types.Oid, types.Name})}
	check(t, env, &planner.Filter{Input: vs, Pred: call(opGt, col(0), ic(100))}, "403 btree")
	check(t, env, &planner.VirtualScan{Name: "pg_catalog.nope"}, `error: relation "pg_catalog.nope" does not exist (42P01)`)
}

// TestRowReuse runs plans whose operators keep rows over scans that span
// several chunks: a scan that wrongly reused its row memory would corrupt
// what they kept.
func TestRowReuse(t *testing.T) {
	env := &Env{Tables: &modTables{n: 3000, groups: 7}}
	scan := benchScan()
	keep := &planner.Filter{Input: scan, Pred: call(opGt, col(0), ic(-1))}
	check(t, env, &planner.Limit{Input: &planner.Sort{Input: keep, Keys: []planner.SortKey{{Col: 0, Desc: true}}}, Count: ic(2)}, "2999 3\n2998 2")
	distinct := &planner.Distinct{Input: &planner.Project{Input: scan, Exprs: []planner.Expr{col(1)}, Cols: schemaOf([]*types.T{types.Int8})}}
	check(t, env, sortBy(distinct, 0), "0\n1\n2\n3\n4\n5\n6")
	join := &planner.Join{Kind: planner.InnerJoin, Left: scan, Right: keep, LeftKeys: []int{0}, RightKeys: []int{0}}
	count := &planner.Aggregate{Input: &planner.Filter{Input: join, Pred: call(opEq, col(1), col(3))},
		Aggs: []planner.AggCall{{Agg: testAgg("count*", nil), Filter: -1}}}
	check(t, env, count, "3000")
	union := &planner.SetOp{Kind: planner.Union, Left: scan, Right: scan, Cols: scan.Cols}
	check(t, env, &planner.Aggregate{Input: union, Aggs: []planner.AggCall{{Agg: testAgg("count*", nil), Filter: -1}}}, "3000")
}

func TestSubqueryInSet(t *testing.T) {
	inner := vals(t, "1; 2; NULL", types.Int8)
	noNull := vals(t, "1; 2", types.Int8)
	empty := &planner.Values{Cols: schemaOf([]*types.T{types.Int8})}
	outer := vals(t, "1; 5; NULL", types.Int8)
	in := func(plan planner.Node) planner.Node {
		sq := &planner.Subquery{Kind: planner.SubqueryAny, Plan: plan, Test: col(0), Cmp: opEq, Typ: types.Bool}
		return &planner.Project{Input: outer, Exprs: []planner.Expr{col(0), sq}, Cols: schemaOf([]*types.T{types.Int8, types.Bool})}
	}
	check(t, nil, in(inner), "1 t\n5 NULL\nNULL NULL")
	check(t, nil, in(noNull), "1 t\n5 f\nNULL NULL")
	check(t, nil, in(empty), "1 f\n5 f\nNULL f")
}
