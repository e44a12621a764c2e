package builtins

import (
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

func registerJSONFuncs(b *registryBuilder) {
	J, JS, T, I := types.JSONB, types.JSON, types.Text, types.Int4
	for _, rt := range []*types.T{J, JS} {
		prefix := "jsonb"
		if rt == JS {
			prefix = "json"
		}
		// json_build_object, json_build_array and to_json print json's own
		// format: see registerJSONTextFuncs.
		if rt == J {
			b.fnBound(&Overload{Name: prefix + "_build_object", Variadic: types.Any, Ret: rt, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
				return func(ctx *Context, a []types.Datum) (types.Datum, error) {
					if len(a)%2 != 0 {
						return types.Null, types.Errorf(types.CodeInvalidParameterValue, "argument list must have even number of elements")
					}
					n := &jnode{kind: 'o'}
					for i := 0; i < len(a); i += 2 {
						if a[i].IsNull() {
							return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "argument %d: key must not be null", i+1)
						}
						k, err := valueOut(ctx, a[i], ts[i])
						if err != nil {
							return types.Null, err
						}
						v, err := datumToJSON(ctx, a[i+1], ts[i+1])
						if err != nil {
							return types.Null, err
						}
						n.keys = append(n.keys, k)
						n.vals = append(n.vals, v)
					}
					return n.datum(), nil
				}
			})
			b.fnBound(&Overload{Name: prefix + "_build_array", Variadic: types.Any, Ret: rt, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
				return func(ctx *Context, a []types.Datum) (types.Datum, error) {
					n := &jnode{kind: 'a'}
					for i := range a {
						v, err := datumToJSON(ctx, a[i], ts[i])
						if err != nil {
							return types.Null, err
						}
						n.vals = append(n.vals, v)
					}
					return n.datum(), nil
				}
			})
			b.fnBound(&Overload{Name: "to_" + prefix, Args: args(types.AnyElement), Ret: rt}, func(ts []*types.T, _ *types.T) Fn {
				return func(ctx *Context, a []types.Datum) (types.Datum, error) {
					v, err := datumToJSON(ctx, a[0], ts[0])
					if err != nil {
						return types.Null, err
					}
					return v.datum(), nil
				}
			})
		}
		b.fn(&Overload{Name: prefix + "_typeof", Args: args(rt), Ret: T, Fn: jsonFn(func(n *jnode, _ []types.Datum) (types.Datum, error) {
			return types.DString(jsonTypeName(n)), nil
		})})
		b.fn(&Overload{Name: prefix + "_array_length", Args: args(rt), Ret: I, Fn: jsonFn(func(n *jnode, _ []types.Datum) (types.Datum, error) {
			switch n.kind {
			case 'a':
				return types.DInt(int64(len(n.vals))), nil
			case 'o':
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot get array length of a non-array")
			}
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot get array length of a scalar")
		})})
		b.fn(&Overload{Name: prefix + "_extract_path", Args: args(rt), Variadic: T, Ret: rt, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
			return jsonOrNull(n.path(a[1:])), nil
		})})
		b.fn(&Overload{Name: prefix + "_extract_path_text", Args: args(rt), Variadic: T, Ret: T, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
			return textOrNull(n.path(a[1:])), nil
		})})
		b.fn(&Overload{Name: prefix + "_strip_nulls", Args: args(rt), Ret: rt, Fn: jsonFn(func(n *jnode, _ []types.Datum) (types.Datum, error) {
			return jsonStripNulls(n).datum(), nil
		})})
	}
	registerJSONTextFuncs(b)
	jsonbSet := func(_ *Context, a []types.Datum) (types.Datum, error) {
		n, err := jsonArg(a[0])
		if err != nil {
			return types.Null, err
		}
		v, err := jsonArg(a[2])
		if err != nil {
			return types.Null, err
		}
		create := len(a) < 4 || a[3].Bool()
		if n.kind != 'o' && n.kind != 'a' {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot set path in scalar")
		}
		return jsonSet(n, a[1].Array().Elems, v, create).datum(), nil
	}
	b.fn(&Overload{Name: "jsonb_set", Args: args(J, types.TextArray, J), Ret: J, Fn: jsonbSet})
	b.fn(&Overload{Name: "jsonb_set", Args: args(J, types.TextArray, J, types.Bool), Ret: J, Fn: jsonbSet})
	jsonbInsert := func(_ *Context, a []types.Datum) (types.Datum, error) {
		n, err := jsonArg(a[0])
		if err != nil {
			return types.Null, err
		}
		v, err := jsonArg(a[2])
		if err != nil {
			return types.Null, err
		}
		if n.kind != 'o' && n.kind != 'a' {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot set path in scalar")
		}
		r, err := jsonInsert(n, a[1].Array().Elems, v, len(a) > 3 && a[3].Bool())
		if err != nil {
			return types.Null, err
		}
		return r.datum(), nil
	}
	b.fn(&Overload{Name: "jsonb_insert", Args: args(J, types.TextArray, J), Ret: J, Fn: jsonbInsert})
	b.fn(&Overload{Name: "jsonb_insert", Args: args(J, types.TextArray, J, types.Bool), Ret: J, Fn: jsonbInsert})
	b.fn(&Overload{Name: "jsonb_pretty", Args: args(J), Ret: T, Fn: jsonFn(func(n *jnode, _ []types.Datum) (types.Datum, error) {
		return types.DString(string(jsonPretty(nil, n, 0))), nil
	})})
	b.fn(&Overload{Name: "jsonb_exists", Args: args(J, T), Ret: types.Bool, Fn: jsonFn(func(n *jnode, a []types.Datum) (types.Datum, error) {
		return types.DBool(jsonExists(n, a[1].S)), nil
	})})
}

