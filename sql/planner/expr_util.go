package planner

import (
	"reflect"
)

// mapExpr rebuilds e bottom-up... top-down: f is called on e first; if it
// returns replaced=true its result is used as is, else e's children are
// mapped and e is copied with them.
func mapExpr(e Expr, f func(Expr) (Expr, bool, error)) (Expr, error) {
	if e == nil {
		return nil, nil
	}
	if r, ok, err := f(e); err != nil || ok {
		return r, err
	}
	m := func(x Expr) (Expr, error) { return mapExpr(x, f) }
	ms := func(xs []Expr) ([]Expr, error) {
		if xs == nil {
			return nil, nil
		}
		out := make([]Expr, len(xs))
		for i, x := range xs {
			y, err := m(x)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	var err error
	switch e := e.(type) {
	case *Func:
		c := *e
		c.Args, err = ms(e.Args)
		return &c, err
	case *Cast:
		c := *e
		c.Arg, err = m(e.Arg)
		return &c, err
	case *And:
		c := *e
		c.Args, err = ms(e.Args)
		return &c, err
	case *Or:
		c := *e
		c.Args, err = ms(e.Args)
		return &c, err
	case *Not:
		c := *e
		c.Arg, err = m(e.Arg)
		return &c, err
	case *IsNull:
		c := *e
		c.Arg, err = m(e.Arg)
		return &c, err
	case *IsBool:
		c := *e
		c.Arg, err = m(e.Arg)
		return &c, err
	case *IsDistinct:
		c := *e
		if c.L, err = m(e.L); err != nil {
			return nil, err
		}
		c.R, err = m(e.R)
		return &c, err
	case *Case:
		c := *e
		c.Whens = make([]CaseWhen, len(e.Whens))
		for i, w := range e.Whens {
			if c.Whens[i].Cond, err = m(w.Cond); err != nil {
				return nil, err
			}
			if c.Whens[i].Result, err = m(w.Result); err != nil {
				return nil, err
			}
		}
		c.Else, err = m(e.Else)
		return &c, err
	case *Coalesce:
		c := *e
		c.Args, err = ms(e.Args)
		return &c, err
	case *NullIf:
		c := *e
		if c.L, err = m(e.L); err != nil {
			return nil, err
		}
		c.R, err = m(e.R)
		return &c, err
	case *MinMax:
		c := *e
		c.Args, err = ms(e.Args)
		return &c, err
	case *InList:
		c := *e
		if c.Arg, err = m(e.Arg); err != nil {
			return nil, err
		}
		c.List, err = ms(e.List)
		return &c, err
	case *AnyAll:
		c := *e
		if c.L, err = m(e.L); err != nil {
			return nil, err
		}
		c.R, err = m(e.R)
		return &c, err
	case *ArrayCtor:
		c := *e
		c.Elems, err = ms(e.Elems)
		return &c, err
	case *Subscript:
		c := *e
		if c.Arg, err = m(e.Arg); err != nil {
			return nil, err
		}
		if c.Index, err = m(e.Index); err != nil {
			return nil, err
		}
		if c.Lo, err = m(e.Lo); err != nil {
			return nil, err
		}
		c.Hi, err = m(e.Hi)
		return &c, err
	case *Subquery:
		c := *e
		c.Test, err = m(e.Test)
		return &c, err
	}
	return e, nil
}

// walkExpr calls f on every node of e, top-down, until f returns false.
func walkExpr(e Expr, f func(Expr) bool) {
	_, _ = mapExpr(e, func(x Expr) (Expr, bool, error) {
		if !f(x) {
			return x, true, nil
		}
		return nil, false, nil
	})
}

// exprEqual reports whether two bound expressions are the same
// computation (used to match select-list expressions to GROUP BY ones).
func exprEqual(a, b Expr) bool {
	return reflect.DeepEqual(a, b)
}

// shiftCols returns e with every ColRef index moved by delta.
func shiftCols(e Expr, delta int) Expr {
	out, _ := mapExpr(e, func(x Expr) (Expr, bool, error) {
		if c, ok := x.(*ColRef); ok {
			return &ColRef{Idx: c.Idx + delta, Typ: c.Typ}, true, nil
		}
		return nil, false, nil
	})
	return out
}

// colRange returns the smallest and largest ColRef index in e (-1, -1 when
// it has none) and whether it contains subqueries or outer references that
// keep it from moving.
func colRange(e Expr) (lo, hi int, pinned bool) {
	lo, hi = -1, -1
	walkExpr(e, func(x Expr) bool {
		switch x := x.(type) {
		case *ColRef:
			if lo < 0 || x.Idx < lo {
				lo = x.Idx
			}
			if x.Idx > hi {
				hi = x.Idx
			}
		case *Subquery, *OuterRef:
			pinned = true
		}
		return true
	})
	return lo, hi, pinned
}

// conjuncts splits an AND tree.
func conjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	if a, ok := e.(*And); ok {
		var out []Expr
		for _, x := range a.Args {
			out = append(out, conjuncts(x)...)
		}
		return out
	}
	return []Expr{e}
}

// andOf joins conjuncts (nil for none).
func andOf(es []Expr) Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &And{Args: es}
}
