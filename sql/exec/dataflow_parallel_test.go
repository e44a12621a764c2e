package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

func TestKeyGroupRangesCoverEveryGroupOnce(t *testing.T) {
	for workers := 1; workers <= MaxParallelism; workers++ {
		owners := makeKeyGroupOwners(workers)
		prevHi := 0
		for w := 0; w < workers; w++ {
			lo, hi := keyGroupRange(w, workers)
			if lo != prevHi || hi <= lo {
				t.Fatalf("P=%d: worker %d owns [%d,%d) after %d", workers, w, lo, hi, prevHi)
			}
			for g := lo; g < hi; g++ {
				if int(owners[g]) != w {
					t.Fatalf("P=%d: group %d owned by %d, want %d", workers, g, owners[g], w)
				}
			}
			prevHi = hi
		}
		if prevHi != MaxParallelism {
			t.Fatalf("P=%d: ranges end at %d", workers, prevHi)
		}
	}
}

func TestKeyGroupOfIsStateKeyGroup(t *testing.T) {
	in := &stateInput{keyCols: []int{1}}
	for i := 0; i < 1000; i++ {
		r := types.Row{types.DInt(int64(i)), types.DString(fmt.Sprint("k", i))}
		k, _ := appendColsKey(nil, r, []int{1})
		if got, want := keyGroupOf(k), in.group(r); got != want {
			t.Fatalf("row %d: exchange group %d, state group %d", i, got, want)
		}
	}
}

