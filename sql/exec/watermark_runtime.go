package exec

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// The watermark runtime of a Dataflow (the contract is in watermark.go).
//
// Every node of a dataflow gets a wmNode that mirrors it: the rules that
// derive its output watermarks from its inputs' (fixed when the dataflow is
// built, from the plan and from which input columns can carry a watermark
// at all) and the values in force. Operators are wrapped in a wmOp whose
// Barrier delivers the inputs' watermarks to a WatermarkObserver, runs the
// operator's Barrier, collects the StateExpirer's bounds for the persisted
// state and then computes the node's output watermarks, so that a parent
// sees its children's watermarks of the same epoch.

// DataflowOptions configure NewDataflowWithOptions.
type DataflowOptions struct {
	// StateBase is the first state table id of the dataflow's stateful
	// operators (see NewDataflowWithState). Default 0.
	StateBase uint32
	// InputWatermark says whether the relation tableID read by the
	// dataflow has a WATERMARK clause, and if so the stored position of its
	// event-time column and the delay in microseconds. nil: no input has
	// one.
	InputWatermark func(tableID uint32) (storedCol int, delayMicros int64, ok bool)
	// EmitOnWindowClose makes the windowed aggregate nearest the output
	// emit each window's rows once, when the watermark closes the window,
	// and never retract them. Default false: results update as rows
	// arrive.
	EmitOnWindowClose bool
}

// inputWatermark generates the watermark of one stream input with a
// WATERMARK clause and drops its late rows.
type inputWatermark struct {
	col   int   // stored position of the event-time column
	delay int64 // microseconds
	// maxSeen is the largest event time seen (valid when seen).
	maxSeen int64
	seen    bool
	// wm is the watermark in force (valid when have): rows below it are
	// late.
	wm   int64
	have bool
	late int64
	// ended: the input will never produce another row (EndInput); the
	// next advance moves the watermark to +infinity.
	ended bool
	// scratch holds a chunk with its late rows removed.
	scratch types.Chunk
}

// dropLate returns c without its late rows (c itself when none is late)
// and notes the largest event time of the rest.
func (w *inputWatermark) dropLate(c *types.Chunk) *types.Chunk {
	late := false
	for _, r := range c.Rows {
		if w.col >= len(r) || r[w.col].IsNull() {
			continue
		}
		t := r[w.col].I
		if w.have && t < w.wm {
			late = true
			continue
		}
		if !w.seen || t > w.maxSeen {
			w.maxSeen, w.seen = t, true
		}
	}
	if !late {
		return c
	}
	w.scratch.Reset()
	for i, r := range c.Rows {
		if w.col < len(r) && !r[w.col].IsNull() && r[w.col].I < w.wm {
			w.late++
			continue
		}
		w.scratch.Append(c.Ops[i], r)
	}
	// A late half of an update pair leaves its partner alone.
	fixUpdatePairs(&w.scratch)
	return &w.scratch
}

// advance moves the watermark to max(event time seen) - delay, never back;
// to +infinity once the input ended.
func (w *inputWatermark) advance() {
	if w.ended {
		w.wm, w.have = types.PosInfinity, true
		return
	}
	if !w.seen {
		return
	}
	cand := w.maxSeen - w.delay
	if w.maxSeen < math.MinInt64+w.delay {
		cand = math.MinInt64
	}
	if !w.have || cand > w.wm {
		w.wm, w.have = cand, true
	}
}

// wmSrc names a column of an input port.
type wmSrc struct{ port, col int }

// wmRule derives the watermark of one output column: the minimum over
// srcs' watermarks, each mapped through fn when set (a monotone
// expression of the single source column, evaluated on scratch).
type wmRule struct {
	out     int
	srcs    []wmSrc
	fn      evalFn
	scratch types.Row
	kind    types.Kind // the source column's datum kind, for fn's input
	last    int64
	have    bool
}

// wmNode is the watermark state of one node of the dataflow.
type wmNode struct {
	inputs  []*wmNode
	rules   []*wmRule
	capable map[int]bool // output columns with a rule
	input   *streamInput
	// out are the output watermarks in force.
	out []types.Watermark
}

// wmOp wraps an operator of a dataflow to drive its watermarks.
type wmOp struct {
	inner   Operator
	w       *wmNode
	ec      *evalCtx
	obs     WatermarkObserver
	exp     StateExpirer
	fwd     WatermarkForwarder
	persist *persistOp
}

