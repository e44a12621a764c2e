package state

import (
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
)

// TruncateLogs drops, per table, the change-log records with commit seq
// below the given bound, with one range delete each, in one batch. The
// caller computes the bounds from every consumer of the logs (see "Log
// truncation" in the package documentation); TruncateLogs itself only
// lowers a bound further:
//
//   - Log-only tables are skipped: their log is their data.
//   - No bound goes past the oldest open transaction's snapshot: an open
//     snapshot may be the start of a new consumer (a view's backfill reads
//     a snapshot, then the log after it), which needs every record after
//     the snapshot.
//
// It returns the bounds it applied (tables whose bound was 0 or skipped
// are absent). The batch is not synced: a truncation lost in a crash is
// redone by the next one.
func (ts *TableStore) TruncateLogs(bounds map[uint32]uint64) (map[uint32]uint64, error) {
	limit := ts.oldestSnapshotSeq() + 1
	applied := make(map[uint32]uint64, len(bounds))
	b := ts.store.db.NewBatch()
	defer b.Close()
	for oid, before := range bounds {
		if ts.logOnly.has(oid) {
			continue
		}
		before = min(before, limit)
		if before <= 1 {
			continue // seqs start at 1: nothing below
		}
		if err := b.DeleteRange(logKey(nil, oid, 0, 0), logKey(nil, oid, before, 0), nil); err != nil {
			return nil, errors.Wrap(err, "truncate log")
		}
		applied[oid] = before
	}
	if b.Empty() {
		return applied, nil
	}
	if err := ts.store.db.Apply(b, pebble.NoSync); err != nil {
		return nil, errors.Wrap(err, "truncate log")
	}
	return applied, nil
}

// oldestSnapshotSeq is the start seq of the oldest open transaction, or
// the last commit seq when none is open.
func (ts *TableStore) oldestSnapshotSeq() uint64 {
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	oldest := ts.commitMu.lastSeq
	for start := range ts.commitMu.active {
		oldest = min(oldest, start)
	}
	return oldest
}

// LogRecordCount counts the change-log records of a table still stored
// (tests and diagnostics: it reads them all).
func (ts *TableStore) LogRecordCount(tableOID uint32) (int64, error) {
	p := tablePrefix(prefixLog, tableOID)
	it, err := ts.store.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, errors.Wrap(err, "count log records")
	}
	defer it.Close()
	var n int64
	for valid := it.First(); valid; valid = it.Next() {
		n++
	}
	return n, errors.Wrap(it.Error(), "count log records")
}
