package exec

import (
	"context"
	"slices"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// aggregate groups its input by the group columns and maintains retractable
// aggregate states per group. Changes only update state and mark the group
// dirty; each barrier emits, for the dirty groups only, the transition of
// the group's output row: + for a new group, U-/U+ for a changed one, - for
// a group whose last row was deleted. A scalar aggregate (no group columns)
// has exactly one group, which exists from the start, so it emits one row
// even over an empty input.
type aggregate struct {
	groupCols []int
	funcs     []*aggFunc
	// families groups the functions that count argument values (DISTINCT,
	// retractable MIN/MAX) by their arguments: the members of one share a
	// valueFamily per group (agg_funcs.go).
	families [][]int
	groups   keyedState[*aggGroup]
	alloc    aggAlloc
	dirty    []*aggGroup
	keyBuf   []byte
	b        *chunkBuilder
	// own is set when the aggregate persists its own state, accumulators
	// per group (aggregate_state.go); nil: the runtime persists its input
	// rows.
	own *aggOwnState
}

type aggGroup struct {
	key     string
	vals    types.Row // the group columns' values
	rows    int64
	states  []aggState
	last    types.Row // the row emitted last, when emitted
	emitted bool
	dirty   bool
	// indexed: in the time index of a windowAgg (window_close.go).
	indexed bool
	// changed: in own.changed, to be written at the next StateChanges;
	// persisted: a state entry holds the group; closed: dropped by
	// dropGroup (aggregate_state.go).
	changed, persisted, closed bool
}

func newAggregate(ec *evalCtx, n *planner.Aggregate) (*aggregate, error) {
	a := &aggregate{
		groupCols: n.GroupCols,
		groups:    newMemState[*aggGroup](),
		b:         newChunkBuilder(len(n.GroupCols) + len(n.Aggs)),
	}
	for _, call := range n.Aggs {
		f, err := newAggFunc(ec, call, ec.appendOnly || inputAppendOnly(n.Input))
		if err != nil {
			return nil, err
		}
		a.funcs = append(a.funcs, f)
		if f.keepsValues {
			a.addToFamily(len(a.funcs) - 1)
		}
	}
	if len(n.GroupCols) == 0 {
		g, err := a.newGroup("", nil)
		if err != nil {
			return nil, err
		}
		a.markDirty(g)
	}
	return a, nil
}

func (a *aggregate) addToFamily(j int) {
	for i, fam := range a.families {
		if slices.Equal(a.funcs[fam[0]].call.Args, a.funcs[j].call.Args) {
			a.families[i] = append(fam, j)
			return
		}
	}
	a.families = append(a.families, []int{j})
}

// familyMemberOf returns the place of a value-counting state in its
// family.
func familyMemberOf(s aggState) *familyMember {
	switch s := s.(type) {
	case *distinctState:
		return &s.vals
	case *minMaxState:
		return &s.vals
	}
	return nil
}

// family returns group g's value family i.
func (a *aggregate) family(g *aggGroup, i int) *valueFamily {
	return familyMemberOf(g.states[a.families[i][0]]).fam
}

func (a *aggregate) newGroup(key string, vals types.Row) (*aggGroup, error) {
	g := take(&a.alloc.groups)
	*g = aggGroup{key: key, vals: vals, states: a.alloc.stateSlice(len(a.funcs))}
	for i, f := range a.funcs {
		s, err := f.newStateFrom(&a.alloc)
		if err != nil {
			return nil, err
		}
		g.states[i] = s
	}
	for _, fam := range a.families {
		vf := newValueFamily(len(fam))
		for i, j := range fam {
			m := familyMemberOf(g.states[j])
			m.fam, m.idx = vf, i
		}
	}
	a.groups.Put(key, g)
	return g, nil
}

func (a *aggregate) markDirty(g *aggGroup) {
	if !g.dirty {
		g.dirty = true
		a.dirty = append(a.dirty, g)
	}
	if a.own != nil && !g.changed {
		g.changed = true
		a.own.changed = append(a.own.changed, g)
	}
}

// dropGroup forgets a group without emitting (a window closed by the
// watermark); its persisted entries go at the next StateChanges.
func (a *aggregate) dropGroup(g *aggGroup) {
	a.groups.Delete([]byte(g.key))
	g.closed = true
	if a.own != nil && !g.changed {
		g.changed = true
		a.own.changed = append(a.own.changed, g)
	}
}

func (a *aggregate) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		sgn := sign(c.Ops[i])
		a.keyBuf, _ = appendColsKey(a.keyBuf[:0], r, a.groupCols)
		g, _ := a.groups.Get(a.keyBuf)
		if g == nil {
			if sgn < 0 {
				// A retraction for a group that does not exist: nothing to
				// undo.
				continue
			}
			vals := a.alloc.row(len(a.groupCols))
			for j, col := range a.groupCols {
				vals[j] = r[col]
			}
			var err error
			if g, err = a.newGroup(string(a.keyBuf), vals); err != nil {
				return err
			}
		}
		g.rows += int64(sgn)
		for j, f := range a.funcs {
			if f.call.Filter >= 0 && !isTrue(r[f.call.Filter]) {
				continue
			}
			if anyNull(r, f.call.Args[:f.strictArgs]) {
				continue
			}
			if err := g.states[j].add(f, r, sgn); err != nil {
				return err
			}
		}
		a.markDirty(g)
	}
	return nil
}

func anyNull(r types.Row, cols []int) bool {
	for _, c := range cols {
		if r[c].IsNull() {
			return true
		}
	}
	return false
}

func (a *aggregate) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	dirty := a.dirty
	a.dirty = nil
	for _, g := range dirty {
		g.dirty = false
		if g.rows <= 0 && len(a.groupCols) > 0 {
			a.groups.Delete([]byte(g.key))
			if g.emitted {
				g.emitted = false
				if err := a.b.add(ctx, types.Delete, g.last, out); err != nil {
					return err
				}
			}
			continue
		}
		row := a.b.newRow()
		copy(row, g.vals)
		for j, f := range a.funcs {
			d, err := g.states[j].result(f)
			if err != nil {
				return err
			}
			row[len(g.vals)+j] = d
		}
		if g.emitted {
			if rowsEqual(g.last, row) {
				continue
			}
			if err := a.b.add(ctx, types.UpdateDelete, g.last, out); err != nil {
				return err
			}
			if err := a.b.add(ctx, types.UpdateInsert, row, out); err != nil {
				return err
			}
		} else if err := a.b.add(ctx, types.Insert, row, out); err != nil {
			return err
		}
		g.last, g.emitted = row, true
	}
	return a.b.flush(ctx, out)
}
