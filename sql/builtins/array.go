package builtins

import (
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

func newArray(elem *types.T, elems []types.Datum) types.Datum {
	a := &types.Array{Elem: elem, Elems: elems}
	if len(elems) > 0 {
		a.Dims = []int{len(elems)}
	}
	return types.DArray(a)
}

func elemEqual(a, b types.Datum) bool {
	if a.IsNull() || b.IsNull() {
		return false
	}
	return compareDatums(a, b) == 0
}

// elemNotDistinct treats NULLs as equal (array_position, array_remove).
func elemNotDistinct(a, b types.Datum) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	return compareDatums(a, b) == 0
}

func arrayContains(a, b *types.Array) bool {
	for _, x := range b.Elems {
		found := false
		for _, y := range a.Elems {
			if elemEqual(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func retArray(ts []*types.T) *types.T {
	for _, t := range ts {
		if t.Family == types.ArrayFamily {
			return t
		}
	}
	if a := types.ArrayOf(ts[0]); a != nil {
		return a
	}
	return types.TextArray
}

func retElem(ts []*types.T) *types.T {
	for _, t := range ts {
		if t.Family == types.ArrayFamily && t.Elem != nil {
			return t.Elem
		}
	}
	return ts[0]
}

func arrayConcat(ret *types.T, a, b types.Datum) (types.Datum, error) {
	if a.IsNull() {
		return b, nil
	}
	if b.IsNull() {
		return a, nil
	}
	x, y := a.Array(), b.Array()
	if len(x.Elems) == 0 {
		return b, nil
	}
	if len(y.Elems) == 0 {
		return a, nil
	}
	elems := make([]types.Datum, 0, len(x.Elems)+len(y.Elems))
	elems = append(append(elems, x.Elems...), y.Elems...)
	switch {
	case len(x.Dims) == len(y.Dims):
		if len(x.Dims) > 1 && !equalInts(x.Dims[1:], y.Dims[1:]) {
			return types.Null, types.Errorf(types.CodeArraySubscriptError, "cannot concatenate incompatible arrays")
		}
		dims := append([]int{x.Dims[0] + y.Dims[0]}, x.Dims[1:]...)
		return types.DArray(&types.Array{Elem: x.Elem, Dims: dims, Elems: elems}), nil
	case len(x.Dims) == len(y.Dims)+1 && equalInts(x.Dims[1:], y.Dims):
		dims := append([]int{x.Dims[0] + 1}, x.Dims[1:]...)
		return types.DArray(&types.Array{Elem: x.Elem, Dims: dims, Elems: elems}), nil
	case len(y.Dims) == len(x.Dims)+1 && equalInts(y.Dims[1:], x.Dims):
		dims := append([]int{y.Dims[0] + 1}, y.Dims[1:]...)
		return types.DArray(&types.Array{Elem: x.Elem, Dims: dims, Elems: elems}), nil
	}
	return types.Null, types.Errorf(types.CodeArraySubscriptError, "cannot concatenate incompatible arrays")
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func arrayAppend(ret *types.T, a, e types.Datum, prepend bool) (types.Datum, error) {
	var elems []types.Datum
	if !a.IsNull() {
		arr := a.Array()
		if len(arr.Dims) > 1 {
			return types.Null, types.Errorf(types.CodeDataException, "argument must be empty or one-dimensional array")
		}
		elems = make([]types.Datum, 0, len(arr.Elems)+1)
		if prepend {
			elems = append(append(elems, e), arr.Elems...)
		} else {
			elems = append(append(elems, arr.Elems...), e)
		}
	} else {
		elems = []types.Datum{e}
	}
	return newArray(ret.Elem, elems), nil
}

func registerArrayOps(b *registryBuilder) {
	A, E := types.AnyArray, types.AnyElement
	b.fnBound(&Overload{Name: "array_cat", Args: args(A, A), ReturnType: retArray, Ret: A, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayConcat(ret, a[0], a[1]) }
	})
	b.opBound(&Overload{Name: "||", Args: args(A, A), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayConcat(ret, a[0], a[1]) }
	})
	b.opBound(&Overload{Name: "||", Args: args(A, E), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayAppend(ret, a[0], a[1], false) }
	})
	b.opBound(&Overload{Name: "||", Args: args(E, A), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayAppend(ret, a[1], a[0], true) }
	})
	b.op(&Overload{Name: "@>", Args: args(A, A), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DBool(arrayContains(a[0].Array(), a[1].Array())), nil
	}})
	b.op(&Overload{Name: "<@", Args: args(A, A), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DBool(arrayContains(a[1].Array(), a[0].Array())), nil
	}})
	b.op(&Overload{Name: "&&", Args: args(A, A), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		for _, x := range a[0].Array().Elems {
			for _, y := range a[1].Array().Elems {
				if elemEqual(x, y) {
					return types.DBool(true), nil
				}
			}
		}
		return types.DBool(false), nil
	}})
}

