package planner

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// exprCtx says what an expression may contain where it is being bound.
type exprCtx struct {
	// clause names the clause for errors ("WHERE", "JOIN conditions").
	clause string
	// aggs collects aggregate and window calls; nil where they are not
	// allowed.
	aggs *aggCollector
	// srfs collects set-returning functions of a select list; nil where
	// they are not allowed.
	srfs *srfCollector
	// inAgg is set while binding an aggregate's arguments (no nesting).
	inAgg bool
}

func (c exprCtx) nested() exprCtx {
	c.srfs = nil
	return c
}

// bindExpr binds a scalar expression over scope s.
func (b *Binder) bindExpr(s *scope, n *pg_query.Node, ec exprCtx) (Expr, error) {
	if n == nil {
		return &Const{Typ: types.Unknown}, nil
	}
	switch {
	case n.GetAConst() != nil:
		return b.bindConst(n.GetAConst())
	case n.GetColumnRef() != nil:
		return b.bindColumnRef(s, n.GetColumnRef())
	case n.GetParamRef() != nil:
		p := n.GetParamRef()
		if p.Number < 1 || p.Number > 65535 {
			return nil, b.errAt(types.Errorf(types.CodeUndefinedParameter, "there is no parameter $%d", p.Number), p.Location)
		}
		idx := int(p.Number) - 1
		b.ensureParam(idx)
		ref := &Param{Idx: idx, Typ: b.params[idx]}
		b.paramRefs[idx] = append(b.paramRefs[idx], ref)
		return ref, nil
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		t, err := b.ResolveType(tc.TypeName)
		if err != nil {
			return nil, err
		}
		arg, err := b.bindExpr(s, tc.Arg, ec)
		if err != nil {
			return nil, err
		}
		if t.Family == types.IntervalFamily {
			arg = applyIntervalField(arg, tc.TypeName)
		}
		return b.coerce(arg, t, builtins.CastExplicit, tc.Location)
	case n.GetAExpr() != nil:
		return b.bindAExpr(s, n.GetAExpr(), ec)
	case n.GetBoolExpr() != nil:
		be := n.GetBoolExpr()
		args := make([]Expr, len(be.Args))
		for i, a := range be.Args {
			e, err := b.bindExpr(s, a, ec.nested())
			if err != nil {
				return nil, err
			}
			if e, err = b.coerceBool(e, "argument of "+boolOpName(be.Boolop), be.Location); err != nil {
				return nil, err
			}
			args[i] = e
		}
		switch be.Boolop {
		case pg_query.BoolExprType_AND_EXPR:
			return &And{Args: args}, nil
		case pg_query.BoolExprType_OR_EXPR:
			return &Or{Args: args}, nil
		default:
			return &Not{Arg: args[0]}, nil
		}
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		arg, err := b.bindExpr(s, nt.Arg, ec.nested())
		if err != nil {
			return nil, err
		}
		if arg.Type().Family == types.UnknownFamily {
			arg, _ = b.coerce(arg, types.Text, builtins.CastImplicit, nt.Location)
		}
		return &IsNull{Arg: arg, Negate: nt.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL}, nil
	case n.GetBooleanTest() != nil:
		bt := n.GetBooleanTest()
		arg, err := b.bindExpr(s, bt.Arg, ec.nested())
		if err != nil {
			return nil, err
		}
		if arg, err = b.coerceBool(arg, "argument of IS TRUE", bt.Location); err != nil {
			return nil, err
		}
		e := &IsBool{Arg: arg}
		switch bt.Booltesttype {
		case pg_query.BoolTestType_IS_TRUE:
			e.Want = types.DBool(true)
		case pg_query.BoolTestType_IS_NOT_TRUE:
			e.Want, e.Negate = types.DBool(true), true
		case pg_query.BoolTestType_IS_FALSE:
			e.Want = types.DBool(false)
		case pg_query.BoolTestType_IS_NOT_FALSE:
			e.Want, e.Negate = types.DBool(false), true
		case pg_query.BoolTestType_IS_UNKNOWN:
			e.Want = types.Null
		case pg_query.BoolTestType_IS_NOT_UNKNOWN:
			e.Want, e.Negate = types.Null, true
		}
		return e, nil
	case n.GetFuncCall() != nil:
		return b.bindFuncCall(s, n.GetFuncCall(), ec)
	case n.GetCaseExpr() != nil:
		return b.bindCase(s, n.GetCaseExpr(), ec.nested())
	case n.GetCoalesceExpr() != nil:
		ce := n.GetCoalesceExpr()
		args, t, err := b.bindCommon(s, ce.Args, ec.nested(), "COALESCE", ce.Location)
		if err != nil {
			return nil, err
		}
		return &Coalesce{Args: args, Typ: t}, nil
	case n.GetMinMaxExpr() != nil:
		me := n.GetMinMaxExpr()
		name := "GREATEST"
		if me.Op == pg_query.MinMaxOp_IS_LEAST {
			name = "LEAST"
		}
		args, t, err := b.bindCommon(s, me.Args, ec.nested(), name, me.Location)
		if err != nil {
			return nil, err
		}
		return &MinMax{Args: args, Least: me.Op == pg_query.MinMaxOp_IS_LEAST, Typ: t}, nil
	case n.GetSqlvalueFunction() != nil:
		return b.bindSQLValueFunction(n.GetSqlvalueFunction())
	case n.GetSubLink() != nil:
		return b.bindSubLink(s, n.GetSubLink(), ec.nested())
	case n.GetAArrayExpr() != nil:
		return b.bindArrayExpr(s, n.GetAArrayExpr().Elements, ec.nested(), nil, n.GetAArrayExpr().Location)
	case n.GetAIndirection() != nil:
		// (srf(...)).field keeps the set-returning context of its place.
		return b.bindIndirection(s, n.GetAIndirection(), ec)
	case n.GetCollateClause() != nil:
		// Only the C/default collation exists; COLLATE is accepted and
		// ignored (psql sends COLLATE pg_catalog.default).
		return b.bindExpr(s, n.GetCollateClause().Arg, ec)
	case n.GetRowExpr() != nil:
		return nil, b.errAt(unsupported("row constructors"), n.GetRowExpr().Location)
	case n.GetSetToDefault() != nil:
		return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "DEFAULT is not allowed in this context"), n.GetSetToDefault().Location)
	case n.GetAStar() != nil:
		return nil, types.Errorf(types.CodeSyntaxError, "* is not allowed here")
	}
	return nil, unsupported("expression %T", n.Node)
}

