package catalog

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Schema is a namespace (pg_namespace row).
type Schema struct {
	OID   uint32
	Name  string
	Owner string
}

// Role is a user or group (pg_authid row). PasswordVerifier is a SCRAM
// verifier ("SCRAM-SHA-256$...") or "" when the role has no password.
type Role struct {
	OID              uint32
	Name             string
	Superuser        bool
	Login            bool
	PasswordVerifier string
}

// SuperuserName is the bootstrap superuser, created on first start.
const SuperuserName = "streamdb"

// builtinSchemas are created on first start and cannot be dropped.
var builtinSchemas = []Schema{
	{OID: NamespacePgCatalog, Name: "pg_catalog", Owner: SuperuserName},
	{OID: NamespacePublic, Name: "public", Owner: SuperuserName},
	{OID: NamespaceInfoSchema, Name: "information_schema", Owner: SuperuserName},
	{OID: NamespaceStreamdb, Name: "streamdb", Owner: SuperuserName},
}

// Record keys, all under state.PrefixCatalog:
//
//	c d <oid 4B BE>               -> JSON Descriptor
//	c s <oid 4B BE>               -> JSON Schema
//	c r <oid 4B BE>               -> JSON Role
//	c m <oid 4B BE> <attnum 2B BE> -> comment text
//	c o                           -> next OID to allocate (4B BE)
//	c v                           -> catalog version (8B BE)
//	c b                           -> present once bootstrapped (empty)
const (
	recDescriptor = 'd'
	recSchema     = 's'
	recRole       = 'r'
	recComment    = 'm'
)

var (
	keyNextOID      = []byte{state.PrefixCatalog, 'o'}
	keyVersion      = []byte{state.PrefixCatalog, 'v'}
	keyBootstrapped = []byte{state.PrefixCatalog, 'b'}
)

func recordKey(kind byte, oid uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{state.PrefixCatalog, kind}, oid)
}

func commentKey(oid uint32, attnum int16) []byte {
	return binary.BigEndian.AppendUint16(recordKey(recComment, oid), uint16(attnum))
}

// commentID identifies a comment: an object and, for a column, its attnum
// (0 for the object itself).
type commentID struct {
	oid    uint32
	attnum int16
}

// Comment is one COMMENT ON (pg_description row).
type Comment struct {
	OID    uint32
	AttNum int16
	Text   string
}

// Catalog is the persisted catalog: schemas, relation descriptors, roles and
// comments, loaded into memory at Open. All methods are safe for concurrent
// use; every mutation is written in one synced batch before it returns.
// Descriptors handed out are shared and immutable: change a Clone and pass
// it to Update.
type Catalog struct {
	ts *state.TableStore

	mu sync.RWMutex
	// The fields below are guarded by mu.
	version  uint64
	nextOID  uint32
	schemas  map[string]Schema // by name
	rels     map[uint32]*Descriptor
	byName   map[string]map[string]*Descriptor // schema -> name -> relation
	roles    map[string]Role                   // by name
	comments map[commentID]string
	grants   map[uint32]map[uint32]Privileges // grants.go: object -> grantee -> privileges
	// sorted caches Relations(); nil when stale.
	sorted []*Descriptor
	// bootstrapped is set once the built-in schemas and the superuser
	// were created (they may be dropped or renamed later).
	bootstrapped bool
}

