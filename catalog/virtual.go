package catalog

// System catalogs: the rows of pg_catalog, information_schema and streamdb
// tables, generated on demand from a VirtualInput (a snapshot of the live
// catalog and session that the server fills in). They are independent of the
// persisted Catalog so that the binder, the executor and tests can use them
// with any set of descriptors.
//
// Column names, order and types follow Postgres 16 for every column listed.
// Postgres types we do not have are mapped to what a client can read the
// same way: aclitem[] -> text[] (always NULL), pg_node_tree -> text (we keep
// the SQL text there, so pg_get_expr(adbin, adrelid) returns it unchanged),
// xid -> oid, inet and pg_lsn -> text. information_schema domains are sent
// as their base types, as Postgres does on the wire: sql_identifier -> name,
// cardinal_number -> integer, character_data and yes_or_no -> varchar,
// time_stamp -> timestamptz.
//
// OIDs: user objects use their Descriptor OIDs (>= FirstUserOID). The system
// tables keep their Postgres OIDs where tools hard-code them (pg_class is
// 1259, pg_namespace 2615, ...); the others get fixed OIDs in 12000-13999
// (see the registry in pgcatalog.go, infoschema.go, virtual_streamdb.go).
// Never renumber them. The current database has OID DefaultDatabaseOID (5,
// the OID of "postgres" in a fresh Postgres 16 cluster) unless the input
// says otherwise; the bootstrap superuser has OID BootstrapSuperuserOID (10).
//
// What the binder must support for psql 15. testdata/psql15_describe_queries.sql
// has the exact text psql 15 sends for \l \dn \dt \dv \dm \di \ds \d \d NAME
// \d+ NAME (table, view, materialized view, index, sequence) \df \dx \du,
// captured with psql -E; the main ones are summarized below. Features used
// across these queries:
// `OPERATOR(pg_catalog.~)` regex with `'^(name)$' COLLATE pg_catalog.default`,
// `!~`, pg_catalog.pg_table_is_visible(oid), pg_catalog.pg_get_userbyid(oid),
// pg_catalog.format_type(oid, int4), pg_catalog.pg_get_expr(text, oid[, bool]),
// pg_catalog.pg_get_indexdef(oid, int, bool), pg_catalog.pg_get_constraintdef(oid, bool),
// pg_catalog.pg_get_viewdef(oid, bool), pg_catalog.col_description(oid, int),
// pg_catalog.obj_description(oid, name), pg_catalog.array_to_string,
// pg_catalog.pg_encoding_to_char(int), pg_catalog.pg_get_function_result(oid),
// pg_catalog.pg_get_function_arguments(oid), pg_catalog.pg_function_is_visible(oid),
// '16384' string literals compared to oid columns, ::pg_catalog.regclass /
// ::pg_catalog.regtype / ::pg_catalog.regnamespace casts printed as names,
// correlated scalar subqueries, LEFT JOINs, CASE, `= any(array)`, UNION,
// ARRAY(subquery), `c.reloptions || array(select ... from unnest(...))`,
// pg_catalog.quote_ident, pg_catalog.pg_relation_is_publishable(oid),
// pg_catalog.pg_get_statisticsobjdef_columns(oid), pg_catalog.pg_get_ruledef,
// pg_catalog.pg_partition_ancestors, 'pg_catalog.pg_class'::pg_catalog.regclass
// (a regclass literal naming a system table: use VirtualTableOID).
// pgJDBC's getPrimaryKeys/getIndexInfo also use information_schema._pg_expandarray
// and subscript int2vector columns from 0 (i.indoption[n - 1]): int2vector and
// oidvector have lower bound 0 in Postgres.
// The lookups in virtual_funcs.go (IndexDefinition, ConstraintDefinition,
// ViewDefinition, ...) implement the pg_get_* functions over a VirtualInput.
//
//	\l
//	  SELECT d.datname as "Name", pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
//	    pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
//	    d.datcollate as "Collate", d.datctype as "Ctype", d.daticulocale as "ICU Locale",
//	    CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
//	    pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
//	  FROM pg_catalog.pg_database d ORDER BY 1;
//
//	\dn
//	  SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
//	  FROM pg_catalog.pg_namespace n
//	  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1;
//
//	\dt (\dv \dm \di \ds change the relkind list; \d with no name uses 'r','p','v','m','S','f','')
//	  SELECT n.nspname as "Schema", c.relname as "Name",
//	    CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
//	      WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table'
//	      WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table'
//	      WHEN 'I' THEN 'partitioned index' END as "Type",
//	    pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
//	    -- \di adds: , c2.relname as "Table"
//	    -- \dt+ adds: , CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary'
//	    --   WHEN 'u' THEN 'unlogged' END as "Persistence", am.amname as "Access method",
//	    --   pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
//	    --   pg_catalog.obj_description(c.oid, 'pg_class') as "Description"
//	  FROM pg_catalog.pg_class c
//	    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
//	    LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam          -- with +
//	    -- \di: LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
//	    --      LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
//	  WHERE c.relkind IN ('r','p','')
//	    AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast'
//	    AND n.nspname <> 'information_schema'
//	    AND pg_catalog.pg_table_is_visible(c.oid)
//	  ORDER BY 1,2;
//
//	\d NAME (1) find the relation:
//	  SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
//	    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
//	  WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default
//	    AND pg_catalog.pg_table_is_visible(c.oid)
//	  ORDER BY 2, 3;
//	  -- with a schema: AND n.nspname OPERATOR(pg_catalog.~) '^(public)$' COLLATE pg_catalog.default
//	(2) the relation's flags:
//	  SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers,
//	    c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '',
//	    c.reltablespace,
//	    CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END,
//	    c.relpersistence, c.relreplident, am.amname
//	    -- \d+ puts pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x
//	    --   from pg_catalog.unnest(tc.reloptions) x), ', ') in place of ''
//	  FROM pg_catalog.pg_class c
//	    LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
//	    LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
//	  WHERE c.oid = '16384';
//	(3) the columns:
//	  SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
//	    (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
//	     WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
//	    a.attnotnull,
//	    (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
//	     WHERE c.oid = a.attcollation AND t.oid = a.atttypid
//	       AND a.attcollation <> t.typcollation) AS attcollation,
//	    a.attidentity, a.attgenerated
//	    -- for an index: , pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef
//	    -- for a sequence the columns come from pg_catalog.pg_sequence (see below)
//	    -- \d+ adds: , a.attstorage, a.attcompression AS attcompression,
//	    --   CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget,
//	    --   pg_catalog.col_description(a.attrelid, a.attnum)
//	  FROM pg_catalog.pg_attribute a
//	  WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped
//	  ORDER BY a.attnum;
//	(4) footers of a table (only when relhasindex, for the indexes):
//	  SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid,
//	    pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
//	    pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred,
//	    i.indisreplident, c2.reltablespace
//	  FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
//	    LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid
//	      AND contype IN ('p','u','x'))
//	  WHERE c.oid = '16384' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
//	  ORDER BY i.indisprimary DESC, c2.relname;
//	  -- checks (when relchecks > 0):
//	  SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
//	  FROM pg_catalog.pg_constraint r WHERE r.conrelid = '16384' AND r.contype = 'c' ORDER BY 1;
//	  -- foreign keys and "Referenced by":
//	  SELECT true as sametable, conname, pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
//	    conrelid::pg_catalog.regclass AS ontable
//	  FROM pg_catalog.pg_constraint r
//	  WHERE r.conrelid = '16384' AND r.contype = 'f' AND conparentid = 0 ORDER BY conname;
//	  SELECT conname, conrelid::pg_catalog.regclass AS ontable,
//	    pg_catalog.pg_get_constraintdef(oid, true) AS condef
//	  FROM pg_catalog.pg_constraint c
//	  WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('16384')
//	                      UNION ALL VALUES ('16384'::pg_catalog.regclass))
//	    AND contype = 'f' AND conparentid = 0 ORDER BY conname;
//	  -- row security policies (pg_policy), extended statistics:
//	  SELECT oid, stxrelid::pg_catalog.regclass,
//	    stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
//	    pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
//	    'd' = any(stxkind) AS ndist_enabled, 'f' = any(stxkind) AS deps_enabled,
//	    'm' = any(stxkind) AS mcv_enabled, stxstattarget
//	  FROM pg_catalog.pg_statistic_ext WHERE stxrelid = '16384' ORDER BY nsp, stxname;
//	  -- publications: pg_publication p JOIN pg_publication_namespace pn ON p.oid = pn.pnpubid
//	  --   ... UNION ... pg_publication_rel pr ... UNION ... WHERE p.puballtables
//	  --   AND pg_catalog.pg_relation_is_publishable('16384') ORDER BY 1;
//	  -- rules only when relhasrules, triggers only when relhastriggers (both false here);
//	  -- inheritance (always):
//	  SELECT c.oid::pg_catalog.regclass FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
//	  WHERE c.oid = i.inhparent AND i.inhrelid = '16384'
//	    AND c.relkind != 'p' AND c.relkind != 'I' ORDER BY inhseqno;
//	  SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending,
//	    pg_catalog.pg_get_expr(c.relpartbound, c.oid)
//	  FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
//	  WHERE c.oid = i.inhrelid AND i.inhparent = '16384'
//	  ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT',
//	    c.oid::pg_catalog.regclass::pg_catalog.text;
//	  -- a view (\d+ v) prints: SELECT pg_catalog.pg_get_viewdef('16384'::pg_catalog.oid, true);
//	  -- a sequence: SELECT pg_catalog.format_type(seqtypid, NULL) AS "Type", seqstart AS "Start",
//	  --   seqmin AS "Minimum", seqmax AS "Maximum", seqincrement AS "Increment",
//	  --   CASE WHEN seqcycle THEN 'yes' ELSE 'no' END AS "Cycles?", seqcache AS "Cache"
//	  --   FROM pg_catalog.pg_sequence WHERE seqrelid = '16384';
//	  -- and its owner: ... FROM pg_catalog.pg_class c INNER JOIN pg_catalog.pg_depend d
//	  --   ON c.oid=d.refobjid ... WHERE d.classid='pg_catalog.pg_class'::pg_catalog.regclass
//	  --   AND d.refclassid='pg_catalog.pg_class'::pg_catalog.regclass
//	  --   AND d.objid='16390' AND d.deptype IN ('a', 'i')
//
//	\df
//	  SELECT n.nspname as "Schema", p.proname as "Name",
//	    pg_catalog.pg_get_function_result(p.oid) as "Result data type",
//	    pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
//	    CASE p.prokind WHEN 'a' THEN 'agg' WHEN 'w' THEN 'window' WHEN 'p' THEN 'proc'
//	      ELSE 'func' END as "Type"
//	  FROM pg_catalog.pg_proc p LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
//	  WHERE pg_catalog.pg_function_is_visible(p.oid)
//	    AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'
//	  ORDER BY 1, 2, 4;

