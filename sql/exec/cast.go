package exec

import (
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// castDatum converts a non-NULL d from type from to type to.
func castDatum(ctx *builtins.Context, d types.Datum, from, to *types.T) (types.Datum, error) {
	// TODO: call builtins.Cast once it lands; identical types are a no-op.
	if from != nil && from.Identical(to) {
		return d, nil
	}
	return types.Datum{}, types.Unsupported("cast from " + from.String() + " to " + to.String())
}
