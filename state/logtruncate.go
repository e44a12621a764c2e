package state

import (
	"encoding/binary"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
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
// are absent), and records each as the table's LogStart. retention, if not
// nil, replaces the caller's LogRetention record in the same batch. The
// batch is not synced: a truncation lost in a crash is redone by the next
// one.
func (ts *TableStore) TruncateLogs(bounds map[uint32]uint64, retention []byte) (map[uint32]uint64, error) {
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
		if err := b.Set(oidKey(keyLogStartBase, oid), binary.BigEndian.AppendUint64(nil, before), nil); err != nil {
			return nil, errors.Wrap(err, "truncate log")
		}
		applied[oid] = before
	}
	if retention != nil {
		if err := b.Set(keyLogRetention, retention, nil); err != nil {
			return nil, errors.Wrap(err, "truncate log")
		}
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

// LogStart is the lowest commit seq whose change-log records of a table
// may still be stored: 1 until a truncation, then its bound. A consumer
// that needs records below it (a Kafka sink created after a truncation)
// reads a snapshot of the table instead.
func (ts *TableStore) LogStart(tableOID uint32) (uint64, error) {
	v, ok, err := ts.store.Get(oidKey(keyLogStartBase, tableOID))
	if err != nil || !ok {
		return 1, err
	}
	if len(v) != 8 {
		return 0, types.Errorf(types.CodeDataCorrupted, "corrupt log start record of table %d", tableOID)
	}
	return binary.BigEndian.Uint64(v), nil
}

// LogRetention returns the record the caller of TruncateLogs keeps with
// the truncations (the server: the log bounds of the retained
// checkpoints), or nil.
func (ts *TableStore) LogRetention() ([]byte, error) {
	v, ok, err := ts.store.Get(keyLogRetention)
	if !ok {
		v = nil
	}
	return v, err
}
