package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// planAggregate adds the aggregation stage over node (whose row is the
// FROM scope) and returns the function that maps an expression bound over
// the FROM scope onto the aggregate's output row.
func (b *Binder) planAggregate(node Node, from *scope, groups []Expr, aggs *aggCollector) (Node, func(Expr) (Expr, error), error) {
	pre := &Project{Input: node}
	add := func(e Expr, name string) int {
		for i, x := range pre.Exprs {
			if exprEqual(x, e) {
				return i
			}
		}
		pre.Exprs = append(pre.Exprs, e)
		pre.Cols = append(pre.Cols, types.Column{Name: name, Type: e.Type()})
		return len(pre.Exprs) - 1
	}
	agg := &Aggregate{}
	for _, g := range groups {
		// Group columns must be distinct positions in order.
		pre.Exprs = append(pre.Exprs, g)
		name := "?group?"
		if c, ok := g.(*ColRef); ok {
			name = from.cols[c.Idx].name
		}
		pre.Cols = append(pre.Cols, types.Column{Name: name, Type: g.Type()})
		agg.GroupCols = append(agg.GroupCols, len(pre.Exprs)-1)
		agg.Cols = append(agg.Cols, types.Column{Name: name, Type: g.Type()})
	}
	for i, a := range aggs.aggs {
		call := AggCall{Agg: a.agg, Filter: -1, Distinct: a.distinct}
		for _, arg := range a.args {
			call.Args = append(call.Args, add(arg, "?arg?"))
		}
		if a.filter != nil {
			call.Filter = add(a.filter, "?filter?")
		}
		for _, o := range a.order {
			call.OrderBy = append(call.OrderBy, SortKey{Col: add(o.e, "?order?"), Desc: o.desc, NullsFirst: o.nullsFirst})
		}
		agg.Aggs = append(agg.Aggs, call)
		agg.Cols = append(agg.Cols, types.Column{Name: a.agg.Name, Type: aggs.aggTyps[i]})
	}
	agg.Input = pre
	ng := len(groups)
	toStage := func(e Expr) (Expr, error) {
		return mapExpr(e, func(x Expr) (Expr, bool, error) {
			switch x := x.(type) {
			case *Const, *Param, *OuterRef:
				return x, true, nil
			case *aggRef:
				return &ColRef{Idx: ng + x.idx, Typ: x.typ}, true, nil
			case *winRef, *srfRef:
				return x, true, nil
			}
			for i, g := range groups {
				if exprEqual(x, g) {
					return &ColRef{Idx: i, Typ: g.Type()}, true, nil
				}
			}
			switch x := x.(type) {
			case *ColRef:
				c := from.cols[x.Idx]
				name := c.name
				if c.table != "" {
					name = c.table + "." + c.name
				}
				return nil, false, types.Errorf(types.CodeGroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
			case *Subquery:
				if x.Correlated {
					return nil, false, unsupported("correlated subqueries in the select list of an aggregate query")
				}
			}
			return nil, false, nil
		})
	}
	return agg, toStage, nil
}

// planWindows adds the window stage: a projection that appends every
// window function's inputs to the row, then a Window node. It returns the
// function that maps window references onto the Window's output.
func (b *Binder) planWindows(node Node, aggs *aggCollector, toStage func(Expr) (Expr, error)) (Node, func(Expr) (Expr, error), error) {
	width := len(node.Columns())
	wp := &Project{Input: node}
	for i, c := range node.Columns() {
		wp.Exprs = append(wp.Exprs, &ColRef{Idx: i, Typ: c.Type})
		wp.Cols = append(wp.Cols, c)
	}
	add := func(e Expr) (int, error) {
		e, err := toStage(e)
		if err != nil {
			return 0, err
		}
		if c, ok := e.(*ColRef); ok && c.Idx < width {
			return c.Idx, nil
		}
		for i, x := range wp.Exprs {
			if exprEqual(x, e) {
				return i, nil
			}
		}
		wp.Exprs = append(wp.Exprs, e)
		wp.Cols = append(wp.Cols, types.Column{Name: "?window?", Type: e.Type(), Hidden: true})
		return len(wp.Exprs) - 1, nil
	}
	w := &Window{}
	for _, wc := range aggs.wins {
		call := WindowCall{Win: wc.win, Agg: wc.agg, Filter: -1, Frame: wc.frame}
		for _, a := range wc.args {
			p, err := add(a)
			if err != nil {
				return nil, nil, err
			}
			call.Args = append(call.Args, p)
		}
		if wc.filter != nil {
			p, err := add(wc.filter)
			if err != nil {
				return nil, nil, err
			}
			call.Filter = p
		}
		for _, p := range wc.partition {
			pos, err := add(p)
			if err != nil {
				return nil, nil, err
			}
			call.PartitionBy = append(call.PartitionBy, pos)
		}
		for _, o := range wc.order {
			pos, err := add(o.e)
			if err != nil {
				return nil, nil, err
			}
			call.OrderBy = append(call.OrderBy, SortKey{Col: pos, Desc: o.desc, NullsFirst: o.nullsFirst})
		}
		w.Funcs = append(w.Funcs, call)
	}
	w.Input = wp
	base := len(wp.Exprs)
	w.Cols = append(w.Cols, wp.Cols...)
	for _, wc := range aggs.wins {
		w.Cols = append(w.Cols, types.Column{Name: wc.win.Name, Type: wc.typ})
	}
	mapWin := func(e Expr) (Expr, error) {
		return mapExpr(e, func(x Expr) (Expr, bool, error) {
			if r, ok := x.(*winRef); ok {
				return &ColRef{Idx: base + r.idx, Typ: r.typ}, true, nil
			}
			return nil, false, nil
		})
	}
	return w, mapWin, nil
}

// pushFilter places each conjunct of pred as low as it can go in a tree of
// inner joins: single-side conjuncts filter that side, equalities between
// the sides become hash-join keys, the rest become join conditions.
func pushFilter(node Node, pred Expr) Node {
	var rest []Expr
	for _, c := range conjuncts(pred) {
		if n, ok := pushConjunct(node, c); ok {
			node = n
		} else {
			rest = append(rest, c)
		}
	}
	if len(rest) > 0 {
		node = withKeyLookup(&Filter{Input: node, Pred: andOf(rest)}) // access_path.go
	}
	return node
}

func pushConjunct(node Node, c Expr) (Node, bool) {
	j, ok := node.(*Join)
	if !ok || j.Kind != InnerJoin {
		return node, false
	}
	lo, hi, pinned := colRange(c)
	if pinned || lo < 0 {
		return node, false
	}
	width := len(j.Left.Columns())
	nj := *j
	switch {
	case hi < width:
		nj.Left = pushFilter(j.Left, c)
	case lo >= width:
		nj.Right = pushFilter(j.Right, shiftCols(c, -width))
	default:
		lk, rk, rest := splitJoinCondition(c, width)
		nj.LeftKeys = append(append([]int{}, j.LeftKeys...), lk...)
		nj.RightKeys = append(append([]int{}, j.RightKeys...), rk...)
		nj.On = andOf(append(conjuncts(j.On), conjuncts(rest)...))
	}
	return &nj, true
}

func (b *Binder) bindSubLink(s *scope, sl *pg_query.SubLink, ec exprCtx) (Expr, error) {
	q, err := b.bindQuery(sl.Subselect, s)
	if err != nil {
		return nil, err
	}
	vis := visibleCols(q.cols)
	plan := q.node
	if len(vis) != len(q.cols) {
		p := &Project{Input: plan}
		for _, i := range vis {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, Typ: q.cols[i].Type})
			p.Cols = append(p.Cols, q.cols[i])
		}
		plan = p
	}
	cols := plan.Columns()
	sq := &Subquery{Plan: plan, Correlated: q.correlated}
	switch sl.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		sq.Kind, sq.Typ = SubqueryExists, types.Bool
		return sq, nil
	case pg_query.SubLinkType_EXPR_SUBLINK, pg_query.SubLinkType_ARRAY_SUBLINK:
		if len(cols) != 1 {
			return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "subquery must return only one column"), sl.Location)
		}
		sq.Kind, sq.Typ = SubqueryScalar, cols[0].Type
		if sl.SubLinkType == pg_query.SubLinkType_ARRAY_SUBLINK {
			sq.Kind = SubqueryArray
			if sq.Typ = types.ArrayOf(cols[0].Type); sq.Typ == nil {
				return nil, b.errAt(unsupported("ARRAY() of type %s", cols[0].Type.String()), sl.Location)
			}
		}
		return sq, nil
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		if sl.Testexpr.GetRowExpr() != nil {
			return b.bindRowInSubquery(s, sl, plan, ec)
		}
		if len(cols) != 1 {
			return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "subquery has too many columns"), sl.Location)
		}
		test, err := b.bindExpr(s, sl.Testexpr, ec)
		if err != nil {
			return nil, err
		}
		op := "="
		if len(sl.OperName) > 0 {
			op = opName(sl.OperName)
		}
		inner := &ColRef{Idx: 0, Typ: cols[0].Type}
		f, err := b.bindOperator(op, test, inner, sl.Location)
		if err != nil {
			return nil, err
		}
		fn := f.(*Func)
		if fn.Typ.Family != types.BoolFamily {
			return nil, b.errAt(types.Errorf(types.CodeDatatypeMismatch, "op ANY/ALL (array) requires operator to yield boolean"), sl.Location)
		}
		if c, ok := fn.Args[1].(*Cast); ok {
			// The subquery's column needs a cast: add a projection.
			_ = c
			p := &Project{Input: plan, Exprs: []Expr{fn.Args[1]}, Cols: types.Schema{{Name: cols[0].Name, Type: fn.Args[1].Type()}}}
			sq.Plan = p
		}
		sq.Test, sq.Cmp, sq.Typ = fn.Args[0], fn.Fn, types.Bool
		sq.Kind = SubqueryAny
		if sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK {
			sq.Kind = SubqueryAll
		}
		return sq, nil
	}
	return nil, b.errAt(unsupported("this kind of subquery"), sl.Location)
}

var _ = builtins.CastImplicit