func boolOpName(op pg_query.BoolExprType) string {
	switch op {
	case pg_query.BoolExprType_AND_EXPR:
		return "AND"
	case pg_query.BoolExprType_OR_EXPR:
		return "OR"
	}
	return "NOT"
}

// bindConst binds a literal. Strings stay "unknown" until their use decides
// their type, as in Postgres.
func (b *Binder) bindConst(c *pg_query.A_Const) (Expr, error) {
	if c.Isnull {
		return &Const{Typ: types.Unknown}, nil
	}
	switch {
	case c.GetIval() != nil:
		return &Const{Value: types.DInt(int64(c.GetIval().Ival)), Typ: types.Int4}, nil
	case c.GetFval() != nil:
		s := c.GetFval().Fval
		if !strings.ContainsAny(s, ".eE") {
			if v, err := strconv.ParseInt(s, 0, 64); err == nil {
				return &Const{Value: types.DInt(v), Typ: types.Int8}, nil
			}
			if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0b") {
				bi, ok := new(big.Int).SetString(s, 0)
				if ok {
					s = bi.String()
				}
			}
		}
		d, _, err := apd.NewFromString(strings.ReplaceAll(s, "_", ""))
		if err != nil {
			return nil, b.errAt(types.Errorf(types.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: %q", s), c.Location)
		}
		return &Const{Value: types.DDecimal(d), Typ: types.Numeric}, nil
	case c.GetBoolval() != nil:
		return &Const{Value: types.DBool(c.GetBoolval().Boolval), Typ: types.Bool}, nil
	case c.GetSval() != nil:
		return &Const{Value: types.DString(c.GetSval().Sval), Typ: types.Unknown}, nil
	case c.GetBsval() != nil:
		return nil, b.errAt(unsupported("bit string literals"), c.Location)
	}
	return &Const{Typ: types.Unknown}, nil
}

func (b *Binder) bindColumnRef(s *scope, cr *pg_query.ColumnRef) (Expr, error) {
	parts := make([]string, 0, len(cr.Fields))
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "* is not allowed here"), cr.Location)
		}
		parts = append(parts, strVal(f))
	}
	switch len(parts) {
	case 1:
		return b.lookup(s, "", parts[0], cr.Location)
	case 2:
		return b.lookup(s, parts[0], parts[1], cr.Location)
	case 3:
		// schema.table.column: the qualifier is the table name.
		return b.lookup(s, parts[1], parts[2], cr.Location)
	}
	return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, ".")), cr.Location)
}

