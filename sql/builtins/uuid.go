package builtins

import (
	"crypto/rand"

	"github.com/streamdb/streamdb/sql/types"
)

// registerUUIDFuncs registers the uuid functions of Postgres 15 core:
// gen_random_uuid(). The comparison operators come with comparableTypes,
// and the casts to and from text are the automatic I/O conversions
// (CastContextOf). Postgres 15 has no min/max for uuid, so neither do we.
func registerUUIDFuncs(b *registryBuilder) {
	b.fn(&Overload{Name: "gen_random_uuid", Ret: types.UUID, Volatility: Volatile, Fn: func(_ *Context, _ []types.Datum) (types.Datum, error) {
		return genRandomUUID(), nil
	}})
}

// genRandomUUID returns a version 4 (random) uuid, as RFC 4122 section 4.4
// and Postgres' gen_random_uuid build it.
func genRandomUUID() types.Datum {
	var u [16]byte
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails (Go 1.24+).
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10xx
	return types.DUUID(u)
}
