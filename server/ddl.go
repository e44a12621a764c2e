package server

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// ddl runs schema statements. Catalog changes are durable when the
// statement returns; if an enclosing transaction block rolls back, the
// relations it created are dropped again (txn_ddl.go), other changes stay
// (documented in the README).
func (sess *session) ddl(ctx context.Context, st parser.Statement, w pgwire.ResultWriter) error {
	n := st.AST
	if err := sess.checkDDL(st); err != nil { // privileges.go
		return err
	}
	if st.Kind != parser.NotDialect {
		return sess.connectorDDL(ctx, st, w) // kafka_ddl.go
	}
	switch {
	case n.GetCreateStmt() != nil:
		return sess.createTable(n.GetCreateStmt(), w)
	case n.GetDropStmt() != nil:
		return sess.drop(ctx, n.GetDropStmt(), w)
	case n.GetIndexStmt() != nil:
		return sess.createIndex(n.GetIndexStmt(), w)
	case n.GetAlterTableStmt() != nil:
		return sess.alterTable(ctx, n.GetAlterTableStmt(), w)
	case n.GetRenameStmt() != nil:
		return sess.rename(n.GetRenameStmt(), w)
	case n.GetViewStmt() != nil:
		return sess.createView(st, n.GetViewStmt(), w)
	case n.GetCreateSchemaStmt() != nil:
		cs := n.GetCreateSchemaStmt()
		if len(cs.SchemaElts) > 0 {
			return types.Unsupported("CREATE SCHEMA with schema elements")
		}
		if _, ok := sess.srv.cat.SchemaByName(cs.Schemaname); ok {
			if cs.IfNotExists {
				_ = w.Notice("NOTICE", types.CodeDuplicateSchema, fmt.Sprintf("schema %q already exists, skipping", cs.Schemaname))
				return w.Complete("CREATE SCHEMA")
			}
			return types.Errorf(types.CodeDuplicateSchema, "schema %q already exists", cs.Schemaname)
		}
		if _, err := sess.srv.cat.CreateSchema(cs.Schemaname, sess.info.User); err != nil {
			return err
		}
		return w.Complete("CREATE SCHEMA")
	case n.GetCreateSeqStmt() != nil:
		return sess.createSequence(n.GetCreateSeqStmt(), w)
	case n.GetTruncateStmt() != nil:
		return sess.truncate(ctx, n.GetTruncateStmt(), w)
	case n.GetCommentStmt() != nil:
		return sess.comment(n.GetCommentStmt(), w)
	case n.GetCreateTableAsStmt() != nil:
		ct := n.GetCreateTableAsStmt()
		if ct.Objtype == pg_query.ObjectType_OBJECT_MATVIEW {
			return sess.createMaterializedView(ctx, st, ct, w)
		}
		return types.Unsupported("CREATE TABLE AS")
	case n.GetRefreshMatViewStmt() != nil:
		return types.Unsupported("REFRESH MATERIALIZED VIEW")
	case n.GetAlterSeqStmt() != nil:
		return types.Unsupported("ALTER SEQUENCE")
	case n.GetCreateRoleStmt() != nil, n.GetAlterRoleStmt() != nil, n.GetDropRoleStmt() != nil, n.GetGrantRoleStmt() != nil:
		return sess.roleDDL(n, w) // roles.go
	case n.GetGrantStmt() != nil:
		return sess.grant(n.GetGrantStmt(), w) // privileges.go
	case n.GetCreateFunctionStmt() != nil:
		return types.Unsupported("CREATE FUNCTION")
	case n.GetCreateTrigStmt() != nil:
		return types.Unsupported("triggers")
	case n.GetCreateEnumStmt() != nil, n.GetCompositeTypeStmt() != nil, n.GetCreateDomainStmt() != nil:
		return types.Unsupported("user-defined types")
	}
	return types.Unsupported(statementName(n))
}

func statementName(n *pg_query.Node) string {
	name := fmt.Sprintf("%T", n.Node)
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return "statement " + name
}

// createSchemaFor returns the schema a new object goes into: the given one,
// else the first existing schema of the search path.
func (sess *session) createSchemaFor(rv *pg_query.RangeVar) (string, error) {
	if rv.Schemaname != "" {
		if _, ok := sess.srv.cat.SchemaByName(rv.Schemaname); !ok {
			return "", types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", rv.Schemaname)
		}
		if rv.Schemaname == "pg_catalog" || rv.Schemaname == "information_schema" {
			return "", types.Errorf(types.CodeInsufficientPrivilege, "permission denied to create %q.%q", rv.Schemaname, rv.Relname)
		}
		return rv.Schemaname, nil
	}
	for _, s := range sess.settings.searchPath() {
		if s == "pg_catalog" || s == "information_schema" {
			continue
		}
		if _, ok := sess.srv.cat.SchemaByName(s); ok {
			return s, nil
		}
	}
	return "", types.Errorf(types.CodeUndefinedSchema, "no schema has been selected to create in")
}

// parseTreeVersion is the libpg_query tree version Deparse requires.
var parseTreeVersion = sync.OnceValue(func() int32 {
	res, err := pg_query.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return res.Version
})

// newRelationName resolves the schema and name of a relation about to be
// created. exists reports an existing relation of that name when IF NOT
// EXISTS was given (a notice was sent; the caller completes without
// creating); without IF NOT EXISTS that is a 42P07 error.
func (sess *session) newRelationName(rv *pg_query.RangeVar, ifNotExists bool, w pgwire.ResultWriter) (schema, name string, exists bool, err error) {
	if schema, err = sess.createSchemaFor(rv); err != nil {
		return "", "", false, err
	}
	name = rv.Relname
	if _, taken := sess.srv.cat.LookupRelation(schema, name); !taken {
		return schema, name, false, nil
	}
	if ifNotExists {
		_ = w.Notice("NOTICE", types.CodeDuplicateTable, fmt.Sprintf("relation %q already exists, skipping", name))
		return schema, name, true, nil
	}
	return "", "", false, types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
}

// deparseExpr renders a parsed expression back to SQL.
func deparseExpr(n *pg_query.Node) (string, error) {
	res := &pg_query.ParseResult{Version: parseTreeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{
		TargetList:  []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}},
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT, Op: pg_query.SetOperation_SETOP_NONE,
	}}}}}}
	s, err := pg_query.Deparse(res)
	if err != nil {
		return "", types.WithCode(err, types.CodeSyntaxError)
	}
	return strings.TrimPrefix(s, "SELECT "), nil
}

func deparseQuery(n *pg_query.Node) (string, error) {
	s, err := pg_query.Deparse(&pg_query.ParseResult{Version: parseTreeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: n}}})
	if err != nil {
		return "", types.WithCode(err, types.CodeSyntaxError)
	}
	return s, nil
}

// uniqueSpec is a UNIQUE constraint of CREATE TABLE.
type uniqueSpec struct {
	name string
	cols []string
}

