package builtins

import (
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// registerMiscFuncs holds the helpers the parser's rewrites call (LIKE ...
// ESCAPE, SIMILAR TO) and the catalog helpers psql's \d and \df use.
func registerMiscFuncs(b *registryBuilder) {
	T := types.Text
	likeEscape := func(_ *Context, a []types.Datum) (types.Datum, error) {
		return likeEscapeRewrite(a[0].S, a[1].S)
	}
	b.fn(&Overload{Name: "like_escape", Args: args(T, T), Ret: T, Fn: likeEscape})
	b.fn(&Overload{Name: "like_escape", Args: args(types.Bytea, types.Bytea), Ret: types.Bytea, Fn: likeEscape})
	b.fn(&Overload{Name: "similar_to_escape", Args: args(T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return similarToRegex(a[0].S, "\\")
	}})
	b.fn(&Overload{Name: "similar_to_escape", Args: args(T, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return similarToRegex(a[0].S, a[1].S)
	}})
	b.op(&Overload{Name: "|/", Args: args(types.Float8), Ret: types.Float8, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		o, _ := ResolveFunction("sqrt", args(types.Float8))
		return o.Fn(ctx, a)
	}})
	b.op(&Overload{Name: "||/", Args: args(types.Float8), Ret: types.Float8, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		o, _ := ResolveFunction("cbrt", args(types.Float8))
		return o.Fn(ctx, a)
	}})
	funcDesc := func(f func(o *Overload) string) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			o := overloadByOid(uint32(a[0].I))
			if o == nil {
				return types.Null, nil
			}
			return types.DString(f(o)), nil
		}
	}
	argList := func(o *Overload) string {
		s := typeNames(o.Args)
		if o.Variadic != nil {
			if s != "" {
				s += ", "
			}
			s += "VARIADIC " + o.Variadic.Name() + "[]"
		}
		return s
	}
	b.fn(&Overload{Name: "pg_get_function_arguments", Args: args(types.Oid), Ret: T, Fn: funcDesc(argList)})
	b.fn(&Overload{Name: "pg_get_function_identity_arguments", Args: args(types.Oid), Ret: T, Fn: funcDesc(argList)})
	b.fn(&Overload{Name: "pg_get_function_result", Args: args(types.Oid), Ret: T, Fn: funcDesc(func(o *Overload) string {
		if o.SetReturning {
			return "SETOF " + o.Ret.Name()
		}
		return o.Ret.Name()
	})})
	b.fn(&Overload{Name: "pg_get_statisticsobjdef_columns", Args: args(types.Oid), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_relation_is_publishable", Args: args(types.RegClass), Ret: types.Bool, Fn: constFn(types.DBool(false))})
	b.fn(&Overload{Name: "pg_get_triggerdef", Args: args(types.Oid), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_get_triggerdef", Args: args(types.Oid, types.Bool), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_get_ruledef", Args: args(types.Oid), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_get_ruledef", Args: args(types.Oid, types.Bool), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_get_functiondef", Args: args(types.Oid), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_is_other_temp_schema", Args: args(types.Oid), Ret: types.Bool, Volatility: Stable, Fn: constFn(types.DBool(false))})
	b.fn(&Overload{Name: "pg_my_temp_schema", Ret: types.Oid, Volatility: Stable, Fn: constFn(types.DInt(0))})
	b.fn(&Overload{Name: "pg_conf_load_time", Ret: types.TimestampTZ, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		o, err := ResolveFunction("pg_postmaster_start_time", nil)
		if err != nil {
			return types.Null, err
		}
		return o.Fn(ctx, nil)
	}})
	b.fn(&Overload{Name: "pg_column_size", Args: args(types.Any), Ret: types.Int4, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInt(int64(len(a[0].S) + 8)), nil
	}})
}

// likeEscapeRewrite turns a LIKE pattern with a custom escape character
// into one with the default backslash escape (like_escape).
func likeEscapeRewrite(pattern, escape string) (types.Datum, error) {
	if escape == `\` {
		return types.DString(pattern), nil
	}
	if len([]rune(escape)) > 1 {
		return types.Null, types.Errorf(types.CodeInvalidEscapeSequence, "invalid escape string")
	}
	var sb strings.Builder
	esc := []rune(escape)
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case len(esc) == 1 && r == esc[0]:
			if i+1 >= len(rs) {
				return types.Null, types.Errorf(types.CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			i++
			sb.WriteByte('\\')
			sb.WriteRune(rs[i])
		case r == '\\':
			sb.WriteString(`\\`)
		default:
			sb.WriteRune(r)
		}
	}
	return types.DString(sb.String()), nil
}

// similarToRegex translates a SIMILAR TO pattern to an anchored POSIX
// regular expression (similar_to_escape).
func similarToRegex(pattern, escape string) (types.Datum, error) {
	esc := []rune(escape)
	if len(esc) > 1 {
		return types.Null, types.Errorf(types.CodeInvalidEscapeSequence, "invalid escape string")
	}
	var sb strings.Builder
	sb.WriteString("^(?:")
	inBracket := false
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case len(esc) == 1 && r == esc[0] && i+1 < len(rs):
			i++
			sb.WriteString(`\` + string(rs[i]))
		case inBracket:
			if r == ']' {
				inBracket = false
			}
			sb.WriteRune(r)
		case r == '[':
			inBracket = true
			sb.WriteRune(r)
		case r == '%':
			sb.WriteString(".*")
		case r == '_':
			sb.WriteByte('.')
		case r == '.', r == '^', r == '$':
			sb.WriteString(`\` + string(r))
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteString(")$")
	return types.DString(sb.String()), nil
}
