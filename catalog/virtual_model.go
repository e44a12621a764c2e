package catalog

import (
	"sort"
	"strings"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// virtualContext is a VirtualInput resolved once per generated table: name
// to OID maps and the relation list (user relations and system tables).
type virtualContext struct {
	in         *VirtualInput
	dbOID      uint32
	namespaces []NamespaceInfo
	nsOID      map[string]uint32
	nsName     map[uint32]string
	roles      []RoleInfo
	roleOID    map[string]uint32
	rels       []*relInfo
	relByOID   map[uint32]*relInfo
	now        time.Time
}

// relInfo is one relation with what its catalog rows need resolved.
type relInfo struct {
	d        *Descriptor
	nsOID    uint32
	ownerOID uint32
	relkind  string
	system   bool
	// indexes are the relation's indexes, with the primary key's index
	// synthesized when the descriptor lists a primary key but no primary
	// index.
	indexes []Index
}

// builtinNamespaces are always listed in pg_namespace.
var builtinNamespaces = []NamespaceInfo{
	{OID: NamespacePgCatalog, Name: "pg_catalog"},
	{OID: NamespacePgToast, Name: "pg_toast"},
	{OID: NamespacePublic, Name: "public"},
	{OID: NamespaceInfoSchema, Name: "information_schema"},
	{OID: NamespaceStreamdb, Name: "streamdb"},
}

func newVirtualContext(in *VirtualInput) *virtualContext {
	v := &virtualContext{
		in:      in,
		dbOID:   in.DatabaseOID,
		nsOID:   make(map[string]uint32),
		nsName:  make(map[uint32]string),
		roleOID: make(map[string]uint32),
		now:     in.Now,
	}
	if v.dbOID == 0 {
		v.dbOID = DefaultDatabaseOID
	}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	v.roles = in.Roles
	if len(v.roles) == 0 {
		user := in.User
		if user == "" {
			user = "streamdb"
		}
		v.roles = []RoleInfo{{OID: BootstrapSuperuserOID, Name: user, Superuser: true, Login: true}}
	}
	for _, r := range v.roles {
		v.roleOID[r.Name] = r.OID
	}
	addNS := func(ns NamespaceInfo) {
		if _, ok := v.nsOID[ns.Name]; ok {
			return
		}
		if _, ok := v.nsName[ns.OID]; ok {
			return
		}
		v.nsOID[ns.Name] = ns.OID
		v.nsName[ns.OID] = ns.Name
		v.namespaces = append(v.namespaces, ns)
	}
	for _, ns := range in.Namespaces {
		addNS(ns)
	}
	for _, ns := range builtinNamespaces {
		addNS(ns)
	}
	sort.Slice(v.namespaces, func(i, j int) bool { return v.namespaces[i].OID < v.namespaces[j].OID })

	v.relByOID = make(map[uint32]*relInfo, len(in.Relations)+len(registry.system))
	for _, d := range registry.system {
		v.addRel(&relInfo{d: d, nsOID: v.nsOID[d.Namespace], ownerOID: BootstrapSuperuserOID, relkind: d.Kind.RelKind(), system: true})
	}
	for _, d := range in.Relations {
		if d.Kind == KindSink || d.Kind == KindIndex {
			continue
		}
		v.addRel(&relInfo{d: d, nsOID: v.nsOID[d.Namespace], ownerOID: v.ownerOID(d.Owner), relkind: d.Kind.RelKind(), indexes: effectiveIndexes(d)})
	}
	return v
}

func (v *virtualContext) addRel(r *relInfo) {
	v.rels = append(v.rels, r)
	v.relByOID[r.d.OID] = r
}

// ownerOID resolves a role name; unknown or empty names are the bootstrap
// superuser.
func (v *virtualContext) ownerOID(name string) uint32 {
	if oid, ok := v.roleOID[name]; ok {
		return oid
	}
	return BootstrapSuperuserOID
}

// roleName is the inverse of ownerOID.
func (v *virtualContext) roleName(oid uint32) string {
	for _, r := range v.roles {
		if r.OID == oid {
			return r.Name
		}
	}
	if len(v.roles) > 0 {
		return v.roles[0].Name
	}
	return "streamdb"
}

func (v *virtualContext) database() string {
	if v.in.Database == "" {
		return "streamdb"
	}
	return v.in.Database
}

// effectiveIndexes returns d's indexes, adding the primary key's index when
// d has a primary key that Indexes does not list.
func effectiveIndexes(d *Descriptor) []Index {
	if len(d.PrimaryKey) == 0 {
		return d.Indexes
	}
	for _, ix := range d.Indexes {
		if ix.Primary {
			return d.Indexes
		}
	}
	pk := Index{OID: d.PKOID, Name: pkName(d), Columns: d.PrimaryKey, Unique: true, Primary: true}
	out := make([]Index, 0, len(d.Indexes)+1)
	out = append(out, pk)
	return append(out, d.Indexes...)
}

func pkName(d *Descriptor) string {
	if d.PKName != "" {
		return d.PKName
	}
	return d.Name + "_pkey"
}

// pkConstraintOID is the pg_constraint OID of d's primary key: PKOID, or
// the primary index's OID when PKOID is not set.
func pkConstraintOID(d *Descriptor, pkIndex *Index) uint32 {
	if d.PKOID != 0 {
		return d.PKOID
	}
	return pkIndex.OID
}

// primaryIndex returns the relation's primary key index, or nil.
func (r *relInfo) primaryIndex() *Index {
	for i := range r.indexes {
		if r.indexes[i].Primary {
			return &r.indexes[i]
		}
	}
	return nil
}

// attNum is the pg_attribute.attnum of the column in slot i.
func attNum(d *Descriptor, i int) int16 {
	if d.Columns[i].AttNum != 0 {
		return d.Columns[i].AttNum
	}
	return int16(i + 1)
}

// visibleColumn reports whether slot i has a pg_attribute row (the hidden
// row id of a table without a primary key has none).
func visibleColumn(d *Descriptor, i int) bool { return !d.Columns[i].Hidden }

// relNatts is pg_class.relnatts: the highest attnum, dropped columns
// included, as in Postgres.
func relNatts(d *Descriptor) int16 {
	var n int16
	for i := range d.Columns {
		if visibleColumn(d, i) && attNum(d, i) > n {
			n = attNum(d, i)
		}
	}
	return n
}

// inPrimaryKey reports whether slot i is part of d's primary key.
func inPrimaryKey(d *Descriptor, i int) bool {
	for _, s := range d.PrimaryKey {
		if s == i {
			return true
		}
	}
	return false
}

// columnNotNull is attnotnull: declared NOT NULL or part of the primary key.
func columnNotNull(d *Descriptor, i int) bool {
	return d.Columns[i].NotNull || inPrimaryKey(d, i)
}

// slotAttNums maps slots to attnums.
func slotAttNums(d *Descriptor, slots []int) []int16 {
	out := make([]int16, 0, len(slots))
	for _, s := range slots {
		if s >= 0 && s < len(d.Columns) {
			out = append(out, attNum(d, s))
		}
	}
	return out
}

func slotNames(d *Descriptor, slots []int) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		if s >= 0 && s < len(d.Columns) {
			out = append(out, d.Columns[s].Name)
		}
	}
	return out
}

