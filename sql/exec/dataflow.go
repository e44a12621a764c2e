package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// Dataflow is the standing dataflow of a materialized view: the same
// operator instances as a one-shot query, built from a plan that
// planner.StreamPlan rewrote, fed with changes instead of a snapshot.
//
// Each planner.Scan becomes an input the runtime pushes the table's changes
// into (rows in storage layout, as the change log holds them); constant
// sources (VALUES, set-returning functions over constants) emit once, in
// Start. Barrier delivers a barrier from every input, so every operator
// sees it on all its inputs (alignment is trivial here: the runtime drives
// one epoch at a time, pushing every change of the epoch before the
// barrier), and returns the view's changes for the epoch.
//
// A Dataflow is driven by one goroutine at a time.
type Dataflow struct {
	ec     *evalCtx
	inputs []*streamInput
	consts []*rnode
	sink   *dataflowSink
	leaves []*rnode
	// state are the persisted inputs of stateful operators; their state
	// table ids start at stateBase (see dataflow_state.go).
	state     []*stateInput
	stateBase uint32
	// rowErrors counts expression errors turned into NULLs; lastRowError
	// is the latest.
	rowErrors    int64
	lastRowError error
	// watermarks drives event time (watermark_runtime.go).
	watermarks
	// par runs the dataflow on parallel workers (dataflow_parallel.go);
	// nil: this Dataflow's own operators run it. serialReason says why a
	// dataflow asked to run in parallel does not.
	par          *parallelRuntime
	serialReason string
	// ttl expires operator keys of a view with a TTL (dataflow_ttl.go).
	ttl *dataflowTTL
}

// noteRowError decides whether an expression error becomes NULL: data
// exceptions (SQLSTATE class 22: division by zero, bad casts, overflow)
// do, and are counted; anything else (an internal error, a cancel) still
// fails the dataflow.
func (d *Dataflow) noteRowError(err error) bool {
	if code := types.Code(err); len(code) == 5 && code[:2] == "22" {
		d.rowErrors++
		d.lastRowError = err
		return true
	}
	return false
}

// RowErrors returns the number of expression errors turned into NULLs so
// far and the latest one.
func (d *Dataflow) RowErrors() (int64, error) {
	if d.par != nil {
		return d.par.rowErrors()
	}
	return d.rowErrors, d.lastRowError
}

// precompile compiles the expressions of plan's operators into the
// evalCtx's cache (where the operators' ec.compile finds them), each
// wrapped so that a data error evaluates to NULL.
func (d *Dataflow) precompile(plan planner.Node) error {
	var exprs []planner.Expr
	switch n := plan.(type) {
	case *planner.Filter:
		exprs = append(exprs, n.Pred)
	case *planner.Project:
		exprs = append(exprs, n.Exprs...)
	case *planner.Join:
		if n.On != nil {
			exprs = append(exprs, n.On)
		}
	}
	for _, e := range exprs {
		fn, err := compileExpr(e)
		if err != nil {
			return err
		}
		if d.ec.compiled == nil {
			d.ec.compiled = make(map[planner.Expr]evalFn)
		}
		d.ec.compiled[e] = d.nullOnError(fn)
	}
	for _, in := range planner.Inputs(plan) {
		if err := d.precompile(in); err != nil {
			return err
		}
	}
	return nil
}

// nullOnError wraps a compiled expression so that the errors noteRowError
// accepts evaluate to NULL.
func (d *Dataflow) nullOnError(fn evalFn) evalFn {
	return func(ec *evalCtx, row types.Row) (types.Datum, error) {
		v, err := fn(ec, row)
		if err != nil && d.noteRowError(err) {
			return types.Null, nil
		}
		return v, err
	}
}

// streamInput is a scan of a stored relation turned into a push input.
type streamInput struct {
	node    *planner.Scan
	rn      *rnode
	b       *chunkBuilder
	rowsIn  int64
	tableID uint32
	// wm generates the input's watermark; nil: no WATERMARK clause.
	wm *inputWatermark
}

