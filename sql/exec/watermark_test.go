package exec

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// The watermark harness drives a Dataflow whose inputs have a WATERMARK
// clause. Timestamps are written as whole seconds (type ts):
//
//	tumble cols=int,ts time=1 size=10 group=(2) aggs=(count*) [eowc]
//	    TUMBLE(t, c1, size) (columns: the input's, window_start,
//	    window_end), GROUP BY group, aggs over the projected columns
//	hop cols=int,ts time=1 slide=5 size=10 group=(2) aggs=(count*) [eowc]
//	join left=int,ts right=int,ts ltime=1 rtime=1 lkeys=(1) rkeys=(1)
//	    inner equi-join of two watermarked inputs
//	... delay=N sets the WATERMARK delay in seconds (default 0)
//	push [input=1]    changes of input 0 or 1
//	barrier           ends the epoch: prints the output, the output
//	                  watermarks (wm col=value) and the late-row count
//	restart           restores a new dataflow from the committed state
//	state             prints the number of state entries per table
func TestWatermarkScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/watermark", func(t *testing.T, path string) {
		ctx := context.Background()
		store := &memStateStore{m: map[string][]byte{}}
		var plan planner.Node
		var df *Dataflow
		var inputs [2][]*types.T
		var timeCols [2]int
		var delay int64
		eowc := false
		epoch := uint64(0)
		build := func() error {
			var err error
			df, err = NewDataflowWithOptions(ctx, nil, plan, DataflowOptions{
				StateBase: 1<<31 | 7<<8, EmitOnWindowClose: eowc,
				InputWatermark: func(id uint32) (int, int64, bool) { return timeCols[id-1], delay, true },
			})
			return err
		}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			arg := func(key string) string {
				a, ok := td.Arg(key)
				if !ok {
					return ""
				}
				return strings.Join(a.Vals, ",")
			}
			num := func(key string) int64 {
				v, err := strconv.ParseInt(arg(key), 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				return v
			}
			switch td.Cmd {
			case "tumble", "hop":
				eowc, delay = td.HasArg("eowc"), 0
				if td.HasArg("delay") {
					delay = num("delay") * 1_000_000
				}
				ts := parseWmTypes(t, arg("cols"))
				inputs[0] = ts
				timeCols[0] = int(num("time"))
				slide, size := num("size"), num("size")
				if td.Cmd == "hop" {
					slide = num("slide")
				}
				win := windowPlan(t, testScan(1, ts...), timeCols[0], slide*1_000_000, size*1_000_000)
				n := &planner.Aggregate{Input: win, GroupCols: parseInts(t, arg("group"))}
				wcols := win.Columns()
				for _, g := range n.GroupCols {
					n.Cols = append(n.Cols, wcols[g])
				}
				var wts []*types.T
				for _, c := range wcols {
					wts = append(wts, c.Type)
				}
				for _, a := range parseList(arg("aggs")) {
					n.Aggs = append(n.Aggs, parseAggCall(t, a, wts))
				}
				plan = n
			case "join":
				delay = 0
				if td.HasArg("delay") {
					delay = num("delay") * 1_000_000
				}
				l, r := parseWmTypes(t, arg("left")), parseWmTypes(t, arg("right"))
				inputs[0], inputs[1] = l, r
				timeCols[0], timeCols[1] = int(num("ltime")), int(num("rtime"))
				ls, rs := testScan(1, l...), testScan(2, r...)
				plan = &planner.Join{Kind: planner.InnerJoin, Left: ls, Right: rs,
					LeftKeys: parseInts(t, arg("lkeys")), RightKeys: parseInts(t, arg("rkeys")),
					Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...)}
			case "push":
				input := 0
				if td.HasArg("input") {
					input, _ = strconv.Atoi(arg("input"))
				}
				if df == nil {
					if err := build(); err != nil {
						return "error: " + err.Error() + "\n"
					}
				}
				if err := df.Push(ctx, uint32(input+1), parseWmChunk(t, td.Input, inputs[input])); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "barrier":
				if df == nil {
					if err := build(); err != nil {
						return "error: " + err.Error() + "\n"
					}
				}
				epoch++
				out, err := df.Barrier(ctx, epoch)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				err = df.StateChanges(store, false,
					func(k, v []byte) error { store.m[string(k)] = v; return nil },
					func(k []byte) error { delete(store.m, string(k)); return nil })
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				var sb strings.Builder
				for i, r := range out.Rows {
					fmt.Fprintf(&sb, "%s %s\n", out.Ops[i], formatWmRow(r))
				}
				wms := append([]types.Watermark(nil), df.OutputWatermarks()...)
				sort.Slice(wms, func(i, j int) bool { return wms[i].Col < wms[j].Col })
				for _, w := range wms {
					fmt.Fprintf(&sb, "wm c%d=%d\n", w.Col, w.Micros/1_000_000)
				}
				if n := df.LateRows(); n > 0 {
					fmt.Fprintf(&sb, "late %d\n", n)
				}
				if sb.Len() == 0 {
					return "ok\n"
				}
				return sb.String()
			case "restart":
				if err := build(); err != nil {
					return "error: " + err.Error() + "\n"
				}
				if err := df.Restore(ctx, store, epoch); err != nil {
					return "error: " + err.Error() + "\n"
				}
			case "state":
				var sb strings.Builder
				for _, id := range df.StateTables() {
					n := 0
					_ = store.ScanPrefix(StateTablePrefix(id), func(k, v []byte) error { n++; return nil })
					fmt.Fprintf(&sb, "table %d: %d entries\n", id&0xff, n)
				}
				return sb.String()
			default:
				t.Fatalf("unknown command %s", td.Cmd)
			}
			return "ok\n"
		})
	})
}

