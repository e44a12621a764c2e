package server

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// Privilege checks. A superuser may do anything; the owner of an object
// has every privilege on it and is the only one (with superusers) who may
// alter, drop or grant on it; everyone else needs a GRANT (to the role or
// to PUBLIC). The built-in schemas (pg_catalog, information_schema,
// streamdb, public) grant USAGE to PUBLIC, and the system relations are
// readable by everyone. CREATE in a schema needs ownership or a CREATE
// grant, so a fresh login role can read what it was granted and nothing
// else.

// builtinSchema reports whether PUBLIC has USAGE on a schema.
func builtinSchema(name string) bool {
	switch name {
	case "pg_catalog", "information_schema", "streamdb", "public":
		return true
	}
	return false
}

var accessPriv = [...]catalog.Privileges{
	planner.AccessSelect: catalog.PrivSelect,
	planner.AccessInsert: catalog.PrivInsert,
	planner.AccessUpdate: catalog.PrivUpdate,
	planner.AccessDelete: catalog.PrivDelete,
}

// checkAccess enforces the privileges of every relation a bound statement
// touches (42501 "permission denied for table x").
func (sess *session) checkAccess(b *planner.Binder) error {
	accessed := b.Accessed()
	if len(accessed) == 0 {
		return nil
	}
	role := sess.currentRole()
	if role.Superuser {
		return nil
	}
	for _, a := range accessed {
		d, ok := sess.srv.cat.ByOID(a.OID)
		if !ok {
			continue
		}
		if err := sess.checkRelation(role, d, accessPriv[a.Kind]); err != nil {
			return err
		}
	}
	return nil
}

// checkRelation checks one privilege of role on a relation.
func (sess *session) checkRelation(role catalog.Role, d *catalog.Descriptor, priv catalog.Privileges) error {
	if role.Superuser || d.Owner == role.Name {
		return nil
	}
	if d.OID < catalog.FirstUserOID && priv == catalog.PrivSelect && d.OID != catalog.OIDPgAuthID {
		return nil // system catalogs; pg_authid (password verifiers) is superuser-only
	}
	if err := sess.checkSchemaUsage(role, d.Namespace); err != nil {
		return err
	}
	if sess.srv.cat.Privileges(d.OID, role.OID)&priv != 0 {
		return nil
	}
	return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for %s %s", relationWord(d.Kind), d.Name)
}

func (sess *session) checkSchemaUsage(role catalog.Role, schema string) error {
	if builtinSchema(schema) {
		return nil
	}
	s, ok := sess.srv.cat.SchemaByName(schema)
	if !ok || s.Owner == role.Name || sess.srv.cat.Privileges(s.OID, role.OID)&catalog.PrivUsage != 0 {
		return nil
	}
	return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for schema %s", schema)
}

func relationWord(k catalog.Kind) string {
	switch k {
	case catalog.KindView:
		return "view"
	case catalog.KindMaterializedView:
		return "materialized view"
	case catalog.KindSequence:
		return "sequence"
	case catalog.KindSource:
		return "source"
	case catalog.KindSink:
		return "sink"
	case catalog.KindIndex:
		return "index"
	}
	return "table"
}