// Type properties pg_type and pg_attribute need that types.T does not carry.

func typByVal(t *types.T) bool {
	switch t.Family {
	case types.BoolFamily, types.IntFamily, types.FloatFamily, types.DateFamily,
		types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		return true
	case types.StringFamily:
		return t.Oid == types.OidChar
	}
	return false
}

func typAlign(t *types.T) string {
	switch t.Family {
	case types.BoolFamily, types.UUIDFamily:
		return "c"
	case types.IntFamily:
		switch t.Width {
		case 16:
			return "s"
		case 64:
			return "d"
		}
		return "i"
	case types.FloatFamily:
		if t.Width == 64 {
			return "d"
		}
		return "i"
	case types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily, types.IntervalFamily, types.RecordFamily:
		return "d"
	case types.StringFamily:
		if t.Oid == types.OidChar || t.Oid == types.OidName {
			return "c"
		}
		return "i"
	case types.ArrayFamily:
		if t.Oid == types.OidAnyArray {
			return "d"
		}
		if t.Elem != nil && typAlign(t.Elem) == "d" {
			return "d"
		}
		return "i"
	case types.UnknownFamily:
		if t.Oid == types.OidUnknown {
			return "c"
		}
	}
	return "i"
}

func typStorage(t *types.T) string {
	if t.Oid == types.OidInt2Vector || t.Oid == types.OidOidVector {
		return "p"
	}
	switch t.Family {
	case types.NumericFamily:
		return "m"
	case types.StringFamily:
		if t.Oid == types.OidChar || t.Oid == types.OidName {
			return "p"
		}
		return "x"
	case types.BytesFamily, types.JSONFamily, types.ArrayFamily, types.RecordFamily:
		return "x"
	}
	return "p"
}

// typCollation is pg_type.typcollation: collatable string types (and arrays
// of them) use the default collation, name uses "C".
func typCollation(t *types.T) uint32 {
	if t.Family == types.ArrayFamily && t.Elem != nil && t.Oid != types.OidInt2Vector && t.Oid != types.OidOidVector && t.Oid != types.OidAnyArray {
		return typCollation(t.Elem)
	}
	switch t.Oid {
	case types.OidText, types.OidVarchar, types.OidBPChar:
		return CollationDefault
	case types.OidName:
		return CollationC
	}
	return 0
}

func isPseudoType(t *types.T) bool {
	switch t.Oid {
	case types.OidUnknown, types.OidRecord, types.OidVoid, types.OidAnyElement, types.OidAnyArray, types.OidAny:
		return true
	}
	return false
}

// isArrayType reports whether t is a true array type (typelem set and
// typlen -1), int2vector and oidvector included, as information_schema
// counts them.
func isArrayType(t *types.T) bool {
	return t.Family == types.ArrayFamily && t.Oid != types.OidAnyArray
}