// Open loads the catalog from ts, creating the built-in schemas and the
// superuser on first start.
func Open(ts *state.TableStore) (*Catalog, error) {
	c := &Catalog{
		ts:       ts,
		nextOID:  FirstUserOID,
		schemas:  make(map[string]Schema),
		rels:     make(map[uint32]*Descriptor),
		byName:   make(map[string]map[string]*Descriptor),
		roles:    make(map[string]Role),
		comments: make(map[commentID]string),
	}
	if err := c.load(); err != nil {
		return nil, err
	}
	if c.bootstrapped {
		return c, nil
	}
	// First start. Records a half-finished bootstrap left are kept.
	var missing []Schema
	for _, s := range builtinSchemas {
		if _, ok := c.schemas[s.Name]; !ok {
			missing = append(missing, s)
		}
	}
	superuser := Role{OID: BootstrapSuperuserOID, Name: SuperuserName, Superuser: true, Login: true}
	_, haveSuperuser := c.roles[SuperuserName]
	err := c.mutateLocked(func(b *pebble.Batch) error {
		for _, s := range missing {
			if err := putJSON(b, recordKey(recSchema, s.OID), s); err != nil {
				return err
			}
		}
		if !haveSuperuser {
			if err := putJSON(b, recordKey(recRole, superuser.OID), superuser); err != nil {
				return err
			}
		}
		return b.Set(keyBootstrapped, nil, nil)
	}, func() {
		for _, s := range missing {
			c.schemas[s.Name] = s
		}
		if !haveSuperuser {
			c.roles[SuperuserName] = superuser
		}
		c.bootstrapped = true
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) load() error {
	st := c.ts.Store()
	corrupt := func(err error, what string) error {
		return types.WithCode(errors.Wrapf(err, "corrupt catalog record (%s)", what), types.CodeDataCorrupted)
	}
	err := st.ScanPrefix([]byte{state.PrefixCatalog}, func(key, value []byte) error {
		if len(key) < 2 {
			return corrupt(errors.New("short key"), "key")
		}
		switch {
		case string(key) == string(keyNextOID):
			if len(value) != 4 {
				return corrupt(errors.New("bad length"), "next oid")
			}
			c.nextOID = max(c.nextOID, binary.BigEndian.Uint32(value))
		case string(key) == string(keyBootstrapped):
			c.bootstrapped = true
		case string(key) == string(keyVersion):
			if len(value) != 8 {
				return corrupt(errors.New("bad length"), "version")
			}
			c.version = binary.BigEndian.Uint64(value)
		case key[1] == recDescriptor:
			d := &Descriptor{}
			if err := json.Unmarshal(value, d); err != nil {
				return corrupt(err, "descriptor")
			}
			c.addRelLocked(d)
		case key[1] == recSchema:
			var s Schema
			if err := json.Unmarshal(value, &s); err != nil {
				return corrupt(err, "schema")
			}
			c.schemas[s.Name] = s
		case key[1] == recRole:
			var r Role
			if err := json.Unmarshal(value, &r); err != nil {
				return corrupt(err, "role")
			}
			c.roles[r.Name] = r
		case key[1] == recGrant:
			if err := c.loadGrant(key, value); err != nil {
				return corrupt(err, "grant")
			}
		case key[1] == recComment:
			if len(key) != 8 {
				return corrupt(errors.New("bad key"), "comment")
			}
			c.comments[commentID{binary.BigEndian.Uint32(key[2:6]), int16(binary.BigEndian.Uint16(key[6:8]))}] = string(value)
		}
		return nil
	})
	return err
}

func putJSON(b *pebble.Batch, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return errors.Wrap(err, "encode catalog record")
	}
	return b.Set(key, data, nil)
}

// mutateLocked writes one DDL: write fills the batch (with the bumped
// version and the OID counter added here), and apply changes the memory
// once the batch is durable. c.mu must be held for writing (or the
// catalog not yet shared).
func (c *Catalog) mutateLocked(write func(b *pebble.Batch) error, apply func()) error {
	version := c.version + 1
	err := c.ts.Store().Write(func(b *pebble.Batch) error {
		if err := write(b); err != nil {
			return err
		}
		if err := b.Set(keyNextOID, binary.BigEndian.AppendUint32(nil, c.nextOID), nil); err != nil {
			return err
		}
		return b.Set(keyVersion, binary.BigEndian.AppendUint64(nil, version), nil)
	})
	if err != nil {
		return err
	}
	c.version = version
	apply()
	c.sorted = nil
	return nil
}

// Version increases with every change of the catalog (plan caches key on
// it).
func (c *Catalog) Version() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.version
}

// AllocOID returns a new OID, durably (never handed out again).
func (c *Catalog) AllocOID() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	oid := c.nextOID
	c.nextOID++
	err := c.ts.Store().Write(func(b *pebble.Batch) error {
		return b.Set(keyNextOID, binary.BigEndian.AppendUint32(nil, c.nextOID), nil)
	})
	if err != nil {
		c.nextOID--
		return 0, err
	}
	return oid, nil
}

