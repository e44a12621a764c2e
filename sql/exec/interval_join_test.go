package exec

import (
	"context"
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// intervalJoinHarness drives a Dataflow over an inner join of two inputs
// with time columns, planned by planner.StreamPlan (which marks the
// interval join), with WATERMARK clauses on the inputs.
type intervalJoinHarness struct {
	t         testing.TB
	ctx       context.Context
	store     *memStateStore
	plan      planner.Node
	df        *Dataflow
	inputs    [2][]*types.T
	wmCols    [2]int // stored time column of each input's WATERMARK; -1: none
	wmDelay   int64  // the WATERMARK delay of both inputs, microseconds
	epoch     uint64
	committed bool
}

// tsCondition matches "$A op $B [+|- Ns]" over the concatenated row.
var tsCondition = regexp.MustCompile(`^\$(\d+)\s*(<=|>=|<|>)\s*\$(\d+)\s*(?:([+-])\s*(\d+)s)?$`)

// parseJoinCondition builds the conjunction of the conditions, time
// columns compared with an optional shift in seconds.
func parseJoinCondition(t testing.TB, conds []string, cols []*types.T) planner.Expr {
	var and []planner.Expr
	for _, c := range conds {
		m := tsCondition.FindStringSubmatch(strings.TrimSpace(c))
		if m == nil {
			t.Fatalf("bad condition %q", c)
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		var right planner.Expr = &planner.ColRef{Idx: b, Typ: cols[b]}
		if m[4] != "" {
			secs, _ := strconv.ParseInt(m[5], 10, 64)
			iv := &planner.Const{Value: types.DInterval(types.IntervalValue{Micros: secs * 1_000_000}), Typ: types.Interval}
			fn, err := builtins.ResolveOperator(m[4], cols[b], types.Interval)
			if err != nil {
				t.Fatal(err)
			}
			right = &planner.Func{Fn: fn, Args: []planner.Expr{right, iv}, Typ: fn.Ret}
		}
		fn, err := builtins.ResolveOperator(m[2], cols[a], right.Type())
		if err != nil {
			t.Fatal(err)
		}
		and = append(and, &planner.Func{Fn: fn, Args: []planner.Expr{&planner.ColRef{Idx: a, Typ: cols[a]}, right}, Typ: fn.Ret})
	}
	if len(and) == 1 {
		return and[0]
	}
	return &planner.And{Args: and}
}

// parseTimedTypes is parseTypes that also knows "timestamp".
func parseTimedTypes(t testing.TB, s string) []*types.T {
	var out []*types.T
	for _, name := range strings.Split(s, ",") {
		if name == "timestamp" {
			out = append(out, types.Timestamp)
		} else {
			out = append(out, parseTypes(t, name)...)
		}
	}
	return out
}

// parseTimedChunk is parseChunk where timestamp values are written as
// whole seconds since 1970.
func parseTimedChunk(t testing.TB, input string, ts []*types.T) *types.Chunk {
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

func formatTimedRow(r types.Row) string {
	parts := make([]string, len(r))
	for i, d := range r {
		if d.K == types.KTimestamp {
			parts[i] = strconv.FormatInt(d.I/1_000_000, 10) + "s"
		} else {
			parts[i] = formatDatum(d)
		}
	}
	return strings.Join(parts, " ")
}

func (h *intervalJoinHarness) build() {
	h.t.Helper()
	opts := DataflowOptions{StateBase: 1<<31 | 9<<8, InputWatermark: func(id uint32) (int, int64, bool) {
		if c := h.wmCols[id-1]; c >= 0 {
			return c, h.wmDelay, true
		}
		return 0, 0, false
	}}
	var err error
	if h.df, err = NewDataflowWithOptions(h.ctx, nil, h.plan, opts); err != nil {
		h.t.Fatal(err)
	}
}

func (h *intervalJoinHarness) barrier() (string, error) {
	h.epoch++
	out, err := h.df.Barrier(h.ctx, h.epoch)
	if err != nil {
		return "", err
	}
	err = h.df.StateChanges(h.store, !h.committed,
		func(k, v []byte) error { h.store.m[string(k)] = v; return nil },
		func(k []byte) error { delete(h.store.m, string(k)); return nil })
	if err != nil {
		return "", err
	}
	h.committed = true
	var sb strings.Builder
	for i, r := range out.Rows {
		fmt.Fprintf(&sb, "%s %s\n", out.Ops[i], formatTimedRow(r))
	}
	return sb.String(), nil
}

// join returns the dataflow's interval join operator.
func (h *intervalJoinHarness) join() *intervalJoin {
	for _, in := range h.df.state {
		if ij, ok := in.op.(*intervalJoin); ok {
			return ij
		}
	}
	h.t.Fatal("no interval join in the dataflow")
	return nil
}

// The interval join scripts (testdata/interval_join):
//
//	interval-join left=int,timestamp right=int,timestamp lkeys=(0) rkeys=(0)
//	    on=($1>=$3-10s,$1<=$3+5s) [lwm=1] [rwm=1]
//	                    plans the join (prints the streaming plan); lwm/rwm
//	                    give each input a WATERMARK on that column (delay 0)
//	push [input=1]      changes of input 0 or 1; timestamps in seconds
//	barrier             ends the epoch: prints the output, commits state
//	restart             restores a new dataflow from the committed state
//	state               stored rows per side (memory), changes not stored,
//	                    persisted entries per state table
func TestIntervalJoinScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/interval_join", func(t *testing.T, path string) {
		h := &intervalJoinHarness{t: t, ctx: context.Background(), store: &memStateStore{m: map[string][]byte{}}}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			arg := func(key string) string {
				a, ok := td.Arg(key)
				if !ok {
					return ""
				}
				return strings.Join(a.Vals, ",")
			}
			switch td.Cmd {
			case "interval-join":
				l, r := parseTimedTypes(t, arg("left")), parseTimedTypes(t, arg("right"))
				h.inputs = [2][]*types.T{l, r}
				h.wmCols = [2]int{-1, -1}
				for i, k := range []string{"lwm", "rwm"} {
					if td.HasArg(k) {
						h.wmCols[i], _ = strconv.Atoi(arg(k))
					}
				}
				ls, rs := testScan(1, l...), testScan(2, r...)
				for i := range ls.Cols {
					ls.Cols[i].Name = fmt.Sprintf("l%d", i)
				}
				for i := range rs.Cols {
					rs.Cols[i].Name = fmt.Sprintf("r%d", i)
				}
				cols := append(append(types.Schema{}, ls.Cols...), rs.Cols...)
				all := append(append([]*types.T{}, l...), r...)
				var on planner.Expr
				if a, ok := td.Arg("on"); ok {
					on = parseJoinCondition(t, a.Vals, all)
				}
				join := &planner.Join{Kind: planner.InnerJoin, Left: ls, Right: rs, LeftKeys: parseInts(t, arg("lkeys")),
					RightKeys: parseInts(t, arg("rkeys")), On: on, Cols: cols}
				plan, err := planner.StreamPlan(join)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				h.plan = plan
				h.build()
				return strings.Join(ExplainStream(plan), "\n") + "\n"
			case "push":
				input := 0
				if td.HasArg("input") {
					input, _ = strconv.Atoi(arg("input"))
				}
				if err := h.df.Push(h.ctx, uint32(input+1), parseTimedChunk(t, td.Input, h.inputs[input])); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "barrier":
				out, err := h.barrier()
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				if out == "" {
					return "ok\n"
				}
				return out
			case "restart":
				h.build()
				if err := h.df.Restore(h.ctx, h.store, h.epoch); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "state":
				ij := h.join()
				rows := ij.StoredRows()
				var sb strings.Builder
				fmt.Fprintf(&sb, "stored rows: left %d, right %d; changes behind the bounds (joined, not stored): %d\n", rows[0], rows[1], ij.Unstored())
				indexed := 0
				for _, h := range ij.heaps {
					indexed += len(h)
				}
				fmt.Fprintf(&sb, "time index entries: %d\n", indexed)
				for _, wm := range h.df.OutputWatermarks() {
					fmt.Fprintf(&sb, "output watermark: column %d at %s\n", wm.Col, formatTimedRow(types.Row{types.DTimestamp(wm.Micros)}))
				}
				for _, info := range h.df.StateTableInfos() {
					n := 0
					_ = h.store.ScanPrefix(StateTablePrefix(info.ID), func(k, v []byte) error { n++; return nil })
					fmt.Fprintf(&sb, "%s: %d persisted entries\n", info.Operator, n)
				}
				return sb.String()
			default:
				t.Fatalf("unknown command %s", td.Cmd)
			}
			return "ok\n"
		})
	})
}

