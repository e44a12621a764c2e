package server

import (
	"crypto/sha256"
	"encoding/base64"
	"net"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/types"
)

// authenticator authenticates against the configured users ([users] in the
// config file, treated as superusers) and the catalog roles (CREATE ROLE
// ... PASSWORD). Passwords are only ever stored as SCRAM-SHA-256 verifiers.
//
// Trust (no password) is used only when nothing asks for passwords: no
// configured users, and the role has no password and connects from a
// loopback address (checkListenSecurity refuses non-loopback listeners
// without configured users). Everything else uses the configured password
// method; an unknown user, a NOLOGIN role and a bad password all fail the
// same way (28P01), so probing cannot tell them apart.
type authenticator struct{ s *Server }

func (a *authenticator) Method(user string, remote net.Addr) pgwire.AuthMethod {
	if len(a.s.opts.Users) == 0 && isLoopback(remote) {
		if r, ok := a.s.cat.RoleByName(user); ok && r.Login && r.PasswordVerifier == "" {
			return pgwire.AuthTrust
		}
		if !a.rolesHavePasswords() {
			// The default install: everyone on loopback is trusted;
			// NewSession still refuses unknown roles.
			return pgwire.AuthTrust
		}
	}
	if a.s.opts.AuthMethod == "password" {
		return pgwire.AuthCleartext
	}
	return pgwire.AuthSCRAMSHA256
}

func (a *authenticator) rolesHavePasswords() bool {
	for _, r := range a.s.cat.Roles() {
		if r.PasswordVerifier != "" {
			return true
		}
	}
	return false
}

func (a *authenticator) Password(user string) (string, bool) {
	if p, ok := a.s.opts.Users[user]; ok {
		return p, true
	}
	if r, ok := a.s.cat.RoleByName(user); ok && r.Login && r.PasswordVerifier != "" {
		return r.PasswordVerifier, true
	}
	return "", false
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		// Unix sockets and in-process pipes are local.
		return addr == nil || addr.Network() == "unix" || addr.Network() == "pipe"
	}
	return tcp.IP.IsLoopback()
}

// isSuperuser reports whether user is a superuser role or a configured
// user (pgwire's reserved connection slots).
func (s *Server) isSuperuser(user string) bool {
	if r, ok := s.cat.RoleByName(user); ok {
		return r.Superuser
	}
	_, configured := s.opts.Users[user]
	return configured
}

// currentRole is the session's role. Users configured in the config file
// ([users]) have no catalog row and act as superusers: they are the
// operator's accounts.
func (sess *session) currentRole() catalog.Role {
	if r, ok := sess.srv.cat.RoleByName(sess.info.User); ok {
		return r
	}
	return catalog.Role{Name: sess.info.User, Superuser: true, Login: true}
}

func (sess *session) requireSuperuser(what string) error {
	if sess.currentRole().Superuser {
		return nil
	}
	return types.Errorf(types.CodeInsufficientPrivilege, "permission denied to %s", what)
}

// roleDDL runs CREATE/ALTER/DROP ROLE (and USER/GROUP). Only superusers
// manage roles (streamdb has no CREATEROLE attribute).
func (sess *session) roleDDL(n *pg_query.Node, w interface{ Complete(string) error }) error {
	switch {
	case n.GetCreateRoleStmt() != nil:
		st := n.GetCreateRoleStmt()
		if err := sess.requireSuperuser("create role"); err != nil {
			return err
		}
		r := catalog.Role{Name: st.Role, Login: st.StmtType == pg_query.RoleStmtType_ROLESTMT_USER}
		if err := applyRoleOptions(&r, st.Options); err != nil {
			return err
		}
		if _, err := sess.srv.cat.CreateRole(r); err != nil {
			return err
		}
		return w.Complete("CREATE ROLE")
	case n.GetAlterRoleStmt() != nil:
		st := n.GetAlterRoleStmt()
		name, err := sess.roleSpecName(st.Role)
		if err != nil {
			return err
		}
		r, ok := sess.srv.cat.RoleByName(name)
		if !ok {
			return types.Errorf(types.CodeUndefinedObject, "role %q does not exist", name)
		}
		if !sess.currentRole().Superuser {
			// A role may change its own password, nothing else.
			if name != sess.info.User || !onlyPassword(st.Options) {
				return types.Errorf(types.CodeInsufficientPrivilege, "permission denied to alter role")
			}
		}
		if err := applyRoleOptions(&r, st.Options); err != nil {
			return err
		}
		if r.OID == catalog.BootstrapSuperuserOID && !r.Superuser {
			return types.Errorf(types.CodeInsufficientPrivilege, "permission denied to alter role: the bootstrap superuser %q must stay a superuser", r.Name)
		}
		if err := sess.srv.cat.AlterRole(r); err != nil {
			return err
		}
		return w.Complete("ALTER ROLE")
	case n.GetDropRoleStmt() != nil:
		st := n.GetDropRoleStmt()
		if err := sess.requireSuperuser("drop role"); err != nil {
			return err
		}
		for _, rn := range st.Roles {
			name, err := sess.roleSpecName(rn.GetRoleSpec())
			if err != nil {
				return err
			}
			r, ok := sess.srv.cat.RoleByName(name)
			if !ok {
				if st.MissingOk {
					if nw, ok := w.(interface {
						Notice(string, string, string) error
					}); ok {
						_ = nw.Notice("NOTICE", types.CodeSuccessfulCompletion, "role \""+name+"\" does not exist, skipping")
					}
					continue
				}
				return types.Errorf(types.CodeUndefinedObject, "role %q does not exist", name)
			}
			if name == sess.info.User {
				return types.Errorf(codeObjectInUse, "current user cannot be dropped")
			}
			if r.OID != catalog.BootstrapSuperuserOID {
				if err := sess.srv.cat.RevokeAllFrom(r.OID); err != nil {
					return err
				}
			}
			if err := sess.srv.cat.DropRole(name); err != nil {
				return err
			}
		}
		return w.Complete("DROP ROLE")
	}
	return types.Unsupported("GRANT role TO role (role membership)")
}

