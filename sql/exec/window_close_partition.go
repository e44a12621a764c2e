package exec

import (
	"container/heap"
	"context"
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

// windowPartitions is the window operator (ROW_NUMBER() OVER (PARTITION BY
// ...), the per-group top-N of a view) extended for event time, as
// windowAgg extends the aggregate: when one of the shared PARTITION BY
// columns carries a watermark (window_start or window_end of TUMBLE/HOP),
// a partition whose value in it is below the watermark is closed. It is
// dropped from memory and from the persisted state without retractions;
// under EMIT ON WINDOW CLOSE nothing is emitted for a partition while it is
// open, and its final rows once when it closes (a filter on the row number
// above makes that the window's final top-N).
type windowPartitions struct {
	*window
	// timePart is the index in partCols of the watermarked column; -1:
	// none.
	timePart int
	eowc     bool
	wm       int64
	open     map[int64][]string
	indexed  map[string]bool
	times    int64Heap
}

func newWindowPartitions(w *window) *windowPartitions {
	return &windowPartitions{window: w, timePart: -1, wm: math.MinInt64}
}

func (w *windowPartitions) configure(capable map[int]bool) {
	for i, c := range w.partCols {
		if capable[c] {
			w.timePart = i
			w.open, w.indexed = map[int64][]string{}, map[string]bool{}
			return
		}
	}
}

func (w *windowPartitions) OnWatermark(_ context.Context, _ int, wm types.Watermark, _ Emitter) error {
	if w.timePart >= 0 && wm.Col == w.partCols[w.timePart] && wm.Micros > w.wm {
		w.wm = wm.Micros
	}
	return nil
}

func (w *windowPartitions) ExpiryColumns(int) []int {
	if w.timePart < 0 {
		return nil
	}
	return []int{w.partCols[w.timePart]}
}

func (w *windowPartitions) ExpiredInputs(int) []types.Watermark {
	if w.timePart < 0 || w.wm == math.MinInt64 {
		return nil
	}
	return []types.Watermark{{Col: w.partCols[w.timePart], Micros: w.wm}}
}

func (w *windowPartitions) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	if w.timePart < 0 {
		return w.window.Barrier(ctx, b, out)
	}
	col := w.partCols[w.timePart]
	for _, p := range w.dirty {
		if len(p.rows) == 0 || w.indexed[p.key] || p.rows[0][col].IsNull() {
			continue
		}
		t := p.rows[0][col].I
		w.indexed[p.key] = true
		list, ok := w.open[t]
		if !ok {
			heap.Push(&w.times, t)
		}
		w.open[t] = append(list, p.key)
	}
	if w.eowc {
		for _, p := range w.dirty {
			p.dirty = false
			if len(p.rows) == 0 {
				w.parts.Delete([]byte(p.key))
			}
		}
		w.dirty = w.dirty[:0]
	} else if err := w.window.Barrier(ctx, b, out); err != nil {
		return err
	}
	for w.times.Len() > 0 && w.times[0] < w.wm {
		t := heap.Pop(&w.times).(int64)
		for _, key := range w.open[t] {
			delete(w.indexed, key)
			p, ok := w.parts.Get([]byte(key))
			if !ok {
				continue
			}
			w.parts.Delete([]byte(key))
			if !w.eowc || len(p.rows) == 0 {
				continue
			}
			now, err := w.compute(p.rows)
			if err != nil {
				return err
			}
			for _, r := range now {
				if err := w.b.add(ctx, types.Insert, r, out); err != nil {
					return err
				}
			}
		}
		delete(w.open, t)
	}
	return w.b.flush(ctx, out)
}