// checkDDL enforces ownership (ALTER, DROP, TRUNCATE, CREATE INDEX on an
// object need its owner: 42501 "must be owner of table x") and CREATE on
// the target schema for new objects. Statements whose objects do not
// resolve are let through: the DDL itself reports the missing object.
func (sess *session) checkDDL(st parser.Statement) error {
	role := sess.currentRole()
	if role.Superuser {
		return nil
	}
	if st.Kind != parser.NotDialect {
		// Sources and sinks reach outside systems (brokers, files).
		return types.Errorf(types.CodeInsufficientPrivilege, "permission denied: only superusers may create or drop sources and sinks")
	}
	n := st.AST
	switch {
	case n.GetCreateStmt() != nil:
		return sess.checkCreateIn(role, n.GetCreateStmt().Relation)
	case n.GetViewStmt() != nil:
		return sess.checkCreateIn(role, n.GetViewStmt().View)
	case n.GetCreateTableAsStmt() != nil:
		if into := n.GetCreateTableAsStmt().Into; into != nil {
			return sess.checkCreateIn(role, into.Rel)
		}
	case n.GetCreateSeqStmt() != nil:
		return sess.checkCreateIn(role, n.GetCreateSeqStmt().Sequence)
	case n.GetCreateSchemaStmt() != nil:
		return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for database streamdb")
	case n.GetIndexStmt() != nil:
		return sess.checkOwnerOf(role, n.GetIndexStmt().Relation)
	case n.GetAlterTableStmt() != nil:
		return sess.checkOwnerOf(role, n.GetAlterTableStmt().Relation)
	case n.GetTruncateStmt() != nil:
		for _, r := range n.GetTruncateStmt().Relations {
			if err := sess.checkOwnerOf(role, r.GetRangeVar()); err != nil {
				return err
			}
		}
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		switch rs.RenameType {
		case pg_query.ObjectType_OBJECT_ROLE, pg_query.ObjectType_OBJECT_SCHEMA:
			return types.Errorf(types.CodeInsufficientPrivilege, "permission denied to rename %s", strings.ToLower(strings.TrimPrefix(rs.RenameType.String(), "OBJECT_")))
		}
		return sess.checkOwnerOf(role, rs.Relation)
	case n.GetCommentStmt() != nil:
		return types.Errorf(types.CodeInsufficientPrivilege, "permission denied: only superusers may COMMENT ON")
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		if ds.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
			for _, o := range ds.Objects {
				name := defString(o)
				if s, ok := sess.srv.cat.SchemaByName(name); ok && s.Owner != role.Name {
					return types.Errorf(types.CodeInsufficientPrivilege, "must be owner of schema %s", name)
				}
			}
			return nil
		}
		for _, o := range ds.Objects {
			names := nameStrings(o.GetList().GetItems())
			rv := &pg_query.RangeVar{}
			switch len(names) {
			case 1:
				rv.Relname = names[0]
			case 2:
				rv.Schemaname, rv.Relname = names[0], names[1]
			default:
				continue
			}
			if ds.RemoveType == pg_query.ObjectType_OBJECT_INDEX {
				if d := sess.indexTable(rv); d != nil && d.Owner != role.Name {
					return types.Errorf(types.CodeInsufficientPrivilege, "must be owner of index %s", rv.Relname)
				}
				continue
			}
			if err := sess.checkOwnerOf(role, rv); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexTable returns the table of an index named by rv, nil if unknown.
func (sess *session) indexTable(rv *pg_query.RangeVar) *catalog.Descriptor {
	schemas := []string{rv.Schemaname}
	if rv.Schemaname == "" {
		schemas = sess.settings.searchPath()
	}
	for _, s := range schemas {
		if d, _, ok := sess.srv.cat.LookupIndex(s, rv.Relname); ok {
			return d
		}
	}
	return nil
}

func (sess *session) checkOwnerOf(role catalog.Role, rv *pg_query.RangeVar) error {
	if rv == nil {
		return nil
	}
	d, err := sess.srv.cat.ResolveRelation(rv.Relname, rv.Schemaname, sess.settings.searchPath())
	if err != nil {
		return nil
	}
	if d.Owner != role.Name {
		return types.Errorf(types.CodeInsufficientPrivilege, "must be owner of %s %s", relationWord(d.Kind), d.Name)
	}
	return nil
}

func (sess *session) checkCreateIn(role catalog.Role, rv *pg_query.RangeVar) error {
	if rv == nil {
		return nil
	}
	schema, err := sess.createSchemaFor(rv)
	if err != nil {
		return nil
	}
	s, ok := sess.srv.cat.SchemaByName(schema)
	if !ok || s.Owner == role.Name || sess.srv.cat.Privileges(s.OID, role.OID)&catalog.PrivCreate != 0 {
		return nil
	}
	return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for schema %s", schema)
}

// grant runs GRANT/REVOKE privileges ON [TABLE] t, ... | SCHEMA s, ...
// TO/FROM roles. Grant options and column privileges are not supported.
func (sess *session) grant(gs *pg_query.GrantStmt, w pgwire.ResultWriter) error {
	tag := "GRANT"
	if !gs.IsGrant {
		tag = "REVOKE"
	}
	if gs.Targtype != pg_query.GrantTargetType_ACL_TARGET_OBJECT {
		return types.Unsupported(tag + " ON ALL TABLES IN SCHEMA / ALTER DEFAULT PRIVILEGES")
	}
	if gs.GrantOption {
		return types.Unsupported("WITH GRANT OPTION")
	}
	role := sess.currentRole()
	var (
		objects []uint32
		all     catalog.Privileges
		onWhat  string
	)
	switch gs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_SEQUENCE:
		all, onWhat = catalog.PrivAllTable, "relation"
		for _, o := range gs.Objects {
			rv := o.GetRangeVar()
			if rv == nil {
				return types.Unsupported(tag + " on this object")
			}
			d, err := sess.srv.cat.ResolveRelation(rv.Relname, rv.Schemaname, sess.settings.searchPath())
			if err != nil {
				return err
			}
			if !role.Superuser && d.Owner != role.Name {
				return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for %s %s", relationWord(d.Kind), d.Name)
			}
			objects = append(objects, d.OID)
		}
	case pg_query.ObjectType_OBJECT_SCHEMA:
		all, onWhat = catalog.PrivAllSchema, "schema"
		for _, o := range gs.Objects {
			name := defString(o)
			s, ok := sess.srv.cat.SchemaByName(name)
			if !ok {
				return types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", name)
			}
			if !role.Superuser && s.Owner != role.Name {
				return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for schema %s", name)
			}
			objects = append(objects, s.OID)
		}
	default:
		return types.Unsupported(fmt.Sprintf("%s ON %s", tag, strings.TrimPrefix(gs.Objtype.String(), "OBJECT_")))
	}
	privs := catalog.Privileges(0)
	if len(gs.Privileges) == 0 {
		privs = all // ALL [PRIVILEGES]
	}
	for _, p := range gs.Privileges {
		ap := p.GetAccessPriv()
		if ap == nil {
			continue
		}
		if len(ap.Cols) > 0 {
			return types.Unsupported("column privileges")
		}
		bit, ok := privilegeBits[ap.PrivName]
		if untrackedTablePrivilege(ap.PrivName) && all == catalog.PrivAllTable {
			continue
		}
		if !ok || bit&all == 0 {
			return types.Errorf(codeInvalidGrantOperation, "invalid privilege type %s for %s", strings.ToUpper(ap.PrivName), onWhat)
		}
		privs |= bit
	}
	var grantees []uint32
	for _, g := range gs.Grantees {
		rs := g.GetRoleSpec()
		if rs != nil && rs.Roletype == pg_query.RoleSpecType_ROLESPEC_PUBLIC {
			grantees = append(grantees, catalog.PublicRoleOID)
			continue
		}
		name, err := sess.roleSpecName(rs)
		if err != nil {
			return err
		}
		r, ok := sess.srv.cat.RoleByName(name)
		if !ok {
			return types.Errorf(types.CodeUndefinedObject, "role %q does not exist", name)
		}
		grantees = append(grantees, r.OID)
	}
	if err := sess.srv.cat.ChangeGrants(objects, grantees, privs, gs.IsGrant); err != nil {
		return err
	}
	return w.Complete(tag)
}

// privilegeBits maps the privilege keywords (as the parser lower-cases
// them) to their bits. TRUNCATE, REFERENCES and TRIGGER are not tracked.
var privilegeBits = map[string]catalog.Privileges{
	"select": catalog.PrivSelect,
	"insert": catalog.PrivInsert,
	"update": catalog.PrivUpdate,
	"delete": catalog.PrivDelete,
	"create": catalog.PrivCreate,
	"usage":  catalog.PrivUsage,
}

// codeInvalidGrantOperation is SQLSTATE 0LP01.
const codeInvalidGrantOperation = "0LP01"

// untrackedTablePrivilege lists the table privileges GRANT accepts (so
// scripts written for Postgres run) without streamdb tracking them.
func untrackedTablePrivilege(name string) bool {
	return name == "truncate" || name == "references" || name == "trigger" || name == "maintain"
}

// checkVirtualRead guards the system tables that are not readable by
// everyone: pg_authid holds the password verifiers (superuser only, as in
// Postgres; pg_roles shows them masked).
func (sess *session) checkVirtualRead(qualified string) error {
	if qualified != "pg_catalog.pg_authid" || sess.currentRole().Superuser {
		return nil
	}
	return types.Errorf(types.CodeInsufficientPrivilege, "permission denied for table pg_authid")
}
