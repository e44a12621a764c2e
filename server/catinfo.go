package server

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// catalogInfo answers the catalog functions (builtins.CatalogInfo) for one
// session, and gives nextval/currval/setval access to sequences.
type catalogInfo struct {
	sess *session
	// currval remembers the last nextval of each sequence in the session.
}

var _ builtins.CatalogInfo = (*catalogInfo)(nil)

func splitQualified(name string) (schema, rel string) {
	name = strings.TrimSpace(name)
	parts := splitIdent(name)
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	if len(parts) == 1 {
		return "", parts[0]
	}
	return "", name
}

// splitIdent splits a possibly quoted, dotted identifier, folding unquoted
// parts to lower case.
func splitIdent(s string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	wasQuoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			wasQuoted = true
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
			wasQuoted = false
		default:
			if !quoted {
				c = lower(c)
			}
			cur.WriteByte(c)
		}
	}
	_ = wasQuoted
	return append(parts, cur.String())
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (ci *catalogInfo) RelationOID(name string) (uint32, error) {
	schema, rel := splitQualified(name)
	if schema == "" || schema == "pg_catalog" || schema == "information_schema" || schema == "streamdb" {
		for _, s := range []string{schema, "pg_catalog"} {
			if s == "" {
				continue
			}
			if oid, ok := catalog.VirtualTableOID(s + "." + rel); ok {
				return oid, nil
			}
		}
	}
	d, err := ci.sess.srv.cat.ResolveRelation(rel, schema, ci.sess.settings.searchPath())
	if err != nil {
		// Indexes are relations too ('customers_pkey'::regclass).
		schemas := ci.sess.settings.searchPath()
		if schema != "" {
			schemas = []string{schema}
		}
		for _, s := range schemas {
			if _, ix, ok := ci.sess.srv.cat.LookupIndex(s, rel); ok {
				return ix.OID, nil
			}
		}
		return 0, err
	}
	return d.OID, nil
}

func (ci *catalogInfo) RelationName(oid uint32) (string, bool) {
	if d, ok := ci.sess.srv.cat.ByOID(oid); ok {
		if ci.TableIsVisible(oid) {
			return quoteIdentIfNeeded(d.Name), true
		}
		return quoteIdentIfNeeded(d.Namespace) + "." + quoteIdentIfNeeded(d.Name), true
	}
	if d, ix, ok := ci.sess.srv.cat.IndexByOID(oid); ok {
		_ = d
		return quoteIdentIfNeeded(ix.Name), true
	}
	for _, n := range catalog.VirtualTableNames() {
		if o, ok := catalog.VirtualTableOID(n); ok && o == oid {
			if strings.HasPrefix(n, "pg_catalog.") {
				return strings.TrimPrefix(n, "pg_catalog."), true
			}
			return n, true
		}
	}
	return "", false
}

func quoteIdentIfNeeded(s string) string {
	ok := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || (i > 0 && (c >= '0' && c <= '9' || c == '$'))) {
			ok = false
		}
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (ci *catalogInfo) TypeOID(name string) (uint32, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "pg_catalog.")
	switch n {
	case "character varying":
		n = "varchar"
	case "timestamp with time zone":
		n = "timestamptz"
	case "timestamp without time zone":
		n = "timestamp"
	case "time without time zone":
		n = "time"
	}
	if i := strings.IndexByte(n, '('); i > 0 {
		n = strings.TrimSpace(n[:i]) + strings.TrimSpace(n[strings.IndexByte(n, ')')+1:])
	}
	if t, ok := planner.LookupTypeName(n); ok {
		return t.Oid, nil
	}
	return 0, types.Errorf(types.CodeUndefinedObject, "type %q does not exist", name)
}

func (ci *catalogInfo) NamespaceOID(name string) (uint32, error) {
	for _, s := range ci.namespaces() {
		if s.Name == name {
			return s.OID, nil
		}
	}
	return 0, types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", name)
}

func (ci *catalogInfo) NamespaceName(oid uint32) (string, bool) {
	for _, s := range ci.namespaces() {
		if s.OID == oid {
			return s.Name, true
		}
	}
	return "", false
}

func (ci *catalogInfo) namespaces() []catalog.NamespaceInfo {
	var out []catalog.NamespaceInfo
	for _, s := range ci.sess.srv.cat.Schemas() {
		out = append(out, catalog.NamespaceInfo{OID: s.OID, Name: s.Name, Owner: s.Owner})
	}
	return out
}

