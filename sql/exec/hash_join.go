package exec

import (
	"cmp"
	"context"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// hashJoin is a symmetric hash join over changelogs. Each side keeps its rows
// (a multiset: one entry per row occurrence) bucketed by the encoded equi-key;
// a change on one side probes the other side's bucket, applies the residual
// condition over the concatenated row and emits the matching pairs with the
// change's sign. With no equi-keys every row lands in one bucket: a
// nested-loop join over the same state.
//
// Rows whose output depends on the absence of matches (outer-join
// NULL-padding, semi and anti rows) carry a match count and whether their
// output is currently emitted; a row whose count crossed zero is marked dirty
// and reconciled at the barrier, so an epoch emits only net transitions. Once
// the other input has delivered its final barrier (a bounded input, driven
// right side first) a row's fate is known on arrival and is emitted at once
// without being stored.
//
// NULL keys never match. NOT IN (AntiJoin with NullAware) also tracks how
// many right rows there are and how many have a NULL key; the residual
// condition is not applied to those counts.
type hashJoin struct {
	ec        *evalCtx
	kind      planner.JoinKind
	nullAware bool
	on        evalFn
	sides     [2]joinSide
	final     [2]bool
	widths    [2]int
	keyBuf    []byte
	scratch   types.Row
	b         *chunkBuilder
	dirty     []*joinEntry
	// Null-aware anti join counters over the right side.
	rightTotal, rightNullKeys int
	// flipped is set when a NOT IN counter crossed zero and every left row
	// was marked dirty in map order.
	flipped bool
	nextSeq int64
	// entrySlab and bucketSlab hand out entries and buckets a block at a
	// time.
	entrySlab  []joinEntry
	bucketSlab []joinBucket
	// wms are the watermarks of each input's key columns
	// (hash_join_watermark.go).
	wms [2]map[int]int64
}

type joinSide struct {
	keys    []int
	buckets keyedState[*joinBucket]
	// nulls holds the rows with a NULL key: they never match but may need
	// padding or retraction.
	nulls []*joinEntry
	// track is set when the side's rows have an output of their own (padding,
	// semi/anti rows) that depends on their match count.
	track bool
}

// joinBucket holds the rows of one side that share a key.
type joinBucket struct {
	entries []*joinEntry
	// first backs entries while the key has one row (the common case of a
	// unique key), saving an allocation.
	first [1]*joinEntry
}

type joinEntry struct {
	row     types.Row
	side    int8
	seq     int64 // arrival order, to reconcile in a deterministic order
	matches int
	nullKey bool
	emitted bool
	dirty   bool
	removed bool
}

func newHashJoin(ec *evalCtx, n *planner.Join) (*hashJoin, error) {
	if len(n.LeftKeys) != len(n.RightKeys) {
		return nil, errors.AssertionFailedf("join with %d left keys and %d right keys", len(n.LeftKeys), len(n.RightKeys))
	}
	j := &hashJoin{
		ec:        ec,
		kind:      n.Kind,
		nullAware: n.NullAware && n.Kind == planner.AntiJoin,
		widths:    [2]int{len(n.Left.Columns()), len(n.Right.Columns())},
	}
	if n.On != nil {
		on, err := ec.compile(n.On)
		if err != nil {
			return nil, err
		}
		j.on = on
	}
	j.sides[0] = joinSide{keys: n.LeftKeys, buckets: newMemState[*joinBucket]()}
	j.sides[1] = joinSide{keys: n.RightKeys, buckets: newMemState[*joinBucket]()}
	switch n.Kind {
	case planner.LeftJoin, planner.SemiJoin, planner.AntiJoin:
		j.sides[0].track = true
	case planner.RightJoin:
		j.sides[1].track = true
	case planner.FullJoin:
		j.sides[0].track, j.sides[1].track = true, true
	}
	j.scratch = make(types.Row, j.widths[0]+j.widths[1])
	j.b = newChunkBuilder(j.outWidth())
	return j, nil
}

func (j *hashJoin) outWidth() int {
	if j.kind == planner.SemiJoin || j.kind == planner.AntiJoin {
		return j.widths[0]
	}
	return j.widths[0] + j.widths[1]
}

func (j *hashJoin) emitsPairs() bool {
	return j.kind != planner.SemiJoin && j.kind != planner.AntiJoin
}

// InputBarrier notes that an input has delivered its final barrier.
func (j *hashJoin) InputBarrier(input int, b types.Barrier) {
	if b.Final {
		j.final[input] = true
	}
}

func (j *hashJoin) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	// A join can multiply its input (a cross join), so it checks for
	// cancellation itself.
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

func (j *hashJoin) pushRow(ctx context.Context, s int, op types.Op, r types.Row, out Emitter) error {
	sgn := sign(op)
	pairOp := types.Insert
	if sgn < 0 {
		pairOp = types.Delete
	}
	self, other := &j.sides[s], &j.sides[1-s]
	var hasNull bool
	j.keyBuf, hasNull = appendColsKey(j.keyBuf[:0], r, self.keys)

	if j.nullAware && s == 1 {
		j.noteNullAwareRight(sgn, hasNull)
	}

	matches := 0
	if !hasNull {
		var entries []*joinEntry
		if bucket, ok := other.buckets.Get(j.keyBuf); ok {
			entries = bucket.entries
		}
		for _, e := range entries {
			pair := j.concat(s, r, e.row)
			if j.on != nil {
				d, err := j.on(j.ec, pair)
				if err != nil {
					return err
				}
				if !isTrue(d) {
					continue
				}
			}
			matches++
			if j.emitsPairs() {
				o := j.b.newRow()
				copy(o, pair)
				if err := j.b.add(ctx, pairOp, o, out); err != nil {
					return err
				}
			}
			if other.track {
				before := e.matches
				e.matches += sgn
				if before == 0 || e.matches == 0 {
					j.markDirty(e)
				}
			}
		}
	}

	// Once the other side is complete nothing will probe this row and its
	// match count is final: emit its own output now and keep nothing.
	if j.final[1-s] {
		if self.track {
			e := joinEntry{row: r, matches: matches, nullKey: hasNull}
			if j.wantOutput(s, &e) {
				return j.emitOwn(ctx, s, pairOp, r, out)
			}
		}
		return nil
	}
	if j.nullAware && s == 1 {
		// The right rows of NOT IN only matter through their counts and
		// matches; NULL-keyed ones need no entry.
		if hasNull {
			return nil
		}
	}

	if sgn > 0 {
		e := take(&j.entrySlab)
		*e = joinEntry{row: r, side: int8(s), seq: j.nextSeq, matches: matches, nullKey: hasNull}
		j.nextSeq++
		if hasNull {
			self.nulls = append(self.nulls, e)
		} else {
			j.addToBucket(self, e)
		}
		if self.track {
			j.markDirty(e)
		}
		return nil
	}

	var list []*joinEntry
	var bucket *joinBucket
	if hasNull {
		list = self.nulls
	} else if bucket, _ = self.buckets.Get(j.keyBuf); bucket != nil {
		list = bucket.entries
	}
	idx := -1
	for k, e := range list {
		if rowsEqual(e.row, r) {
			idx = k
			break
		}
	}
	if idx < 0 {
		return errors.AssertionFailedf("join: deleting a row that is not in its state")
	}
	e := list[idx]
	list = append(list[:idx], list[idx+1:]...)
	switch {
	case hasNull:
		self.nulls = list
	case len(list) == 0:
		self.buckets.Delete(j.keyBuf)
	default:
		bucket.entries = list
	}
	e.removed = true
	if e.emitted {
		e.emitted = false
		return j.emitOwn(ctx, s, types.Delete, e.row, out)
	}
	return nil
}

// concat fills the scratch row with the left and right rows of a pair.
// addToBucket files e under its join key, which the caller left in
// j.keyBuf. A key's first entry lives inside its bucket, so a key with one
// row costs no slice allocation.
func (j *hashJoin) addToBucket(self *joinSide, e *joinEntry) {
	bucket, ok := self.buckets.Get(j.keyBuf)
	if !ok {
		bucket = take(&j.bucketSlab)
		bucket.first[0] = e
		bucket.entries = bucket.first[:1:1]
		self.buckets.Put(string(j.keyBuf), bucket)
		return
	}
	bucket.entries = append(bucket.entries, e)
}

func (j *hashJoin) concat(s int, r, o types.Row) types.Row {
	return concatPair(j.scratch, j.widths[0], s, r, o)
}

// concatPair fills scratch with a join pair, left row first: r arrived on
// side s (0 left, 1 right), o is its partner from the other side; the
// left row is leftWidth wide.
func concatPair(scratch types.Row, leftWidth, s int, r, o types.Row) types.Row {
	l, rr := r, o
	if s == 1 {
		l, rr = o, r
	}
	copy(scratch, l)
	copy(scratch[leftWidth:], rr)
	return scratch
}

// wantOutput says whether a tracked row should currently have its own
// output row emitted.
func (j *hashJoin) wantOutput(s int, e *joinEntry) bool {
	switch j.kind {
	case planner.SemiJoin:
		return e.matches > 0
	case planner.AntiJoin:
		if j.nullAware {
			if j.rightTotal == 0 {
				return true
			}
			if e.nullKey || j.rightNullKeys > 0 {
				return false
			}
		}
		return e.matches == 0
	}
	return e.matches == 0 // NULL-padding of an outer side
}

// emitOwn emits the output row that belongs to a tracked row alone.
func (j *hashJoin) emitOwn(ctx context.Context, s int, op types.Op, r types.Row, out Emitter) error {
	if j.kind == planner.SemiJoin || j.kind == planner.AntiJoin {
		return j.b.add(ctx, op, r, out)
	}
	o := j.b.newRow()
	if s == 0 {
		copy(o, r)
	} else {
		copy(o[j.widths[0]:], r)
	}
	return j.b.add(ctx, op, o, out)
}

func (j *hashJoin) markDirty(e *joinEntry) {
	if !e.dirty {
		e.dirty = true
		j.dirty = append(j.dirty, e)
	}
}

// noteNullAwareRight updates the NOT IN counters; when one crosses zero every
// left row's fate may change.
func (j *hashJoin) noteNullAwareRight(sgn int, hasNull bool) {
	beforeTotal, beforeNulls := j.rightTotal, j.rightNullKeys
	j.rightTotal += sgn
	if hasNull {
		j.rightNullKeys += sgn
	}
	if (beforeTotal == 0) != (j.rightTotal == 0) || (beforeNulls == 0) != (j.rightNullKeys == 0) {
		j.flipped = true
		left := &j.sides[0]
		left.buckets.Range(func(_ string, b *joinBucket) bool {
			for _, e := range b.entries {
				j.markDirty(e)
			}
			return true
		})
		for _, e := range left.nulls {
			j.markDirty(e)
		}
	}
}

func (j *hashJoin) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	dirty := j.dirty
	j.dirty = nil
	if j.flipped {
		j.flipped = false
		slices.SortFunc(dirty, func(a, b *joinEntry) int { return cmp.Compare(a.seq, b.seq) })
	}
	for _, e := range dirty {
		e.dirty = false
		if e.removed {
			continue
		}
		s := int(e.side)
		want := j.wantOutput(s, e)
		if want == e.emitted {
			continue
		}
		e.emitted = want
		op := types.Insert
		if !want {
			op = types.Delete
		}
		if err := j.emitOwn(ctx, s, op, e.row, out); err != nil {
			return err
		}
	}
	return j.b.flush(ctx, out)
}