// allocLocked takes an OID from the counter; mutateLocked persists it.
func (c *Catalog) allocLocked() uint32 {
	oid := c.nextOID
	c.nextOID++
	return oid
}

// ---- schemas ----

// Schemas returns every schema, sorted by OID.
func (c *Catalog) Schemas() []Schema {
	c.mu.RLock()
	out := make([]Schema, 0, len(c.schemas))
	for _, s := range c.schemas {
		out = append(out, s)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// SchemaByName returns the schema with the given name.
func (c *Catalog) SchemaByName(name string) (Schema, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.schemas[name]
	return s, ok
}

// CreateSchema creates a schema (42P06 if it exists).
func (c *Catalog) CreateSchema(name, owner string) (Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.schemas[name]; ok {
		return Schema{}, types.Errorf(types.CodeDuplicateSchema, "schema %q already exists", name)
	}
	s := Schema{Name: name, Owner: owner}
	var restore = c.nextOID
	s.OID = c.allocLocked()
	err := c.mutateLocked(func(b *pebble.Batch) error {
		return putJSON(b, recordKey(recSchema, s.OID), s)
	}, func() { c.schemas[name] = s })
	if err != nil {
		c.nextOID = restore
		return Schema{}, err
	}
	return s, nil
}

// AlterSchema replaces the schema called name by updated (same OID):
// ALTER SCHEMA RENAME TO (42P06 if the new name is taken; the relations in
// it move along) and OWNER TO. The built-in schemas other than public
// cannot be renamed.
func (c *Catalog) AlterSchema(name string, updated Schema) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.schemas[name]
	if !ok {
		return types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", name)
	}
	updated.OID = old.OID
	renamed := updated.Name != old.Name
	if renamed {
		if _, taken := c.schemas[updated.Name]; taken {
			return types.Errorf(types.CodeDuplicateSchema, "schema %q already exists", updated.Name)
		}
		switch old.OID {
		case NamespacePgCatalog, NamespaceInfoSchema, NamespaceStreamdb:
			return types.Errorf(types.CodeInsufficientPrivilege, "cannot rename schema %s because it is required by the database system", name)
		}
	}
	var moved []*Descriptor
	if renamed {
		for _, d := range c.byName[name] {
			m := d.Clone()
			m.Namespace = updated.Name
			moved = append(moved, m)
		}
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		for _, d := range moved {
			if err := putJSON(b, recordKey(recDescriptor, d.OID), d); err != nil {
				return err
			}
		}
		return putJSON(b, recordKey(recSchema, updated.OID), updated)
	}, func() {
		delete(c.schemas, name)
		c.schemas[updated.Name] = updated
		if renamed {
			delete(c.byName, name)
			for _, d := range moved {
				c.addRelLocked(d)
			}
		}
	})
}

// DropSchema drops a schema. Without cascade a schema holding relations
// fails with 2BP01; with cascade its relations are dropped too and
// returned, so the caller can drop their data and dataflows.
func (c *Catalog) DropSchema(name string, cascade bool) ([]*Descriptor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.schemas[name]
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", name)
	}
	switch s.OID {
	case NamespacePgCatalog, NamespaceInfoSchema, NamespaceStreamdb:
		return nil, types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop schema %s because it is required by the database system", name)
	}
	var dropped []*Descriptor
	for _, d := range c.byName[name] {
		dropped = append(dropped, d)
	}
	sort.Slice(dropped, func(i, j int) bool { return dropped[i].OID < dropped[j].OID })
	if len(dropped) > 0 && !cascade {
		return nil, errors.WithHint(
			types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", name),
			"Use DROP ... CASCADE to drop the dependent objects too.")
	}
	err := c.mutateLocked(func(b *pebble.Batch) error {
		for _, d := range dropped {
			if err := c.deleteRelRecords(b, d); err != nil {
				return err
			}
		}
		if err := c.deleteComments(b, s.OID); err != nil {
			return err
		}
		return b.Delete(recordKey(recSchema, s.OID), nil)
	}, func() {
		for _, d := range dropped {
			c.removeRelLocked(d)
		}
		c.removeCommentsLocked(s.OID)
		delete(c.schemas, name)
		delete(c.byName, name)
	})
	if err != nil {
		return nil, err
	}
	return dropped, nil
}

