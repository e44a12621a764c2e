package state

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// rowIDBlock is how many row ids NextRowID reserves with one synced write.
const rowIDBlock = 1024

// lastWritePruneMin is the size of the recent-writes map below which it is
// never pruned.
const lastWritePruneMin = 1 << 14

// TableStore holds the rows of plain tables, their change logs, row-id
// counters and sequences in one Store. It is safe for concurrent use; each
// Txn belongs to one goroutine.
type TableStore struct {
	store     *Store
	ownsStore bool

	// commitMu serializes conflict checks, commit-seq assignment and the
	// application (not the fsync) of commit batches, so that Pebble applies
	// batches in commit-seq order.
	commitMu struct {
		sync.Mutex
		// lastSeq is the seq of the last applied commit.
		lastSeq uint64
		// lastWrite records, per Pebble row key, the last commit that wrote
		// it, for the first-committer-wins check. Entries older than every
		// active transaction's snapshot are pruned.
		lastWrite map[string]keyWrite
		nextPrune int
		// active counts the open transactions per start seq.
		active map[uint64]int
		// committed is closed (and replaced) at every commit.
		committed chan struct{}
	}
	// visibleSeq mirrors commitMu.lastSeq for lock-free readers.
	visibleSeq atomic.Uint64

	rowIDMu struct {
		sync.Mutex
		counters map[uint32]*rowIDCounter
	}

	seqMu struct {
		sync.Mutex
		seqs map[uint32]*sequence
	}

	// ttl holds the tables with a row TTL (ttl.go).
	ttl ttlRegistry

	// logOnly holds the tables whose rows are their log (logonly.go).
	logOnly logOnlyRegistry
}

// keyWrite is the last committed write of a key.
type keyWrite struct {
	seq    uint64
	exists bool // false when the write deleted the key
}

type rowIDCounter struct {
	next  int64 // the next id to hand out
	limit int64 // the highest id reserved durably
}

// OpenTableStore opens the store in dir and a TableStore over it; Close
// closes both.
func OpenTableStore(dir string, opts Options) (*TableStore, error) {
	s, err := Open(dir, opts)
	if err != nil {
		return nil, err
	}
	ts, err := NewTableStore(s)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	ts.ownsStore = true
	return ts, nil
}

// NewTableStore returns a TableStore over s. The caller keeps ownership of s
// and must close it after the TableStore.
func NewTableStore(s *Store) (*TableStore, error) {
	ts := &TableStore{store: s}
	ts.commitMu.lastWrite = make(map[string]keyWrite)
	ts.commitMu.active = make(map[uint64]int)
	ts.commitMu.nextPrune = lastWritePruneMin
	ts.commitMu.committed = make(chan struct{})
	ts.rowIDMu.counters = make(map[uint32]*rowIDCounter)
	ts.seqMu.seqs = make(map[uint32]*sequence)
	v, ok, err := s.Get(keyCommitSeq)
	if err != nil {
		return nil, err
	}
	if ok {
		if len(v) != 8 {
			return nil, types.Errorf(types.CodeDataCorrupted, "corrupt commit sequence record (%d bytes)", len(v))
		}
		ts.commitMu.lastSeq = binary.BigEndian.Uint64(v)
	}
	ts.visibleSeq.Store(ts.commitMu.lastSeq)
	if err := ts.loadLogOnly(); err != nil {
		return nil, err
	}
	return ts, nil
}

// Store is the underlying store (package catalog keeps its records in it
// under the 'c' prefix).
func (ts *TableStore) Store() *Store { return ts.store }

// Close persists the exact state of the sequences used since Open (so a
// clean restart skips no sequence values) and closes the store if the
// TableStore opened it.
func (ts *TableStore) Close() error {
	err := ts.persistSequencesClean()
	if ts.ownsStore {
		err = errors.CombineErrors(err, ts.store.Close())
	}
	return err
}

// CommitSeq is the seq of the last commit visible to new transactions.
func (ts *TableStore) CommitSeq() uint64 { return ts.visibleSeq.Load() }

// CommitNotify returns the seq of the last visible commit and a channel
// that is closed when a later commit becomes visible: consumers of the
// change log (ScanLog) wait on it instead of polling.
func (ts *TableStore) CommitNotify() (uint64, <-chan struct{}) {
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	return ts.commitMu.lastSeq, ts.commitMu.committed
}