type seqToCreate struct {
	desc *catalog.Descriptor
	opts state.SequenceOptions
}

// columnFromDef builds a column from its definition. Serial and identity
// columns get an owned sequence.
func (sess *session) columnFromDef(schema, table string, cd *pg_query.ColumnDef, seqs *[]seqToCreate) (catalog.Column, bool, *pg_query.Constraint, []catalog.Check, error) {
	col := catalog.Column{Name: cd.Colname, Typmod: -1}
	var pk bool
	var unique *pg_query.Constraint
	var checks []catalog.Check
	tn := cd.TypeName
	names := nameStrings(tn.Names)
	serial := ""
	if len(names) == 1 && len(tn.ArrayBounds) == 0 {
		switch names[0] {
		case "serial", "serial4":
			serial = "int4"
		case "bigserial", "serial8":
			serial = "int8"
		case "smallserial", "serial2":
			serial = "int2"
		}
	}
	var t *types.T
	if serial != "" {
		t, _ = planner.LookupTypeName(serial)
	} else {
		var err error
		if t, err = planner.ResolveTypeName(tn); err != nil {
			return col, false, nil, nil, types.WithPosition(err, parser.CharPosition("", 0))
		}
	}
	col.TypeOid, col.Typmod = t.Oid, t.Typmod
	col.NotNull = cd.IsNotNull
	identity := ""
	var seqOpts []*pg_query.Node
	if cd.RawDefault != nil {
		d, err := deparseExpr(cd.RawDefault)
		if err != nil {
			return col, false, nil, nil, err
		}
		col.Default = d
	}
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		switch c.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg_query.ConstrType_CONSTR_DEFAULT:
			d, err := deparseExpr(c.RawExpr)
			if err != nil {
				return col, false, nil, nil, err
			}
			col.Default = d
		case pg_query.ConstrType_CONSTR_PRIMARY:
			pk = true
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_UNIQUE:
			unique = c
		case pg_query.ConstrType_CONSTR_CHECK:
			e, err := deparseExpr(c.RawExpr)
			if err != nil {
				return col, false, nil, nil, err
			}
			name := c.Conname
			if name == "" {
				name = table + "_" + cd.Colname + "_check"
			}
			checks = append(checks, catalog.Check{Name: name, Expr: e})
		case pg_query.ConstrType_CONSTR_IDENTITY:
			identity = c.GeneratedWhen
			seqOpts = c.Options
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_GENERATED:
			return col, false, nil, nil, types.Unsupported("generated columns")
		case pg_query.ConstrType_CONSTR_FOREIGN:
			return col, false, nil, nil, types.Unsupported("FOREIGN KEY constraints")
		case pg_query.ConstrType_CONSTR_EXCLUSION:
			return col, false, nil, nil, types.Unsupported("EXCLUDE constraints")
		}
	}
	if serial != "" || identity != "" {
		if identity != "" && t.Family != types.IntFamily {
			return col, false, nil, nil, types.Errorf(types.CodeInvalidParameterValue, "identity column type must be smallint, integer, or bigint")
		}
		seqName := table + "_" + cd.Colname + "_seq"
		oid, err := sess.srv.cat.AllocOID()
		if err != nil {
			return col, false, nil, nil, err
		}
		min, max := intRange(t)
		opts := state.DefaultSequenceOptions(schema+"."+seqName, 1, min, max)
		if err := applySeqOptions(&opts, seqOpts, min, max); err != nil {
			return col, false, nil, nil, err
		}
		*seqs = append(*seqs, seqToCreate{desc: &catalog.Descriptor{OID: oid, Kind: catalog.KindSequence, Namespace: schema, Name: seqName, Owner: sess.info.User,
			Columns: []catalog.Column{{Name: "last_value", TypeOid: types.OidInt8, Typmod: -1, AttNum: 1}}}, opts: opts})
		qualified := seqName
		if schema != "public" {
			qualified = schema + "." + seqName
		}
		col.Default = fmt.Sprintf("nextval('%s'::regclass)", strings.ReplaceAll(qualified, "'", "''"))
		col.NotNull = true
		col.Identity = identity
	}
	return col, pk, unique, checks, nil
}

