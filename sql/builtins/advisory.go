package builtins

import (
	"context"

	"github.com/streamdb/streamdb/sql/types"
)

// AdvisoryLocks is implemented by the value the server puts in
// Context.Catalog: the pg_advisory_* functions type-assert Context.Catalog
// to it, as the sequence functions do with SequenceAccess.
type AdvisoryLocks interface {
	// AdvisoryLock takes the lock for the calling session. xact locks are
	// released when the transaction ends, the others when the session ends
	// or by AdvisoryUnlock. With wait false it returns false at once if
	// another session holds a conflicting lock; with wait true it blocks
	// until the lock is free or ctx ends.
	AdvisoryLock(ctx context.Context, key AdvisoryKey, shared, xact, wait bool) (bool, error)
	// AdvisoryUnlock releases one session-level hold; false if the session
	// held none.
	AdvisoryUnlock(key AdvisoryKey, shared bool) bool
	// AdvisoryUnlockAll releases every session-level lock of the session.
	AdvisoryUnlockAll()
}

// AdvisoryKey names an advisory lock. The bigint and the (int, int) forms
// are different lock spaces in Postgres even when their bits coincide.
type AdvisoryKey struct {
	Key  int64
	Pair bool
}

func advisoryLocks(ctx *Context) (AdvisoryLocks, error) {
	if ctx != nil {
		if l, ok := ctx.Catalog.(AdvisoryLocks); ok {
			return l, nil
		}
	}
	return nil, types.Unsupported("advisory locks")
}

func advisoryKey(a []types.Datum) AdvisoryKey {
	if len(a) == 2 {
		return AdvisoryKey{Key: int64(uint64(uint32(a[0].I))<<32 | uint64(uint32(a[1].I))), Pair: true}
	}
	return AdvisoryKey{Key: a[0].I}
}

func registerAdvisoryLocks(b *registryBuilder) {
	I, I8 := types.Int4, types.Int8
	lockFn := func(shared, xact, wait bool) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			l, err := advisoryLocks(ctx)
			if err != nil {
				return types.Null, err
			}
			goCtx := context.Background()
			if ctx.Ctx != nil {
				goCtx = ctx.Ctx
			}
			ok, err := l.AdvisoryLock(goCtx, advisoryKey(a), shared, xact, wait)
			if err != nil {
				return types.Null, err
			}
			if wait {
				return types.Null, nil
			}
			return types.DBool(ok), nil
		}
	}
	unlockFn := func(shared bool) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			l, err := advisoryLocks(ctx)
			if err != nil {
				return types.Null, err
			}
			return types.DBool(l.AdvisoryUnlock(advisoryKey(a), shared)), nil
		}
	}
	for _, sig := range [][]*types.T{args(I8), args(I, I)} {
		for _, v := range []struct {
			suffix       string
			shared, xact bool
		}{{"", false, false}, {"_shared", true, false}} {
			b.fn(&Overload{Name: "pg_advisory_lock" + v.suffix, Args: sig, Ret: types.Void, Volatility: Volatile, Fn: lockFn(v.shared, false, true)})
			b.fn(&Overload{Name: "pg_try_advisory_lock" + v.suffix, Args: sig, Ret: types.Bool, Volatility: Volatile, Fn: lockFn(v.shared, false, false)})
			b.fn(&Overload{Name: "pg_advisory_xact_lock" + v.suffix, Args: sig, Ret: types.Void, Volatility: Volatile, Fn: lockFn(v.shared, true, true)})
			b.fn(&Overload{Name: "pg_try_advisory_xact_lock" + v.suffix, Args: sig, Ret: types.Bool, Volatility: Volatile, Fn: lockFn(v.shared, true, false)})
			b.fn(&Overload{Name: "pg_advisory_unlock" + v.suffix, Args: sig, Ret: types.Bool, Volatility: Volatile, Fn: unlockFn(v.shared)})
		}
	}
	b.fn(&Overload{Name: "pg_advisory_unlock_all", Ret: types.Void, Volatility: Volatile, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		l, err := advisoryLocks(ctx)
		if err != nil {
			return types.Null, err
		}
		l.AdvisoryUnlockAll()
		return types.Null, nil
	}})
}
