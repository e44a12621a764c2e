package builtins

import (
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

type fakeSession struct{ settings map[string]string }

func (s *fakeSession) User() string         { return "alice" }
func (s *fakeSession) Database() string     { return "db1" }
func (s *fakeSession) SearchPath() []string { return []string{"$user", "public"} }
func (s *fakeSession) BackendPID() int32    { return 4242 }
func (s *fakeSession) Setting(n string) (string, bool) {
	v, ok := s.settings[n]
	return v, ok
}
func (s *fakeSession) SetSetting(n, v string, _ bool) error {
	s.settings[n] = v
	return nil
}

// fakeCatalog knows one table "t" (OID 16384) with one sequence.
type fakeCatalog struct{ seq int64 }

func (c *fakeCatalog) RelationOID(name string) (uint32, error) {
	if name == "t" || name == "public.t" || name == "s" {
		return map[string]uint32{"t": 16384, "public.t": 16384, "s": 16390}[name], nil
	}
	return 0, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
}
func (c *fakeCatalog) RelationName(oid uint32) (string, bool) {
	if oid == 16384 {
		return "t", true
	}
	return "", false
}
func (c *fakeCatalog) TypeOID(name string) (uint32, error) {
	return 0, types.Errorf(types.CodeUndefinedObject, "type \"%s\" does not exist", name)
}
func (c *fakeCatalog) NamespaceOID(name string) (uint32, error) { return 2200, nil }
func (c *fakeCatalog) NamespaceName(oid uint32) (string, bool)  { return "public", oid == 2200 }
func (c *fakeCatalog) TableIsVisible(oid uint32) bool           { return oid == 16384 }
func (c *fakeCatalog) IndexDef(oid uint32) (string, bool) {
	return "CREATE INDEX i ON public.t USING btree (a)", oid == 16385
}
func (c *fakeCatalog) ViewDef(oid uint32) (string, bool)       { return " SELECT 1;", true }
func (c *fakeCatalog) ConstraintDef(oid uint32) (string, bool) { return "PRIMARY KEY (a)", true }
func (c *fakeCatalog) Comment(oid uint32, attnum int32) (string, bool) {
	if attnum == 1 {
		return "column a", true
	}
	return "table t", oid == 16384
}
func (c *fakeCatalog) RoleName(oid uint32) (string, bool) { return "alice", oid == 10 }
func (c *fakeCatalog) ExprDef(rel uint32, attnum int32) (string, bool) {
	return "nextval('s'::regclass)", attnum == 1
}

// HasPrivilege of the fake: role bob may SELECT table t (by name or OID);
// OID 99999 does not exist; a NULL role is the current user, alice.
func (c *fakeCatalog) HasPrivilege(req PrivilegeRequest) (bool, bool, error) {
	if req.Object.K == types.KInt && req.Object.I == 99999 {
		return false, false, nil
	}
	isT := req.Object.S == "t" || req.Object.I == 16384
	return req.Role.S == "bob" && isT && strings.EqualFold(req.Privileges, "select"), true, nil
}
func (c *fakeCatalog) NextVal(oid uint32) (int64, error) {
	if oid != 16390 {
		return 0, errors.New("not a sequence")
	}
	c.seq++
	return c.seq, nil
}
func (c *fakeCatalog) CurrVal(oid uint32) (int64, error) { return c.seq, nil }
func (c *fakeCatalog) SetVal(oid uint32, v int64, called bool) (int64, error) {
	c.seq = v
	return v, nil
}

func TestSessionAndCatalogFunctions(t *testing.T) {
	ctx := testCtx()
	ctx.Session = &fakeSession{settings: map[string]string{"server_version": "16.3", "application_name": "psql"}}
	ctx.Catalog = &fakeCatalog{}
	cases := []evalCase{
		{"current_user", nil, "alice"},
		{"current_database", nil, "db1"},
		{"current_schema", nil, "public"},
		{"current_schemas", []string{"bool:true"}, "{pg_catalog,public}"},
		{"current_schemas", []string{"bool:false"}, "{public}"},
		{"pg_backend_pid", nil, "4242"},
		{"version", nil, "PostgreSQL 16.3 (streamdb) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"},
		{"current_setting", []string{"text:application_name"}, "psql"},
		{"set_config", []string{"text:application_name", "text:x", "bool:false"}, "x"},
		{"current_setting", []string{"text:application_name"}, "x"},
		{"pg_table_is_visible", []string{"oid:16384"}, "t"},
		{"pg_get_indexdef", []string{"oid:16385"}, "CREATE INDEX i ON public.t USING btree (a)"},
		{"pg_get_indexdef", []string{"oid:16385", "int4:1", "bool:false"}, "a"},
		{"pg_get_indexdef", []string{"oid:16385", "int4:2", "bool:false"}, ""},
		{"pg_get_indexdef", []string{"oid:16385", "int4:0", "bool:false"}, "CREATE INDEX i ON public.t USING btree (a)"},
		{"pg_get_indexdef", []string{"oid:16384", "int4:0", "bool:true"}, "NULL"},
		{"obj_description", []string{"oid:16384", "unknown:pg_class"}, "table t"},
		{"col_description", []string{"oid:16384", "int4:1"}, "column a"},
		{"pg_get_userbyid", []string{"oid:10"}, "alice"},
		{"has_table_privilege", []string{"text:bob", "text:t", "text:SELECT"}, "t"},
		{"has_table_privilege", []string{"text:bob", "oid:16384", "text:select"}, "t"},
		{"has_table_privilege", []string{"text:bob", "text:t", "text:insert"}, "f"},
		{"has_table_privilege", []string{"text:t", "text:select"}, "f"},
		{"has_table_privilege", []string{"oid:99999", "text:select"}, "NULL"},
		{"pg_get_userbyid", []string{"oid:11"}, "unknown (OID=11)"},
		{"pg_get_expr", []string{"text:1", "oid:16384"}, "nextval('s'::regclass)"},
		{"cast:regclass", []string{"text:t"}, "t"},
		{"cast:regclass", []string{"text:nosuch"}, `ERROR 42P01: relation "nosuch" does not exist`},
		{"cast:text", []string{"regclass:16384"}, "t"},
		{"cast:regnamespace", []string{"text:public"}, "public"},
		{"to_regclass", []string{"text:nosuch"}, "NULL"},
		{"nextval", []string{"unknown:s"}, "1"},
		{"nextval", []string{"unknown:s"}, "2"},
		{"currval", []string{"unknown:s"}, "2"},
		{"setval", []string{"unknown:s", "int8:10"}, "10"},
		{"nextval", []string{"unknown:s"}, "11"},
		{"nextval", []string{"unknown:t"}, "ERROR XX000: not a sequence"},
	}
	for _, c := range cases {
		if got := evalCall(t, ctx, c.name, c.args...); got != c.want {
			t.Errorf("%s(%v) = %q, want %q", c.name, c.args, got, c.want)
		}
	}
}

func TestIndexDefHelpers(t *testing.T) {
	def := `CREATE UNIQUE INDEX "x.y" ON "my.schema".t USING btree (a, "B, c", lower(d))`
	for k, want := range []string{"", "a", `"B, c"`, "lower(d)", ""} {
		if got := indexDefColumn(def, k); got != want {
			t.Errorf("column %d: %q, want %q", k, got, want)
		}
	}
	if got, want := unqualifyIndexTable(def), `CREATE UNIQUE INDEX "x.y" ON t USING btree (a, "B, c", lower(d))`; got != want {
		t.Errorf("unqualified: %q, want %q", got, want)
	}
}