// Begin starts a transaction reading a snapshot of the committed state.
func (ts *TableStore) Begin() *Txn {
	ts.commitMu.Lock()
	// Taken under the mutex so the snapshot holds exactly the commits up to
	// startSeq: the conflict check relies on it.
	snap := ts.store.db.NewSnapshot()
	start := ts.commitMu.lastSeq
	ts.commitMu.active[start]++
	ts.commitMu.Unlock()
	return &Txn{ts: ts, snap: snap, startSeq: start, writes: make(map[uint32]map[string]bufEntry)}
}

// endTxn unregisters a finished transaction.
func (ts *TableStore) endTxn(startSeq uint64) {
	ts.commitMu.Lock()
	if n := ts.commitMu.active[startSeq]; n <= 1 {
		delete(ts.commitMu.active, startSeq)
	} else {
		ts.commitMu.active[startSeq] = n - 1
	}
	ts.commitMu.Unlock()
}

// commit writes tx's changes: see the package documentation.
func (ts *TableStore) commit(tx *Txn) error { return ts.commitSync(tx, true) }

// CommitUnsynced is Commit without the fsync: the changes are visible at
// once, and durable with the next synced commit of any transaction (the
// WAL is one sequence), a view epoch (which syncs the store before it
// reads the log) or a checkpoint; a crash can lose them until then. Only
// for writers that can redo the lost tail exactly: a replayable source
// whose position commits in the same transaction as its rows (the
// nexmark generator), which then restarts from the last durable position.
func (tx *Txn) CommitUnsynced() error {
	if tx.done {
		return errFinished()
	}
	defer tx.finish()
	if len(tx.ops) == 0 {
		return nil
	}
	return tx.ts.commitSync(tx, false)
}

func (ts *TableStore) commitSync(tx *Txn, sync bool) error {
	db := ts.store.db

	// Encode outside the mutex: only conflict checks, log keys and the
	// batch application happen under it. Each row is encoded once: the
	// stored value of a key is its last log record without the op byte.
	type logRecord struct {
		table uint32
		value []byte // op byte | encoded row
	}
	records := make([]logRecord, 0, len(tx.ops)+len(tx.ops)/4)
	newRecord := make([]int32, len(tx.ops)) // op -> record of its new row
	// All records are encoded into one buffer (the batch copies them), not
	// one allocation per row; ends[i] is where record i ends in it.
	var arena []byte
	ends := make([]int, 0, cap(records))
	appendRecord := func(table uint32, op types.Op, r types.Row) int32 {
		arena = types.AppendRow(append(arena, byte(op)), r)
		ends = append(ends, len(arena))
		records = append(records, logRecord{table: table})
		return int32(len(records) - 1)
	}
	for i := range tx.ops {
		op := &tx.ops[i]
		switch {
		case op.oldRow == nil:
			newRecord[i] = appendRecord(op.table, types.Insert, op.newRow)
		case op.newRow == nil:
			newRecord[i] = appendRecord(op.table, types.Delete, op.oldRow)
		default:
			appendRecord(op.table, types.UpdateDelete, op.oldRow)
			newRecord[i] = appendRecord(op.table, types.UpdateInsert, op.newRow)
		}
	}
	for i := range records {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		records[i].value = arena[start:ends[i]:ends[i]]
	}

	// Size the batch up front: growing a large one copies it repeatedly.
	size := 64
	for _, r := range records {
		size += 2*len(r.value) + 48
	}
	b := db.NewBatchWithSize(size)
	defer b.Close()

	type pendingKey struct {
		key        string // Pebble row key
		exists     bool   // the final state of the key
		baseExists bool
	}
	var keys []pendingKey
	var pk []byte
	var tc ttlCommit
	ttlGen := ts.ttl.gen.Load() // ttl.go: AlterTTL may change a TTL before we lock
	for table, m := range tx.writes {
		tt := ts.ttl.table(table)
		for k, e := range m {
			if e.row == nil && !e.baseExists {
				continue // inserted and deleted again: nothing to write
			}
			pk = append(append(pk[:0], tablePrefix(prefixRow, table)...), k...)
			if !e.fresh {
				// Fresh row ids cannot conflict: no other transaction knows them.
				keys = append(keys, pendingKey{key: string(pk), exists: e.row != nil, baseExists: e.baseExists})
			}
			var err error
			if e.row == nil {
				err = b.Delete(pk, nil)
			} else {
				err = b.Set(pk, records[newRecord[e.op]].value[1:], nil)
			}
			if err == nil && tt != nil {
				err = ts.writeTTLRecords(b, &tc, tt, []byte(k), e.row)
			}
			if err != nil {
				return errors.Wrap(err, "commit")
			}
		}
	}

	ts.commitMu.Lock()
	if ts.ttl.gen.Load() != ttlGen {
		if err := ts.rewriteTTLRecords(b, &tc, tx); err != nil { // ttl.go
			ts.commitMu.Unlock()
			return errors.Wrap(err, "commit")
		}
	}
	for _, k := range keys {
		lw, ok := ts.commitMu.lastWrite[k.key]
		if !ok || lw.seq <= tx.startSeq {
			continue
		}
		if !k.baseExists {
			if lw.exists && k.exists {
				ts.commitMu.Unlock()
				return duplicateKeyError()
			}
			continue
		}
		ts.commitMu.Unlock()
		return types.Errorf(types.CodeSerializationFailure, "could not serialize access due to concurrent update")
	}
	seq := ts.commitMu.lastSeq + 1
	var n map[uint32]uint32
	if len(records) > 0 {
		n = make(map[uint32]uint32, 1)
	}
	var key []byte
	for _, r := range records {
		key = logKey(key[:0], r.table, seq, n[r.table])
		n[r.table]++
		if err := b.Set(key, r.value, nil); err != nil {
			ts.commitMu.Unlock()
			return errors.Wrap(err, "commit")
		}
	}
	if err := b.Set(keyCommitSeq, binary.BigEndian.AppendUint64(nil, seq), nil); err != nil {
		ts.commitMu.Unlock()
		return errors.Wrap(err, "commit")
	}
	publishFrontiers, err := ts.advanceFrontiers(b, &tc)
	if err != nil {
		ts.commitMu.Unlock()
		return errors.Wrap(err, "commit")
	}
	if err := db.Apply(b, pebble.NoSync); err != nil {
		ts.commitMu.Unlock()
		return types.WithCode(errors.Wrap(err, "commit"), types.CodeIOError)
	}
	publishFrontiers()
	ts.commitMu.lastSeq = seq
	ts.visibleSeq.Store(seq)
	close(ts.commitMu.committed)
	ts.commitMu.committed = make(chan struct{})
	for _, k := range keys {
		ts.commitMu.lastWrite[k.key] = keyWrite{seq: seq, exists: k.exists}
	}
	ts.pruneLastWriteLocked()
	ts.commitMu.Unlock()

	if ts.store.opts.NoSync || !sync {
		return nil
	}
	// One fsync covers every batch applied before it; concurrent callers
	// are coalesced by Pebble's commit pipeline (group commit).
	return types.WithCode(errors.Wrap(db.LogData(nil /* data */, pebble.Sync), "commit sync"), types.CodeIOError)
}