func (o *wmOp) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	return o.inner.Push(ctx, input, c, out)
}

// InputBarrier forwards to the wrapped operator.
func (o *wmOp) InputBarrier(input int, b types.Barrier) {
	if obs, ok := o.inner.(inputBarrierObserver); ok {
		obs.InputBarrier(input, b)
	}
}

func (o *wmOp) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	if o.obs != nil {
		for port, in := range o.w.inputs {
			for _, wm := range in.out {
				if err := o.obs.OnWatermark(ctx, port, wm, out); err != nil {
					return err
				}
			}
		}
	}
	if err := o.inner.Barrier(ctx, b, out); err != nil {
		return err
	}
	if o.exp != nil && o.persist != nil {
		for port, si := range o.persist.inputs {
			if si.exp != nil {
				si.exp.setBounds(o.exp.ExpiredInputs(port))
			}
		}
	}
	if o.fwd != nil {
		ins := make([][]types.Watermark, len(o.w.inputs))
		for i, in := range o.w.inputs {
			ins[i] = in.out
		}
		o.w.out = o.fwd.OutputWatermarks(ins)
		return nil
	}
	o.w.derive(o.ec)
	return nil
}

// derive computes the node's output watermarks from its inputs'.
func (w *wmNode) derive(ec *evalCtx) {
	w.out = w.out[:0]
	for _, r := range w.rules {
		v, ok := int64(0), true
		for i, s := range r.srcs {
			x, found := findWatermark(w.inputs[s.port].out, s.col)
			if !found {
				ok = false
				break
			}
			if r.fn != nil && x != types.PosInfinity {
				// (A monotone function of +infinity, the end of input, is
				// +infinity: date_bin and interval arithmetic would fail
				// on it.)
				r.scratch[s.col] = types.Datum{K: r.kind, I: x}
				d, err := r.fn(ec, r.scratch)
				if err != nil || d.IsNull() {
					ok = false
					break
				}
				x = d.I
			}
			if i == 0 || x < v {
				v = x
			}
		}
		if !ok {
			if r.have {
				w.out = append(w.out, types.Watermark{Col: r.out, Micros: r.last})
			}
			continue
		}
		if !r.have || v > r.last {
			r.last, r.have = v, true
		}
		w.out = append(w.out, types.Watermark{Col: r.out, Micros: r.last})
	}
}

// build builds node (buildOp does the work) and attaches its watermark
// node: rules from the plan, the operator wrapped in a wmOp.
func (d *Dataflow) build(node planner.Node) (*rnode, error) {
	rn, err := d.buildOp(node)
	if err != nil {
		return nil, err
	}
	if _, done := d.wmNodes[rn]; done {
		// A node that builds as its input (Sort) shares its watermarks.
		return rn, nil
	}
	w := &wmNode{capable: map[int]bool{}}
	for _, in := range rn.inputs {
		w.inputs = append(w.inputs, d.wmNodes[in])
	}
	if d.wmNodes == nil {
		d.wmNodes = map[*rnode]*wmNode{}
	}
	d.wmNodes[rn] = w
	if err := d.watermarkRules(node, rn, w); err != nil {
		return nil, err
	}
	for _, r := range w.rules {
		w.capable[r.out] = true
	}
	if rn.op == nil {
		return rn, nil
	}
	o := &wmOp{inner: rn.op, w: w, ec: d.ec}
	inner := rn.op
	if p, ok := inner.(*persistOp); ok {
		o.persist = p
		inner = p.inner
	}
	o.obs, _ = inner.(WatermarkObserver)
	o.exp, _ = inner.(StateExpirer)
	o.fwd, _ = inner.(WatermarkForwarder)
	if wp, ok := inner.(*windowPartitions); ok {
		wp.configure(w.inputs[0].capable)
		if node == d.eowcTarget {
			if wp.timePart < 0 {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "EMIT ON WINDOW CLOSE needs a PARTITION BY column that carries a watermark (window_start or window_end of TUMBLE/HOP over a table or source with a WATERMARK clause)")
			}
			wp.eowc = true
			d.eowcSet = true
		}
	}
	if wa, ok := inner.(*windowAgg); ok {
		wa.configure(w.inputs[0].capable)
		if node == d.eowcTarget {
			if wa.timeGroup < 0 {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "EMIT ON WINDOW CLOSE needs a GROUP BY column that carries a watermark (window_start or window_end of TUMBLE/HOP over a table or source with a WATERMARK clause)")
			}
			wa.eowc = true
			d.eowcSet = true
		}
	}
	if o.exp != nil && o.persist != nil {
		for port, si := range o.persist.inputs {
			var cols []int
			for _, c := range o.exp.ExpiryColumns(port) {
				if port < len(w.inputs) && w.inputs[port].capable[c] {
					cols = append(cols, c)
				}
			}
			if len(cols) > 0 {
				si.exp = newStateExpiry(cols)
			}
		}
	}
	rn.op = o
	return rn, nil
}