// loadState puts restored rows of input s (all inserts) into that side's
// table without probing the other side: on restart the pairs they would
// produce were emitted before the checkpoint, and the output of the
// restore barrier is dropped anyway. Match counts of tracked rows are
// computed once both sides are loaded (finishLoad).
func (j *hashJoin) loadState(s int, c *types.Chunk) {
	self := &j.sides[s]
	for _, r := range c.Rows {
		var hasNull bool
		j.keyBuf, hasNull = appendColsKey(j.keyBuf[:0], r, self.keys)
		if j.nullAware && s == 1 {
			j.rightTotal++
			if hasNull {
				j.rightNullKeys++
				continue
			}
		}
		e := take(&j.entrySlab)
		*e = joinEntry{row: r, side: int8(s), seq: j.nextSeq, nullKey: hasNull}
		j.nextSeq++
		if hasNull {
			self.nulls = append(self.nulls, e)
			continue
		}
		j.addToBucket(self, e)
	}
}

// finishLoad ends a restore by loadState: every tracked row gets its match
// count against the other side and is marked as emitted if its own output
// row is due, which is what the committed epoch emitted, so the first
// barrier after the restart emits only the changes since.
func (j *hashJoin) finishLoad() error {
	for s := range j.sides {
		self, other := &j.sides[s], &j.sides[1-s]
		if !self.track {
			continue
		}
		var err error
		self.buckets.Range(func(key string, b *joinBucket) bool {
			var partners []*joinEntry
			if ob, ok := other.buckets.Get([]byte(key)); ok {
				partners = ob.entries
			}
			for _, e := range b.entries {
				if e.matches, err = j.countMatches(s, e.row, partners); err != nil {
					return false
				}
				e.emitted = j.wantOutput(s, e)
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, e := range self.nulls {
			e.emitted = j.wantOutput(s, e)
		}
	}
	return nil
}

// countMatches counts the partners of row r (arrived on side s) that
// satisfy the residual condition.
func (j *hashJoin) countMatches(s int, r types.Row, partners []*joinEntry) (int, error) {
	if j.on == nil {
		return len(partners), nil
	}
	n := 0
	for _, p := range partners {
		d, err := j.on(j.ec, j.concat(s, r, p.row))
		if err != nil {
			return 0, err
		}
		if isTrue(d) {
			n++
		}
	}
	return n, nil
}

// presize makes side s's bucket map for n rows before a restore loads
// them (n bounds the number of keys; for a side with many rows per key
// the map is larger than it needs to be, by at most one slot per row).
func (j *hashJoin) presize(s int, n int) {
	if j.sides[s].buckets.Len() == 0 {
		j.sides[s].buckets = &memState[*joinBucket]{m: make(map[string]*joinBucket, n)}
	}
}