// Datum helpers.

func dOID(oid uint32) types.Datum { return types.DInt(int64(oid)) }
func dInt(i int) types.Datum      { return types.DInt(int64(i)) }
func dStr(s string) types.Datum   { return types.DString(s) }
func dBool(b bool) types.Datum    { return types.DBool(b) }
func dChar(c string) types.Datum  { return types.DString(c) }

// dYesNo is a yes_or_no value.
func dYesNo(b bool) types.Datum {
	if b {
		return types.DString("YES")
	}
	return types.DString("NO")
}

// dStrOrNull is NULL for "".
func dStrOrNull(s string) types.Datum {
	if s == "" {
		return types.Null
	}
	return types.DString(s)
}

func dTimeOrNull(t time.Time) types.Datum {
	if t.IsZero() {
		return types.Null
	}
	return types.DTimestampTZ(t.UnixMicro())
}

func dArray(elem *types.T, elems []types.Datum) types.Datum {
	a := &types.Array{Elem: elem, Elems: elems}
	if len(elems) > 0 {
		a.Dims = []int{len(elems)}
	}
	return types.DArray(a)
}

func dTextArray(ss []string) types.Datum {
	elems := make([]types.Datum, len(ss))
	for i, s := range ss {
		elems[i] = types.DString(s)
	}
	return dArray(types.Text, elems)
}

func dInt2Array(elem *types.T, ns []int16) types.Datum {
	elems := make([]types.Datum, len(ns))
	for i, n := range ns {
		elems[i] = types.DInt(int64(n))
	}
	return dArray(elem, elems)
}

func dOIDArray(elem *types.T, oids []uint32) types.Datum {
	elems := make([]types.Datum, len(oids))
	for i, o := range oids {
		elems[i] = dOID(o)
	}
	return dArray(elem, elems)
}

// nulls returns n NULL datums, for the tails of wide rows.
func nulls(n int) []types.Datum { return make([]types.Datum, n) }

// row concatenates datum groups into one row.
func row(parts ...[]types.Datum) types.Row {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	r := make(types.Row, 0, n)
	for _, p := range parts {
		r = append(r, p...)
	}
	return r
}

// optionsText renders WITH options as reloptions ("k=v"), sorted by key so
// the output is stable. Options the server keeps for itself (see
// internalOption) are not shown: they are bookkeeping, not what the user
// wrote, and tools print reloptions verbatim (psql's \d+ "Options:").
func optionsText(opts map[string]string) []string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		if !internalOption(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + opts[k]
	}
	return out
}

// internalOption reports whether a descriptor option is the server's own
// bookkeeping: the names a view's query was bound with and its search_path
// (server/matview.go), derived attribute numbers and delays (ttl.attnum,
// watermark.delay_us), and everything under "streamdb.".
func internalOption(key string) bool {
	switch key {
	case "bound_names", "search_path", "ttl.attnum", "watermark.delay_us":
		return true
	}
	return strings.HasPrefix(key, "streamdb.")
}

// quoteIdent quotes an identifier the way Postgres' quote_ident does.
func quoteIdent(s string) string {
	if s == "" {
		return `""`
	}
	safe := s[0] >= 'a' && s[0] <= 'z' || s[0] == '_'
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !reservedKeywords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedKeywords are the Postgres keywords that quote_ident quotes (the
// reserved ones and the non-reserved ones that cannot be column names).
var reservedKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization
		between bigint binary bit boolean both case cast char character check coalesce collate collation
		column concurrently constraint create cross current_catalog current_date current_role
		current_schema current_time current_timestamp current_user dec decimal default deferrable desc
		distinct do else end except exists extract false fetch float for foreign freeze from full grant
		greatest group grouping having ilike in initially inner inout int integer intersect interval
		into is isnull join json lateral leading least left like limit localtime localtimestamp national
		natural nchar none normalize not notnull null nullif numeric offset on only or order out outer
		overlaps overlay placing position precision primary real references returning right row select
		session_user setof similar smallint some substring symmetric system_user table tablesample then
		time timestamp to trailing treat trim true union unique user using values varchar variadic
		verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest
		xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[k] = true
	}
	return m
}()

// qualifiedName is schema.name with quote_ident applied to each part.
func qualifiedName(schema, name string) string {
	return quoteIdent(schema) + "." + quoteIdent(name)
}

// builtinTypes maps OIDs to the built-in types once, so that generating
// pg_attribute does not rebuild the type list for every column (as
// types.ByOid does).
var builtinTypes = func() map[uint32]*types.T {
	m := make(map[uint32]*types.T)
	for _, t := range types.Builtins() {
		m[t.Oid] = t
	}
	return m
}()

// columnType is c.Type() through builtinTypes.
func columnType(c *Column) *types.T {
	t, ok := builtinTypes[c.TypeOid]
	if !ok {
		t = types.Unknown
	}
	return t.WithTypmod(c.Typmod)
}