func registerJSONSRFs(b *registryBuilder) {
	J, JS, T := types.JSONB, types.JSON, types.Text
	for _, rt := range []*types.T{J, JS} {
		prefix := "jsonb"
		if rt == JS {
			prefix = "json"
		}
		b.fn(&Overload{Name: prefix + "_object_keys", Args: args(rt), Ret: T, SetReturning: true,
			SRFColumns: types.Schema{{Name: prefix + "_object_keys", Type: T}},
			SRF: jsonSRF(func(n *jnode, emit func(types.Row) error) error {
				if n.kind != 'o' {
					return types.Errorf(types.CodeInvalidParameterValue, "cannot call %s_object_keys on %s", prefix, nonObjectName(n))
				}
				n.normalizeObject()
				for _, k := range n.keys {
					if err := emit(types.Row{types.DString(k)}); err != nil {
						return err
					}
				}
				return nil
			})})
		for _, asText := range []bool{false, true} {
			asText := asText
			name := prefix + "_each"
			valType := rt
			if asText {
				name += "_text"
				valType = T
			}
			b.fn(&Overload{Name: name, Args: args(rt), Ret: types.Record, SetReturning: true,
				SRFColumns: types.Schema{{Name: "key", Type: T}, {Name: "value", Type: valType}},
				SRF: jsonSRF(func(n *jnode, emit func(types.Row) error) error {
					if n.kind != 'o' {
						return types.Errorf(types.CodeInvalidParameterValue, "cannot call %s on a non-object", name)
					}
					n.normalizeObject()
					for i, k := range n.keys {
						v := n.vals[i].datum()
						if asText {
							v = n.vals[i].textValue()
						}
						if err := emit(types.Row{types.DString(k), v}); err != nil {
							return err
						}
					}
					return nil
				})})
			name = prefix + "_array_elements"
			if asText {
				name += "_text"
			}
			b.fn(&Overload{Name: name, Args: args(rt), Ret: valType, SetReturning: true,
				SRFColumns: types.Schema{{Name: "value", Type: valType}},
				SRF: jsonSRF(func(n *jnode, emit func(types.Row) error) error {
					if n.kind != 'a' {
						if n.kind == 'o' {
							return types.Errorf(types.CodeInvalidParameterValue, "cannot extract elements from an object")
						}
						return types.Errorf(types.CodeInvalidParameterValue, "cannot extract elements from a scalar")
					}
					for _, e := range n.vals {
						v := e.datum()
						if asText {
							v = e.textValue()
						}
						if err := emit(types.Row{v}); err != nil {
							return err
						}
					}
					return nil
				})})
		}
	}
}

