package catalog

import "github.com/streamdb/streamdb/sql/types"

// Kind is the kind of a relation-like object (pg_class.relkind).
type Kind uint8

const (
	KindTable Kind = iota + 1
	KindView
	KindMaterializedView
	KindIndex
	KindSequence
	KindSource
	KindSink
)

// RelKind is pg_class.relkind for k.
func (k Kind) RelKind() string {
	switch k {
	case KindTable, KindSource:
		return "r"
	case KindView:
		return "v"
	case KindMaterializedView:
		return "m"
	case KindIndex:
		return "i"
	case KindSequence:
		return "S"
	}
	return "r"
}

// OIDs below FirstUserOID are reserved for built-in objects.
const FirstUserOID = 16384

// Namespace OIDs of the built-in schemas (pg_catalog and public keep their
// Postgres OIDs, which some tools hard-code).
const (
	NamespacePgCatalog  uint32 = 11
	NamespacePublic     uint32 = 2200
	NamespaceInfoSchema uint32 = 13000
	NamespaceStreamdb   uint32 = 13100
	NamespacePgToast    uint32 = 99
)

// Column is one column of a table or view. Columns are never removed from a
// descriptor: a dropped column keeps its slot (Dropped) so stored rows stay
// readable.
type Column struct {
	Name    string
	TypeOid uint32
	Typmod  int32
	NotNull bool
	// Default is the SQL text of the DEFAULT expression ("" for none);
	// serial columns get "nextval('<seq>'::regclass)".
	Default string
	// Identity is "a" (ALWAYS), "d" (BY DEFAULT) or "".
	Identity string
	// Missing is the value of rows written before the column was added
	// (its ADD COLUMN default), encoded as text; MissingNull when NULL.
	Missing     string
	MissingNull bool
	Hidden      bool // the row id of a table without a primary key
	Dropped     bool
	// AttNum is the 1-based pg_attribute.attnum; it equals the slot index+1.
	AttNum  int16
	Comment string
}

// Type returns the column's SQL type.
func (c *Column) Type() *types.T {
	t := types.ByOid(c.TypeOid)
	if t == nil {
		t = types.Unknown
	}
	return t.WithTypmod(c.Typmod)
}

// Check is a CHECK constraint.
type Check struct {
	Name string
	Expr string // SQL text of the boolean expression
	OID  uint32
}

// Index is a secondary index (or the primary key / a unique constraint) of
// a table.
type Index struct {
	OID     uint32
	Name    string
	Columns []int // slots
	Unique  bool
	Primary bool
	// Def is the CREATE INDEX statement text (pg_get_indexdef).
	Def string
}

// Descriptor describes one relation-like object.
type Descriptor struct {
	OID       uint32
	Kind      Kind
	Namespace string
	Name      string
	Columns   []Column
	// PrimaryKey lists the slots of the primary key; empty when the table
	// has none (the hidden row id column is then the storage key).
	PrimaryKey []int
	PKName     string
	PKOID      uint32
	Checks     []Check
	Indexes    []Index
	// Query is the defining SELECT of a view or materialized view.
	Query string
	// Options are the WITH (...) options (connector, ttl, ...).
	Options map[string]string
	// DependsOn lists the OIDs of the relations a view reads.
	DependsOn []uint32
	// Sequence state, for KindSequence: the owning column, if any.
	OwnedBy    uint32
	OwnedByCol int16
	Comment    string
	Owner      string
}