// coerce converts e to type t where context allows it: unknown literals and
// parameters take the type; other types need a cast of that context.
func (b *Binder) coerce(e Expr, t *types.T, cc builtins.CastContext, location int32) (Expr, error) {
	from := e.Type()
	if t.Family == types.UnknownFamily {
		return e, nil
	}
	if p, ok := e.(*Param); ok && from.Family == types.UnknownFamily {
		b.setParamType(p.Idx, t.WithTypmod(-1))
		if t.Typmod >= 0 {
			return &Cast{Arg: p, Typ: t}, nil
		}
		return p, nil
	}
	if from.Identical(t) {
		return e, nil
	}
	if c, ok := e.(*Const); ok && from.Family == types.UnknownFamily {
		if c.Value.IsNull() {
			return &Const{Typ: t}, nil
		}
		if !foldable(t) {
			return &Cast{Arg: e, Typ: t, Explicit: cc == builtins.CastExplicit}, nil
		}
		v, err := builtins.CastValue(foldCtx(), c.Value, types.Unknown, t, cc == builtins.CastExplicit)
		if err != nil {
			return nil, b.errAt(err, location)
		}
		return &Const{Value: v, Typ: t}, nil
	}
	if from.Equivalent(t) && t.Typmod < 0 {
		return e, nil
	}
	if from.Family == types.UnknownFamily {
		return &Cast{Arg: e, Typ: t, Explicit: cc == builtins.CastExplicit}, nil
	}
	if builtins.CastContextOf(from, t) < cc {
		if cc == builtins.CastExplicit {
			return nil, b.errAt(types.Errorf(types.CodeCannotCoerce, "cannot cast type %s to %s", from.String(), t.String()), location)
		}
		return nil, b.errAt(types.Errorf(types.CodeDatatypeMismatch, "expression is of type %s but %s is required", from.String(), t.String()), location)
	}
	if c, ok := e.(*Const); ok && foldable(t) && foldable(from) {
		if c.Value.IsNull() {
			return &Const{Typ: t}, nil
		}
		if v, err := builtins.CastValue(foldCtx(), c.Value, from, t, cc == builtins.CastExplicit); err == nil {
			return &Const{Value: v, Typ: t}, nil
		}
	}
	return &Cast{Arg: e, Typ: t, Explicit: cc == builtins.CastExplicit}, nil
}

