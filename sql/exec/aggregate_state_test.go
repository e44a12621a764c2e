package exec

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// aggStateCols are the input columns of the accumulator-state tests:
// group, int value, bool, numeric, float (integral values, so that sums
// do not depend on the order of additions).
var aggStateCols = []*types.T{types.Int8, types.Int8, types.Bool, types.Numeric, types.Float8}

// decomposableAggs is every decomposable aggregate, over each type its
// state encodes differently.
func decomposableAggs(t *testing.T) []planner.AggCall {
	var calls []planner.AggCall
	for _, s := range []string{
		"count*", "count:1", "sum:1", "avg:1", "min:1", "max:1",
		"bool_and:2", "bool_or:2", "bit_and:1", "bit_or:1", "stddev:1", "var_pop:1",
		"count:1:distinct", "sum:1:distinct", "avg:3:distinct",
		"sum:3", "avg:3", "min:3", "max:3", "stddev:3",
		"sum:4", "avg:4", "min:4", "max:4",
		"count:1:filter=2", "sum:3:filter=2", "max:1:filter=2",
		// Last: a float variance depends on the order of its inputs, so
		// only the restarted and the uninterrupted view compare on it.
		"var_pop:4",
	} {
		calls = append(calls, parseAggCall(t, s, aggStateCols))
	}
	return calls
}

func randAggStateRow(rng *rand.Rand) types.Row {
	maybeNull := func(d types.Datum) types.Datum {
		if rng.Intn(8) == 0 {
			return types.Null
		}
		return d
	}
	dec, _, _ := apd.NewFromString(fmt.Sprintf("%d.%0*d", rng.Intn(50)-25, 1+rng.Intn(3), rng.Intn(100)))
	return types.Row{
		maybeNull(types.DInt(int64(rng.Intn(6)))),
		maybeNull(types.DInt(int64(rng.Intn(40) - 10))),
		maybeNull(types.DBool(rng.Intn(3) > 0)),
		maybeNull(types.DDecimal(dec)),
		maybeNull(types.DFloat(float64(rng.Intn(30) - 5))),
	}
}

// aggStateHarness runs a view's dataflow over a memStateStore, committing
// every barrier and restarting from the committed state on demand.
type aggStateHarness struct {
	t      *testing.T
	ctx    context.Context
	plan   planner.Node
	store  *memStateStore
	df     *Dataflow
	epoch  uint64
	view   multiset
	sealed bool
}

func newAggStateHarness(t *testing.T, plan planner.Node) *aggStateHarness {
	h := &aggStateHarness{t: t, ctx: context.Background(), plan: plan, store: &memStateStore{m: map[string][]byte{}}, view: multiset{}}
	h.build()
	return h
}

func (h *aggStateHarness) build() {
	var err error
	if h.df, err = NewDataflowWithState(h.ctx, nil, h.plan, 1<<31|7<<8); err != nil {
		h.t.Fatal(err)
	}
}

func (h *aggStateHarness) push(c *types.Chunk) {
	if err := h.df.Push(h.ctx, 1, c); err != nil {
		h.t.Fatal(err)
	}
}

func (h *aggStateHarness) barrier() {
	h.epoch++
	out, err := h.df.Barrier(h.ctx, h.epoch)
	if err != nil {
		h.t.Fatal(err)
	}
	h.view.apply(h.t, out)
	err = h.df.StateChanges(h.store, h.epoch == 1,
		func(k, v []byte) error { h.store.m[string(k)] = bytes.Clone(v); return nil },
		func(k []byte) error { delete(h.store.m, string(k)); return nil })
	if err != nil {
		h.t.Fatal(err)
	}
	// The entry count the dataflow keeps is exact.
	for _, info := range h.df.StateTableInfos() {
		if n := h.entries(info.ID); int64(n) != info.Entries {
			h.t.Fatalf("state table %d: %d entries stored, %d counted", info.ID, n, info.Entries)
		}
	}
}

func (h *aggStateHarness) restart() {
	h.build()
	if err := h.df.Restore(h.ctx, h.store, h.epoch); err != nil {
		h.t.Fatal(err)
	}
}

func (h *aggStateHarness) entries(table uint32) int {
	n := 0
	_ = h.store.ScanPrefix(StateTablePrefix(table), func(k, v []byte) error { n++; return nil })
	return n
}

// batchView runs a fresh dataflow over rows as one insert batch.
func batchView(t *testing.T, plan planner.Node, rows []types.Row) string {
	h := newAggStateHarness(t, plan)
	c := &types.Chunk{}
	for _, r := range rows {
		c.Append(types.Insert, r)
	}
	h.push(c)
	h.barrier()
	return h.view.String()
}

