package planner

import (
	"fmt"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// systemSchemas are the schemas whose relations are generated on read.
var systemSchemas = map[string]bool{"pg_catalog": true, "information_schema": true}

// bindFrom binds a FROM list: several items are cross-joined.
func (b *Binder) bindFrom(items []*pg_query.Node, outer *scope) (Node, *scope, error) {
	if len(items) == 0 {
		return &Values{Rows: [][]Expr{{}}}, &scope{parent: outer}, nil
	}
	var node Node
	var sc *scope
	for _, it := range items {
		// A function in FROM may use the columns of the items before it
		// (functions are implicitly LATERAL): each row of those items
		// then yields the function's rows, which is a ProjectSet.
		if rf := it.GetRangeFunction(); rf != nil && node != nil {
			if n, s, ok, err := b.bindLateralFunction(rf, node, sc, outer); err != nil {
				return nil, nil, err
			} else if ok {
				node, sc = n, s
				continue
			}
		}
		n, s, err := b.bindFromItem(it, outer)
		if err != nil {
			return nil, nil, err
		}
		if node == nil {
			node, sc = n, s
			continue
		}
		if err := checkDuplicateAliases(sc, s); err != nil {
			return nil, nil, err
		}
		corr := sc.correlated || s.correlated
		node, sc = b.joinNodes(InnerJoin, node, sc, n, s, nil, outer)
		sc.correlated = corr
	}
	return node, sc, nil
}

func (b *Binder) joinNodes(kind JoinKind, l Node, ls *scope, r Node, rs *scope, on Expr, outer *scope) (Node, *scope) {
	sc := &scope{parent: outer}
	sc.cols = append(append(sc.cols, ls.cols...), rs.cols...)
	sc.tables = append(append(sc.tables, ls.tables...), rs.tables...)
	cols := append(append(types.Schema{}, l.Columns()...), r.Columns()...)
	j := &Join{Kind: kind, Left: l, Right: r, Cols: cols}
	j.LeftKeys, j.RightKeys, j.On = splitJoinCondition(on, len(l.Columns()))
	return j, sc
}

// splitJoinCondition extracts the equality conjuncts between a left column
// and a right column (hash keys) from a join condition over the
// concatenated row; the rest stays as the residual condition.
func splitJoinCondition(on Expr, leftWidth int) (lk, rk []int, rest Expr) {
	var residual []Expr
	for _, c := range conjuncts(on) {
		if f, ok := c.(*Func); ok && f.Fn != nil && f.Fn.Name == "=" && len(f.Args) == 2 {
			a, aok := f.Args[0].(*ColRef)
			bb, bok := f.Args[1].(*ColRef)
			if aok && bok && a.Typ.Family == bb.Typ.Family {
				if a.Idx < leftWidth && bb.Idx >= leftWidth {
					lk, rk = append(lk, a.Idx), append(rk, bb.Idx-leftWidth)
					continue
				}
				if bb.Idx < leftWidth && a.Idx >= leftWidth {
					lk, rk = append(lk, bb.Idx), append(rk, a.Idx-leftWidth)
					continue
				}
			}
		}
		residual = append(residual, c)
	}
	return lk, rk, andOf(residual)
}

func (b *Binder) bindFromItem(n *pg_query.Node, outer *scope) (Node, *scope, error) {
	switch {
	case n.GetRangeVar() != nil:
		return b.bindRangeVar(n.GetRangeVar(), outer)
	case n.GetJoinExpr() != nil:
		return b.bindJoin(n.GetJoinExpr(), outer)
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		if rs.Lateral {
			return nil, nil, unsupported("LATERAL")
		}
		q, err := b.bindQuery(rs.Subquery, outer)
		if err != nil {
			return nil, nil, err
		}
		alias := ""
		if rs.Alias != nil {
			alias = rs.Alias.Aliasname
		}
		sc := scopeFromSchema(alias, q.cols)
		sc.parent = outer
		if rs.Alias != nil {
			if err := applyColAliases(sc, rs.Alias); err != nil {
				return nil, nil, err
			}
		}
		return q.node, sc, nil
	case n.GetRangeFunction() != nil:
		return b.bindRangeFunction(n.GetRangeFunction(), outer)
	}
	return nil, nil, unsupported("FROM item %T", n.Node)
}

func applyColAliases(sc *scope, a *pg_query.Alias) error {
	visible := 0
	for i := range sc.cols {
		if sc.cols[i].hidden {
			continue
		}
		if visible < len(a.Colnames) {
			sc.cols[i].name = strVal(a.Colnames[visible])
		}
		visible++
	}
	if len(a.Colnames) > visible {
		return types.Errorf(types.CodeInvalidColumnReference, "table %q has %d columns available but %d columns specified", a.Aliasname, visible, len(a.Colnames))
	}
	return nil
}

func (b *Binder) bindRangeVar(rv *pg_query.RangeVar, outer *scope) (Node, *scope, error) {
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	finish := func(node Node, sc *scope) (Node, *scope, error) {
		sc.parent = outer
		sc.tables = []string{alias}
		for i := range sc.cols {
			sc.cols[i].table = alias
		}
		if rv.Alias != nil {
			if err := applyColAliases(sc, rv.Alias); err != nil {
				return nil, nil, b.errAt(err, rv.Location)
			}
		}
		return node, sc, nil
	}
	if rv.Schemaname == "" {
		if cte := b.ctes.find(rv.Relname); cte != nil {
			return finish(cte.plan, scopeFromSchema(alias, cte.cols))
		}
	}
	if vs := b.virtualScan(rv.Schemaname, rv.Relname); vs != nil {
		return finish(vs, scopeFromSchema(alias, vs.Cols))
	}
	desc, err := b.cat.ResolveRelation(rv.Relname, rv.Schemaname, b.searchPath)
	if err != nil {
		if types.Code(err) == types.CodeUndefinedSchema {
			// Postgres reports a missing schema in a relation name as a
			// missing relation.
			err = types.Errorf(types.CodeUndefinedTable, "relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)
		}
		return nil, nil, b.errAt(err, rv.Location)
	}
	b.noteAccess(desc.OID, desc.Name, AccessSelect)
	switch desc.Kind {
	case catalog.KindTable, catalog.KindMaterializedView:
		// A materialized view reads its committed rows (the server's table
		// reader routes the scan to the view state store).
		scan := ScanOf(desc)
		sc := scopeFromSchema(alias, scan.Cols)
		return finish(scan, sc)
	case catalog.KindView:
		q, err := b.bindViewQuery(desc)
		if err != nil {
			return nil, nil, b.errAt(err, rv.Location)
		}
		sc := scopeFromSchema(alias, q.cols)
		return finish(q.node, sc)
	}
	return nil, nil, b.errAt(unsupported("reading %s %q", kindName(desc.Kind), desc.Name), rv.Location)
}

func kindName(k catalog.Kind) string {
	switch k {
	case catalog.KindMaterializedView:
		return "materialized view"
	case catalog.KindIndex:
		return "index"
	case catalog.KindSequence:
		return "sequence"
	case catalog.KindSource:
		return "source"
	case catalog.KindSink:
		return "sink"
	case catalog.KindView:
		return "view"
	}
	return "table"
}

// bindViewQuery binds the stored query of a (non-materialized) view in a
// fresh context: a view sees no outer columns, CTEs or parameters.
func (b *Binder) bindViewQuery(desc *catalog.Descriptor) (*boundQuery, error) {
	if b.viewDepth > 32 {
		return nil, types.Errorf(types.CodeInvalidRecursion, "infinite recursion detected in rules for relation %q", desc.Name)
	}
	stmts, err := parser.Parse(desc.Query)
	if err != nil || len(stmts) != 1 || stmts[0].AST == nil {
		return nil, types.Errorf(types.CodeDataCorrupted, "view %q has an invalid stored definition", desc.Name)
	}
	vb := &Binder{cat: b.cat, searchPath: b.searchPath, sql: desc.Query, viewDepth: b.viewDepth + 1}
	q, err := vb.bindQuery(stmts[0].AST, nil)
	if err != nil {
		return nil, err
	}
	// The view's declared column names win (CREATE VIEW v (a, b) AS ...).
	cols := append(types.Schema{}, q.cols...)
	vis := 0
	for i := range cols {
		if cols[i].Hidden {
			continue
		}
		if vis < len(desc.Columns) {
			cols[i].Name = desc.Columns[vis].Name
		}
		vis++
	}
	q.cols = cols
	return q, nil
}

// ScanOf returns the scan of a stored table: every live column in order,
// hidden row id included (marked Hidden).
func ScanOf(desc *catalog.Descriptor) *Scan {
	s := &Scan{Table: TableRefOf(desc)}
	for i := range desc.Columns {
		c := &desc.Columns[i]
		if c.Dropped {
			continue
		}
		s.Phys = append(s.Phys, i)
		s.Cols = append(s.Cols, types.Column{Name: c.Name, Type: c.Type(), TableOID: desc.OID, AttrNum: c.AttNum, Hidden: c.Hidden})
	}
	return s
}

// TableRefOf describes a table's storage for scans and writes.
func TableRefOf(desc *catalog.Descriptor) TableRef {
	ref := TableRef{ID: desc.OID, Name: desc.Namespace + "." + desc.Name, NumPhysical: len(desc.Columns),
		AppendOnly: desc.Options[OptionAppendOnly] == "true"}
	switch desc.Kind {
	case catalog.KindTable:
		ref.KeySlots = desc.PrimaryKey
	case catalog.KindMaterializedView:
		// A view row's key is the key encoding of the whole row.
		for i := range desc.Columns {
			ref.KeySlots = append(ref.KeySlots, i)
		}
	}
	ref.Missing = make([]types.Datum, len(desc.Columns))
	for i := range desc.Columns {
		c := &desc.Columns[i]
		if c.MissingNull || c.Missing == "" && c.MissingNull {
			continue
		}
		if c.Missing != "" {
			if d, err := types.ParseText(c.Missing, c.Type(), time.UTC); err == nil {
				ref.Missing[i] = d
			}
		}
	}
	return ref
}

// virtualScan returns the scan of a system table, or nil when the name is
// not one.
func (b *Binder) virtualScan(schema, name string) *VirtualScan {
	try := func(s string) *VirtualScan {
		q := s + "." + name
		if cols, ok := catalog.VirtualTableSchema(q); ok {
			return &VirtualScan{Name: q, Cols: cols}
		}
		return nil
	}
	if schema != "" {
		if systemSchemas[schema] || schema == "streamdb" {
			return try(schema)
		}
		return nil
	}
	if vs := try("pg_catalog"); vs != nil {
		return vs
	}
	for _, s := range b.searchPath {
		if systemSchemas[s] {
			if vs := try(s); vs != nil {
				return vs
			}
		}
	}
	return nil
}

func (b *Binder) bindJoin(je *pg_query.JoinExpr, outer *scope) (Node, *scope, error) {
	l, ls, err := b.bindFromItem(je.Larg, outer)
	if err != nil {
		return nil, nil, err
	}
	r, rs, err := b.bindFromItem(je.Rarg, outer)
	if err != nil {
		return nil, nil, err
	}
	var kind JoinKind
	switch je.Jointype {
	case pg_query.JoinType_JOIN_INNER:
		kind = InnerJoin
	case pg_query.JoinType_JOIN_LEFT:
		kind = LeftJoin
	case pg_query.JoinType_JOIN_RIGHT:
		kind = RightJoin
	case pg_query.JoinType_JOIN_FULL:
		kind = FullJoin
	default:
		return nil, nil, unsupported("join type %s", je.Jointype.String())
	}
	if err := checkDuplicateAliases(ls, rs); err != nil {
		return nil, nil, err
	}
	combined := &scope{parent: outer}
	combined.cols = append(append(combined.cols, ls.cols...), rs.cols...)
	combined.tables = append(append(combined.tables, ls.tables...), rs.tables...)
	lw := len(ls.cols)

	using := nameList(je.UsingClause)
	if je.IsNatural {
		for _, lc := range ls.cols {
			if lc.hidden || lc.qualifiedOnly {
				continue
			}
			for _, rc := range rs.cols {
				if !rc.hidden && !rc.qualifiedOnly && rc.name == lc.name {
					using = append(using, lc.name)
					break
				}
			}
		}
	}
	if je.UsingClause == nil && !je.IsNatural {
		var on Expr
		if je.Quals != nil {
			e, err := b.bindExpr(combined, je.Quals, exprCtx{clause: "JOIN conditions"})
			if err != nil {
				return nil, nil, err
			}
			if on, err = b.coerceBool(e, "argument of JOIN/ON", -1); err != nil {
				return nil, nil, err
			}
		}
		node, sc := b.joinNodes(kind, l, ls, r, rs, on, outer)
		sc.correlated = combined.correlated || ls.correlated || rs.correlated
		if je.Alias != nil {
			return nil, nil, unsupported("aliases on JOIN without USING")
		}
		return node, sc, nil
	}
	// USING / NATURAL: equality on each named column, and the merged
	// columns come first in the output.
	var conds []Expr
	type pair struct{ l, r int }
	var pairs []pair
	for _, name := range using {
		li, ri := -1, -1
		for i, c := range ls.cols {
			if c.name == name && !c.qualifiedOnly {
				if li >= 0 {
					return nil, nil, types.Errorf(types.CodeAmbiguousColumn, "common column name %q appears more than once in left table", name)
				}
				li = i
			}
		}
		for i, c := range rs.cols {
			if c.name == name && !c.qualifiedOnly {
				if ri >= 0 {
					return nil, nil, types.Errorf(types.CodeAmbiguousColumn, "common column name %q appears more than once in right table", name)
				}
				ri = i
			}
		}
		if li < 0 {
			return nil, nil, types.Errorf(types.CodeUndefinedColumn, "column %q specified in USING clause does not exist in left table", name)
		}
		if ri < 0 {
			return nil, nil, types.Errorf(types.CodeUndefinedColumn, "column %q specified in USING clause does not exist in right table", name)
		}
		eq, err := b.bindOperator("=", &ColRef{Idx: li, Typ: ls.cols[li].typ}, &ColRef{Idx: lw + ri, Typ: rs.cols[ri].typ}, -1)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		pairs = append(pairs, pair{li, lw + ri})
	}
	jn, _ := b.joinNodes(kind, l, ls, r, rs, andOf(conds), outer)
	out := &scope{parent: outer, tables: combined.tables, correlated: combined.correlated || ls.correlated || rs.correlated}
	var exprs []Expr
	var cols types.Schema
	for k, p := range pairs {
		lt, rt := combined.cols[p.l].typ, combined.cols[p.r].typ
		var e Expr
		t := lt
		switch kind {
		case RightJoin:
			e, t = &ColRef{Idx: p.r, Typ: rt}, rt
		case FullJoin:
			ct, err := b.commonType([]Expr{&ColRef{Idx: p.l, Typ: lt}, &ColRef{Idx: p.r, Typ: rt}}, "JOIN/USING", -1)
			if err != nil {
				return nil, nil, err
			}
			le, _ := b.coerce(&ColRef{Idx: p.l, Typ: lt}, ct, builtins.CastImplicit, -1)
			re, _ := b.coerce(&ColRef{Idx: p.r, Typ: rt}, ct, builtins.CastImplicit, -1)
			e, t = &Coalesce{Args: []Expr{le, re}, Typ: ct}, ct
		default:
			e = &ColRef{Idx: p.l, Typ: lt}
		}
		exprs = append(exprs, e)
		cols = append(cols, types.Column{Name: using[k], Type: t})
		alias := ""
		if je.JoinUsingAlias != nil {
			alias = je.JoinUsingAlias.Aliasname
		}
		out.cols = append(out.cols, scopeCol{table: alias, name: using[k], typ: t})
	}
	isUsing := func(i int) bool {
		for _, p := range pairs {
			if p.l == i || p.r == i {
				return true
			}
		}
		return false
	}
	for i, c := range combined.cols {
		exprs = append(exprs, &ColRef{Idx: i, Typ: c.typ})
		cols = append(cols, types.Column{Name: c.name, Type: c.typ, Hidden: c.hidden || isUsing(i), TableOID: c.tableOID, AttrNum: c.attNum})
		sc := c
		if isUsing(i) {
			sc.hidden, sc.qualifiedOnly = true, true
		}
		out.cols = append(out.cols, sc)
	}
	if je.Alias != nil {
		return nil, nil, unsupported("aliases on JOIN ... USING")
	}
	return &Project{Input: jn, Exprs: exprs, Cols: cols}, out, nil
}

func (b *Binder) bindRangeFunction(rf *pg_query.RangeFunction, outer *scope) (Node, *scope, error) {
	if n, sc, ok, err := b.bindWindowTVF(rf, outer); ok { // TUMBLE/HOP: bind_window_tvf.go
		return n, sc, err
	}
	if rf.Lateral {
		return nil, nil, unsupported("LATERAL")
	}
	if len(rf.Functions) != 1 || rf.IsRowsfrom {
		return nil, nil, unsupported("ROWS FROM with several functions")
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, nil, unsupported("this FROM function form")
	}
	fc := items[0].GetFuncCall()
	name, err := funcName(fc.Funcname)
	if err != nil {
		return nil, nil, b.errAt(err, fc.Location)
	}
	empty := &scope{parent: outer}
	args := make([]Expr, len(fc.Args))
	argTypes := make([]*types.T, len(fc.Args))
	for i, a := range fc.Args {
		e, err := b.bindExpr(empty, a, exprCtx{clause: "functions in FROM"})
		if err != nil {
			return nil, nil, err
		}
		args[i], argTypes[i] = e, e.Type()
	}
	ov, err := builtins.ResolveFunction(name, argTypes)
	if err != nil {
		return nil, nil, b.errAt(err, fc.Location)
	}
	bound, err := b.applyOverload(ov, args, fc.Location)
	if err != nil {
		return nil, nil, err
	}
	f := bound.(*Func)
	alias := name
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
	}
	var node Node
	var cols types.Schema
	if ov.SetReturning {
		cols = srfColumns(ov, name, f.Typ)
		fs := &FuncScan{Fn: ov, Args: f.Args, WithOrdinality: rf.Ordinality}
		if rf.Ordinality {
			cols = append(append(types.Schema{}, cols...), types.Column{Name: "ordinality", Type: types.Int8})
		}
		fs.Cols = cols
		node = fs
	} else {
		cols = types.Schema{{Name: name, Type: f.Typ}}
		node = &Values{Rows: [][]Expr{{f}}, Cols: cols}
		if rf.Ordinality {
			return nil, nil, unsupported("WITH ORDINALITY on a scalar function")
		}
	}
	if len(cols) == 1 || (rf.Ordinality && len(cols) == 2) {
		// A single-column function's column is named after the alias.
		if rf.Alias != nil {
			cols[0].Name = alias
		}
	}
	sc := scopeFromSchema(alias, cols)
	sc.parent = outer
	// A function argument that names an outer column makes this query
	// level correlated.
	sc.correlated = empty.correlated
	if rf.Alias != nil {
		if err := applyColAliases(sc, rf.Alias); err != nil {
			return nil, nil, err
		}
	}
	return node, sc, nil
}

// qualifiedName formats schema.name for messages.
func qualifiedName(schema, name string) string {
	if schema == "" {
		return name
	}
	return fmt.Sprintf("%s.%s", schema, strings.ToLower(name))
}

// checkDuplicateAliases refuses two FROM items with the same name at one
// query level.
func checkDuplicateAliases(l, r *scope) error {
	for _, a := range l.tables {
		for _, b := range r.tables {
			if a != "" && a == b {
				return types.Errorf(types.CodeDuplicateAlias, "table name %q specified more than once", a)
			}
		}
	}
	return nil
}

// bindLateralFunction binds a set-returning function in FROM whose
// arguments reference earlier FROM items. ok is false when the arguments
// reference none of them (a plain cross join then applies).
func (b *Binder) bindLateralFunction(rf *pg_query.RangeFunction, left Node, ls *scope, outer *scope) (Node, *scope, bool, error) {
	if len(rf.Functions) != 1 || rf.IsRowsfrom || isWindowTVF(rf) {
		return nil, nil, false, nil
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, nil, false, nil
	}
	fc := items[0].GetFuncCall()
	name, err := funcName(fc.Funcname)
	if err != nil {
		return nil, nil, false, b.errAt(err, fc.Location)
	}
	args := make([]Expr, len(fc.Args))
	argTypes := make([]*types.T, len(fc.Args))
	usesLeft := false
	for i, a := range fc.Args {
		e, err := b.bindExpr(ls, a, exprCtx{clause: "functions in FROM"})
		if err != nil {
			return nil, nil, false, err
		}
		if lo, _, _ := colRange(e); lo >= 0 {
			usesLeft = true
		}
		args[i], argTypes[i] = e, e.Type()
	}
	if !usesLeft {
		return nil, nil, false, nil
	}
	ov, err := builtins.ResolveFunction(name, argTypes)
	if err != nil {
		return nil, nil, false, b.errAt(err, fc.Location)
	}
	if !ov.SetReturning {
		return nil, nil, false, b.errAt(unsupported("a scalar function in FROM that references other FROM items"), fc.Location)
	}
	bound, err := b.applyOverload(ov, args, fc.Location)
	if err != nil {
		return nil, nil, false, err
	}
	f := bound.(*Func)
	alias := name
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
	}
	cols := srfColumns(ov, name, f.Typ)
	if rf.Ordinality {
		cols = append(append(types.Schema{}, cols...), types.Column{Name: "ordinality", Type: types.Int8})
	}
	if len(cols) == 1 && rf.Alias != nil {
		cols[0].Name = alias
	}
	fs := &FuncScan{Fn: ov, Args: f.Args, WithOrdinality: rf.Ordinality, Cols: cols}
	ps := &ProjectSet{Input: left, SRFs: []*FuncScan{fs}}
	ps.Cols = append(append(ps.Cols, left.Columns()...), cols...)
	fsc := scopeFromSchema(alias, cols)
	if rf.Alias != nil {
		if err := applyColAliases(fsc, rf.Alias); err != nil {
			return nil, nil, false, err
		}
	}
	if err := checkDuplicateAliases(ls, fsc); err != nil {
		return nil, nil, false, err
	}
	sc := &scope{parent: outer, correlated: ls.correlated}
	sc.cols = append(append(sc.cols, ls.cols...), fsc.cols...)
	sc.tables = append(append(sc.tables, ls.tables...), fsc.tables...)
	return ps, sc, true, nil
}
