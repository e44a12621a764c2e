package server

import (
	"context"
	"encoding/binary"
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
	// version is the view epoch snap holds, the row cache version
	// (0: not read yet; lookup.go).
	version uint64
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
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return errors.Wrap(err, "view scan")
	}
	defer it.Close()
	ttlFilter, err := m.srv.ttl.rowFilter(snap, oid) // ttl_view.go
	if err != nil {
		return err
	}
	defer ttlFilter.close()
	return emitViewRows(ctx, it, ttlFilter, fn)
}

// emitViewRows calls fn for every live view row within the iterator's
// bounds, once per copy (a view is a multiset), checking for cancellation
// every 1024 rows.
func emitViewRows(ctx context.Context, it *pebble.Iterator, ttlFilter *viewRowFilter, fn func(types.Row) error) error {
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
		if err := emitStoredViewRow(v, fn); err != nil {
			return err
		}
	}
	return errors.Wrap(it.Error(), "view scan")
}

// scanRowsPrefixAt calls fn for the rows of a view whose row key starts
// with rowKeyPrefix (the key encoding of its leading columns). Rows are
// spread over maxParallelism key groups by a hash of the whole row key
// (viewRowKey), so this is one bounded seek per key group instead of a
// scan of every row. The same TTL filter as scanRowsAt applies.
func (m *viewManager) scanRowsPrefixAt(ctx context.Context, r pebble.Reader, oid uint32, rowKeyPrefix []byte, fn func(types.Row) error) error {
	ttlFilter, err := m.srv.ttl.rowFilter(r, oid) // ttl_view.go
	if err != nil {
		return err
	}
	defer ttlFilter.close()
	var bounds keyGroupBounds
	it, err := r.NewIter(nil)
	if err != nil {
		return errors.Wrap(err, "view scan")
	}
	defer it.Close()
	for group := 0; group < maxParallelism; group++ {
		if ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		bounds.set(it, oid, group, rowKeyPrefix)
		if err := emitViewRows(ctx, it, ttlFilter, fn); err != nil {
			return err
		}
	}
	return nil
}

// keyGroupBounds bounds an iterator to the rows of one key group of a view
// whose row key starts with a prefix. Pebble owns the bounds until they are
// replaced, so two buffer pairs are used in turn.
type keyGroupBounds struct{ bufs [2][2][]byte }

func (kb *keyGroupBounds) set(it *pebble.Iterator, oid uint32, group int, prefix []byte) {
	b := &kb.bufs[group&1]
	lower := binary.BigEndian.AppendUint32(b[0][:0], oid)
	lower = binary.BigEndian.AppendUint16(lower, uint16(group))
	lower = append(lower, prefix...)
	upper := appendPrefixEnd(b[1], lower)
	b[0], b[1] = lower, upper
	it.SetBounds(lower, upper)
}