// dataflowSink collects the view's changes of the current epoch.
type dataflowSink struct {
	out types.Chunk
}

func (s *dataflowSink) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		s.out.Append(c.Ops[i], r)
	}
	return nil
}

func (s *dataflowSink) Barrier(context.Context, types.Barrier, Emitter) error { return nil }

// NewDataflow builds the dataflow of plan. env supplies the evaluation
// context (time zone, session functions); env.Tables is not used: every
// stored relation is an input.
func NewDataflow(ctx context.Context, env *Env, plan planner.Node) (*Dataflow, error) {
	return NewDataflowWithState(ctx, env, plan, 0)
}

// NewDataflowWithState is NewDataflow whose stateful operators' state
// tables get the ids stateBase, stateBase+1, ... in plan order (the same
// for the same plan, so a restarted view finds its state).
func NewDataflowWithState(ctx context.Context, env *Env, plan planner.Node, stateBase uint32) (*Dataflow, error) {
	return NewDataflowWithOptions(ctx, env, plan, DataflowOptions{StateBase: stateBase})
}

// NewDataflowWithOptions is NewDataflow with the options of a view: state
// table ids, input watermarks, EMIT ON WINDOW CLOSE.
func NewDataflowWithOptions(ctx context.Context, env *Env, plan planner.Node, opts DataflowOptions) (*Dataflow, error) {
	ec := newEvalCtx(ctx, env)
	ec.appendOnly = false
	d := &Dataflow{ec: ec, sink: &dataflowSink{}, stateBase: opts.StateBase}
	d.opts = opts
	if opts.EmitOnWindowClose {
		target, err := eowcTargetOf(plan)
		if err != nil {
			return nil, err
		}
		d.eowcTarget = target
	}
	if err := d.precompile(plan); err != nil {
		return nil, err
	}
	root, err := d.build(plan)
	if err != nil {
		return nil, err
	}
	top := &rnode{op: d.sink, inputs: []*rnode{root}}
	root.parent, root.port = top, 0
	return d, nil
}

// Inputs returns the OIDs of the relations the dataflow reads, once each.
func (d *Dataflow) Inputs() []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	for _, in := range d.inputs {
		if !seen[in.tableID] {
			seen[in.tableID] = true
			out = append(out, in.tableID)
		}
	}
	return out
}

// RowsIn counts the changes pushed so far.
func (d *Dataflow) RowsIn() int64 {
	if d.par != nil {
		return d.par.rowsIn()
	}
	var n int64
	for _, in := range d.inputs {
		n += in.rowsIn
	}
	return n
}

