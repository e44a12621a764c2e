package exec

import (
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// sortOp orders its input and emits it on the final barrier (one-shot
// queries only). With a count it is the top-N of a LIMIT over an ORDER BY:
// it keeps only the count+offset smallest rows in a max-heap, ties broken by
// arrival so that the sort stays stable. Views use topN instead.
type sortOp struct {
	keys   []planner.SortKey
	count  int64 // -1: no limit
	offset int64
	rows   rowHeap
	seq    int64
}

type seqRow struct {
	row types.Row
	seq int64
}

func newSort(keys []planner.SortKey, count, offset int64) *sortOp {
	if count > math.MaxInt64-offset {
		// count+offset would overflow: no input is that large anyway.
		count = -1
	}
	return &sortOp{keys: keys, count: count, offset: offset, rows: rowHeap{keys: keys}}
}

// compareSeq orders rows by the sort keys, then by arrival.
func compareSeq(a, b seqRow, keys []planner.SortKey) int {
	if c := compareKeys(a.row, b.row, keys); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// rowHeap is a max-heap of rows: its root is the row a top-N evicts first.
type rowHeap struct {
	keys []planner.SortKey
	rows []seqRow
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return compareSeq(h.rows[j], h.rows[i], h.keys) < 0 }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(seqRow)) }
func (h *rowHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

func (s *sortOp) bounded() bool { return s.count >= 0 }

func (s *sortOp) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		if !c.Ops[i].IsInsert() {
			return types.Unsupported("retractions into ORDER BY")
		}
		s.add(r)
	}
	return nil
}

func (s *sortOp) add(r types.Row) {
	sr := seqRow{row: r, seq: s.seq}
	s.seq++
	if !s.bounded() {
		s.rows.rows = append(s.rows.rows, sr)
		return
	}
	if int64(s.rows.Len()) < s.count+s.offset {
		heap.Push(&s.rows, sr)
		return
	}
	if s.rows.Len() > 0 && compareSeq(sr, s.rows.rows[0], s.keys) < 0 {
		s.rows.rows[0] = sr
		heap.Fix(&s.rows, 0)
	}
}

func (s *sortOp) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	if !b.Final {
		return nil
	}
	rows := s.rows.rows
	s.rows.rows = nil
	if s.bounded() {
		slices.SortFunc(rows, func(a, b seqRow) int { return compareSeq(a, b, s.keys) })
	} else {
		slices.SortStableFunc(rows, func(a, b seqRow) int { return compareKeys(a.row, b.row, s.keys) })
	}
	if int64(len(rows)) <= s.offset {
		return nil
	}
	rows = rows[s.offset:]
	var c types.Chunk
	for len(rows) > 0 {
		if err := checkCancel(ctx); err != nil {
			return err
		}
		n := min(len(rows), types.ChunkCapacity)
		c.Reset()
		for _, r := range rows[:n] {
			c.Append(types.Insert, r.row)
		}
		if err := out.Emit(ctx, &c); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
