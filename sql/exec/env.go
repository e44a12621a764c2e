package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// TableReader gives operators the rows of stored tables, read from one
// consistent snapshot (plus the reading transaction's own writes).
type TableReader interface {
	// ScanTable calls fn for every row of the table, in storage layout
	// (planner.TableRef.NumPhysical slots; shorter rows written before an
	// ADD COLUMN are allowed: the caller pads them). fn may not keep row.
	ScanTable(ctx context.Context, t planner.TableRef, fn func(row types.Row) error) error
}

// TablePrefixReader is implemented by TableReaders that can read only the
// rows whose stored key (planner.TableRef.KeySlots, key-encoded with
// types.AppendKey and concatenated) starts with prefix. A scan with a
// KeyPrefix uses it when Env.Tables has it and falls back to ScanTable
// otherwise (the Filter above the scan keeps the result right either way).
type TablePrefixReader interface {
	ScanTablePrefix(ctx context.Context, t planner.TableRef, prefix []byte, fn func(row types.Row) error) error
}

// VirtualTables generates the rows of system tables.
type VirtualTables interface {
	Rows(ctx context.Context, name string) ([]types.Row, error)
}

// Env is what running a plan needs from its caller.
type Env struct {
	Eval    *builtins.Context
	Params  []types.Datum
	Tables  TableReader
	Virtual VirtualTables
}

// The entry points (implemented in run.go):
//
//	Run(ctx context.Context, env *Env, plan planner.Node, emit func(types.Row) error) error
//	    runs plan as a one-shot dataflow and calls emit for each result row, in
//	    order when the plan's top is a Sort/Limit; emit may not keep the row.
//	Compile(e planner.Expr) (*Compiled, error) and (*Compiled).Eval(ctx, env, row) (types.Datum, error)
//	    evaluate one expression over one row (defaults, CHECK, RETURNING, SET).
var _ = planner.Node(nil)
