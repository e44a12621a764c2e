package exec

import (
	"container/heap"
	"context"
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

// windowAgg is the aggregate of a materialized view, extended for event
// time: when one of its group columns carries a watermark (a window_start
// or window_end of TUMBLE/HOP, or the event-time column itself), a group
// whose value in that column is below the watermark is closed: no later
// row can change it.
//
// A closed group is dropped from memory, and the runtime deletes its input
// rows from the persisted state (StateExpirer); no retraction is emitted,
// so the view keeps the group's last row. With EMIT ON WINDOW CLOSE (eowc)
// the aggregate emits nothing while a group is open and emits its final
// row, once, as an insert when it closes.
//
// Without a watermarked group column it behaves exactly as the aggregate.
type windowAgg struct {
	*aggregate
	// timeGroup is the index in groupCols of the watermarked column groups
	// are closed by; -1: none.
	timeGroup int
	eowc      bool
	// wm is the watermark on the input column groupCols[timeGroup]
	// (math.MinInt64: none yet).
	wm int64
	// open indexes the groups by their time value: time -> group keys,
	// with a heap of the distinct times.
	open  map[int64][]string
	times int64Heap
}

func newWindowAgg(a *aggregate) *windowAgg {
	return &windowAgg{aggregate: a, timeGroup: -1, wm: math.MinInt64}
}

// configure picks the group column groups are closed by, given the input
// columns that can carry a watermark.
func (w *windowAgg) configure(capable map[int]bool) {
	for i, c := range w.groupCols {
		if capable[c] {
			w.timeGroup = i
			w.open = map[int64][]string{}
			return
		}
	}
}

// OnWatermark notes the watermark of the time column; windows close at the
// barrier that follows.
func (w *windowAgg) OnWatermark(_ context.Context, _ int, wm types.Watermark, _ Emitter) error {
	if w.timeGroup >= 0 && wm.Col == w.groupCols[w.timeGroup] && wm.Micros > w.wm {
		w.wm = wm.Micros
	}
	return nil
}

// ExpiryColumns: the input rows expire by the time column.
func (w *windowAgg) ExpiryColumns(int) []int {
	if w.timeGroup < 0 {
		return nil
	}
	return []int{w.groupCols[w.timeGroup]}
}

// ExpiredInputs: the input rows of closed groups.
func (w *windowAgg) ExpiredInputs(int) []types.Watermark {
	if w.timeGroup < 0 || w.wm == math.MinInt64 {
		return nil
	}
	return []types.Watermark{{Col: w.groupCols[w.timeGroup], Micros: w.wm}}
}

func (w *windowAgg) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	if w.timeGroup < 0 {
		return w.aggregate.Barrier(ctx, b, out)
	}
	for _, g := range w.dirty {
		v := g.vals[w.timeGroup]
		if v.IsNull() || g.indexed {
			continue
		}
		g.indexed = true
		list, ok := w.open[v.I]
		if !ok {
			heap.Push(&w.times, v.I)
		}
		w.open[v.I] = append(list, g.key)
	}
	if w.eowc {
		// Open groups emit nothing; an emptied group just goes.
		for _, g := range w.dirty {
			g.dirty = false
			if g.rows <= 0 {
				w.groups.Delete([]byte(g.key))
			}
		}
		w.dirty = w.dirty[:0]
	} else if err := w.aggregate.Barrier(ctx, b, out); err != nil {
		return err
	}
	if err := w.close(ctx, out); err != nil {
		return err
	}
	return w.b.flush(ctx, out)
}

// close drops the groups the watermark closed, emitting their final rows
// first under EMIT ON WINDOW CLOSE.
func (w *windowAgg) close(ctx context.Context, out Emitter) error {
	for w.times.Len() > 0 && w.times[0] < w.wm {
		t := heap.Pop(&w.times).(int64)
		for _, key := range w.open[t] {
			g, ok := w.groups.Get([]byte(key))
			if !ok {
				continue
			}
			w.dropGroup(g) // its state entries go too (aggregate_state.go)
			if !w.eowc || g.rows <= 0 {
				continue
			}
			row := w.b.newRow()
			copy(row, g.vals)
			for j, f := range w.funcs {
				d, err := g.states[j].result(f)
				if err != nil {
					return err
				}
				row[len(g.vals)+j] = d
			}
			if err := w.b.add(ctx, types.Insert, row, out); err != nil {
				return err
			}
		}
		delete(w.open, t)
	}
	return nil
}