// pruneLastWriteLocked drops recent-write entries no active transaction
// can conflict with. It runs when the map has doubled since the last
// prune, so its cost is amortized over the commits.
func (ts *TableStore) pruneLastWriteLocked() {
	cm := &ts.commitMu
	if len(cm.lastWrite) < cm.nextPrune {
		return
	}
	oldest := cm.lastSeq
	for start := range cm.active {
		oldest = min(oldest, start)
	}
	for k, w := range cm.lastWrite {
		if w.seq <= oldest {
			delete(cm.lastWrite, k)
		}
	}
	cm.nextPrune = max(lastWritePruneMin, 2*len(cm.lastWrite))
}

// ErrDuplicateKey marks the 23505 errors of Insert and Commit, so callers
// can replace the message with the constraint name and key.
var ErrDuplicateKey = errors.New("duplicate key value violates unique constraint")

func duplicateKeyError() error {
	return types.WithCode(errors.Mark(errors.New("duplicate key value violates unique constraint"), ErrDuplicateKey), types.CodeUniqueViolation)
}

// NextRowID returns a new hidden row id for a table without a primary key.
// Ids increase from 1 and are never reused, across restarts and crashes
// included: they are reserved in blocks by a synced write ahead of use.
func (ts *TableStore) NextRowID(tableOID uint32) (int64, error) {
	return ts.ReserveRowIDs(tableOID, 1)
}