// ---- relations ----

func (c *Catalog) addRelLocked(d *Descriptor) {
	c.rels[d.OID] = d
	m := c.byName[d.Namespace]
	if m == nil {
		m = make(map[string]*Descriptor)
		c.byName[d.Namespace] = m
	}
	m[d.Name] = d
}

func (c *Catalog) removeRelLocked(d *Descriptor) {
	c.ts.Forget(d.OID)
	delete(c.rels, d.OID)
	if m := c.byName[d.Namespace]; m != nil && m[d.Name] == d {
		delete(m, d.Name)
	}
	c.removeCommentsLocked(d.OID)
}

// indexNames are the names d's indexes take in its schema's relation
// namespace.
func indexNames(d *Descriptor) []string {
	var names []string
	hasPrimary := false
	for _, ix := range d.Indexes {
		names = append(names, ix.Name)
		hasPrimary = hasPrimary || ix.Primary
	}
	if len(d.PrimaryKey) > 0 && !hasPrimary {
		names = append(names, d.PKIndexName())
	}
	return names
}

// nameTakenLocked reports whether name is used in schema by a relation or
// an index of a relation other than except.
func (c *Catalog) nameTakenLocked(schema, name string, except uint32) bool {
	for _, d := range c.byName[schema] {
		if d.OID == except {
			continue
		}
		if d.Name == name || slices.Contains(indexNames(d), name) {
			return true
		}
	}
	return false
}

// checkNamesLocked checks that d's name and index names are free in its
// schema (42P07) and that the schema exists (3F000).
func (c *Catalog) checkNamesLocked(d *Descriptor) error {
	if _, ok := c.schemas[d.Namespace]; !ok {
		return types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", d.Namespace)
	}
	names := append([]string{d.Name}, indexNames(d)...)
	for i, n := range names {
		if c.nameTakenLocked(d.Namespace, n, d.OID) || slices.Contains(names[:i], n) {
			return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", n)
		}
	}
	return nil
}

// assignOIDsLocked gives OIDs to d, its indexes, checks and primary key
// where they are zero, names the primary key and numbers the columns.
func (c *Catalog) assignOIDsLocked(d *Descriptor) {
	if d.OID == 0 {
		d.OID = c.allocLocked()
	}
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if ix.OID == 0 {
			if ix.Primary && d.PKOID != 0 {
				ix.OID = d.PKOID
			} else {
				ix.OID = c.allocLocked()
			}
		}
		if ix.Primary && d.PKOID == 0 {
			d.PKOID = ix.OID
		}
	}
	if len(d.PrimaryKey) > 0 && d.PKOID == 0 {
		d.PKOID = c.allocLocked()
	}
	if len(d.PrimaryKey) > 0 && d.PKName == "" {
		// Fixed at creation: renaming the table keeps the index name, as in
		// Postgres.
		d.PKName = d.PKIndexName()
	}
	for i := range d.Checks {
		if d.Checks[i].OID == 0 {
			d.Checks[i].OID = c.allocLocked()
		}
	}
	for i := range d.Columns {
		if d.Columns[i].AttNum == 0 {
			d.Columns[i].AttNum = int16(i + 1)
		}
	}
}

// Create adds a relation. Zero OIDs (of d, its indexes, checks and primary
// key) and column AttNums are filled in; afterwards d is shared: read it,
// never modify it. 42P07 if the name or an index name is taken in the
// schema. A sequence's state is created first with
// TableStore.CreateSequence under an OID from AllocOID.
func (c *Catalog) Create(d *Descriptor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.OID != 0 {
		if _, ok := c.rels[d.OID]; ok {
			return errors.AssertionFailedf("relation OID %d already in use", d.OID)
		}
	}
	if err := c.checkNamesLocked(d); err != nil {
		return err
	}
	restore := c.nextOID
	c.assignOIDsLocked(d)
	err := c.mutateLocked(func(b *pebble.Batch) error {
		return putJSON(b, recordKey(recDescriptor, d.OID), d)
	}, func() { c.addRelLocked(d) })
	if err != nil {
		c.nextOID = restore
	}
	return err
}

