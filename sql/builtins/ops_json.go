package builtins

import (
	"strconv"

	"github.com/streamdb/streamdb/sql/types"
)

func jsonFn(f func(n *jnode, a []types.Datum) (types.Datum, error)) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		n, err := jsonArg(a[0])
		if err != nil {
			return types.Null, err
		}
		return f(n, a)
	}
}

func jsonOrNull(n *jnode) types.Datum {
	if n == nil {
		return types.Null
	}
	return n.datum()
}

func textOrNull(n *jnode) types.Datum {
	if n == nil {
		return types.Null
	}
	return n.textValue()
}

// jsonResult keeps json (not jsonb) results as written when possible.
func registerJSONOps(b *registryBuilder) {
	for _, J := range []*types.T{types.JSONB, types.JSON} {
		b.op(&Overload{Name: "->", Args: args(J, types.Text), Ret: J, Fn: jsonAccess(false, fieldLookup)})
		b.op(&Overload{Name: "->", Args: args(J, types.Int4), Ret: J, Fn: jsonAccess(false, elemLookup)})
		b.op(&Overload{Name: "->>", Args: args(J, types.Text), Ret: types.Text, Fn: jsonAccess(true, fieldLookup)})
		b.op(&Overload{Name: "->>", Args: args(J, types.Int4), Ret: types.Text, Fn: jsonAccess(true, elemLookup)})
		b.op(&Overload{Name: "#>", Args: args(J, types.TextArray), Ret: J, Fn: jsonAccess(false, pathLookup)})
		b.op(&Overload{Name: "#>>", Args: args(J, types.TextArray), Ret: types.Text, Fn: jsonAccess(true, pathLookup)})
	}
	J := types.JSONB
	b.op(&Overload{Name: "@>", Args: args(J, J), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		m, err := jsonArg(a[1])
		if err != nil {
			return types.Null, err
		}
		return types.DBool(jsonContains(n, m, true)), nil
	})})
	b.op(&Overload{Name: "<@", Args: args(J, J), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		m, err := jsonArg(a[1])
		if err != nil {
			return types.Null, err
		}
		return types.DBool(jsonContains(m, n, true)), nil
	})})
	b.op(&Overload{Name: "?", Args: args(J, types.Text), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		return types.DBool(jsonExists(n, a[1].S)), nil
	})})
	b.op(&Overload{Name: "?|", Args: args(J, types.TextArray), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		for _, k := range a[1].Array().Elems {
			if !k.IsNull() && jsonExists(n, k.S) {
				return types.DBool(true), nil
			}
		}
		return types.DBool(false), nil
	})})
	b.op(&Overload{Name: "?&", Args: args(J, types.TextArray), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		for _, k := range a[1].Array().Elems {
			if !k.IsNull() && !jsonExists(n, k.S) {
				return types.DBool(false), nil
			}
		}
		return types.DBool(true), nil
	})})
	b.op(&Overload{Name: "||", Args: args(J, J), Ret: J, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		m, err := jsonArg(a[1])
		if err != nil {
			return types.Null, err
		}
		return jsonConcat(n, m).datum(), nil
	})})
	b.op(&Overload{Name: "-", Args: args(J, types.Text), Ret: J, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		if n.kind != 'o' && n.kind != 'a' {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot delete from scalar")
		}
		return jsonDeleteKey(n, a[1].S).datum(), nil
	})})
	b.op(&Overload{Name: "-", Args: args(J, types.TextArray), Ret: J, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		if n.kind != 'o' && n.kind != 'a' {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot delete from scalar")
		}
		for _, k := range a[1].Array().Elems {
			if !k.IsNull() {
				n = jsonDeleteKey(n, k.S)
			}
		}
		return n.datum(), nil
	})})
	b.op(&Overload{Name: "-", Args: args(J, types.Int4), Ret: J, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		switch n.kind {
		case 'a':
			return jsonDeletePath(n, []types.Datum{types.DString(strconv.FormatInt(a[1].I, 10))}).datum(), nil
		case 'o':
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot delete from object using integer index")
		}
		return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot delete from scalar")
	})})
	b.op(&Overload{Name: "#-", Args: args(J, types.TextArray), Ret: J, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		return jsonDeletePath(n, a[1].Array().Elems).datum(), nil
	})})
}
