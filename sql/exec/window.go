package exec

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// window computes window functions. It keeps its input per partition (of
// the PARTITION BY columns all functions share) and, at a barrier,
// recomputes the partitions that changed: each function sorts the rows by
// its PARTITION BY and ORDER BY, walks its partitions and writes its column.
// A one-shot query emits the rows; a view emits the difference from what it
// emitted for the partition before, so a filter on row_number() above it is
// a per-group top-N. Aggregates over a frame slide a retractable aggregate
// state along the partition: frames only move forward, so each row enters
// and leaves the state once.
type window struct {
	ec      *evalCtx
	funcs   []*winFunc
	inWidth int
	// partCols are the columns every function partitions by: the unit of
	// state and of recomputation. partKeys orders partitions by them.
	partCols   []int
	partKeys   []planner.SortKey
	parts      keyedState[*winPartition]
	dirty      []*winPartition
	appendOnly bool
	keyBuf     []byte
	b          *chunkBuilder
}

// winPartition holds the input rows of one partition and, for views, the
// output rows last emitted for it.
type winPartition struct {
	key     string
	rows    []types.Row
	emitted []types.Row
	dirty   bool
}

type winFunc struct {
	call      planner.WindowCall
	kind      builtins.WindowKind
	agg       *aggFunc
	startOff  types.Datum
	endOff    types.Datum
	partKeys  []planner.SortKey
	sortKeys  []planner.SortKey // partition keys then order keys
	rangeDesc bool
}

func newWindow(ec *evalCtx, n *planner.Window) (*window, error) {
	w := &window{ec: ec, inWidth: len(n.Input.Columns()), parts: newMemState[*winPartition](),
		appendOnly: ec.appendOnly, b: newChunkBuilder(0)}
	for _, call := range n.Funcs {
		// The zero Frame ends at UNBOUNDED PRECEDING, which SQL does not
		// allow as a frame end: read it as the default frame's CURRENT ROW.
		if call.Frame.End == planner.UnboundedPreceding {
			call.Frame.End = planner.CurrentRow
		}
		f := &winFunc{call: call}
		switch {
		case call.Win != nil:
			f.kind = call.Win.Kind
		case call.Agg != nil:
			f.kind = builtins.WinAggregate
		default:
			return nil, types.Errorf(types.CodeInternalError, "window call without a function")
		}
		if f.kind == builtins.WinAggregate {
			if call.Agg == nil {
				return nil, types.Errorf(types.CodeInternalError, "window aggregate without an aggregate overload")
			}
			agg, err := newAggFunc(ec, planner.AggCall{Agg: call.Agg, Args: call.Args, Filter: call.Filter}, false)
			if err != nil {
				return nil, err
			}
			f.agg = agg
		}
		var err error
		if f.startOff, err = frameOffset(ec, call.Frame.Start, call.Frame.StartOffset, "starting"); err != nil {
			return nil, err
		}
		if f.endOff, err = frameOffset(ec, call.Frame.End, call.Frame.EndOffset, "ending"); err != nil {
			return nil, err
		}
		for _, p := range call.PartitionBy {
			f.partKeys = append(f.partKeys, planner.SortKey{Col: p})
		}
		f.sortKeys = append(append([]planner.SortKey(nil), f.partKeys...), call.OrderBy...)
		if !call.Frame.Rows && (isOffset(call.Frame.Start) || isOffset(call.Frame.End)) {
			if len(call.OrderBy) != 1 {
				return nil, types.Errorf(types.CodeWindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
			}
			f.rangeDesc = call.OrderBy[0].Desc
			switch n.Input.Columns()[call.OrderBy[0].Col].Type.Family {
			case types.IntFamily, types.FloatFamily, types.NumericFamily, types.DateFamily,
				types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
			default:
				return nil, types.Unsupported("RANGE with offset PRECEDING/FOLLOWING for this ORDER BY type")
			}
		}
		w.funcs = append(w.funcs, f)
	}
	// The partition columns shared by every function.
	if len(w.funcs) > 0 {
		for _, c := range w.funcs[0].call.PartitionBy {
			shared := true
			for _, f := range w.funcs[1:] {
				if !containsInt(f.call.PartitionBy, c) {
					shared = false
					break
				}
			}
			if shared && !containsInt(w.partCols, c) {
				w.partCols = append(w.partCols, c)
				w.partKeys = append(w.partKeys, planner.SortKey{Col: c})
			}
		}
	}
	return w, nil
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func isOffset(b planner.FrameBound) bool {
	return b == planner.OffsetPreceding || b == planner.OffsetFollowing
}

func frameOffset(ec *evalCtx, b planner.FrameBound, e planner.Expr, which string) (types.Datum, error) {
	if !isOffset(b) {
		return types.Null, nil
	}
	if e == nil {
		return types.Null, types.Errorf(types.CodeInternalError, "frame %s offset missing", which)
	}
	fn, err := ec.compile(e)
	if err != nil {
		return types.Null, err
	}
	d, err := fn(ec, nil)
	if err != nil {
		return d, err
	}
	if d.IsNull() {
		return d, types.Errorf(types.CodeNullValueNotAllowed, "frame %s offset must not be null", which)
	}
	if offsetValue(d) < 0 {
		return d, types.Errorf("22013", "frame %s offset must not be negative", which)
	}
	return d, nil
}

func (w *window) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		w.keyBuf, _ = appendColsKey(w.keyBuf[:0], r, w.partCols)
		p, ok := w.parts.Get(w.keyBuf)
		if !ok {
			p = &winPartition{key: string(w.keyBuf)}
			w.parts.Put(p.key, p)
		}
		if c.Ops[i].IsInsert() {
			p.rows = append(p.rows, r)
		} else {
			if w.appendOnly {
				return types.Errorf(types.CodeInternalError, "retraction into an append-only window")
			}
			for k, x := range p.rows {
				if rowsEqual(x, r) {
					p.rows = append(p.rows[:k], p.rows[k+1:]...)
					break
				}
			}
		}
		if !p.dirty {
			p.dirty = true
			w.dirty = append(w.dirty, p)
		}
	}
	return nil
}