// foldable reports whether a literal of type t can be converted at bind
// time: values whose text input depends on the session time zone or the
// clock ('now', 'today') are converted when the statement runs.
func foldable(t *types.T) bool {
	switch t.Family {
	case types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily, types.ArrayFamily:
		return false
	}
	switch t.Oid {
	case types.OidRegClass, types.OidRegType, types.OidRegNamespace, types.OidRegProc, types.OidRegProcedure, types.OidRegRole, types.OidRegOper:
		return false
	}
	return true
}

func foldCtx() *builtins.Context {
	return &builtins.Context{StmtTime: time.Now(), Location: time.UTC}
}

func (b *Binder) coerceBool(e Expr, what string, location int32) (Expr, error) {
	if e.Type().Family == types.BoolFamily {
		return e, nil
	}
	if e.Type().Family == types.UnknownFamily {
		return b.coerce(e, types.Bool, builtins.CastImplicit, location)
	}
	return nil, b.errAt(types.Errorf(types.CodeDatatypeMismatch, "%s must be type boolean, not type %s", what, e.Type().String()), location)
}

// bindOperator resolves op over already-bound arguments and inserts the
// implicit casts the chosen overload needs.
func (b *Binder) bindOperator(op string, l, r Expr, location int32) (Expr, error) {
	var lt *types.T
	if l != nil {
		lt = l.Type()
	}
	rt := r.Type()
	ov, err := builtins.ResolveOperator(op, lt, rt)
	if err != nil {
		return nil, b.errAt(err, location)
	}
	args := []Expr{r}
	if l != nil {
		args = []Expr{l, r}
	}
	return b.applyOverload(ov, args, location)
}

func (b *Binder) applyOverload(ov *builtins.Overload, args []Expr, location int32) (Expr, error) {
	argTypes := make([]*types.T, len(args))
	for i, a := range args {
		want := overloadArg(ov, i)
		if want != nil && !isPolymorphic(want) {
			c, err := b.coerce(a, want, builtins.CastImplicit, location)
			if err != nil {
				return nil, err
			}
			args[i] = c
		} else if a.Type().Family == types.UnknownFamily {
			c, err := b.coerce(a, types.Text, builtins.CastImplicit, location)
			if err != nil {
				return nil, err
			}
			args[i] = c
		}
		argTypes[i] = args[i].Type()
	}
	ret := ov.Ret
	if ov.ReturnType != nil {
		ret = ov.ReturnType(argTypes)
	}
	if ret == nil {
		ret = types.Unknown
	}
	return &Func{Fn: ov, Args: args, Typ: ret}, nil
}

func overloadArg(ov *builtins.Overload, i int) *types.T {
	if i < len(ov.Args) {
		return ov.Args[i]
	}
	return ov.Variadic
}

func isPolymorphic(t *types.T) bool {
	switch t.Oid {
	case types.OidAnyElement, types.OidAnyArray, types.OidAny:
		return true
	}
	return false
}

func opName(ns []*pg_query.Node) string {
	parts := nameList(ns)
	return parts[len(parts)-1]
}

