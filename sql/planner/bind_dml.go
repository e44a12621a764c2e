package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// DMLTarget is the table a write statement changes, with what the executor
// needs to keep its constraints.
type DMLTarget struct {
	Desc *catalog.Descriptor
	Ref  TableRef
	// Checks are the table's CHECK constraints over the physical row.
	Checks     []Expr
	CheckNames []string
}

// Returning is a RETURNING list over the new (or, for DELETE, old)
// physical row.
type Returning struct {
	Exprs []Expr
	Cols  types.Schema
}

// InsertPlan inserts the rows of Source (physical rows: one value per slot;
// the hidden row id slot is NULL and assigned when written).
type InsertPlan struct {
	Target     DMLTarget
	Source     Node
	OnConflict *OnConflictPlan
	Returning  *Returning
}

// OnConflictPlan handles rows whose primary key exists already.
type OnConflictPlan struct {
	DoNothing bool
	// Set computes the updated physical row from the existing row followed
	// by the proposed (EXCLUDED) row.
	Set   []Expr
	Where Expr
}

// UpdatePlan updates each row of Source (rows start with the old physical
// row; UPDATE ... FROM appends the other tables' columns).
type UpdatePlan struct {
	Target    DMLTarget
	Source    Node
	Set       []Expr // the new physical row
	Returning *Returning
}

// DeletePlan deletes each row of Source (rows start with the physical row).
type DeletePlan struct {
	Target    DMLTarget
	Source    Node
	Returning *Returning
}

// physicalScope exposes every slot of a table by position (dropped slots
// cannot be named).
func physicalScope(desc *catalog.Descriptor, alias string) *scope {
	s := &scope{tables: []string{alias}}
	for i := range desc.Columns {
		c := &desc.Columns[i]
		name := c.Name
		if c.Dropped {
			name = ""
		}
		s.cols = append(s.cols, scopeCol{table: alias, name: name, typ: c.Type(), hidden: c.Hidden || c.Dropped, tableOID: desc.OID, attNum: c.AttNum})
	}
	return s
}

func physicalScan(desc *catalog.Descriptor) *Scan {
	s := &Scan{Table: TableRefOf(desc)}
	for i := range desc.Columns {
		c := &desc.Columns[i]
		s.Phys = append(s.Phys, i)
		s.Cols = append(s.Cols, types.Column{Name: c.Name, Type: c.Type(), Hidden: c.Hidden || c.Dropped})
	}
	return s
}

func (b *Binder) target(rv *pg_query.RangeVar) (DMLTarget, error) {
	desc, err := b.cat.ResolveRelation(rv.Relname, rv.Schemaname, b.searchPath)
	if err != nil {
		if b.virtualScan(rv.Schemaname, rv.Relname) != nil {
			return DMLTarget{}, b.errAt(types.Errorf(types.CodeInsufficientPrivilege, "permission denied for table %s", rv.Relname), rv.Location)
		}
		return DMLTarget{}, b.errAt(err, rv.Location)
	}
	if desc.Kind != catalog.KindTable {
		return DMLTarget{}, b.errAt(types.Errorf(types.CodeWrongObjectType, "cannot change %s %q", kindName(desc.Kind), desc.Name), rv.Location)
	}
	t := DMLTarget{Desc: desc, Ref: TableRefOf(desc)}
	ps := physicalScope(desc, desc.Name)
	for _, c := range desc.Checks {
		e, err := b.bindStoredExpr(c.Expr, ps)
		if err != nil {
			return DMLTarget{}, err
		}
		t.Checks = append(t.Checks, e)
		t.CheckNames = append(t.CheckNames, c.Name)
	}
	return t, nil
}

// bindStoredExpr binds an expression stored as SQL text (defaults, CHECK
// constraints) over scope s.
func (b *Binder) bindStoredExpr(sql string, s *scope) (Expr, error) {
	stmts, err := parser.Parse("SELECT " + sql)
	if err != nil || len(stmts) != 1 {
		return nil, types.Errorf(types.CodeDataCorrupted, "invalid stored expression %q", sql)
	}
	sel := stmts[0].AST.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return nil, types.Errorf(types.CodeDataCorrupted, "invalid stored expression %q", sql)
	}
	sub := &Binder{cat: b.cat, searchPath: b.searchPath, sql: "SELECT " + sql}
	return sub.bindExpr(s, sel.TargetList[0].GetResTarget().Val, exprCtx{clause: "a stored expression"})
}