func intRange(t *types.T) (int64, int64) {
	switch t.Width {
	case 16:
		return math.MinInt16, math.MaxInt16
	case 32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func nameStrings(ns []*pg_query.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	if len(out) == 2 && out[0] == "pg_catalog" {
		return out[1:]
	}
	return out
}

func defInt(d *pg_query.DefElem) (int64, bool) {
	if d.Arg == nil {
		return 0, false
	}
	if i := d.Arg.GetInteger(); i != nil {
		return int64(i.Ival), true
	}
	if f := d.Arg.GetFloat(); f != nil {
		v, err := strconv.ParseInt(f.Fval, 10, 64)
		return v, err == nil
	}
	if c := d.Arg.GetAConst(); c != nil && c.GetIval() != nil {
		return int64(c.GetIval().Ival), true
	}
	return 0, false
}

func applySeqOptions(o *state.SequenceOptions, opts []*pg_query.Node, typeMin, typeMax int64) error {
	startSet := false
	for _, on := range opts {
		d := on.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "increment":
			if v, ok := defInt(d); ok {
				o.Increment = v
				if v < 0 {
					o.Min, o.Max = typeMin, -1
					if !startSet {
						o.Start = -1
					}
				}
			}
		case "start":
			if v, ok := defInt(d); ok {
				o.Start, startSet = v, true
			}
		case "minvalue":
			if v, ok := defInt(d); ok {
				o.Min = v
			} else if d.Arg == nil {
				o.Min = typeMin
			}
		case "maxvalue":
			if v, ok := defInt(d); ok {
				o.Max = v
			} else if d.Arg == nil {
				o.Max = typeMax
			}
		case "cycle":
			o.Cycle = d.Arg == nil || d.Arg.GetBoolean().GetBoolval() || d.Arg.GetInteger().GetIval() != 0
		case "cache", "owned_by", "as", "sequence_name", "restart":
		default:
			return types.Errorf(types.CodeSyntaxError, "option %q not recognized", d.Defname)
		}
	}
	if !startSet {
		if o.Increment > 0 {
			o.Start = o.Min
		} else {
			o.Start = o.Max
		}
	}
	return o.Validate()
}

func (sess *session) createTable(cs *pg_query.CreateStmt, w pgwire.ResultWriter) error {
	if cs.Partspec != nil || cs.Partbound != nil {
		return types.Unsupported("partitioned tables")
	}
	if len(cs.InhRelations) > 0 {
		return types.Unsupported("table inheritance")
	}
	if cs.OfTypename != nil {
		return types.Unsupported("typed tables")
	}
	if cs.Relation.Relpersistence == "t" {
		return types.Unsupported("temporary tables")
	}
	schema, name, exists, err := sess.newRelationName(cs.Relation, cs.IfNotExists, w)
	if err != nil || exists {
		if exists {
			return w.Complete("CREATE TABLE")
		}
		return err
	}
	desc := &catalog.Descriptor{Kind: catalog.KindTable, Namespace: schema, Name: name, Owner: sess.info.User, Options: map[string]string{}}
	for _, o := range cs.Options {
		d := o.GetDefElem()
		key := d.Defname
		if d.Defnamespace != "" {
			key = d.Defnamespace + "." + key
		}
		val := ""
		if d.Arg != nil {
			val = defString(d.Arg)
		}
		desc.Options[key] = val
	}
	var seqs []seqToCreate
	var pkCols []string
	var pkName string
	var uniques []uniqueSpec
	seen := map[string]bool{}
	for _, el := range cs.TableElts {
		if cd := el.GetColumnDef(); cd != nil {
			if seen[cd.Colname] {
				return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", cd.Colname)
			}
			seen[cd.Colname] = true
			col, pk, uniq, checks, err := sess.columnFromDef(schema, name, cd, &seqs)
			if err != nil {
				return err
			}
			if pk {
				if len(pkCols) > 0 {
					return types.Errorf(types.CodeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", name)
				}
				pkCols = []string{cd.Colname}
			}
			col.AttNum = int16(len(desc.Columns) + 1)
			desc.Columns = append(desc.Columns, col)
			if uniq != nil {
				uniques = append(uniques, uniqueSpec{name: uniq.Conname, cols: []string{cd.Colname}})
			}
			desc.Checks = append(desc.Checks, checks...)
			continue
		}
		c := el.GetConstraint()
		if c == nil {
			return types.Unsupported("LIKE in CREATE TABLE")
		}
		switch c.Contype {
		case pg_query.ConstrType_CONSTR_PRIMARY:
			if len(pkCols) > 0 {
				return types.Errorf(types.CodeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", name)
			}
			pkCols = nameStrings(c.Keys)
			pkName = c.Conname
		case pg_query.ConstrType_CONSTR_CHECK:
			e, err := deparseExpr(c.RawExpr)
			if err != nil {
				return err
			}
			cname := c.Conname
			if cname == "" {
				cname = name + "_check"
				if len(desc.Checks) > 0 {
					cname = fmt.Sprintf("%s_check%d", name, len(desc.Checks))
				}
			}
			desc.Checks = append(desc.Checks, catalog.Check{Name: cname, Expr: e})
		case pg_query.ConstrType_CONSTR_UNIQUE:
			if c.NullsNotDistinct {
				return types.Unsupported("UNIQUE NULLS NOT DISTINCT")
			}
			uniques = append(uniques, uniqueSpec{name: c.Conname, cols: nameStrings(c.Keys)})
		case pg_query.ConstrType_CONSTR_FOREIGN:
			return types.Unsupported("FOREIGN KEY constraints")
		default:
			return types.Unsupported("this table constraint")
		}
	}
	for _, pc := range pkCols {
		slot := -1
		for i := range desc.Columns {
			if desc.Columns[i].Name == pc {
				slot = i
			}
		}
		if slot < 0 {
			return types.Errorf(types.CodeUndefinedColumn, "column %q named in key does not exist", pc)
		}
		desc.Columns[slot].NotNull = true
		desc.PrimaryKey = append(desc.PrimaryKey, slot)
	}
	if len(desc.PrimaryKey) > 0 {
		if pkName == "" {
			pkName = name + "_pkey"
		}
		desc.PKName = pkName
		desc.Indexes = append(desc.Indexes, catalog.Index{Name: pkName, Columns: append([]int{}, desc.PrimaryKey...), Unique: true, Primary: true,
			Def: fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s.%s USING btree (%s)", quoteIdentIfNeeded(pkName), quoteIdentIfNeeded(schema), quoteIdentIfNeeded(name), quotedCols(desc, desc.PrimaryKey))})
	} else {
		desc.Columns = append(desc.Columns, catalog.Column{Name: "_row_id", TypeOid: types.OidInt8, Typmod: -1, Hidden: true, NotNull: true, AttNum: int16(len(desc.Columns) + 1)})
	}
	for _, u := range uniques {
		var slots []int
		for _, c := range u.cols {
			s := findSlot(desc, c)
			if s < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q named in key does not exist", c)
			}
			slots = append(slots, s)
		}
		if sameSlots(slots, desc.PrimaryKey) {
			continue // the primary key is already unique
		}
		uname := u.name
		if uname == "" {
			uname = name + "_" + strings.Join(u.cols, "_") + "_key"
		}
		desc.Indexes = append(desc.Indexes, catalog.Index{Name: uname, Columns: slots, Unique: true,
			Def: fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s.%s USING btree (%s)", quoteIdentIfNeeded(uname), quoteIdentIfNeeded(schema), quoteIdentIfNeeded(name), quotedCols(desc, slots))})
	}
	if len(desc.Columns) == 0 {
		// Postgres allows zero-column tables; they store the row id only.
	}
	if err := sess.validateTableExprs(desc); err != nil {
		return err
	}
	if err := validateWatermark(desc); err != nil { // watermark.go
		return err
	}
	if err := validateTableTTL(desc); err != nil { // ttl.go
		return err
	}
	if handled, err := sess.srv.nexmark.prepareTable(desc); err != nil { // nexmark_source.go
		return err
	} else if !handled {
		if err := sess.srv.kafka.prepareTable(desc); err != nil { // kafka_source.go
			return err
		}
	}
	for _, s := range seqs {
		s.desc.OwnedBy = 0
		if err := sess.srv.cat.Create(s.desc); err != nil {
			return err
		}
		if err := sess.srv.tables.CreateSequence(s.desc.OID, s.opts); err != nil {
			return err
		}
	}
	if err := sess.srv.cat.Create(desc); err != nil {
		return err
	}
	if err := sess.srv.registerTableTTL(desc); err != nil { // ttl.go
		return err
	}
	for _, s := range seqs {
		seq, ok := sess.srv.cat.ByOID(s.desc.OID)
		if !ok {
			continue
		}
		owned := seq.Clone()
		owned.OwnedBy = desc.OID
		for j := range desc.Columns {
			if strings.Contains(desc.Columns[j].Default, "'"+s.desc.Name+"'") || strings.Contains(desc.Columns[j].Default, "."+s.desc.Name+"'") {
				owned.OwnedByCol = desc.Columns[j].AttNum
			}
		}
		if err := sess.srv.cat.Update(owned); err != nil {
			return err
		}
	}
	sess.srv.kafka.tableCreated(desc)
	sess.srv.nexmark.tableCreated(desc) // nexmark_source.go
	return w.Complete("CREATE TABLE")
}

func defString(n *pg_query.Node) string {
	switch {
	case n.GetString_() != nil:
		return n.GetString_().Sval
	case n.GetInteger() != nil:
		return strconv.Itoa(int(n.GetInteger().Ival))
	case n.GetFloat() != nil:
		return n.GetFloat().Fval
	case n.GetBoolean() != nil:
		return strconv.FormatBool(n.GetBoolean().Boolval)
	case n.GetTypeName() != nil:
		return strings.Join(nameStrings(n.GetTypeName().Names), ".")
	case n.GetAConst() != nil:
		return settingArg(n)
	}
	return ""
}

func quotedCols(desc *catalog.Descriptor, slots []int) string {
	var names []string
	for _, s := range slots {
		names = append(names, quoteIdentIfNeeded(desc.Columns[s].Name))
	}
	return strings.Join(names, ", ")
}

// validateTableExprs binds every default and CHECK so that a bad one is
// refused at CREATE time, not at the first INSERT.
func (sess *session) validateTableExprs(desc *catalog.Descriptor) error {
	for i := range desc.Columns {
		c := &desc.Columns[i]
		if c.Default == "" || strings.HasPrefix(c.Default, "nextval(") {
			continue
		}
		e, err := planner.BindStoredExpr(sess.srv.cat, sess.settings.searchPath(), nil, c.Default)
		if err != nil {
			return err
		}
		if e.Type().Family != types.UnknownFamily && !e.Type().Equivalent(c.Type()) {
			if _, err := planner.NewBinder(sess.srv.cat, nil, "", nil).CoerceForDefault(e, c.Type()); err != nil {
				return types.Errorf(types.CodeDatatypeMismatch, "column %q is of type %s but default expression is of type %s", c.Name, c.Type().String(), e.Type().String())
			}
		}
	}
	for _, ch := range desc.Checks {
		e, err := planner.BindStoredExpr(sess.srv.cat, sess.settings.searchPath(), desc, ch.Expr)
		if err != nil {
			return err
		}
		if e.Type().Family != types.BoolFamily {
			return types.Errorf(types.CodeDatatypeMismatch, "argument of CHECK must be type boolean, not type %s", e.Type().String())
		}
	}
	return nil
}

// relationFor resolves an existing relation for DDL.
func (sess *session) relationFor(rv *pg_query.RangeVar) (*catalog.Descriptor, error) {
	return sess.srv.cat.ResolveRelation(rv.Relname, rv.Schemaname, sess.settings.searchPath())
}

func objectKindWord(t pg_query.ObjectType) (catalog.Kind, string) {
	switch t {
	case pg_query.ObjectType_OBJECT_VIEW:
		return catalog.KindView, "view"
	case pg_query.ObjectType_OBJECT_MATVIEW:
		return catalog.KindMaterializedView, "materialized view"
	case pg_query.ObjectType_OBJECT_INDEX:
		return catalog.KindIndex, "index"
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		return catalog.KindSequence, "sequence"
	}
	return catalog.KindTable, "table"
}

func (sess *session) drop(ctx context.Context, ds *pg_query.DropStmt, w pgwire.ResultWriter) error {
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	switch ds.RemoveType {
	case pg_query.ObjectType_OBJECT_SCHEMA:
		for _, o := range ds.Objects {
			name := defString(o)
			if _, ok := sess.srv.cat.SchemaByName(name); !ok {
				if ds.MissingOk {
					_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("schema %q does not exist, skipping", name))
					continue
				}
				return types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", name)
			}
			dropped, err := sess.srv.cat.DropSchema(name, cascade)
			if err != nil {
				return err
			}
			for _, d := range dropped {
				sess.dropData(d)
			}
		}
		return w.Complete("DROP SCHEMA")
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_INDEX, pg_query.ObjectType_OBJECT_SEQUENCE, pg_query.ObjectType_OBJECT_MATVIEW:
	default:
		return types.Unsupported("DROP " + strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_"))
	}
	kind, word := objectKindWord(ds.RemoveType)
	tag := "DROP " + strings.ToUpper(word)
	var toDrop []*catalog.Descriptor
	type indexDrop struct {
		table *catalog.Descriptor
		name  string
	}
	var indexDrops []indexDrop
	for _, o := range ds.Objects {
		parts := nameStrings(o.GetList().GetItems())
		schema, name := "", ""
		switch len(parts) {
		case 1:
			name = parts[0]
		case 2:
			schema, name = parts[0], parts[1]
		default:
			return types.Errorf(types.CodeSyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
		}
		if kind == catalog.KindIndex {
			d, ix := sess.findIndex(schema, name)
			if d == nil {
				if ds.MissingOk {
					_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("index %q does not exist, skipping", name))
					continue
				}
				return types.Errorf(types.CodeUndefinedObject, "index %q does not exist", name)
			}
			if ix.Primary {
				return withHint(types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop index %s because constraint %s on table %s requires it", ix.Name, ix.Name, d.Name), fmt.Sprintf("You can drop constraint %s on table %s instead.", ix.Name, d.Name))
			}
			indexDrops = append(indexDrops, indexDrop{d, ix.Name})
			continue
		}
		d, err := sess.srv.cat.ResolveRelation(name, schema, sess.settings.searchPath())
		if err != nil {
			if types.Code(err) == types.CodeUndefinedTable || types.Code(err) == types.CodeUndefinedSchema {
				if ds.MissingOk {
					_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("%s %q does not exist, skipping", word, name))
					continue
				}
				code := types.CodeUndefinedTable
				if kind == catalog.KindSequence || kind == catalog.KindView || kind == catalog.KindMaterializedView {
					code = types.CodeUndefinedTable
				}
				return types.Errorf(code, "%s %q does not exist", word, name)
			}
			return err
		}
		if d.Kind != kind {
			return withHint(types.Errorf(types.CodeWrongObjectType, "%q is not a %s", name, word), fmt.Sprintf("Use DROP %s to remove a %s.", strings.ToUpper(kindWord(d.Kind)), kindWord(d.Kind)))
		}
		toDrop = append(toDrop, d)
	}
	// Dependents (views over these relations).
	all := map[uint32]*catalog.Descriptor{}
	var order []*catalog.Descriptor
	var visit func(d *catalog.Descriptor) error
	visit = func(d *catalog.Descriptor) error {
		if _, ok := all[d.OID]; ok {
			return nil
		}
		all[d.OID] = d
		for _, dep := range sess.srv.cat.Dependents(d.OID) {
			if !cascade {
				if _, listed := all[dep.OID]; listed {
					continue
				}
				inList := false
				for _, x := range toDrop {
					inList = inList || x.OID == dep.OID
				}
				if inList {
					continue
				}
				return withHint(withDetail(types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop %s %s because other objects depend on it", kindWord(d.Kind), d.Name),
					fmt.Sprintf("%s %s depends on %s %s", kindWord(dep.Kind), dep.Name, kindWord(d.Kind), d.Name)), "Use DROP ... CASCADE to drop the dependent objects too.")
			}
			if err := visit(dep); err != nil {
				return err
			}
		}
		order = append(order, d)
		for _, s := range sess.srv.cat.OwnedSequences(d.OID) {
			if _, ok := all[s.OID]; !ok {
				all[s.OID] = s
				order = append(order, s)
			}
		}
		return nil
	}
	for _, d := range toDrop {
		if err := visit(d); err != nil {
			return err
		}
	}
	if cascade {
		for _, d := range order {
			isTop := false
			for _, t := range toDrop {
				isTop = isTop || t.OID == d.OID
			}
			if !isTop && d.Kind != catalog.KindSequence {
				_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("drop cascades to %s %s", kindWord(d.Kind), d.Name))
			}
		}
	}
	if len(order) > 0 {
		oids := make([]uint32, len(order))
		for i, d := range order {
			oids[i] = d.OID
		}
		if err := sess.srv.cat.Drop(oids...); err != nil {
			return err
		}
		for _, d := range order {
			sess.dropData(d)
		}
	}
	for _, id := range indexDrops {
		d := id.table.Clone()
		var droppedOID uint32
		for i, ix := range d.Indexes {
			if ix.Name == id.name {
				droppedOID = ix.OID
				d.Indexes = append(d.Indexes[:i], d.Indexes[i+1:]...)
				break
			}
		}
		if err := sess.srv.cat.Update(d); err != nil {
			return err
		}
		if droppedOID != 0 {
			if err := sess.srv.tables.DropTableData(droppedOID); err != nil {
				return err
			}
		}
	}
	return w.Complete(tag)
}

func kindWord(k catalog.Kind) string {
	switch k {
	case catalog.KindView:
		return "view"
	case catalog.KindMaterializedView:
		return "materialized view"
	case catalog.KindSequence:
		return "sequence"
	case catalog.KindIndex:
		return "index"
	case catalog.KindSource:
		return "source"
	case catalog.KindSink:
		return "sink"
	}
	return "table"
}

func (sess *session) dropData(d *catalog.Descriptor) {
	sess.srv.nexmark.dropped(d)
	sess.srv.kafka.dropped(d) // stops a Kafka ingester or sink first
	switch d.Kind {
	case catalog.KindTable:
		if err := sess.srv.tables.DropTableData(d.OID); err != nil {
			sess.srv.logger.Error("dropping table data", "table", d.Name, "err", err)
		}
		for _, ix := range uniqueIndexes(d) {
			if err := sess.srv.tables.DropTableData(ix.OID); err != nil {
				sess.srv.logger.Error("dropping index entries", "index", ix.Name, "err", err)
			}
		}
	case catalog.KindMaterializedView:
		if sess.srv.views != nil {
			if err := sess.srv.views.drop(d.OID); err != nil {
				sess.srv.logger.Error("dropping materialized view state", "view", d.Name, "err", err)
			}
		}
	case catalog.KindSequence:
		if err := sess.srv.tables.DropSequence(d.OID); err != nil {
			sess.srv.logger.Error("dropping sequence", "sequence", d.Name, "err", err)
		}
	}
}

func (sess *session) findIndex(schema, name string) (*catalog.Descriptor, *catalog.Index) {
	for _, d := range sess.srv.cat.Relations() {
		if schema != "" && d.Namespace != schema {
			continue
		}
		for i := range d.Indexes {
			if d.Indexes[i].Name == name {
				return d, &d.Indexes[i]
			}
		}
	}
	return nil, nil
}

func (sess *session) createIndex(is *pg_query.IndexStmt, w pgwire.ResultWriter) error {
	d, err := sess.relationFor(is.Relation)
	if err != nil {
		return err
	}
	if d.Kind != catalog.KindTable {
		return types.Errorf(types.CodeWrongObjectType, "cannot create index on relation %q", d.Name)
	}
	var slots []int
	var colNames []string
	for _, p := range is.IndexParams {
		ie := p.GetIndexElem()
		if ie.Name == "" {
			return types.Unsupported("indexes on expressions")
		}
		s := -1
		for i := range d.Columns {
			if !d.Columns[i].Dropped && !d.Columns[i].Hidden && d.Columns[i].Name == ie.Name {
				s = i
			}
		}
		if s < 0 {
			return types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", ie.Name)
		}
		slots = append(slots, s)
		colNames = append(colNames, ie.Name)
	}
	if is.WhereClause != nil {
		return types.Unsupported("partial indexes")
	}
	if is.NullsNotDistinct {
		return types.Unsupported("UNIQUE NULLS NOT DISTINCT")
	}
	if is.Unique && d.Options[optTTL] != "" { // ttl.go
		return types.Unsupported("a UNIQUE index on a table with a TTL")
	}
	name := is.Idxname
	if name == "" {
		name = d.Name + "_" + strings.Join(colNames, "_") + "_idx"
		if is.Unique {
			name = d.Name + "_" + strings.Join(colNames, "_") + "_key"
		}
		base := name
		for i := 1; sess.nameTaken(d.Namespace, name); i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
	}
	if sess.nameTaken(d.Namespace, name) {
		if is.IfNotExists {
			_ = w.Notice("NOTICE", types.CodeDuplicateTable, fmt.Sprintf("relation %q already exists, skipping", name))
			return w.Complete("CREATE INDEX")
		}
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
	}
	method := is.AccessMethod
	if method == "" {
		method = "btree"
	}
	uniq := ""
	if is.Unique {
		uniq = "UNIQUE "
	}
	nd := d.Clone()
	nd.Indexes = append(nd.Indexes, catalog.Index{Name: name, Columns: slots, Unique: is.Unique,
		Def: fmt.Sprintf("CREATE %sINDEX %s ON %s.%s USING %s (%s)", uniq, quoteIdentIfNeeded(name), quoteIdentIfNeeded(d.Namespace), quoteIdentIfNeeded(d.Name), method, quotedCols(d, slots))})
	if err := sess.srv.cat.Update(nd); err != nil {
		return err
	}
	if is.Unique {
		cur, _ := sess.srv.cat.ByOID(d.OID)
		var ix *catalog.Index
		for i := range cur.Indexes {
			if cur.Indexes[i].Name == name {
				ix = &cur.Indexes[i]
			}
		}
		if ix != nil {
			if err := sess.buildUniqueIndex(context.Background(), cur, ix); err != nil {
				// Undo the catalog change: the index never existed.
				_ = sess.srv.cat.Update(d.Clone())
				return err
			}
		}
	}
	return w.Complete("CREATE INDEX")
}

func (sess *session) nameTaken(schema, name string) bool {
	if _, ok := sess.srv.cat.LookupRelation(schema, name); ok {
		return true
	}
	d, _ := sess.findIndex(schema, name)
	return d != nil
}

func sameSlots(a, b []int) bool {
	if len(a) != len(b) || len(a) == 0 {
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

func (sess *session) alterTable(ctx context.Context, at *pg_query.AlterTableStmt, w pgwire.ResultWriter) error {
	d, err := sess.relationFor(at.Relation)
	if err != nil {
		if at.MissingOk && types.Code(err) == types.CodeUndefinedTable {
			_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("relation %q does not exist, skipping", at.Relation.Relname))
			return w.Complete("ALTER TABLE")
		}
		return err
	}
	if err := refuseViewTTLAlter(d, at); err != nil { // ttl_alter.go
		return err
	}
	if d.Kind != catalog.KindTable {
		return types.Errorf(types.CodeWrongObjectType, "%q is not a table", d.Name)
	}
	nd := d.Clone()
	var seqs []seqToCreate
	for _, cn := range at.Cmds {
		cmd := cn.GetAlterTableCmd()
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if findSlot(nd, cd.Colname) >= 0 {
				if cmd.MissingOk {
					_ = w.Notice("NOTICE", types.CodeDuplicateColumn, fmt.Sprintf("column %q of relation %q already exists, skipping", cd.Colname, d.Name))
					continue
				}
				return types.Errorf(types.CodeDuplicateColumn, "column %q of relation %q already exists", cd.Colname, d.Name)
			}
			col, pk, uniq, checks, err := sess.columnFromDef(d.Namespace, d.Name, cd, &seqs)
			if err != nil {
				return err
			}
			if pk || uniq != nil {
				return types.Unsupported("adding a PRIMARY KEY or UNIQUE column")
			}
			if len(seqs) > 0 {
				return types.Unsupported("adding a serial or identity column")
			}
			col.AttNum = int16(len(nd.Columns) + 1)
			// Rows already stored take the default, computed once now.
			if col.Default != "" {
				e, err := planner.BindStoredExpr(sess.srv.cat, sess.settings.searchPath(), nil, col.Default)
				if err != nil {
					return err
				}
				ce, err := exec.Compile(e)
				if err != nil {
					return err
				}
				v, err := ce.Eval(ctx, sess.env(nil), nil)
				if err != nil {
					return err
				}
				v, err = castTo(sess, v, e.Type(), col.Type())
				if err != nil {
					return err
				}
				if v.IsNull() {
					col.MissingNull = true
				} else {
					col.Missing = string(types.AppendText(nil, v, col.Type(), time.UTC))
				}
			} else {
				col.MissingNull = true
			}
			if col.NotNull && col.MissingNull {
				n, err := sess.countRows(ctx, d)
				if err != nil {
					return err
				}
				if n > 0 {
					return types.Errorf(types.CodeNotNullViolation, "column %q of relation %q contains null values", col.Name, d.Name)
				}
			}
			nd.Columns = append(nd.Columns, col)
			nd.Checks = append(nd.Checks, checks...)
		case pg_query.AlterTableType_AT_DropColumn:
			slot := findSlot(nd, cmd.Name)
			if slot < 0 {
				if cmd.MissingOk {
					_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("column %q of relation %q does not exist, skipping", cmd.Name, d.Name))
					continue
				}
				return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", cmd.Name, d.Name)
			}
			if isPK(nd, slot) {
				return types.Unsupported("dropping a primary key column")
			}
			if ttlColumn(nd, slot) { // ttl.go
				return types.Unsupported("dropping the ttl_time column of a table with a TTL")
			}
			if err := sess.checkViewColumnDrop(d, nd.Columns[slot], cmd.Behavior == pg_query.DropBehavior_DROP_CASCADE); err != nil {
				return err
			}
			nd.Columns[slot].Dropped = true
			nd.Columns[slot].Default = ""
			nd.Columns[slot].NotNull = false
			var keep []catalog.Index
			for _, ix := range nd.Indexes {
				uses := false
				for _, c := range ix.Columns {
					uses = uses || c == slot
				}
				if !uses {
					keep = append(keep, ix)
				}
			}
			nd.Indexes = keep
		case pg_query.AlterTableType_AT_ColumnDefault:
			slot := findSlot(nd, cmd.Name)
			if slot < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", cmd.Name, d.Name)
			}
			if cmd.Def == nil {
				nd.Columns[slot].Default = ""
			} else {
				def, err := deparseExpr(cmd.Def)
				if err != nil {
					return err
				}
				nd.Columns[slot].Default = def
			}
		case pg_query.AlterTableType_AT_SetNotNull:
			slot := findSlot(nd, cmd.Name)
			if slot < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", cmd.Name, d.Name)
			}
			var bad bool
			if err := sess.scanTable(ctx, d, func(r types.Row) error {
				if slot >= len(r) || r[slot].IsNull() {
					bad = true
				}
				return nil
			}); err != nil {
				return err
			}
			if bad {
				return types.Errorf(types.CodeNotNullViolation, "column %q of relation %q contains null values", cmd.Name, d.Name)
			}
			nd.Columns[slot].NotNull = true
		case pg_query.AlterTableType_AT_DropNotNull:
			slot := findSlot(nd, cmd.Name)
			if slot < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", cmd.Name, d.Name)
			}
			if isPK(nd, slot) {
				return types.Errorf(types.CodeInvalidTableDefinition, "column %q is in a primary key", cmd.Name)
			}
			nd.Columns[slot].NotNull = false
		case pg_query.AlterTableType_AT_AddConstraint:
			c := cmd.Def.GetConstraint()
			if c.Contype != pg_query.ConstrType_CONSTR_CHECK {
				return types.Unsupported("ALTER TABLE ADD CONSTRAINT other than CHECK")
			}
			e, err := deparseExpr(c.RawExpr)
			if err != nil {
				return err
			}
			name := c.Conname
			if name == "" {
				name = d.Name + "_check"
			}
			nd.Checks = append(nd.Checks, catalog.Check{Name: name, Expr: e})
			if err := sess.checkExisting(ctx, nd, name, e); err != nil {
				return err
			}
		case pg_query.AlterTableType_AT_DropConstraint:
			found := false
			for i, ch := range nd.Checks {
				if ch.Name == cmd.Name {
					nd.Checks = append(nd.Checks[:i], nd.Checks[i+1:]...)
					found = true
					break
				}
			}
			if !found {
				if nd.PKName == cmd.Name {
					return types.Unsupported("dropping the primary key")
				}
				if cmd.MissingOk {
					_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("constraint %q of relation %q does not exist, skipping", cmd.Name, d.Name))
					continue
				}
				return types.Errorf(types.CodeUndefinedObject, "constraint %q of relation %q does not exist", cmd.Name, d.Name)
			}
		case pg_query.AlterTableType_AT_AlterColumnType:
			return types.Unsupported("ALTER COLUMN ... TYPE")
		case pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ResetRelOptions:
			if err := alterTableOptions(nd, cmd); err != nil { // ttl_alter.go
				return err
			}
		default:
			return types.Unsupported("ALTER TABLE " + strings.TrimPrefix(cmd.Subtype.String(), "AT_"))
		}
	}
	if err := sess.validateTableExprs(nd); err != nil {
		return err
	}
	if err := sess.srv.updateTable(ctx, d, nd); err != nil { // ttl_alter.go: TTL changes re-index rows
		return err
	}
	return w.Complete("ALTER TABLE")
}

