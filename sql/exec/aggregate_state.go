package exec

import (
	"encoding/binary"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// Accumulator state of an aggregate (operator state format 1).
//
// An aggregate whose functions are all decomposable (count, count(*),
// sum, avg, bool_and/or/every, bit_and/or, the variances and standard
// deviations, min/max; each optionally DISTINCT or FILTERed, except
// min/max DISTINCT) persists its own state instead of its input rows:
//
//	state table id | key group | 0x01 | group key
//	    -> 0xA1 | rows (varint) | len + types.AppendRow(group values) | accumulators
//	state table id | key group | 0x02 | len + group key | family index | value key
//	    -> 0xA1 | count per member (varint) [| len + types.AppendRow(value), with MIN/MAX members]
//
// The first kind is one entry per group with every function's
// accumulators (appendAcc below); the second is one entry per distinct
// value of a group's DISTINCT arguments or, over an input that can
// retract rows, of a MIN/MAX argument (so that deleting the extreme finds
// the next one): per-value entries, never one blob per group. The
// functions over the same arguments (count(DISTINCT bidder) with
// different FILTERs, min(x) and max(x)) form a family that shares one
// entry per value, with a count per member. MIN/MAX over an
// append-only input (planner: sources, and filters, projections and inner
// joins of them) keeps only the extreme, in the group entry. The key
// group is the same hash of the group columns the runtime files input
// rows under, so parallel workers and key-group-range restore see the
// same ranges.
//
// A group changed in an epoch is written once at its barrier (the
// in-memory groups are the epoch's pre-aggregation), with its changed
// values; a group that emptied or that the watermark closed is deleted
// with its values. The state is per group, not per input row, in Pebble
// and in memory (no committed copy of input rows).
//
// Restore decodes the accumulators straight into the groups and marks
// them dirty, and the runtime's restore barrier (output dropped)
// recomputes what each group emitted last from them: the accumulators
// written at a barrier are exactly those the barrier's output was
// computed from.
//
// Format: every value written here starts with 0xA1; an input-row entry
// (dataflow_state.go) starts with its 8-byte count, whose first byte is
// 0x00. A state table written by an older version (input rows) restores
// by pushing the rows into the aggregate, and the first barrier after
// rewrites it in this format and deletes the old entries. With view TTL
// the aggregate keeps input-row state: TTL forgets a key by its entries
// (dataflow_ttl.go).
const (
	aggStateFormat1 = 0xA1
	aggGroupEntry   = 0x01
	aggValueEntry   = 0x02
)

// ownState is a stateful operator that persists its own state instead of
// its input rows (stateInput.own).
type ownState interface {
	// ownStateChanges writes the state changed since the last call.
	ownStateChanges(in *stateInput, set func(key, value []byte) error, del func(key []byte) error) error
	// restoreOwnEntry loads one persisted entry.
	restoreOwnEntry(in *stateInput, key, value []byte) error
	// disableOwnState reverts to input-row state, before any input.
	disableOwnState()
}

// isOwnFormat tells an entry written by an ownState from an input-row
// entry.
func isOwnFormat(value []byte) bool { return len(value) > 0 && value[0] == aggStateFormat1 }

// aggOwnState is the persistence bookkeeping of an aggregate with
// accumulator state.
type aggOwnState struct {
	// changed are the groups changed (or dropped) since the last
	// StateChanges, each once.
	changed []*aggGroup
	// arena holds the keys and values handed to set and del: the caller
	// may keep them, so it is never reused, only replaced.
	arena  []byte
	buf    []byte
	rowBuf []byte
}

// keep copies b into the arena.
func (o *aggOwnState) keep(b []byte) []byte {
	if cap(o.arena)-len(o.arena) < len(b) {
		o.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	start := len(o.arena)
	o.arena = append(o.arena, b...)
	return o.arena[start:len(o.arena):len(o.arena)]
}

// decomposable reports whether the function's state is accumulators (and
// value counts) that can be persisted instead of its input rows.
func (f *aggFunc) decomposable() bool {
	switch f.kind {
	case builtins.AggCount, builtins.AggCountStar, builtins.AggSum, builtins.AggAvg,
		builtins.AggBoolAnd, builtins.AggBoolOr, builtins.AggBitAnd, builtins.AggBitOr,
		builtins.AggStddevSamp, builtins.AggStddevPop, builtins.AggVarSamp, builtins.AggVarPop:
		return true
	case builtins.AggMin, builtins.AggMax:
		return !f.call.Distinct
	}
	return false
}

// enableOwnState switches the aggregate to accumulator state when every
// function is decomposable, and reports whether it did. Call it before
// any input.
func (a *aggregate) enableOwnState() bool {
	for _, f := range a.funcs {
		if !f.decomposable() {
			return false
		}
	}
	a.own = &aggOwnState{}
	for _, f := range a.funcs {
		f.trackValues = true
	}
	return true
}

func (a *aggregate) disableOwnState() {
	a.own = nil
	for _, f := range a.funcs {
		f.trackValues = false
	}
}

func (a *aggregate) groupKey(in *stateInput, g *aggGroup, kg uint16) []byte {
	o := a.own
	o.buf = binary.BigEndian.AppendUint32(o.buf[:0], in.tableID)
	o.buf = binary.BigEndian.AppendUint16(o.buf, kg)
	o.buf = append(o.buf, aggGroupEntry)
	o.buf = append(o.buf, g.key...)
	return o.keep(o.buf)
}

func (a *aggregate) valueKey(in *stateInput, g *aggGroup, kg uint16, fam int, e *familyValue) []byte {
	o := a.own
	o.buf = binary.BigEndian.AppendUint32(o.buf[:0], in.tableID)
	o.buf = binary.BigEndian.AppendUint16(o.buf, kg)
	o.buf = append(o.buf, aggValueEntry)
	o.buf = binary.AppendUvarint(o.buf, uint64(len(g.key)))
	o.buf = append(o.buf, g.key...)
	o.buf = binary.AppendUvarint(o.buf, uint64(fam))
	o.buf = append(o.buf, e.key...)
	return o.keep(o.buf)
}

func (a *aggregate) ownStateChanges(in *stateInput, set func(key, value []byte) error, del func(key []byte) error) error {
	o := a.own
	for _, g := range o.changed {
		g.changed = false
		kg := keyGroupOf([]byte(g.key))
		if g.closed || (g.rows <= 0 && len(a.groupCols) > 0) {
			// Emptied (the barrier dropped it), or closed by the watermark
			// (a group of the same key created since follows in changed
			// and is written after).
			if err := a.deleteGroup(in, g, kg, del); err != nil {
				return err
			}
			continue
		}
		for fi := range a.families {
			fam := a.family(g, fi)
			for _, e := range fam.changed {
				e.dirty = false
				switch {
				case !e.zero():
					if !e.persisted {
						e.persisted = true
						in.entries++
					}
					if err := set(a.valueKey(in, g, kg, fi, e), a.valueValue(fi, e)); err != nil {
						return err
					}
				case e.persisted:
					e.persisted = false
					in.entries--
					if err := del(a.valueKey(in, g, kg, fi, e)); err != nil {
						return err
					}
				}
			}
			clear(fam.changed)
			fam.changed = fam.changed[:0]
		}
		if !g.persisted {
			g.persisted = true
			in.entries++
		}
		key := a.groupKey(in, g, kg)
		if err := set(key, a.groupValue(g)); err != nil {
			return err
		}
	}
	clear(o.changed)
	o.changed = o.changed[:0]
	return nil
}

// deleteGroup deletes the persisted entries of a group that is gone.
func (a *aggregate) deleteGroup(in *stateInput, g *aggGroup, kg uint16, del func(key []byte) error) error {
	for fi := range a.families {
		fam := a.family(g, fi)
		drop := func(e *familyValue) error {
			e.dirty = false
			if !e.persisted {
				return nil
			}
			e.persisted = false
			in.entries--
			return del(a.valueKey(in, g, kg, fi, e))
		}
		for _, e := range fam.changed {
			if err := drop(e); err != nil {
				return err
			}
		}
		fam.changed = nil
		for _, e := range fam.m {
			if err := drop(e); err != nil {
				return err
			}
		}
	}
	if g.persisted {
		g.persisted = false
		in.entries--
		return del(a.groupKey(in, g, kg))
	}
	return nil
}

// familyHasMinMax reports whether family i has a MIN/MAX member, whose
// entries then carry the value itself.
func (a *aggregate) familyHasMinMax(i int) bool {
	for _, j := range a.families[i] {
		if k := a.funcs[j].kind; k == builtins.AggMin || k == builtins.AggMax {
			return true
		}
	}
	return false
}

func (a *aggregate) valueValue(fi int, e *familyValue) []byte {
	o := a.own
	b := append(o.buf[:0], aggStateFormat1)
	for _, n := range e.n {
		b = binary.AppendVarint(b, n)
	}
	if a.familyHasMinMax(fi) {
		b = appendAccRow(b, types.Row{e.d})
	}
	o.buf = b
	return o.keep(b)
}

func (e *familyValue) zero() bool {
	for _, n := range e.n {
		if n != 0 {
			return false
		}
	}
	return true
}

func (a *aggregate) groupValue(g *aggGroup) []byte {
	o := a.own
	o.rowBuf = types.AppendRow(o.rowBuf[:0], g.vals)
	b := append(o.buf[:0], aggStateFormat1)
	b = binary.AppendVarint(b, g.rows)
	b = binary.AppendUvarint(b, uint64(len(o.rowBuf)))
	b = append(b, o.rowBuf...)
	for j, f := range a.funcs {
		b = appendAcc(f, g.states[j], b)
	}
	o.buf = b
	return o.keep(b)
}

func corruptAggState(in *stateInput) error {
	return types.Errorf(types.CodeDataCorrupted, "corrupt aggregate state entry in state table %d", in.tableID)
}

func (a *aggregate) restoreOwnEntry(in *stateInput, key, value []byte) error {
	if len(key) < 7 || !isOwnFormat(value) {
		return corruptAggState(in)
	}
	switch key[6] {
	case aggGroupEntry:
		gk := key[7:]
		r := accReader{b: value[1:]}
		rows := r.varint()
		valsEnc := r.bytes(int(r.uvarint()))
		if r.err {
			return corruptAggState(in)
		}
		vals, err := types.DecodeRow(valsEnc)
		if err != nil {
			return err
		}
		if len(vals) != len(a.groupCols) {
			return corruptAggState(in)
		}
		g, ok := a.groups.Get(gk)
		if !ok {
			if g, err = a.newGroup(string(gk), vals); err != nil {
				return err
			}
		}
		g.rows = rows
		for j, f := range a.funcs {
			decodeAcc(f, g.states[j], &r)
		}
		if r.err || len(r.b) != 0 {
			return corruptAggState(in)
		}
		if !g.persisted {
			g.persisted = true
			in.entries++
		}
		// Dirty for the restore barrier only: what it emits is dropped,
		// and the entry is already written.
		if !g.dirty {
			g.dirty = true
			a.dirty = append(a.dirty, g)
		}
		return nil
	case aggValueEntry:
		r := accReader{b: key[7:]}
		gk := r.bytes(int(r.uvarint()))
		fi := int(r.uvarint())
		vk := r.b
		if r.err || fi >= len(a.families) {
			return corruptAggState(in)
		}
		g, ok := a.groups.Get(gk)
		if !ok {
			return types.Errorf(types.CodeDataCorrupted, "aggregate state entry of a value without its group in state table %d", in.tableID)
		}
		fam := a.family(g, fi)
		e := &familyValue{key: string(vk), n: make([]int64, fam.members), persisted: true}
		vr := accReader{b: value[1:]}
		for i := range e.n {
			if e.n[i] = vr.varint(); e.n[i] < 0 {
				return corruptAggState(in)
			}
		}
		if a.familyHasMinMax(fi) {
			row := vr.row()
			if len(row) != 1 {
				return corruptAggState(in)
			}
			e.d = row[0]
		}
		if vr.err || len(vr.b) != 0 || e.zero() {
			return corruptAggState(in)
		}
		if _, dup := fam.m[e.key]; dup {
			return corruptAggState(in)
		}
		fam.m[e.key] = e
		for i, j := range a.families[fi] {
			if mm, ok := g.states[j].(*minMaxState); ok && e.n[i] > 0 && (!mm.valid || mm.better(e.d, mm.cur)) {
				mm.cur, mm.valid = e.d, true
			}
		}
		in.entries++
		return nil
	}
	return corruptAggState(in)
}

// inputAppendOnly reports whether node only ever emits inserts (the
// planner's rule: sources, and filters, projections and inner joins of
// them), so MIN/MAX over it needs only the extreme.
func inputAppendOnly(node planner.Node) bool {
	switch n := node.(type) {
	case *planner.Scan:
		return n.Table.AppendOnly
	case *planner.Filter:
		return inputAppendOnly(n.Input)
	case *planner.Project:
		return inputAppendOnly(n.Input)
	case *planner.ProjectSet:
		return inputAppendOnly(n.Input)
	case *planner.Join:
		return n.Kind == planner.InnerJoin && inputAppendOnly(n.Left) && inputAppendOnly(n.Right)
	}
	return false
}

// aggStateDescription says, for EXPLAIN, what state a view's aggregate
// persists (without a TTL, which keeps input rows).
func aggStateDescription(n *planner.Aggregate) string {
	values := false
	for _, call := range n.Aggs {
		if call.Agg == nil {
			return "input rows by group"
		}
		f := aggFunc{call: call, kind: call.Agg.Kind}
		if !f.decomposable() {
			return "input rows by group"
		}
		isMinMax := f.kind == builtins.AggMin || f.kind == builtins.AggMax
		values = values || call.Distinct || (isMinMax && !inputAppendOnly(n.Input))
	}
	if values {
		return "accumulators by group, DISTINCT/MIN/MAX values by group"
	}
	return "accumulators by group"
}