// TestIntervalJoinStateBounded streams 200 epochs of rows whose times
// advance with the epoch through an interval join with watermarks on both
// sides, and checks that the rows held in memory and the persisted state
// entries stop growing: after warm-up they stay at the number of rows of
// the last few seconds, whatever the input size.
func TestIntervalJoinStateBounded(t *testing.T) {
	h := &intervalJoinHarness{t: t, ctx: context.Background(), store: &memStateStore{m: map[string][]byte{}}}
	l := []*types.T{types.Int8, types.Timestamp}
	r := []*types.T{types.Int8, types.Timestamp}
	h.inputs = [2][]*types.T{l, r}
	h.wmCols = [2]int{1, 1}
	ls, rs := testScan(1, l...), testScan(2, r...)
	all := append(append([]*types.T{}, l...), r...)
	join := &planner.Join{Kind: planner.InnerJoin, Left: ls, Right: rs, LeftKeys: []int{0}, RightKeys: []int{0},
		On: parseJoinCondition(t, []string{"$1>=$3-2s", "$1<=$3+1s"}, all), Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...)}
	plan, err := planner.StreamPlan(join)
	if err != nil {
		t.Fatal(err)
	}
	h.plan = plan
	h.build()
	const perEpoch = 10 // rows per side and second; one second per epoch
	maxStored, maxPersisted, pairs := int64(0), 0, 0
	for sec := int64(0); sec < 200; sec++ {
		var lc, rc strings.Builder
		for k := int64(0); k < perEpoch; k++ {
			fmt.Fprintf(&lc, "+ %d %d\n", k, sec)
			fmt.Fprintf(&rc, "+ %d %d\n", k, sec)
		}
		if err := h.df.Push(h.ctx, 1, parseTimedChunk(t, lc.String(), l)); err != nil {
			t.Fatal(err)
		}
		if err := h.df.Push(h.ctx, 2, parseTimedChunk(t, rc.String(), r)); err != nil {
			t.Fatal(err)
		}
		out, err := h.barrier()
		if err != nil {
			t.Fatal(err)
		}
		pairs += strings.Count(out, "\n")
		if sec < 10 {
			continue // warm-up
		}
		rows := h.join().StoredRows()
		maxStored = max(maxStored, rows[0]+rows[1])
		maxPersisted = max(maxPersisted, len(h.store.m))
	}
	// Each key pairs with the other side's rows of the same key within
	// [-1s, +2s] of it: 4 seconds' worth, less at the start.
	if want := perEpoch * (4*200 - 1 - 2 - 1); pairs != want {
		t.Fatalf("%d pairs, want %d", pairs, want)
	}
	// A left row lives until the right watermark passes it by 1s, a right
	// row until the left watermark passes it by 2s: at most 4 seconds of
	// rows per side are held after a barrier, never the 200 seconds read.
	if limit := int64(2 * 4 * perEpoch); maxStored > limit {
		t.Fatalf("%d rows held in memory after warm-up, want at most %d", maxStored, limit)
	}
	if limit := 2*4*perEpoch + 2; maxPersisted > limit {
		t.Fatalf("%d state entries persisted after warm-up, want at most %d (plus the watermarks)", maxPersisted, limit)
	}
	if ij := h.join(); ij.Unstored() != 0 {
		t.Fatalf("%d changes behind the bounds in an in-order stream", ij.Unstored())
	}
}

