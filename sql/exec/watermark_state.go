package exec

import (
	"container/heap"
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

// stateExpiry indexes the persisted entries of one state table by the
// event-time columns a StateExpirer bounds, so that the entries the
// watermark expires are found without scanning the table, and deletes
// them (point deletes: entries of one window are spread over every key
// group, so a range would not cover them).
type stateExpiry struct {
	cols   []int
	bounds []int64 // per column; math.MinInt64: nothing expires
	idx    []timeIndex
}

// timeIndex maps event times to the entries holding them, with a heap of
// the distinct times to pop the expired ones in order.
type timeIndex struct {
	byTime map[int64][]expiringEntry
	times  int64Heap
}

type expiringEntry struct {
	key   string // the row key of the entry
	group uint16
}

func newStateExpiry(cols []int) *stateExpiry {
	e := &stateExpiry{cols: cols, bounds: make([]int64, len(cols)), idx: make([]timeIndex, len(cols))}
	for i := range cols {
		e.bounds[i] = math.MinInt64
		e.idx[i].byTime = map[int64][]expiringEntry{}
	}
	return e
}

// setBounds records the StateExpirer's bounds (only ever moving forward).
func (e *stateExpiry) setBounds(wms []types.Watermark) {
	for _, w := range wms {
		for i, c := range e.cols {
			if c == w.Col && w.Micros > e.bounds[i] {
				e.bounds[i] = w.Micros
			}
		}
	}
}

// add indexes a new entry.
func (e *stateExpiry) add(r types.Row, key string, group uint16) {
	for i, c := range e.cols {
		if c >= len(r) || r[c].IsNull() {
			continue
		}
		t := r[c].I
		ix := &e.idx[i]
		list, ok := ix.byTime[t]
		if !ok {
			heap.Push(&ix.times, t)
		}
		ix.byTime[t] = append(list, expiringEntry{key, group})
	}
}

// expire deletes the committed entries of in whose indexed time is below
// the bounds.
func (e *stateExpiry) expire(in *stateInput, del func(key []byte) error) error {
	for i := range e.cols {
		ix := &e.idx[i]
		for ix.times.Len() > 0 && ix.times[0] < e.bounds[i] {
			t := heap.Pop(&ix.times).(int64)
			for _, ent := range ix.byTime[t] {
				if _, ok := in.committed[ent.key]; !ok {
					continue
				}
				delete(in.committed, ent.key)
				delete(in.pending, ent.key)
				in.entries--
				in.expired++
				if err := del(stateKey(in.tableID, ent.group, ent.key)); err != nil {
					return err
				}
			}
			delete(ix.byTime, t)
		}
	}
	return nil
}

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
