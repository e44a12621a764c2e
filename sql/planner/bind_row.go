package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/types"
)

// Row-value comparisons are rewritten into scalar logic with the same SQL
// semantics (three-valued, NULLs included):
//
//	(a, b) =  (c, d)   a = c AND b = d
//	(a, b) <> (c, d)   a <> c OR b <> d
//	(a, b) <  (c, d)   a < c OR (a = c AND b < d)     (likewise <=, >, >=)
//	(a, b) IN ((1, 2), (3, 4))   (a, b) = (1, 2) OR (a, b) = (3, 4)

func rowArgs(n *pg_query.Node) []*pg_query.Node {
	if r := n.GetRowExpr(); r != nil {
		return r.Args
	}
	return nil
}

// bindRowComparison binds "row op row"; ok is false when neither side is
// a row constructor.
func (b *Binder) bindRowComparison(s *scope, op string, l, r *pg_query.Node, location int32, ec exprCtx) (Expr, bool, error) {
	la, ra := rowArgs(l), rowArgs(r)
	if la == nil && ra == nil {
		return nil, false, nil
	}
	if la == nil || ra == nil {
		return nil, true, b.errAt(unsupported("comparing a row constructor with a non-row value"), location)
	}
	if len(la) != len(ra) {
		return nil, true, b.errAt(types.Errorf(types.CodeSyntaxError, "unequal number of entries in row expressions"), location)
	}
	ls := make([]Expr, len(la))
	rs := make([]Expr, len(ra))
	for i := range la {
		var err error
		if ls[i], err = b.bindExpr(s, la[i], ec); err != nil {
			return nil, true, err
		}
		if rs[i], err = b.bindExpr(s, ra[i], ec); err != nil {
			return nil, true, err
		}
	}
	e, err := b.rowCompare(op, ls, rs, location)
	return e, true, err
}

func (b *Binder) rowCompare(op string, ls, rs []Expr, location int32) (Expr, error) {
	cmp := func(o string, i int) (Expr, error) { return b.bindOperator(o, ls[i], rs[i], location) }
	switch op {
	case "=", "<>":
		parts := make([]Expr, len(ls))
		for i := range ls {
			e, err := cmp(op, i)
			if err != nil {
				return nil, err
			}
			parts[i] = e
		}
		if op == "=" {
			return andOf(parts), nil
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return &Or{Args: parts}, nil
	case "<", "<=", ">", ">=":
		strict := op[:1]
		// Built from the last column outwards:
		// last: a_n op b_n; earlier: a_i strict b_i OR (a_i = b_i AND rest).
		last, err := cmp(op, len(ls)-1)
		if err != nil {
			return nil, err
		}
		acc := last
		for i := len(ls) - 2; i >= 0; i-- {
			lt, err := cmp(strict, i)
			if err != nil {
				return nil, err
			}
			eq, err := cmp("=", i)
			if err != nil {
				return nil, err
			}
			acc = &Or{Args: []Expr{lt, &And{Args: []Expr{eq, acc}}}}
		}
		return acc, nil
	}
	return nil, b.errAt(unsupported("row comparison with operator "+op), location)
}

// bindRowInSubquery binds "(a, b) IN (SELECT x, y ...)" with exact SQL
// semantics: true when some row equals, else NULL when some row's
// comparison is unknown, else false:
//
//	CASE WHEN EXISTS (SELECT 1 FROM sub WHERE x = a AND y = b) THEN true
//	     WHEN EXISTS (SELECT 1 FROM sub WHERE (x = a AND y = b) IS NULL) THEN NULL
//	     ELSE false END
func (b *Binder) bindRowInSubquery(s *scope, sl *pg_query.SubLink, plan Node, ec exprCtx) (Expr, error) {
	if sl.SubLinkType != pg_query.SubLinkType_ANY_SUBLINK {
		return nil, b.errAt(unsupported("ALL with a row constructor"), sl.Location)
	}
	op := "="
	if len(sl.OperName) > 0 {
		op = opName(sl.OperName)
	}
	if op != "=" {
		return nil, b.errAt(unsupported("row comparison with a subquery using operator "+op), sl.Location)
	}
	args := sl.Testexpr.GetRowExpr().Args
	cols := plan.Columns()
	if len(args) != len(cols) {
		return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "subquery has too many columns"), sl.Location)
	}
	// The test values are evaluated inside the subquery as references to
	// the enclosing row.
	outer := make([]Expr, len(args))
	for i, a := range args {
		e, err := b.bindExpr(s, a, ec)
		if err != nil {
			return nil, err
		}
		shifted, err := mapExpr(e, func(x Expr) (Expr, bool, error) {
			switch x := x.(type) {
			case *ColRef:
				return &OuterRef{Depth: 1, Idx: x.Idx, Typ: x.Typ}, true, nil
			case *OuterRef:
				return &OuterRef{Depth: x.Depth + 1, Idx: x.Idx, Typ: x.Typ}, true, nil
			case *Subquery:
				return nil, false, unsupported("subqueries inside a row compared with a subquery")
			}
			return nil, false, nil
		})
		if err != nil {
			return nil, b.errAt(err, sl.Location)
		}
		outer[i] = shifted
	}
	inner := make([]Expr, len(cols))
	for i, c := range cols {
		inner[i] = &ColRef{Idx: i, Typ: c.Type}
	}
	eq, err := b.rowCompare("=", inner, outer, sl.Location)
	if err != nil {
		return nil, err
	}
	matches := &Subquery{Kind: SubqueryExists, Plan: &Filter{Input: plan, Pred: eq}, Correlated: true, Typ: types.Bool}
	unknown := &Subquery{Kind: SubqueryExists, Plan: &Filter{Input: plan, Pred: &IsNull{Arg: eq}}, Correlated: true, Typ: types.Bool}
	return &Case{
		Whens: []CaseWhen{
			{Cond: matches, Result: &Const{Value: types.DBool(true), Typ: types.Bool}},
			{Cond: unknown, Result: &Const{Typ: types.Bool}},
		},
		Else: &Const{Value: types.DBool(false), Typ: types.Bool},
		Typ:  types.Bool,
	}, nil
}
