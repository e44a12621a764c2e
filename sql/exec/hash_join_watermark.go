package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/types"
)

// Watermarks on the equi-join keys of a hash join (the window columns of a
// join between windowed aggregates, say). For the k-th key pair, let
// bound = min(left watermark on its left column, right watermark on its
// right column). A stored row whose key value is below bound can no longer
// meet a new partner (a new partner has the same key value, at least its
// side's watermark) nor be retracted (its own side's watermark is past
// it), so its rows and their matches are final: both sides drop them
// without emitting anything. Rows are dropped after the barrier's output
// (ExpiredInputs runs after Barrier). The null-aware anti join (NOT IN)
// keeps everything: its counters span keys.

// OnWatermark records the watermarks of the key columns.
func (j *hashJoin) OnWatermark(_ context.Context, input int, wm types.Watermark, _ Emitter) error {
	if j.wms[input] == nil {
		j.wms[input] = map[int]int64{}
	}
	if old, ok := j.wms[input][wm.Col]; !ok || wm.Micros > old {
		j.wms[input][wm.Col] = wm.Micros
	}
	return nil
}

// ExpiryColumns: a side's rows expire by its key columns.
func (j *hashJoin) ExpiryColumns(input int) []int {
	if j.nullAware {
		return nil
	}
	return j.sides[input].keys
}

// keyBound returns the expiry bound of key pair k.
func (j *hashJoin) keyBound(k int) (int64, bool) {
	l, lok := j.wms[0][j.sides[0].keys[k]]
	r, rok := j.wms[1][j.sides[1].keys[k]]
	if !lok || !rok {
		return 0, false
	}
	return min(l, r), true
}

// ExpiredInputs drops the side's rows behind a key bound from memory and
// reports the bounds, so that the runtime deletes their persisted copies.
func (j *hashJoin) ExpiredInputs(input int) []types.Watermark {
	if j.nullAware {
		return nil
	}
	side := &j.sides[input]
	var out []types.Watermark
	for k, col := range side.keys {
		bound, ok := j.keyBound(k)
		if !ok {
			continue
		}
		out = append(out, types.Watermark{Col: col, Micros: bound})
		side.buckets.Range(func(key string, b *joinBucket) bool {
			if len(b.entries) > 0 {
				if v := b.entries[0].row[col]; !v.IsNull() && v.I < bound {
					side.buckets.Delete([]byte(key))
				}
			}
			return true
		})
	}
	return out
}
