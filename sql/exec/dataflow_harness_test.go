package exec

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// memStateStore is a StateStore over a sorted map, standing in for the
// Pebble state store.
type memStateStore struct{ m map[string][]byte }

func (s *memStateStore) Get(key []byte) ([]byte, bool, error) {
	v, ok := s.m[string(key)]
	return v, ok, nil
}

func (s *memStateStore) ScanPrefix(prefix []byte, fn func(key, value []byte) error) error {
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), s.m[k]); err != nil {
			return err
		}
	}
	return nil
}

// The dataflow harness drives a whole Dataflow (stateful operators wrapped
// for persistence) over one or two inputs, in the chunk text format:
//
//	aggregate cols=int,text group=(1) aggs=(count*,sum:0)
//	join left=int,text right=int kind=left lkeys=(0) rkeys=(0)
//	topn cols=text,int keys=(1 desc) limit=2
//	push [input=1]      changes of input 0 (table 1) or 1 (table 2)
//	barrier             ends the epoch: prints the output, commits state
//	restart             drops the dataflow (and uncommitted changes) and
//	                    restores a new one from the committed state
//	state               prints the number of state entries per table
func TestDataflowScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/dataflow", func(t *testing.T, path string) {
		ctx := context.Background()
		store := &memStateStore{m: map[string][]byte{}}
		var plan planner.Node
		var df *Dataflow
		var inputs [2][]*types.T
		epoch := uint64(0)
		committed := false
		build := func() {
			var err error
			if df, err = NewDataflowWithState(ctx, nil, plan, 1<<31|7<<8); err != nil {
				t.Fatal(err)
			}
		}
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
				n := &planner.Aggregate{Input: testScan(1, ts...), GroupCols: parseInts(t, arg("group"))}
				for _, a := range parseList(arg("aggs")) {
					n.Aggs = append(n.Aggs, parseAggCall(t, a, ts))
				}
				plan = n
			case "join":
				l, r := parseTypes(t, arg("left")), parseTypes(t, arg("right"))
				inputs[0], inputs[1] = l, r
				kinds := map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin,
					"right": planner.RightJoin, "full": planner.FullJoin, "semi": planner.SemiJoin, "anti": planner.AntiJoin}
				ls, rs := testScan(1, l...), testScan(2, r...)
				n := &planner.Join{Kind: kinds[arg("kind")], Left: ls, Right: rs,
					LeftKeys: parseInts(t, arg("lkeys")), RightKeys: parseInts(t, arg("rkeys")),
					Cols: append(append(types.Schema{}, ls.Cols...), rs.Cols...)}
				if n.Kind == planner.SemiJoin || n.Kind == planner.AntiJoin {
					n.Cols = ls.Cols
				}
				plan = n
			case "topn":
				ts := parseTypes(t, arg("cols"))
				inputs[0] = ts
				var count planner.Expr = &planner.Const{Value: types.DInt(-1), Typ: types.Int8}
				if td.HasArg("limit") {
					c, _ := strconv.ParseInt(arg("limit"), 10, 64)
					count = &planner.Const{Value: types.DInt(c), Typ: types.Int8}
				}
				plan = &planner.Limit{Input: &planner.Sort{Input: testScan(1, ts...), Keys: parseSortKeys(t, arg("keys"))}, Count: count}
			case "push":
				input := 0
				if td.HasArg("input") {
					input, _ = strconv.Atoi(arg("input"))
				}
				if df == nil {
					build()
				}
				if err := df.Push(ctx, uint32(input+1), parseChunk(t, td.Input, inputs[input])); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "barrier":
				if df == nil {
					build()
				}
				epoch++
				out, err := df.Barrier(ctx, epoch)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				err = df.StateChanges(store, !committed,
					func(k, v []byte) error { store.m[string(k)] = v; return nil },
					func(k []byte) error { delete(store.m, string(k)); return nil })
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				committed = true
				var sb strings.Builder
				for i, r := range out.Rows {
					fmt.Fprintf(&sb, "%s %s\n", out.Ops[i], formatRow(r))
				}
				if sb.Len() == 0 {
					return "ok\n"
				}
				return sb.String()
			case "restart":
				build()
				if err := df.Restore(ctx, store, epoch); err != nil {
					return "error: " + err.Error() + "\n"
				}
			case "state":
				var sb strings.Builder
				for _, id := range df.StateTables() {
					n := 0
					_ = store.ScanPrefix(StateTablePrefix(id), func(k, v []byte) error {
						if !bytes.HasPrefix(k, StateTablePrefix(id)) || len(k) < 6 {
							t.Fatalf("bad state key %x", k)
						}
						n++
						return nil
					})
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