func TestExchangeRoutesByKeyGroup(t *testing.T) {
	const workers = 4
	rt := newParallelRuntime(workers)
	x := newExchangeSend(rt, 0, exchangeRoute{keyCols: []int{0}})
	owner := func(r types.Row) int {
		k, _ := appendColsKey(nil, r, []int{0})
		return int(rt.owners[keyGroupOf(k)])
	}
	var c types.Chunk
	row := func(k int64, v string) types.Row { return types.Row{types.DInt(k), types.DString(v)} }
	for k := int64(0); k < 200; k++ {
		c.Append(types.Insert, row(k, "a"))
	}
	// An update pair whose key changes owner, and one whose key does not.
	var a, b int64 = 0, 1
	for owner(row(b, "")) == owner(row(a, "")) {
		b++
	}
	c.Append(types.UpdateDelete, row(a, "a"))
	c.Append(types.UpdateInsert, row(b, "b"))
	c.Append(types.UpdateDelete, row(a, "a"))
	c.Append(types.UpdateInsert, row(a, "c"))
	ctx := context.Background()
	if err := x.Push(ctx, 0, &c, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Barrier(ctx, types.Barrier{Epoch: 1}, nil); err != nil {
		t.Fatal(err)
	}
	total := 0
	for w, msgs := range rt.inbox {
		if len(msgs) == 0 || msgs[len(msgs)-1].kind != msgExchangeBarrier {
			t.Fatalf("worker %d: the barrier is not the last message", w)
		}
		var ops []string
		for _, m := range msgs[:len(msgs)-1] {
			if m.kind != msgExchangeData {
				t.Fatalf("worker %d: message kind %d before the barrier", w, m.kind)
			}
			for i, r := range m.chunk.Rows {
				if owner(r) != w {
					t.Fatalf("row %v went to worker %d, owner %d", r, w, owner(r))
				}
				ops = append(ops, m.chunk.Ops[i].String()+" "+formatRow(r))
				total++
			}
		}
		joined := strings.Join(ops, "\n")
		if w == owner(row(a, "")) {
			if !strings.Contains(joined, "- 0 a") || !strings.Contains(joined, "U- 0 a\nU+ 0 c") {
				t.Fatalf("worker %d got:\n%s", w, joined)
			}
		}
		if w == owner(row(b, "")) && !strings.Contains(joined, "+ "+fmt.Sprint(b)+" b") {
			t.Fatalf("worker %d got:\n%s", w, joined)
		}
	}
	if total != 204 {
		t.Fatalf("routed %d rows, want 204", total)
	}
	if rt.pending != len(rt.inbox[0])+len(rt.inbox[1])+len(rt.inbox[2])+len(rt.inbox[3]) {
		t.Fatalf("pending %d does not count the queued messages", rt.pending)
	}
}

// countAgg is SELECT k, count(*) FROM t(k int, v int) GROUP BY k.
func countAgg(t *testing.T) planner.Node {
	ts := []*types.T{types.Int4, types.Int4}
	return &planner.Aggregate{Input: testScan(1, ts...), GroupCols: []int{0},
		Aggs: []planner.AggCall{parseAggCall(t, "count*", ts)}}
}

func TestExchangeBarrierAlignment(t *testing.T) {
	ctx := context.Background()
	const workers = 3
	df, err := NewParallelDataflow(ctx, nil, countAgg(t), DataflowOptions{}, workers)
	if err != nil {
		t.Fatal(err)
	}
	rt := df.par
	if rt == nil || rt.exchanges != 1 {
		t.Fatalf("want one exchange on %d workers", workers)
	}
	wk := rt.workers[1]
	var c types.Chunk
	c.Append(types.Insert, types.Row{types.DInt(7), types.DInt(1)})
	b := types.Barrier{Epoch: 1}
	if err := rt.handle(ctx, 1, message{kind: msgExchangeData, exchange: 0, chunk: &c}); err != nil {
		t.Fatal(err)
	}
	for from := 0; from < workers; from++ {
		if wk.outBarriers != 0 || wk.df.sink.out.Len() != 0 {
			t.Fatalf("after %d of %d upstream barriers the aggregate already flushed", from, workers)
		}
		if err := rt.handle(ctx, 1, message{kind: msgExchangeBarrier, exchange: 0, barrier: b}); err != nil {
			t.Fatal(err)
		}
	}
	if wk.outBarriers != 1 || wk.df.sink.out.Len() != 1 {
		t.Fatalf("after every upstream barrier: %d barriers, %d rows at the output", wk.outBarriers, wk.df.sink.out.Len())
	}
}

// parallelCase is a plan with the column types of its inputs (table 1,
// then table 2).
type parallelCase struct {
	name   string
	inputs [][]*types.T
	plan   func(t *testing.T) planner.Node
	// singleton: the plan's stateful operator runs on one worker.
	singleton bool
}

func parallelCases() []parallelCase {
	kv := []*types.T{types.Int4, types.Int4}
	two := [][]*types.T{kv, kv}
	join := func(kind planner.JoinKind) func(t *testing.T) planner.Node {
		return func(t *testing.T) planner.Node {
			l, r := testScan(1, kv...), testScan(2, kv...)
			n := &planner.Join{Kind: kind, Left: l, Right: r, LeftKeys: []int{0}, RightKeys: []int{0},
				Cols: append(append(types.Schema{}, l.Cols...), r.Cols...)}
			if kind == planner.SemiJoin || kind == planner.AntiJoin {
				n.Cols = l.Cols
			}
			return n
		}
	}
	return []parallelCase{
		{name: "group by", inputs: [][]*types.T{kv}, plan: func(t *testing.T) planner.Node {
			return &planner.Aggregate{Input: testScan(1, kv...), GroupCols: []int{0},
				Aggs: []planner.AggCall{parseAggCall(t, "count*", kv), parseAggCall(t, "sum:1", kv),
					parseAggCall(t, "min:1", kv), parseAggCall(t, "max:1", kv), parseAggCall(t, "count:1:distinct", kv)}}
		}},
		{name: "global aggregate", inputs: [][]*types.T{kv}, singleton: true, plan: func(t *testing.T) planner.Node {
			return &planner.Aggregate{Input: testScan(1, kv...),
				Aggs: []planner.AggCall{parseAggCall(t, "count*", kv), parseAggCall(t, "max:1", kv)}}
		}},
		{name: "inner join", inputs: two, plan: join(planner.InnerJoin)},
		{name: "left join", inputs: two, plan: join(planner.LeftJoin)},
		{name: "full join", inputs: two, plan: join(planner.FullJoin)},
		{name: "anti join", inputs: two, plan: join(planner.AntiJoin)},
		{name: "join then group by the other side's column", inputs: two, plan: func(t *testing.T) planner.Node {
			j := join(planner.InnerJoin)(t)
			ts := []*types.T{types.Int4, types.Int4, types.Int4, types.Int4}
			return &planner.Aggregate{Input: j, GroupCols: []int{3},
				Aggs: []planner.AggCall{parseAggCall(t, "count*", ts), parseAggCall(t, "sum:1", ts)}}
		}},
		{name: "distinct", inputs: [][]*types.T{kv}, plan: func(t *testing.T) planner.Node {
			return &planner.Distinct{Input: testScan(1, kv...)}
		}},
		{name: "top-n", inputs: [][]*types.T{kv}, singleton: true, plan: func(t *testing.T) planner.Node {
			return &planner.Limit{Input: &planner.Sort{Input: testScan(1, kv...), Keys: parseSortKeys(t, "1 desc,0")},
				Count: &planner.Const{Value: types.DInt(5), Typ: types.Int8}}
		}},
		{name: "row_number by partition", inputs: [][]*types.T{kv}, plan: func(t *testing.T) planner.Node {
			return &planner.Window{Input: testScan(1, kv...), Funcs: []planner.WindowCall{parseWindowCall(t, "row_number:p=0:o=1", kv)},
				Cols: append(schemaOf(kv), types.Column{Name: "rn", Type: types.Int8})}
		}},
		{name: "except", inputs: two, plan: func(t *testing.T) planner.Node {
			return &planner.SetOp{Kind: planner.Except, Left: testScan(1, kv...), Right: testScan(2, kv...), Cols: schemaOf(kv)}
		}},
	}
}

// viewState accumulates a view's output changes into its multiset of rows.
type viewState map[string]int64

func (v viewState) apply(t *testing.T, c *types.Chunk) {
	for i, r := range c.Rows {
		k := formatRow(r)
		if c.Ops[i].IsInsert() {
			v[k]++
		} else {
			v[k]--
		}
		if v[k] < 0 {
			t.Fatalf("row %s retracted more often than inserted", k)
		}
		if v[k] == 0 {
			delete(v, k)
		}
	}
}

func (v viewState) String() string {
	var lines []string
	for k, n := range v {
		lines = append(lines, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// randomChanges makes an epoch of changes over a table whose live rows are
// live: inserts, deletes and updates of random rows over few keys (NULLs
// included), and now and then everything deleted.
func randomChanges(rng *rand.Rand, live *[]types.Row, n int) *types.Chunk {
	c := &types.Chunk{}
	val := func(max int) types.Datum {
		if rng.IntN(20) == 0 {
			return types.Null
		}
		return types.DInt(int64(rng.IntN(max)))
	}
	if rng.IntN(8) == 0 {
		for _, r := range *live {
			c.Append(types.Delete, r)
		}
		*live = (*live)[:0]
	}
	for i := 0; i < n; i++ {
		switch k := rng.IntN(10); {
		case k < 5 || len(*live) == 0:
			r := types.Row{val(40), val(100)}
			c.Append(types.Insert, r)
			*live = append(*live, r)
		case k < 7:
			j := rng.IntN(len(*live))
			c.Append(types.Delete, (*live)[j])
			*live = slices.Delete(*live, j, j+1)
		default:
			j := rng.IntN(len(*live))
			r := types.Row{(*live)[j][0], val(100)}
			if rng.IntN(3) == 0 {
				r[0] = val(40)
			}
			c.Append(types.UpdateDelete, (*live)[j])
			c.Append(types.UpdateInsert, r)
			(*live)[j] = r
		}
	}
	return c
}

// pushInPieces pushes c in chunks of about size changes (an update pair
// stays in one chunk).
func pushInPieces(t *testing.T, df *Dataflow, table uint32, c *types.Chunk, size int) {
	t.Helper()
	piece := &types.Chunk{}
	for i, r := range c.Rows {
		piece.Append(c.Ops[i], r)
		if piece.Len() >= size && c.Ops[i] != types.UpdateDelete || i == c.Len()-1 {
			if err := df.Push(context.Background(), table, piece); err != nil {
				t.Fatal(err)
			}
			piece.Reset()
		}
	}
}

// commit drains a dataflow's state changes into store.
func commit(t *testing.T, df *Dataflow, store *memStateStore) {
	t.Helper()
	err := df.StateChanges(store, false,
		func(k, v []byte) error { store.m[string(k)] = v; return nil },
		func(k []byte) error { delete(store.m, string(k)); return nil })
	if err != nil {
		t.Fatal(err)
	}
}

// TestParallelDataflowMatchesSerial runs each plan on 1 worker and on 4
// over the same random changes: after every epoch the views must hold the
// same multiset of rows. Midway the parallel dataflow restarts from its
// committed state with 2 workers, later with 3, later with 1; the state
// written by each must restore under the next.
func TestParallelDataflowMatchesSerial(t *testing.T) {
	ctx := context.Background()
	for _, tc := range parallelCases() {
		t.Run(tc.name, func(t *testing.T) {
			const base = 1<<31 | 9<<8
			serial, err := NewDataflowWithState(ctx, nil, tc.plan(t), base)
			if err != nil {
				t.Fatal(err)
			}
			par, err := NewParallelDataflow(ctx, nil, tc.plan(t), DataflowOptions{StateBase: base}, 4)
			if err != nil {
				t.Fatal(err)
			}
			if par.Workers() != 4 {
				t.Fatalf("runs on %d workers (%s)", par.Workers(), par.SerialReason())
			}
			if got := len(par.par.singletonTables) > 0; got != tc.singleton {
				t.Fatalf("single-worker operator: %v, want %v", got, tc.singleton)
			}
			store := &memStateStore{m: map[string][]byte{}}
			want, got := viewState{}, viewState{}
			rng := rand.New(rand.NewPCG(uint64(len(tc.name)), 42))
			live := make([][]types.Row, len(tc.inputs))
			restarts := map[uint64]int{12: 2, 24: 3, 36: 1}
			for epoch := uint64(1); epoch <= 48; epoch++ {
				for i := range tc.inputs {
					n := rng.IntN(300)
					if epoch == 1 {
						n = 3000 // more than a few chunks per worker
					}
					c := randomChanges(rng, &live[i], n)
					for _, df := range []*Dataflow{serial, par} {
						// Small chunks: many messages, so the workers run
						// while changes are still being pushed, and Push
						// waits for them when too many are queued.
						pushInPieces(t, df, uint32(i+1), c, 20)
					}
				}
				out, err := serial.Barrier(ctx, epoch)
				if err != nil {
					t.Fatal(err)
				}
				want.apply(t, out)
				if out, err = par.Barrier(ctx, epoch); err != nil {
					t.Fatal(err)
				}
				got.apply(t, out)
				if w, g := want.String(), got.String(); w != g {
					t.Fatalf("epoch %d on %d workers:\n%s\nserial:\n%s", epoch, par.Workers(), g, w)
				}
				commit(t, par, store)
				if p, ok := restarts[epoch]; ok {
					if par, err = NewParallelDataflow(ctx, nil, tc.plan(t), DataflowOptions{StateBase: base}, p); err != nil {
						t.Fatal(err)
					}
					if err := par.Restore(ctx, store, epoch); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(want) == 0 {
				t.Fatal("the view ended empty: the test proves little")
			}
		})
	}
}

// TestParallelStateStaysInOwnersKeyGroups checks the layout rescaling
// relies on: every entry a worker commits is in its key-group range
// (or, for a single-worker operator, written by worker 0).
func TestParallelStateStaysInOwnersKeyGroups(t *testing.T) {
	ctx := context.Background()
	for _, tc := range parallelCases() {
		df, err := NewParallelDataflow(ctx, nil, tc.plan(t), DataflowOptions{StateBase: 1 << 31}, 3)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range tc.inputs {
			var live []types.Row
			if err := df.Push(ctx, uint32(i+1), randomChanges(rng, &live, 2000)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := df.Barrier(ctx, 1); err != nil {
			t.Fatal(err)
		}
		for w, wk := range df.par.workers {
			err := wk.df.StateChanges(nil, true, func(k, _ []byte) error {
				g := int(k[4])<<8 | int(k[5])
				lo, hi := keyGroupRange(w, 3)
				single := df.par.singletonTables[uint32(k[0])<<24|uint32(k[1])<<16|uint32(k[2])<<8|uint32(k[3])]
				if single && w != 0 || !single && (g < lo || g >= hi) {
					t.Fatalf("%s: worker %d wrote key group %d (owns [%d,%d), single-worker %v)", tc.name, w, g, lo, hi, single)
				}
				return nil
			}, func([]byte) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestExplainWorkers(t *testing.T) {
	ctx := context.Background()
	var plan planner.Node
	for _, tc := range parallelCases() {
		if tc.name == "join then group by the other side's column" {
			plan = tc.plan(t)
		}
	}
	df, err := NewParallelDataflow(ctx, nil, plan, DataflowOptions{}, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(df.ExplainWorkers(), "\n")
	want := `Workers: 4, key groups 0-31, 32-63, 64-95, 96-127 of 128
  Exchange 0 -> hash aggregate: by key group of input columns (3)
  Exchange 1 -> hash join (left input): by key group of input columns (0)
  Exchange 2 -> hash join (right input): by key group of input columns (0)`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	top := &planner.Limit{Input: &planner.Sort{Input: plan, Keys: parseSortKeys(t, "1 desc")},
		Count: &planner.Const{Value: types.DInt(3), Typ: types.Int8}}
	if df, err = NewParallelDataflow(ctx, nil, top, DataflowOptions{}, 2); err != nil {
		t.Fatal(err)
	}
	if got := df.ExplainWorkers()[1]; got != "  Exchange 0 -> top-n: all rows to worker 0 (no partitioning key)" {
		t.Fatalf("top-n exchange: %s", got)
	}
	ts := []*types.T{types.Int4, types.Timestamp}
	wmPlan := &planner.Aggregate{Input: testScan(1, ts...), GroupCols: []int{0}, Aggs: []planner.AggCall{parseAggCall(t, "max:1", ts)}}
	wm := DataflowOptions{InputWatermark: func(uint32) (int, int64, bool) { return 1, 5e6, true }}
	if df, err = NewParallelDataflow(ctx, nil, wmPlan, wm, 4); err != nil {
		t.Fatal(err)
	}
	if df.Workers() != 1 || df.SerialReason() != "an input with a WATERMARK" {
		t.Fatalf("watermarked input: %d workers (%q)", df.Workers(), df.SerialReason())
	}
	serial := &Dataflow{serialReason: parallelObstacle(&Dataflow{}, DataflowOptions{EmitOnWindowClose: true})}
	if got := serial.ExplainWorkers(); len(got) != 1 || got[0] != "Workers: 1 (serial because of EMIT ON WINDOW CLOSE)" {
		t.Fatalf("serial dataflow: %v", got)
	}
}

// BenchmarkParallelGroupBy feeds a GROUP BY (count, sum over 50 K keys)
// 100 K rows per epoch on 1, 2 and 4 workers, state changes drained into a
// no-op batch: the runtime's cost and speedup without the server.
func BenchmarkParallelGroupBy(b *testing.B) {
	ts := []*types.T{types.Int8, types.Int8}
	plan := func() planner.Node {
		return &planner.Aggregate{Input: testScan(1, ts...), GroupCols: []int{0},
			Aggs: []planner.AggCall{parseAggCall(b, "count*", ts), parseAggCall(b, "sum:1", ts)}}
	}
	const rows, keys = 100_000, 50_000
	chunks := make([]*types.Chunk, 0, rows/types.ChunkCapacity+1)
	c := &types.Chunk{}
	for i := 0; i < rows; i++ {
		c.Append(types.Insert, types.Row{types.DInt(int64(i * 7919 % keys)), types.DInt(int64(i % 1000))})
		if c.Len() == types.ChunkCapacity {
			chunks = append(chunks, c)
			c = &types.Chunk{}
		}
	}
	chunks = append(chunks, c)
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ctx := context.Background()
			df, err := NewParallelDataflow(ctx, nil, plan(), DataflowOptions{StateBase: 1 << 31}, workers)
			if err != nil {
				b.Fatal(err)
			}
			nop := func([]byte, []byte) error { return nil }
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, c := range chunks {
					if err := df.Push(ctx, 1, c); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := df.Barrier(ctx, uint64(i+1)); err != nil {
					b.Fatal(err)
				}
				if err := df.StateChanges(nil, false, nop, func([]byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// failingOp fails on its first chunk.
type failingOp struct{}

func (failingOp) Push(context.Context, int, *types.Chunk, Emitter) error {
	return types.Errorf(types.CodeInternalError, "worker operator failed")
}
func (failingOp) Barrier(context.Context, types.Barrier, Emitter) error { return nil }

// TestParallelWorkerErrorEndsTheEpoch: an operator error on one worker
// fails Barrier with that error instead of leaving the others waiting for
// its exchange barriers, and no worker goroutine is left behind.
func TestParallelWorkerErrorEndsTheEpoch(t *testing.T) {
	ctx := context.Background()
	df, err := NewParallelDataflow(ctx, nil, countAgg(t), DataflowOptions{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// The aggregate of worker 1 is the parent of its exchange receiver.
	df.par.workers[1].recv[0].parent.op = failingOp{}
	before := runtime.NumGoroutine()
	var c types.Chunk
	for k := int64(0); k < 500; k++ {
		c.Append(types.Insert, types.Row{types.DInt(k), types.DInt(1)})
	}
	if err := df.Push(ctx, 1, &c); err != nil {
		t.Fatal(err)
	}
	_, err = df.Barrier(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "worker operator failed") {
		t.Fatalf("Barrier: %v, want the worker's error", err)
	}
	if _, err := df.Barrier(ctx, 2); err == nil {
		t.Fatal("a failed parallel dataflow ran another epoch")
	}
	// A worker goroutine may still be returning from its last call.
	after := runtime.NumGoroutine()
	for i := 0; i < 1000 && after > before; i++ {
		runtime.Gosched()
		after = runtime.NumGoroutine()
	}
	if after > before {
		t.Fatalf("%d goroutines before the epoch, %d after", before, after)
	}
}