func (ci *catalogInfo) TableIsVisible(oid uint32) bool {
	d, ok := ci.sess.srv.cat.ByOID(oid)
	if !ok {
		if dd, ix, ok := ci.sess.srv.cat.IndexByOID(oid); ok {
			_ = ix
			d = dd
		} else {
			return ci.virtualTableIsVisible(oid)
		}
	}
	for _, s := range ci.sess.settings.searchPath() {
		if s == d.Namespace {
			// Visible unless an earlier schema has the same name.
			found, err := ci.sess.srv.cat.ResolveRelation(d.Name, "", ci.sess.settings.searchPath())
			return err == nil && found.OID == d.OID || found == nil && err == nil
		}
	}
	return false
}

// virtualTableIsVisible: pg_catalog is always searched; information_schema
// and streamdb only when on search_path (psql's \d and \dp list what is
// visible, and Postgres does not show information_schema there).
func (ci *catalogInfo) virtualTableIsVisible(oid uint32) bool {
	for _, n := range catalog.VirtualTableNames() {
		if o, ok := catalog.VirtualTableOID(n); !ok || o != oid {
			continue
		}
		schema, _, _ := strings.Cut(n, ".")
		if schema == "pg_catalog" {
			return true
		}
		for _, s := range ci.sess.settings.searchPath() {
			if s == schema {
				return true
			}
		}
		return false
	}
	return true // not a relation: Postgres answers true for unknown OIDs too
}

func (ci *catalogInfo) IndexDef(oid uint32) (string, bool) {
	in := ci.sess.virtualInput()
	return catalog.IndexDefinition(in, oid, 0)
}

func (ci *catalogInfo) ViewDef(oid uint32) (string, bool) {
	d, ok := ci.sess.srv.cat.ByOID(oid)
	if !ok || d.Query == "" {
		return "", false
	}
	return catalog.ViewDefinitionText(d.Query), true
}

func (ci *catalogInfo) ConstraintDef(oid uint32) (string, bool) {
	return catalog.ConstraintDefinition(ci.sess.virtualInput(), oid)
}

func (ci *catalogInfo) Comment(oid uint32, attnum int32) (string, bool) {
	return ci.sess.srv.cat.GetComment(oid, int16(attnum))
}

func (ci *catalogInfo) RoleName(oid uint32) (string, bool) {
	for _, r := range ci.sess.srv.cat.Roles() {
		if r.OID == oid {
			return r.Name, true
		}
	}
	if oid == catalog.BootstrapSuperuserOID {
		return catalog.SuperuserName, true
	}
	return "", false
}

func (ci *catalogInfo) ExprDef(relOID uint32, attnum int32) (string, bool) {
	d, ok := ci.sess.srv.cat.ByOID(relOID)
	if !ok || attnum < 1 || int(attnum) > len(d.Columns) {
		return "", false
	}
	c := d.Columns[attnum-1]
	return c.Default, c.Default != ""
}

// Sequence access for nextval/currval/setval.

func (ci *catalogInfo) NextVal(seqOID uint32) (int64, error) {
	v, err := ci.sess.srv.tables.NextVal(seqOID)
	if err == nil {
		if ci.sess.currval == nil {
			ci.sess.currval = map[uint32]int64{}
		}
		ci.sess.currval[seqOID] = v
	}
	return v, err
}

func (ci *catalogInfo) CurrVal(seqOID uint32) (int64, error) {
	if v, ok := ci.sess.currval[seqOID]; ok {
		return v, nil
	}
	name := "?"
	if d, ok := ci.sess.srv.cat.ByOID(seqOID); ok {
		name = d.Name
	}
	return 0, types.Errorf(types.CodeObjectNotInPrerequisiteState, "currval of sequence %q is not yet defined in this session", name)
}

func (ci *catalogInfo) SetVal(seqOID uint32, v int64, isCalled bool) (int64, error) {
	if err := ci.sess.srv.tables.SetVal(seqOID, v, isCalled); err != nil {
		return 0, err
	}
	if isCalled {
		if ci.sess.currval == nil {
			ci.sess.currval = map[uint32]int64{}
		}
		ci.sess.currval[seqOID] = v
	}
	return v, nil
}

var _ builtins.SequenceAccess = (*catalogInfo)(nil)

// virtualTables generates system table rows for one session.
type virtualTables struct{ sess *session }

func (v *virtualTables) Rows(ctx context.Context, name string) ([]types.Row, error) {
	if err := v.sess.checkVirtualRead(name); err != nil { // privileges.go
		return nil, err
	}
	return catalog.GenerateVirtual(name, v.sess.virtualInput())
}

