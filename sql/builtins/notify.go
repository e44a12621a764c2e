package builtins

import (
	"github.com/streamdb/streamdb/sql/types"
)

// Notifier is implemented by the value the server puts in Context.Catalog
// for sessions that support LISTEN/NOTIFY: pg_notify type-asserts to it, as
// the advisory lock functions do with AdvisoryLocks.
type Notifier interface {
	// Notify queues a notification on channel, sent when the calling
	// session's transaction commits (and dropped if it rolls back).
	Notify(channel, payload string) error
}

func registerNotify(b *registryBuilder) {
	// pg_notify is not strict: a NULL payload is an empty one, and a NULL
	// channel is refused by Notify as an empty name.
	b.fn(&Overload{Name: "pg_notify", Args: args(types.Text, types.Text), Ret: types.Void, Volatility: Volatile, CalledOnNull: true,
		Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
			var n Notifier
			if ctx != nil {
				n, _ = ctx.Catalog.(Notifier)
			}
			if n == nil {
				return types.Null, types.Unsupported("LISTEN/NOTIFY here")
			}
			return types.Null, n.Notify(a[0].S, a[1].S)
		}})
}
