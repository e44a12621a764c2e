package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// boundQuery is a bound query expression.
type boundQuery struct {
	node Node
	// cols are the output columns with their user-visible names; hidden
	// ones (row ids carried for DML) are marked.
	cols       types.Schema
	correlated bool
}

// BindSelect binds a query (SELECT, VALUES, set operation) at the top
// level. The result's columns are the node's columns with their names.
func (b *Binder) BindSelect(n *pg_query.Node) (Node, error) {
	q, err := b.bindQuery(n, nil)
	if err != nil {
		return nil, err
	}
	return q.node, nil
}

func (b *Binder) bindQuery(n *pg_query.Node, outer *scope) (*boundQuery, error) {
	sel := n.GetSelectStmt()
	if sel == nil {
		return nil, unsupported("this statement as a query")
	}
	return b.bindSelectStmt(sel, outer)
}

func (b *Binder) bindSelectStmt(sel *pg_query.SelectStmt, outer *scope) (*boundQuery, error) {
	if sel.WithClause != nil {
		saved := b.ctes
		defer func() { b.ctes = saved }()
		if err := b.bindWith(sel.WithClause, outer); err != nil {
			return nil, err
		}
	}
	if sel.IntoClause != nil {
		return nil, unsupported("SELECT INTO")
	}
	if len(sel.LockingClause) > 0 {
		// FOR UPDATE/SHARE: every transaction is serialised at commit, so
		// the lock adds nothing; accepted for tools that send it.
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		return b.bindSetOp(sel, outer)
	}
	if len(sel.ValuesLists) > 0 {
		q, err := b.bindValues(sel.ValuesLists, outer)
		if err != nil {
			return nil, err
		}
		return b.finishOutputOnly(q, sel, outer)
	}

	node, from, err := b.bindFrom(sel.FromClause, outer)
	if err != nil {
		return nil, err
	}
	if sel.WhereClause != nil {
		pred, err := b.bindExpr(from, sel.WhereClause, exprCtx{clause: "WHERE"})
		if err != nil {
			return nil, err
		}
		if pred, err = b.coerceBool(pred, "argument of WHERE", -1); err != nil {
			return nil, err
		}
		node = pushFilter(node, pred)
	}

	aggs := &aggCollector{windows: map[string]*pg_query.WindowDef{}}
	for _, w := range sel.WindowClause {
		wd := w.GetWindowDef()
		aggs.windows[wd.Name] = wd
	}
	srfs := &srfCollector{}

	// The select list.
	type target struct {
		e    Expr
		name string
		// tableOID/attNum for RowDescription when the target is a plain column.
		tableOID uint32
		attNum   int16
	}
	var targets []target
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			qual := ""
			if len(cr.Fields) >= 2 {
				qual = strVal(cr.Fields[len(cr.Fields)-2])
			}
			found := false
			for i, c := range from.cols {
				if c.hidden || (qual != "" && c.table != qual) {
					continue
				}
				found = true
				targets = append(targets, target{e: &ColRef{Idx: i, Typ: c.typ}, name: c.name, tableOID: c.tableOID, attNum: c.attNum})
			}
			if !found && qual != "" {
				known := false
				for _, tn := range from.tables {
					known = known || tn == qual
				}
				if !known {
					return nil, b.errAt(types.Errorf(types.CodeUndefinedTable, "missing FROM-clause entry for table %q", qual), cr.Location)
				}
			}
			if !found && qual == "" && len(sel.FromClause) == 0 {
				return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "SELECT * with no tables specified is not valid"), cr.Location)
			}
			continue
		}
		e, err := b.bindExpr(from, rt.Val, exprCtx{clause: "SELECT", aggs: aggs, srfs: srfs})
		if err != nil {
			return nil, err
		}
		if e.Type().Family == types.UnknownFamily {
			if e, err = b.coerce(e, types.Text, builtins.CastImplicit, rt.Location); err != nil {
				return nil, err
			}
		}
		tg := target{e: e, name: rt.Name}
		if tg.name == "" {
			tg.name = deriveName(rt.Val)
		}
		if c, ok := e.(*ColRef); ok {
			tg.tableOID, tg.attNum = from.cols[c.Idx].tableOID, from.cols[c.Idx].attNum
		}
		targets = append(targets, tg)
	}

	var having Expr
	if sel.HavingClause != nil {
		h, err := b.bindExpr(from, sel.HavingClause, exprCtx{clause: "HAVING", aggs: aggs})
		if err != nil {
			return nil, err
		}
		if having, err = b.coerceBool(h, "argument of HAVING", -1); err != nil {
			return nil, err
		}
	}

	// GROUP BY: an expression over the FROM columns, an output column
	// number, or an output column name that is not an input column.
	var groups []Expr
	for _, g := range sel.GroupClause {
		if g.GetGroupingSet() != nil {
			return nil, unsupported("GROUPING SETS, ROLLUP and CUBE")
		}
		if c := g.GetAConst(); c != nil && c.GetIval() != nil {
			i := int(c.GetIval().Ival)
			if i < 1 || i > len(targets) {
				return nil, b.errAt(types.Errorf(types.CodeInvalidColumnReference, "GROUP BY position %d is not in select list", i), c.Location)
			}
			groups = append(groups, targets[i-1].e)
			continue
		}
		e, err := b.bindExpr(from, g, exprCtx{clause: "GROUP BY"})
		if err != nil {
			if cr := g.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && types.Code(err) == types.CodeUndefinedColumn {
				name := strVal(cr.Fields[0])
				matched := false
				for _, t := range targets {
					if t.name == name {
						groups = append(groups, t.e)
						matched = true
						break
					}
				}
				if matched {
					continue
				}
			}
			return nil, err
		}
		groups = append(groups, e)
	}

	// ORDER BY: an output column (by number, or a bare name matching an
	// output column), else an expression over the FROM columns.
	type sortItem struct {
		target int // index into targets, or -1
		oe     orderExpr
	}
	var sorts []sortItem
	for _, s := range sel.SortClause {
		sb := s.GetSortBy()
		probe, err := b.bindOrderExprShallow(sb)
		if err != nil {
			return nil, err
		}
		if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
			i := int(c.GetIval().Ival)
			if i < 1 || i > len(targets) {
				return nil, b.errAt(types.Errorf(types.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", i), c.Location)
			}
			sorts = append(sorts, sortItem{target: i - 1, oe: probe})
			continue
		}
		if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetAStar() == nil {
			name := strVal(cr.Fields[0])
			idx, count := -1, 0
			for i, t := range targets {
				if t.name == name {
					if idx < 0 {
						idx = i
					}
					count++
				}
			}
			if count > 1 {
				// Several outputs of that name are only ambiguous if they
				// differ.
				for i, t := range targets {
					if t.name == name && !exprEqual(t.e, targets[idx].e) {
						_ = i
						return nil, b.errAt(types.Errorf(types.CodeAmbiguousColumn, "ORDER BY %q is ambiguous", name), cr.Location)
					}
				}
			}
			if idx >= 0 {
				sorts = append(sorts, sortItem{target: idx, oe: probe})
				continue
			}
		}
		oe, err := b.bindOrderExpr(from, sb, exprCtx{clause: "ORDER BY", aggs: aggs})
		if err != nil {
			return nil, err
		}
		item := sortItem{target: -1, oe: oe}
		for i, t := range targets {
			if exprEqual(t.e, oe.e) {
				item.target = i
				break
			}
		}
		sorts = append(sorts, item)
	}

	// DISTINCT ON expressions.
	distinct := sel.DistinctClause != nil
	var distinctOn []Expr
	if distinct && !(len(sel.DistinctClause) == 1 && (sel.DistinctClause[0] == nil || sel.DistinctClause[0].Node == nil)) {
		for _, d := range sel.DistinctClause {
			if d == nil || d.Node == nil {
				continue
			}
			if c := d.GetAConst(); c != nil && c.GetIval() != nil {
				i := int(c.GetIval().Ival)
				if i < 1 || i > len(targets) {
					return nil, b.errAt(types.Errorf(types.CodeInvalidColumnReference, "SELECT DISTINCT ON position %d is not in select list", i), c.Location)
				}
				distinctOn = append(distinctOn, targets[i-1].e)
				continue
			}
			e, err := b.bindExpr(from, d, exprCtx{clause: "DISTINCT ON", aggs: aggs})
			if err != nil {
				return nil, err
			}
			distinctOn = append(distinctOn, e)
		}
	}

	// Aggregation stage.
	toStage := func(e Expr) (Expr, error) { return e, nil }
	if len(aggs.aggs) > 0 || len(groups) > 0 || having != nil {
		var err error
		node, toStage, err = b.planAggregate(node, from, groups, aggs)
		if err != nil {
			return nil, err
		}
	}
	if having != nil {
		h, err := toStage(having)
		if err != nil {
			return nil, err
		}
		node = &Filter{Input: node, Pred: h}
	}
	for i := range targets {
		e, err := toStage(targets[i].e)
		if err != nil {
			return nil, err
		}
		targets[i].e = e
	}
	for i := range sorts {
		if sorts[i].target >= 0 {
			continue
		}
		e, err := toStage(sorts[i].oe.e)
		if err != nil {
			return nil, err
		}
		sorts[i].oe.e = e
	}
	for i := range distinctOn {
		e, err := toStage(distinctOn[i])
		if err != nil {
			return nil, err
		}
		distinctOn[i] = e
	}

	// Window stage.
	if len(aggs.wins) > 0 {
		var mapWin func(Expr) (Expr, error)
		var err error
		node, mapWin, err = b.planWindows(node, aggs, toStage)
		if err != nil {
			return nil, err
		}
		for i := range targets {
			if targets[i].e, err = mapWin(targets[i].e); err != nil {
				return nil, err
			}
		}
		for i := range sorts {
			if sorts[i].target < 0 {
				if sorts[i].oe.e, err = mapWin(sorts[i].oe.e); err != nil {
					return nil, err
				}
			}
		}
	}

	// Set-returning functions of the select list.
	var recordFields []target
	if len(srfs.calls) > 0 {
		width := len(node.Columns())
		ps := &ProjectSet{Input: node}
		ps.Cols = append(ps.Cols, node.Columns()...)
		offsets := make([]int, len(srfs.calls))
		off := width
		for i, f := range srfs.calls {
			offsets[i] = off
			off += len(f.Cols)
		}
		for _, f := range srfs.calls {
			for i, a := range f.Args {
				e, err := toStage(a)
				if err != nil {
					return nil, err
				}
				f.Args[i] = e
			}
			ps.SRFs = append(ps.SRFs, f)
			ps.Cols = append(ps.Cols, f.Cols...)
		}
		node = ps
		for i := range targets {
			// A whole composite row in the select list prints as a record
			// "(a,b)"; its fields stay reachable as hidden columns
			// "name.field" for (sub.name).field in an enclosing query.
			if r, ok := targets[i].e.(*srfRef); ok && r.field < 0 {
				args := []Expr{&Const{Value: types.DString("("), Typ: types.Text}}
				for k, c := range r.cols {
					if k > 0 {
						args = append(args, &Const{Value: types.DString(","), Typ: types.Text})
					}
					col := &ColRef{Idx: offsets[r.idx] + k, Typ: c.Type}
					args = append(args, col)
					recordFields = append(recordFields, target{e: col, name: targets[i].name + "." + c.Name})
				}
				args = append(args, &Const{Value: types.DString(")"), Typ: types.Text})
				argTypes := make([]*types.T, len(args))
				for k, a := range args {
					argTypes[k] = a.Type()
				}
				concat, err := builtins.ResolveFunction("concat", argTypes)
				if err != nil {
					return nil, err
				}
				targets[i].e = &Func{Fn: concat, Args: args, Typ: types.Text}
				continue
			}
			e, err := mapExpr(targets[i].e, func(x Expr) (Expr, bool, error) {
				if r, ok := x.(*srfRef); ok {
					if r.field < 0 {
						return nil, false, unsupported("a composite value inside an expression")
					}
					return &ColRef{Idx: offsets[r.idx] + r.field, Typ: r.typ}, true, nil
				}
				return nil, false, nil
			})
			if err != nil {
				return nil, err
			}
			targets[i].e = e
		}
	}

	// Final projection: the targets, then ORDER BY / DISTINCT ON extras.
	proj := &Project{Input: node}
	for _, t := range targets {
		proj.Exprs = append(proj.Exprs, t.e)
		proj.Cols = append(proj.Cols, types.Column{Name: t.name, Type: t.e.Type(), TableOID: t.tableOID, AttrNum: t.attNum})
	}
	// Fields of composite targets follow as hidden columns and are kept.
	for _, f := range recordFields {
		proj.Exprs = append(proj.Exprs, f.e)
		proj.Cols = append(proj.Cols, types.Column{Name: f.name, Type: f.e.Type(), Hidden: true})
	}
	keep := len(proj.Exprs)
	var keys []SortKey
	for _, s := range sorts {
		col := s.target
		if col < 0 {
			if distinct && distinctOn == nil {
				return nil, types.Errorf(types.CodeInvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			col = len(proj.Exprs)
			proj.Exprs = append(proj.Exprs, s.oe.e)
			proj.Cols = append(proj.Cols, types.Column{Name: "?order?", Type: s.oe.e.Type(), Hidden: true})
		}
		keys = append(keys, SortKey{Col: col, Desc: s.oe.desc, NullsFirst: s.oe.nullsFirst})
	}
	var onCols []int
	for _, d := range distinctOn {
		col := -1
		for i, e := range proj.Exprs {
			if exprEqual(e, d) {
				col = i
				break
			}
		}
		if col < 0 {
			col = len(proj.Exprs)
			proj.Exprs = append(proj.Exprs, d)
			proj.Cols = append(proj.Cols, types.Column{Name: "?distinct?", Type: d.Type(), Hidden: true})
		}
		onCols = append(onCols, col)
	}
	node = proj

	if distinct {
		if distinctOn != nil {
			// DISTINCT ON keeps the first row of each group in ORDER BY
			// order, whose leading keys must be the DISTINCT ON expressions.
			for i, c := range onCols {
				if i < len(keys) && keys[i].Col != c {
					return nil, types.Errorf(types.CodeInvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
				}
			}
			sortKeys := append([]SortKey{}, keys...)
			for _, c := range onCols[min(len(onCols), len(keys)):] {
				sortKeys = append(sortKeys, SortKey{Col: c})
			}
			node = &Distinct{Input: &Sort{Input: node, Keys: sortKeys}, On: onCols}
		} else {
			node = &Distinct{Input: node}
		}
	}
	if len(keys) > 0 {
		node = &Sort{Input: node, Keys: keys}
	}
	node, err = b.bindLimit(node, sel)
	if err != nil {
		return nil, err
	}
	if len(proj.Exprs) > keep {
		trim := &Project{Input: node}
		for i := 0; i < keep; i++ {
			trim.Exprs = append(trim.Exprs, &ColRef{Idx: i, Typ: proj.Cols[i].Type})
			trim.Cols = append(trim.Cols, proj.Cols[i])
		}
		node = trim
	}
	return &boundQuery{node: node, cols: node.Columns(), correlated: from.correlated}, nil
}

// bindOrderExprShallow reads an ORDER BY item's direction without binding
// its expression.
func (b *Binder) bindOrderExprShallow(sb *pg_query.SortBy) (orderExpr, error) {
	if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
		return orderExpr{}, b.errAt(unsupported("ORDER BY ... USING"), sb.Location)
	}
	desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	nf := desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nf = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nf = false
	}
	return orderExpr{desc: desc, nullsFirst: nf}, nil
}

func (b *Binder) bindLimit(node Node, sel *pg_query.SelectStmt) (Node, error) {
	if sel.LimitCount == nil && sel.LimitOffset == nil {
		return node, nil
	}
	if sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return nil, unsupported("FETCH ... WITH TIES")
	}
	lim := &Limit{Input: node}
	bind := func(n *pg_query.Node, what string) (Expr, error) {
		if n == nil {
			return nil, nil
		}
		if c := n.GetAConst(); c != nil && c.Isnull {
			return nil, nil
		}
		e, err := b.bindExpr(&scope{}, n, exprCtx{clause: what})
		if err != nil {
			return nil, err
		}
		return b.coerce(e, types.Int8, builtins.CastImplicit, -1)
	}
	var err error
	if lim.Count, err = bind(sel.LimitCount, "LIMIT"); err != nil {
		return nil, err
	}
	if lim.Offset, err = bind(sel.LimitOffset, "OFFSET"); err != nil {
		return nil, err
	}
	if lim.Count == nil && lim.Offset == nil {
		return node, nil
	}
	return lim, nil
}