// virtualInput gathers what the system tables show.
func (sess *session) virtualInput() *catalog.VirtualInput {
	srv := sess.srv
	in := &catalog.VirtualInput{
		Relations: srv.cat.Relations(),
		Database:  "streamdb",
		User:      sess.info.User,
		Now:       time.Now(),
	}
	for _, s := range srv.cat.Schemas() {
		in.Namespaces = append(in.Namespaces, catalog.NamespaceInfo{OID: s.OID, Name: s.Name, Owner: s.Owner})
	}
	in.Grants = srv.cat.Grants()
	for _, r := range srv.cat.Roles() {
		in.Roles = append(in.Roles, catalog.RoleInfo{OID: r.OID, Name: r.Name, Superuser: r.Superuser, Login: r.Login, PasswordVerifier: r.PasswordVerifier})
	}
	names := make([]string, 0, len(settingDefs))
	for k := range settingDefs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		in.Settings = append(in.Settings, catalog.SettingInfo{Name: settingDisplayName(k), Setting: sess.settings.get(k), Category: "Client Connection Defaults", ShortDesc: settingDefs[k].desc, Context: "user", Vartype: "string", Source: "default"})
	}
	in.Functions = functionInfos()
	if srv.views != nil {
		in.RuntimeRows = map[string][]types.Row{"streamdb.dataflows": srv.views.dataflowRows(), "streamdb.state_tables": append(append(srv.ttl.fillViewTTLRows(srv.views.stateTableRows()), srv.tableTTLRows()...), srv.tableStorageRows()...)} // logonly.go: tableStorageRows
	}
	if in.RuntimeRows == nil {
		in.RuntimeRows = map[string][]types.Row{}
	}
	in.RuntimeRows["streamdb.checkpoints"] = srv.checkpointRows()
	in.RuntimeRows["streamdb.storage"] = srv.storageRows() // lookup.go
	srv.kafka.runtimeRows(in)
	srv.nexmark.runtimeRows(in)
	srv.mu.Lock()
	for _, o := range srv.sessions {
		in.Activity = append(in.Activity, catalog.ActivityInfo{
			PID: o.info.BackendPID, User: o.info.User, Database: "streamdb", AppName: o.settings.get("application_name"),
			ClientAddr: hostOf(o.info.RemoteAddr), State: o.state, Query: o.query, BackendStart: o.started, QueryStart: o.queryStart,
		})
	}
	srv.mu.Unlock()
	return in
}

func hostOf(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	s := a.String()
	if i := strings.LastIndexByte(s, ':'); i > 0 {
		return strings.Trim(s[:i], "[]")
	}
	return s
}

// functionInfos lists the built-in functions for pg_proc.
func functionInfos() []catalog.FunctionInfo {
	var out []catalog.FunctionInfo
	for _, ov := range builtins.Functions() {
		if ov.Name == "" || !isIdentStart(ov.Name[0]) {
			continue // operators are not in pg_proc
		}
		fi := catalog.FunctionInfo{OID: ov.Oid, Name: ov.Name, Namespace: catalog.NamespacePgCatalog, Kind: 'f', RetSet: ov.SetReturning, Strict: !ov.CalledOnNull}
		for _, a := range ov.Args {
			fi.ArgTypes = append(fi.ArgTypes, a.Oid)
		}
		if ov.Ret != nil {
			fi.RetType = ov.Ret.Oid
		}
		switch ov.Volatility {
		case builtins.Immutable:
			fi.Volatility = 'i'
		case builtins.Stable:
			fi.Volatility = 's'
		default:
			fi.Volatility = 'v'
		}
		out = append(out, fi)
	}
	return out
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c == '_' }

// regName turns an OID alias value into the name Postgres prints for it
// (the number itself when nothing has that OID, as Postgres does).
func (ci *catalogInfo) regName(d types.Datum, t *types.T) types.Datum {
	if d.K != types.KInt {
		return d
	}
	oid := uint32(d.I)
	if oid == 0 {
		return types.DString("-")
	}
	var name string
	var ok bool
	switch t.Oid {
	case types.OidRegClass:
		name, ok = ci.RelationName(oid)
	case types.OidRegType:
		if bt := types.ByOid(oid); bt != nil {
			name, ok = bt.Name(), true
		}
	case types.OidRegNamespace:
		name, ok = ci.NamespaceName(oid)
	case types.OidRegRole:
		name, ok = ci.RoleName(oid)
	case types.OidRegProc, types.OidRegProcedure:
		for _, ov := range builtins.Functions() {
			if ov.Oid == oid {
				name, ok = ov.Name, true
				break
			}
		}
	}
	if !ok {
		return d
	}
	return types.DString(name)
}
