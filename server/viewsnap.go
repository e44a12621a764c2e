package server

import (
	"context"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// viewSnapshot pins one point in time of the state store for a statement:
// every scan of a materialized view in the statement reads the same
// committed epoch, even while epochs keep committing (a query that reads
// two views, or one view twice, sees them consistent with each other).
// It is taken at the first view scan and released when the statement ends.
type viewSnapshot struct {
	mu   sync.Mutex
	snap *pebble.Snapshot
}

func (vs *viewSnapshot) get(m *viewManager) *pebble.Snapshot {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.snap == nil {
		vs.snap = m.store.DB().NewSnapshot()
	}
	return vs.snap
}

func (vs *viewSnapshot) release() {
	if vs == nil {
		return
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.snap != nil {
		_ = vs.snap.Close()
		vs.snap = nil
	}
}

// scanRowsAt is scanRows over a pinned snapshot.
func (m *viewManager) scanRowsAt(ctx context.Context, snap *pebble.Snapshot, oid uint32, fn func(types.Row) error) error {
	prefix := viewPrefix(oid)
	upper := append([]byte(nil), prefix...)
	for i := len(upper) - 1; i >= 0; i-- {
		if upper[i] != 0xff {
			upper[i]++
			upper = upper[:i+1]
			break
		}
	}
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return errors.Wrap(err, "view scan")
	}
	defer it.Close()
	ttlFilter, err := m.srv.ttl.rowFilter(snap, oid) // ttl_view.go
	if err != nil {
		return err
	}
	defer ttlFilter.close()
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		if !ttlFilter.live(it.Key()) { // ttl_view.go
			continue
		}
		if n++; n&1023 == 0 && ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Wrap(err, "view scan")
		}
		count, row, err := decodeViewRow(v)
		if err != nil {
			return err
		}
		for i := int64(0); i < count; i++ {
			if err := fn(row); err != nil {
				return err
			}
		}
	}
	return nil
}
