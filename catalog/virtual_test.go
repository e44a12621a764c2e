package catalog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// testInput has a table with a primary key, an index, a CHECK, a dropped
// column and comments; a table without a primary key (hidden row id); a
// view; a materialized view with options; an owned sequence; and a sink.
func testInput() *VirtualInput {
	t1 := &Descriptor{
		OID: 16384, Kind: KindTable, Namespace: "public", Name: "orders", Owner: "streamdb",
		Columns: []Column{
			{Name: "id", TypeOid: types.OidInt8, Typmod: -1, AttNum: 1},
			{Name: "customer", TypeOid: types.OidVarchar, Typmod: 24, AttNum: 2, Default: "'anon'::character varying", Comment: "who"},
			{Name: "old", TypeOid: types.OidInt4, Typmod: -1, AttNum: 3, Dropped: true},
			{Name: "price", TypeOid: types.OidNumeric, Typmod: (10<<16 | 2) + 4, AttNum: 4, NotNull: true},
			{Name: "tags", TypeOid: types.OidTextArray, Typmod: -1, AttNum: 5},
			{Name: "placed", TypeOid: types.OidTimestampTZ, Typmod: -1, AttNum: 6},
		},
		PrimaryKey: []int{0}, PKName: "orders_pkey", PKOID: 16385,
		Checks:  []Check{{Name: "orders_price_check", Expr: "price > 0", OID: 16387}},
		Indexes: []Index{{OID: 16386, Name: "orders_customer_idx", Columns: []int{1}, Def: "CREATE INDEX orders_customer_idx ON public.orders USING btree (customer)"}},
		Comment: "all orders",
	}
	t2 := &Descriptor{
		OID: 16390, Kind: KindTable, Namespace: "public", Name: "events",
		Columns: []Column{
			{Name: "payload", TypeOid: types.OidJSONB, Typmod: -1, AttNum: 1},
			{Name: "_row_id", TypeOid: types.OidInt8, Typmod: -1, AttNum: 2, Hidden: true},
		},
	}
	view := &Descriptor{
		OID: 16391, Kind: KindView, Namespace: "public", Name: "big_orders",
		Columns:   []Column{{Name: "id", TypeOid: types.OidInt8, Typmod: -1, AttNum: 1}},
		Query:     " SELECT id FROM orders WHERE price > 100;",
		DependsOn: []uint32{16384},
	}
	mv := &Descriptor{
		OID: 16392, Kind: KindMaterializedView, Namespace: "public", Name: "totals",
		Columns: []Column{{Name: "customer", TypeOid: types.OidVarchar, Typmod: -1, AttNum: 1},
			{Name: "total", TypeOid: types.OidNumeric, Typmod: -1, AttNum: 2}},
		Query:   " SELECT customer, sum(price) AS total FROM orders GROUP BY customer;",
		Options: map[string]string{"ttl": "1 day", "max_parallelism": "128"},
	}
	seq := &Descriptor{
		OID: 16393, Kind: KindSequence, Namespace: "public", Name: "orders_id_seq",
		Columns: []Column{{Name: "last_value", TypeOid: types.OidInt8, Typmod: -1, AttNum: 1}},
		OwnedBy: 16384, OwnedByCol: 1,
	}
	sink := &Descriptor{OID: 16394, Kind: KindSink, Namespace: "public", Name: "out", Owner: "streamdb",
		Query:   "SELECT * FROM public.totals",
		Options: map[string]string{"connector": "kafka", "topic": "t", "streamdb.input_oid": "16392"}}
	return &VirtualInput{
		Relations:  []*Descriptor{t1, t2, view, mv, seq, sink},
		Namespaces: []NamespaceInfo{{OID: NamespacePublic, Name: "public", Owner: "streamdb"}},
		Roles:      []RoleInfo{{OID: 10, Name: "streamdb", Superuser: true, Login: true}, {OID: 16400, Name: "reader", Login: true}},
		Database:   "streamdb",
		User:       "streamdb",
		Settings: []SettingInfo{
			{Name: "DateStyle", Setting: "ISO, MDY", Category: "Client Connection Defaults", ShortDesc: "Sets the display format for date and time values.", Context: "user", Vartype: "string", Source: "default"},
			{Name: "work_mem", Setting: "4096", Unit: "kB", Category: "Resource Usage / Memory", Context: "user", Vartype: "integer", Source: "default", MinVal: "64", MaxVal: "2147483647"},
		},
		Functions: []FunctionInfo{
			{OID: 1, Name: "lower", Namespace: NamespacePgCatalog, ArgTypes: []uint32{types.OidText}, RetType: types.OidText, Kind: 'f', Volatility: 'i', Strict: true},
			{OID: 2, Name: "count", ArgTypes: []uint32{types.OidAny}, RetType: types.OidInt8, Kind: 'a'},
			{OID: 3, Name: "generate_series", ArgTypes: []uint32{types.OidInt4, types.OidInt4}, RetType: types.OidInt4, RetSet: true},
		},
		Activity: []ActivityInfo{{PID: 42, User: "streamdb", AppName: "psql", ClientAddr: "127.0.0.1", ClientPort: 50000, State: "active", Query: "SELECT 1", BackendStart: time.Unix(1700000000, 0)}},
		PreparedStatements: []PreparedStatementInfo{
			{Name: "s1", Statement: "SELECT $1", ParamTypes: []uint32{types.OidInt4}, ResultTypes: []uint32{types.OidInt4}},
		},
		Cursors: []CursorInfo{{Name: "c", Statement: "DECLARE c CURSOR FOR SELECT 1"}},
		Now:     time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC),
	}
}

