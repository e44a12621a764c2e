package server

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

func (sess *session) explain(ctx context.Context, st parser.Statement, es *pg_query.ExplainStmt, paramTypes []*types.T, w pgwire.ResultWriter, simple bool) error {
	for _, o := range es.Options {
		if d := o.GetDefElem(); d != nil && d.Defname == "analyze" {
			return types.Unsupported("EXPLAIN ANALYZE")
		}
	}
	b := sess.binder(st, paramTypes)
	var lines []string
	q := es.Query
	switch {
	case q.GetSelectStmt() != nil:
		node, err := b.BindSelect(q)
		if err != nil {
			return err
		}
		lines = planner.Explain(node)
	case q.GetInsertStmt() != nil:
		p, err := b.BindInsert(q.GetInsertStmt())
		if err != nil {
			return err
		}
		lines = append([]string{"Insert on " + p.Target.Ref.Name}, indent(planner.Explain(p.Source))...)
	case q.GetUpdateStmt() != nil:
		p, err := b.BindUpdate(q.GetUpdateStmt())
		if err != nil {
			return err
		}
		lines = append([]string{"Update on " + p.Target.Ref.Name}, indent(planner.Explain(p.Source))...)
	case q.GetDeleteStmt() != nil:
		p, err := b.BindDelete(q.GetDeleteStmt())
		if err != nil {
			return err
		}
		lines = append([]string{"Delete on " + p.Target.Ref.Name}, indent(planner.Explain(p.Source))...)
	case q.GetCreateTableAsStmt() != nil && q.GetCreateTableAsStmt().Objtype == pg_query.ObjectType_OBJECT_MATVIEW:
		var err error
		if lines, err = sess.explainMaterializedView(st, q.GetCreateTableAsStmt()); err != nil {
			return err
		}
	default:
		return types.Unsupported("EXPLAIN of this statement")
	}
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return err
	}
	if simple {
		if err := w.Columns(types.Schema{{Name: "QUERY PLAN", Type: types.Text}}); err != nil {
			return err
		}
	}
	for _, l := range lines {
		if err := w.Row(types.Row{types.DString(l)}); err != nil {
			return err
		}
	}
	return w.Complete("EXPLAIN")
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}
