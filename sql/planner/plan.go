package planner

import (
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// Node is a relational plan node. Its output rows match Columns().
type Node interface {
	Columns() types.Schema
}

// TableRef identifies a stored table for a scan or a write.
type TableRef struct {
	ID   uint32 // the table's OID
	Name string // qualified, for EXPLAIN and errors
	// NumPhysical is the number of value slots in a stored row (dropped
	// columns keep their slot; rows written before ADD COLUMN are shorter
	// and are padded with Missing).
	NumPhysical int
	// Missing holds, per physical slot, the value rows written before the
	// column existed take (NULL, or the ADD COLUMN default).
	Missing []types.Datum
	// AppendOnly is set for relations whose rows are never updated or
	// deleted (sources; catalog option OptionAppendOnly).
	AppendOnly bool
	// KeySlots are the physical slots whose types.AppendKey encodings,
	// concatenated in this order, start every stored row key: the primary
	// key of a table, every column of a materialized view; nil when rows
	// are keyed otherwise (a hidden row id).
	KeySlots []int
}

// Scan reads a table. Phys[i] is the physical slot of output column i.
// KeyPrefix, when set (access_path.go), holds row-independent values for
// the leading Table.KeySlots: only rows whose key starts with them can
// pass the Filter above, so only those are read.
type Scan struct {
	Table     TableRef
	Phys      []int
	Cols      types.Schema
	KeyPrefix []Expr
}

// VirtualScan reads a system table (pg_catalog.*, information_schema.*,
// streamdb.*) whose rows are generated on demand. Name is qualified.
type VirtualScan struct {
	Name string
	Cols types.Schema
}

// Values is a VALUES list (also a SELECT without FROM: one row, no columns).
type Values struct {
	Rows [][]Expr
	Cols types.Schema
}

// FuncScan is a set-returning function in FROM (generate_series, unnest,
// jsonb_each); WithOrdinality appends a bigint ordinality column.
type FuncScan struct {
	Fn             *builtins.Overload
	Args           []Expr
	WithOrdinality bool
	Cols           types.Schema
}

// Filter keeps the rows for which Pred is true.
type Filter struct {
	Input Node
	Pred  Expr
}

// Project computes Exprs over each input row.
type Project struct {
	Input Node
	Exprs []Expr
	Cols  types.Schema
}

// ProjectSet evaluates set-returning functions in a select list: each input
// row yields as many rows as the longest SRF result (shorter ones padded with
// NULL). Output = input columns followed by one column per SRF column.
type ProjectSet struct {
	Input Node
	SRFs  []*FuncScan
	Cols  types.Schema
}

// JoinKind is the kind of a join.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	// SemiJoin emits each left row that has a match (EXISTS, IN).
	SemiJoin
	// AntiJoin emits each left row with no match (NOT EXISTS). With
	// NullAware set it implements NOT IN: a NULL key on either side means
	// no left row passes unless the right side is empty.
	AntiJoin
)

func (k JoinKind) String() string {
	return [...]string{"inner", "left", "right", "full", "semi", "anti"}[k]
}

// Join combines Left and Right. LeftKeys[i] = RightKeys[i] are the equality
// columns (hash join; possibly none: a nested-loop join); On is the residual
// condition over the concatenated row (left columns then right columns), nil
// meaning true. Output: left columns then right columns, or only the left
// columns for semi and anti joins.
type Join struct {
	Kind      JoinKind
	Left      Node
	Right     Node
	LeftKeys  []int
	RightKeys []int
	On        Expr
	NullAware bool
	Cols      types.Schema
	// Interval is set on an inner join whose condition bounds one side's
	// event time by the other's (stream_interval_join.go): the dataflow
	// runs it as an interval join, expiring rows by watermark.
	Interval []IntervalBound
}

// SortKey orders by one column.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool // Postgres default: NULLS LAST for ASC, FIRST for DESC
}

// AggCall is one aggregate of an Aggregate node. Args and Filter are input
// column positions (the binder projects expressions first); Filter is -1 when
// absent.
type AggCall struct {
	Agg      *builtins.AggOverload
	Args     []int
	Distinct bool
	Filter   int
	OrderBy  []SortKey
}