func (b *Binder) bindAExpr(s *scope, a *pg_query.A_Expr, ec exprCtx) (Expr, error) {
	ec = ec.nested()
	bind := func(n *pg_query.Node) (Expr, error) { return b.bindExpr(s, n, ec) }
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		op := opName(a.Name)
		if a.Lexpr != nil {
			if e, ok, err := b.bindRowComparison(s, op, a.Lexpr, a.Rexpr, a.Location, ec); ok {
				return e, err
			}
		}
		var l Expr
		if a.Lexpr != nil {
			var err error
			if l, err = bind(a.Lexpr); err != nil {
				return nil, err
			}
		}
		r, err := bind(a.Rexpr)
		if err != nil {
			return nil, err
		}
		return b.bindOperator(op, l, r, a.Location)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		l, err := bind(a.Lexpr)
		if err != nil {
			return nil, err
		}
		r, err := bind(a.Rexpr)
		if err != nil {
			return nil, err
		}
		return b.bindAnyAll(opName(a.Name), l, r, a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL, a.Location)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		f, err := b.bindEquality(s, a, ec)
		if err != nil {
			return nil, err
		}
		return &IsDistinct{L: f.Args[0], R: f.Args[1], Eq: f.Fn, Negate: a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT}, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		f, err := b.bindEquality(s, a, ec)
		if err != nil {
			return nil, err
		}
		return &NullIf{L: f.Args[0], R: f.Args[1], Eq: f.Fn, Typ: f.Args[0].Type()}, nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		if rowArgs(a.Lexpr) != nil {
			// (a, b) IN ((1, 2), ...): an OR of row equalities.
			var alts []Expr
			for _, it := range a.Rexpr.GetList().GetItems() {
				e, _, err := b.bindRowComparison(s, "=", a.Lexpr, it, a.Location, ec)
				if err != nil {
					return nil, err
				}
				alts = append(alts, e)
			}
			var e Expr = &Or{Args: alts}
			if len(alts) == 1 {
				e = alts[0]
			}
			if opName(a.Name) == "<>" {
				e = &Not{Arg: e}
			}
			return e, nil
		}
		l, err := bind(a.Lexpr)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		list := make([]Expr, 0, len(items)+1)
		list = append(list, l)
		for _, it := range items {
			e, err := bind(it)
			if err != nil {
				return nil, err
			}
			list = append(list, e)
		}
		t, err := b.commonType(list, "IN", a.Location)
		if err != nil {
			return nil, err
		}
		for i := range list {
			if list[i], err = b.coerce(list[i], t, builtins.CastImplicit, a.Location); err != nil {
				return nil, err
			}
		}
		ov, err := builtins.ResolveOperator("=", t, t)
		if err != nil {
			return nil, b.errAt(err, a.Location)
		}
		return &InList{Arg: list[0], List: list[1:], Eq: ov, Negate: opName(a.Name) == "<>"}, nil
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		l, err := bind(a.Lexpr)
		if err != nil {
			return nil, err
		}
		r, err := bind(a.Rexpr)
		if err != nil {
			return nil, err
		}
		return b.bindOperator(opName(a.Name), l, r, a.Location)
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		// The grammar gives "x SIMILAR TO p [ESCAPE e]" as
		// x ~ similar_to_escape(p [, e]); the pattern is translated to a
		// regular expression here, so it must be a constant.
		l, err := bind(a.Lexpr)
		if err != nil {
			return nil, err
		}
		fc := a.Rexpr.GetFuncCall()
		if fc == nil || len(fc.Args) == 0 || fc.Args[0].GetAConst() == nil || fc.Args[0].GetAConst().GetSval() == nil {
			return nil, b.errAt(unsupported("SIMILAR TO with a non-constant pattern"), a.Location)
		}
		escape, hasEscape := rune(0), false
		if len(fc.Args) > 1 {
			ec := fc.Args[1].GetAConst()
			if ec == nil || ec.GetSval() == nil {
				return nil, b.errAt(unsupported("SIMILAR TO with a non-constant escape"), a.Location)
			}
			esc := []rune(ec.GetSval().Sval)
			if len(esc) > 1 {
				return nil, b.errAt(types.Errorf(types.CodeInvalidEscapeSequence, "invalid escape string"), a.Location)
			}
			hasEscape = true
			if len(esc) == 1 {
				escape = esc[0]
			}
		}
		re, err := similarToRegex(fc.Args[0].GetAConst().GetSval().Sval, escape, hasEscape)
		if err != nil {
			return nil, b.errAt(err, a.Location)
		}
		return b.bindOperator(opName(a.Name), l, &Const{Value: types.DString(re), Typ: types.Unknown}, a.Location)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		x, err := bind(a.Lexpr)
		if err != nil {
			return nil, err
		}
		bounds := a.Rexpr.GetList().GetItems()
		lo, err := bind(bounds[0])
		if err != nil {
			return nil, err
		}
		hi, err := bind(bounds[1])
		if err != nil {
			return nil, err
		}
		ge, err := b.bindOperator(">=", x, lo, a.Location)
		if err != nil {
			return nil, err
		}
		le, err := b.bindOperator("<=", x, hi, a.Location)
		if err != nil {
			return nil, err
		}
		var e Expr = &And{Args: []Expr{ge, le}}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			ge2, err := b.bindOperator(">=", x, hi, a.Location)
			if err != nil {
				return nil, err
			}
			le2, err := b.bindOperator("<=", x, lo, a.Location)
			if err != nil {
				return nil, err
			}
			e = &Or{Args: []Expr{e, &And{Args: []Expr{ge2, le2}}}}
		}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			e = &Not{Arg: e}
		}
		return e, nil
	}
	return nil, b.errAt(unsupported("operator kind %s", a.Kind.String()), a.Location)
}

