package catalog

import (
	"encoding/binary"
	"encoding/json"
	"sort"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// Privileges is a set of privileges on one object (a bit per privilege,
// like the letters of a Postgres aclitem).
type Privileges uint16

// The privileges streamdb enforces. Relations take Select to Delete;
// schemas take Create and Usage.
const (
	PrivSelect Privileges = 1 << iota
	PrivInsert
	PrivUpdate
	PrivDelete
	PrivCreate
	PrivUsage

	// PrivAllTable is ALL [PRIVILEGES] on a relation.
	PrivAllTable = PrivSelect | PrivInsert | PrivUpdate | PrivDelete
	// PrivAllSchema is ALL [PRIVILEGES] on a schema.
	PrivAllSchema = PrivCreate | PrivUsage
)

// PublicRoleOID stands for the PUBLIC pseudo-role in grants.
const PublicRoleOID = 0

// Grant is one grantee's privileges on one object (a relation or a schema,
// by OID).
type Grant struct {
	ObjectOID  uint32
	GranteeOID uint32
	Privileges Privileges
}

// recGrant keys the grants of one object: c g <object oid 4B BE> -> JSON
// map of grantee role OID to privileges. Grantees are stored by OID so a
// role rename needs no rewrite.
const recGrant = 'g'

// loadGrant decodes one grant record at Open.
func (c *Catalog) loadGrant(key, value []byte) error {
	if len(key) != 6 {
		return errors.New("bad grant key")
	}
	var acl map[uint32]Privileges
	if err := json.Unmarshal(value, &acl); err != nil {
		return err
	}
	if c.grants == nil {
		c.grants = make(map[uint32]map[uint32]Privileges)
	}
	c.grants[binary.BigEndian.Uint32(key[2:6])] = acl
	return nil
}

// Privileges returns what grantee (and PUBLIC) were granted on an object.
// Ownership and superuser rights are the caller's business.
func (c *Catalog) Privileges(objectOID, granteeOID uint32) Privileges {
	c.mu.RLock()
	defer c.mu.RUnlock()
	acl := c.grants[objectOID]
	return acl[granteeOID] | acl[PublicRoleOID]
}

// Grants returns every grant, sorted by object then grantee.
func (c *Catalog) Grants() []Grant {
	c.mu.RLock()
	var out []Grant
	for obj, acl := range c.grants {
		for grantee, p := range acl {
			out = append(out, Grant{ObjectOID: obj, GranteeOID: grantee, Privileges: p})
		}
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].ObjectOID != out[j].ObjectOID {
			return out[i].ObjectOID < out[j].ObjectOID
		}
		return out[i].GranteeOID < out[j].GranteeOID
	})
	return out
}

// ChangeGrants adds (grant) or removes (revoke) privileges of each grantee
// on each object, in one durable write (GRANT/REVOKE).
func (c *Catalog) ChangeGrants(objectOIDs, granteeOIDs []uint32, privs Privileges, grant bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	updated := make(map[uint32]map[uint32]Privileges, len(objectOIDs))
	for _, obj := range objectOIDs {
		acl := make(map[uint32]Privileges)
		for g, p := range c.grants[obj] {
			acl[g] = p
		}
		for _, g := range granteeOIDs {
			if grant {
				acl[g] |= privs
			} else {
				acl[g] &^= privs
			}
			if acl[g] == 0 {
				delete(acl, g)
			}
		}
		updated[obj] = acl
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		return writeACLs(b, updated)
	}, func() { c.applyACLsLocked(updated) })
}

// RevokeAllFrom removes every grant to a role (before DROP ROLE).
func (c *Catalog) RevokeAllFrom(granteeOID uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	updated := make(map[uint32]map[uint32]Privileges)
	for obj, acl := range c.grants {
		if _, ok := acl[granteeOID]; !ok {
			continue
		}
		copied := make(map[uint32]Privileges, len(acl))
		for g, p := range acl {
			if g != granteeOID {
				copied[g] = p
			}
		}
		updated[obj] = copied
	}
	if len(updated) == 0 {
		return nil
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		return writeACLs(b, updated)
	}, func() { c.applyACLsLocked(updated) })
}

func writeACLs(b *pebble.Batch, acls map[uint32]map[uint32]Privileges) error {
	for obj, acl := range acls {
		if len(acl) == 0 {
			if err := b.Delete(recordKey(recGrant, obj), nil); err != nil {
				return err
			}
			continue
		}
		if err := putJSON(b, recordKey(recGrant, obj), acl); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) applyACLsLocked(acls map[uint32]map[uint32]Privileges) {
	if c.grants == nil {
		c.grants = make(map[uint32]map[uint32]Privileges)
	}
	for obj, acl := range acls {
		if len(acl) == 0 {
			delete(c.grants, obj)
		} else {
			c.grants[obj] = acl
		}
	}
}

// grantPrivilegeNames are the information_schema names of the relation
// privileges, in PrivSelect.. bit order.
var grantPrivilegeNames = [...]string{"SELECT", "INSERT", "UPDATE", "DELETE"}

// appendGrantRows adds the information_schema.table_privileges rows of the
// grants on relation r (grantor: its owner; grantee PUBLIC for role 0).
func (v *virtualContext) appendGrantRows(rows []types.Row, r *relInfo, owner types.Datum, db types.Datum) []types.Row {
	for _, g := range v.in.Grants {
		if g.ObjectOID != r.d.OID {
			continue
		}
		grantee := "PUBLIC"
		if g.GranteeOID != PublicRoleOID {
			grantee = v.roleName(g.GranteeOID)
		}
		for bit, name := range grantPrivilegeNames {
			if g.Privileges&(1<<bit) == 0 {
				continue
			}
			rows = append(rows, types.Row{
				owner, dStr(grantee), db, dStr(r.d.Namespace), dStr(r.d.Name),
				dStr(name), dYesNo(false), dYesNo(name == "SELECT"),
			})
		}
	}
	return rows
}
