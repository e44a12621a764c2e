package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// refersTo reports whether a query names relation name anywhere.
func refersTo(q *pg_query.Node, name string) bool {
	found := false
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if found {
			return
		}
		if rv, ok := m.Interface().(*pg_query.RangeVar); ok && rv.Schemaname == "" && rv.Relname == name {
			found = true
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					walk(l.Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return !found
		})
	}
	walk(q.ProtoReflect())
	return found
}

// bindRecursiveCTE binds "name AS (base UNION [ALL] recursive)": the
// recursive term reads the rows of the previous step through a work table.
func (b *Binder) bindRecursiveCTE(cte *pg_query.CommonTableExpr, outer *scope) error {
	sel := cte.Ctequery.GetSelectStmt()
	if sel.Op != pg_query.SetOperation_SETOP_UNION || sel.Larg == nil || sel.Rarg == nil {
		return b.errAt(types.Errorf(types.CodeInvalidRecursion, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", cte.Ctename), cte.Location)
	}
	if len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil {
		return b.errAt(unsupported("ORDER BY/LIMIT in a recursive query"), cte.Location)
	}
	base, err := b.bindSelectStmt(sel.Larg, outer)
	if err != nil {
		return err
	}
	vis := visibleCols(base.cols)
	cols := make(types.Schema, len(vis))
	for i, c := range vis {
		cols[i] = types.Column{Name: base.cols[c].Name, Type: base.cols[c].Type}
		if cols[i].Type.Family == types.UnknownFamily {
			cols[i].Type = types.Text
		}
	}
	names := nameList(cte.Aliascolnames)
	if len(names) > len(cols) {
		return b.errAt(types.Errorf(types.CodeInvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", cte.Ctename, len(cols), len(names)), cte.Location)
	}
	for i, n := range names {
		cols[i].Name = n
	}
	baseNode := project(base.node, base.cols, vis, cols, b)
	work := &WorkTable{Name: cte.Ctename}
	saved := b.ctes
	b.ctes = &cteScope{name: cte.Ctename, plan: &WorkTableScan{Work: work, Cols: cols}, cols: cols, parent: saved}
	rec, err := b.bindSelectStmt(sel.Rarg, outer)
	b.ctes = saved
	if err != nil {
		return err
	}
	rvis := visibleCols(rec.cols)
	if len(rvis) != len(cols) {
		return b.errAt(types.Errorf(types.CodeSyntaxError, "each UNION query must have the same number of columns"), cte.Location)
	}
	exprs := make([]Expr, len(cols))
	for i, c := range rvis {
		e, err := b.coerce(&ColRef{Idx: c, Typ: rec.cols[c].Type}, cols[i].Type, builtins.CastImplicit, cte.Location)
		if err != nil {
			return b.errAt(types.Errorf(types.CodeDatatypeMismatch, "recursive query %q column %d has type %s in non-recursive term but type %s overall", cte.Ctename, i+1, cols[i].Type.String(), rec.cols[c].Type.String()), cte.Location)
		}
		exprs[i] = e
	}
	recNode := Node(&Project{Input: rec.node, Exprs: exprs, Cols: cols})
	ru := &RecursiveUnion{Base: baseNode, Recursive: recNode, Distinct: !sel.All, Work: work, Cols: cols}
	b.ctes = &cteScope{name: cte.Ctename, plan: ru, cols: cols, parent: saved}
	return nil
}

// project narrows a node to the given visible columns with the given
// output types.
func project(n Node, have types.Schema, vis []int, want types.Schema, b *Binder) Node {
	p := &Project{Input: n, Cols: want}
	for i, c := range vis {
		e, err := b.coerce(&ColRef{Idx: c, Typ: have[c].Type}, want[i].Type, builtins.CastImplicit, -1)
		if err != nil {
			e = &ColRef{Idx: c, Typ: have[c].Type}
		}
		p.Exprs = append(p.Exprs, e)
	}
	return p
}