// Barrier recomputes the partitions that changed and emits the difference
// between their new and their previously emitted rows (everything, for a
// one-shot query). Partitions go out in partition-key order and each in the
// order of the last function's sort, as Postgres's output looks.
func (w *window) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	dirty := w.dirty
	w.dirty = nil
	slices.SortStableFunc(dirty, func(a, b *winPartition) int {
		ra, rb := firstRow(a), firstRow(b)
		switch {
		case ra == nil && rb == nil:
			return 0
		case ra == nil:
			return 1
		case rb == nil:
			return -1
		}
		return compareKeys(ra, rb, w.partKeys)
	})
	for _, p := range dirty {
		p.dirty = false
		if err := checkCancel(ctx); err != nil {
			return err
		}
		now, err := w.compute(p.rows)
		if err != nil {
			return err
		}
		if w.appendOnly {
			for _, r := range now {
				if err := w.b.add(ctx, types.Insert, r, out); err != nil {
					return err
				}
			}
			p.rows = nil
		} else {
			if err := w.emitDiff(ctx, p.emitted, now, out); err != nil {
				return err
			}
			p.emitted = now
		}
		if len(p.rows) == 0 {
			w.parts.Delete([]byte(p.key))
		}
	}
	return w.b.flush(ctx, out)
}

func firstRow(p *winPartition) types.Row {
	if len(p.rows) == 0 {
		if len(p.emitted) > 0 {
			return p.emitted[0]
		}
		return nil
	}
	return p.rows[0]
}

// emitDiff emits the rows of old missing from now as deletes, then the rows
// of now missing from old as inserts (multisets).
func (w *window) emitDiff(ctx context.Context, old, now []types.Row, out Emitter) error {
	counts := make(map[string]int, len(old))
	for _, r := range old {
		w.keyBuf = appendRowKey(w.keyBuf[:0], r)
		counts[string(w.keyBuf)]++
	}
	var inserts []types.Row
	for _, r := range now {
		w.keyBuf = appendRowKey(w.keyBuf[:0], r)
		if n := counts[string(w.keyBuf)]; n > 0 {
			counts[string(w.keyBuf)] = n - 1
			continue
		}
		inserts = append(inserts, r)
	}
	for _, r := range old {
		w.keyBuf = appendRowKey(w.keyBuf[:0], r)
		if n := counts[string(w.keyBuf)]; n > 0 {
			counts[string(w.keyBuf)] = n - 1
			if err := w.b.add(ctx, types.Delete, r, out); err != nil {
				return err
			}
		}
	}
	for _, r := range inserts {
		if err := w.b.add(ctx, types.Insert, r, out); err != nil {
			return err
		}
	}
	return nil
}

// compute evaluates every function over rows and returns the output rows
// (input columns then one per function) in the order of the last
// function's sort.
func (w *window) compute(rows []types.Row) ([]types.Row, error) {
	width := w.inWidth + len(w.funcs)
	outRows := make([]types.Row, len(rows))
	slab := make([]types.Datum, len(rows)*width)
	for i, r := range rows {
		o := slab[i*width : (i+1)*width : (i+1)*width]
		copy(o, r)
		outRows[i] = o
	}
	order := make([]int, len(rows))
	for fi, f := range w.funcs {
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			return compareKeys(rows[a], rows[b], f.sortKeys)
		})
		col := w.inWidth + fi
		for ps := 0; ps < len(order); {
			pe := ps + 1
			for pe < len(order) && compareKeys(rows[order[ps]], rows[order[pe]], f.partKeys) == 0 {
				pe++
			}
			if err := w.computePartition(f, rows, order[ps:pe], outRows, col); err != nil {
				return nil, err
			}
			ps = pe
		}
	}
	sorted := make([]types.Row, len(order))
	for i, k := range order {
		sorted[i] = outRows[k]
	}
	return sorted, nil
}

