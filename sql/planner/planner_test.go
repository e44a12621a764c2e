package planner

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// fakeCatalog serves a fixed set of tables (a unit-test stand-in for the
// persisted catalog).
type fakeCatalog struct {
	rels map[string]*catalog.Descriptor
}

func (f *fakeCatalog) ResolveRelation(name, schema string, searchPath []string) (*catalog.Descriptor, error) {
	if d, ok := f.rels[name]; ok && (schema == "" || schema == d.Namespace) {
		return d, nil
	}
	return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
}

func col(name string, t *types.T, attnum int16) catalog.Column {
	return catalog.Column{Name: name, TypeOid: t.Oid, Typmod: t.Typmod, AttNum: attnum}
}

func testCatalog() *fakeCatalog {
	return &fakeCatalog{rels: map[string]*catalog.Descriptor{
		"t": {OID: 20000, Kind: catalog.KindTable, Namespace: "public", Name: "t", PrimaryKey: []int{0},
			Columns: []catalog.Column{col("a", types.Int4, 1), col("b", types.Text, 2), col("c", types.Int8, 3)}},
		"u": {OID: 20001, Kind: catalog.KindTable, Namespace: "public", Name: "u",
			Columns: []catalog.Column{col("a", types.Int4, 1), col("d", types.Numeric, 2), {Name: "_row_id", TypeOid: types.OidInt8, Typmod: -1, Hidden: true, AttNum: 3}}},
		"v": {OID: 20002, Kind: catalog.KindView, Namespace: "public", Name: "v", Query: "SELECT a, b FROM t WHERE c > 0",
			Columns: []catalog.Column{col("a", types.Int4, 1), col("b", types.Text, 2)}},
	}}
}

// TestPlanner binds SQL and prints the plan (or the error with its
// SQLSTATE). Commands: "plan" prints the plan tree and the output columns;
// "error" expects a failure.
func TestPlanner(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			stmts, err := parser.Parse(d.Input)
			if err != nil {
				return "parse error: " + err.Error()
			}
			b := NewBinder(testCatalog(), []string{"public"}, d.Input, nil)
			var out []string
			var node Node
			switch n := stmts[0].AST; {
			case n.GetSelectStmt() != nil:
				node, err = b.BindSelect(n)
			case n.GetInsertStmt() != nil:
				var p *InsertPlan
				if p, err = b.BindInsert(n.GetInsertStmt()); err == nil {
					out = append(out, "Insert "+p.Target.Ref.Name)
					node = p.Source
				}
			case n.GetUpdateStmt() != nil:
				var p *UpdatePlan
				if p, err = b.BindUpdate(n.GetUpdateStmt()); err == nil {
					out = append(out, "Update "+p.Target.Ref.Name)
					node = p.Source
				}
			case n.GetDeleteStmt() != nil:
				var p *DeletePlan
				if p, err = b.BindDelete(n.GetDeleteStmt()); err == nil {
					out = append(out, "Delete "+p.Target.Ref.Name)
					node = p.Source
				}
			}
			if err != nil {
				pos := ""
				if p := types.Position(err); p > 0 {
					pos = " at " + itoa(p)
				}
				return "error " + types.Code(err) + pos + ": " + err.Error() + "\n"
			}
			if d.Cmd == "error" {
				t.Fatalf("%s: expected an error", d.Pos)
			}
			out = append(out, Explain(node)...)
			var cols []string
			for _, c := range node.Columns() {
				if !c.Hidden {
					cols = append(cols, c.Name+" "+c.Type.String())
				}
			}
			out = append(out, "columns: "+strings.Join(cols, ", "))
			if pt := b.ParamTypes(); len(pt) > 0 {
				var ps []string
				for _, p := range pt {
					ps = append(ps, p.String())
				}
				out = append(out, "params: "+strings.Join(ps, ", "))
			}
			return strings.Join(out, "\n") + "\n"
		})
	})
}
