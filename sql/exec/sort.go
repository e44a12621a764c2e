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

// sortOp orders its input and emits it on the final barrier (ad-hoc queries
// only). With a count it is the top-N of a LIMIT over an ORDER BY: it keeps
// only the count+offset smallest rows in a max-heap, ties broken by arrival
// so that the sort stays stable.
type sortOp struct {
	keys   []planner.SortKey
	count  int64 // -1: no limit
	offset int64
	rows   []seqRow
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
	return &sortOp{keys: keys, count: count, offset: offset}
}

func (s *sortOp) less(a, b seqRow) bool {
	if c := compareKeys(a.row, b.row, s.keys); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// The heap interface orders by the reverse of less: the root is the row
// that is evicted first.
func (s *sortOp) Len() int           { return len(s.rows) }
func (s *sortOp) Less(i, j int) bool { return s.less(s.rows[j], s.rows[i]) }
func (s *sortOp) Swap(i, j int)      { s.rows[i], s.rows[j] = s.rows[j], s.rows[i] }
func (s *sortOp) Push(x any)         { s.rows = append(s.rows, x.(seqRow)) }
func (s *sortOp) Pop() any {
	x := s.rows[len(s.rows)-1]
	s.rows = s.rows[:len(s.rows)-1]
	return x
}

func (s *sortOp) bounded() bool { return s.count >= 0 }

func (s *sortOp) keep() int64 { return s.count + s.offset }

// push adds one input row (heap.Push needs the Push method above, so the
// operator entry point is pushChunk).
func (s *sortOp) add(r types.Row) {
	sr := seqRow{row: r, seq: s.seq}
	s.seq++
	if !s.bounded() {
		s.rows = append(s.rows, sr)
		return
	}
	if int64(len(s.rows)) < s.keep() {
		heap.Push(s, sr)
		return
	}
	if len(s.rows) > 0 && s.less(sr, s.rows[0]) {
		s.rows[0] = sr
		heap.Fix(s, 0)
	}
}

func (s *sortOp) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	if !b.Final {
		return nil
	}
	rows := s.rows
	s.rows = nil
	if s.bounded() {
		slices.SortFunc(rows, func(a, b seqRow) int {
			if c := compareKeys(a.row, b.row, s.keys); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
	} else {
		slices.SortStableFunc(rows, func(a, b seqRow) int {
			return compareKeys(a.row, b.row, s.keys)
		})
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

// sortInput adapts sortOp to Operator (its Push method belongs to
// heap.Interface).
type sortInput struct{ *sortOp }

func (s sortInput) Push(ctx context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		if !c.Ops[i].IsInsert() {
			return types.Unsupported("retractions into ORDER BY")
		}
		s.add(r)
	}
	return nil
}