// bindEquality binds both sides of a and resolves their "=" operator
// (IS DISTINCT FROM and NULLIF compare with it).
func (b *Binder) bindEquality(s *scope, a *pg_query.A_Expr, ec exprCtx) (*Func, error) {
	l, err := b.bindExpr(s, a.Lexpr, ec)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(s, a.Rexpr, ec)
	if err != nil {
		return nil, err
	}
	eq, err := b.bindOperator("=", l, r, a.Location)
	if err != nil {
		return nil, err
	}
	return eq.(*Func), nil
}

// bindAnyAll binds "l op ANY|ALL (array)".
func (b *Binder) bindAnyAll(op string, l, r Expr, all bool, location int32) (Expr, error) {
	rt := r.Type()
	if rt.Family == types.UnknownFamily {
		// '{1,2}' literal: an array of the left side's type.
		at := types.ArrayOf(l.Type())
		if at == nil {
			at = types.TextArray
		}
		var err error
		if r, err = b.coerce(r, at, builtins.CastImplicit, location); err != nil {
			return nil, err
		}
		rt = at
	}
	if rt.Family != types.ArrayFamily {
		return nil, b.errAt(types.Errorf(types.CodeDatatypeMismatch, "op ANY/ALL (array) requires array on right side"), location)
	}
	ov, err := builtins.ResolveOperator(op, l.Type(), rt.Elem)
	if err != nil {
		return nil, b.errAt(err, location)
	}
	if len(ov.Args) == 2 {
		if l, err = b.coerce(l, ov.Args[0], builtins.CastImplicit, location); err != nil {
			return nil, err
		}
		if !rt.Elem.Equivalent(ov.Args[1]) && !isPolymorphic(ov.Args[1]) {
			if at := types.ArrayOf(ov.Args[1]); at != nil {
				if r, err = b.coerce(r, at, builtins.CastImplicit, location); err != nil {
					return nil, err
				}
			}
		}
	}
	return &AnyAll{L: l, Op: ov, R: r, All: all}, nil
}

// commonType resolves the common type of exprs (UNION/CASE rules).
func (b *Binder) commonType(exprs []Expr, what string, location int32) (*types.T, error) {
	ts := make([]*types.T, len(exprs))
	for i, e := range exprs {
		ts[i] = e.Type()
	}
	t, err := builtins.CommonTypeIn(what, ts)
	if err != nil {
		return nil, b.errAt(types.WithCode(err, types.CodeDatatypeMismatch), location)
	}
	return t, nil
}

// bindCommon binds a list of expressions and coerces them to their common
// type.
func (b *Binder) bindCommon(s *scope, ns []*pg_query.Node, ec exprCtx, what string, location int32) ([]Expr, *types.T, error) {
	args := make([]Expr, len(ns))
	for i, a := range ns {
		e, err := b.bindExpr(s, a, ec)
		if err != nil {
			return nil, nil, err
		}
		args[i] = e
	}
	t, err := b.commonType(args, what, location)
	if err != nil {
		return nil, nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], t, builtins.CastImplicit, location); err != nil {
			return nil, nil, err
		}
	}
	return args, t, nil
}

