package builtins

import (
	"context"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// Context is what a function may need beyond its arguments. One Context
// serves one statement; it is not safe for concurrent use.
type Context struct {
	// StmtTime is now(), current_timestamp: the start of the transaction.
	StmtTime time.Time
	// Location is the session TimeZone, used for timestamptz text output,
	// date_trunc and casts between timestamp and timestamptz.
	Location *time.Location
	// Session answers current_user, current_schema(), version(),
	// pg_backend_pid() and settings; nil in unit tests that do not need it.
	Session SessionInfo
	// Catalog answers the catalog functions (regclass casts,
	// pg_table_is_visible, format_type, pg_get_indexdef, ...); may be nil.
	Catalog CatalogInfo
	// DateStyle and IntervalStyle are the session settings that shape text
	// output; "ISO, MDY" and "postgres" when empty.
	DateStyle     string
	IntervalStyle string
	// Scratch is reusable memory for functions that build strings.
	Scratch []byte
	// Ctx is the statement's context: functions that wait (pg_sleep) stop
	// when it is cancelled. Nil means context.Background().
	Ctx context.Context
}

// SessionInfo is the session state functions read.
type SessionInfo interface {
	User() string
	Database() string
	SearchPath() []string
	BackendPID() int32
	// Setting returns a session parameter (current_setting); ok is false if
	// it does not exist.
	Setting(name string) (value string, ok bool)
	// SetSetting changes a session parameter (set_config).
	SetSetting(name, value string, isLocal bool) error
}

// CatalogInfo lets catalog functions look objects up without this package
// importing the catalog.
type CatalogInfo interface {
	// RelationOID resolves a possibly qualified relation name (regclass).
	RelationOID(name string) (uint32, error)
	// RelationName is the regclass output: the name, qualified if not on the
	// search path; ok is false for an unknown OID.
	RelationName(oid uint32) (string, bool)
	// TypeOID resolves a type name (regtype).
	TypeOID(name string) (uint32, error)
	// NamespaceOID resolves a schema name (regnamespace).
	NamespaceOID(name string) (uint32, error)
	NamespaceName(oid uint32) (string, bool)
	// TableIsVisible reports whether the relation is found by its unqualified
	// name on the search path.
	TableIsVisible(oid uint32) bool
	// IndexDef is pg_get_indexdef; ViewDef is pg_get_viewdef.
	IndexDef(oid uint32) (string, bool)
	ViewDef(oid uint32) (string, bool)
	// ConstraintDef is pg_get_constraintdef.
	ConstraintDef(oid uint32) (string, bool)
	// Comment is obj_description / col_description (attnum 0 for the object).
	Comment(oid uint32, attnum int32) (string, bool)
	// RoleName resolves a role OID (pg_get_userbyid).
	RoleName(oid uint32) (string, bool)
	// ExprDef is pg_get_expr for a column default (relation, attnum).
	ExprDef(relOID uint32, attnum int32) (string, bool)
	// HasPrivilege answers the has_*_privilege functions and pg_has_role
	// from the real grants. ok is false (the result is NULL) when an
	// object given by OID does not exist.
	HasPrivilege(req PrivilegeRequest) (has, ok bool, err error)
}

// PrivilegeRequest is one call of a has_*_privilege function.
type PrivilegeRequest struct {
	// Kind is the object kind: "table", "column", "any_column", "schema",
	// "database", "sequence", "function", "tablespace" or "role"
	// (pg_has_role).
	Kind string
	// Role is the role asked about, by name (text) or OID (int); NULL
	// means the current user.
	Role types.Datum
	// Object is the object by name (text) or OID (int); Column is the
	// column of a has_column_privilege call, by name or attnum.
	Object, Column types.Datum
	// Privileges is the privilege list as written: "SELECT",
	// "select, update", "USAGE WITH GRANT OPTION".
	Privileges string
}

// Volatility is pg_proc.provolatile.
type Volatility uint8

const (
	Immutable Volatility = iota
	Stable               // depends on the statement time, settings, the catalog
	Volatile             // random(), nextval()
)

// Fn implements an overload. args has len(Overload.Args) entries (more for
// variadic functions). Unless Overload.CalledOnNull is set, Fn is never called
// with a NULL argument: the result is NULL.
type Fn func(ctx *Context, args []types.Datum) (types.Datum, error)

// Overload is one signature of a function or operator.
type Overload struct {
	// Name is the function name ("lower") or operator symbol ("+", "||").
	Name string
	Args []*types.T
	// Variadic, when set, is the type of the repeated trailing argument(s)
	// (concat, format, json_build_object).
	Variadic *types.T
	// Ret is the result type. For polymorphic functions (anyelement,
	// anyarray) ReturnType computes it from the resolved argument types.
	Ret        *types.T
	ReturnType func(args []*types.T) *types.T
	Fn         Fn
	// CalledOnNull means Fn handles NULL arguments itself (not strict).
	CalledOnNull bool
	// Element, when set, computes Fn(args)[index] of an array-returning
	// function without building the array, for a subscripted call such as
	// (regexp_match(url, p))[2]. NULL arguments follow CalledOnNull as for
	// Fn; an index out of range gives NULL, as the subscript would.
	Element func(ctx *Context, args []types.Datum, index int64) (types.Datum, error)
	// IntAsNumeric means Fn reads an integer datum given for a numeric
	// argument as that integer's numeric value, so the executor may pass
	// an integer expression without casting it to numeric first (one
	// decimal allocation less per row for 0.908 * price).
	IntAsNumeric bool
	Volatility   Volatility
	// Oid is this overload's pg_proc OID (stable across releases).
	Oid uint32
	// SetReturning functions (generate_series, unnest, jsonb_each) are used
	// in FROM or the select list; they return rows through SRF, not Fn.
	SetReturning bool
	SRF          func(ctx *Context, args []types.Datum, emit func(types.Row) error) error
	// SRFColumns are the output columns of a set-returning function.
	SRFColumns types.Schema
}

// CastContext says where a cast may be applied without being written.
type CastContext uint8

const (
	CastNone CastContext = iota
	CastExplicit
	CastAssignment // INSERT/UPDATE targets
	CastImplicit
)

// AggKind names an aggregate's implementation in the executor.
type AggKind uint8

// The aggregates. The executor implements each in a retractable form.
const (
	AggCount AggKind = iota // count(x)
	AggCountStar
	AggSum
	AggAvg
	AggMin
	AggMax
	AggStringAgg
	AggArrayAgg
	AggBoolAnd
	AggBoolOr
	AggJSONAgg
	AggJSONObjectAgg
	AggStddevSamp
	AggStddevPop
	AggVarSamp
	AggVarPop
	AggBitAnd
	AggBitOr
)

// AggOverload is one signature of an aggregate function.
type AggOverload struct {
	Name string
	Kind AggKind
	Args []*types.T
	Ret  *types.T
}

// WindowKind names a window function's implementation in the executor.
type WindowKind uint8

const (
	WinRowNumber WindowKind = iota
	WinRank
	WinDenseRank
	WinPercentRank
	WinCumeDist
	WinNtile
	WinLag
	WinLead
	WinFirstValue
	WinLastValue
	WinNthValue
	// WinAggregate is an aggregate used with OVER.
	WinAggregate
)

// WindowOverload is one signature of a window function.
type WindowOverload struct {
	Name string
	Kind WindowKind
	Args []*types.T
	Ret  *types.T
}
