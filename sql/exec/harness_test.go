package exec

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/cockroachdb/datadriven"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// The datadriven harness drives one operator with chunks written in the
// chunk text format:
//
//	aggregate cols=int,text group=(1) aggs=(count*,sum:0)
//	----
//
//	push input=0
//	+ 1 a
//	U- 1 a
//	U+ 2 a
//	----
//	(output rows, or "ok" when nothing was emitted)
//
//	barrier [final]
//	----
//	...
//
// Values are split on whitespace; NULL is the NULL datum.

func parseTypes(t testing.TB, s string) []*types.T {
	var ts []*types.T
	for _, name := range strings.Split(s, ",") {
		ts = append(ts, typeByName(t, strings.TrimSpace(name)))
	}
	return ts
}

func typeByName(t testing.TB, name string) *types.T {
	switch name {
	case "int", "int8", "bigint":
		return types.Int8
	case "int4":
		return types.Int4
	case "text":
		return types.Text
	case "float", "float8":
		return types.Float8
	case "numeric":
		return types.Numeric
	case "bool":
		return types.Bool
	}
	t.Fatalf("unknown type %q", name)
	return nil
}

func schemaOf(ts []*types.T) types.Schema {
	s := make(types.Schema, len(ts))
	for i, t := range ts {
		s[i] = types.Column{Name: fmt.Sprintf("c%d", i), Type: t}
	}
	return s
}

func parseDatum(t testing.TB, s string, typ *types.T) types.Datum {
	if s == "NULL" {
		return types.Null
	}
	switch typ.Family {
	case types.IntFamily:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return types.DInt(v)
	case types.FloatFamily:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return types.DFloat(v)
	case types.NumericFamily:
		d, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		return types.DDecimal(d)
	case types.BoolFamily:
		return types.DBool(s == "t" || s == "true")
	case types.StringFamily:
		return types.DString(s)
	}
	t.Fatalf("cannot parse %s", typ)
	return types.Null
}

func parseChunk(t testing.TB, input string, ts []*types.T) *types.Chunk {
	c := &types.Chunk{}
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		var op types.Op
		switch fields[0] {
		case "+":
			op = types.Insert
		case "-":
			op = types.Delete
		case "U-":
			op = types.UpdateDelete
		case "U+":
			op = types.UpdateInsert
		default:
			t.Fatalf("bad op in %q", line)
		}
		if len(fields)-1 != len(ts) {
			t.Fatalf("row %q has %d values, want %d", line, len(fields)-1, len(ts))
		}
		r := make(types.Row, len(ts))
		for i, f := range fields[1:] {
			r[i] = parseDatum(t, f, ts[i])
		}
		c.Append(op, r)
	}
	return c
}

