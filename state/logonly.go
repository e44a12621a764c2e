package state

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// Log-only tables keep each row once, as its change-log record: see
// "Log-only tables" in the package documentation.

// StorageKind names how a table keeps its rows (streamdb.state_tables,
// EXPLAIN).
const (
	// StorageRowsAndLog is the default: a 't' row per key and an 'l'
	// record per change.
	StorageRowsAndLog = "rows+log"
	// StorageLogOnly keeps an append-only table's rows as 'l' records only.
	StorageLogOnly = "log"
)

// logOnlyRegistry is the set of log-only tables. Readers take the current
// map without a lock (a commit asks for every table it writes).
type logOnlyRegistry struct {
	mu     sync.Mutex // serializes changes
	tables atomic.Pointer[map[uint32]struct{}]
}

func (r *logOnlyRegistry) has(oid uint32) bool {
	m := r.tables.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[oid]
	return ok
}

// update replaces the set by a copy that fn changed.
func (r *logOnlyRegistry) update(fn func(map[uint32]struct{})) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[uint32]struct{}{}
	if m := r.tables.Load(); m != nil {
		for k := range *m {
			next[k] = struct{}{}
		}
	}
	fn(next)
	r.tables.Store(&next)
}

// loadLogOnly reads the persisted log-only marks (at open).
func (ts *TableStore) loadLogOnly() error {
	var oids []uint32
	err := ts.store.ScanPrefix(keyLogOnlyBase, func(key, _ []byte) error {
		if len(key) != len(keyLogOnlyBase)+4 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt log-only table mark %q", key)
		}
		oids = append(oids, binary.BigEndian.Uint32(key[len(keyLogOnlyBase):]))
		return nil
	})
	if err != nil {
		return err
	}
	ts.logOnly.update(func(m map[uint32]struct{}) {
		for _, oid := range oids {
			m[oid] = struct{}{}
		}
	})
	return nil
}

// SetLogOnly makes a table log-only, durably: its rows are then stored
// once, as change-log records, and the table accepts InsertFresh only.
// Call it when the table is created, before any row is written: a table
// that already has rows stored as 't' keys is refused (an existing data
// directory keeps its tables as they are). Calling it again is a no-op.
func (ts *TableStore) SetLogOnly(tableOID uint32) error {
	if ts.logOnly.has(tableOID) {
		return nil
	}
	if ts.ttl.table(tableOID) != nil {
		return errors.AssertionFailedf("table %d has a TTL and cannot be log-only", tableOID)
	}
	p := tablePrefix(prefixRow, tableOID)
	hasRows := false
	err := ts.store.ScanPrefix(p, func(_, _ []byte) error {
		hasRows = true
		return errStopScan
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return err
	}
	if hasRows {
		return errors.AssertionFailedf("table %d already stores rows and cannot become log-only", tableOID)
	}
	err = ts.store.Write(func(b *pebble.Batch) error {
		return b.Set(oidKey(keyLogOnlyBase, tableOID), nil, nil)
	})
	if err != nil {
		return err
	}
	ts.logOnly.update(func(m map[uint32]struct{}) { m[tableOID] = struct{}{} })
	return nil
}

// errStopScan ends a ScanPrefix early.
var errStopScan = errors.New("stop scan")

// IsLogOnly reports whether a table keeps its rows as change-log records
// only.
func (ts *TableStore) IsLogOnly(tableOID uint32) bool { return ts.logOnly.has(tableOID) }

// StorageKind is StorageLogOnly or StorageRowsAndLog.
func (ts *TableStore) StorageKind(tableOID uint32) string {
	if ts.IsLogOnly(tableOID) {
		return StorageLogOnly
	}
	return StorageRowsAndLog
}

// errLogOnly refuses a keyed operation on a log-only table.
func errLogOnly(what string, tableOID uint32) error {
	return types.Errorf(types.CodeFeatureNotSupported,
		"%s is not supported on an append-only source (table %d stores its rows as an append-only log)", what, tableOID)
}

// scanLogOnly is ScanRange for a log-only table: the rows are the
// snapshot's log records in commit order, then the rows the transaction
// inserted itself. The key handed to fn is the record's place in the log
// (commit seq, record number: 12 bytes), which identifies the row but is
// not its primary key (log-only tables have none); a range (start, end) is
// refused.
func (tx *Txn) scanLogOnly(ctx context.Context, tableOID uint32, start, end []byte, fn func(key []byte, row types.Row) error) error {
	if len(start) > 0 || end != nil {
		return errLogOnly("a key range scan", tableOID)
	}
	lower := logKey(nil, tableOID, 0, 0)
	upper := prefixEnd(tablePrefix(prefixLog, tableOID))
	it, err := tx.snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return types.WithCode(errors.Wrap(err, "scan"), types.CodeIOError)
	}
	defer it.Close()
	const tablePrefixLen = 5
	count := 0
	for valid := it.First(); valid; valid = it.Next() {
		if count++; count&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return types.WithCode(errors.Wrap(err, "scan"), types.CodeIOError)
		}
		if len(k) != logKeyLen || len(v) < 1 || types.Op(v[0]) != types.Insert {
			return types.Errorf(types.CodeDataCorrupted, "corrupt change log record of log-only table %d", tableOID)
		}
		row, err := types.DecodeRow(v[1:])
		if err != nil {
			return err
		}
		if err := fn(k[tablePrefixLen:], row); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return types.WithCode(errors.Wrap(err, "scan"), types.CodeIOError)
	}
	// The transaction's own inserts follow: they commit after every
	// record of its snapshot. Their key is the op's position.
	var key [4]byte
	for i := range tx.ops {
		op := &tx.ops[i]
		if op.table != tableOID || op.newRow == nil {
			continue
		}
		binary.BigEndian.PutUint32(key[:], uint32(i))
		if err := fn(key[:], op.newRow.Copy()); err != nil {
			return err
		}
	}
	return nil
}

// logKeyLen is the length of a change-log key: prefix, table, seq, n.
const logKeyLen = 1 + 4 + 8 + 4

// TableBytes estimates the disk space of a table's rows ('t') and change
// log ('l') in the store (streamdb.state_tables).
func (ts *TableStore) TableBytes(tableOID uint32) (rows, log int64, err error) {
	est := func(p byte) (int64, error) {
		lo := tablePrefix(p, tableOID)
		n, err := ts.store.db.EstimateDiskUsage(lo, prefixEnd(lo))
		return int64(n), errors.Wrap(err, "estimate table size")
	}
	if rows, err = est(prefixRow); err != nil {
		return 0, 0, err
	}
	log, err = est(prefixLog)
	return rows, log, err
}