// Start emits the rows of the constant sources. Call it once, before the
// first barrier.
func (d *Dataflow) Start(ctx context.Context) error {
	if d.par != nil {
		return d.par.start(ctx)
	}
	return d.guard(func() error {
		for _, n := range d.consts {
			if err := n.src.Run(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Push delivers changes of relation tableID, rows in its storage layout,
// to every scan of it. The chunk is not kept.
func (d *Dataflow) Push(ctx context.Context, tableID uint32, c *types.Chunk) error {
	if d.par != nil {
		return d.par.push(ctx, tableID, c)
	}
	return d.guard(func() error {
		for _, in := range d.inputs {
			if in.tableID != tableID {
				continue
			}
			if err := in.push(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// Barrier ends the epoch: every operator flushes, and the view's changes of
// the epoch are returned.
func (d *Dataflow) Barrier(ctx context.Context, epoch uint64) (*types.Chunk, error) {
	if d.par != nil {
		return d.par.barrier(ctx, epoch)
	}
	b := types.Barrier{Epoch: types.Epoch(epoch)}
	d.advanceInputWatermarks()
	err := d.guard(func() error {
		for _, leaf := range d.leaves {
			if err := deliverBarrier(ctx, leaf, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The changes of the epoch include those emitted while pushing.
	out := d.sink.out
	d.sink.out = types.Chunk{}
	return &out, nil
}

// guard turns a panic in an operator into an error: a bug in one view must
// not take the server down.
func (d *Dataflow) guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.AssertionFailedf("internal error in a dataflow: %v", r)
		}
	}()
	return fn()
}

func (in *streamInput) push(ctx context.Context, c *types.Chunk) error {
	if in.wm != nil {
		c = in.wm.dropLate(c)
	}
	phys, missing := in.node.Phys, in.node.Table.Missing
	for i, stored := range c.Rows {
		r := in.b.newRow()
		for j, p := range phys {
			switch {
			case p < len(stored):
				r[j] = stored[p]
			case p < len(missing):
				r[j] = missing[p]
			}
		}
		if err := in.b.add(ctx, c.Ops[i], r, in.rn); err != nil {
			return err
		}
	}
	in.rowsIn += int64(c.Len())
	return in.b.flush(ctx, in.rn)
}

// inputRunner is the Source of a stream input's rnode: it never runs (the
// runtime pushes), it only marks the node as a leaf.
type inputRunner struct{}

func (inputRunner) Run(context.Context, Emitter) error { return nil }

func (d *Dataflow) leaf(s Source) *rnode {
	n := &rnode{src: s}
	d.leaves = append(d.leaves, n)
	return n
}

func (d *Dataflow) unary(op Operator, input planner.Node) (*rnode, error) {
	in, err := d.build(input)
	if err != nil {
		return nil, err
	}
	n := &rnode{op: op, inputs: []*rnode{in}}
	in.parent, in.port = n, 0
	return n, nil
}

func (d *Dataflow) binary(op Operator, left, right planner.Node) (*rnode, error) {
	l, err := d.build(left)
	if err != nil {
		return nil, err
	}
	r, err := d.build(right)
	if err != nil {
		return nil, err
	}
	n := &rnode{op: op, inputs: []*rnode{l, r}}
	l.parent, l.port = n, 0
	r.parent, r.port = n, 1
	return n, nil
}

// buildOp builds the operator of node (build, in watermark_runtime.go,
// adds its watermark handling).
func (d *Dataflow) buildOp(node planner.Node) (*rnode, error) {
	ec := d.ec
	switch n := node.(type) {
	case *planner.Scan:
		in := &streamInput{node: n, tableID: n.Table.ID, b: newChunkBuilder(len(n.Phys))}
		in.rn = d.leaf(inputRunner{})
		d.inputs = append(d.inputs, in)
		return in.rn, nil
	case *planner.Values:
		s, err := newValues(ec, n)
		if err != nil {
			return nil, err
		}
		rn := d.leaf(s)
		d.consts = append(d.consts, rn)
		return rn, nil
	case *planner.FuncScan:
		s, err := newFuncScan(ec, n)
		if err != nil {
			return nil, err
		}
		rn := d.leaf(s)
		d.consts = append(d.consts, rn)
		return rn, nil
	case *planner.Filter:
		op, err := newFilter(ec, n)
		if err != nil {
			return nil, err
		}
		return d.unary(op, n.Input)
	case *planner.Project:
		op, err := newProject(ec, n, false)
		if err != nil {
			return nil, err
		}
		return d.unary(op, n.Input)
	case *planner.ProjectSet:
		op, err := newProjectSet(ec, n)
		if err != nil {
			return nil, err
		}
		return d.unary(op, n.Input)
	case *planner.Join:
		if len(n.Interval) > 0 {
			return d.buildIntervalJoin(n) // interval_join.go
		}
		op, err := newHashJoin(ec, n)
		if err != nil {
			return nil, err
		}
		return d.binary(d.persist(op, n.LeftKeys, n.RightKeys), n.Left, n.Right)
	case *planner.Aggregate:
		op, err := newAggregate(ec, n)
		if err != nil {
			return nil, err
		}
		if len(n.GroupCols) > 0 {
			// Windows close by watermark (window_close.go).
			return d.unary(d.persist(newWindowAgg(op), n.GroupCols), n.Input)
		}
		return d.unary(d.persist(op, n.GroupCols), n.Input)
	case *planner.Distinct:
		if len(n.On) > 0 {
			return nil, types.Unsupported("DISTINCT ON in a materialized view")
		}
		return d.unary(d.persist(newDistinct(n), nil), n.Input)
	case *planner.Limit:
		s, ok := n.Input.(*planner.Sort)
		if !ok {
			return nil, types.Unsupported("LIMIT without ORDER BY in a materialized view")
		}
		count, offset, err := limitValues(ec, n)
		if err != nil {
			return nil, err
		}
		return d.unary(d.persist(newTopN(s.Keys, count, offset), nil), s.Input)
	case *planner.Sort:
		// Order means nothing to a stored set (StreamPlan drops it too).
		return d.build(n.Input)
	case *planner.SetOp:
		return d.binary(d.persist(newSetOp(n), nil, nil), n.Left, n.Right)
	case *planner.Window:
		op, err := newWindow(ec, n)
		if err != nil {
			return nil, err
		}
		var part []int
		if len(n.Funcs) > 0 {
			part = n.Funcs[0].PartitionBy
		}
		// Windows close by watermark (window_close_partition.go).
		return d.unary(d.persist(newWindowPartitions(op), part), n.Input)
	}
	return nil, types.Unsupported(fmt.Sprintf("plan node %T in a materialized view", node))
}

// ExplainStream describes the streaming plan of a view: one line per
// operator with the state it keeps and the numbers of its state tables
// (offsets from the view's first state table id, in the order
// NewDataflowWithState assigns them).
func ExplainStream(plan planner.Node) []string {
	var lines []string
	next := 0
	var walk func(n planner.Node, depth int)
	walk = func(n planner.Node, depth int) {
		pad := ""
		for i := 0; i < depth; i++ {
			pad += "  "
		}
		name, st := streamOpName(n)
		line := pad + name
		if st != "" {
			tables := 1
			if _, ok := n.(*planner.Join); ok {
				tables = 2
			} else if _, ok := n.(*planner.SetOp); ok {
				tables = 2
			}
			var ids []string
			for i := 0; i < tables; i++ {
				ids = append(ids, fmt.Sprint(next))
				next++
			}
			line += "  [state tables " + strings.Join(ids, ", ") + ": " + st + "]"
		}
		lines = append(lines, line)
		if l, ok := n.(*planner.Limit); ok {
			if s, ok := l.Input.(*planner.Sort); ok {
				walk(s.Input, depth+1)
				return
			}
		}
		for _, in := range planner.Inputs(n) {
			walk(in, depth+1)
		}
	}
	walk(plan, 0)
	return lines
}

func streamOpName(n planner.Node) (name, stateDesc string) {
	switch n := n.(type) {
	case *planner.Scan:
		return "StreamScan " + n.Table.Name + " (change log)", ""
	case *planner.Values:
		return "Values", ""
	case *planner.FuncScan:
		return "FunctionScan", ""
	case *planner.Filter:
		return "StreamFilter", ""
	case *planner.Project:
		return "StreamProject", ""
	case *planner.ProjectSet:
		return "StreamProjectSet", ""
	case *planner.Join:
		if len(n.Interval) > 0 {
			return intervalJoinName(n), "left rows, right rows, by join key, expired by watermark"
		}
		return fmt.Sprintf("StreamHashJoin (%s, %d keys)", n.Kind, len(n.LeftKeys)), "left rows, right rows, by join key"
	case *planner.Aggregate:
		return fmt.Sprintf("StreamHashAgg (%d group columns, %d aggregates)", len(n.GroupCols), len(n.Aggs)), aggStateDescription(n) // aggregate_state.go
	case *planner.Distinct:
		return "StreamDistinct", "input rows"
	case *planner.Limit:
		return "StreamTopN", "input rows"
	case *planner.Sort:
		return "Sort (dropped)", ""
	case *planner.SetOp:
		return fmt.Sprintf("StreamSetOp (%s all=%v)", n.Kind, n.All), "left rows, right rows"
	case *planner.Window:
		return "StreamWindow", "input rows by partition"
	}
	return fmt.Sprintf("%T", n), ""
}
