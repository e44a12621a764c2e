package exec

import (
	"context"
	"math"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// countingFn is a text function that counts its calls.
func countingFn(vol builtins.Volatility, arg *types.T, fail bool, calls *int) *builtins.Overload {
	return &builtins.Overload{Name: "f", Args: []*types.T{arg}, Ret: types.Text, Volatility: vol,
		Fn: func(_ *builtins.Context, a []types.Datum) (types.Datum, error) {
			*calls++
			if fail {
				return types.Null, types.Errorf(types.CodeDivisionByZero, "boom")
			}
			return types.DString("r"), nil
		}}
}

// TestConstantCallFolding: an immutable call over constants runs once, at
// compile time; a stable one, a failing one and one over a session-dependent
// type (timestamptz) run per row, as before.
func TestConstantCallFolding(t *testing.T) {
	ec := newEvalCtx(context.Background(), nil)
	for _, c := range []struct {
		name      string
		vol       builtins.Volatility
		arg       planner.Expr
		fail      bool
		wantCalls int
	}{
		{"immutable text", builtins.Immutable, textConst("x"), false, 1},
		{"stable", builtins.Stable, textConst("x"), false, 3},
		{"error", builtins.Immutable, textConst("x"), true, 4}, // tried once at compile time, then per row
		{"timestamptz", builtins.Immutable, &planner.Const{Value: types.DTimestampTZ(0), Typ: types.TimestampTZ}, false, 3},
		{"column", builtins.Immutable, &planner.ColRef{Idx: 0, Typ: types.Text}, false, 3},
	} {
		calls := 0
		fn, err := compileExpr(&planner.Func{Fn: countingFn(c.vol, c.arg.Type(), c.fail, &calls), Args: []planner.Expr{c.arg}, Typ: types.Text})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			d, err := fn(ec, types.Row{types.DString("col")})
			if c.fail {
				if types.Code(err) != types.CodeDivisionByZero {
					t.Fatalf("%s: error %v, want 22012", c.name, err)
				}
				continue
			}
			if err != nil || d.S != "r" {
				t.Fatalf("%s: %v, %v", c.name, d, err)
			}
		}
		if calls != c.wantCalls {
			t.Errorf("%s: %d calls, want %d", c.name, calls, c.wantCalls)
		}
	}
	// A strict immutable call with a NULL constant folds to NULL without
	// being called.
	calls := 0
	fn, err := compileExpr(&planner.Func{Fn: countingFn(builtins.Immutable, types.Text, false, &calls),
		Args: []planner.Expr{&planner.Const{Value: types.Null, Typ: types.Text}}, Typ: types.Text})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := fn(ec, nil); err != nil || !d.IsNull() || calls != 0 {
		t.Errorf("strict call over NULL: %v, %v, %d calls", d, err, calls)
	}
	// A panicking immutable function (one that wants a session) is left
	// to run per row.
	panicky := &builtins.Overload{Name: "p", Args: []*types.T{types.Text}, Ret: types.Text,
		Fn: func(ctx *builtins.Context, _ []types.Datum) (types.Datum, error) {
			if ctx.Session == nil {
				panic(errors.New("no session"))
			}
			return types.DString("s"), nil
		}}
	if _, err := compileExpr(&planner.Func{Fn: panicky, Args: []planner.Expr{textConst("x")}, Typ: types.Text}); err != nil {
		t.Fatal(err)
	}
}

