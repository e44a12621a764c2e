package exec

import (
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// castDatum converts a non-NULL d from type from to type to (honouring
// to.Typmod).
func castDatum(ctx *builtins.Context, d types.Datum, from, to *types.T) (types.Datum, error) {
	return builtins.Cast(ctx, d, from, to)
}