func onlyPassword(opts []*pg_query.Node) bool {
	for _, o := range opts {
		if o.GetDefElem().GetDefname() != "password" {
			return false
		}
	}
	return true
}

// applyRoleOptions applies PASSWORD, LOGIN/NOLOGIN and SUPERUSER/
// NOSUPERUSER. A password given as a SCRAM-SHA-256 verifier is stored as
// is (pg_dump output, or a client that hashed it); a plain one is hashed
// here and never stored.
func applyRoleOptions(r *catalog.Role, opts []*pg_query.Node) error {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "password":
			if d.Arg == nil {
				r.PasswordVerifier = ""
				continue
			}
			p := d.Arg.GetString_().GetSval()
			switch {
			case isSCRAMVerifier(p):
				r.PasswordVerifier = p
			case strings.HasPrefix(p, "md5") && len(p) == 35:
				return types.Errorf(types.CodeFeatureNotSupported, "MD5 password hashes are not supported; use SCRAM-SHA-256")
			case p == "":
				// Postgres: an empty password is treated as NULL.
				r.PasswordVerifier = ""
			default:
				r.PasswordVerifier = pgwire.MakeSCRAMVerifier(p)
			}
		case "canlogin":
			r.Login = boolArg(d)
		case "superuser":
			r.Superuser = boolArg(d)
		case "inherit", "createdb", "createrole", "isreplication", "bypassrls", "connectionlimit", "validUntil":
			// Accepted for compatibility with dumps and tools; streamdb
			// only has the superuser attribute.
		default:
			return types.Errorf(types.CodeFeatureNotSupported, "role option %s is not supported", d.Defname)
		}
	}
	return nil
}

func boolArg(d *pg_query.DefElem) bool {
	if d.Arg == nil {
		return true
	}
	if b := d.Arg.GetBoolean(); b != nil {
		return b.Boolval
	}
	if i := d.Arg.GetInteger(); i != nil {
		return i.Ival != 0
	}
	return true
}

// roleSpecName resolves a role name, CURRENT_USER or SESSION_USER.
func (sess *session) roleSpecName(rs *pg_query.RoleSpec) (string, error) {
	if rs == nil {
		return "", types.Errorf(types.CodeSyntaxError, "missing role name")
	}
	switch rs.Roletype {
	case pg_query.RoleSpecType_ROLESPEC_CURRENT_USER, pg_query.RoleSpecType_ROLESPEC_SESSION_USER, pg_query.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return sess.info.User, nil
	case pg_query.RoleSpecType_ROLESPEC_PUBLIC:
		return "", types.Errorf(codeReservedName, "role name \"public\" is reserved")
	}
	return rs.Rolename, nil
}

// SQLSTATEs not in sql/types/errors.go.
const (
	codeObjectInUse  = "55006"
	codeReservedName = "42939"
)

// isSCRAMVerifier reports whether p is a well-formed Postgres SCRAM-SHA-256
// verifier (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>), the
// form a client sends when it hashed the password itself. Anything else is
// a plain password, like Postgres does.
func isSCRAMVerifier(p string) bool {
	rest, ok := strings.CutPrefix(p, "SCRAM-SHA-256$")
	if !ok {
		return false
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return false
	}
	iter, salt, ok := strings.Cut(iterSalt, ":")
	if !ok {
		return false
	}
	stored, server, ok := strings.Cut(keys, ":")
	if !ok {
		return false
	}
	if n, err := strconv.Atoi(iter); err != nil || n <= 0 {
		return false
	}
	if b, err := base64.StdEncoding.DecodeString(salt); err != nil || len(b) == 0 {
		return false
	}
	for _, k := range []string{stored, server} {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != sha256.Size {
			return false
		}
	}
	return true
}
