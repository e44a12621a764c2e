package exec

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// intervalJoin is the inner join of a view whose condition bounds one
// side's event time by the other's (planner.Join.Interval, see
// sql/planner/stream_interval_join.go). It joins like the symmetric hash
// join (each side's rows bucketed by equi-key, a change probes the other
// side's bucket, the whole condition is applied to each pair, matches are
// emitted with the change's sign), and in addition forgets rows that can no
// longer match:
//
//   - OnWatermark records the inputs' watermarks. For every bound, a row of
//     the bound's side expires once row[Col] < watermark(other side's
//     OtherCol) + Offset: every future row of the other side is past the
//     row's reach.
//   - At the barrier the expired rows are dropped from memory, oldest
//     first (a min-heap of the stored rows' times per bound), and from the
//     persisted state (a -1 on the side's state input, committed with the
//     epoch). Dropping emits nothing: the pairs already emitted stay in
//     the view. (The runtime's time index of watermark_state.go is not
//     used: it only indexes columns that carry their own input's
//     watermark, and an interval join's bounds come from the other
//     input's: a window row expires by its window_end, which has none.)
//   - A row that arrives already behind its side's bounds (the other side
//     ran ahead) can only meet the other side's rows stored now: it is
//     joined with them and not stored. Its retraction, later, finds it
//     absent and is joined the same way. Both are exact as long as the
//     inputs keep their watermark promise (no row below an input's
//     watermark, which the runtime enforces by dropping late rows at the
//     dataflow's inputs): a row of the other side that has expired could
//     not have met it, so the stored rows are exactly its partners. The
//     result therefore equals the hash join's for every row that is not
//     late. Rows never stored are taken out of the persisted state again,
//     so that it holds exactly the stored rows.
//
// Without watermarks no bound is ever set and the operator keeps every
// row, as the hash join does. Rows with a NULL key or a NULL bounded time
// can never satisfy the condition and are not stored.
type intervalJoin struct {
	ec      *evalCtx
	on      evalFn
	sides   [2]intervalSide
	widths  [2]int
	bounds  []planner.IntervalBound
	boundAt []int64 // per bound; math.MinInt64: not set yet
	// heaps[i] orders the stored rows of bounds[i].Side by bounds[i].Col,
	// from the first watermark that sets boundAt[i] on. Rows removed by a
	// retraction stay until their time expires.
	heaps   []timedRows
	wms     [2][]types.Watermark
	keyBuf  []byte
	scratch types.Row
	b       *chunkBuilder
	// unstored counts the changes joined but not stored: behind the
	// bounds on arrival.
	unstored int64
	// leftKeys and rightKeys pair the equi-key columns, for
	// OutputWatermarks.
	leftKeys, rightKeys []int
	// persisted are the state inputs that persist each side's rows (nil
	// outside a dataflow): rows the join drops are removed there too.
	persisted [2]*stateInput
}

type intervalSide struct {
	keys    []int
	buckets map[string][]types.Row
	rows    int64
}

// timedRow is a stored row with the value of a bounded time column.
type timedRow struct {
	t   int64
	row types.Row
}

// timedRows is a min-heap by t (hand-written: container/heap would box
// every pushed row in an interface).
type timedRows []timedRow

func (h *timedRows) push(e timedRow) {
	*h = append(*h, e)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p].t <= a[i].t {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *timedRows) pop() timedRow {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = timedRow{}
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l].t < a[m].t {
			m = l
		}
		if l+1 < n && a[l+1].t < a[m].t {
			m = l + 1
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
	return top
}

func newIntervalJoin(ec *evalCtx, n *planner.Join) (*intervalJoin, error) {
	if n.Kind != planner.InnerJoin || len(n.Interval) == 0 {
		return nil, errors.AssertionFailedf("interval join over a %s join with %d bounds", n.Kind, len(n.Interval))
	}
	if len(n.LeftKeys) != len(n.RightKeys) {
		return nil, errors.AssertionFailedf("join with %d left keys and %d right keys", len(n.LeftKeys), len(n.RightKeys))
	}
	j := &intervalJoin{
		ec:       ec,
		widths:   [2]int{len(n.Left.Columns()), len(n.Right.Columns())},
		bounds:   n.Interval,
		boundAt:  make([]int64, len(n.Interval)),
		heaps:    make([]timedRows, len(n.Interval)),
		leftKeys: n.LeftKeys, rightKeys: n.RightKeys,
	}
	for i := range j.boundAt {
		j.boundAt[i] = math.MinInt64
	}
	if n.On != nil {
		on, err := ec.compile(n.On)
		if err != nil {
			return nil, err
		}
		j.on = on
	}
	j.sides[0] = intervalSide{keys: n.LeftKeys, buckets: map[string][]types.Row{}}
	j.sides[1] = intervalSide{keys: n.RightKeys, buckets: map[string][]types.Row{}}
	j.scratch = make(types.Row, j.widths[0]+j.widths[1])
	j.b = newChunkBuilder(j.widths[0] + j.widths[1])
	return j, nil
}