// ReserveRowIDs reserves n consecutive row ids (a COPY or multi-row INSERT)
// and returns the first.
func (ts *TableStore) ReserveRowIDs(tableOID uint32, n int64) (int64, error) {
	if n < 1 {
		return 0, errors.AssertionFailedf("reserve %d row ids", n)
	}
	ts.rowIDMu.Lock()
	defer ts.rowIDMu.Unlock()
	c := ts.rowIDMu.counters[tableOID]
	if c == nil {
		v, ok, err := ts.store.Get(oidKey(keyRowIDBase, tableOID))
		if err != nil {
			return 0, err
		}
		c = &rowIDCounter{}
		if ok {
			if len(v) != 8 {
				return 0, types.Errorf(types.CodeDataCorrupted, "corrupt row id record of table %d", tableOID)
			}
			c.limit = int64(binary.BigEndian.Uint64(v))
		}
		c.next = c.limit + 1
		ts.rowIDMu.counters[tableOID] = c
	}
	if last := c.next + n - 1; last > c.limit {
		limit := last + rowIDBlock
		err := ts.store.Write(func(b *pebble.Batch) error {
			return b.Set(oidKey(keyRowIDBase, tableOID), binary.BigEndian.AppendUint64(nil, uint64(limit)), nil)
		})
		if err != nil {
			return 0, err
		}
		c.limit = limit
	}
	first := c.next
	c.next += n
	return first, nil
}

// DropTableData removes every row, log record and the row-id counter of a
// table (DROP TABLE), durably. The caller makes sure no transaction still
// writes to it. Package catalog does the same in the batch that drops the
// descriptor (WriteDropTable, Forget), which is atomic.
func (ts *TableStore) DropTableData(tableOID uint32) error {
	err := ts.store.Write(func(b *pebble.Batch) error { return WriteDropTable(b, tableOID) })
	if err == nil {
		ts.Forget(tableOID)
	}
	return err
}

// WriteDropTable adds the deletion of a table's rows, change log and row-id
// counter to b. Call Forget once b is committed.
func WriteDropTable(b *pebble.Batch, tableOID uint32) error {
	for _, p := range []byte{prefixRow, prefixLog} {
		start := tablePrefix(p, tableOID)
		if err := b.DeleteRange(start, prefixEnd(start), nil); err != nil {
			return errors.Wrap(err, "drop table data")
		}
	}
	if err := writeDropTTL(b, tableOID); err != nil {
		return err
	}
	for _, base := range [][]byte{keyLogOnlyBase, keyLogStartBase} {
		if err := b.Delete(oidKey(base, tableOID), nil); err != nil {
			return errors.Wrap(err, "drop table data")
		}
	}
	return errors.Wrap(b.Delete(oidKey(keyRowIDBase, tableOID), nil), "drop table data")
}

// WriteDropSequence adds the deletion of a sequence to b. Call Forget once
// b is committed.
func WriteDropSequence(b *pebble.Batch, seqOID uint32) error {
	return errors.Wrap(b.Delete(oidKey(keySeqBase, seqOID), nil), "drop sequence")
}

// Forget drops the cached row-id counter and sequence state of a dropped
// table or sequence.
func (ts *TableStore) Forget(oid uint32) {
	ts.rowIDMu.Lock()
	delete(ts.rowIDMu.counters, oid)
	ts.rowIDMu.Unlock()
	ts.seqMu.Lock()
	delete(ts.seqMu.seqs, oid)
	ts.seqMu.Unlock()
	if ts.logOnly.has(oid) {
		ts.logOnly.update(func(m map[uint32]struct{}) { delete(m, oid) })
	}
}

// ScanLog calls fn for every change-log record of a table with commit seq
// >= fromSeq, in commit order, up to the last visible commit (never a
// commit that is still being applied). row is owned by fn.
func (ts *TableStore) ScanLog(tableOID uint32, fromSeq uint64, fn func(seq uint64, op types.Op, row types.Row) error) error {
	visible := ts.visibleSeq.Load()
	if fromSeq > visible {
		return nil
	}
	lower := logKey(nil, tableOID, fromSeq, 0)
	upper := logKey(nil, tableOID, visible+1, 0)
	it, err := ts.store.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return errors.Wrap(err, "scan log")
	}
	defer it.Close()
	// Rows are carved from the decoder's slabs: no allocation per record.
	var dec types.RowDecoder
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Wrap(err, "scan log")
		}
		if len(k) != 17 || len(v) < 1 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt change log record of table %d", tableOID)
		}
		row, err := dec.Decode(v[1:])
		if err != nil {
			return err
		}
		if err := fn(binary.BigEndian.Uint64(k[5:13]), types.Op(v[0]), row); err != nil {
			return err
		}
	}
	return errors.Wrap(it.Error(), "scan log")
}

// TruncateLog removes the change-log records of a table with commit seq
// below beforeSeq (those every consumer has applied): TruncateLogs for one
// table.
func (ts *TableStore) TruncateLog(tableOID uint32, beforeSeq uint64) error {
	_, err := ts.TruncateLogs(map[uint32]uint64{tableOID: beforeSeq}, nil)
	return err
}