// computePartition fills column col of the partition's rows (part holds row
// indexes in window order).
func (w *window) computePartition(f *winFunc, rows []types.Row, part []int, outRows []types.Row, col int) error {
	n := len(part)
	row := func(i int) types.Row { return rows[part[i]] }
	set := func(i int, d types.Datum) { outRows[part[i]][col] = d }
	// Peer groups: rows equal on the ORDER BY keys.
	peerStart := make([]int, n)
	peerEnd := make([]int, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && compareKeys(row(i), row(j), f.call.OrderBy) == 0 {
			j++
		}
		for k := i; k < j; k++ {
			peerStart[k], peerEnd[k] = i, j
		}
		i = j
	}
	arg := func(i, k int) types.Datum {
		if k < len(f.call.Args) {
			return row(i)[f.call.Args[k]]
		}
		return types.Null
	}
	switch f.kind {
	case builtins.WinRowNumber:
		for i := 0; i < n; i++ {
			set(i, types.DInt(int64(i+1)))
		}
	case builtins.WinRank:
		for i := 0; i < n; i++ {
			set(i, types.DInt(int64(peerStart[i]+1)))
		}
	case builtins.WinDenseRank:
		rank := int64(0)
		for i := 0; i < n; i++ {
			if peerStart[i] == i {
				rank++
			}
			set(i, types.DInt(rank))
		}
	case builtins.WinPercentRank:
		for i := 0; i < n; i++ {
			v := 0.0
			if n > 1 {
				v = float64(peerStart[i]) / float64(n-1)
			}
			set(i, types.DFloat(v))
		}
	case builtins.WinCumeDist:
		for i := 0; i < n; i++ {
			set(i, types.DFloat(float64(peerEnd[i])/float64(n)))
		}
	case builtins.WinNtile:
		buckets := arg(0, 0)
		if buckets.IsNull() {
			for i := 0; i < n; i++ {
				set(i, types.Null)
			}
			return nil
		}
		k := buckets.Int()
		if k <= 0 {
			return types.Errorf("22014", "argument of ntile must be greater than zero")
		}
		per, extra := int64(n)/k, int64(n)%k
		bucket, left := int64(1), per
		if extra > 0 {
			left++
		}
		for i := 0; i < n; i++ {
			if left == 0 {
				bucket++
				left = per
				if bucket <= extra {
					left++
				}
			}
			set(i, types.DInt(bucket))
			left--
		}
	case builtins.WinLag, builtins.WinLead:
		for i := 0; i < n; i++ {
			off := int64(1)
			if len(f.call.Args) > 1 {
				o := arg(i, 1)
				if o.IsNull() {
					set(i, types.Null)
					continue
				}
				off = o.Int()
			}
			t := int64(i) - off
			if f.kind == builtins.WinLead {
				t = int64(i) + off
			}
			if t >= 0 && t < int64(n) {
				set(i, arg(int(t), 0))
			} else {
				set(i, arg(i, 2))
			}
		}
	case builtins.WinFirstValue, builtins.WinLastValue, builtins.WinNthValue:
		for i := 0; i < n; i++ {
			fs, fe := w.frame(f, part, rows, peerStart, peerEnd, i)
			var d types.Datum
			switch f.kind {
			case builtins.WinFirstValue:
				if fs < fe {
					d = arg(fs, 0)
				}
			case builtins.WinLastValue:
				if fs < fe {
					d = arg(fe-1, 0)
				}
			default:
				nth := arg(i, 1)
				if !nth.IsNull() {
					if nth.Int() <= 0 {
						return types.Errorf("22016", "argument of nth_value must be greater than zero")
					}
					if t := int64(fs) + nth.Int() - 1; t < int64(fe) {
						d = arg(int(t), 0)
					}
				}
			}
			set(i, d)
		}
	case builtins.WinAggregate:
		return w.aggregateFrames(f, part, rows, peerStart, peerEnd, set)
	default:
		return types.Unsupported("window function " + f.call.Win.Name)
	}
	return nil
}

