package exec

import (
	"context"
	"sort"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// topN is the retractable ORDER BY ... LIMIT of a materialized view. It
// keeps every input row sorted (ties broken by the row's key encoding, so
// that which of several tied rows is in the result is deterministic) and, at
// each barrier, emits the difference between the rows now in
// [offset, offset+count) and those emitted before. One-shot queries use the
// cheaper sortOp heap instead.
type topN struct {
	keys    []planner.SortKey
	count   int64 // -1: no limit
	offset  int64
	rows    []topNRow
	emitted []topNRow
	keyBuf  []byte
	changed bool
	b       *chunkBuilder
}

type topNRow struct {
	row types.Row
	key string // the full-row key encoding: the tie-breaker and identity
}

func newTopN(keys []planner.SortKey, count, offset int64) *topN {
	return &topN{keys: keys, count: count, offset: offset, b: newChunkBuilder(0)}
}

func (t *topN) compare(a, b topNRow) int {
	if c := compareKeys(a.row, b.row, t.keys); c != 0 {
		return c
	}
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return 0
}

func (t *topN) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	for i, r := range c.Rows {
		t.keyBuf = appendRowKey(t.keyBuf[:0], r)
		e := topNRow{row: r, key: string(t.keyBuf)}
		pos := sort.Search(len(t.rows), func(k int) bool { return t.compare(t.rows[k], e) >= 0 })
		if c.Ops[i].IsInsert() {
			t.rows = append(t.rows, topNRow{})
			copy(t.rows[pos+1:], t.rows[pos:])
			t.rows[pos] = e
			t.changed = true
			continue
		}
		if pos < len(t.rows) && t.rows[pos].key == e.key {
			t.rows = append(t.rows[:pos], t.rows[pos+1:]...)
			t.changed = true
		}
	}
	return nil
}

// window returns the rows currently in the result.
func (t *topN) window() []topNRow {
	lo := min(t.offset, int64(len(t.rows)))
	hi := int64(len(t.rows))
	if t.count >= 0 {
		hi = min(hi, lo+t.count)
	}
	return t.rows[lo:hi]
}

func (t *topN) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	if !t.changed {
		return nil
	}
	t.changed = false
	now := t.window()
	// Both lists are sorted the same way: merge them to find the rows that
	// left and the rows that entered.
	var left, entered []topNRow
	i, j := 0, 0
	for i < len(t.emitted) || j < len(now) {
		switch {
		case j == len(now):
			left = append(left, t.emitted[i])
			i++
		case i == len(t.emitted):
			entered = append(entered, now[j])
			j++
		default:
			c := t.compare(t.emitted[i], now[j])
			switch {
			case c == 0:
				i++
				j++
			case c < 0:
				left = append(left, t.emitted[i])
				i++
			default:
				entered = append(entered, now[j])
				j++
			}
		}
	}
	for _, r := range left {
		if err := t.b.add(ctx, types.Delete, r.row, out); err != nil {
			return err
		}
	}
	for _, r := range entered {
		if err := t.b.add(ctx, types.Insert, r.row, out); err != nil {
			return err
		}
	}
	t.emitted = append(t.emitted[:0], now...)
	return t.b.flush(ctx, out)
}
