package planner

import (
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// Expr is a bound, typed scalar expression. Column references are positions
// in the input row of the node that evaluates the expression.
type Expr interface {
	// Type is the result type.
	Type() *types.T
}

// Const is a literal or folded constant.
type Const struct {
	Value types.Datum
	Typ   *types.T
}

// ColRef reads column Idx of the input row.
type ColRef struct {
	Idx int
	Typ *types.T
}

// OuterRef reads column Idx of the row of an enclosing query, Depth levels
// out (1 = the immediately enclosing query): a correlated subquery.
type OuterRef struct {
	Depth int
	Idx   int
	Typ   *types.T
}

// Param is the statement parameter $(Idx+1).
type Param struct {
	Idx int
	Typ *types.T
}

// Func calls a scalar function or operator overload.
type Func struct {
	Fn   *builtins.Overload
	Args []Expr
	Typ  *types.T
}

// Cast converts Arg to Typ (honouring Typ.Typmod). Explicit marks a
// written cast (x::varchar(3) truncates) as opposed to an implicit or
// assignment coercion (which raises 22001 on a too long value).
type Cast struct {
	Arg      Expr
	Typ      *types.T
	Explicit bool
}

// And, Or and Not are SQL three-valued logic.
type And struct{ Args []Expr }
type Or struct{ Args []Expr }
type Not struct{ Arg Expr }

// IsNull is "Arg IS [NOT] NULL".
type IsNull struct {
	Arg    Expr
	Negate bool
}

// IsBool is "Arg IS [NOT] TRUE|FALSE|UNKNOWN": Want is DBool(true),
// DBool(false) or Null.
type IsBool struct {
	Arg    Expr
	Want   types.Datum
	Negate bool
}

// IsDistinct is "L IS [NOT] DISTINCT FROM R"; Eq is the equality operator.
type IsDistinct struct {
	L, R   Expr
	Eq     *builtins.Overload
	Negate bool
}

// CaseWhen is one WHEN branch. For a simple CASE, Cond is already the
// comparison of the operand with the WHEN value.
type CaseWhen struct {
	Cond   Expr
	Result Expr
}

// Case is a searched CASE (simple CASE is rewritten to one).
type Case struct {
	Whens []CaseWhen
	Else  Expr // nil means NULL
	Typ   *types.T
}

// Coalesce returns its first non-NULL argument, evaluating lazily.
type Coalesce struct {
	Args []Expr
	Typ  *types.T
}

// NullIf is NULLIF(L, R).
type NullIf struct {
	L, R Expr
	Eq   *builtins.Overload
	Typ  *types.T
}

// MinMax is GREATEST (Least false) or LEAST (Least true); NULLs are ignored.
type MinMax struct {
	Args  []Expr
	Least bool
	Typ   *types.T
}

// InList is "Arg [NOT] IN (List...)" with SQL NULL semantics; Eq compares
// Arg with each element (all of one common type).
type InList struct {
	Arg    Expr
	List   []Expr
	Eq     *builtins.Overload
	Negate bool
}

// AnyAll is "L op ANY|ALL (R)" where R is an array expression.
type AnyAll struct {
	L   Expr
	Op  *builtins.Overload
	R   Expr
	All bool
}

// ArrayCtor is ARRAY[...] (Elems of Typ.Elem).
type ArrayCtor struct {
	Elems []Expr
	Typ   *types.T
}

// Subscript is Arg[Index] (1-based; Postgres returns NULL out of range), or
// a slice Arg[Lo:Hi] when Slice is set (Lo/Hi may be nil).
type Subscript struct {
	Arg    Expr
	Index  Expr
	Slice  bool
	Lo, Hi Expr
	Typ    *types.T
}

// SubqueryKind says how a subquery's rows become a value.
type SubqueryKind uint8

const (
	// SubqueryScalar: the single column of at most one row (21000 if more),
	// NULL if none.
	SubqueryScalar SubqueryKind = iota
	// SubqueryExists: whether it returns a row.
	SubqueryExists
	// SubqueryAny: "Test op ANY (subquery)" (IN is "= ANY").
	SubqueryAny
	// SubqueryAll: "Test op ALL (subquery)".
	SubqueryAll
	// SubqueryArray: ARRAY(subquery).
	SubqueryArray
)

// Subquery runs Plan (per outer row when Correlated, else once per
// statement) and turns its result into a value by Kind.
type Subquery struct {
	Kind       SubqueryKind
	Plan       Node
	Test       Expr               // the left side for Any/All
	Cmp        *builtins.Overload // the comparison for Any/All
	Correlated bool
	Typ        *types.T
}

// Type implementations.

func (e *Const) Type() *types.T      { return e.Typ }
func (e *ColRef) Type() *types.T     { return e.Typ }
func (e *OuterRef) Type() *types.T   { return e.Typ }
func (e *Param) Type() *types.T      { return e.Typ }
func (e *Func) Type() *types.T       { return e.Typ }
func (e *Cast) Type() *types.T       { return e.Typ }
func (e *And) Type() *types.T        { return types.Bool }
func (e *Or) Type() *types.T         { return types.Bool }
func (e *Not) Type() *types.T        { return types.Bool }
func (e *IsNull) Type() *types.T     { return types.Bool }
func (e *IsBool) Type() *types.T     { return types.Bool }
func (e *IsDistinct) Type() *types.T { return types.Bool }
func (e *Case) Type() *types.T       { return e.Typ }
func (e *Coalesce) Type() *types.T   { return e.Typ }
func (e *NullIf) Type() *types.T     { return e.Typ }
func (e *MinMax) Type() *types.T     { return e.Typ }
func (e *InList) Type() *types.T     { return types.Bool }
func (e *AnyAll) Type() *types.T     { return types.Bool }
func (e *ArrayCtor) Type() *types.T  { return e.Typ }
func (e *Subscript) Type() *types.T  { return e.Typ }
func (e *Subquery) Type() *types.T   { return e.Typ }