func checkDatum(t *types.T, d types.Datum) error {
	if d.IsNull() {
		return nil
	}
	if want := datumKind(t); d.K != want {
		return fmt.Errorf("kind %d, want %d for type %s", d.K, want, t)
	}
	if t.Oid == types.OidChar && len(d.Str()) > 1 {
		return fmt.Errorf(`"char" value %q longer than one byte`, d.Str())
	}
	if t.Family == types.ArrayFamily {
		a, ok := d.P.(*types.Array)
		if !ok {
			return fmt.Errorf("array datum holds %T", d.P)
		}
		n := 1
		for _, dim := range a.Dims {
			n *= dim
		}
		if len(a.Dims) == 0 {
			n = 0
		}
		if n != len(a.Elems) {
			return fmt.Errorf("array dims %v but %d elements", a.Dims, len(a.Elems))
		}
		for _, e := range a.Elems {
			if err := checkDatum(t.Elem, e); err != nil {
				return fmt.Errorf("element: %w", err)
			}
		}
	}
	return nil
}

// TestVirtualShapes generates every table and checks that each row has one
// datum per column, of the column type's kind.
func TestVirtualShapes(t *testing.T) {
	in := testInput()
	names := VirtualTableNames()
	if len(names) < 60 {
		t.Fatalf("only %d virtual tables", len(names))
	}
	for _, name := range names {
		schema, ok := VirtualTableSchema(name)
		if !ok {
			t.Fatalf("%s: no schema", name)
		}
		seen := map[string]bool{}
		for _, c := range schema {
			if seen[c.Name] {
				t.Errorf("%s: duplicate column %s", name, c.Name)
			}
			seen[c.Name] = true
			if datumKind(c.Type) == types.KNull {
				t.Errorf("%s.%s: type %s has no datum kind", name, c.Name, c.Type)
			}
		}
		rows, err := GenerateVirtual(name, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, r := range rows {
			if len(r) != len(schema) {
				t.Fatalf("%s row %d: %d datums, want %d", name, i, len(r), len(schema))
			}
			for j, d := range r {
				if err := checkDatum(schema[j].Type, d); err != nil {
					t.Errorf("%s row %d column %s: %v", name, i, schema[j].Name, err)
				}
			}
		}
		// An empty input must work too.
		if _, err := GenerateVirtual(name, &VirtualInput{}); err != nil {
			t.Fatalf("%s on empty input: %v", name, err)
		}
	}
}

// table is a generated table with lookup by column name.
type table struct {
	t      *testing.T
	name   string
	schema types.Schema
	rows   []types.Row
}

func gen(t *testing.T, in *VirtualInput, name string) *table {
	t.Helper()
	schema, ok := VirtualTableSchema(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	rows, err := GenerateVirtual(name, in)
	if err != nil {
		t.Fatal(err)
	}
	return &table{t: t, name: name, schema: schema, rows: rows}
}

func (tb *table) col(name string) int {
	for i, c := range tb.schema {
		if c.Name == name {
			return i
		}
	}
	tb.t.Fatalf("%s has no column %s", tb.name, name)
	return -1
}

// where returns the rows whose column col renders as val.
func (tb *table) where(col, val string) []types.Row {
	i := tb.col(col)
	var out []types.Row
	for _, r := range tb.rows {
		if render(r[i]) == val {
			out = append(out, r)
		}
	}
	return out
}

// one returns the single row whose column col renders as val.
func (tb *table) one(col, val string) rowOf {
	tb.t.Helper()
	rs := tb.where(col, val)
	if len(rs) != 1 {
		tb.t.Fatalf("%s: %d rows with %s = %s, want 1", tb.name, len(rs), col, val)
	}
	return rowOf{tb, rs[0]}
}

type rowOf struct {
	tb *table
	r  types.Row
}

// get renders one column of the row.
func (r rowOf) get(col string) string { return render(r.r[r.tb.col(col)]) }

func (r rowOf) expect(pairs ...string) {
	r.tb.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if got := r.get(pairs[i]); got != pairs[i+1] {
			r.tb.t.Errorf("%s.%s = %q, want %q", r.tb.name, pairs[i], got, pairs[i+1])
		}
	}
}

// render prints a datum compactly for assertions.
func render(d types.Datum) string {
	switch d.K {
	case types.KNull:
		return "NULL"
	case types.KBool:
		if d.Bool() {
			return "t"
		}
		return "f"
	case types.KInt:
		return fmt.Sprint(d.Int())
	case types.KFloat:
		return fmt.Sprint(d.Float())
	case types.KString:
		return d.Str()
	case types.KArray:
		a := d.Array()
		parts := make([]string, len(a.Elems))
		for i, e := range a.Elems {
			parts[i] = render(e)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprintf("<%d:%d>", d.K, d.I)
}

func TestPgClass(t *testing.T) {
	in := testInput()
	c := gen(t, in, "pg_catalog.pg_class")
	c.one("relname", "orders").expect("oid", "16384", "relkind", "r", "relnamespace", "2200",
		"relhasindex", "t", "relnatts", "6", "relchecks", "1", "relam", "2", "relowner", "10",
		"relpersistence", "p", "relreplident", "d", "reltuples", "-1")
	c.one("relname", "orders_pkey").expect("oid", "16385", "relkind", "i", "relam", "403", "relnatts", "1")
	c.one("relname", "orders_customer_idx").expect("oid", "16386", "relkind", "i")
	c.one("relname", "events").expect("relnatts", "1", "relhasindex", "f")
	c.one("relname", "big_orders").expect("relkind", "v", "relam", "0")
	c.one("relname", "totals").expect("relkind", "m", "reloptions", "{max_parallelism=128,ttl=1 day}")
	c.one("relname", "orders_id_seq").expect("relkind", "S")
	if rs := c.where("relname", "out"); len(rs) != 0 {
		t.Errorf("sink listed in pg_class")
	}
	c.one("relname", "pg_class").expect("oid", "1259", "relkind", "r", "relnamespace", "11")
	c.one("relname", "pg_roles").expect("relkind", "v", "relnamespace", "11")
	c.one("relname", "columns").expect("oid", "13003", "relkind", "v", "relnamespace", "13000")
	c.one("relname", "checkpoints").expect("relkind", "v", "relnamespace", "13100")

	oids := map[string]bool{}
	for _, r := range c.rows {
		o := render(r[c.col("oid")])
		if oids[o] {
			t.Errorf("pg_class oid %s repeated", o)
		}
		oids[o] = true
	}
}

func TestPgAttribute(t *testing.T) {
	in := testInput()
	a := gen(t, in, "pg_catalog.pg_attribute")
	var orders []rowOf
	for _, r := range a.where("attrelid", "16384") {
		orders = append(orders, rowOf{a, r})
	}
	if len(orders) != 6 {
		t.Fatalf("orders has %d attributes, want 6", len(orders))
	}
	orders[0].expect("attname", "id", "atttypid", "20", "attnum", "1", "attnotnull", "t", "attlen", "8", "attbyval", "t")
	orders[1].expect("attname", "customer", "atttypmod", "24", "atthasdef", "t", "attcollation", "100")
	orders[2].expect("attname", "........pg.dropped.3........", "atttypid", "0", "attisdropped", "t")
	orders[3].expect("attname", "price", "attnotnull", "t", "attlen", "-1")
	orders[4].expect("attname", "tags", "attndims", "1", "atttypid", "1009")
	if n := len(a.where("attrelid", "16390")); n != 1 {
		t.Errorf("events has %d attributes, want 1 (row id hidden)", n)
	}
	a.one("attrelid", "16385").expect("attname", "id", "attnum", "1")
	if n := len(a.where("attrelid", "1259")); n != 33 {
		t.Errorf("pg_class has %d attributes, want 33", n)
	}
}

func TestPgIndexAndConstraints(t *testing.T) {
	in := testInput()
	ix := gen(t, in, "pg_catalog.pg_index")
	ix.one("indexrelid", "16385").expect("indrelid", "16384", "indisprimary", "t", "indisunique", "t", "indkey", "{1}", "indisvalid", "t")
	ix.one("indexrelid", "16386").expect("indisprimary", "f", "indisunique", "f", "indkey", "{2}", "indcollation", "{100}")

	con := gen(t, in, "pg_catalog.pg_constraint")
	con.one("conname", "orders_pkey").expect("oid", "16385", "contype", "p", "conrelid", "16384", "conindid", "16385", "conkey", "{1}", "connamespace", "2200")
	con.one("conname", "orders_price_check").expect("contype", "c", "conbin", "price > 0", "conparentid", "0")

	if def, ok := ConstraintDefinition(in, 16385); !ok || def != "PRIMARY KEY (id)" {
		t.Errorf("pk def = %q %v", def, ok)
	}
	if def, _ := ConstraintDefinition(in, 16387); def != "CHECK ((price > 0))" {
		t.Errorf("check def = %q", def)
	}
	if def, _ := IndexDefinition(in, 16385, 0); def != "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)" {
		t.Errorf("pk index def = %q", def)
	}
	if def, _ := IndexDefinition(in, 16386, 1); def != "customer" {
		t.Errorf("index column = %q", def)
	}
	if def, _ := ViewDefinition(in, 16391); !strings.Contains(def, "price > 100") {
		t.Errorf("view def = %q", def)
	}

	ad := gen(t, in, "pg_catalog.pg_attrdef")
	ad.one("adrelid", "16384").expect("adnum", "2", "adbin", "'anon'::character varying")

	desc := gen(t, in, "pg_catalog.pg_description")
	desc.one("objsubid", "0").expect("objoid", "16384", "classoid", "1259", "description", "all orders")
	desc.one("objsubid", "2").expect("description", "who")

	dep := gen(t, in, "pg_catalog.pg_depend")
	dep.one("objid", "16393").expect("refobjid", "16384", "refobjsubid", "1", "deptype", "a")
}

func TestPgViewsAndMisc(t *testing.T) {
	in := testInput()
	gen(t, in, "pg_catalog.pg_tables").one("tablename", "orders").expect("schemaname", "public", "tableowner", "streamdb", "hasindexes", "t")
	gen(t, in, "pg_catalog.pg_views").one("viewname", "big_orders").expect("definition", " SELECT id FROM orders WHERE price > 100;")
	gen(t, in, "pg_catalog.pg_matviews").one("matviewname", "totals").expect("ispopulated", "t", "hasindexes", "f")
	gen(t, in, "pg_catalog.pg_indexes").one("indexname", "orders_pkey").expect("indexdef", "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)")
	gen(t, in, "pg_catalog.pg_database").one("datname", "streamdb").expect("oid", "5", "encoding", "6", "datcollate", "C.UTF-8", "datconnlimit", "-1")
	gen(t, in, "pg_catalog.pg_roles").one("rolname", "reader").expect("oid", "16400", "rolsuper", "f", "rolcanlogin", "t", "rolpassword", "********")
	gen(t, in, "pg_catalog.pg_namespace").one("nspname", "information_schema").expect("oid", "13000")
	gen(t, in, "pg_catalog.pg_settings").one("name", "work_mem").expect("unit", "kB", "min_val", "64", "reset_val", "4096")
	gen(t, in, "pg_catalog.pg_proc").one("proname", "generate_series").expect("proretset", "t", "prorows", "1000", "proargtypes", "{23,23}", "prokind", "f")
	gen(t, in, "pg_catalog.pg_sequence").one("seqrelid", "16393").expect("seqstart", "1", "seqmax", "9223372036854775807")
	gen(t, in, "pg_catalog.pg_stat_activity").one("pid", "42").expect("usename", "streamdb", "client_addr", "127.0.0.1", "backend_type", "client backend", "datid", "5")
	gen(t, in, "pg_catalog.pg_collation").one("oid", "100").expect("collname", "default")
	gen(t, in, "pg_catalog.pg_tablespace").one("oid", "1663").expect("spcname", "pg_default")

	ty := gen(t, in, "pg_catalog.pg_type")
	ty.one("typname", "int4").expect("oid", "23", "typlen", "4", "typbyval", "t", "typarray", "1007", "typcategory", "N", "typtype", "b", "typalign", "i")
	ty.one("typname", "_int4").expect("typelem", "23", "typcategory", "A", "typlen", "-1", "typsubscript", "6179")
	ty.one("typname", "text").expect("typispreferred", "t", "typcollation", "100")
	ty.one("typname", "record").expect("typtype", "p")
}

func TestInformationSchema(t *testing.T) {
	in := testInput()
	tabs := gen(t, in, "information_schema.tables")
	tabs.one("table_name", "orders").expect("table_type", "BASE TABLE", "table_catalog", "streamdb", "is_insertable_into", "YES")
	tabs.one("table_name", "big_orders").expect("table_type", "VIEW", "is_insertable_into", "NO")
	if n := len(tabs.where("table_name", "totals")); n != 0 {
		t.Errorf("materialized view listed in information_schema.tables")
	}

	cl := gen(t, in, "information_schema.columns")
	var orders []rowOf
	for _, r := range cl.where("table_name", "orders") {
		orders = append(orders, rowOf{cl, r})
	}
	if len(orders) != 5 {
		t.Fatalf("orders has %d columns in information_schema, want 5", len(orders))
	}
	orders[0].expect("column_name", "id", "ordinal_position", "1", "is_nullable", "NO", "data_type", "bigint", "numeric_precision", "64", "udt_name", "int8")
	orders[1].expect("column_name", "customer", "data_type", "character varying", "character_maximum_length", "20", "character_octet_length", "80", "column_default", "'anon'::character varying", "is_nullable", "YES")
	orders[2].expect("column_name", "price", "ordinal_position", "4", "numeric_precision", "10", "numeric_scale", "2", "numeric_precision_radix", "10")
	orders[3].expect("column_name", "tags", "data_type", "ARRAY", "udt_name", "_text")
	orders[4].expect("data_type", "timestamp with time zone", "datetime_precision", "6", "is_generated", "NEVER", "dtd_identifier", "6")

	tc := gen(t, in, "information_schema.table_constraints")
	tc.one("constraint_name", "orders_pkey").expect("constraint_type", "PRIMARY KEY", "nulls_distinct", "NULL")
	tc.one("constraint_name", "2200_16384_1_not_null").expect("constraint_type", "CHECK")
	gen(t, in, "information_schema.check_constraints").one("constraint_name", "orders_price_check").expect("check_clause", "((price > 0))")
	gen(t, in, "information_schema.key_column_usage").one("constraint_name", "orders_pkey").expect("column_name", "id", "ordinal_position", "1")
	gen(t, in, "information_schema.views").one("table_name", "big_orders").expect("check_option", "NONE")
	gen(t, in, "information_schema.sequences").one("sequence_name", "orders_id_seq").expect("data_type", "bigint", "start_value", "1")
	gen(t, in, "information_schema.schemata").one("schema_name", "public").expect("schema_owner", "streamdb")
	gen(t, in, "information_schema.element_types").one("object_name", "orders").expect("data_type", "text", "collection_type_identifier", "5", "udt_name", "text")
	gen(t, in, "information_schema.view_table_usage").one("view_name", "big_orders").expect("table_name", "orders")
	par := gen(t, in, "information_schema.parameters")
	if n := len(par.where("specific_name", "generate_series_3")); n != 2 {
		t.Errorf("generate_series has %d parameters, want 2", n)
	}
	gen(t, in, "information_schema.routines").one("routine_name", "lower").expect("data_type", "text", "routine_type", "FUNCTION", "is_deterministic", "YES")
}

func TestVirtualLookups(t *testing.T) {
	if _, ok := VirtualTableSchema("pg_catalog.nope"); ok {
		t.Error("unknown table has a schema")
	}
	if _, err := GenerateVirtual("pg_catalog.nope", &VirtualInput{}); err == nil {
		t.Error("unknown table generated")
	}
	if oid, ok := VirtualTableOID("pg_catalog.pg_namespace"); !ok || oid != 2615 {
		t.Errorf("pg_namespace oid %d", oid)
	}
	s, _ := VirtualTableSchema("information_schema.routines")
	if len(s) != 82 {
		t.Errorf("routines has %d columns, want 82", len(s))
	}
	s, _ = VirtualTableSchema("information_schema.columns")
	if len(s) != 44 {
		t.Errorf("columns has %d columns, want 44", len(s))
	}
	s, _ = VirtualTableSchema("streamdb.sources")
	if s[4].Name != "offset" {
		t.Errorf("streamdb.sources column 5 is %q", s[4].Name)
	}
	if got := quoteIdent("Order"); got != `"Order"` {
		t.Errorf("quoteIdent = %s", got)
	}
	if got := quoteIdent("user"); got != `"user"` {
		t.Errorf("quoteIdent = %s", got)
	}
}

func TestRuntimeRows(t *testing.T) {
	in := &VirtualInput{RuntimeRows: map[string][]types.Row{
		"streamdb.storage": {
			{types.DInt(1 << 20), types.DFloat(0.9), types.DInt(0), types.DInt(1), types.DInt(0),
				types.DInt(0), types.DInt(0), types.DInt(0), types.Null, types.DInt(3),
				types.DInt(0), types.DInt(64 << 20), types.DInt(5), types.DInt(1), types.DInt(0), types.DInt(2)},
			{types.DString("malformed")},
		},
	}}
	rows, err := GenerateVirtual("streamdb.storage", in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][9].Int() != 3 {
		t.Errorf("storage rows = %v", rows)
	}
}

func BenchmarkGenerateVirtual(b *testing.B) {
	in := testInput()
	for _, name := range []string{"pg_catalog.pg_type", "pg_catalog.pg_class", "pg_catalog.pg_attribute", "information_schema.columns"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := GenerateVirtual(name, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSinksAndOptions(t *testing.T) {
	in := testInput()
	in.Relations = append(in.Relations, &Descriptor{OID: 16395, Kind: KindMaterializedView, Namespace: "public", Name: "discard",
		Query: " SELECT 1;", Options: map[string]string{"sink.connector": "blackhole", "bound_names": "[]", "search_path": "public"}})
	sinks := gen(t, in, "streamdb.sinks")
	sinks.one("sink_name", "out").expect("connector", "kafka", "definition", "SELECT * FROM public.totals", "options", "{connector=kafka,topic=t}", "owner", "streamdb")
	sinks.one("sink_name", "discard").expect("connector", "blackhole", "options", "{sink.connector=blackhole}")
	// The server's bookkeeping options are not shown as reloptions.
	gen(t, in, "pg_catalog.pg_class").one("relname", "discard").expect("reloptions", "{sink.connector=blackhole}")
	settings := gen(t, in, "pg_catalog.pg_settings")
	settings.one("name", "max_index_keys").expect("setting", "32", "context", "internal")
	settings.one("name", "max_identifier_length").expect("setting", "63")
}
