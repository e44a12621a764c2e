package builtins

// The resolution and cast entry points the planner and executor use. Their
// implementation lives in this package's other files.
//
//	ResolveFunction(name string, args []*types.T) (*Overload, error)        // 42883 undefined, 42725 ambiguous
//	ResolveOperator(op string, left, right *types.T) (*Overload, error)     // left == nil for a prefix operator
//	ResolveAggregate(name string, args []*types.T) (*AggOverload, error)
//	ResolveWindow(name string, args []*types.T) (*WindowOverload, error)
//	IsAggregate(name string) bool
//	IsWindowFunction(name string) bool
//	CastContextOf(from, to *types.T) CastContext
//	Cast(ctx *Context, d types.Datum, from, to *types.T) (types.Datum, error) // honours to.Typmod (varchar(n) 22001, numeric(p,s) rounding/22003)
//	Functions() []*Overload                                                  // every overload, for pg_proc
//	CommonType(ts []*types.T) (*types.T, error)                               // UNION/CASE/COALESCE/VALUES resolution, 42804