// aggregateFrames slides an aggregate state over each row's frame.
func (w *window) aggregateFrames(f *winFunc, part []int, rows []types.Row, peerStart, peerEnd []int, set func(int, types.Datum)) error {
	newState := func() (aggState, error) { return f.agg.newState() }
	state, err := newState()
	if err != nil {
		return err
	}
	apply := func(i, sgn int) error {
		r := rows[part[i]]
		if f.agg.call.Filter >= 0 && !isTrue(r[f.agg.call.Filter]) {
			return nil
		}
		if anyNull(r, f.agg.call.Args[:f.agg.strictArgs]) {
			return nil
		}
		return state.add(f.agg, r, sgn)
	}
	curS, curE := 0, 0
	var prevFS, prevFE int
	var prev types.Datum
	for i := range part {
		fs, fe := w.frame(f, part, rows, peerStart, peerEnd, i)
		if fe < fs {
			fe = fs
		}
		if i > 0 && fs == prevFS && fe == prevFE {
			set(i, prev)
			continue
		}
		if fs < curS || fe < curE {
			// The frame moved backwards (unusual offsets): start over.
			if state, err = newState(); err != nil {
				return err
			}
			curS, curE = fs, fs
		}
		if curE < fs {
			curS, curE = fs, fs
			if state, err = newState(); err != nil {
				return err
			}
		}
		for ; curE < fe; curE++ {
			if err := apply(curE, 1); err != nil {
				return err
			}
		}
		for ; curS < fs; curS++ {
			if err := apply(curS, -1); err != nil {
				return err
			}
		}
		d, err := state.result(f.agg)
		if err != nil {
			return err
		}
		set(i, d)
		prev, prevFS, prevFE = d, fs, fe
	}
	return nil
}

// frame returns the frame [fs, fe) of row i within the partition.
func (w *window) frame(f *winFunc, part []int, rows []types.Row, peerStart, peerEnd []int, i int) (int, int) {
	n := len(part)
	fr := f.call.Frame
	if fr.Rows {
		return rowsBound(fr.Start, f.startOff, i, n, true), rowsBound(fr.End, f.endOff, i, n, false)
	}
	return w.rangeBound(f, part, rows, peerStart, peerEnd, i, fr.Start, f.startOff, true),
		w.rangeBound(f, part, rows, peerStart, peerEnd, i, fr.End, f.endOff, false)
}

func rowsBound(b planner.FrameBound, off types.Datum, i, n int, start bool) int {
	var p int
	switch b {
	case planner.UnboundedPreceding:
		return 0
	case planner.UnboundedFollowing:
		return n
	case planner.CurrentRow:
		p = i
	case planner.OffsetPreceding:
		p = i - int(min(off.Int(), int64(n)))
	case planner.OffsetFollowing:
		p = i + int(min(off.Int(), int64(n)))
	}
	if !start {
		p++
	}
	return max(0, min(p, n))
}

func (w *window) rangeBound(f *winFunc, part []int, rows []types.Row, peerStart, peerEnd []int, i int, b planner.FrameBound, off types.Datum, start bool) int {
	n := len(part)
	switch b {
	case planner.UnboundedPreceding:
		return 0
	case planner.UnboundedFollowing:
		return n
	case planner.CurrentRow:
		if start {
			return peerStart[i]
		}
		return peerEnd[i]
	}
	oc := f.call.OrderBy[0].Col
	cur := rows[part[i]][oc]
	if cur.IsNull() {
		// NULLs are only in range of each other.
		if start {
			return peerStart[i]
		}
		return peerEnd[i]
	}
	// The non-NULL rows of the partition, in window order.
	lo := 0
	for lo < n && rows[part[lo]][oc].IsNull() {
		lo++
	}
	hi := n
	for hi > lo && rows[part[hi-1]][oc].IsNull() {
		hi--
	}
	dir := 1.0
	if f.rangeDesc {
		dir = -1.0
	}
	pos := func(k int) float64 { return dir * orderValue(rows[part[k]][oc]) }
	target := dir * orderValue(cur)
	if b == planner.OffsetPreceding {
		target -= offsetValue(off)
	} else {
		target += offsetValue(off)
	}
	if start {
		return lo + sort.Search(hi-lo, func(k int) bool { return pos(lo+k) >= target })
	}
	return lo + sort.Search(hi-lo, func(k int) bool { return pos(lo+k) > target })
}

const microsPerDay = 86400e6

// orderValue maps an ORDER BY value to a number for RANGE offset frames.
func orderValue(d types.Datum) float64 {
	switch d.K {
	case types.KInt, types.KTime, types.KTimestamp, types.KTimestampTZ:
		return float64(d.I)
	case types.KDate:
		return float64(d.I) * microsPerDay
	case types.KFloat:
		return d.Float()
	case types.KDecimal:
		f, _ := d.Decimal().Float64()
		return f
	}
	return math.NaN()
}

// offsetValue maps a RANGE/ROWS offset to a number in the units of
// orderValue (intervals count a month as 30 days).
func offsetValue(d types.Datum) float64 {
	if d.K == types.KInterval {
		iv := d.Interval()
		return float64(iv.Micros) + float64(iv.Days)*microsPerDay + float64(iv.Months)*30*microsPerDay
	}
	return orderValue(d)
}