// TestAggregateStateEntriesPerGroup: the persisted state of count, sum and
// avg is one entry per group, however many rows the groups hold.
func TestAggregateStateEntriesPerGroup(t *testing.T) {
	ts := intCols(2)
	plan := &planner.Aggregate{Input: testScan(1, ts...), GroupCols: []int{0}}
	for _, s := range []string{"count*", "sum:1", "avg:1", "count:1"} {
		plan.Aggs = append(plan.Aggs, parseAggCall(t, s, ts))
	}
	h := newAggStateHarness(t, plan)
	table := h.df.StateTables()[0]
	c := &types.Chunk{}
	for i := range 1000 {
		c.Append(types.Insert, types.Row{types.DInt(int64(i % 10)), types.DInt(int64(i))})
	}
	h.push(c)
	h.barrier()
	if n := h.entries(table); n != 10 {
		t.Fatalf("1000 rows in 10 groups: %d state entries, want 10", n)
	}
	// Retracting every row of group 0 deletes its entry.
	c = &types.Chunk{}
	for i := 0; i < 1000; i += 10 {
		c.Append(types.Delete, types.Row{types.DInt(0), types.DInt(int64(i))})
	}
	h.push(c)
	h.barrier()
	if n := h.entries(table); n != 9 {
		t.Fatalf("after emptying one group: %d state entries, want 9", n)
	}
	h.restart()
	h.push(&types.Chunk{Ops: []types.Op{types.Insert}, Rows: []types.Row{{types.DInt(3), types.DInt(7)}}})
	h.barrier()
	if got, want := h.view.String(), batchViewOfGroups(t, plan); got != want {
		t.Fatalf("after restart:\n%s\nwant\n%s", got, want)
	}
}

func batchViewOfGroups(t *testing.T, plan planner.Node) string {
	var rows []types.Row
	for i := range 1000 {
		if i%10 != 0 {
			rows = append(rows, types.Row{types.DInt(int64(i % 10)), types.DInt(int64(i))})
		}
	}
	rows = append(rows, types.Row{types.DInt(3), types.DInt(7)})
	return batchView(t, plan, rows)
}

// TestAggregateStateDifferential feeds every decomposable aggregate a
// random history of inserts, deletes and updates, restarting from the
// committed state at random barriers, and compares the view with the same
// dataflow run without restarts (exactly) and with a batch run over the
// final input.
func TestAggregateStateDifferential(t *testing.T) {
	for _, group := range [][]int{{0}, {0, 2}, nil} {
		plan := &planner.Aggregate{Input: testScan(1, aggStateCols...), GroupCols: group, Aggs: decomposableAggs(t)}
		for seed := int64(0); seed < 30; seed++ {
			rng := rand.New(rand.NewSource(seed))
			h := newAggStateHarness(t, plan)
			uninterrupted := newAggStateHarness(t, plan)
			if h.df.state[0].own == nil {
				t.Fatal("the aggregate does not persist accumulators")
			}
			var live []types.Row
			for step := 0; step < 40; step++ {
				c := &types.Chunk{}
				for range rng.Intn(12) {
					switch k := rng.Intn(10); {
					case k < 5 || len(live) == 0:
						r := randAggStateRow(rng)
						live = append(live, r)
						c.Append(types.Insert, r)
					case k < 8:
						j := rng.Intn(len(live))
						c.Append(types.Delete, live[j])
						live = append(live[:j], live[j+1:]...)
					default:
						j := rng.Intn(len(live))
						r := randAggStateRow(rng)
						c.Append(types.UpdateDelete, live[j])
						c.Append(types.UpdateInsert, r)
						live[j] = r
					}
				}
				h.push(c)
				h.barrier()
				uninterrupted.push(c)
				uninterrupted.barrier()
				if rng.Intn(4) == 0 {
					h.restart()
				}
			}
			if got, want := h.view.String(), uninterrupted.view.String(); got != want {
				t.Fatalf("group %v seed %d: view with restarts\n%s\ndiffers from the view without\n%s", group, seed, got, want)
			}
			if got, want := dropLastColumn(h.view.String()), dropLastColumn(batchView(t, plan, live)); got != want {
				t.Fatalf("group %v seed %d: view\n%s\ndiffers from batch\n%s", group, seed, got, want)
			}
		}
	}
}