// Aggregate groups by GroupCols and computes Aggs. Output: the group columns
// in order, then one column per aggregate. With no GroupCols and no input
// rows it emits one row (count 0, other aggregates NULL).
type Aggregate struct {
	Input     Node
	GroupCols []int
	Aggs      []AggCall
	Cols      types.Schema
}

// Distinct removes duplicate rows; with On set (DISTINCT ON) it keeps the
// first row per On key in the order of the input's Sort.
type Distinct struct {
	Input Node
	On    []int
}

// Sort orders rows. Ad-hoc only unless followed by a Limit (top-N).
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit keeps Count rows after skipping Offset (each nil when absent;
// constant or parameter expressions).
type Limit struct {
	Input  Node
	Count  Expr
	Offset Expr
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

const (
	Union SetOpKind = iota
	Intersect
	Except
)

func (k SetOpKind) String() string { return [...]string{"union", "intersect", "except"}[k] }

// SetOp combines two inputs with the same column types.
type SetOp struct {
	Kind        SetOpKind
	All         bool
	Left, Right Node
	Cols        types.Schema
}

// FrameBound is one end of a window frame.
type FrameBound uint8

const (
	UnboundedPreceding FrameBound = iota
	OffsetPreceding
	CurrentRow
	OffsetFollowing
	UnboundedFollowing
)

// Frame is a window frame; the default (RANGE BETWEEN UNBOUNDED PRECEDING
// AND CURRENT ROW) has Rows false.
type Frame struct {
	Rows                   bool
	Start, End             FrameBound
	StartOffset, EndOffset Expr
}

// WindowCall is one window function over (PARTITION BY, ORDER BY).
type WindowCall struct {
	Win         *builtins.WindowOverload
	Agg         *builtins.AggOverload // for WinAggregate
	Args        []int
	Filter      int // -1 when absent
	PartitionBy []int
	OrderBy     []SortKey
	Frame       Frame
}

// Window appends one column per function to each input row.
type Window struct {
	Input Node
	Funcs []WindowCall
	Cols  types.Schema
}

// Columns implementations.

func (n *Scan) Columns() types.Schema        { return n.Cols }
func (n *VirtualScan) Columns() types.Schema { return n.Cols }
func (n *Values) Columns() types.Schema      { return n.Cols }
func (n *FuncScan) Columns() types.Schema    { return n.Cols }
func (n *Filter) Columns() types.Schema      { return n.Input.Columns() }
func (n *Project) Columns() types.Schema     { return n.Cols }
func (n *ProjectSet) Columns() types.Schema  { return n.Cols }
func (n *Join) Columns() types.Schema        { return n.Cols }
func (n *Aggregate) Columns() types.Schema   { return n.Cols }
func (n *Distinct) Columns() types.Schema    { return n.Input.Columns() }
func (n *Sort) Columns() types.Schema        { return n.Input.Columns() }
func (n *Limit) Columns() types.Schema       { return n.Input.Columns() }
func (n *SetOp) Columns() types.Schema       { return n.Cols }
func (n *Window) Columns() types.Schema      { return n.Cols }

// WorkTable names the rows of one iteration of a recursive CTE.
type WorkTable struct {
	Name string
}

// RecursiveUnion evaluates WITH RECURSIVE: Base once, then Recursive
// repeatedly, each time reading (through WorkTableScan) the rows the
// previous step produced, until a step produces none. With Distinct
// (UNION), rows already produced are dropped. Ad-hoc queries only.
type RecursiveUnion struct {
	Base      Node
	Recursive Node
	Distinct  bool
	Work      *WorkTable
	Cols      types.Schema
}

// WorkTableScan reads the current work table of a RecursiveUnion.
type WorkTableScan struct {
	Work *WorkTable
	Cols types.Schema
}

func (n *RecursiveUnion) Columns() types.Schema { return n.Cols }
func (n *WorkTableScan) Columns() types.Schema  { return n.Cols }