func (b *Binder) bindCase(s *scope, ce *pg_query.CaseExpr, ec exprCtx) (Expr, error) {
	var operand Expr
	if ce.Arg != nil {
		var err error
		if operand, err = b.bindExpr(s, ce.Arg, ec); err != nil {
			return nil, err
		}
	}
	out := &Case{}
	results := make([]Expr, 0, len(ce.Args)+1)
	for _, w := range ce.Args {
		cw := w.GetCaseWhen()
		cond, err := b.bindExpr(s, cw.Expr, ec)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if cond, err = b.bindOperator("=", operand, cond, cw.Location); err != nil {
				return nil, err
			}
		} else if cond, err = b.coerceBool(cond, "argument of CASE/WHEN", cw.Location); err != nil {
			return nil, err
		}
		res, err := b.bindExpr(s, cw.Result, ec)
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, CaseWhen{Cond: cond})
		results = append(results, res)
	}
	if ce.Defresult != nil {
		e, err := b.bindExpr(s, ce.Defresult, ec)
		if err != nil {
			return nil, err
		}
		results = append(results, e)
	}
	t, err := b.commonType(results, "CASE", ce.Location)
	if err != nil {
		return nil, err
	}
	for i := range results {
		if results[i], err = b.coerce(results[i], t, builtins.CastImplicit, ce.Location); err != nil {
			return nil, err
		}
	}
	for i := range out.Whens {
		out.Whens[i].Result = results[i]
	}
	if ce.Defresult != nil {
		out.Else = results[len(results)-1]
	}
	out.Typ = t
	return out, nil
}

func (b *Binder) bindArrayExpr(s *scope, elems []*pg_query.Node, ec exprCtx, want *types.T, location int32) (Expr, error) {
	args := make([]Expr, len(elems))
	for i, el := range elems {
		var e Expr
		var err error
		if ae := el.GetAArrayExpr(); ae != nil {
			e, err = b.bindArrayExpr(s, ae.Elements, ec, nil, ae.Location)
		} else {
			e, err = b.bindExpr(s, el, ec)
		}
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	if len(args) == 0 {
		if want == nil {
			return nil, b.errAt(types.Errorf("42P18", "cannot determine type of empty array"), location)
		}
		return &ArrayCtor{Typ: want}, nil
	}
	t, err := b.commonType(args, "ARRAY", location)
	if err != nil {
		return nil, err
	}
	if t.Family == types.UnknownFamily {
		t = types.Text
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], t, builtins.CastImplicit, location); err != nil {
			return nil, err
		}
	}
	if t.Family == types.ArrayFamily {
		// Nested ARRAY[ARRAY[...]]: a multi-dimensional array of the same type.
		return &ArrayCtor{Elems: args, Typ: t}, nil
	}
	at := types.ArrayOf(t)
	if at == nil {
		return nil, b.errAt(unsupported("arrays of type %s", t.String()), location)
	}
	return &ArrayCtor{Elems: args, Typ: at}, nil
}