func formatDatum(d types.Datum) string {
	switch d.K {
	case types.KNull:
		return "NULL"
	case types.KBool:
		if d.Bool() {
			return "t"
		}
		return "f"
	case types.KInt:
		return strconv.FormatInt(d.I, 10)
	case types.KFloat:
		return strconv.FormatFloat(d.Float(), 'g', -1, 64)
	case types.KDecimal:
		return d.Decimal().Text('f')
	case types.KString, types.KJSON:
		if d.S == "" {
			return `""`
		}
		return d.S
	case types.KArray:
		a := d.Array()
		parts := make([]string, len(a.Elems))
		for i, e := range a.Elems {
			parts[i] = formatDatum(e)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case types.KInterval:
		iv := d.Interval()
		return fmt.Sprintf("%dmon%dd%dus", iv.Months, iv.Days, iv.Micros)
	}
	return fmt.Sprintf("%v", d)
}

func formatRow(r types.Row) string {
	parts := make([]string, len(r))
	for i, d := range r {
		parts[i] = formatDatum(d)
	}
	return strings.Join(parts, " ")
}

// recorder is an Emitter that prints what it receives.
type recorder struct{ sb strings.Builder }

func (r *recorder) Emit(_ context.Context, c *types.Chunk) error {
	for i, row := range c.Rows {
		fmt.Fprintf(&r.sb, "%s %s\n", c.Ops[i], formatRow(row))
	}
	return nil
}

// takeRaw returns what was recorded, possibly nothing.
func (r *recorder) takeRaw() string {
	s := r.sb.String()
	r.sb.Reset()
	return s
}

func (r *recorder) take() string {
	s := r.sb.String()
	r.sb.Reset()
	if s == "" {
		return "ok\n"
	}
	return s
}

// parseList parses "(a,b,c)" or "a,b,c" into its items (commas inside
// nested parentheses are kept).
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func parseInts(t testing.TB, s string) []int {
	var out []int
	for _, item := range parseList(s) {
		v, err := strconv.Atoi(item)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// parseSortKeys parses "0 desc,1 nullsfirst".
func parseSortKeys(t testing.TB, s string) []planner.SortKey {
	var keys []planner.SortKey
	for _, item := range parseList(s) {
		f := strings.Fields(item)
		col, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatal(err)
		}
		k := planner.SortKey{Col: col}
		for _, m := range f[1:] {
			switch m {
			case "desc":
				k.Desc, k.NullsFirst = true, true
			case "nullsfirst":
				k.NullsFirst = true
			case "nullslast":
				k.NullsFirst = false
			}
		}
		keys = append(keys, k)
	}
	return keys
}

// testAgg builds an aggregate overload for the given input type, with the
// result type Postgres gives it.
func testAgg(name string, arg *types.T) *builtins.AggOverload {
	kinds := map[string]builtins.AggKind{
		"count": builtins.AggCount, "count*": builtins.AggCountStar, "sum": builtins.AggSum,
		"avg": builtins.AggAvg, "min": builtins.AggMin, "max": builtins.AggMax,
		"string_agg": builtins.AggStringAgg, "array_agg": builtins.AggArrayAgg,
		"bool_and": builtins.AggBoolAnd, "bool_or": builtins.AggBoolOr,
		"jsonb_agg": builtins.AggJSONAgg, "stddev": builtins.AggStddevSamp,
		"var_pop": builtins.AggVarPop, "bit_or": builtins.AggBitOr, "bit_and": builtins.AggBitAnd,
	}
	k := kinds[name]
	o := &builtins.AggOverload{Name: name, Kind: k}
	if arg != nil {
		o.Args = []*types.T{arg}
	}
	switch k {
	case builtins.AggCount, builtins.AggCountStar:
		o.Ret = types.Int8
	case builtins.AggSum:
		switch {
		case arg.Oid == types.OidInt8:
			o.Ret = types.Numeric
		case arg.Family == types.IntFamily:
			o.Ret = types.Int8
		default:
			o.Ret = arg
		}
	case builtins.AggAvg, builtins.AggStddevSamp, builtins.AggVarPop:
		if arg.Family == types.FloatFamily {
			o.Ret = types.Float8
		} else {
			o.Ret = types.Numeric
		}
	case builtins.AggStringAgg:
		o.Ret = types.Text
		o.Args = []*types.T{types.Text, types.Text}
	case builtins.AggArrayAgg:
		o.Ret = types.ArrayOf(arg)
	case builtins.AggBoolAnd, builtins.AggBoolOr:
		o.Ret = types.Bool
	case builtins.AggJSONAgg:
		o.Ret = types.JSONB
	default:
		o.Ret = arg
	}
	return o
}

// parseAggCall parses "name:argcol[:argcol...][:distinct][:filter=N][:order=(keys)]".
func parseAggCall(t testing.TB, s string, ts []*types.T) planner.AggCall {
	parts := strings.Split(s, ":")
	call := planner.AggCall{Filter: -1}
	for _, p := range parts[1:] {
		switch {
		case p == "distinct":
			call.Distinct = true
		case strings.HasPrefix(p, "filter="):
			call.Filter, _ = strconv.Atoi(strings.TrimPrefix(p, "filter="))
		case strings.HasPrefix(p, "order="):
			call.OrderBy = parseSortKeys(t, strings.ReplaceAll(strings.TrimPrefix(p, "order="), ";", ","))
		default:
			v, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("bad aggregate argument %q", p)
			}
			call.Args = append(call.Args, v)
		}
	}
	var arg *types.T
	if len(call.Args) > 0 {
		arg = ts[call.Args[0]]
	}
	call.Agg = testAgg(parts[0], arg)
	return call
}

// valuesNode is a plan leaf with the given column types, used as the input
// of an operator under test.
func valuesNode(ts []*types.T) planner.Node {
	return &planner.Values{Cols: schemaOf(ts)}
}

func runOperatorTests(t *testing.T, dir string) {
	datadriven.Walk(t, dir, func(t *testing.T, path string) {
		var op Operator
		var inputs [2][]*types.T
		rec := &recorder{}
		ctx := context.Background()
		ec := newEvalCtx(ctx, nil)
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			arg := func(key string) string {
				a, ok := td.Arg(key)
				if !ok {
					return ""
				}
				return strings.Join(a.Vals, ",")
			}
			switch td.Cmd {
			case "aggregate":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				n := &planner.Aggregate{Input: valuesNode(ts), GroupCols: parseInts(t, arg("group"))}
				for _, a := range parseList(arg("aggs")) {
					n.Aggs = append(n.Aggs, parseAggCall(t, a, ts))
				}
				a, err := newAggregate(ec, n)
				if err != nil {
					return "error: " + err.Error()
				}
				op = a
			case "join":
				l, r := parseTypes(t, arg("left")), parseTypes(t, arg("right"))
				inputs[0], inputs[1] = l, r
				kinds := map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin,
					"right": planner.RightJoin, "full": planner.FullJoin, "semi": planner.SemiJoin, "anti": planner.AntiJoin}
				n := &planner.Join{Kind: kinds[arg("kind")], Left: valuesNode(l), Right: valuesNode(r),
					LeftKeys: parseInts(t, arg("lkeys")), RightKeys: parseInts(t, arg("rkeys")),
					NullAware: td.HasArg("nullaware")}
				if on := arg("on"); on != "" {
					// on=a<b compares two columns of the concatenated row.
					cols := parseInts(t, strings.ReplaceAll(on, "<", ","))
					n.On = &planner.Func{Fn: testLess(), Args: []planner.Expr{
						&planner.ColRef{Idx: cols[0], Typ: types.Int8}, &planner.ColRef{Idx: cols[1], Typ: types.Int8}}, Typ: types.Bool}
				}
				j, err := newHashJoin(ec, n)
				if err != nil {
					return "error: " + err.Error()
				}
				op = j
			case "distinct":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				var on []int
				if td.HasArg("on") {
					on = parseInts(t, arg("on"))
				}
				op = newDistinct(&planner.Distinct{Input: valuesNode(ts), On: on})
			case "setop":
				ts := parseTypes(t, arg("cols"))
				inputs[0], inputs[1] = ts, ts
				kinds := map[string]planner.SetOpKind{"union": planner.Union, "intersect": planner.Intersect, "except": planner.Except}
				op = newSetOp(&planner.SetOp{Kind: kinds[arg("kind")], All: td.HasArg("all"), Cols: schemaOf(ts)})
			case "sort":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				count, offset := int64(-1), int64(0)
				if td.HasArg("limit") {
					count, _ = strconv.ParseInt(arg("limit"), 10, 64)
				}
				if td.HasArg("offset") {
					offset, _ = strconv.ParseInt(arg("offset"), 10, 64)
				}
				op = newSort(parseSortKeys(t, arg("keys")), count, offset)
			case "topn":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				count, offset := int64(-1), int64(0)
				if td.HasArg("limit") {
					count, _ = strconv.ParseInt(arg("limit"), 10, 64)
				}
				if td.HasArg("offset") {
					offset, _ = strconv.ParseInt(arg("offset"), 10, 64)
				}
				op = newTopN(parseSortKeys(t, arg("keys")), count, offset)
			case "limit":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				count, offset := int64(-1), int64(0)
				if td.HasArg("limit") {
					count, _ = strconv.ParseInt(arg("limit"), 10, 64)
				}
				if td.HasArg("offset") {
					offset, _ = strconv.ParseInt(arg("offset"), 10, 64)
				}
				op = newLimit(count, offset)
			case "filter":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				f, err := newFilter(ec, &planner.Filter{Input: valuesNode(ts), Pred: parseTestExpr(t, arg("pred"), ts)})
				if err != nil {
					return "error: " + err.Error()
				}
				op = f
			case "project":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				n := &planner.Project{Input: valuesNode(ts)}
				for _, e := range parseList(arg("exprs")) {
					x := parseTestExpr(t, e, ts)
					n.Exprs = append(n.Exprs, x)
					n.Cols = append(n.Cols, types.Column{Type: x.Type()})
				}
				p, err := newProject(ec, n, false)
				if err != nil {
					return "error: " + err.Error()
				}
				op = p
			case "window":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				n := &planner.Window{Input: valuesNode(ts)}
				for _, f := range parseList(arg("funcs")) {
					n.Funcs = append(n.Funcs, parseWindowCall(t, f, ts))
				}
				w, err := newWindow(ec, n)
				if err != nil {
					return "error: " + err.Error()
				}
				op = w
			case "project_set":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				n := &planner.ProjectSet{Input: valuesNode(ts)}
				width := len(ts)
				for _, f := range parseList(arg("srfs")) {
					// series(lo,hi) over test expressions.
					args := parseList(strings.TrimPrefix(f, "series"))
					fs := &planner.FuncScan{Fn: testSeries(), Cols: schemaOf([]*types.T{types.Int8})}
					for _, a := range args {
						fs.Args = append(fs.Args, parseTestExpr(t, a, ts))
					}
					n.SRFs = append(n.SRFs, fs)
					width++
				}
				n.Cols = make(types.Schema, width)
				p, err := newProjectSet(ec, n)
				if err != nil {
					return "error: " + err.Error()
				}
				op = p
			case "run-values", "run-scan", "run-funcscan":
				// Run a source through Run and print what the collector
				// received.
				var plan planner.Node
				env := &Env{}
				switch td.Cmd {
				case "run-values":
					ts := parseTypes(t, arg("cols"))
					v := &planner.Values{Cols: schemaOf(ts)}
					for _, r := range parseChunk(t, td.Input, ts).Rows {
						var exprs []planner.Expr
						for i, d := range r {
							exprs = append(exprs, &planner.Const{Value: d, Typ: ts[i]})
						}
						v.Rows = append(v.Rows, exprs)
					}
					plan = v
				case "run-scan":
					// The input holds stored rows (possibly short, as written
					// before ADD COLUMN) of the physical types.
					phys := parseTypes(t, arg("phys"))
					var stored []types.Row
					for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
						f := strings.Fields(line)
						r := make(types.Row, len(f))
						for i, v := range f {
							r[i] = parseDatum(t, v, phys[i])
						}
						stored = append(stored, r)
					}
					env.Tables = rowsTable(stored)
					slots := parseInts(t, arg("slots"))
					var missing []types.Datum
					for i, m := range parseList(arg("missing")) {
						missing = append(missing, parseDatum(t, m, phys[i]))
					}
					cols := make([]*types.T, len(slots))
					for i, sl := range slots {
						cols[i] = phys[sl]
					}
					plan = &planner.Scan{Table: planner.TableRef{ID: 1, Name: "t", NumPhysical: len(phys), Missing: missing}, Phys: slots, Cols: schemaOf(cols)}
				case "run-funcscan":
					bounds := parseInts(t, arg("series"))
					fs := &planner.FuncScan{Fn: testSeries(), Args: []planner.Expr{ic(int64(bounds[0])), ic(int64(bounds[1]))},
						WithOrdinality: td.HasArg("ordinality"), Cols: schemaOf([]*types.T{types.Int8})}
					if fs.WithOrdinality {
						fs.Cols = schemaOf([]*types.T{types.Int8, types.Int8})
					}
					plan = fs
				}
				var sb strings.Builder
				err := Run(ctx, env, plan, func(r types.Row) error {
					sb.WriteString(formatRow(r) + "\n")
					return nil
				})
				if err != nil {
					sb.WriteString("error: " + err.Error() + "\n")
				}
				if sb.Len() == 0 {
					return "(no rows)\n"
				}
				return sb.String()
			case "collector":
				inputs[0] = parseTypes(t, arg("cols"))
				op = &collector{emit: func(r types.Row) error {
					fmt.Fprintf(&rec.sb, "row: %s\n", formatRow(r))
					return nil
				}}
			case "push":
				input := 0
				if td.HasArg("input") {
					input, _ = strconv.Atoi(arg("input"))
				}
				c := parseChunk(t, td.Input, inputs[input])
				if err := op.Push(ctx, input, c, rec); err != nil {
					return rec.takeRaw() + "error: " + err.Error() + "\n"
				}
				return rec.take()
			case "input-done":
				// A final barrier on one input only (the other still open).
				input, _ := strconv.Atoi(arg("input"))
				if obs, ok := op.(inputBarrierObserver); ok {
					obs.InputBarrier(input, types.Barrier{Final: true})
				}
				return "ok\n"
			case "barrier":
				b := types.Barrier{Final: td.HasArg("final")}
				if err := op.Barrier(ctx, b, rec); err != nil {
					return rec.takeRaw() + "error: " + err.Error() + "\n"
				}
				return rec.take()
			default:
				t.Fatalf("unknown command %s", td.Cmd)
			}
			return "ok\n"
		})
	})
}

