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
	types.UUID,
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
			if t.Oid == types.OidJSONB && (op.name == "=" || op.name == "<>" || op.name == "!=") {
				// jsonb equality compares numbers as numerics (1.0 = 1),
				// which the canonical text alone does not give.
				want := op.name == "="
				b.op(&Overload{Name: op.name, Args: args(t, t), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
					eq, err := jsonbEqual(a[0].S, a[1].S)
					return types.DBool(eq == want), err
				}})
				continue
			}
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

func jsonbEqual(x, y string) (bool, error) {
	if x == y {
		return true, nil
	}
	a, err := parseJSON(x)
	if err != nil {
		return false, err
	}
	b, err := parseJSON(y)
	if err != nil {
		return false, err
	}
	return jsonNodesEqual(a, b), nil
}

func jsonNodesEqual(a, b *jnode) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case 'o':
		a.normalizeObject()
		b.normalizeObject()
		if len(a.keys) != len(b.keys) {
			return false
		}
		for i := range a.keys {
			if a.keys[i] != b.keys[i] || !jsonNodesEqual(a.vals[i], b.vals[i]) {
				return false
			}
		}
		return true
	case 'a':
		if len(a.vals) != len(b.vals) {
			return false
		}
		for i := range a.vals {
			if !jsonNodesEqual(a.vals[i], b.vals[i]) {
				return false
			}
		}
		return true
	}
	return jsonScalarEqual(a, b)
}