// TestNumericTimesInt: 0.908 * price over a bigint column gives the
// numeric product PostgreSQL 15 gives (psql: select 0.908 * x::bigint), the
// int to numeric cast being left to the operator, for
// NULL, zero, negative and extreme values, and allocates only the result.
func TestNumericTimesInt(t *testing.T) {
	ec := newEvalCtx(context.Background(), nil)
	e := euroPrice(t)
	fn, err := compileExpr(e)
	if err != nil {
		t.Fatal(err)
	}
	minus := binop(t, "-", &planner.Cast{Arg: bidCol(bidPrice), Typ: types.Numeric}, &planner.Cast{Arg: bidCol(bidAuction), Typ: types.Numeric})
	minusFn, err := compileExpr(minus)
	if err != nil {
		t.Fatal(err)
	}
	row := func(price types.Datum) types.Row {
		return types.Row{types.DInt(math.MinInt64), types.Null, price, types.Null, types.Null, types.Null, types.Null}
	}
	for _, c := range []struct {
		price      types.Datum
		want, diff string
	}{
		{types.DInt(1000), "908.000", "9223372036854776808"},
		{types.DInt(0), "0.000", "9223372036854775808"},
		{types.DInt(-7), "-6.356", "9223372036854775801"},
		{types.DInt(math.MaxInt64), "8374821809464136432.756", "18446744073709551615"},
		{types.Null, "NULL", "NULL"},
	} {
		d, err := fn(ec, row(c.price))
		if err != nil {
			t.Fatal(err)
		}
		if got := formatDatum(d); got != c.want {
			t.Errorf("0.908 * %v = %s, want %s", c.price, got, c.want)
		}
		d, err = minusFn(ec, row(c.price))
		if err != nil {
			t.Fatal(err)
		}
		if got := formatDatum(d); got != c.diff {
			t.Errorf("%v - minint64 = %s, want %s", c.price, got, c.diff)
		}
	}
	r := row(types.DInt(123456))
	// The race detector allocates behind the code's back: counts hold without it.
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { _, _ = fn(ec, r) }); n > 1 {
			t.Errorf("0.908 * price: %.0f allocations, want 1 (the result)", n)
		}
	}
}

// TestSubscriptedRegexpMatch: (regexp_match(s, p))[i] with a constant i
// takes the element path (Overload.Element, no array built) and agrees
// with subscripting the built array, for matches, no match, unmatched
// optional groups, patterns without groups, indexes out of range and NULL.
func TestSubscriptedRegexpMatch(t *testing.T) {
	ec := newEvalCtx(context.Background(), nil)
	plus, err := builtins.ResolveOperator("+", types.Int4, types.Int4)
	if err != nil {
		t.Fatal(err)
	}
	subjects := []types.Datum{types.DString("a&channel_id=12&x"), types.DString("channel_id=7"), types.DString("nothing"), types.DString("abc"), types.Null}
	patterns := []string{`(&|^)channel_id=([^&]*)`, `channel_id=\d+`, `(x)?(a)(b)`, `(`}
	for _, p := range patterns {
		for _, s := range subjects {
			for i := int64(-1); i <= 4; i++ {
				m := callFn(t, "regexp_match", &planner.Const{Value: s, Typ: types.Text}, textConst(p))
				fast := &planner.Subscript{Arg: m, Index: intConst(i, types.Int4), Typ: types.Text}
				// i written as (i-1)+1 is not a constant node: the array path.
				slow := &planner.Subscript{Arg: m, Index: &planner.Func{Fn: plus, Args: []planner.Expr{intConst(i-1, types.Int4), intConst(1, types.Int4)}, Typ: types.Int4}, Typ: types.Text}
				fastFn, err := compileExpr(fast)
				if err != nil {
					t.Fatal(err)
				}
				slowFn, err := compileExpr(slow)
				if err != nil {
					t.Fatal(err)
				}
				got, gotErr := fastFn(ec, nil)
				want, wantErr := slowFn(ec, nil)
				if types.Code(gotErr) != types.Code(wantErr) || formatDatum(got) != formatDatum(want) {
					t.Errorf("(regexp_match(%v, %q))[%d] = %s, %v; want %s, %v", s, p, i, formatDatum(got), gotErr, formatDatum(want), wantErr)
				}
			}
		}
	}
	// The fast path allocates no array: only the match indexes.
	row := types.Row{types.Null, types.Null, types.Null, types.Null, types.DString("https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=123"), types.Null, types.Null}
	fn, err := compileExpr(channelID(t))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := fn(ec, row); err != nil || d.S != "123" {
		t.Fatalf("channel_id: %v, %v", d, err)
	}
	// The race detector allocates behind the code's back: counts hold without it.
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { _, _ = fn(ec, row) }); n > 1 {
			t.Errorf("(regexp_match(url, p))[2]: %.0f allocations per row, want at most 1", n)
		}
	}
}