func castTo(sess *session, v types.Datum, from, to *types.T) (types.Datum, error) {
	if v.IsNull() || from.Identical(to) {
		return v, nil
	}
	e := &planner.Cast{Arg: &planner.Const{Value: v, Typ: from}, Typ: to}
	ce, err := exec.Compile(e)
	if err != nil {
		return v, err
	}
	return ce.Eval(context.Background(), sess.env(nil), nil)
}

func findSlot(d *catalog.Descriptor, name string) int {
	for i := range d.Columns {
		if !d.Columns[i].Dropped && !d.Columns[i].Hidden && d.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

func (sess *session) scanTable(ctx context.Context, d *catalog.Descriptor, fn func(types.Row) error) error {
	tx := sess.txn
	if tx == nil {
		tx = sess.srv.tables.Begin()
		defer tx.Rollback()
	}
	return tx.Scan(ctx, d.OID, func(_ []byte, r types.Row) error { return fn(r) })
}

func (sess *session) countRows(ctx context.Context, d *catalog.Descriptor) (int, error) {
	n := 0
	err := sess.scanTable(ctx, d, func(types.Row) error { n++; return nil })
	return n, err
}

// checkExisting verifies a new CHECK constraint against the stored rows.
func (sess *session) checkExisting(ctx context.Context, d *catalog.Descriptor, name, expr string) error {
	e, err := planner.BindStoredExpr(sess.srv.cat, sess.settings.searchPath(), d, expr)
	if err != nil {
		return err
	}
	ce, err := exec.Compile(e)
	if err != nil {
		return err
	}
	env := sess.env(nil)
	ref := planner.TableRefOf(d)
	return sess.scanTable(ctx, d, func(r types.Row) error {
		full := padRow(r, ref)
		v, err := ce.Eval(ctx, env, full)
		if err != nil {
			return err
		}
		if !v.IsNull() && !v.Bool() {
			return types.Errorf(types.CodeCheckViolation, "check constraint %q of relation %q is violated by some row", name, d.Name)
		}
		return nil
	})
}

func padRow(r types.Row, ref planner.TableRef) types.Row {
	if len(r) >= ref.NumPhysical {
		return r
	}
	out := make(types.Row, ref.NumPhysical)
	copy(out, r)
	for i := len(r); i < ref.NumPhysical; i++ {
		out[i] = ref.Missing[i]
	}
	return out
}

func (sess *session) rename(rs *pg_query.RenameStmt, w pgwire.ResultWriter) error {
	switch rs.RenameType {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_SEQUENCE, pg_query.ObjectType_OBJECT_MATVIEW:
		d, err := sess.relationFor(rs.Relation)
		if err != nil {
			if rs.MissingOk && types.Code(err) == types.CodeUndefinedTable {
				_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("relation %q does not exist, skipping", rs.Relation.Relname))
				return w.Complete("ALTER TABLE")
			}
			return err
		}
		if sess.nameTaken(d.Namespace, rs.Newname) {
			return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", rs.Newname)
		}
		nd := d.Clone()
		nd.Name = rs.Newname
		if err := sess.srv.cat.Update(nd); err != nil {
			return err
		}
		_, word := objectKindWord(rs.RenameType)
		return w.Complete("ALTER " + strings.ToUpper(word))
	case pg_query.ObjectType_OBJECT_INDEX:
		d, ix := sess.findIndex(rs.Relation.Schemaname, rs.Relation.Relname)
		if d == nil {
			return types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", rs.Relation.Relname)
		}
		if sess.nameTaken(d.Namespace, rs.Newname) {
			return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", rs.Newname)
		}
		nd := d.Clone()
		for i := range nd.Indexes {
			if nd.Indexes[i].Name == ix.Name {
				nd.Indexes[i].Def = strings.Replace(nd.Indexes[i].Def, quoteIdentIfNeeded(ix.Name), quoteIdentIfNeeded(rs.Newname), 1)
				nd.Indexes[i].Name = rs.Newname
				if nd.Indexes[i].Primary {
					nd.PKName = rs.Newname
				}
			}
		}
		if err := sess.srv.cat.Update(nd); err != nil {
			return err
		}
		return w.Complete("ALTER INDEX")
	case pg_query.ObjectType_OBJECT_COLUMN:
		d, err := sess.relationFor(rs.Relation)
		if err != nil {
			return err
		}
		slot := findSlot(d, rs.Subname)
		if slot < 0 {
			return types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", rs.Subname)
		}
		if findSlot(d, rs.Newname) >= 0 {
			return types.Errorf(types.CodeDuplicateColumn, "column %q of relation %q already exists", rs.Newname, d.Name)
		}
		nd := d.Clone()
		nd.Columns[slot].Name = rs.Newname
		// CHECK constraints and index definitions name the column.
		for i := range nd.Checks {
			nd.Checks[i].Expr = renameIdent(nd.Checks[i].Expr, rs.Subname, rs.Newname)
		}
		for i := range nd.Indexes {
			for _, c := range nd.Indexes[i].Columns {
				if c == slot {
					nd.Indexes[i].Def = strings.Replace(nd.Indexes[i].Def, "("+quoteIdentIfNeeded(rs.Subname), "("+quoteIdentIfNeeded(rs.Newname), 1)
					nd.Indexes[i].Def = strings.Replace(nd.Indexes[i].Def, ", "+quoteIdentIfNeeded(rs.Subname), ", "+quoteIdentIfNeeded(rs.Newname), 1)
				}
			}
		}
		if err := sess.srv.cat.Update(nd); err != nil {
			return err
		}
		return w.Complete("ALTER TABLE")
	case pg_query.ObjectType_OBJECT_TABCONSTRAINT:
		return types.Unsupported("renaming constraints")
	}
	return types.Unsupported("this RENAME")
}

// renameIdent replaces a column name in a stored expression by re-parsing
// it and rewriting its column references.
func renameIdent(expr, from, to string) string {
	res, err := pg_query.Parse("SELECT " + expr)
	if err != nil {
		return expr
	}
	walkMessage(res.ProtoReflect(), func(m protoreflect.Message) {
		if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
			last := cr.Fields[len(cr.Fields)-1].GetString_()
			if last != nil && last.Sval == from {
				last.Sval = to
			}
		}
	})
	out, err := pg_query.Deparse(res)
	if err != nil {
		return expr
	}
	return strings.TrimPrefix(out, "SELECT ")
}