// watermarkRules fills w.rules for node (and wires a scan's input
// watermark).
func (d *Dataflow) watermarkRules(node planner.Node, rn *rnode, w *wmNode) error {
	pass := func(port int, capable map[int]bool, shift int) {
		for c := range capable {
			w.rules = append(w.rules, &wmRule{out: c + shift, srcs: []wmSrc{{port, c}}})
		}
	}
	switch n := node.(type) {
	case *planner.Scan:
		in := d.inputs[len(d.inputs)-1]
		w.input = in
		if d.opts.InputWatermark == nil {
			return nil
		}
		col, delay, ok := d.opts.InputWatermark(n.Table.ID)
		if !ok {
			return nil
		}
		in.wm = &inputWatermark{col: col, delay: delay}
		for j, p := range n.Phys {
			if p == col {
				w.rules = append(w.rules, &wmRule{out: j})
			}
		}
	case *planner.Filter, *planner.Distinct:
		pass(0, w.inputs[0].capable, 0)
	case *planner.Project:
		in := n.Input.Columns()
		for i, e := range n.Exprs {
			c, ok := monotoneIn(e)
			if !ok || !w.inputs[0].capable[c] {
				continue
			}
			r := &wmRule{out: i, srcs: []wmSrc{{0, c}}}
			if _, plain := e.(*planner.ColRef); !plain {
				fn, err := compileExpr(e)
				if err != nil {
					return err
				}
				r.fn, r.scratch, r.kind = fn, make(types.Row, len(in)), timeKind(in[c].Type)
			}
			w.rules = append(w.rules, r)
		}
	case *planner.ProjectSet:
		in := n.Input.Columns()
		pass(0, w.inputs[0].capable, 0)
		off := len(in)
		for _, f := range n.SRFs {
			if f.Fn.Name == "generate_series" && len(f.Args) == 3 && len(f.Cols) == 1 {
				if c, ok := monotoneIn(f.Args[0]); ok && w.inputs[0].capable[c] && positiveInterval(f.Args[2]) {
					fn, err := compileExpr(f.Args[0])
					if err != nil {
						return err
					}
					w.rules = append(w.rules, &wmRule{out: off, srcs: []wmSrc{{0, c}}, fn: fn,
						scratch: make(types.Row, len(in)), kind: timeKind(in[c].Type)})
				}
			}
			off += len(f.Cols)
		}
	case *planner.Aggregate:
		for i, g := range n.GroupCols {
			if w.inputs[0].capable[g] {
				w.rules = append(w.rules, &wmRule{out: i, srcs: []wmSrc{{0, g}}})
			}
		}
	case *planner.Join:
		width := len(n.Left.Columns())
		for k := range n.LeftKeys {
			l, r := n.LeftKeys[k], n.RightKeys[k]
			if !w.inputs[0].capable[l] || !w.inputs[1].capable[r] {
				continue
			}
			srcs := []wmSrc{{0, l}, {1, r}}
			w.rules = append(w.rules, &wmRule{out: l, srcs: srcs})
			if n.Kind != planner.SemiJoin && n.Kind != planner.AntiJoin {
				w.rules = append(w.rules, &wmRule{out: width + r, srcs: srcs})
			}
		}
		// An interval join computes its own (intervalJoin.OutputWatermarks);
		// these rules only mark its bounded columns as watermarked for the
		// operators above.
		for _, b := range n.Interval {
			if w.inputs[b.Side].capable[b.Col] && w.inputs[1-b.Side].capable[b.OtherCol] {
				w.rules = append(w.rules, &wmRule{out: b.Col + b.Side*width, srcs: []wmSrc{{b.Side, b.Col}}})
			}
		}
	case *planner.Window:
		// Output rows are the input's plus the functions' columns; a
		// partition column's watermark holds (rows change only in open
		// partitions).
		for c := range w.inputs[0].capable {
			shared := len(n.Funcs) > 0
			for _, f := range n.Funcs {
				shared = shared && containsInt(f.PartitionBy, c)
			}
			if shared {
				w.rules = append(w.rules, &wmRule{out: c, srcs: []wmSrc{{0, c}}})
			}
		}
	case *planner.SetOp:
		if n.Kind == planner.Union && n.All {
			for c := range w.inputs[0].capable {
				if w.inputs[1].capable[c] {
					w.rules = append(w.rules, &wmRule{out: c, srcs: []wmSrc{{0, c}, {1, c}}})
				}
			}
		}
	}
	return nil
}