// Update replaces the relation with d.OID by d (ALTER TABLE, CREATE INDEX,
// RENAME, ...). d must be a modified Clone; zero OIDs of new indexes and
// checks are allocated.
func (c *Catalog) Update(d *Descriptor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.rels[d.OID]
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation with OID %d does not exist", d.OID)
	}
	if old == d {
		return errors.AssertionFailedf("catalog.Update needs a modified Clone, not the shared descriptor")
	}
	if err := c.checkNamesLocked(d); err != nil {
		return err
	}
	restore := c.nextOID
	c.assignOIDsLocked(d)
	err := c.mutateLocked(func(b *pebble.Batch) error {
		return putJSON(b, recordKey(recDescriptor, d.OID), d)
	}, func() {
		if m := c.byName[old.Namespace]; m != nil && m[old.Name] == old {
			delete(m, old.Name)
		}
		c.addRelLocked(d)
	})
	if err != nil {
		c.nextOID = restore
	}
	return err
}

// Drop removes relations (one for DROP, several for CASCADE) in one batch,
// with their comments, and for tables and sequences their stored rows,
// change log and sequence state. Dependencies are the caller's business
// (see Dependents and OwnedSequences); the caller also stops dataflows
// first.
func (c *Catalog) Drop(oids ...uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []*Descriptor
	for _, oid := range oids {
		d, ok := c.rels[oid]
		if !ok {
			return types.Errorf(types.CodeUndefinedTable, "relation with OID %d does not exist", oid)
		}
		ds = append(ds, d)
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		for _, d := range ds {
			if err := c.deleteRelRecords(b, d); err != nil {
				return err
			}
		}
		return nil
	}, func() {
		for _, d := range ds {
			c.removeRelLocked(d)
		}
	})
}

// deleteRelRecords adds the deletion of a relation's descriptor, comments
// and stored data (table rows and change log, sequence state) to b, so a
// DROP is atomic.
func (c *Catalog) deleteRelRecords(b *pebble.Batch, d *Descriptor) error {
	if err := b.Delete(recordKey(recDescriptor, d.OID), nil); err != nil {
		return err
	}
	switch d.Kind {
	case KindTable:
		if err := state.WriteDropTable(b, d.OID); err != nil {
			return err
		}
	case KindSequence:
		if err := state.WriteDropSequence(b, d.OID); err != nil {
			return err
		}
	}
	return c.deleteComments(b, d.OID)
}

// deleteComments deletes the comments of an object and its columns.
func (c *Catalog) deleteComments(b *pebble.Batch, oid uint32) error {
	start := recordKey(recComment, oid)
	return b.DeleteRange(start, recordKey(recComment, oid+1), nil)
}

func (c *Catalog) removeCommentsLocked(oid uint32) {
	for id := range c.comments {
		if id.oid == oid {
			delete(c.comments, id)
		}
	}
}

// ByOID returns the relation with the given OID.
func (c *Catalog) ByOID(oid uint32) (*Descriptor, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.rels[oid]
	return d, ok
}

// IndexByOID returns the index with the given OID and the relation it
// belongs to.
func (c *Catalog) IndexByOID(oid uint32) (*Descriptor, *Index, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, d := range c.rels {
		for i := range d.Indexes {
			if d.Indexes[i].OID == oid {
				return d, &d.Indexes[i], true
			}
		}
	}
	return nil, nil, false
}

// LookupIndex returns the index schema.name and the relation it belongs to
// (DROP INDEX, ALTER INDEX). A primary key not listed in Indexes is
// returned as a synthesized Index.
func (c *Catalog) LookupIndex(schema, name string) (*Descriptor, *Index, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, d := range c.byName[schema] {
		hasPrimary := false
		for i := range d.Indexes {
			if d.Indexes[i].Name == name {
				return d, &d.Indexes[i], true
			}
			hasPrimary = hasPrimary || d.Indexes[i].Primary
		}
		if len(d.PrimaryKey) > 0 && !hasPrimary && d.PKIndexName() == name {
			return d, &Index{OID: d.PKOID, Name: name, Columns: d.PrimaryKey, Unique: true, Primary: true}, true
		}
	}
	return nil, nil, false
}

