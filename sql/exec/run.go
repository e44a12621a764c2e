package exec

import (
	"context"
	"fmt"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// errLimitReached is returned up the stack by a Limit that has all its rows:
// the producers below it stop early. The runtime swallows it.
var errLimitReached = errors.New("limit reached")

// Run runs plan as a one-shot dataflow over a snapshot and calls emit for
// each result row, in order when the plan's top is a Sort or Limit. emit may
// not keep the row.
func Run(ctx context.Context, env *Env, plan planner.Node, emit func(types.Row) error) (err error) {
	// A bug in one query (a plan that does not match its input, say) must
	// fail that query, not the server.
	defer func() {
		if r := recover(); r != nil {
			err = errors.AssertionFailedf("internal error while running the query: %v", r)
		}
	}()
	ec := newEvalCtx(ctx, env)
	ec.appendOnly = true
	return runPlan(ec, plan, emit)
}

// runPlan builds the operators of plan and drives them synchronously: each
// source in turn pushes all its rows, then its final barrier.
func runPlan(ec *evalCtx, plan planner.Node, emit func(types.Row) error) error {
	if err := checkCancel(ec.ctx); err != nil {
		return err
	}
	b := &builder{ec: ec}
	root, err := b.build(plan)
	if err != nil {
		return err
	}
	top := &rnode{op: &collector{emit: emit}, inputs: []*rnode{root}}
	root.parent, root.port = top, 0
	final := types.Barrier{Final: true}
	for _, leaf := range b.leaves {
		if err := swallowLimit(leaf.src.Run(ec.ctx, leaf)); err != nil {
			return err
		}
		if err := deliverBarrier(ec.ctx, leaf, final); err != nil {
			return err
		}
	}
	return nil
}

func swallowLimit(err error) error {
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}

// deliverBarrier delivers a barrier from `from` to its parent; once the
// barrier has arrived on every input of a node, the node flushes and the
// barrier moves on.
func deliverBarrier(ctx context.Context, from *rnode, b types.Barrier) error {
	for n := from.parent; n != nil; from, n = n, n.parent {
		if obs, ok := n.op.(inputBarrierObserver); ok {
			obs.InputBarrier(from.port, b)
		}
		n.barriers++
		if n.barriers < len(n.inputs) {
			return nil
		}
		n.barriers = 0
		if err := swallowLimit(n.op.Barrier(ctx, b, n)); err != nil {
			return err
		}
	}
	return nil
}

// inputBarrierObserver is implemented by operators that act on the arrival
// of a barrier on one input before the others (a join whose other side is
// complete stops storing rows).
type inputBarrierObserver interface {
	InputBarrier(input int, b types.Barrier)
}

// rnode is one operator (or source) of a running dataflow. As an Emitter it
// delivers its output to its parent's input port.
type rnode struct {
	op       Operator
	src      Source
	inputs   []*rnode
	parent   *rnode
	port     int
	barriers int
}

func (n *rnode) Emit(ctx context.Context, c *types.Chunk) error {
	if c.Len() == 0 {
		return nil
	}
	p := n.parent
	return p.op.Push(ctx, n.port, c, p)
}

type builder struct {
	ec *evalCtx
	// leaves are the sources in driving order.
	leaves []*rnode
	// retained says whether the rows the node being built emits may be kept
	// by an operator above it (a join, sort or window stores them). When
	// they cannot, the scan and project below reuse their row memory from
	// chunk to chunk. The collector's caller may not keep rows either.
	retained bool
}

func (b *builder) source(s Source) *rnode {
	n := &rnode{src: s}
	b.leaves = append(b.leaves, n)
	return n
}

// unary builds a one-input operator; inputRetained says whether op (or an
// operator above it that op passes rows to) keeps its input rows.
func (b *builder) unary(op Operator, input planner.Node, inputRetained bool) (*rnode, error) {
	b.retained = inputRetained
	in, err := b.build(input)
	if err != nil {
		return nil, err
	}
	n := &rnode{op: op, inputs: []*rnode{in}}
	in.parent, in.port = n, 0
	return n, nil
}

// binary builds a two-input operator; the input at port first is driven
// first.
func (b *builder) binary(op Operator, left, right planner.Node, first int, inputRetained bool) (*rnode, error) {
	inputs := [2]planner.Node{left, right}
	built := [2]*rnode{}
	for _, port := range [2]int{first, 1 - first} {
		b.retained = inputRetained
		in, err := b.build(inputs[port])
		if err != nil {
			return nil, err
		}
		built[port] = in
	}
	n := &rnode{op: op, inputs: built[:]}
	for port, in := range built {
		in.parent, in.port = n, port
	}
	return n, nil
}

func (b *builder) build(node planner.Node) (*rnode, error) {
	ec := b.ec
	// Whether this node's output may be kept above; restored for the
	// caller, which builds its other inputs next.
	out := b.retained
	defer func() { b.retained = out }()
	switch n := node.(type) {
	case *planner.Scan:
		return b.source(newScan(ec, n, !out)), nil
	case *planner.VirtualScan:
		return b.source(&virtualScan{ec: ec, node: n}), nil
	case *planner.RecursiveUnion:
		return b.source(&recursiveUnion{ec: ec, node: n}), nil
	case *planner.WorkTableScan:
		return b.source(&workTableScan{ec: ec, node: n}), nil
	case *planner.Values:
		s, err := newValues(ec, n)
		if err != nil {
			return nil, err
		}
		return b.source(s), nil
	case *planner.FuncScan:
		s, err := newFuncScan(ec, n)
		if err != nil {
			return nil, err
		}
		return b.source(s), nil
	case *planner.Filter:
		op, err := newFilter(ec, n)
		if err != nil {
			return nil, err
		}
		return b.unary(op, n.Input, out)
	case *planner.Project:
		op, err := newProject(ec, n, !out)
		if err != nil {
			return nil, err
		}
		return b.unary(op, n.Input, false)
	case *planner.ProjectSet:
		op, err := newProjectSet(ec, n)
		if err != nil {
			return nil, err
		}
		return b.unary(op, n.Input, false)
	case *planner.Join:
		op, err := newHashJoin(ec, n)
		if err != nil {
			return nil, err
		}
		// The right (build) side is driven first: left rows then meet a
		// complete right side, so inner and outer matches stream out in
		// left order and a LIMIT above can stop early.
		return b.binary(op, n.Left, n.Right, 1, true)
	case *planner.Aggregate:
		op, err := newAggregate(ec, n)
		if err != nil {
			return nil, err
		}
		return b.unary(op, n.Input, false)
	case *planner.Distinct:
		return b.unary(newDistinct(n), n.Input, out)
	case *planner.Sort:
		return b.unary(newSort(n.Keys, -1, 0), n.Input, true)
	case *planner.Limit:
		count, offset, err := limitValues(ec, n)
		if err != nil {
			return nil, err
		}
		if s, ok := n.Input.(*planner.Sort); ok {
			// Top-N: the sort keeps only the rows that can be in the result.
			return b.unary(newSort(s.Keys, count, offset), s.Input, true)
		}
		return b.unary(newLimit(count, offset), n.Input, out)
	case *planner.SetOp:
		// UNION ALL passes rows through; the others keep one per value.
		return b.binary(newSetOp(n), n.Left, n.Right, 0, out || n.Kind != planner.Union || !n.All)
	case *planner.Window:
		op, err := newWindow(ec, n)
		if err != nil {
			return nil, err
		}
		return b.unary(op, n.Input, true)
	}
	return nil, types.Unsupported(fmt.Sprintf("plan node %T", node))
}