func (b *Binder) bindIndirection(s *scope, ind *pg_query.A_Indirection, ec exprCtx) (Expr, error) {
	rest := ind.Indirection
	var e Expr
	// (rel.col).field where col is a composite column of a subquery: its
	// fields are exposed as hidden columns named "col.field".
	if cr := ind.Arg.GetColumnRef(); cr != nil && len(rest) > 0 && rest[0].GetString_() != nil {
		parts := nameList(cr.Fields)
		qual := ""
		if len(parts) >= 2 {
			qual = parts[len(parts)-2]
		}
		if f, err := b.lookup(s, qual, parts[len(parts)-1]+"."+strVal(rest[0]), cr.Location); err == nil {
			e, rest = f, rest[1:]
		}
	}
	if e == nil {
		var err error
		if e, err = b.bindExpr(s, ind.Arg, ec); err != nil {
			return nil, err
		}
	}
	for _, in := range rest {
		if f := in.GetString_(); f != nil {
			r, ok := e.(*srfRef)
			if !ok || r.field >= 0 {
				return nil, unsupported("field selection on a non-composite value")
			}
			k := -1
			for i, c := range r.cols {
				if c.Name == f.Sval {
					k = i
				}
			}
			if k < 0 {
				return nil, types.Errorf(types.CodeUndefinedColumn, "column %q not found in data type record", f.Sval)
			}
			e = &srfRef{idx: r.idx, field: k, typ: r.cols[k].Type, cols: r.cols}
			continue
		}
		idx := in.GetAIndices()
		if idx == nil {
			return nil, unsupported("field selection")
		}
		t := e.Type()
		if t.Family != types.ArrayFamily {
			return nil, types.Errorf(types.CodeDatatypeMismatch, "cannot subscript type %s because it does not support subscripting", t.String())
		}
		sub := &Subscript{Arg: e, Slice: idx.IsSlice, Typ: t.Elem}
		bindIdx := func(n *pg_query.Node) (Expr, error) {
			if n == nil {
				return nil, nil
			}
			x, err := b.bindExpr(s, n, ec.nested())
			if err != nil {
				return nil, err
			}
			return b.coerce(x, types.Int4, builtins.CastImplicit, -1)
		}
		var err error
		if idx.IsSlice {
			sub.Typ = t
			if sub.Lo, err = bindIdx(idx.Lidx); err != nil {
				return nil, err
			}
			if sub.Hi, err = bindIdx(idx.Uidx); err != nil {
				return nil, err
			}
		} else if sub.Index, err = bindIdx(idx.Uidx); err != nil {
			return nil, err
		}
		e = sub
	}
	return e, nil
}

func (b *Binder) bindSQLValueFunction(f *pg_query.SQLValueFunction) (Expr, error) {
	name := ""
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		name = "current_date"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		name = "now"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		name = "localtimestamp"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		name = "localtime"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_USER:
		name = "current_user"
	case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		name = "session_user"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		name = "current_database"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		name = "current_schema"
	}
	ov, err := builtins.ResolveFunction(name, nil)
	if err != nil {
		return nil, b.errAt(err, f.Location)
	}
	return b.applyOverload(ov, nil, f.Location)
}

// Interval field masks of the grammar's INTERVAL qualifiers (Postgres
// datetime.h: INTERVAL_MASK(field) = 1 << field).
const (
	intervalMonth  = 1 << 1
	intervalYear   = 1 << 2
	intervalDay    = 1 << 3
	intervalHour   = 1 << 10
	intervalMinute = 1 << 11
	intervalSecond = 1 << 12
)

// applyIntervalField gives a bare number in an interval literal the unit of
// its single-field qualifier, as Postgres does: INTERVAL '1' MINUTE is one
// minute (without a qualifier a bare number means seconds).
func applyIntervalField(arg Expr, tn *pg_query.TypeName) Expr {
	c, ok := arg.(*Const)
	if !ok || c.Typ.Family != types.UnknownFamily || c.Value.K != types.KString || len(tn.Typmods) == 0 {
		return arg
	}
	m := tn.Typmods[0].GetAConst()
	if m == nil || m.GetIval() == nil {
		return arg
	}
	unit := ""
	switch m.GetIval().Ival {
	case intervalYear:
		unit = "years"
	case intervalMonth:
		unit = "months"
	case intervalDay:
		unit = "days"
	case intervalHour:
		unit = "hours"
	case intervalMinute:
		unit = "minutes"
	case intervalSecond:
		unit = "seconds"
	default:
		return arg
	}
	v := strings.TrimSpace(c.Value.S)
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return arg
	}
	return &Const{Value: types.DString(v + " " + unit), Typ: types.Unknown}
}