// monotoneIn reports whether e is a timestamp expression non-decreasing in
// exactly one column (and constant otherwise): the column itself,
// date_bin / date_trunc of it, or it plus or minus a constant interval.
func monotoneIn(e planner.Expr) (int, bool) {
	if f := e.Type().Family; f != types.TimestampFamily && f != types.TimestampTZFamily {
		return 0, false
	}
	switch e := e.(type) {
	case *planner.ColRef:
		return e.Idx, true
	case *planner.Func:
		switch {
		case e.Fn.Name == "date_bin" && len(e.Args) == 3 && isConst(e.Args[0]) && isConst(e.Args[2]) && positiveInterval(e.Args[0]):
			return monotoneIn(e.Args[1])
		case e.Fn.Name == "date_trunc" && len(e.Args) == 2 && isConst(e.Args[0]):
			return monotoneIn(e.Args[1])
		case e.Fn.Name == "+" && len(e.Args) == 2:
			if isIntervalConst(e.Args[1]) {
				return monotoneIn(e.Args[0])
			}
			if isIntervalConst(e.Args[0]) {
				return monotoneIn(e.Args[1])
			}
		case e.Fn.Name == "-" && len(e.Args) == 2 && isIntervalConst(e.Args[1]):
			return monotoneIn(e.Args[0])
		}
	}
	return 0, false
}

func isConst(e planner.Expr) bool {
	c, ok := e.(*planner.Const)
	return ok && !c.Value.IsNull()
}

func isIntervalConst(e planner.Expr) bool {
	return isConst(e) && e.Type().Family == types.IntervalFamily
}

func positiveInterval(e planner.Expr) bool {
	if !isIntervalConst(e) {
		return false
	}
	iv := e.(*planner.Const).Value.Interval()
	return iv.Months >= 0 && iv.Days >= 0 && iv.Micros >= 0 && (iv.Months > 0 || iv.Days > 0 || iv.Micros > 0)
}

func timeKind(t *types.T) types.Kind {
	if t.Family == types.TimestampTZFamily {
		return types.KTimestampTZ
	}
	return types.KTimestamp
}

// eowcTargetOf returns the aggregate EMIT ON WINDOW CLOSE applies to: the
// one nearest the output, through projections and filters.
func eowcTargetOf(plan planner.Node) (planner.Node, error) {
	for {
		switch n := plan.(type) {
		case *planner.Project:
			plan = n.Input
		case *planner.Filter:
			plan = n.Input
		case *planner.Sort:
			plan = n.Input
		case *planner.Window:
			return n, nil
		case *planner.Aggregate:
			if len(n.GroupCols) == 0 {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "EMIT ON WINDOW CLOSE needs a windowed aggregate; an aggregate without GROUP BY has no window")
			}
			return n, nil
		default:
			return nil, types.Errorf(types.CodeFeatureNotSupported, "EMIT ON WINDOW CLOSE needs a windowed aggregate or top-N at the top of the query (GROUP BY window_start or window_end of TUMBLE/HOP, or row_number() OVER (PARTITION BY window_start ...) <= N); this query's result is neither")
		}
	}
}