// testLess is "<" over integers.
func testLess() *builtins.Overload {
	return &builtins.Overload{Name: "<", Args: []*types.T{types.Int8, types.Int8}, Ret: types.Bool,
		Fn: func(_ *builtins.Context, args []types.Datum) (types.Datum, error) {
			return types.DBool(args[0].Int() < args[1].Int()), nil
		}}
}

// parseTestExpr parses the small expression language of the testdata:
// "$N" (column N), integer literals, NULL, and one binary operator among
// < > = + / between two of those.
func parseTestExpr(t testing.TB, s string, ts []*types.T) planner.Expr {
	s = strings.TrimSpace(s)
	for _, op := range []string{"<", ">", "=", "+", "/"} {
		if i := strings.Index(s, op); i > 0 {
			l, r := parseTestExpr(t, s[:i], ts), parseTestExpr(t, s[i+1:], ts)
			fn := map[string]*builtins.Overload{"<": opLt, ">": opGt, "=": opEq, "+": opAdd, "/": opDiv}[op]
			return &planner.Func{Fn: fn, Args: []planner.Expr{l, r}, Typ: fn.Ret}
		}
	}
	if s == "NULL" {
		return &planner.Const{Value: types.Null, Typ: types.Int8}
	}
	if strings.HasPrefix(s, "$") {
		i, err := strconv.Atoi(s[1:])
		if err != nil {
			t.Fatal(err)
		}
		return &planner.ColRef{Idx: i, Typ: ts[i]}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("bad test expression %q", s)
	}
	return &planner.Const{Value: types.DInt(v), Typ: types.Int8}
}