// windowPlan is the plan TUMBLE (slide == size) or HOP binds to: the input
// columns, window_start, window_end.
func windowPlan(t *testing.T, in planner.Node, timeCol int, slide, size int64) planner.Node {
	iv := func(micros int64) planner.Expr {
		return &planner.Const{Value: types.DInterval(types.IntervalValue{Micros: micros}), Typ: types.Interval}
	}
	fn := func(name string, args ...planner.Expr) planner.Expr {
		var ats []*types.T
		for _, a := range args {
			ats = append(ats, a.Type())
		}
		var o *builtins.Overload
		var err error
		if len(args) == 2 && (name == "+" || name == "-") {
			o, err = builtins.ResolveOperator(name, ats[0], ats[1])
		} else {
			o, err = builtins.ResolveFunction(name, ats)
		}
		if err != nil {
			t.Fatal(err)
		}
		return &planner.Func{Fn: o, Args: args, Typ: types.Timestamp}
	}
	cols := in.Columns()
	tcol := &planner.ColRef{Idx: timeCol, Typ: types.Timestamp}
	last := fn("date_bin", iv(slide), tcol, &planner.Const{Value: types.DTimestamp(0), Typ: types.Timestamp})
	var body = in
	var start = last
	if slide != size {
		first := fn("-", last, iv(size-slide))
		series, err := builtins.ResolveFunction("generate_series", []*types.T{types.Timestamp, types.Timestamp, types.Interval})
		if err != nil {
			t.Fatal(err)
		}
		srfCols := types.Schema{{Name: "window_start", Type: types.Timestamp}}
		ps := &planner.ProjectSet{Input: in, SRFs: []*planner.FuncScan{{Fn: series, Args: []planner.Expr{first, last, iv(slide)}, Cols: srfCols}}}
		ps.Cols = append(append(ps.Cols, cols...), srfCols...)
		body = ps
		start = &planner.ColRef{Idx: len(cols), Typ: types.Timestamp}
	}
	p := &planner.Project{Input: body}
	for i, c := range cols {
		p.Exprs = append(p.Exprs, &planner.ColRef{Idx: i, Typ: c.Type})
		p.Cols = append(p.Cols, c)
	}
	p.Exprs = append(p.Exprs, start, fn("+", start, iv(size)))
	p.Cols = append(p.Cols, types.Column{Name: "window_start", Type: types.Timestamp}, types.Column{Name: "window_end", Type: types.Timestamp})
	return p
}

func parseWmTypes(t *testing.T, s string) []*types.T {
	var ts []*types.T
	for _, name := range strings.Split(s, ",") {
		if strings.TrimSpace(name) == "ts" {
			ts = append(ts, types.Timestamp)
			continue
		}
		ts = append(ts, typeByName(t, strings.TrimSpace(name)))
	}
	return ts
}

// parseWmChunk is parseChunk with timestamps in whole seconds.
func parseWmChunk(t *testing.T, input string, ts []*types.T) *types.Chunk {
	plain := make([]*types.T, len(ts))
	for i, typ := range ts {
		plain[i] = typ
		if typ.Family == types.TimestampFamily {
			plain[i] = types.Int8
		}
	}
	c := parseChunk(t, input, plain)
	for _, r := range c.Rows {
		for i, typ := range ts {
			if typ.Family == types.TimestampFamily && !r[i].IsNull() {
				r[i] = types.DTimestamp(r[i].I * 1_000_000)
			}
		}
	}
	return c
}

func formatWmRow(r types.Row) string {
	parts := make([]string, len(r))
	for i, d := range r {
		if d.K == types.KTimestamp {
			parts[i] = fmt.Sprintf("%ds", d.I/1_000_000)
			continue
		}
		parts[i] = formatDatum(d)
	}
	return strings.Join(parts, " ")
}
