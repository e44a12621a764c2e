package planner

import (
	"strings"

	"github.com/cockroachdb/errors"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// Catalog is the read-only view of the catalog the binder needs.
type Catalog interface {
	// ResolveRelation finds a relation by name: in schema when it is not
	// empty, else along searchPath (42P01 when absent).
	ResolveRelation(name, schema string, searchPath []string) (*catalog.Descriptor, error)
}

// Binder turns one statement's parse tree into a plan. A Binder is used for
// one statement and is not safe for concurrent use.
type Binder struct {
	cat        Catalog
	searchPath []string
	// sql is the whole query string the AST locations refer to.
	sql string
	// params are the statement parameters, typed by the client or inferred
	// from their use; paramRefs lets inference update every reference.
	params    []*types.T
	paramRefs [][]*Param
	// viewDepth guards against views that (through a bug or a cycle) expand
	// forever.
	viewDepth int
	ctes      *cteScope
	// accessed records every relation the statement reads or writes, for
	// privilege checks.
	accessed []Access
}

// AccessKind is what a statement does to a relation.
type AccessKind uint8

const (
	AccessSelect AccessKind = iota
	AccessInsert
	AccessUpdate
	AccessDelete
)

// Access is one relation a statement touches. Relations read through a
// view are checked against the view's owner in Postgres; streamdb records
// only the view itself (views run with their owner's rights).
type Access struct {
	OID  uint32
	Name string
	Kind AccessKind
}

// Accessed lists the relations the bound statement touches.
func (b *Binder) Accessed() []Access { return b.accessed }

func (b *Binder) noteAccess(oid uint32, name string, kind AccessKind) {
	if b.viewDepth > 0 {
		return
	}
	for _, a := range b.accessed {
		if a.OID == oid && a.Kind == kind {
			return
		}
	}
	b.accessed = append(b.accessed, Access{OID: oid, Name: name, Kind: kind})
}

// NewBinder returns a binder for statements of the query string sql.
// paramTypes are the types the client declared (nil or Unknown entries are
// inferred).
func NewBinder(cat Catalog, searchPath []string, sql string, paramTypes []*types.T) *Binder {
	b := &Binder{cat: cat, searchPath: searchPath, sql: sql}
	for i, t := range paramTypes {
		b.ensureParam(i)
		if t != nil {
			b.params[i] = t
		}
	}
	return b
}

// ParamTypes returns the type of every parameter; those never constrained
// by their use default to text, as in Postgres.
func (b *Binder) ParamTypes() []*types.T {
	out := make([]*types.T, len(b.params))
	for i, t := range b.params {
		if t == nil || t.Family == types.UnknownFamily {
			t = types.Text
			for _, p := range b.paramRefs[i] {
				p.Typ = t
			}
		}
		out[i] = t
	}
	return out
}

func (b *Binder) ensureParam(i int) {
	for len(b.params) <= i {
		b.params = append(b.params, types.Unknown)
		b.paramRefs = append(b.paramRefs, nil)
	}
}

// setParamType fixes the type of parameter i (first use wins).
func (b *Binder) setParamType(i int, t *types.T) {
	b.ensureParam(i)
	if b.params[i].Family != types.UnknownFamily {
		return
	}
	b.params[i] = t
	for _, p := range b.paramRefs[i] {
		p.Typ = t
	}
}

// pos converts an AST byte location into an error position.
func (b *Binder) pos(location int32) int {
	if location < 0 {
		return 0
	}
	return parser.CharPosition(b.sql, int(location))
}

// errAt attaches the position of an AST location to err.
func (b *Binder) errAt(err error, location int32) error {
	return types.WithPosition(err, b.pos(location))
}

// scopeCol is one column visible to name resolution.
type scopeCol struct {
	table string // qualifier (table alias), "" for none
	name  string
	typ   *types.T
	// hidden columns are not expanded by * (row ids, merged USING columns'
	// originals).
	hidden bool
	// qualifiedOnly columns resolve only as table.column (the originals of
	// USING/NATURAL join columns).
	qualifiedOnly bool
	// tableOID/attNum describe the source column for RowDescription.
	tableOID uint32
	attNum   int16
}

// scope is the set of columns an expression may reference: the output of
// the FROM clause of one query level. parent is the enclosing query level.
type scope struct {
	cols   []scopeCol
	parent *scope
	// correlated is set when an expression in this level (or below)
	// referenced a column of an enclosing level.
	correlated bool
	// tables lists the qualifiers present, for error messages and *.
	tables []string
}

func (s *scope) schema() types.Schema {
	out := make(types.Schema, len(s.cols))
	for i, c := range s.cols {
		out[i] = types.Column{Name: c.name, Type: c.typ, TableOID: c.tableOID, AttrNum: c.attNum, Hidden: c.hidden}
	}
	return out
}

func scopeFromSchema(table string, cols types.Schema) *scope {
	s := &scope{}
	for _, c := range cols {
		s.cols = append(s.cols, scopeCol{table: table, name: c.Name, typ: c.Type, hidden: c.Hidden, tableOID: c.TableOID, attNum: c.AttrNum})
	}
	if table != "" {
		s.tables = []string{table}
	}
	return s
}

// lookup resolves a possibly qualified column name, searching enclosing
// query levels when it is not found in s.
func (b *Binder) lookup(s *scope, qual, name string, location int32) (Expr, error) {
	depth := 0
	for cur := s; cur != nil; cur = cur.parent {
		idx := -1
		for i, c := range cur.cols {
			if c.name != name {
				continue
			}
			if qual == "" && c.qualifiedOnly {
				continue
			}
			if qual != "" && c.table != qual {
				continue
			}
			if idx >= 0 {
				if qual == "" {
					return nil, b.errAt(types.Errorf(types.CodeAmbiguousColumn, "column reference %q is ambiguous", name), location)
				}
				return nil, b.errAt(types.Errorf(types.CodeAmbiguousColumn, "column reference \"%s.%s\" is ambiguous", qual, name), location)
			}
			idx = i
		}
		if idx >= 0 {
			if depth == 0 {
				return &ColRef{Idx: idx, Typ: cur.cols[idx].typ}, nil
			}
			for m := s; m != cur; m = m.parent {
				m.correlated = true
			}
			return &OuterRef{Depth: depth, Idx: idx, Typ: cur.cols[idx].typ}, nil
		}
		depth++
	}
	if qual != "" {
		// Distinguish a missing table from a missing column.
		for cur := s; cur != nil; cur = cur.parent {
			for _, t := range cur.tables {
				if t == qual {
					return nil, b.errAt(types.Errorf(types.CodeUndefinedColumn, "column %s.%s does not exist", qual, name), location)
				}
			}
		}
		return nil, b.errAt(types.Errorf(types.CodeUndefinedTable, "missing FROM-clause entry for table %q", qual), location)
	}
	return nil, b.errAt(types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", name), location)
}

// cteScope is the chain of WITH clauses visible to a query level.
type cteScope struct {
	name   string
	plan   Node
	cols   types.Schema
	parent *cteScope
}

func (c *cteScope) find(name string) *cteScope {
	for cur := c; cur != nil; cur = cur.parent {
		if cur.name == name {
			return cur
		}
	}
	return nil
}

// strVal returns the string of a String node.
func strVal(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// nameList joins a list of String nodes with dots (qualified names).
func nameList(ns []*pg_query.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, strVal(n))
	}
	return out
}

func unsupported(format string, args ...any) error {
	return types.WithCode(errors.Newf(format+" is not supported", args...), types.CodeFeatureNotSupported)
}

// funcName returns the unqualified, lower-case function name, ignoring a
// pg_catalog qualifier.
func funcName(ns []*pg_query.Node) (string, error) {
	parts := nameList(ns)
	switch len(parts) {
	case 1:
		return parts[0], nil
	case 2:
		if parts[0] == "pg_catalog" || parts[0] == "public" || parts[0] == "streamdb" || parts[0] == "information_schema" {
			return parts[1], nil
		}
		return parts[1], types.Errorf(types.CodeUndefinedSchema, "schema %q does not exist", parts[0])
	}
	return strings.Join(parts, "."), types.Errorf(types.CodeSyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
}