// LookupRelation returns the relation schema.name.
func (c *Catalog) LookupRelation(schema, name string) (*Descriptor, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.byName[schema][name]
	return d, ok
}

// ResolveRelation finds a relation by name: in schema when it is given
// (3F000 if the schema does not exist), else in pg_catalog and then in each
// schema of searchPath, like Postgres (pg_catalog is searched first unless
// the path names it). 42P01 when not found.
func (c *Catalog) ResolveRelation(name, schema string, searchPath []string) (*Descriptor, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if schema != "" {
		if _, ok := c.schemas[schema]; !ok {
			return nil, types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", schema)
		}
		if d, ok := c.byName[schema][name]; ok {
			return d, nil
		}
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", schema+"."+name)
	}
	if !slices.Contains(searchPath, "pg_catalog") {
		if d, ok := c.byName["pg_catalog"][name]; ok {
			return d, nil
		}
	}
	for _, s := range searchPath {
		if d, ok := c.byName[s][name]; ok {
			return d, nil
		}
	}
	return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
}

// Relations returns every relation sorted by OID. The slice is shared:
// do not modify it.
func (c *Catalog) Relations() []*Descriptor {
	c.mu.RLock()
	sorted := c.sorted
	c.mu.RUnlock()
	if sorted != nil {
		return sorted
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sorted == nil {
		out := make([]*Descriptor, 0, len(c.rels))
		for _, d := range c.rels {
			out = append(out, d)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
		c.sorted = out
	}
	return c.sorted
}

// Dependents returns the relations whose DependsOn lists oid (views over
// a table, sinks of a view), sorted by OID.
func (c *Catalog) Dependents(oid uint32) []*Descriptor {
	var out []*Descriptor
	for _, d := range c.Relations() {
		if slices.Contains(d.DependsOn, oid) {
			out = append(out, d)
		}
	}
	return out
}

// OwnedSequences returns the sequences owned by a column of the table
// (serial and identity columns), which DROP TABLE drops with it.
func (c *Catalog) OwnedSequences(tableOID uint32) []*Descriptor {
	var out []*Descriptor
	for _, d := range c.Relations() {
		if d.Kind == KindSequence && d.OwnedBy == tableOID {
			out = append(out, d)
		}
	}
	return out
}

// ---- roles ----

// Roles returns every role, sorted by OID.
func (c *Catalog) Roles() []Role {
	c.mu.RLock()
	out := make([]Role, 0, len(c.roles))
	for _, r := range c.roles {
		out = append(out, r)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// RoleByName returns the role with the given name.
func (c *Catalog) RoleByName(name string) (Role, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.roles[name]
	return r, ok
}

// CreateRole creates a role (42710 if the name is taken); its OID is
// allocated and returned in the result.
func (c *Catalog) CreateRole(r Role) (Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.roles[r.Name]; ok {
		return Role{}, types.Errorf(types.CodeDuplicateObject, "role %q already exists", r.Name)
	}
	restore := c.nextOID
	r.OID = c.allocLocked()
	err := c.mutateLocked(func(b *pebble.Batch) error {
		return putJSON(b, recordKey(recRole, r.OID), r)
	}, func() { c.roles[r.Name] = r })
	if err != nil {
		c.nextOID = restore
		return Role{}, err
	}
	return r, nil
}

// AlterRole replaces the role with r.OID by r (ALTER ROLE, including
// RENAME: 42710 if the new name is taken).
func (c *Catalog) AlterRole(r Role) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old Role
	found := false
	for _, x := range c.roles {
		if x.OID == r.OID {
			old, found = x, true
			break
		}
	}
	if !found {
		return types.Errorf(types.CodeUndefinedObject, "role with OID %d does not exist", r.OID)
	}
	if other, ok := c.roles[r.Name]; ok && other.OID != r.OID {
		return types.Errorf(types.CodeDuplicateObject, "role %q already exists", r.Name)
	}
	// Owners are stored by name: a rename rewrites the objects it owns.
	var rels []*Descriptor
	var schemas []Schema
	if old.Name != r.Name {
		for _, d := range c.rels {
			if d.Owner == old.Name {
				m := d.Clone()
				m.Owner = r.Name
				rels = append(rels, m)
			}
		}
		for _, s := range c.schemas {
			if s.Owner == old.Name {
				s.Owner = r.Name
				schemas = append(schemas, s)
			}
		}
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		for _, d := range rels {
			if err := putJSON(b, recordKey(recDescriptor, d.OID), d); err != nil {
				return err
			}
		}
		for _, s := range schemas {
			if err := putJSON(b, recordKey(recSchema, s.OID), s); err != nil {
				return err
			}
		}
		return putJSON(b, recordKey(recRole, r.OID), r)
	}, func() {
		delete(c.roles, old.Name)
		c.roles[r.Name] = r
		for _, d := range rels {
			c.addRelLocked(d)
		}
		for _, s := range schemas {
			c.schemas[s.Name] = s
		}
	})
}

// DropRole drops a role (42704 if it does not exist). The bootstrap
// superuser cannot be dropped (2BP01).
func (c *Catalog) DropRole(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.roles[name]
	if !ok {
		return types.Errorf(types.CodeUndefinedObject, "role %q does not exist", name)
	}
	if r.OID == BootstrapSuperuserOID {
		return types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop role %s because it is required by the database system", name)
	}
	owns := 0
	for _, d := range c.rels {
		if d.Owner == name {
			owns++
		}
	}
	for _, s := range c.schemas {
		if s.Owner == name {
			owns++
		}
	}
	if owns > 0 {
		return errors.WithDetail(
			types.Errorf(types.CodeDependentObjectsStillExist, "role %q cannot be dropped because some objects depend on it", name),
			fmt.Sprintf("owner of %d objects", owns))
	}
	return c.mutateLocked(func(b *pebble.Batch) error {
		if err := c.deleteComments(b, r.OID); err != nil {
			return err
		}
		return b.Delete(recordKey(recRole, r.OID), nil)
	}, func() {
		c.removeCommentsLocked(r.OID)
		delete(c.roles, name)
	})
}

// ---- comments ----

// SetComment stores COMMENT ON for an object (attnum 0) or a column of a
// relation (attnum >= 1); an empty text removes the comment. For a relation
// the descriptor's Comment (or the column's) is updated too, so both views
// agree.
func (c *Catalog) SetComment(oid uint32, attnum int16, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var updated *Descriptor
	if d, ok := c.rels[oid]; ok {
		updated = d.Clone()
		if attnum == 0 {
			updated.Comment = text
		} else {
			slot := -1
			for i := range updated.Columns {
				if updated.Columns[i].AttNum == attnum {
					slot = i
				}
			}
			if slot < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column number %d of relation %q does not exist", attnum, d.Name)
			}
			updated.Columns[slot].Comment = text
		}
	}
	id := commentID{oid, attnum}
	return c.mutateLocked(func(b *pebble.Batch) error {
		if updated != nil {
			if err := putJSON(b, recordKey(recDescriptor, oid), updated); err != nil {
				return err
			}
		}
		if text == "" {
			return b.Delete(commentKey(oid, attnum), nil)
		}
		return b.Set(commentKey(oid, attnum), []byte(text), nil)
	}, func() {
		if updated != nil {
			c.addRelLocked(updated)
		}
		if text == "" {
			delete(c.comments, id)
		} else {
			c.comments[id] = text
		}
	})
}

// GetComment returns the comment of an object or column.
func (c *Catalog) GetComment(oid uint32, attnum int16) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.comments[commentID{oid, attnum}]
	return t, ok
}

// Comments returns every comment (pg_description), sorted by OID and
// attnum.
func (c *Catalog) Comments() []Comment {
	c.mu.RLock()
	out := make([]Comment, 0, len(c.comments))
	for id, t := range c.comments {
		out = append(out, Comment{OID: id.oid, AttNum: id.attnum, Text: t})
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].OID != out[j].OID {
			return out[i].OID < out[j].OID
		}
		return out[i].AttNum < out[j].AttNum
	})
	return out
}
