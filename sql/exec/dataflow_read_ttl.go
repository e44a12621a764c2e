package exec

import (
	"fmt"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// Refresh on read (ttl_update = 'on_read_and_write') of a view's operator
// state.
//
// A read of a view row refreshes the row's expiry (the server does that)
// and the expiry of the operator key that produced the row, so that the
// row and its state never drift apart: a group that is read keeps its
// state, and a later insert counts on from it. The server hands the rows
// read since the last epoch to TouchTTLRow before the epoch's
// StateChanges; the touched keys get the epoch's expiry like keys a change
// touched.
//
// That needs a view row to name its operator key. It does for these
// shapes (projections, filters and ORDER BY above at most one stateful
// operator, nothing stateful below it):
//
//   - an aggregate with GROUP BY whose every group column reaches the
//     view's output as a plain column (the key is those columns);
//   - DISTINCT whose every column reaches the output (the key is the row);
//   - no stateful operator (a projection or filter over tables): only the
//     view rows have an expiry.
//
// Everything else is refused at CREATE with 0A000 naming why: a group
// column projected away or computed over (rows of several groups could
// look alike), an aggregate without GROUP BY (its state is keyed per input
// row), a join, top-N, set operation or window function on top (a view row
// does not name the state entries that produced it), and any stateful
// operator below the top one (a read could not refresh its keys, so they
// would expire under a row that is still being read).

// ttlReadMap maps a view row to the key of the dataflow's top stateful
// operator.
type ttlReadMap struct {
	op *opTTL // nil: no operator state
	// cols are the view columns whose key encoding, in order, is the
	// operator key (appendColsKey).
	cols   []int
	keyBuf []byte
}

// EnableTTLReadRefresh checks that a view row of plan names the key of its
// top stateful operator and prepares TouchTTLRow. Call it after EnableTTL.
func (d *Dataflow) EnableTTLReadRefresh(plan planner.Node) error {
	if d.ttl == nil {
		return types.Errorf(types.CodeInvalidParameterValue, "ttl_update = 'on_read_and_write' requires ttl")
	}
	out := make([]int, len(plan.Columns()))
	for i := range out {
		out[i] = i
	}
	cols, stateful, err := readKeyColumns(plan, out)
	if err != nil {
		return err
	}
	m := &ttlReadMap{cols: cols}
	if stateful {
		if len(d.ttl.ops) != 1 {
			return types.Errorf(types.CodeFeatureNotSupported, "ttl_update = 'on_read_and_write' is not supported on this materialized view: its operator state could not be matched to its rows")
		}
		m.op = d.ttl.ops[0]
	}
	d.ttl.read = m
	return nil
}

// readKeyColumns walks plan from the top; out maps each output column of
// node to the view column that carries it (-1: none). It returns the view
// columns of the top stateful operator's key, and false when there is no
// stateful operator.
func readKeyColumns(node planner.Node, out []int) ([]int, bool, error) {
	refuse := func(why string) ([]int, bool, error) {
		return nil, false, types.Errorf(types.CodeFeatureNotSupported, "ttl_update = 'on_read_and_write' is not supported on a materialized view whose %s", why)
	}
	switch n := node.(type) {
	case *planner.Project:
		in := make([]int, len(n.Input.Columns()))
		for i := range in {
			in[i] = -1
		}
		for i, e := range n.Exprs {
			if ref, ok := e.(*planner.ColRef); ok && out[i] >= 0 && ref.Idx < len(in) && in[ref.Idx] < 0 {
				in[ref.Idx] = out[i]
			}
		}
		return readKeyColumns(n.Input, in)
	case *planner.Filter:
		return readKeyColumns(n.Input, out)
	case *planner.Sort:
		return readKeyColumns(n.Input, out)
	case *planner.Aggregate:
		if len(n.GroupCols) == 0 {
			return refuse("aggregate has no GROUP BY: its state is kept per input row, which a view row does not name")
		}
		cols := make([]int, len(n.GroupCols))
		for g := range n.GroupCols {
			if g >= len(out) || out[g] < 0 {
				name := fmt.Sprint(g + 1)
				if g < len(n.Cols) {
					name = fmt.Sprintf("%q", n.Cols[g].Name)
				}
				return refuse(fmt.Sprintf("GROUP BY column %s is not a plain column of the view: a read of a view row could not name the group whose state produced it", name))
			}
			cols[g] = out[g]
		}
		if why := statefulBelow(n.Input); why != "" {
			return refuse(why)
		}
		return cols, true, nil
	case *planner.Distinct:
		if len(n.On) > 0 {
			return refuse("top operator is DISTINCT ON")
		}
		cols := make([]int, len(out))
		for i, c := range out {
			if c < 0 {
				return refuse("DISTINCT columns do not all reach the view's output: a read of a view row could not name the DISTINCT row that produced it")
			}
			cols[i] = c
		}
		if why := statefulBelow(n.Input); why != "" {
			return refuse(why)
		}
		return cols, true, nil
	case *planner.Join:
		return refuse("top operator is a join: a view row does not name the join state (both sides' rows) that produced it")
	case *planner.Limit:
		return refuse("top operator is ORDER BY ... LIMIT (top-N)")
	case *planner.SetOp:
		return refuse("top operator is a set operation")
	case *planner.Window:
		return refuse("top operator is a window function")
	}
	if why := statefulBelow(node); why != "" {
		return refuse(why)
	}
	return nil, false, nil
}

// statefulBelow names a stateful operator in the subtree of node, or
// returns "".
func statefulBelow(node planner.Node) string {
	switch node.(type) {
	case *planner.Join, *planner.Aggregate, *planner.Distinct, *planner.Limit, *planner.SetOp, *planner.Window:
		name, _ := streamOpName(node)
		return fmt.Sprintf("top operator has a stateful operator below it (%s): a read of a view row could not refresh that operator's keys", name)
	}
	for _, in := range planner.Inputs(node) {
		if why := statefulBelow(in); why != "" {
			return why
		}
	}
	return ""
}

// TouchTTLRow refreshes, at the next StateChanges, the expiry of the
// operator key that produced row, a row of the view that a user read
// (EnableTTLReadRefresh). A key that is no longer held (forgotten, or
// never seen) is left alone.
func (d *Dataflow) TouchTTLRow(row types.Row) {
	if d.ttl == nil || d.ttl.read == nil || d.ttl.read.op == nil {
		return
	}
	m := d.ttl.read
	for _, c := range m.cols {
		if c >= len(row) {
			return
		}
	}
	m.keyBuf, _ = appendColsKey(m.keyBuf[:0], row, m.cols)
	o := m.op
	tk := o.keys[string(m.keyBuf)]
	if tk == nil {
		return
	}
	if _, ok := o.touched[string(m.keyBuf)]; !ok {
		o.touched[string(m.keyBuf)] = tk
	}
}

// TTLReadTouchesState reports whether TouchTTLRow has operator state to
// refresh (false: a view without stateful operators, or no read refresh).
func (d *Dataflow) TTLReadTouchesState() bool {
	return d.ttl != nil && d.ttl.read != nil && d.ttl.read.op != nil
}