func registerArrayFuncs(b *registryBuilder) {
	A, E, I := types.AnyArray, types.AnyElement, types.Int4
	b.fnBound(&Overload{Name: "array_append", Args: args(A, E), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayAppend(ret, a[0], a[1], false) }
	})
	b.fnBound(&Overload{Name: "array_prepend", Args: args(E, A), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) { return arrayAppend(ret, a[1], a[0], true) }
	})
	dimFn := func(f func(a *types.Array, dim int64) types.Datum) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			arr := a[0].Array()
			d := a[1].I
			if d < 1 || d > int64(len(arr.Dims)) {
				return types.Null, nil
			}
			return f(arr, d), nil
		}
	}
	b.fn(&Overload{Name: "array_length", Args: args(A, I), Ret: I, Fn: dimFn(func(a *types.Array, d int64) types.Datum {
		return types.DInt(int64(a.Dims[d-1]))
	})})
	b.fn(&Overload{Name: "array_upper", Args: args(A, I), Ret: I, Fn: dimFn(func(a *types.Array, d int64) types.Datum {
		return types.DInt(int64(a.Dims[d-1]))
	})})
	b.fn(&Overload{Name: "array_lower", Args: args(A, I), Ret: I, Fn: dimFn(func(a *types.Array, d int64) types.Datum {
		return types.DInt(1)
	})})
	b.fn(&Overload{Name: "array_ndims", Args: args(A), Ret: I, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		n := len(a[0].Array().Dims)
		if n == 0 {
			return types.Null, nil
		}
		return types.DInt(int64(n)), nil
	}})
	b.fn(&Overload{Name: "array_dims", Args: args(A), Ret: types.Text, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		dims := a[0].Array().Dims
		if len(dims) == 0 {
			return types.Null, nil
		}
		var sb strings.Builder
		for _, d := range dims {
			sb.WriteString("[1:")
			sb.WriteString(itoa(int64(d)))
			sb.WriteString("]")
		}
		return types.DString(sb.String()), nil
	}})
	b.fn(&Overload{Name: "cardinality", Args: args(A), Ret: I, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInt(int64(len(a[0].Array().Elems))), nil
	}})
	position := func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		arr := a[0].Array()
		start := int64(1)
		if len(a) > 2 {
			if a[2].IsNull() {
				return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "initial position must not be null")
			}
			start = a[2].I
		}
		for i := max(start, 1) - 1; i < int64(len(arr.Elems)); i++ {
			if elemNotDistinct(arr.Elems[i], a[1]) {
				return types.DInt(i + 1), nil
			}
		}
		return types.Null, nil
	}
	b.fn(&Overload{Name: "array_position", Args: args(A, E), Ret: I, Fn: position, CalledOnNull: true})
	b.fn(&Overload{Name: "array_position", Args: args(A, E, I), Ret: I, Fn: position, CalledOnNull: true})
	b.fn(&Overload{Name: "array_positions", Args: args(A, E), Ret: types.Int4Array, CalledOnNull: true, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		var out []types.Datum
		for i, e := range a[0].Array().Elems {
			if elemNotDistinct(e, a[1]) {
				out = append(out, types.DInt(int64(i+1)))
			}
		}
		return newArray(types.Int4, out), nil
	}})
	b.fnBound(&Overload{Name: "array_remove", Args: args(A, E), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			arr := a[0].Array()
			if len(arr.Dims) > 1 {
				return types.Null, types.Errorf(types.CodeFeatureNotSupported, "removing elements from multidimensional arrays is not supported")
			}
			out := make([]types.Datum, 0, len(arr.Elems))
			for _, e := range arr.Elems {
				if !elemNotDistinct(e, a[1]) {
					out = append(out, e)
				}
			}
			return newArray(ret.Elem, out), nil
		}
	})
	b.fnBound(&Overload{Name: "array_replace", Args: args(A, E, E), Ret: A, ReturnType: retArray, CalledOnNull: true}, func(_ []*types.T, ret *types.T) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			arr := a[0].Array()
			out := &types.Array{Elem: arr.Elem, Dims: arr.Dims, Elems: make([]types.Datum, len(arr.Elems))}
			for i, e := range arr.Elems {
				if elemNotDistinct(e, a[1]) {
					e = a[2]
				}
				out.Elems[i] = e
			}
			return types.DArray(out), nil
		}
	})
	toString := func(ts []*types.T, _ *types.T) Fn {
		elem := retElem(ts)
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if a[0].IsNull() || a[1].IsNull() {
				return types.Null, nil
			}
			var sb strings.Builder
			first := true
			for _, e := range a[0].Array().Elems {
				var s string
				if e.IsNull() {
					if len(a) < 3 || a[2].IsNull() {
						continue
					}
					s = a[2].S
				} else {
					var err error
					if s, err = valueOut(ctx, e, elem); err != nil {
						return types.Null, err
					}
				}
				if !first {
					sb.WriteString(a[1].S)
				}
				first = false
				sb.WriteString(s)
			}
			return types.DString(sb.String()), nil
		}
	}
	b.fnBound(&Overload{Name: "array_to_string", Args: args(A, types.Text), Ret: types.Text, CalledOnNull: true}, toString)
	b.fnBound(&Overload{Name: "array_to_string", Args: args(A, types.Text, types.Text), Ret: types.Text, CalledOnNull: true}, toString)
	stringToArray := func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		s := a[0].S
		var parts []string
		switch {
		case s == "":
			parts = nil
		case a[1].IsNull():
			for _, r := range s {
				parts = append(parts, string(r))
			}
		case a[1].S == "":
			parts = []string{s}
		default:
			parts = strings.Split(s, a[1].S)
		}
		out := make([]types.Datum, len(parts))
		for i, p := range parts {
			if len(a) > 2 && !a[2].IsNull() && p == a[2].S {
				out[i] = types.Null
			} else {
				out[i] = types.DString(p)
			}
		}
		return newArray(types.Text, out), nil
	}
	b.fn(&Overload{Name: "string_to_array", Args: args(types.Text, types.Text), Ret: types.TextArray, Fn: stringToArray, CalledOnNull: true})
	b.fn(&Overload{Name: "string_to_array", Args: args(types.Text, types.Text, types.Text), Ret: types.TextArray, Fn: stringToArray, CalledOnNull: true})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