func (j *intervalJoin) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	if err := checkCancel(ctx); err != nil {
		return err
	}
	for i, r := range c.Rows {
		if err := j.pushRow(ctx, input, c.Ops[i], r, out); err != nil {
			return err
		}
	}
	return j.b.flush(ctx, out)
}

// classify reports whether row r of side s has a NULL bounded time (it
// can never satisfy the condition) or is behind one of its side's bounds
// (it can only meet rows stored now).
func (j *intervalJoin) classify(s int, r types.Row) (null, behind bool) {
	for i, b := range j.bounds {
		if b.Side != s {
			continue
		}
		v := r[b.Col]
		if v.IsNull() {
			return true, false
		}
		if v.I < j.boundAt[i] {
			behind = true
		}
	}
	return false, behind
}

func (j *intervalJoin) pushRow(ctx context.Context, s int, op types.Op, r types.Row, out Emitter) error {
	null, behind := j.classify(s, r)
	self, other := &j.sides[s], &j.sides[1-s]
	var nullKey bool
	j.keyBuf, nullKey = appendColsKey(j.keyBuf[:0], r, self.keys)
	if null || nullKey {
		j.unpersist(s, r, sign(op))
		return nil
	}
	pairOp := types.Insert
	if !op.IsInsert() {
		pairOp = types.Delete
	}
	for _, o := range other.buckets[string(j.keyBuf)] {
		pair := j.concat(s, r, o)
		if j.on != nil {
			d, err := j.on(j.ec, pair)
			if err != nil {
				return err
			}
			if !isTrue(d) {
				continue
			}
		}
		row := j.b.newRow()
		copy(row, pair)
		if err := j.b.add(ctx, pairOp, row, out); err != nil {
			return err
		}
	}
	if behind {
		j.unstored++
		j.unpersist(s, r, sign(op))
		return nil
	}
	if op.IsInsert() {
		self.buckets[string(j.keyBuf)] = append(self.buckets[string(j.keyBuf)], r)
		self.rows++
		for i, b := range j.bounds {
			if b.Side == s && j.boundAt[i] != math.MinInt64 {
				j.heaps[i].push(timedRow{t: r[b.Col].I, row: r})
			}
		}
		return nil
	}
	if !self.remove(j.keyBuf, r) {
		return errors.AssertionFailedf("interval join: deleting a row that is not in its state")
	}
	// The row's heap entries stay; expiry skips rows no longer stored.
	return nil
}

// unpersist takes back a change of side s's persisted rows (delta: the
// sign the change was recorded with, or -1 for a stored row that expired).
func (j *intervalJoin) unpersist(s int, r types.Row, delta int) {
	if in := j.persisted[s]; in != nil {
		in.record(r, -int64(delta))
	}
}

// remove deletes one stored copy of r (key is r's encoded key); false when
// there is none.
func (s *intervalSide) remove(key []byte, r types.Row) bool {
	list := s.buckets[string(key)]
	for k, e := range list {
		if rowsEqual(e, r) {
			list[k] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			if len(list) == 0 {
				delete(s.buckets, string(key))
			} else {
				s.buckets[string(key)] = list
			}
			s.rows--
			return true
		}
	}
	return false
}

// concat fills the scratch row with the left and right rows of a pair.
func (j *intervalJoin) concat(s int, r, o types.Row) types.Row {
	return concatPair(j.scratch, j.widths[0], s, r, o)
}

// OnWatermark records an input's watermark on one of its columns.
func (j *intervalJoin) OnWatermark(_ context.Context, input int, wm types.Watermark, _ Emitter) error {
	for i := range j.wms[input] {
		if j.wms[input][i].Col == wm.Col {
			j.wms[input][i].Micros = max(j.wms[input][i].Micros, wm.Micros)
			return nil
		}
	}
	j.wms[input] = append(j.wms[input], wm)
	return nil
}

// Barrier moves the bounds to the recorded watermarks and drops the rows
// they expire.
func (j *intervalJoin) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	for i, b := range j.bounds {
		wm, ok := findWatermark(j.wms[1-b.Side], b.OtherCol)
		if !ok {
			continue
		}
		side := &j.sides[b.Side]
		h := &j.heaps[i]
		if j.boundAt[i] == math.MinInt64 {
			// The first watermark: index the rows stored so far. (Until a
			// bound exists nothing can expire, and without watermarks
			// the heap would only grow, with every row ever inserted.)
			for _, rows := range side.buckets {
				for _, r := range rows {
					h.push(timedRow{t: r[b.Col].I, row: r})
				}
			}
		}
		if at := saturatingAdd(wm, b.Offset); at > j.boundAt[i] {
			j.boundAt[i] = at
		}
		for len(*h) > 0 && (*h)[0].t < j.boundAt[i] {
			e := h.pop()
			j.keyBuf, _ = appendColsKey(j.keyBuf[:0], e.row, side.keys)
			if side.remove(j.keyBuf, e.row) {
				j.unpersist(b.Side, e.row, 1)
			}
		}
	}
	return j.b.flush(ctx, out)
}

