package builtins

import (
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

func TestResolveOperator(t *testing.T) {
	U := types.Unknown
	cases := []struct {
		op          string
		left, right *types.T
		wantArgs    []*types.T
		wantRet     *types.T
		wantCode    string
	}{
		{"+", types.Int4, types.Int4, args(types.Int4, types.Int4), types.Int4, ""},
		{"+", types.Int4, types.Int8, args(types.Int8, types.Int8), types.Int8, ""},
		{"+", types.Int2, types.Int2, args(types.Int2, types.Int2), types.Int2, ""},
		{"+", types.Int4, types.Numeric, args(types.Numeric, types.Numeric), types.Numeric, ""},
		{"+", types.Numeric, types.Float8, args(types.Float8, types.Float8), types.Float8, ""},
		{"+", types.Int4, U, args(types.Int4, types.Int4), types.Int4, ""},
		{"/", types.Int8, types.Numeric, args(types.Numeric, types.Numeric), types.Numeric, ""},
		{"=", types.Text, types.Text, args(types.Text, types.Text), types.Bool, ""},
		{"=", types.Varchar, types.Varchar, args(types.Text, types.Text), types.Bool, ""},
		{"=", types.Varchar, U, args(types.Text, types.Text), types.Bool, ""},
		{"=", U, U, args(types.Text, types.Text), types.Bool, ""},
		{"=", types.Int4, types.Int8, args(types.Int8, types.Int8), types.Bool, ""},
		{"<", types.Date, types.Timestamp, args(types.Timestamp, types.Timestamp), types.Bool, ""},
		{"=", types.RegClass, types.Oid, args(types.Oid, types.Oid), types.Bool, ""},
		{"||", U, U, args(types.Text, types.Text), types.Text, ""},
		{"||", types.Text, types.Int4, args(types.Text, types.Int4), types.Text, ""},
		{"||", types.Int4Array, types.Int4, args(types.Int4Array, types.Int4), types.Int4Array, ""},
		{"||", types.Int4Array, types.Int4Array, args(types.Int4Array, types.Int4Array), types.Int4Array, ""},
		{"||", types.Varchar, types.Varchar, args(types.Text, types.Text), types.Text, ""},
		{"+", types.Date, types.Int4, args(types.Date, types.Int4), types.Date, ""},
		{"+", types.Date, types.Interval, args(types.Date, types.Interval), types.Timestamp, ""},
		{"-", types.TimestampTZ, U, args(types.TimestampTZ, types.TimestampTZ), types.Interval, ""},
		{"-", types.Date, types.Date, args(types.Date, types.Date), types.Int4, ""},
		{"->>", types.JSONB, U, args(types.JSONB, types.Text), types.Text, ""},
		{"->", types.JSONB, types.Int4, args(types.JSONB, types.Int4), types.JSONB, ""},
		{"-", types.JSONB, U, args(types.JSONB, types.Text), types.JSONB, ""},
		{"~~", types.Varchar, U, args(types.Text, types.Text), types.Bool, ""},
		{"~", types.Text, U, args(types.Text, types.Text), types.Bool, ""},
		{"*", types.Interval, types.Int4, args(types.Interval, types.Float8), types.Interval, ""},
		{"@>", types.Int4Array, types.Int4Array, args(types.Int4Array, types.Int4Array), types.Bool, ""},
		{"=", types.Text, types.Int4, nil, nil, types.CodeUndefinedFunction},
		{"+", types.Int4, types.Text, nil, nil, types.CodeUndefinedFunction},
		{"-", nil, types.Int4, args(types.Int4), types.Int4, ""},
		{"-", nil, types.Text, nil, nil, types.CodeUndefinedFunction},
		{"^", types.Int4, types.Int4, args(types.Float8, types.Float8), types.Float8, ""},
		// Result types checked against PostgreSQL 15.
		{"*", types.Float4, types.Int4, args(types.Float4, types.Float8), types.Float8, ""},
		{"*", types.Float4, types.Numeric, args(types.Float4, types.Float8), types.Float8, ""},
		{"/", types.Numeric, types.Float4, args(types.Float8, types.Float4), types.Float8, ""},
		{"+", types.Int2, types.Int4, args(types.Int4, types.Int4), types.Int4, ""},
		{"+", U, types.Int4, args(types.Int4, types.Int4), types.Int4, ""},
		{"-", types.Date, types.Interval, args(types.Date, types.Interval), types.Timestamp, ""},
		{"-", types.Time, types.Time, args(types.Time, types.Time), types.Interval, ""},
		{"=", types.Int4, types.Oid, args(types.Oid, types.Oid), types.Bool, ""},
		{"->>", types.JSONB, types.Int4, args(types.JSONB, types.Int4), types.Text, ""},
	}
	for _, c := range cases {
		o, err := ResolveOperator(c.op, c.left, c.right)
		name := typeNames([]*types.T{c.left}) + " " + c.op + " " + c.right.Name()
		if c.wantCode != "" {
			if err == nil || types.Code(err) != c.wantCode {
				t.Errorf("%s: want error %s, got %v", name, c.wantCode, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(o.Args) != len(c.wantArgs) {
			t.Errorf("%s: args %v", name, typeNames(o.Args))
			continue
		}
		for i := range o.Args {
			if o.Args[i].Oid != c.wantArgs[i].Oid {
				t.Errorf("%s: args %s, want %s", name, typeNames(o.Args), typeNames(c.wantArgs))
				break
			}
		}
		if o.Ret.Oid != c.wantRet.Oid {
			t.Errorf("%s: ret %s, want %s", name, o.Ret.Name(), c.wantRet.Name())
		}
	}
}

func TestResolveErrors(t *testing.T) {
	_, err := ResolveOperator("+", types.Int4, types.Text)
	if err == nil || err.Error() != "operator does not exist: integer + text" {
		t.Fatalf("got %v", err)
	}
	_, err = ResolveFunction("nosuch", args(types.Int4))
	if err == nil || err.Error() != "function nosuch(integer) does not exist" || types.Code(err) != types.CodeUndefinedFunction {
		t.Fatalf("got %v", err)
	}
}

func TestResolveAggregateWindow(t *testing.T) {
	cases := []struct {
		name string
		args []*types.T
		kind AggKind
		ret  *types.T
	}{
		{"count", nil, AggCountStar, types.Int8},
		{"count", args(types.Text), AggCount, types.Int8},
		{"sum", args(types.Int4), AggSum, types.Int8},
		{"sum", args(types.Int8), AggSum, types.Numeric},
		{"sum", args(types.Float4), AggSum, types.Float4},
		{"sum", args(types.Numeric), AggSum, types.Numeric},
		{"avg", args(types.Int4), AggAvg, types.Numeric},
		{"avg", args(types.Float8), AggAvg, types.Float8},
		{"min", args(types.Varchar), AggMin, types.Text},
		{"max", args(types.TimestampTZ), AggMax, types.TimestampTZ},
		{"max", args(types.Int4Array), AggMax, types.Int4Array},
		{"array_agg", args(types.Int8), AggArrayAgg, types.Int8Array},
		{"string_agg", args(types.Text, types.Unknown), AggStringAgg, types.Text},
		{"stddev", args(types.Int4), AggStddevSamp, types.Numeric},
		{"jsonb_agg", args(types.Int4), AggJSONAgg, types.JSONB},
		{"bool_and", args(types.Bool), AggBoolAnd, types.Bool},
	}
	for _, c := range cases {
		a, err := ResolveAggregate(c.name, c.args)
		if err != nil {
			t.Errorf("%s(%s): %v", c.name, typeNames(c.args), err)
			continue
		}
		if a.Kind != c.kind || a.Ret.Oid != c.ret.Oid {
			t.Errorf("%s(%s): kind %d ret %s", c.name, typeNames(c.args), a.Kind, a.Ret.Name())
		}
	}
	w, err := ResolveWindow("lag", args(types.Int8, types.Int4, types.Int4))
	if err != nil || w.Kind != WinLag || w.Ret.Oid != types.OidInt8 || w.Args[2].Oid != types.OidInt8 {
		t.Errorf("lag: %+v %v", w, err)
	}
	w, err = ResolveWindow("sum", args(types.Int4))
	if err != nil || w.Kind != WinAggregate || w.Ret.Oid != types.OidInt8 {
		t.Errorf("sum over: %+v %v", w, err)
	}
	w, err = ResolveWindow("row_number", nil)
	if err != nil || w.Ret.Oid != types.OidInt8 {
		t.Errorf("row_number: %+v %v", w, err)
	}
	if !IsAggregate("count") || IsAggregate("lower") || !IsWindowFunction("rank") || IsWindowFunction("sum") {
		t.Error("IsAggregate/IsWindowFunction")
	}
}

func TestCommonType(t *testing.T) {
	U := types.Unknown
	cases := []struct {
		in   []*types.T
		want *types.T
		err  string
	}{
		{[]*types.T{U, U}, types.Text, ""},
		{[]*types.T{types.Int4, U}, types.Int4, ""},
		{[]*types.T{types.Int4, types.Int8}, types.Int8, ""},
		{[]*types.T{types.Int8, types.Int4}, types.Int8, ""},
		{[]*types.T{types.Int4, types.Numeric}, types.Numeric, ""},
		{[]*types.T{types.Numeric, types.Float8, types.Int4}, types.Float8, ""},
		{[]*types.T{types.Text, types.Varchar}, types.Text, ""},
		{[]*types.T{types.Date, types.Timestamp}, types.Timestamp, ""},
		{[]*types.T{types.Timestamp, types.TimestampTZ}, types.TimestampTZ, ""},
		{[]*types.T{types.Int4, types.Text}, nil, "CASE types integer and text cannot be matched"},
	}
	for _, c := range cases {
		got, err := CommonTypeIn("CASE", c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err || types.Code(err) != types.CodeDatatypeMismatch {
				t.Errorf("%s: got %v, want %s", typeNames(c.in), err, c.err)
			}
			continue
		}
		if err != nil || got.Oid != c.want.Oid {
			t.Errorf("%s: got %v %v, want %s", typeNames(c.in), got, err, c.want.Name())
		}
	}
	vc := types.Varchar.WithTypmod(14)
	if got, _ := CommonType([]*types.T{vc, vc}); got.Typmod != 14 {
		t.Errorf("typmod lost: %v", got)
	}
}

func TestRegistryComplete(t *testing.T) {
	for _, o := range append(append([]*Overload(nil), Functions()...), Operators()...) {
		if o.Ret == nil {
			t.Errorf("%s(%s): no return type", o.Name, typeNames(o.Args))
		}
		if o.Fn == nil && o.SRF == nil && registry().binders[o] == nil {
			t.Errorf("%s(%s): no implementation", o.Name, typeNames(o.Args))
		}
		if o.SetReturning && len(o.SRFColumns) == 0 {
			t.Errorf("%s(%s): no SRF columns", o.Name, typeNames(o.Args))
		}
	}
}

func TestRealOids(t *testing.T) {
	o, err := ResolveFunction("lower", args(types.Text))
	if err != nil || o.Oid != 870 {
		t.Errorf("lower(text) oid %d %v", o.Oid, err)
	}
	o, err = ResolveOperator("+", types.Int4, types.Int4)
	if err != nil || o.Oid != 551 {
		t.Errorf("int4 + int4 oid %d %v", o.Oid, err)
	}
}

func TestSpecialisationIsShared(t *testing.T) {
	a, err1 := ResolveFunction("concat", args(types.Text, types.Int4))
	b, err2 := ResolveFunction("concat", args(types.Text, types.Int4))
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("concat resolved twice to different overloads")
	}
	c, _ := ResolveFunction("concat", args(types.Text, types.Int8))
	if c == a {
		t.Errorf("different argument types share a specialisation")
	}
	x, _ := ResolveOperator("~", types.Text, types.Unknown)
	y, _ := ResolveOperator("~", types.Text, types.Unknown)
	if x != y {
		t.Errorf("regex operator resolved to different overloads")
	}
}