// TestRepeatedSubexpressions: a call that occurs twice in an expression
// runs once per row (not once per occurrence), its value follows the row,
// a volatile call still runs per occurrence, and an error is not memoised.
func TestRepeatedSubexpressions(t *testing.T) {
	ec := newEvalCtx(context.Background(), nil)
	col := &planner.ColRef{Idx: 0, Typ: types.Text}
	eq, err := builtins.ResolveOperator("=", types.Text, types.Text)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	upper := &builtins.Overload{Name: "up", Args: []*types.T{types.Text}, Ret: types.Text,
		Fn: func(_ *builtins.Context, a []types.Datum) (types.Datum, error) {
			calls++
			if a[0].S == "boom" {
				return types.Null, types.Errorf(types.CodeDivisionByZero, "boom")
			}
			return types.DString(a[0].S + "!"), nil
		}}
	call := func(o *builtins.Overload) planner.Expr {
		return &planner.Func{Fn: o, Args: []planner.Expr{col}, Typ: types.Text}
	}
	is := func(e planner.Expr, s string) planner.Expr {
		return &planner.Func{Fn: eq, Args: []planner.Expr{e, textConst(s)}, Typ: types.Bool}
	}
	// CASE WHEN up(c) = 'a!' THEN 'A' WHEN up(c) = 'b!' THEN 'B' ELSE up(c) END
	caseOf := func(o *builtins.Overload) planner.Expr {
		return &planner.Case{Whens: []planner.CaseWhen{
			{Cond: is(call(o), "a!"), Result: textConst("A")},
			{Cond: is(call(o), "b!"), Result: textConst("B")},
		}, Else: call(o), Typ: types.Text}
	}
	fn, err := compileExpr(caseOf(upper))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{{"a", "A"}, {"b", "B"}, {"c", "c!"}, {"b", "B"}} {
		calls = 0
		d, err := fn(ec, types.Row{types.DString(c.in)})
		if err != nil || d.S != c.want {
			t.Fatalf("case over %q: %v, %v; want %q", c.in, d, err, c.want)
		}
		if calls != 1 {
			t.Errorf("case over %q: up() ran %d times, want once", c.in, calls)
		}
	}
	calls = 0
	if _, err := fn(ec, types.Row{types.DString("boom")}); types.Code(err) != types.CodeDivisionByZero {
		t.Fatalf("error not reported: %v", err)
	}
	if len(ec.memo) != 0 || ec.memoBase != 0 {
		t.Fatalf("memo left behind: %d slots, base %d", len(ec.memo), ec.memoBase)
	}
	volatile := *upper
	volatile.Volatility = builtins.Volatile
	vfn, err := compileExpr(caseOf(&volatile))
	if err != nil {
		t.Fatal(err)
	}
	calls = 0
	if d, err := vfn(ec, types.Row{types.DString("c")}); err != nil || d.S != "c!" {
		t.Fatalf("volatile case: %v, %v", d, err)
	}
	if calls != 3 {
		t.Errorf("volatile up() ran %d times, want 3 (once per occurrence)", calls)
	}
	// q14's filter computes 0.908 * price once per row.
	qs := exprBenchQueries(t)
	pred, err := compileExpr(qs["q14"].pred)
	if err != nil {
		t.Fatal(err)
	}
	r := bidChunk().Rows[5]
	// The race detector allocates behind the code's back: counts hold without it.
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { _, _ = pred(ec, r) }); n > 1 {
			t.Errorf("q14 filter: %.0f allocations per row, want 1 (one product)", n)
		}
	}
}