import (
	"sort"
	"strings"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// DefaultDatabaseOID is the pg_database.oid of the current database when
// VirtualInput.DatabaseOID is zero (5 is "postgres" in a fresh Postgres 16
// cluster; template1 is 1 and template0 4, which we do not list).
const DefaultDatabaseOID uint32 = 5

// BootstrapSuperuserOID is the role OID Postgres gives its bootstrap
// superuser; objects whose owner is unknown are owned by it.
const BootstrapSuperuserOID uint32 = 10

// OIDs of the system catalogs that other catalogs point at (classoid,
// refclassid), which clients compare with 'pg_catalog.pg_class'::regclass.
const (
	OIDPgClass      uint32 = 1259
	OIDPgConstraint uint32 = 2606
	OIDPgNamespace  uint32 = 2615
	OIDPgProc       uint32 = 1255
	OIDPgType       uint32 = 1247
	OIDPgDatabase   uint32 = 1262
	OIDPgAuthID     uint32 = 1260
)

// Access method OIDs (pg_am).
const (
	AmHeap  uint32 = 2
	AmBtree uint32 = 403
)

// Collation OIDs (pg_collation).
const (
	CollationDefault uint32 = 100
	CollationC       uint32 = 950
	CollationPOSIX   uint32 = 951
)

// VirtualInput is everything the generators read. The server fills it from
// the live catalog and the session; the generators never modify it.
type VirtualInput struct {
	// Relations are tables, views, materialized views, sequences, sources
	// and sinks; indexes are inside Descriptor.Indexes. Sinks have no
	// pg_class row (they are not relations a client can read).
	Relations []*Descriptor
	// Namespaces are the schemas. pg_catalog, public, information_schema,
	// streamdb and pg_toast are added when missing.
	Namespaces []NamespaceInfo
	// Roles are the roles; when empty, User is listed as the bootstrap
	// superuser (OID 10).
	Roles []RoleInfo
	// Database is the current database name ("streamdb").
	Database string
	// DatabaseOID is its pg_database.oid; zero means DefaultDatabaseOID.
	DatabaseOID uint32
	// User is the session user.
	User string
	// Settings are the rows of pg_settings.
	Settings []SettingInfo
	// Functions are the rows of pg_proc.
	Functions []FunctionInfo
	// Types are the rows of pg_type; nil means types.Builtins().
	Types []*types.T
	// Activity are the rows of pg_stat_activity.
	Activity []ActivityInfo
	// PreparedStatements and Cursors are the session's, for
	// pg_prepared_statements and pg_cursors.
	PreparedStatements []PreparedStatementInfo
	Cursors            []CursorInfo
	// Now is the statement time (pg_timezone_names offsets); zero means
	// time.Now().
	Now time.Time
	// RuntimeRows are the rows of the streamdb.* views, keyed by qualified
	// name ("streamdb.checkpoints"), supplied by the parts that own the
	// data (checkpointer, state store, sources). Each row must match
	// VirtualTableSchema; rows that do not are dropped rather than sent
	// malformed to a client.
	RuntimeRows map[string][]types.Row
	// Grants are the GRANTed privileges (grants.go), shown by
	// information_schema.table_privileges next to the owners' rights.
	Grants []Grant
}

// NamespaceInfo is one schema.
type NamespaceInfo struct {
	OID   uint32
	Name  string
	Owner string
}

// RoleInfo is one role.
type RoleInfo struct {
	OID              uint32
	Name             string
	Superuser, Login bool
	// PasswordVerifier is pg_authid.rolpassword (SCRAM), "" for NULL.
	PasswordVerifier string
}

// SettingInfo is one row of pg_settings. Unit is "" for none.
type SettingInfo struct {
	Name, Setting, Unit, Category, ShortDesc, Context, Vartype, Source string
	// EnumVals lists the allowed values of an enum setting.
	EnumVals []string
	// MinVal, MaxVal and BootVal are "" when unknown (BootVal then shows
	// Setting).
	MinVal, MaxVal, BootVal string
}

// FunctionInfo is one row of pg_proc.
type FunctionInfo struct {
	OID       uint32
	Name      string
	Namespace uint32
	ArgTypes  []uint32
	RetType   uint32
	// Kind is pg_proc.prokind: 'f' function, 'a' aggregate, 'w' window.
	Kind   byte
	RetSet bool
	// Volatility is 'i', 's' or 'v'; zero means 'v'.
	Volatility byte
	// Strict means the function returns NULL on any NULL argument.
	Strict bool
	// Variadic is the element type of a VARIADIC last argument, 0 if none.
	Variadic uint32
}

// ActivityInfo is one row of pg_stat_activity. Zero times are NULL.
type ActivityInfo struct {
	PID                                               int32
	User, Database, AppName, ClientAddr, State, Query string
	ClientPort                                        int32
	BackendStart, XactStart, QueryStart, StateChange  time.Time
	// BackendType is "client backend" when empty.
	BackendType string
}

// PreparedStatementInfo is one row of pg_prepared_statements.
type PreparedStatementInfo struct {
	Name, Statement string
	PrepareTime     time.Time
	ParamTypes      []uint32
	ResultTypes     []uint32
	FromSQL         bool
}

// CursorInfo is one row of pg_cursors.
type CursorInfo struct {
	Name, Statement              string
	Holdable, Binary, Scrollable bool
	CreationTime                 time.Time
}

// virtualTable is one system table: its place in pg_class and how to fill it.
type virtualTable struct {
	schema  string // "pg_catalog", "information_schema", "streamdb"
	name    string
	oid     uint32
	relkind string // "r" for catalogs, "v" for system views
	columns types.Schema
	// generate returns the rows; nil means the table is always empty.
	generate func(v *virtualContext) []types.Row
	// xmin: the table has the hidden system column xmin (the catalogs of
	// pg_catalog), which GenerateVirtual fills.
	xmin bool
}

// catalogXmin is the xmin every catalog row shows. Postgres' is the
// inserting transaction; IDEs (DataGrip's "state numbers") only compare it
// between introspections, and streamdb's catalog rows carry no history.
const catalogXmin = 1

func (t *virtualTable) qualified() string { return t.schema + "." + t.name }

// virtualRegistry holds every system table, built once and never modified.
type virtualRegistry struct {
	byName map[string]*virtualTable
	names  []string // sorted qualified names
	// system are the system tables as descriptors, so that pg_class,
	// pg_attribute and information_schema list them like user relations.
	system []*Descriptor
}

var registry = buildVirtualRegistry()

func buildVirtualRegistry() *virtualRegistry {
	var all []*virtualTable
	all = append(all, pgCatalogTables()...)
	all = append(all, infoSchemaTables()...)
	all = append(all, streamdbTables()...)
	r := &virtualRegistry{byName: make(map[string]*virtualTable, len(all))}
	seenOID := make(map[uint32]string, len(all))
	for _, t := range all {
		if t.schema == "pg_catalog" && t.relkind == "r" {
			// Every Postgres table has the system column xmin; SELECT *
			// does not show it, but DataGrip selects it by name.
			t.columns = append(t.columns[:len(t.columns):len(t.columns)], types.Column{Name: "xmin", Type: types.Oid, Hidden: true})
			t.xmin = true
		}
		q := t.qualified()
		if _, dup := r.byName[q]; dup {
			panic("catalog: duplicate system table " + q)
		}
		if other, dup := seenOID[t.oid]; dup {
			panic("catalog: system tables " + q + " and " + other + " share an OID")
		}
		seenOID[t.oid] = q
		r.byName[q] = t
		r.names = append(r.names, q)
		r.system = append(r.system, systemDescriptor(t))
	}
	sort.Strings(r.names)
	return r
}

// systemDescriptor describes a system table as a relation.
func systemDescriptor(t *virtualTable) *Descriptor {
	d := &Descriptor{OID: t.oid, Kind: KindTable, Namespace: t.schema, Name: t.name}
	if t.relkind == "v" {
		d.Kind = KindView
	}
	d.Columns = make([]Column, 0, len(t.columns))
	for i, c := range t.columns {
		if !c.Hidden { // system columns are not attributes
			d.Columns = append(d.Columns, Column{Name: c.Name, TypeOid: c.Type.Oid, Typmod: c.Type.Typmod, AttNum: int16(i + 1)})
		}
	}
	return d
}

// VirtualTableSchema returns the columns of a virtual table by qualified
// name ("pg_catalog.pg_class"); ok is false if there is no such table.
func VirtualTableSchema(qualified string) (types.Schema, bool) {
	t, ok := registry.byName[qualified]
	if !ok {
		return nil, false
	}
	return t.columns, true
}

// VirtualTableOID returns the pg_class OID of a virtual table.
func VirtualTableOID(qualified string) (uint32, bool) {
	t, ok := registry.byName[qualified]
	if !ok {
		return 0, false
	}
	return t.oid, true
}

// VirtualTableNames lists the qualified names of every virtual table, sorted.
// The caller must not modify the slice.
func VirtualTableNames() []string { return registry.names }

// GenerateVirtual produces the rows of a virtual table.
func GenerateVirtual(qualified string, in *VirtualInput) ([]types.Row, error) {
	t, ok := registry.byName[qualified]
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", qualified)
	}
	if t.generate == nil {
		return nil, nil
	}
	rows := t.generate(newVirtualContext(in))
	if t.xmin {
		for i, r := range rows {
			// A copy: a generator may hand out rows that share memory.
			withXmin := make(types.Row, len(r)+1)
			copy(withXmin, r)
			withXmin[len(r)] = types.DInt(catalogXmin)
			rows[i] = withXmin
		}
	}
	return rows, nil
}