func saturatingAdd(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// OutputWatermarks: a pair's bounded column comes from a stored row, at or
// past the column's bound (the largest, when several bound it), or from a
// row arriving now, at or past its own input's watermark on the column
// (rows behind the bound are still joined). So the column's output
// watermark is the smaller of the two, and there is none when its own
// input has no watermark on it. Equi-key columns carry the smaller of the
// two sides' watermarks on the pair, as in the hash join.
func (j *intervalJoin) OutputWatermarks(inputs [][]types.Watermark) []types.Watermark {
	var out []types.Watermark
	set := func(col int, v int64) {
		for i := range out {
			if out[i].Col == col {
				out[i].Micros = max(out[i].Micros, v)
				return
			}
		}
		out = append(out, types.Watermark{Col: col, Micros: v})
	}
	if len(inputs) != 2 {
		return nil
	}
	for i, b := range j.bounds {
		own, ok := findWatermark(inputs[b.Side], b.Col)
		if j.boundAt[i] == math.MinInt64 || !ok {
			continue
		}
		col := b.Col
		if b.Side == 1 {
			col += j.widths[0]
		}
		set(col, min(j.boundAt[i], own))
	}
	{
		for k := range j.leftKeys {
			l, lok := findWatermark(inputs[0], j.leftKeys[k])
			r, rok := findWatermark(inputs[1], j.rightKeys[k])
			if lok && rok {
				set(j.leftKeys[k], min(l, r))
				set(j.widths[0]+j.rightKeys[k], min(l, r))
			}
		}
	}
	return out
}

// Unstored counts the changes that arrived behind their side's bounds
// (joined with the stored rows, not stored).
func (j *intervalJoin) Unstored() int64 { return j.unstored }

// StoredRows is the number of rows held, per side.
func (j *intervalJoin) StoredRows() [2]int64 { return [2]int64{j.sides[0].rows, j.sides[1].rows} }

// intervalJoinName describes an interval join for EXPLAIN.
func intervalJoinName(n *planner.Join) string {
	var bs []string
	for _, b := range n.Interval {
		bs = append(bs, b.String(n.Left.Columns(), n.Right.Columns()))
	}
	return fmt.Sprintf("StreamIntervalJoin (%d keys; rows expire when %s)", len(n.LeftKeys), strings.Join(bs, ", "))
}

// buildIntervalJoin builds the operator of an interval join, persisted like
// the hash join (each side's input rows, grouped by join key).
func (d *Dataflow) buildIntervalJoin(n *planner.Join) (*rnode, error) {
	op, err := newIntervalJoin(d.ec, n)
	if err != nil {
		return nil, err
	}
	p := d.persist(op, n.LeftKeys, n.RightKeys).(*persistOp)
	op.persisted = [2]*stateInput{p.inputs[0], p.inputs[1]}
	return d.binary(p, n.Left, n.Right)
}

// restoreIntervalBounds gives the interval joins of a restored dataflow the
// bounds in force at the committed epoch, before the first barrier, so
// that rows of the first epoch after a restart are stored or not exactly
// as they would have been without the restart. It derives the watermarks
// from the restored input watermarks up the operator tree (the same rules
// as at a barrier) and delivers them to the interval joins only; other
// operators see them at the next barrier as usual.
func (d *Dataflow) restoreIntervalBounds(ctx context.Context) error {
	if len(d.leaves) == 0 || d.wmNodes == nil {
		return nil
	}
	top := d.leaves[0]
	for top.parent != nil {
		top = top.parent
	}
	d.advanceInputWatermarks()
	var visit func(n *rnode) error
	visit = func(n *rnode) error {
		for _, in := range n.inputs {
			if err := visit(in); err != nil {
				return err
			}
		}
		w := d.wmNodes[n]
		if w == nil || w.input != nil {
			return nil // not watermarked, or an input (done above)
		}
		o, ok := n.op.(*wmOp)
		if !ok {
			w.derive(d.ec)
			return nil
		}
		inner := o.inner
		if p, ok := inner.(*persistOp); ok {
			inner = p.inner
		}
		if ij, ok := inner.(*intervalJoin); ok {
			for port, in := range w.inputs {
				for _, wm := range in.out {
					if err := ij.OnWatermark(ctx, port, wm, discard{}); err != nil {
						return err
					}
				}
			}
		}
		if o.fwd != nil {
			ins := make([][]types.Watermark, len(w.inputs))
			for i, in := range w.inputs {
				ins[i] = in.out
			}
			w.out = o.fwd.OutputWatermarks(ins)
			return nil
		}
		w.derive(d.ec)
		return nil
	}
	return visit(top)
}