// finishOutputOnly applies ORDER BY / LIMIT that may only reference output
// columns (after VALUES or a set operation).
func (b *Binder) finishOutputOnly(q *boundQuery, sel *pg_query.SelectStmt, outer *scope) (*boundQuery, error) {
	node := q.node
	if len(sel.SortClause) > 0 {
		out := scopeFromSchema("", q.cols)
		out.parent = outer
		var keys []SortKey
		proj := &Project{Input: node}
		for i, c := range q.cols {
			proj.Exprs = append(proj.Exprs, &ColRef{Idx: i, Typ: c.Type})
			proj.Cols = append(proj.Cols, c)
		}
		for _, s := range sel.SortClause {
			sb := s.GetSortBy()
			if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
				i := int(c.GetIval().Ival)
				if i < 1 || i > len(q.cols) {
					return nil, b.errAt(types.Errorf(types.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", i), c.Location)
				}
				oe, err := b.bindOrderExprShallow(sb)
				if err != nil {
					return nil, err
				}
				keys = append(keys, SortKey{Col: i - 1, Desc: oe.desc, NullsFirst: oe.nullsFirst})
				continue
			}
			oe, err := b.bindOrderExpr(out, sb, exprCtx{clause: "ORDER BY"})
			if err != nil {
				return nil, err
			}
			col := -1
			if c, ok := oe.e.(*ColRef); ok {
				col = c.Idx
			} else {
				col = len(proj.Exprs)
				proj.Exprs = append(proj.Exprs, oe.e)
				proj.Cols = append(proj.Cols, types.Column{Name: "?order?", Type: oe.e.Type(), Hidden: true})
			}
			keys = append(keys, SortKey{Col: col, Desc: oe.desc, NullsFirst: oe.nullsFirst})
		}
		if len(proj.Exprs) > len(q.cols) {
			node = proj
		}
		node = &Sort{Input: node, Keys: keys}
		if len(proj.Exprs) > len(q.cols) {
			var err error
			if node, err = b.bindLimit(node, sel); err != nil {
				return nil, err
			}
			trim := &Project{Input: node}
			for i, c := range q.cols {
				trim.Exprs = append(trim.Exprs, &ColRef{Idx: i, Typ: c.Type})
				trim.Cols = append(trim.Cols, c)
			}
			return &boundQuery{node: trim, cols: q.cols, correlated: q.correlated}, nil
		}
	}
	node, err := b.bindLimit(node, sel)
	if err != nil {
		return nil, err
	}
	return &boundQuery{node: node, cols: q.cols, correlated: q.correlated}, nil
}

func (b *Binder) bindValues(lists []*pg_query.Node, outer *scope) (*boundQuery, error) {
	sc := &scope{parent: outer}
	var rows [][]Expr
	width := -1
	for _, l := range lists {
		items := l.GetList().GetItems()
		if width >= 0 && len(items) != width {
			return nil, types.Errorf(types.CodeSyntaxError, "VALUES lists must all be the same length")
		}
		width = len(items)
		row := make([]Expr, len(items))
		for i, it := range items {
			e, err := b.bindExpr(sc, it, exprCtx{clause: "VALUES"})
			if err != nil {
				return nil, err
			}
			row[i] = e
		}
		rows = append(rows, row)
	}
	cols := make(types.Schema, width)
	for c := 0; c < width; c++ {
		col := make([]Expr, len(rows))
		for r := range rows {
			col[r] = rows[r][c]
		}
		t, err := b.commonType(col, "VALUES", -1)
		if err != nil {
			return nil, err
		}
		if t.Family == types.UnknownFamily {
			t = types.Text
		}
		for r := range rows {
			if rows[r][c], err = b.coerce(rows[r][c], t, builtins.CastImplicit, -1); err != nil {
				return nil, err
			}
		}
		cols[c] = types.Column{Name: "column" + itoa(c+1), Type: t}
	}
	return &boundQuery{node: &Values{Rows: rows, Cols: cols}, cols: cols, correlated: sc.correlated}, nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func (b *Binder) bindSetOp(sel *pg_query.SelectStmt, outer *scope) (*boundQuery, error) {
	l, err := b.bindSelectStmt(sel.Larg, outer)
	if err != nil {
		return nil, err
	}
	r, err := b.bindSelectStmt(sel.Rarg, outer)
	if err != nil {
		return nil, err
	}
	var kind SetOpKind
	name := "UNION"
	switch sel.Op {
	case pg_query.SetOperation_SETOP_UNION:
		kind = Union
	case pg_query.SetOperation_SETOP_INTERSECT:
		kind, name = Intersect, "INTERSECT"
	case pg_query.SetOperation_SETOP_EXCEPT:
		kind, name = Except, "EXCEPT"
	}
	lc, rc := visibleCols(l.cols), visibleCols(r.cols)
	if len(lc) != len(rc) {
		return nil, types.Errorf(types.CodeSyntaxError, "each %s query must have the same number of columns", name)
	}
	cols := make(types.Schema, len(lc))
	lx := make([]Expr, len(lc))
	rx := make([]Expr, len(lc))
	lcast, rcast := false, false
	for i := range lc {
		le := Expr(&ColRef{Idx: lc[i], Typ: l.cols[lc[i]].Type})
		re := Expr(&ColRef{Idx: rc[i], Typ: r.cols[rc[i]].Type})
		t, err := b.commonType([]Expr{le, re}, name, -1)
		if err != nil {
			return nil, err
		}
		if t.Family == types.UnknownFamily {
			t = types.Text
		}
		if lx[i], err = b.coerce(le, t, builtins.CastImplicit, -1); err != nil {
			return nil, err
		}
		if rx[i], err = b.coerce(re, t, builtins.CastImplicit, -1); err != nil {
			return nil, err
		}
		lcast = lcast || lx[i] != le || lc[i] != i
		rcast = rcast || rx[i] != re || rc[i] != i
		cols[i] = types.Column{Name: l.cols[lc[i]].Name, Type: t}
	}
	ln, rn := l.node, r.node
	if lcast || len(l.cols) != len(lc) {
		ln = &Project{Input: ln, Exprs: lx, Cols: cols}
	}
	if rcast || len(r.cols) != len(rc) {
		rn = &Project{Input: rn, Exprs: rx, Cols: cols}
	}
	q := &boundQuery{node: &SetOp{Kind: kind, All: sel.All, Left: ln, Right: rn, Cols: cols}, cols: cols, correlated: l.correlated || r.correlated}
	return b.finishOutputOnly(q, sel, outer)
}

func visibleCols(cols types.Schema) []int {
	var out []int
	for i, c := range cols {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

func (b *Binder) bindWith(w *pg_query.WithClause, outer *scope) error {
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if cte.Ctequery.GetSelectStmt() == nil {
			return b.errAt(unsupported("data-modifying statements in WITH"), cte.Location)
		}
		if w.Recursive && refersTo(cte.Ctequery, cte.Ctename) {
			if err := b.bindRecursiveCTE(cte, outer); err != nil {
				return err
			}
			continue
		}
		q, err := b.bindQuery(cte.Ctequery, outer)
		if err != nil {
			return err
		}
		cols := append(types.Schema{}, q.cols...)
		names := nameList(cte.Aliascolnames)
		vis := visibleCols(cols)
		if len(names) > len(vis) {
			return b.errAt(types.Errorf(types.CodeInvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", cte.Ctename, len(vis), len(names)), cte.Location)
		}
		for i, n := range names {
			cols[vis[i]].Name = n
		}
		if b.ctes.find(cte.Ctename) != nil && b.ctes.name == cte.Ctename {
			return b.errAt(types.Errorf(types.CodeDuplicateAlias, "WITH query name %q specified more than once", cte.Ctename), cte.Location)
		}
		b.ctes = &cteScope{name: cte.Ctename, plan: q.node, cols: cols, parent: b.ctes}
	}
	return nil
}

// deriveName is the column name Postgres gives an unaliased select-list
// expression.
func deriveName(n *pg_query.Node) string {
	name, _ := figureColname(n)
	return name
}

// figureColname follows Postgres' FigureColnameInternal: a name comes with
// a strength (2: a column, function or keyword name; 1: a type name or
// "case"; 0: none), and a cast or a CASE takes its operand's (its ELSE
// branch's) name only when that is strong, so 'x'::regclass::oid is "oid"
// and CASE ... ELSE c::text END is "c" (psql's \d queries rely on both).
func figureColname(n *pg_query.Node) (string, int) {
	switch {
	case n == nil:
		return "?column?", 0
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if name, strength := figureColname(tc.Arg); strength > 1 {
			return name, strength
		}
		parts := nameList(tc.TypeName.Names)
		return parts[len(parts)-1], 1
	case n.GetCaseExpr() != nil:
		if name, strength := figureColname(n.GetCaseExpr().Defresult); strength > 1 {
			return name, strength
		}
		return "case", 1
	}
	if name := deriveOtherName(n); name != "?column?" {
		return name, 2
	}
	return "?column?", 0
}

// deriveOtherName names the expressions other than casts and CASE.
func deriveOtherName(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		return strVal(f[len(f)-1])
	case n.GetFuncCall() != nil:
		parts := nameList(n.GetFuncCall().Funcname)
		return parts[len(parts)-1]
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg_query.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		switch sl.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if sel := sl.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
				rt := sel.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name
				}
				return deriveName(rt.Val)
			}
		}
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetSqlvalueFunction() != nil:
		switch n.GetSqlvalueFunction().Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return "current_date"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:
			return "current_user"
		case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
			return "session_user"
		case pg_query.SQLValueFunctionOp_SVFOP_USER:
			return "user"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
			return "current_role"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			return "current_schema"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
			return "current_catalog"
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp"
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
			return "localtime"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
			return "current_time"
		}
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection().Indirection
		if f := ind[len(ind)-1].GetString_(); f != nil {
			return f.Sval
		}
		return deriveName(n.GetAIndirection().Arg)
	case n.GetCollateClause() != nil:
		return deriveName(n.GetCollateClause().Arg)
	}
	return "?column?"
}
