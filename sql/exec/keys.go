package exec

import (
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// appendColsKey appends the key encoding of the given columns of r; hasNull
// reports whether one of them is NULL.
func appendColsKey(buf []byte, r types.Row, cols []int) (_ []byte, hasNull bool) {
	for _, c := range cols {
		d := r[c]
		hasNull = hasNull || d.IsNull()
		buf = types.AppendKey(buf, d, false)
	}
	return buf, hasNull
}

// appendRowKey appends the key encoding of every column of r.
func appendRowKey(buf []byte, r types.Row) []byte {
	for _, d := range r {
		buf = types.AppendKey(buf, d, false)
	}
	return buf
}

// rowsEqual reports whether two rows hold the same values (NULLs equal).
func rowsEqual(a, b types.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].IsNull() != b[i].IsNull() {
			return false
		}
		if !a[i].IsNull() && types.Compare(a[i], b[i]) != 0 {
			return false
		}
	}
	return true
}

// compareKeys orders rows by sort keys. The planner sets NullsFirst to the
// effective placement (its default depends on the direction).
func compareKeys(a, b types.Row, keys []planner.SortKey) int {
	for _, k := range keys {
		x, y := a[k.Col], b[k.Col]
		var c int
		switch {
		case x.IsNull() && y.IsNull():
			c = 0
		case x.IsNull():
			c = 1
			if k.NullsFirst {
				c = -1
			}
		case y.IsNull():
			c = -1
			if k.NullsFirst {
				c = 1
			}
		default:
			c = types.Compare(x, y)
			if k.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
