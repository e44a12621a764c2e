package builtins

import (
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// registerProctime adds proctime() (RisingWave, Flink PROCTIME()): the
// wall-clock time at which a row is processed, as timestamptz. Unlike
// now(), which is fixed for the statement, it is read per call, so a
// materialized view stamps each row when the view processes it (Nexmark
// q12's processing-time windows). Results that use it are not reproducible.
func registerProctime(b *registryBuilder) {
	b.fn(&Overload{Name: "proctime", Ret: types.TimestampTZ, Volatility: Volatile, Fn: func(_ *Context, _ []types.Datum) (types.Datum, error) {
		return types.DTimestampTZ(time.Now().UnixMicro()), nil
	}})
}