// The column mini-language: "name type, name type, ...". Types are
// Postgres spellings; those we lack map as the package comment explains.
var columnTypeByName = map[string]*types.T{
	"oid": types.Oid, "name": types.Name, "text": types.Text, "bool": types.Bool,
	"char": types.Char, "int2": types.Int2, "int4": types.Int4, "int8": types.Int8,
	"float4": types.Float4, "float8": types.Float8, "numeric": types.Numeric,
	"bytea[]": types.ByteaArray,
	"bytea":   types.Bytea, "interval": types.Interval, "timestamptz": types.TimestampTZ,
	"varchar": types.Varchar,
	"regproc": types.RegProc, "regclass": types.RegClass, "regtype": types.RegType,
	"regnamespace": types.RegNamespace, "regrole": types.RegRole,
	"int2vector": types.Int2Vector, "oidvector": types.OidVector,
	"oid[]": types.OidArray, "text[]": types.TextArray, "int2[]": types.Int2Array,
	"char[]": types.CharArray, "name[]": types.NameArray, "regtype[]": types.RegTypeArray,
	"regclass[]": types.RegClassArray, "float4[]": types.Float4Array,
	"anyarray": types.AnyArray,
	// Types we do not have.
	"xid": types.Oid, "inet": types.Text, "pg_lsn": types.Text,
	"pg_node_tree": types.Text, "aclitem[]": types.TextArray,
	// information_schema domains, sent as their base types.
	"sql_identifier": types.Name, "cardinal_number": types.Int4,
	"character_data": types.Varchar, "yes_or_no": types.Varchar,
	"time_stamp": types.TimestampTZ,
}

// cols parses the column mini-language; it panics on a typo, which the
// package tests catch at once.
func cols(spec string) types.Schema {
	parts := strings.Split(spec, ",")
	s := make(types.Schema, 0, len(parts))
	for _, p := range parts {
		f := strings.Fields(p)
		if len(f) != 2 {
			panic("catalog: bad column spec " + p)
		}
		t, ok := columnTypeByName[f[1]]
		if !ok {
			panic("catalog: unknown column type " + f[1])
		}
		// A quoted name is a keyword used as a column name ("offset").
		s = append(s, types.Column{Name: strings.Trim(f[0], `"`), Type: t})
	}
	return s
}