// parseWindowCall parses "name[:argcol...][:p=cols][:o=keys][:frame=spec]"
// where cols and keys use ';' as separator and the frame spec is
// "rows|range,start,end" with bounds up, Np, cr, Nf, uf.
func parseWindowCall(t testing.TB, s string, ts []*types.T) planner.WindowCall {
	parts := strings.Split(s, ":")
	call := planner.WindowCall{Filter: -1, Frame: planner.Frame{Start: planner.UnboundedPreceding, End: planner.CurrentRow}}
	for _, p := range parts[1:] {
		switch {
		case strings.HasPrefix(p, "p="):
			call.PartitionBy = parseInts(t, strings.ReplaceAll(strings.TrimPrefix(p, "p="), ";", ","))
		case strings.HasPrefix(p, "o="):
			call.OrderBy = parseSortKeys(t, strings.ReplaceAll(strings.TrimPrefix(p, "o="), ";", ","))
		case strings.HasPrefix(p, "frame="):
			f := strings.Split(strings.TrimPrefix(p, "frame="), ";")
			call.Frame.Rows = f[0] == "rows"
			call.Frame.Start, call.Frame.StartOffset = parseBound(t, f[1])
			call.Frame.End, call.Frame.EndOffset = parseBound(t, f[2])
		default:
			v, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("bad window argument %q", p)
			}
			call.Args = append(call.Args, v)
		}
	}
	kinds := map[string]builtins.WindowKind{
		"row_number": builtins.WinRowNumber, "rank": builtins.WinRank, "dense_rank": builtins.WinDenseRank,
		"percent_rank": builtins.WinPercentRank, "cume_dist": builtins.WinCumeDist, "ntile": builtins.WinNtile,
		"lag": builtins.WinLag, "lead": builtins.WinLead, "first_value": builtins.WinFirstValue,
		"last_value": builtins.WinLastValue, "nth_value": builtins.WinNthValue,
	}
	if k, ok := kinds[parts[0]]; ok {
		call.Win = &builtins.WindowOverload{Name: parts[0], Kind: k}
		return call
	}
	var arg *types.T
	if len(call.Args) > 0 {
		arg = ts[call.Args[0]]
	}
	call.Agg = testAgg(parts[0], arg)
	return call
}