// TestAggregateStateAppendOnlyMinMax: over an append-only input MIN/MAX
// keep only the extreme: one entry per group.
func TestAggregateStateAppendOnlyMinMax(t *testing.T) {
	scan := testScan(1, aggStateCols...)
	scan.Table.AppendOnly = true
	plan := &planner.Aggregate{Input: scan, GroupCols: []int{0}}
	for _, s := range []string{"min:1", "max:1", "max:3", "min:4", "count*", "count:1:distinct"} {
		plan.Aggs = append(plan.Aggs, parseAggCall(t, s, aggStateCols))
	}
	rng := rand.New(rand.NewSource(1))
	h := newAggStateHarness(t, plan)
	var all []types.Row
	for range 20 {
		c := &types.Chunk{}
		for range 50 {
			r := randAggStateRow(rng)
			r[1] = types.DInt(int64(rng.Intn(3))) // few distinct values
			all = append(all, r)
			c.Append(types.Insert, r)
		}
		h.push(c)
		h.barrier()
		h.restart()
	}
	groups := map[string]bool{}
	distinct := map[string]bool{}
	for _, r := range all {
		groups[formatDatum(r[0])] = true
		if !r[1].IsNull() {
			distinct[formatDatum(r[0])+" "+formatDatum(r[1])] = true
		}
	}
	if got, want := h.entries(h.df.StateTables()[0]), len(groups)+len(distinct); got != want {
		t.Fatalf("%d state entries, want %d (groups + distinct values)", got, want)
	}
	if got, want := h.view.String(), batchView(t, plan, all); got != want {
		t.Fatalf("view\n%s\ndiffers from batch\n%s", got, want)
	}
}

// TestAggregateStateLegacyFormat: a state table written by an older version
// (input rows with counts) restores, and the first barrier rewrites it as
// accumulators.
func TestAggregateStateLegacyFormat(t *testing.T) {
	ts := intCols(2)
	plan := &planner.Aggregate{Input: testScan(1, ts...), GroupCols: []int{0}}
	for _, s := range []string{"count*", "sum:1", "max:1"} {
		plan.Aggs = append(plan.Aggs, parseAggCall(t, s, ts))
	}
	h := newAggStateHarness(t, plan)
	table := h.df.StateTables()[0]
	var rows []types.Row
	for i := range 30 {
		r := types.Row{types.DInt(int64(i % 3)), types.DInt(int64(i % 7))}
		rows = append(rows, r)
	}
	// The old format: one entry per distinct input row.
	counts := map[string]int64{}
	byKey := map[string]types.Row{}
	for _, r := range rows {
		k := string(appendRowKey(nil, r))
		counts[k]++
		byKey[k] = r
	}
	for k, n := range counts {
		g, _ := appendColsKey(nil, byKey[k], []int{0})
		v := binary.BigEndian.AppendUint64(nil, uint64(n))
		h.store.m[string(stateKey(table, keyGroupOf(g), k))] = types.AppendRow(v, byKey[k])
	}
	h.epoch = 5
	// The view as the old version left it.
	h.view = multiset{}
	for _, line := range bytes.Split([]byte(batchView(t, plan, rows)), []byte("\n")) {
		h.view[string(line)]++
	}
	h.restart()
	extra := types.Row{types.DInt(1), types.DInt(100)}
	h.push(&types.Chunk{Ops: []types.Op{types.Insert}, Rows: []types.Row{extra}})
	h.barrier()
	if got, want := h.view.String(), batchView(t, plan, append(rows, extra)); got != want {
		t.Fatalf("view\n%s\ndiffers from batch\n%s", got, want)
	}
	for k, v := range h.store.m {
		if bytes.HasPrefix([]byte(k), StateTablePrefix(table)) && !isOwnFormat(v) {
			t.Fatalf("an input-row entry survived the rewrite: %x", k)
		}
	}
	// 3 groups, and max's values: 0..6 per group, and 100.
	if got := h.entries(table); got != 3+3*7+1 {
		t.Fatalf("%d entries after the rewrite, want %d", got, 3+3*7+1)
	}
	h.restart()
	h.push(&types.Chunk{Ops: []types.Op{types.Delete}, Rows: []types.Row{extra}})
	h.barrier()
	if got, want := h.view.String(), batchView(t, plan, rows); got != want {
		t.Fatalf("after a second restart: view\n%s\ndiffers from batch\n%s", got, want)
	}
}

func dropLastColumn(lines string) string {
	var out []string
	for _, l := range strings.Split(lines, "\n") {
		if i := strings.LastIndexByte(l, ' '); i >= 0 {
			l = l[:i]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