// walkMessage visits every message of a protobuf tree.
func walkMessage(m protoreflect.Message, fn func(protoreflect.Message)) {
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkMessage(l.Get(i).Message(), fn)
			}
		case fd.Message() != nil && !fd.IsMap():
			walkMessage(v.Message(), fn)
		}
		return true
	})
}

func (sess *session) createView(st parser.Statement, vs *pg_query.ViewStmt, w pgwire.ResultWriter) error {
	if vs.View.Relpersistence == "t" {
		return types.Unsupported("temporary views")
	}
	schema, err := sess.createSchemaFor(vs.View)
	if err != nil {
		return err
	}
	b := sess.binder(st, nil)
	node, err := b.BindSelect(vs.Query)
	if err != nil {
		return err
	}
	if len(b.ParamTypes()) > 0 {
		return types.Errorf(types.CodeUndefinedParameter, "there is no parameter $1")
	}
	cols := visible(node.Columns())
	aliases := nameStrings(vs.Aliases)
	if len(aliases) > len(cols) {
		return types.Errorf(types.CodeSyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	query, err := deparseQuery(vs.Query)
	if err != nil {
		return err
	}
	desc := &catalog.Descriptor{Kind: catalog.KindView, Namespace: schema, Name: vs.View.Relname, Owner: sess.info.User, Query: query}
	seen := map[string]bool{}
	for i, c := range cols {
		name := c.Name
		if i < len(aliases) {
			name = aliases[i]
		}
		if seen[name] {
			return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		desc.Columns = append(desc.Columns, catalog.Column{Name: name, TypeOid: c.Type.Oid, Typmod: c.Type.Typmod, AttNum: int16(i + 1)})
	}
	desc.DependsOn = sess.dependencies(vs.Query)
	if existing, ok := sess.srv.cat.LookupRelation(schema, vs.View.Relname); ok {
		if !vs.Replace {
			return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", vs.View.Relname)
		}
		if existing.Kind != catalog.KindView {
			return types.Errorf(types.CodeWrongObjectType, "%q is not a view", vs.View.Relname)
		}
		desc.OID = existing.OID
		if err := sess.srv.cat.Update(desc); err != nil {
			return err
		}
		return w.Complete("CREATE VIEW")
	}
	if err := sess.srv.cat.Create(desc); err != nil {
		return err
	}
	return w.Complete("CREATE VIEW")
}

// dependencies lists the relations a query reads by name.
func (sess *session) dependencies(q *pg_query.Node) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	walkMessage(q.ProtoReflect(), func(m protoreflect.Message) {
		rv, ok := m.Interface().(*pg_query.RangeVar)
		if !ok {
			return
		}
		d, err := sess.srv.cat.ResolveRelation(rv.Relname, rv.Schemaname, sess.settings.searchPath())
		if err != nil || seen[d.OID] {
			return
		}
		seen[d.OID] = true
		out = append(out, d.OID)
	})
	return out
}

func (sess *session) createSequence(cs *pg_query.CreateSeqStmt, w pgwire.ResultWriter) error {
	schema, err := sess.createSchemaFor(cs.Sequence)
	if err != nil {
		return err
	}
	name := cs.Sequence.Relname
	if sess.nameTaken(schema, name) {
		if cs.IfNotExists {
			_ = w.Notice("NOTICE", types.CodeDuplicateTable, fmt.Sprintf("relation %q already exists, skipping", name))
			return w.Complete("CREATE SEQUENCE")
		}
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
	}
	min, max := int64(math.MinInt64), int64(math.MaxInt64)
	for _, o := range cs.Options {
		if d := o.GetDefElem(); d != nil && d.Defname == "as" {
			if t, err := planner.ResolveTypeName(d.Arg.GetTypeName()); err == nil && t.Family == types.IntFamily {
				min, max = intRange(t)
			}
		}
	}
	opts := state.DefaultSequenceOptions(schema+"."+name, 1, min, max)
	if err := applySeqOptions(&opts, cs.Options, min, max); err != nil {
		return err
	}
	desc := &catalog.Descriptor{Kind: catalog.KindSequence, Namespace: schema, Name: name, Owner: sess.info.User,
		Columns: []catalog.Column{{Name: "last_value", TypeOid: types.OidInt8, Typmod: -1, AttNum: 1}}}
	if err := sess.srv.cat.Create(desc); err != nil {
		return err
	}
	if err := sess.srv.tables.CreateSequence(desc.OID, opts); err != nil {
		return err
	}
	return w.Complete("CREATE SEQUENCE")
}

func (sess *session) truncate(ctx context.Context, ts *pg_query.TruncateStmt, w pgwire.ResultWriter) error {
	for _, r := range ts.Relations {
		rv := r.GetRangeVar()
		d, err := sess.relationFor(rv)
		if err != nil {
			return err
		}
		if d.Kind != catalog.KindTable {
			return types.Errorf(types.CodeWrongObjectType, "%q is not a table", d.Name)
		}
		var keys [][]byte
		var rows []types.Row
		if err := sess.txn.Scan(ctx, d.OID, func(k []byte, row types.Row) error {
			keys = append(keys, append([]byte(nil), k...))
			rows = append(rows, row)
			return nil
		}); err != nil {
			return err
		}
		for i := range keys {
			if err := sess.txn.Delete(d.OID, keys[i], rows[i]); err != nil {
				return err
			}
		}
	}
	return w.Complete("TRUNCATE TABLE")
}

func (sess *session) comment(cs *pg_query.CommentStmt, w pgwire.ResultWriter) error {
	switch cs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_SEQUENCE:
		parts := nameStrings(cs.Object.GetList().GetItems())
		schema, name := "", parts[len(parts)-1]
		if len(parts) == 2 {
			schema = parts[0]
		}
		d, err := sess.srv.cat.ResolveRelation(name, schema, sess.settings.searchPath())
		if err != nil {
			return err
		}
		if err := sess.srv.cat.SetComment(d.OID, 0, cs.Comment); err != nil {
			return err
		}
	case pg_query.ObjectType_OBJECT_COLUMN:
		parts := nameStrings(cs.Object.GetList().GetItems())
		if len(parts) < 2 {
			return types.Errorf(types.CodeSyntaxError, "column name must be qualified")
		}
		col := parts[len(parts)-1]
		schema, name := "", parts[len(parts)-2]
		if len(parts) == 3 {
			schema = parts[0]
		}
		d, err := sess.srv.cat.ResolveRelation(name, schema, sess.settings.searchPath())
		if err != nil {
			return err
		}
		slot := findSlot(d, col)
		if slot < 0 {
			return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", col, name)
		}
		if err := sess.srv.cat.SetComment(d.OID, d.Columns[slot].AttNum, cs.Comment); err != nil {
			return err
		}
	default:
		return types.Unsupported("COMMENT ON " + strings.TrimPrefix(cs.Objtype.String(), "OBJECT_"))
	}
	return w.Complete("COMMENT")
}