// TestIntervalJoinMatchesHashJoin feeds the same random streams (rows a
// few seconds out of order, retractions of earlier rows, NULLs, restarts)
// to an interval join and to the plain hash join of the same condition,
// both with the same input watermarks, and checks after every epoch that
// the two views hold the same rows, while the interval join holds fewer.
func TestIntervalJoinMatchesHashJoin(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkIntervalAgainstHash(t, seed) })
	}
}

func checkIntervalAgainstHash(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	l := []*types.T{types.Int8, types.Timestamp, types.Int8}
	r := []*types.T{types.Int8, types.Timestamp}
	ls, rs := testScan(1, l...), testScan(2, r...)
	all := append(append([]*types.T{}, l...), r...)
	join := &planner.Join{Kind: planner.InnerJoin, Left: ls, Right: rs, LeftKeys: []int{0}, RightKeys: []int{0},
		On: parseJoinCondition(t, []string{"$1>=$4-3s", "$1<$4+2s"}, all), Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...)}
	plan, err := planner.StreamPlan(join)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.(*planner.Join).Interval) != 2 {
		t.Fatalf("not planned as an interval join: %v", ExplainStream(plan))
	}
	plain := *plan.(*planner.Join)
	plain.Interval = nil
	ij := &intervalJoinHarness{t: t, ctx: context.Background(), store: &memStateStore{m: map[string][]byte{}}, plan: plan, wmCols: [2]int{1, 1}, wmDelay: 2_000_000}
	hj := &intervalJoinHarness{t: t, ctx: context.Background(), store: &memStateStore{m: map[string][]byte{}}, plan: &plain, wmCols: [2]int{1, 1}, wmDelay: 2_000_000}
	ij.build()
	hj.build()
	views := [2]multiset{{}, {}}
	var live [2][]types.Row
	// Each side has its own clock; one runs ahead of the other by up to
	// 8 s at times, so that rows arrive behind the bounds.
	clocks := [2]int64{100, 100}
	unstored := int64(0)
	for epoch := 0; epoch < 80; epoch++ {
		for side := 0; side < 2; side++ {
			if clocks[side]-clocks[1-side] < 8 {
				clocks[side] += int64(rng.Intn(3))
			}
		}
		for side := 0; side < 2; side++ {
			clock := clocks[side]
			var c types.Chunk
			for n := rng.Intn(12); n > 0; n-- {
				if len(live[side]) > 0 && rng.Intn(4) == 0 {
					k := rng.Intn(len(live[side]))
					c.Append(types.Delete, live[side][k])
					live[side] = append(live[side][:k], live[side][k+1:]...)
					continue
				}
				ts := types.DTimestamp((clock - int64(rng.Intn(4))) * 1_000_000)
				if rng.Intn(20) == 0 {
					ts = types.Null
				}
				key := types.DInt(int64(rng.Intn(3)))
				row := types.Row{key, ts}
				if side == 0 {
					row = append(row, types.DInt(int64(rng.Intn(2))))
				}
				c.Append(types.Insert, row)
				live[side] = append(live[side], row)
			}
			for _, h := range []*intervalJoinHarness{ij, hj} {
				cc := types.Chunk{Ops: append([]types.Op(nil), c.Ops...), Rows: append([]types.Row(nil), c.Rows...)}
				if err := h.df.Push(h.ctx, uint32(side+1), &cc); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, h := range []*intervalJoinHarness{ij, hj} {
			h.epoch++
			out, err := h.df.Barrier(h.ctx, h.epoch)
			if err != nil {
				t.Fatal(err)
			}
			views[i].apply(t, out)
			err = h.df.StateChanges(h.store, !h.committed,
				func(k, v []byte) error { h.store.m[string(k)] = v; return nil },
				func(k []byte) error { delete(h.store.m, string(k)); return nil })
			if err != nil {
				t.Fatal(err)
			}
			h.committed = true
		}
		if views[0].String() != views[1].String() {
			t.Fatalf("epoch %d: interval join view\n%s\nhash join view\n%s", epoch, views[0], views[1])
		}
		if rng.Intn(10) == 0 {
			unstored += ij.join().Unstored()
			for _, h := range []*intervalJoinHarness{ij, hj} {
				h.build()
				if err := h.df.Restore(h.ctx, h.store, h.epoch); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if unstored += ij.join().Unstored(); len(views[0]) == 0 || unstored == 0 {
		t.Fatalf("%d pairs, %d rows behind the bounds: the test does not exercise the join", len(views[0]), unstored)
	}
	stored := ij.join().StoredRows()
	var hashRows int64
	for _, info := range hj.df.StateTableInfos() {
		hashRows += info.Entries
	}
	if stored[0]+stored[1] >= hashRows {
		t.Fatalf("the interval join holds %d rows, the hash join %d entries: nothing expired", stored[0]+stored[1], hashRows)
	}
}

// BenchmarkIntervalJoin streams in-order rows (1,000 keys, 1,000 rows per
// side and epoch, one second of event time per epoch, watermarks on both
// sides) through an interval join (bounds -2 s .. +1 s) and, for
// comparison, through the hash join of the same condition, which keeps
// every row and so probes ever longer buckets. Reported: input rows per
// second (both sides), state drained at every barrier as at a commit.
func BenchmarkIntervalJoin(b *testing.B) {
	for _, interval := range []bool{true, false} {
		name := "interval"
		if !interval {
			name = "hash"
		}
		b.Run(name, func(b *testing.B) {
			l := []*types.T{types.Int8, types.Timestamp}
			r := []*types.T{types.Int8, types.Timestamp}
			ls, rs := testScan(1, l...), testScan(2, r...)
			all := append(append([]*types.T{}, l...), r...)
			join := &planner.Join{Kind: planner.InnerJoin, Left: ls, Right: rs, LeftKeys: []int{0}, RightKeys: []int{0},
				On: parseJoinCondition(b, []string{"$1>=$3-2s", "$1<=$3+1s"}, all), Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...)}
			plan, err := planner.StreamPlan(join)
			if err != nil {
				b.Fatal(err)
			}
			if !interval {
				plain := *plan.(*planner.Join)
				plain.Interval = nil
				plan = &plain
			}
			h := &intervalJoinHarness{t: b, ctx: context.Background(), store: &memStateStore{m: map[string][]byte{}}, plan: plan, wmCols: [2]int{1, 1}}
			h.build()
			const perEpoch = 1000
			chunks := make([]types.Chunk, 2)
			b.ResetTimer()
			rows := 0
			for sec := int64(0); rows < b.N; sec++ {
				for side := 0; side < 2; side++ {
					c := &chunks[side]
					c.Reset()
					for k := int64(0); k < perEpoch; k++ {
						c.Append(types.Insert, types.Row{types.DInt(k), types.DTimestamp((sec*perEpoch + k) * 1000)})
					}
					if err := h.df.Push(h.ctx, uint32(side+1), c); err != nil {
						b.Fatal(err)
					}
				}
				h.epoch++
				if _, err := h.df.Barrier(h.ctx, h.epoch); err != nil {
					b.Fatal(err)
				}
				// The state changes are drained as at a commit, into
				// nothing: the store's cost is not the join's.
				err := h.df.StateChanges(h.store, false, func(k, v []byte) error { return nil }, func(k []byte) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				rows += 2 * perEpoch
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