// advanceInputWatermarks moves every input's watermark at a barrier.
func (d *Dataflow) advanceInputWatermarks() {
	for _, in := range d.inputs {
		w := d.wmNodes[in.rn]
		if w == nil {
			continue
		}
		w.out = w.out[:0]
		if in.wm == nil {
			continue
		}
		in.wm.advance()
		if !in.wm.have {
			continue
		}
		for _, r := range w.rules {
			w.out = append(w.out, types.Watermark{Col: r.out, Micros: in.wm.wm})
		}
	}
}

// EndInput declares that the input relation tableID will never produce
// another row (a bounded source has written everything and the dataflow
// has received all of it): at the next barrier its watermark moves to
// +infinity, as at the end of a bounded input in Flink, so EMIT ON WINDOW
// CLOSE emits the last windows and watermark-bounded state is dropped.
// Inputs without a WATERMARK clause are unaffected (and only serial
// dataflows have inputs with one).
func (d *Dataflow) EndInput(tableID uint32) {
	for _, in := range d.inputs {
		if in.tableID == tableID && in.wm != nil {
			in.wm.ended = true
		}
	}
}

// LateRows counts the rows dropped at the inputs for being behind the
// watermark, once per input relation (scans of the same relation see the
// same rows and the same watermark, so they drop the same rows).
func (d *Dataflow) LateRows() int64 {
	perTable := map[uint32]int64{}
	for _, in := range d.inputs {
		if in.wm != nil {
			perTable[in.tableID] = max(perTable[in.tableID], in.wm.late)
		}
	}
	var n int64
	for _, late := range perTable {
		n += late
	}
	return n
}

// InputWatermark returns the smallest watermark in force over the
// dataflow's inputs with a WATERMARK clause, in microseconds (the
// timestamp Datum value); ok is false when no input has one yet.
func (d *Dataflow) InputWatermark() (micros int64, ok bool) {
	for _, in := range d.inputs {
		if in.wm != nil && in.wm.have && (!ok || in.wm.wm < micros) {
			micros, ok = in.wm.wm, true
		}
	}
	return micros, ok
}

// watermarkTableID is the state table that keeps the inputs' watermarks:
// the id after the operators' state tables.
func (d *Dataflow) watermarkTableID() uint32 { return d.stateBase + uint32(len(d.state)) }

// persistWatermarks writes each input's watermark and largest event time
// into the epoch's batch.
func (d *Dataflow) persistWatermarks(set func(key, value []byte) error) error {
	for i, in := range d.inputs {
		w := in.wm
		if w == nil || !w.seen {
			continue
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(w.maxSeen))
		v = binary.BigEndian.AppendUint64(v, uint64(w.wm))
		flag := byte(0)
		if w.have {
			flag = 1
		}
		v = append(v, flag)
		v = binary.BigEndian.AppendUint64(v, uint64(w.late))
		if err := set(stateKey(d.watermarkTableID(), 0, "wm"+strconv.Itoa(i)), v); err != nil {
			return err
		}
	}
	return nil
}

// restoreWatermarks loads the inputs' watermarks persistWatermarks wrote.
func (d *Dataflow) restoreWatermarks(store StateStore) error {
	for i, in := range d.inputs {
		w := in.wm
		if w == nil {
			continue
		}
		v, ok, err := store.Get(stateKey(d.watermarkTableID(), 0, "wm"+strconv.Itoa(i)))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if len(v) != 25 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt watermark entry of input %d", i)
		}
		w.maxSeen, w.seen = int64(binary.BigEndian.Uint64(v)), true
		w.wm, w.have = int64(binary.BigEndian.Uint64(v[8:])), v[16] == 1
		w.late = int64(binary.BigEndian.Uint64(v[17:]))
	}
	return nil
}

// watermarks is the watermark part of a Dataflow.
type watermarks struct {
	opts    DataflowOptions
	wmNodes map[*rnode]*wmNode
	// eowcTarget is the aggregate EMIT ON WINDOW CLOSE applies to; eowcSet
	// says it was found able to.
	eowcTarget planner.Node
	eowcSet    bool
}

// OutputWatermarks returns the watermarks of the dataflow's output (the
// view's columns) after the last barrier.
func (d *Dataflow) OutputWatermarks() []types.Watermark {
	for rn, w := range d.wmNodes {
		if rn.parent != nil && rn.parent.op == Operator(d.sink) {
			return w.out
		}
	}
	return nil
}