func nonObjectName(n *jnode) string {
	if n.kind == 'a' {
		return "an array"
	}
	return "a scalar"
}

func jsonSRF(f func(n *jnode, emit func(types.Row) error) error) func(*Context, []types.Datum, func(types.Row) error) error {
	return func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
		if a[0].IsNull() {
			return nil
		}
		n, err := jsonArg(a[0])
		if err != nil {
			return err
		}
		return f(n, emit)
	}
}

// jsonText renders a SQL value as the json type (not jsonb) prints it:
// arrays compact ("[1,2]"), json values embedded as written, objects built
// by json_build_object with " : " separators.
func jsonText(ctx *Context, d types.Datum, t *types.T) (string, error) {
	if d.IsNull() {
		return "null", nil
	}
	switch t.Family {
	case types.JSONFamily:
		return d.S, nil
	case types.ArrayFamily:
		a := d.Array()
		var sb strings.Builder
		if err := jsonTextArray(ctx, &sb, t.Elem, a.Dims, a.Elems); err != nil {
			return "", err
		}
		return sb.String(), nil
	}
	n, err := datumToJSON(ctx, d, t)
	if err != nil {
		return "", err
	}
	return n.canonical(), nil
}

func jsonTextArray(ctx *Context, sb *strings.Builder, elem *types.T, dims []int, elems []types.Datum) error {
	sb.WriteByte('[')
	if len(dims) > 1 {
		step := len(elems) / dims[0]
		for i := 0; i < dims[0]; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			if err := jsonTextArray(ctx, sb, elem, dims[1:], elems[i*step:(i+1)*step]); err != nil {
				return err
			}
		}
	} else {
		for i, e := range elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			s, err := jsonText(ctx, e, elem)
			if err != nil {
				return err
			}
			sb.WriteString(s)
		}
	}
	sb.WriteByte(']')
	return nil
}

func registerJSONTextFuncs(b *registryBuilder) {
	JS := types.JSON
	b.fnBound(&Overload{Name: "json_build_object", Variadic: types.Any, Ret: JS, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if len(a)%2 != 0 {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "argument list must have even number of elements")
			}
			var sb strings.Builder
			sb.WriteByte('{')
			for i := 0; i < len(a); i += 2 {
				if a[i].IsNull() {
					return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "argument %d cannot be null", i+1)
				}
				k, err := valueOut(ctx, a[i], ts[i])
				if err != nil {
					return types.Null, err
				}
				v, err := jsonText(ctx, a[i+1], ts[i+1])
				if err != nil {
					return types.Null, err
				}
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.Write(types.AppendJSONString(nil, k))
				sb.WriteString(" : ")
				sb.WriteString(v)
			}
			sb.WriteByte('}')
			return types.DJSON(sb.String()), nil
		}
	})
	b.fnBound(&Overload{Name: "json_build_array", Variadic: types.Any, Ret: JS, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			var sb strings.Builder
			sb.WriteByte('[')
			for i := range a {
				v, err := jsonText(ctx, a[i], ts[i])
				if err != nil {
					return types.Null, err
				}
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(v)
			}
			sb.WriteByte(']')
			return types.DJSON(sb.String()), nil
		}
	})
	toJSON := func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			s, err := jsonText(ctx, a[0], ts[0])
			if err != nil {
				return types.Null, err
			}
			return types.DJSON(s), nil
		}
	}
	b.fnBound(&Overload{Name: "to_json", Args: args(types.AnyElement), Ret: JS}, toJSON)
	b.fnBound(&Overload{Name: "array_to_json", Args: args(types.AnyArray), Ret: JS}, toJSON)
}