// BindStoredExpr binds a stored expression over a table's physical row
// (for DDL: validating defaults and CHECKs, computing ADD COLUMN defaults).
func BindStoredExpr(cat Catalog, searchPath []string, desc *catalog.Descriptor, sql string) (Expr, error) {
	b := &Binder{cat: cat, searchPath: searchPath}
	s := &scope{}
	if desc != nil {
		s = physicalScope(desc, desc.Name)
	}
	return b.bindStoredExpr(sql, s)
}

// defaultExpr returns the expression filling slot i when no value is
// given: its DEFAULT (cast to the column type), else NULL.
func (b *Binder) defaultExpr(desc *catalog.Descriptor, i int) (Expr, error) {
	c := &desc.Columns[i]
	t := c.Type()
	if c.Default == "" || c.Dropped || c.Hidden {
		return &Const{Typ: t}, nil
	}
	e, err := b.bindStoredExpr(c.Default, &scope{})
	if err != nil {
		return nil, err
	}
	return b.coerce(e, t, builtins.CastAssignment, -1)
}

func (b *Binder) targetColumns(desc *catalog.Descriptor, cols []*pg_query.Node) ([]int, error) {
	var slots []int
	if len(cols) == 0 {
		for i := range desc.Columns {
			if !desc.Columns[i].Dropped && !desc.Columns[i].Hidden {
				slots = append(slots, i)
			}
		}
		return slots, nil
	}
	seen := map[int]bool{}
	for _, n := range cols {
		rt := n.GetResTarget()
		if len(rt.Indirection) > 0 {
			return nil, b.errAt(unsupported("assignment to array elements or fields"), rt.Location)
		}
		slot := findColumn(desc, rt.Name)
		if slot < 0 {
			return nil, b.errAt(types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", rt.Name, desc.Name), rt.Location)
		}
		if seen[slot] {
			return nil, b.errAt(types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", rt.Name), rt.Location)
		}
		seen[slot] = true
		slots = append(slots, slot)
	}
	return slots, nil
}

func findColumn(desc *catalog.Descriptor, name string) int {
	for i := range desc.Columns {
		c := &desc.Columns[i]
		if !c.Dropped && !c.Hidden && c.Name == name {
			return i
		}
	}
	return -1
}

// BindInsert binds an INSERT statement.
func (b *Binder) BindInsert(ins *pg_query.InsertStmt) (*InsertPlan, error) {
	if ins.WithClause != nil {
		saved := b.ctes
		defer func() { b.ctes = saved }()
		if err := b.bindWith(ins.WithClause, nil); err != nil {
			return nil, err
		}
	}
	tgt, err := b.target(ins.Relation)
	if err != nil {
		return nil, err
	}
	desc := tgt.Desc
	b.noteAccess(desc.OID, desc.Name, AccessInsert)
	if ins.OnConflictClause != nil && ins.OnConflictClause.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
		b.noteAccess(desc.OID, desc.Name, AccessUpdate)
	}
	slots, err := b.targetColumns(desc, ins.Cols)
	if err != nil {
		return nil, err
	}
	for _, s := range slots {
		if desc.Columns[s].Identity == "a" && ins.Override != pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE {
			return nil, types.Errorf("428C9", "cannot insert a non-DEFAULT value into column %q", desc.Columns[s].Name)
		}
	}
	plan := &InsertPlan{Target: tgt}
	physCols := make(types.Schema, len(desc.Columns))
	for i := range desc.Columns {
		physCols[i] = types.Column{Name: desc.Columns[i].Name, Type: desc.Columns[i].Type()}
	}
	defaults := make([]Expr, len(desc.Columns))
	for i := range desc.Columns {
		if defaults[i], err = b.defaultExpr(desc, i); err != nil {
			return nil, err
		}
	}
	target := make(map[int]int, len(slots)) // slot -> position in the source
	for k, s := range slots {
		target[s] = k
	}
	assign := func(e Expr, slot int) (Expr, error) {
		c := &desc.Columns[slot]
		out, err := b.coerce(e, c.Type(), builtins.CastAssignment, -1)
		if err != nil && types.Code(err) == types.CodeDatatypeMismatch {
			return nil, types.WithPosition(types.Errorf(types.CodeDatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, c.Type().String(), e.Type().String()), types.Position(err))
		}
		return out, err
	}
	sel := ins.SelectStmt.GetSelectStmt()
	// Without a column list, fewer values than columns fill the leading
	// columns (the rest take their defaults).
	if len(ins.Cols) == 0 && sel != nil {
		width := -1
		if len(sel.ValuesLists) > 0 && sel.Op == pg_query.SetOperation_SETOP_NONE {
			width = len(sel.ValuesLists[0].GetList().GetItems())
		}
		if width >= 0 && width < len(slots) {
			slots = slots[:width]
			target = make(map[int]int, len(slots))
			for k, s := range slots {
				target[s] = k
			}
		}
	}
	switch {
	case ins.SelectStmt == nil:
		// INSERT ... DEFAULT VALUES
		plan.Source = &Values{Rows: [][]Expr{defaults}, Cols: physCols}
	case sel != nil && len(sel.ValuesLists) > 0 && sel.Op == pg_query.SetOperation_SETOP_NONE && len(sel.SortClause) == 0 && sel.LimitCount == nil && sel.WithClause == nil:
		rows := make([][]Expr, 0, len(sel.ValuesLists))
		for _, l := range sel.ValuesLists {
			items := l.GetList().GetItems()
			if len(items) > len(slots) {
				return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more expressions than target columns")
			}
			if len(items) < len(slots) {
				return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more target columns than expressions")
			}
			row := append([]Expr{}, defaults...)
			for k, it := range items {
				slot := slots[k]
				if it.GetSetToDefault() != nil {
					continue
				}
				e, err := b.bindExpr(&scope{}, it, exprCtx{clause: "VALUES"})
				if err != nil {
					return nil, err
				}
				if row[slot], err = assign(e, slot); err != nil {
					return nil, b.errAt(err, exprLocation(it))
				}
			}
			rows = append(rows, row)
		}
		plan.Source = &Values{Rows: rows, Cols: physCols}
	default:
		q, err := b.bindQuery(ins.SelectStmt, nil)
		if err != nil {
			return nil, err
		}
		vis := visibleCols(q.cols)
		if len(ins.Cols) == 0 && len(vis) < len(slots) {
			slots = slots[:len(vis)]
			target = make(map[int]int, len(slots))
			for k, s := range slots {
				target[s] = k
			}
		}
		if len(vis) > len(slots) {
			return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		if len(vis) < len(slots) {
			return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more target columns than expressions")
		}
		p := &Project{Input: q.node, Cols: physCols}
		for i := range desc.Columns {
			if k, ok := target[i]; ok {
				e, err := assign(&ColRef{Idx: vis[k], Typ: q.cols[vis[k]].Type}, i)
				if err != nil {
					return nil, err
				}
				p.Exprs = append(p.Exprs, e)
			} else {
				p.Exprs = append(p.Exprs, defaults[i])
			}
		}
		plan.Source = p
	}
	if oc := ins.OnConflictClause; oc != nil {
		if plan.OnConflict, err = b.bindOnConflict(tgt, oc); err != nil {
			return nil, err
		}
	}
	if len(ins.ReturningList) > 0 {
		if plan.Returning, err = b.bindReturning(desc, physicalScope(desc, aliasOf(ins.Relation)), ins.ReturningList); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func aliasOf(rv *pg_query.RangeVar) string {
	if rv.Alias != nil {
		return rv.Alias.Aliasname
	}
	return rv.Relname
}

func exprLocation(n *pg_query.Node) int32 {
	switch {
	case n.GetAConst() != nil:
		return n.GetAConst().Location
	case n.GetColumnRef() != nil:
		return n.GetColumnRef().Location
	case n.GetTypeCast() != nil:
		return n.GetTypeCast().Location
	case n.GetFuncCall() != nil:
		return n.GetFuncCall().Location
	case n.GetAExpr() != nil:
		return n.GetAExpr().Location
	case n.GetParamRef() != nil:
		return n.GetParamRef().Location
	}
	return -1
}

func (b *Binder) bindOnConflict(tgt DMLTarget, oc *pg_query.OnConflictClause) (*OnConflictPlan, error) {
	desc := tgt.Desc
	if oc.Infer != nil {
		if oc.Infer.Conname != "" {
			if oc.Infer.Conname != desc.PKName {
				return nil, unsupported("ON CONFLICT ON CONSTRAINT other than the primary key")
			}
		} else {
			var cols []int
			for _, el := range oc.Infer.IndexElems {
				ie := el.GetIndexElem()
				if ie == nil || ie.Name == "" {
					return nil, unsupported("ON CONFLICT on expressions")
				}
				s := findColumn(desc, ie.Name)
				if s < 0 {
					return nil, types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", ie.Name)
				}
				cols = append(cols, s)
			}
			if !sameSet(cols, desc.PrimaryKey) {
				return nil, types.Errorf(types.CodeInvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
			}
		}
	} else if oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
		return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name"), oc.Location)
	}
	if len(desc.PrimaryKey) == 0 {
		return nil, types.Errorf(types.CodeInvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
	}
	plan := &OnConflictPlan{DoNothing: oc.Action == pg_query.OnConflictAction_ONCONFLICT_NOTHING}
	if plan.DoNothing {
		return plan, nil
	}
	s := physicalScope(desc, desc.Name)
	ex := physicalScope(desc, "excluded")
	s.cols = append(s.cols, ex.cols...)
	s.tables = append(s.tables, "excluded")
	set, err := b.bindSetList(desc, s, oc.TargetList)
	if err != nil {
		return nil, err
	}
	plan.Set = set
	if oc.WhereClause != nil {
		w, err := b.bindExpr(s, oc.WhereClause, exprCtx{clause: "WHERE"})
		if err != nil {
			return nil, err
		}
		if plan.Where, err = b.coerceBool(w, "argument of WHERE", -1); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

// bindSetList binds SET col = expr, ... into a full new physical row whose
// unset slots keep the old values (the first len(desc.Columns) columns of
// scope s).
func (b *Binder) bindSetList(desc *catalog.Descriptor, s *scope, list []*pg_query.Node) ([]Expr, error) {
	set := make([]Expr, len(desc.Columns))
	for i := range desc.Columns {
		set[i] = &ColRef{Idx: i, Typ: desc.Columns[i].Type()}
	}
	assigned := map[int]bool{}
	for _, n := range list {
		rt := n.GetResTarget()
		if len(rt.Indirection) > 0 {
			return nil, b.errAt(unsupported("assignment to array elements or fields"), rt.Location)
		}
		if rt.Val.GetMultiAssignRef() != nil {
			return nil, b.errAt(unsupported("multiple-column assignment"), rt.Location)
		}
		slot := findColumn(desc, rt.Name)
		if slot < 0 {
			return nil, b.errAt(types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", rt.Name, desc.Name), rt.Location)
		}
		if assigned[slot] {
			return nil, b.errAt(types.Errorf(types.CodeSyntaxError, "multiple assignments to same column %q", rt.Name), rt.Location)
		}
		assigned[slot] = true
		c := &desc.Columns[slot]
		var e Expr
		var err error
		if rt.Val.GetSetToDefault() != nil {
			e, err = b.defaultExpr(desc, slot)
		} else {
			e, err = b.bindExpr(s, rt.Val, exprCtx{clause: "UPDATE"})
		}
		if err != nil {
			return nil, err
		}
		if c.Identity == "a" && rt.Val.GetSetToDefault() == nil {
			return nil, b.errAt(types.Errorf("428C9", "column %q can only be updated to DEFAULT", c.Name), rt.Location)
		}
		ce, err := b.coerce(e, c.Type(), builtins.CastAssignment, rt.Location)
		if err != nil {
			if types.Code(err) == types.CodeDatatypeMismatch {
				return nil, b.errAt(types.Errorf(types.CodeDatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, c.Type().String(), e.Type().String()), rt.Location)
			}
			return nil, err
		}
		set[slot] = ce
	}
	return set, nil
}

func (b *Binder) bindReturning(desc *catalog.Descriptor, s *scope, list []*pg_query.Node) (*Returning, error) {
	r := &Returning{}
	for _, n := range list {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			for i, c := range s.cols {
				if c.hidden || i >= len(desc.Columns) {
					continue
				}
				r.Exprs = append(r.Exprs, &ColRef{Idx: i, Typ: c.typ})
				r.Cols = append(r.Cols, types.Column{Name: c.name, Type: c.typ, TableOID: desc.OID, AttrNum: c.attNum})
			}
			continue
		}
		e, err := b.bindExpr(s, rt.Val, exprCtx{clause: "RETURNING"})
		if err != nil {
			return nil, err
		}
		if e.Type().Family == types.UnknownFamily {
			if e, err = b.coerce(e, types.Text, builtins.CastImplicit, -1); err != nil {
				return nil, err
			}
		}
		name := rt.Name
		if name == "" {
			name = deriveName(rt.Val)
		}
		r.Exprs = append(r.Exprs, e)
		r.Cols = append(r.Cols, types.Column{Name: name, Type: e.Type()})
	}
	return r, nil
}

// sourceFor binds the rows an UPDATE or DELETE touches: the table's
// physical rows (joined with FROM/USING items), filtered by WHERE.
func (b *Binder) sourceFor(desc *catalog.Descriptor, rv *pg_query.RangeVar, from []*pg_query.Node, where *pg_query.Node) (Node, *scope, error) {
	var node Node = physicalScan(desc)
	s := physicalScope(desc, aliasOf(rv))
	if len(from) > 0 {
		fn, fs, err := b.bindFrom(from, nil)
		if err != nil {
			return nil, nil, err
		}
		node, s = b.joinNodes(InnerJoin, node, s, fn, fs, nil, nil)
	}
	if where != nil {
		w, err := b.bindExpr(s, where, exprCtx{clause: "WHERE"})
		if err != nil {
			return nil, nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE", -1); err != nil {
			return nil, nil, err
		}
		node = pushFilter(node, w)
	}
	return node, s, nil
}

// BindUpdate binds an UPDATE statement.
func (b *Binder) BindUpdate(up *pg_query.UpdateStmt) (*UpdatePlan, error) {
	if up.WithClause != nil {
		saved := b.ctes
		defer func() { b.ctes = saved }()
		if err := b.bindWith(up.WithClause, nil); err != nil {
			return nil, err
		}
	}
	tgt, err := b.target(up.Relation)
	if err != nil {
		return nil, err
	}
	b.noteAccess(tgt.Desc.OID, tgt.Desc.Name, AccessUpdate)
	if up.WhereClause != nil || len(up.FromClause) > 0 {
		b.noteAccess(tgt.Desc.OID, tgt.Desc.Name, AccessSelect)
	}
	src, s, err := b.sourceFor(tgt.Desc, up.Relation, up.FromClause, up.WhereClause)
	if err != nil {
		return nil, err
	}
	set, err := b.bindSetList(tgt.Desc, s, up.TargetList)
	if err != nil {
		return nil, err
	}
	plan := &UpdatePlan{Target: tgt, Source: src, Set: set}
	if len(up.ReturningList) > 0 {
		if plan.Returning, err = b.bindReturning(tgt.Desc, physicalScope(tgt.Desc, aliasOf(up.Relation)), up.ReturningList); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// BindDelete binds a DELETE statement.
func (b *Binder) BindDelete(del *pg_query.DeleteStmt) (*DeletePlan, error) {
	if del.WithClause != nil {
		saved := b.ctes
		defer func() { b.ctes = saved }()
		if err := b.bindWith(del.WithClause, nil); err != nil {
			return nil, err
		}
	}
	tgt, err := b.target(del.Relation)
	if err != nil {
		return nil, err
	}
	b.noteAccess(tgt.Desc.OID, tgt.Desc.Name, AccessDelete)
	if del.WhereClause != nil || len(del.UsingClause) > 0 {
		b.noteAccess(tgt.Desc.OID, tgt.Desc.Name, AccessSelect)
	}
	src, _, err := b.sourceFor(tgt.Desc, del.Relation, del.UsingClause, del.WhereClause)
	if err != nil {
		return nil, err
	}
	plan := &DeletePlan{Target: tgt, Source: src}
	if len(del.ReturningList) > 0 {
		if plan.Returning, err = b.bindReturning(tgt.Desc, physicalScope(tgt.Desc, aliasOf(del.Relation)), del.ReturningList); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

var _ = fmt.Sprint

// CoerceForDefault converts a bound default expression to its column's
// type with assignment rules.
func (b *Binder) CoerceForDefault(e Expr, t *types.T) (Expr, error) {
	return b.coerce(e, t, builtins.CastAssignment, -1)
}