func parseBound(t testing.TB, s string) (planner.FrameBound, planner.Expr) {
	switch s {
	case "up":
		return planner.UnboundedPreceding, nil
	case "uf":
		return planner.UnboundedFollowing, nil
	case "cr":
		return planner.CurrentRow, nil
	}
	v, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil {
		t.Fatalf("bad frame bound %q", s)
	}
	if strings.HasSuffix(s, "p") {
		return planner.OffsetPreceding, ic(v)
	}
	return planner.OffsetFollowing, ic(v)
}

func testSeries() *builtins.Overload {
	return &builtins.Overload{Name: "generate_series", Args: []*types.T{types.Int8, types.Int8}, SetReturning: true,
		SRFColumns: schemaOf([]*types.T{types.Int8}),
		SRF: func(_ *builtins.Context, args []types.Datum, emit func(types.Row) error) error {
			for i := args[0].Int(); i <= args[1].Int(); i++ {
				if err := emit(types.Row{types.DInt(i)}); err != nil {
					return err
				}
			}
			return nil
		}}
}

// rowsTable is a TableReader over one table's stored rows.
type rowsTable []types.Row

func (rt rowsTable) ScanTable(_ context.Context, _ planner.TableRef, fn func(types.Row) error) error {
	for _, r := range rt {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func TestOperators(t *testing.T) {
	for _, dir := range []string{"aggregate", "hash_join", "distinct", "set_op", "sort", "limit", "filter", "project", "window", "project_set", "topn", "values", "scan", "funcscan", "collector"} {
		t.Run(dir, func(t *testing.T) { runOperatorTests(t, "testdata/"+dir) })
	}
}
