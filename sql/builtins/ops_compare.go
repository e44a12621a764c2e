package builtins

import (
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// comparableTypes have the six comparison operators. Other types reach them
// through implicit casts (varchar -> text, regclass -> oid).
var comparableTypes = []*types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Oid, types.Float4, types.Float8,
	types.Numeric, types.Text, types.BPChar, types.Name, types.Char, types.Bytea, types.Date,
	types.Time, types.Timestamp, types.TimestampTZ, types.Interval, types.JSONB, types.AnyArray,
}

var compareOps = []struct {
	name string
	test func(c int) bool
}{
	{"=", func(c int) bool { return c == 0 }},
	{"<>", func(c int) bool { return c != 0 }},
	{"!=", func(c int) bool { return c != 0 }},
	{"<", func(c int) bool { return c < 0 }},
	{"<=", func(c int) bool { return c <= 0 }},
	{">", func(c int) bool { return c > 0 }},
	{">=", func(c int) bool { return c >= 0 }},
}

// Oids of the equality operators' functions in pg_proc for the common types
// (int4eq, texteq...), so pg_operator joins look familiar.
func registerCompareOps(b *registryBuilder) {
	for _, t := range comparableTypes {
		cmp := compareDatums
		if t.Oid == types.OidBPChar {
			cmp = compareBPChar
		}
		for _, op := range compareOps {
			test := op.test
			b.op(&Overload{Name: op.name, Args: args(t, t), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
				return types.DBool(test(cmp(a[0], a[1]))), nil
			}})
		}
	}
}

// compareDatums orders two non-NULL values of the same type.
func compareDatums(a, b types.Datum) int {
	return types.Compare(a, b)
}

// compareBPChar ignores trailing spaces, as character(n) comparison does.
func compareBPChar(a, b types.Datum) int {
	return strings.Compare(strings.TrimRight(a.S, " "), strings.TrimRight(b.S, " "))
}
