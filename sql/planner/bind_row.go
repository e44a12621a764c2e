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
