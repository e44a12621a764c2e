package state

import (
	"bytes"
	"context"
	"sort"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// Txn is a transaction over a TableStore: reads see the snapshot taken at
// Begin plus the transaction's own writes; writes are buffered until
// Commit. A Txn is used by one goroutine at a time and must end with
// Commit or Rollback (which release the snapshot). The rows passed to
// Insert, Put, Update and Delete are kept until Commit: the caller must not
// modify them afterwards. Rows returned by reads belong to the caller.
//
// The tableOID of the methods is just a key space: a unique secondary
// index can be kept as a "table" under the index OID (key: the indexed
// columns, row: the primary key), and Insert then enforces its uniqueness
// with the same conflict rules.
type Txn struct {
	ts       *TableStore
	snap     *pebble.Snapshot
	startSeq uint64
	// writes is the write buffer: table -> row key -> final state.
	writes map[uint32]map[string]bufEntry
	// ops lists the row operations in order: the change log of the commit
	// and the undo log of RollbackTo.
	ops  []txnOp
	done bool
	// ttl is the transaction's view of row TTL (ttl.go).
	ttl txnTTL
}

// bufEntry is the buffered state of one key.
type bufEntry struct {
	row types.Row // nil: deleted
	// baseExists says whether the key exists in the snapshot: it decides
	// which conflict check applies at commit.
	baseExists bool
	// fresh marks a key created by InsertFresh: it needs no conflict check.
	fresh bool
	// op is the index in Txn.ops of the operation that wrote row.
	op int32
}

// txnOp is one row operation: an insert (oldRow nil), a delete (newRow
// nil) or an update.
type txnOp struct {
	table          uint32
	key            string
	oldRow, newRow types.Row
	prev           bufEntry // the buffer entry before the op, for undo
	hadPrev        bool
}

// Savepoint marks a point RollbackTo can return to.
type Savepoint int

// errFinished is returned by operations on a committed or rolled back Txn.
func errFinished() error {
	return errors.AssertionFailedf("transaction already finished")
}

// StartSeq is the commit seq of the snapshot the transaction reads.
func (tx *Txn) StartSeq() uint64 { return tx.startSeq }

// HasWrites reports whether the transaction has buffered row changes.
func (tx *Txn) HasWrites() bool { return len(tx.ops) > 0 }

// Get returns the row stored under key, seeing the transaction's writes.
func (tx *Txn) Get(tableOID uint32, key []byte) (types.Row, bool, error) {
	if tx.done {
		return nil, false, errFinished()
	}
	if e, ok := tx.writes[tableOID][string(key)]; ok {
		if e.row == nil {
			return nil, false, nil
		}
		return e.row.Copy(), true, nil
	}
	return tx.getSnapshot(tableOID, key)
}

func (tx *Txn) getSnapshot(tableOID uint32, key []byte) (types.Row, bool, error) {
	if tx.ts.logOnly.has(tableOID) {
		return nil, false, errLogOnly("a key lookup", tableOID)
	}
	v, closer, err := tx.snap.Get(rowKey(tableOID, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, types.WithCode(errors.Wrap(err, "read row"), types.CodeIOError)
	}
	defer closer.Close()
	if t := tx.ts.ttl.table(tableOID); t != nil {
		if live, err := tx.ttlGetLive(t, key); err != nil || !live {
			return nil, false, err
		}
	}
	row, err := types.DecodeRow(v)
	if err != nil {
		return nil, false, err
	}
	return row, true, nil
}

// lookup returns the current row of key and whether the key exists in the
// snapshot (from its buffer entry if there is one).
func (tx *Txn) lookup(tableOID uint32, key []byte) (row types.Row, baseExists bool, err error) {
	if e, ok := tx.writes[tableOID][string(key)]; ok {
		return e.row, e.baseExists, nil
	}
	row, ok, err := tx.getSnapshot(tableOID, key)
	return row, ok, err
}

// record buffers a row operation. baseExists and fresh are used when the
// key has no buffer entry yet.
func (tx *Txn) record(tableOID uint32, key []byte, oldRow, newRow types.Row, baseExists, fresh bool) {
	m := tx.writes[tableOID]
	if m == nil {
		m = make(map[string]bufEntry)
		tx.writes[tableOID] = m
	}
	k := string(key)
	prev, hadPrev := m[k]
	if hadPrev {
		baseExists, fresh = prev.baseExists, prev.fresh
	}
	m[k] = bufEntry{row: newRow, baseExists: baseExists, fresh: fresh, op: int32(len(tx.ops))}
	tx.ops = append(tx.ops, txnOp{table: tableOID, key: k, oldRow: oldRow, newRow: newRow, prev: prev, hadPrev: hadPrev})
}

// Insert adds a row under a key that must not exist: 23505 (marked
// ErrDuplicateKey) at once if it exists in the snapshot or the buffer, or
// at Commit if a concurrent transaction committed the key meanwhile.
func (tx *Txn) Insert(tableOID uint32, key []byte, row types.Row) error {
	if tx.done {
		return errFinished()
	}
	old, baseExists, err := tx.lookup(tableOID, key)
	if err != nil {
		return err
	}
	if old != nil {
		return duplicateKeyError()
	}
	tx.record(tableOID, key, nil, row, baseExists, false)
	return nil
}

// InsertFresh adds a row under a key no transaction can know yet: a row id
// just taken from NextRowID or ReserveRowIDs. It skips the existence check
// and the commit-time conflict check (bulk loads of tables without a
// primary key).
func (tx *Txn) InsertFresh(tableOID uint32, key []byte, row types.Row) error {
	if tx.done {
		return errFinished()
	}
	if tx.ts.logOnly.has(tableOID) {
		// The row is only a change-log record: no key to buffer (reads
		// of the table scan the log, and the transaction's ops).
		tx.ops = append(tx.ops, txnOp{table: tableOID, newRow: row})
		return nil
	}
	tx.record(tableOID, key, nil, row, false, true)
	return nil
}

// Put writes a row under key, replacing any row there (an upsert). It
// reads the old row for the change log; use Update when the caller has it.
func (tx *Txn) Put(tableOID uint32, key []byte, row types.Row) error {
	if tx.done {
		return errFinished()
	}
	old, baseExists, err := tx.lookup(tableOID, key)
	if err != nil {
		return err
	}
	tx.record(tableOID, key, old, row, baseExists, false)
	return nil
}

// Update replaces oldRow, which the caller read under key in this
// transaction, with newRow. Commit fails with 40001 if a concurrent
// transaction changed the key since the snapshot.
func (tx *Txn) Update(tableOID uint32, key []byte, oldRow, newRow types.Row) error {
	if tx.done {
		return errFinished()
	}
	if tx.ts.logOnly.has(tableOID) {
		return errLogOnly("UPDATE", tableOID)
	}
	if oldRow == nil {
		return tx.Put(tableOID, key, newRow)
	}
	tx.record(tableOID, key, oldRow, newRow, true, false)
	return nil
}

// Delete removes the row under key; oldRow is the row the caller read (nil
// makes Delete read it). Deleting a missing key does nothing. Commit fails
// with 40001 if a concurrent transaction changed the key since the snapshot.
func (tx *Txn) Delete(tableOID uint32, key []byte, oldRow types.Row) error {
	if tx.done {
		return errFinished()
	}
	if tx.ts.logOnly.has(tableOID) {
		return errLogOnly("DELETE", tableOID)
	}
	baseExists := true
	if oldRow == nil {
		var err error
		oldRow, baseExists, err = tx.lookup(tableOID, key)
		if err != nil {
			return err
		}
		if oldRow == nil {
			return nil
		}
	}
	tx.record(tableOID, key, oldRow, nil, baseExists, false)
	return nil
}

// Savepoint returns the current point of the transaction.
func (tx *Txn) Savepoint() Savepoint { return Savepoint(len(tx.ops)) }

// RollbackTo undoes every write made after sp (statement atomicity and
// ROLLBACK TO SAVEPOINT). sp stays valid.
func (tx *Txn) RollbackTo(sp Savepoint) {
	for i := len(tx.ops) - 1; i >= int(sp); i-- {
		op := &tx.ops[i]
		m := tx.writes[op.table]
		if op.hadPrev {
			m[op.key] = op.prev
		} else {
			delete(m, op.key)
		}
		tx.ops[i] = txnOp{} // drop row references
	}
	if int(sp) < len(tx.ops) {
		tx.ops = tx.ops[:sp]
	}
}

// Commit makes the writes durable (fsynced) and visible, or fails with
// 23505 or 40001 and writes nothing. The transaction is finished either way.
func (tx *Txn) Commit() error {
	if tx.done {
		return errFinished()
	}
	defer tx.finish()
	if len(tx.ops) == 0 {
		return nil
	}
	return tx.ts.commit(tx)
}

// Rollback discards the writes. It is a no-op on a finished transaction.
func (tx *Txn) Rollback() {
	if !tx.done {
		tx.finish()
	}
}

func (tx *Txn) finish() {
	tx.done = true
	// A failed refresh (an I/O error) leaves the rows their previous
	// expiry: they expire earlier than a read asked, never later.
	_ = tx.ts.applyTTLRefresh(tx.ttl.refresh)
	tx.ttl.refresh = nil
	_ = tx.snap.Close()
	tx.ts.endTxn(tx.startSeq)
	tx.writes = nil
	tx.ops = nil
}

// Scan calls fn for every row of a table in key order, seeing the
// transaction's writes as of the start of the scan (writes fn makes are
// not seen by this scan). key is only valid during the call; row is owned
// by fn.
func (tx *Txn) Scan(ctx context.Context, tableOID uint32, fn func(key []byte, row types.Row) error) error {
	return tx.ScanPrefix(ctx, tableOID, nil, fn)
}

// ScanPrefix is Scan restricted to the row keys starting with prefix (a
// leading part of the primary key).
func (tx *Txn) ScanPrefix(ctx context.Context, tableOID uint32, prefix []byte, fn func(key []byte, row types.Row) error) error {
	return tx.ScanRange(ctx, tableOID, prefix, prefixEnd(prefix), fn)
}

// ScanRange is Scan restricted to the row keys in [start, end); a nil end
// means no upper bound.
func (tx *Txn) ScanRange(ctx context.Context, tableOID uint32, start, end []byte, fn func(key []byte, row types.Row) error) error {
	if tx.done {
		return errFinished()
	}
	if tx.ts.logOnly.has(tableOID) {
		return tx.scanLogOnly(ctx, tableOID, start, end, fn)
	}
	type kv struct {
		key []byte
		e   bufEntry
	}
	var buffered []kv
	for k, e := range tx.writes[tableOID] {
		if k >= string(start) && (end == nil || k < string(end)) {
			buffered = append(buffered, kv{[]byte(k), e})
		}
	}
	sort.Slice(buffered, func(i, j int) bool { return bytes.Compare(buffered[i].key, buffered[j].key) < 0 })

	lower := rowKey(tableOID, start)
	upper := prefixEnd(tablePrefix(prefixRow, tableOID))
	if end != nil {
		upper = rowKey(tableOID, end)
	}
	it, err := tx.snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return types.WithCode(errors.Wrap(err, "scan"), types.CodeIOError)
	}
	defer it.Close()
	var ttlFilter *ttlScanFilter
	if t := tx.ts.ttl.table(tableOID); t != nil {
		if ttlFilter, err = tx.newTTLScanFilter(ctx, t, start, end); err != nil {
			return err
		}
		defer ttlFilter.close()
	}
	const tablePrefixLen = 5
	valid := it.First()
	bi := 0
	for count := 0; ; count++ {
		if count&255 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch {
		case bi < len(buffered) && (!valid || bytes.Compare(buffered[bi].key, it.Key()[tablePrefixLen:]) <= 0):
			b := &buffered[bi]
			if valid && bytes.Equal(b.key, it.Key()[tablePrefixLen:]) {
				valid = it.Next() // the buffer shadows the snapshot
			}
			bi++
			if b.e.row == nil {
				continue
			}
			if err := fn(b.key, b.e.row.Copy()); err != nil {
				return err
			}
		case valid:
			if ttlFilter != nil {
				live, err := ttlFilter.live(it.Key()[tablePrefixLen:])
				if err != nil {
					return err
				}
				if !live {
					valid = it.Next()
					continue
				}
			}
			v, err := it.ValueAndErr()
			if err != nil {
				return types.WithCode(errors.Wrap(err, "scan"), types.CodeIOError)
			}
			row, err := types.DecodeRow(v)
			if err != nil {
				return err
			}
			if err := fn(it.Key()[tablePrefixLen:], row); err != nil {
				return err
			}
			valid = it.Next()
		default:
			return types.WithCode(errors.Wrap(it.Error(), "scan"), types.CodeIOError)
		}
	}
}
