package server

import (
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// HasPrivilege answers has_table_privilege and its siblings from the same
// rules the executor enforces (privileges.go): superusers and owners hold
// every privilege, system relations are readable by all (pg_authid only by
// superusers), the built-in schemas grant USAGE to PUBLIC, and everything
// else needs a GRANT to the role or to PUBLIC. BI tools call these to
// decide which tables to offer; a true for a table the user cannot read
// makes them fail later with 42501.
func (ci *catalogInfo) HasPrivilege(req builtins.PrivilegeRequest) (has, ok bool, err error) {
	role, err := ci.privilegeRole(req.Role)
	if err != nil {
		return false, false, err
	}
	privs, err := parsePrivileges(req.Kind, req.Privileges)
	if err != nil {
		return false, false, err
	}
	cat := ci.sess.srv.cat
	switch req.Kind {
	case "table", "any_column", "column", "sequence":
		oid, found, err := ci.privilegeRelation(req.Object)
		if err != nil || !found {
			return false, found, err
		}
		d, known := cat.ByOID(oid)
		if req.Kind == "column" && known {
			if found, err := columnExists(d, req.Column); err != nil || !found {
				return false, found, err
			}
		}
		if role.Superuser {
			return true, true, nil
		}
		if !known {
			// A system relation: readable by everyone but pg_authid.
			return privs == catalog.PrivSelect && oid != catalog.OIDPgAuthID, true, nil
		}
		if d.Owner == role.Name {
			return true, true, nil
		}
		return cat.Privileges(d.OID, role.OID)&privs != 0, true, nil
	case "schema":
		var s catalog.Schema
		var found bool
		if req.Object.K == types.KInt {
			for _, cand := range cat.Schemas() {
				if cand.OID == uint32(req.Object.I) {
					s, found = cand, true
				}
			}
			if !found {
				return false, false, nil
			}
		} else if s, found = cat.SchemaByName(req.Object.S); !found {
			return false, false, types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", req.Object.S)
		}
		if role.Superuser || s.Owner == role.Name {
			return true, true, nil
		}
		if privs&catalog.PrivUsage != 0 && builtinSchema(s.Name) {
			return true, true, nil
		}
		return cat.Privileges(s.OID, role.OID)&privs != 0, true, nil
	case "database":
		// Everyone may connect and create temporary tables; CREATE (a
		// schema) is for superusers.
		return role.Superuser || privs&(catalog.PrivUsage|catalog.PrivSelect) != 0, true, nil
	case "role":
		// There is no role membership: a role has only its own privileges,
		// and a superuser those of every role.
		other, err := ci.privilegeRole(req.Object)
		if err != nil {
			return false, false, err
		}
		return role.Superuser || other.Name == role.Name, true, nil
	}
	// Functions (EXECUTE is granted to PUBLIC) and tablespaces (there are
	// none to deny).
	return true, true, nil
}

// privilegeRole resolves the role argument: NULL is the current user.
func (ci *catalogInfo) privilegeRole(d types.Datum) (catalog.Role, error) {
	switch d.K {
	case types.KNull:
		return ci.sess.currentRole(), nil
	case types.KInt:
		for _, r := range ci.sess.srv.cat.Roles() {
			if r.OID == uint32(d.I) {
				return r, nil
			}
		}
		if uint32(d.I) == catalog.BootstrapSuperuserOID {
			return catalog.Role{OID: catalog.BootstrapSuperuserOID, Name: catalog.SuperuserName, Superuser: true, Login: true}, nil
		}
		return catalog.Role{}, types.Errorf(types.CodeUndefinedObject, "role with OID %d does not exist", d.I)
	}
	name := d.S
	switch strings.ToLower(name) {
	case "public":
		return catalog.Role{OID: catalog.PublicRoleOID, Name: "public"}, nil
	case "current_user", "session_user":
		return ci.sess.currentRole(), nil
	}
	if r, ok := ci.sess.srv.cat.RoleByName(name); ok {
		return r, nil
	}
	if name == ci.sess.info.User {
		return ci.sess.currentRole(), nil
	}
	return catalog.Role{}, types.Errorf(types.CodeUndefinedObject, "role %q does not exist", name)
}

// privilegeRelation resolves a relation argument given by name (42P01 when
// unknown) or OID (found is false when unknown: the answer is NULL).
func (ci *catalogInfo) privilegeRelation(d types.Datum) (oid uint32, found bool, err error) {
	if d.K == types.KInt {
		oid := uint32(d.I)
		if _, ok := ci.sess.srv.cat.ByOID(oid); ok {
			return oid, true, nil
		}
		_, ok := ci.RelationName(oid)
		return oid, ok, nil
	}
	oid, err = ci.RelationOID(d.S)
	return oid, err == nil, err
}

// columnExists checks the column argument of has_column_privilege: a name
// (42703 when unknown) or an attribute number (NULL when unknown).
func columnExists(d *catalog.Descriptor, col types.Datum) (found bool, err error) {
	for i, c := range d.Columns {
		if col.K == types.KInt && int64(i+1) == col.I || col.K != types.KInt && c.Name == col.S {
			return true, nil
		}
	}
	if col.K == types.KInt {
		return false, nil
	}
	return false, types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", col.S, d.Name)
}

// parsePrivileges reads a privilege list ("SELECT, update WITH GRANT
// OPTION"). Privileges streamdb never grants (TRUNCATE, REFERENCES,
// TRIGGER) map to no bit: only superusers and owners hold them.
func parsePrivileges(kind, list string) (catalog.Privileges, error) {
	var out catalog.Privileges
	for _, p := range strings.Split(list, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		p = strings.TrimSpace(strings.TrimSuffix(p, "WITH GRANT OPTION"))
		p = strings.TrimSpace(strings.TrimSuffix(p, "WITH ADMIN OPTION"))
		switch p {
		case "SELECT":
			out |= catalog.PrivSelect
		case "INSERT":
			out |= catalog.PrivInsert
		case "UPDATE":
			out |= catalog.PrivUpdate
		case "DELETE":
			out |= catalog.PrivDelete
		case "USAGE", "CONNECT", "TEMPORARY", "TEMP", "MEMBER":
			out |= catalog.PrivUsage
		case "CREATE":
			out |= catalog.PrivCreate
		case "TRUNCATE", "REFERENCES", "TRIGGER", "EXECUTE":
			if p == "EXECUTE" {
				out |= catalog.PrivUsage
			}
		default:
			return 0, types.Errorf(types.CodeInvalidParameterValue, "unrecognized privilege type: %s", strconv.Quote(strings.ToLower(p)))
		}
	}
	if kind == "sequence" && out&catalog.PrivUsage != 0 {
		// USAGE on a sequence (nextval) is what SELECT/UPDATE grants allow here.
		out |= catalog.PrivSelect | catalog.PrivUpdate
	}
	return out, nil
}
