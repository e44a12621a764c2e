package state

import (
	"context"
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// Row TTL of a TableStore table.
//
// A table with a TTL keeps, next to each row, the row's expiry time, and an
// index of its rows ordered by expiry:
//
//	'e' | tableOID (4B BE) | row key                       -> expiry (8B, ordered)
//	'x' | tableOID (4B BE) | expiry (8B, ordered) | row key -> empty
//	'm' "ttlfrontier" | tableOID                           -> event-time frontier (8B, ordered)
//	'm' "ttlexpired"  | tableOID                           -> rows removed by sweeps (8B BE)
//
// Times are microseconds since the Unix epoch, stored with the sign bit
// flipped so that big-endian bytes sort like the numbers.
//
// The table's time is the injected clock (processing time) or its
// event-time frontier: the largest value of the event-time column ever
// committed, minus the WATERMARK delay. A row's expiry is, at every write,
// the table's processing time plus the TTL, or its event-time column plus
// the TTL (a NULL event time never expires: no record). With
// RefreshOnRead, a read moves the expiry of every row it returns to the
// table's time plus the TTL (never backwards).
//
// NeverReturnExpired: a row whose expiry is at or before the table's time
// (as of the transaction's start, for processing time) is absent for every
// read of a Txn (Get, Scan, and the reads of Put/Update/Delete), whether or
// not a sweep has removed it yet. Expiry writes nothing to the change log:
// what consumers (views) derived from the row stays.
//
// SweepExpired removes expired rows physically: it walks the index from
// its start up to the table's time, deletes each row whose expiry record
// still matches the index entry (a row rewritten since has a newer record
// and a newer entry; its stale entry is simply dropped), and removes the
// walked index range with one range delete (Pebble has no compaction
// filter). The index is never updated in place: a rewrite adds an entry
// and leaves the old one for the sweep, so writes need no read.

// TTLSpec is the TTL of one table.
type TTLSpec struct {
	// TTL is the lifetime of a row in microseconds; it must be positive.
	TTL int64
	// EventColumn is the slot of the timestamp column that gives a row's
	// event time; -1 selects processing time (the TableStore's clock).
	EventColumn int
	// EventDelay is subtracted from the largest event time seen to make the
	// table's event-time frontier (the WATERMARK delay, microseconds).
	EventDelay int64
	// RefreshOnRead makes reads extend the expiry of the rows they return
	// (ttl_update = 'on_read_and_write'); otherwise only writes set it.
	RefreshOnRead bool
}

// Key prefixes of the TTL records.
const (
	prefixExpiry   = 'e'
	prefixTTLIndex = 'x'
)

var (
	keyTTLFrontierBase = []byte("mttlfrontier")
	keyTTLExpiredBase  = []byte("mttlexpired")
)

// noFrontier is the frontier of an event-time table that has seen no event.
const noFrontier = math.MinInt64

// sweepChunk bounds the rows one sweep batch removes, so that the commit
// mutex is never held for long.
const sweepChunk = 4096

// ttlTable is the runtime state of one table with a TTL.
type ttlTable struct {
	oid  uint32
	spec TTLSpec
	// frontier is the event-time frontier (event-time tables only).
	frontier atomic.Int64
	// expired counts the rows sweeps removed, persisted with each sweep.
	expired atomic.Int64
}

// ttlRegistry holds the TTL tables of a TableStore. The map is replaced,
// never modified, so readers load it without a lock.
type ttlRegistry struct {
	mu     sync.Mutex // serializes SetTTL, ClearTTL and SetClock
	tables atomic.Pointer[map[uint32]*ttlTable]
	clock  atomic.Pointer[func() time.Time]
	// gen changes (under commitMu) whenever AlterTTL changes a table's
	// TTL: a commit that encoded its TTL records under an older
	// generation rewrites them under commitMu (rewriteTTLRecords).
	gen atomic.Uint64
	// alterMu serializes AlterTTL calls (registry and catalog change
	// together, one table change at a time).
	alterMu sync.Mutex
}

func (r *ttlRegistry) table(oid uint32) *ttlTable {
	m := r.tables.Load()
	if m == nil {
		return nil
	}
	return (*m)[oid]
}

func (r *ttlRegistry) all() map[uint32]*ttlTable {
	m := r.tables.Load()
	if m == nil {
		return nil
	}
	return *m
}

// nowMicros reads the clock.
func (r *ttlRegistry) nowMicros() int64 {
	if c := r.clock.Load(); c != nil {
		return types.TimestampFromTime((*c)())
	}
	return types.TimestampFromTime(time.Now())
}

// now is the table's time: the clock for processing time (processingNow),
// the frontier for event time.
func (t *ttlTable) now(processingNow int64) int64 {
	if t.spec.EventColumn < 0 {
		return processingNow
	}
	return t.frontier.Load()
}

// expiryOf returns the expiry of a row written at processing time now, and
// false for a row that never expires (NULL event time).
func (t *ttlTable) expiryOf(row types.Row, now int64) (int64, bool) {
	if t.spec.EventColumn < 0 {
		return addSat(now, t.spec.TTL), true
	}
	if t.spec.EventColumn >= len(row) {
		return 0, false
	}
	d := row[t.spec.EventColumn]
	if d.K != types.KTimestamp && d.K != types.KTimestampTZ {
		return 0, false
	}
	return addSat(d.I, t.spec.TTL), true
}

// addSat is a+b, saturating (infinite timestamps stay infinite).
func addSat(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}

func orderedTime(buf []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(t)^(1<<63))
}

func fromOrderedTime(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
}

func expiryKey(buf []byte, oid uint32, rowKey []byte) []byte {
	buf = append(buf, prefixExpiry)
	buf = binary.BigEndian.AppendUint32(buf, oid)
	return append(buf, rowKey...)
}

func ttlIndexKey(buf []byte, oid uint32, expiry int64, rowKey []byte) []byte {
	buf = append(buf, prefixTTLIndex)
	buf = binary.BigEndian.AppendUint32(buf, oid)
	buf = orderedTime(buf, expiry)
	return append(buf, rowKey...)
}

// SetClock sets the clock of processing-time TTL (default time.Now).
// Tests inject a clock they move by hand.
func (ts *TableStore) SetClock(now func() time.Time) {
	ts.ttl.mu.Lock()
	defer ts.ttl.mu.Unlock()
	ts.ttl.clock.Store(&now)
}

// SetTTL gives a table a TTL, at creation (before any row exists) or when
// the server starts. Its frontier and expired-row counter are read back
// from the store.
func (ts *TableStore) SetTTL(oid uint32, spec TTLSpec) error {
	if spec.TTL <= 0 {
		return errors.AssertionFailedf("ttl of table %d must be positive", oid)
	}
	t := &ttlTable{oid: oid, spec: spec}
	t.frontier.Store(noFrontier)
	if v, ok, err := ts.store.Get(oidKey(keyTTLFrontierBase, oid)); err != nil {
		return err
	} else if ok && len(v) == 8 {
		t.frontier.Store(fromOrderedTime(v))
	}
	if v, ok, err := ts.store.Get(oidKey(keyTTLExpiredBase, oid)); err != nil {
		return err
	} else if ok && len(v) == 8 {
		t.expired.Store(int64(binary.BigEndian.Uint64(v)))
	}
	ts.ttl.mu.Lock()
	defer ts.ttl.mu.Unlock()
	m := map[uint32]*ttlTable{}
	for k, v := range ts.ttl.all() {
		m[k] = v
	}
	m[oid] = t
	ts.ttl.tables.Store(&m)
	return nil
}

// ClearTTL forgets a table's TTL (DROP TABLE). Its records go with
// WriteDropTable.
func (ts *TableStore) ClearTTL(oid uint32) { ts.ttl.set(oid, nil) }

// set registers t as the TTL of table oid (nil: none).
func (r *ttlRegistry) set(oid uint32, t *ttlTable) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[uint32]*ttlTable{}
	for k, v := range r.all() {
		if k != oid {
			m[k] = v
		}
	}
	if t != nil {
		m[oid] = t
	}
	r.tables.Store(&m)
}

// TTLStatus is what streamdb.state_tables shows of a table's TTL.
type TTLStatus struct {
	Spec TTLSpec
	// Expired counts the rows sweeps removed since the table was created.
	Expired int64
	// Frontier is the event-time frontier (math.MinInt64: none yet).
	Frontier int64
}

// TTL returns the TTL status of a table, false if it has no TTL.
func (ts *TableStore) TTL(oid uint32) (TTLStatus, bool) {
	t := ts.ttl.table(oid)
	if t == nil {
		return TTLStatus{}, false
	}
	return TTLStatus{Spec: t.spec, Expired: t.expired.Load(), Frontier: t.frontier.Load()}, true
}

// ttlCommit is the TTL part of one commit.
type ttlCommit struct {
	now    int64
	events map[*ttlTable]int64 // largest event time written per event-time table
	// keyBuf and valBuf are reused for every row (the batch copies them).
	keyBuf, valBuf []byte
}

// writeTTLRecords adds the expiry record and index entry of a written row
// (or removes the record of a deleted one) to b.
func (ts *TableStore) writeTTLRecords(b *pebble.Batch, tc *ttlCommit, t *ttlTable, rowKey []byte, row types.Row) error {
	tc.keyBuf = expiryKey(tc.keyBuf[:0], t.oid, rowKey)
	if row == nil {
		return b.Delete(tc.keyBuf, nil)
	}
	if tc.now == 0 {
		tc.now = ts.ttl.nowMicros()
	}
	exp, ok := t.expiryOf(row, tc.now)
	if !ok {
		return b.Delete(tc.keyBuf, nil)
	}
	if t.spec.EventColumn >= 0 {
		ev := exp - t.spec.TTL
		if tc.events == nil {
			tc.events = map[*ttlTable]int64{}
		}
		if cur, seen := tc.events[t]; !seen || ev > cur {
			tc.events[t] = ev
		}
	}
	tc.valBuf = orderedTime(tc.valBuf[:0], exp)
	if err := b.Set(tc.keyBuf, tc.valBuf, nil); err != nil {
		return err
	}
	tc.keyBuf = ttlIndexKey(tc.keyBuf[:0], t.oid, exp, rowKey)
	return b.Set(tc.keyBuf, nil, nil)
}

// advanceFrontiers adds the new event-time frontiers of a commit to b and
// returns a function that publishes them once b is applied. Called with
// commitMu held, so frontiers advance in commit order.
func (ts *TableStore) advanceFrontiers(b *pebble.Batch, tc *ttlCommit) (func(), error) {
	type adv struct {
		t *ttlTable
		f int64
	}
	var advs []adv
	for t, ev := range tc.events {
		f := addSat(ev, -t.spec.EventDelay)
		if f <= t.frontier.Load() {
			continue
		}
		if err := b.Set(oidKey(keyTTLFrontierBase, t.oid), orderedTime(nil, f), nil); err != nil {
			return nil, err
		}
		advs = append(advs, adv{t, f})
	}
	return func() {
		for _, a := range advs {
			a.t.frontier.Store(a.f)
		}
	}, nil
}

// txnTTL is a transaction's TTL view: the processing time it reads at
// (taken at the first TTL read) and the expiry refreshes its reads owe.
type txnTTL struct {
	now       int64
	refresh   []ttlRefresh
	noRefresh bool
	keyBuf    []byte
}

// SkipTTLRefresh makes the transaction's reads leave the expiry of
// 'on_read_and_write' rows alone: for internal reads (a view's backfill),
// which are not reads of the user's.
func (tx *Txn) SkipTTLRefresh() { tx.ttl.noRefresh = true }

type ttlRefresh struct {
	t      *ttlTable
	rowKey []byte
	expiry int64
}

func (tx *Txn) ttlNow() int64 {
	if tx.ttl.now == 0 {
		tx.ttl.now = tx.ts.ttl.nowMicros()
	}
	return tx.ttl.now
}

// ttlLive reports whether the snapshot row under rowKey of a TTL table is
// unexpired, given its expiry record (ok false: none, never expires), and
// notes the refresh of a live row read with RefreshOnRead.
func (tx *Txn) ttlLive(t *ttlTable, rowKey []byte, expiry int64, ok bool) bool {
	if !ok {
		return true
	}
	now := t.now(tx.ttlNow())
	if expiry <= now {
		return false
	}
	if t.spec.RefreshOnRead && !tx.ttl.noRefresh {
		if next := addSat(now, t.spec.TTL); next > expiry {
			tx.ttl.refresh = append(tx.ttl.refresh, ttlRefresh{t: t, rowKey: append([]byte(nil), rowKey...), expiry: next})
		}
	}
	return true
}

// ttlGetLive reads the expiry record of one snapshot row.
func (tx *Txn) ttlGetLive(t *ttlTable, rowKey []byte) (bool, error) {
	tx.ttl.keyBuf = expiryKey(tx.ttl.keyBuf[:0], t.oid, rowKey)
	v, closer, err := tx.snap.Get(tx.ttl.keyBuf)
	if errors.Is(err, pebble.ErrNotFound) {
		return tx.ttlLive(t, rowKey, 0, false), nil
	}
	if err != nil {
		return false, types.WithCode(errors.Wrap(err, "read row expiry"), types.CodeIOError)
	}
	defer closer.Close()
	if len(v) != 8 {
		return false, types.Errorf(types.CodeDataCorrupted, "corrupt expiry record of table %d", t.oid)
	}
	return tx.ttlLive(t, rowKey, fromOrderedTime(v), true), nil
}

// ttlScanFilter walks a TTL table's expiry records in step with a row scan
// (both are in row-key order).
type ttlScanFilter struct {
	tx    *Txn
	t     *ttlTable
	it    *pebble.Iterator
	valid bool
}

func (tx *Txn) newTTLScanFilter(ctx context.Context, t *ttlTable, start, end []byte) (*ttlScanFilter, error) {
	lower := expiryKey(nil, t.oid, start)
	upper := prefixEnd(expiryKey(nil, t.oid, nil))
	if end != nil {
		upper = expiryKey(nil, t.oid, end)
	}
	it, err := tx.snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, types.WithCode(errors.Wrap(err, "scan row expiry"), types.CodeIOError)
	}
	return &ttlScanFilter{tx: tx, t: t, it: it, valid: it.First()}, nil
}

// live reports whether the snapshot row under rowKey is unexpired. Calls
// come in increasing rowKey order.
func (f *ttlScanFilter) live(rowKey []byte) (bool, error) {
	const p = 5 // 'e' | oid
	for f.valid && string(f.it.Key()[p:]) < string(rowKey) {
		f.valid = f.it.Next()
	}
	if !f.valid || string(f.it.Key()[p:]) != string(rowKey) {
		if err := f.it.Error(); err != nil {
			return false, types.WithCode(errors.Wrap(err, "scan row expiry"), types.CodeIOError)
		}
		return f.tx.ttlLive(f.t, rowKey, 0, false), nil
	}
	v := f.it.Value()
	if len(v) != 8 {
		return false, types.Errorf(types.CodeDataCorrupted, "corrupt expiry record of table %d", f.t.oid)
	}
	return f.tx.ttlLive(f.t, rowKey, fromOrderedTime(v), true), nil
}

func (f *ttlScanFilter) close() error { return f.it.Close() }

// applyTTLRefresh writes the expiry refreshes of a finished transaction's
// reads. It runs under commitMu so that it never moves back an expiry a
// concurrent commit set, and re-reads each record: a row deleted meanwhile
// is not refreshed. The write is not synced: a refresh lost in a crash
// only lets the row expire at its previous time.
func (ts *TableStore) applyTTLRefresh(refresh []ttlRefresh) error {
	if len(refresh) == 0 {
		return nil
	}
	db := ts.store.db
	b := db.NewBatch()
	defer b.Close()
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	for _, r := range refresh {
		ek := expiryKey(nil, r.t.oid, r.rowKey)
		v, closer, err := db.Get(ek)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return errors.Wrap(err, "refresh row expiry")
		}
		cur := int64(math.MinInt64)
		if len(v) == 8 {
			cur = fromOrderedTime(v)
		}
		_ = closer.Close()
		if r.expiry <= cur {
			continue
		}
		if err := b.Set(ek, orderedTime(nil, r.expiry), nil); err != nil {
			return err
		}
		if err := b.Set(ttlIndexKey(nil, r.t.oid, r.expiry, r.rowKey), nil, nil); err != nil {
			return err
		}
	}
	if b.Empty() {
		return nil
	}
	return errors.Wrap(db.Apply(b, pebble.NoSync), "refresh row expiry")
}

// SweepExpired removes the expired rows of every TTL table and returns how
// many it removed. Safe to run concurrently with transactions.
func (ts *TableStore) SweepExpired(ctx context.Context) (int64, error) {
	var total int64
	for _, t := range ts.ttl.all() {
		n, err := ts.sweepTable(ctx, t)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// sweepTable removes the expired rows of one table.
func (ts *TableStore) sweepTable(ctx context.Context, t *ttlTable) (int64, error) {
	now := t.now(ts.ttl.nowMicros())
	if now == noFrontier {
		return 0, nil
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, more, err := ts.sweepChunk(t, now)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// sweepChunk removes up to sweepChunk rows of t whose expiry is at or
// before now, and the index range it walked. more says whether entries
// remain below now.
func (ts *TableStore) sweepChunk(t *ttlTable, now int64) (removed int64, more bool, err error) {
	db := ts.store.db
	lower := ttlIndexKey(nil, t.oid, math.MinInt64, nil)
	var upper []byte
	if now == math.MaxInt64 {
		upper = prefixEnd(append([]byte{prefixTTLIndex}, binary.BigEndian.AppendUint32(nil, t.oid)...))
	} else {
		upper = ttlIndexKey(nil, t.oid, now+1, nil)
	}
	b := db.NewBatch()
	defer b.Close()
	// Under commitMu: a commit that rewrites a row between our check of
	// its expiry record and the delete would lose the row.
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, false, errors.Wrap(err, "ttl sweep")
	}
	defer it.Close()
	const p = 1 + 4 + 8 // 'x' | oid | expiry
	var last []byte
	walked := 0
	valid := it.First()
	for ; valid && walked < sweepChunk; valid = it.Next() {
		k := it.Key()
		if len(k) < p {
			return 0, false, types.Errorf(types.CodeDataCorrupted, "corrupt ttl index entry of table %d", t.oid)
		}
		walked++
		last = append(last[:0], k...)
		exp := fromOrderedTime(k[5:p])
		rk := k[p:]
		ek := expiryKey(nil, t.oid, rk)
		v, closer, gerr := db.Get(ek)
		if errors.Is(gerr, pebble.ErrNotFound) {
			continue // deleted since: a stale entry
		}
		if gerr != nil {
			return 0, false, errors.Wrap(gerr, "ttl sweep")
		}
		match := len(v) == 8 && fromOrderedTime(v) == exp
		_ = closer.Close()
		if !match {
			continue // rewritten since: a newer entry follows
		}
		if err := b.Delete(rowKey(t.oid, rk), nil); err != nil {
			return 0, false, err
		}
		if err := b.Delete(ek, nil); err != nil {
			return 0, false, err
		}
		removed++
	}
	if err := it.Error(); err != nil {
		return 0, false, errors.Wrap(err, "ttl sweep")
	}
	if walked == 0 {
		return 0, false, nil
	}
	// One range delete for the walked index entries: up to and including
	// the last one.
	if err := b.DeleteRange(lower, append(last, 0), nil); err != nil {
		return 0, false, err
	}
	if removed > 0 {
		total := t.expired.Load() + removed
		if err := b.Set(oidKey(keyTTLExpiredBase, t.oid), binary.BigEndian.AppendUint64(nil, uint64(total)), nil); err != nil {
			return 0, false, err
		}
	}
	// Not synced: a sweep lost in a crash runs again; the rows it removed
	// were invisible already.
	if err := db.Apply(b, pebble.NoSync); err != nil {
		return 0, false, errors.Wrap(err, "ttl sweep")
	}
	t.expired.Add(removed)
	return removed, valid, nil
}

// writeDropTTL adds the removal of a table's TTL records to b.
func writeDropTTL(b *pebble.Batch, oid uint32) error {
	for _, p := range []byte{prefixExpiry, prefixTTLIndex} {
		start := tablePrefix(p, oid)
		if err := b.DeleteRange(start, prefixEnd(start), nil); err != nil {
			return errors.Wrap(err, "drop table ttl records")
		}
	}
	for _, base := range [][]byte{keyTTLFrontierBase, keyTTLExpiredBase} {
		if err := b.Delete(oidKey(base, oid), nil); err != nil {
			return errors.Wrap(err, "drop table ttl records")
		}
	}
	return nil
}

// alterBatchRows bounds the rows one AlterTTL batch indexes, so that the
// commit mutex is never held for long.
const alterBatchRows = 1024

// AlterTTL changes the TTL of a table that may hold rows (ALTER TABLE ...
// SET/RESET (ttl ...)); spec nil removes it. commit makes the catalog
// change durable (nil: nothing to commit, a rollback); AlterTTL calls it
// once every row has its record under the new TTL, so the records are in
// the store before the catalog says the table has that TTL (records of a
// table without a TTL in the catalog are ignored, and cleared by the next
// AlterTTL). Setting a TTL:
//
//   - The new TTL is registered first, under the commit mutex, together
//     with a snapshot: every later commit writes its records under the new
//     TTL (a commit that encoded its records earlier rewrites them under
//     the mutex, see rewriteTTLRecords), every earlier one is in the
//     snapshot.
//   - Every row of the snapshot then gets its expiry, in batches of
//     alterBatchRows under the commit mutex, unless a commit changed its
//     record since the snapshot (it wrote one under the new TTL) or
//     deleted it: processing time with a processing-time record of the
//     old TTL: the row's last write or read time (record - old ttl) plus
//     the new ttl; processing time otherwise: now plus ttl (there is no
//     stored write time; CockroachDB's row-level TTL does the same for
//     existing rows); event time: the row's column plus ttl (NULL: no
//     record). The event-time frontier is the largest event time of the
//     rows minus the WATERMARK delay (kept when the column stays).
//   - Rows that had already expired under the old TTL are removed in the
//     same batches (counted as expired): a new TTL never brings a row
//     back.
//
// Removing a TTL sweeps the table's expired rows first (they stay gone),
// then commits, then drops the records. If commit fails, the old TTL is
// restored the same way.
func (ts *TableStore) AlterTTL(ctx context.Context, oid uint32, spec *TTLSpec, commit func() error) error {
	if commit != nil { // (a rollback runs inside the failed call)
		ts.ttl.alterMu.Lock()
		defer ts.ttl.alterMu.Unlock()
	}
	old := ts.ttl.table(oid)
	if spec == nil {
		return ts.removeTTL(ctx, oid, old, commit)
	}
	if spec.TTL <= 0 {
		return errors.AssertionFailedf("ttl of table %d must be positive", oid)
	}
	if ts.logOnly.has(oid) {
		return types.Errorf(types.CodeFeatureNotSupported, "ttl on a log-only source table is not supported: an append-only source created without ttl keeps its rows as its change log, which expiry cannot remove; create the source WITH (ttl = ...)")
	}
	t := &ttlTable{oid: oid, spec: *spec}
	t.frontier.Store(noFrontier)
	if old != nil {
		t.expired.Store(old.expired.Load())
		if old.spec.EventColumn >= 0 && old.spec.EventColumn == spec.EventColumn && old.spec.EventDelay == spec.EventDelay {
			t.frontier.Store(old.frontier.Load())
		}
	}
	db := ts.store.db
	ts.commitMu.Lock()
	if old == nil {
		// Records left by an interrupted ALTER of a table without TTL.
		b := db.NewBatch()
		err := writeDropTTL(b, oid)
		if err == nil {
			err = db.Apply(b, pebble.NoSync)
		}
		_ = b.Close()
		if err != nil {
			ts.commitMu.Unlock()
			return errors.Wrap(err, "alter table ttl")
		}
	}
	now := ts.ttl.nowMicros()
	var oldNow int64
	if old != nil {
		oldNow = old.now(now)
	}
	ts.ttl.set(oid, t)
	ts.ttl.gen.Add(1)
	snap := db.NewSnapshot()
	ts.commitMu.Unlock()
	err := ts.reindexTTL(ctx, snap, old, oldNow, t, now)
	_ = snap.Close()
	if err == nil && commit != nil {
		err = commit()
	}
	if err != nil && commit != nil {
		var back *TTLSpec
		if old != nil {
			back = &old.spec
		}
		if rerr := ts.AlterTTL(context.WithoutCancel(ctx), oid, back, nil); rerr != nil {
			return errors.CombineErrors(err, rerr)
		}
	}
	return err
}

// removeTTL is AlterTTL with no TTL.
func (ts *TableStore) removeTTL(ctx context.Context, oid uint32, old *ttlTable, commit func() error) error {
	if old != nil {
		if _, err := ts.sweepTable(ctx, old); err != nil {
			return err
		}
	}
	if commit != nil {
		if err := commit(); err != nil {
			return err
		}
	}
	db := ts.store.db
	b := db.NewBatch()
	defer b.Close()
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	ts.ttl.set(oid, nil)
	ts.ttl.gen.Add(1)
	if err := writeDropTTL(b, oid); err != nil {
		return err
	}
	// Not synced: records left by a crash are ignored (the catalog has no
	// TTL) and cleared by the next AlterTTL.
	return errors.Wrap(db.Apply(b, pebble.NoSync), "alter table ttl")
}

// alterItem is one snapshot row of a reindex.
type alterItem struct {
	rowKey  []byte
	hadRec  bool  // the snapshot has an expiry record
	oldRec  int64 // its value
	expired bool  // expired under the old TTL: remove the row
	hasExp  bool  // the row gets a record (false: NULL event time)
	exp     int64
}

// reindexTTL gives every row of snap its record under t (AlterTTL).
func (ts *TableStore) reindexTTL(ctx context.Context, snap *pebble.Snapshot, old *ttlTable, oldNow int64, t *ttlTable, now int64) error {
	rows := tablePrefix(prefixRow, t.oid)
	it, err := snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: rows, UpperBound: prefixEnd(rows)})
	if err != nil {
		return errors.Wrap(err, "alter table ttl")
	}
	defer it.Close()
	recs := expiryKey(nil, t.oid, nil)
	rit, err := snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: recs, UpperBound: prefixEnd(recs)})
	if err != nil {
		return errors.Wrap(err, "alter table ttl")
	}
	defer rit.Close()
	recValid := rit.First()
	items := make([]alterItem, 0, alterBatchRows)
	maxEvent := int64(math.MinInt64)
	for valid := it.First(); valid; valid = it.Next() {
		rk := append([]byte(nil), it.Key()[len(rows):]...)
		item := alterItem{rowKey: rk}
		for recValid && string(rit.Key()[len(recs):]) < string(rk) {
			recValid = rit.Next()
		}
		if recValid && string(rit.Key()[len(recs):]) == string(rk) && len(rit.Value()) == 8 {
			item.hadRec, item.oldRec = true, fromOrderedTime(rit.Value())
		}
		switch {
		case old != nil && item.hadRec && item.oldRec <= oldNow:
			item.expired = true
		case t.spec.EventColumn < 0:
			item.hasExp, item.exp = true, addSat(now, t.spec.TTL)
			if old != nil && old.spec.EventColumn < 0 && item.hadRec {
				item.exp = addSat(addSat(item.oldRec, -old.spec.TTL), t.spec.TTL)
			}
		default:
			v, err := it.ValueAndErr()
			if err != nil {
				return errors.Wrap(err, "alter table ttl")
			}
			row, err := types.DecodeRow(v)
			if err != nil {
				return err
			}
			item.exp, item.hasExp = t.expiryOf(row, now)
			if item.hasExp {
				maxEvent = max(maxEvent, item.exp-t.spec.TTL)
			}
		}
		items = append(items, item)
		if len(items) == alterBatchRows {
			if err := ts.applyAlterBatch(ctx, t, items, maxEvent); err != nil {
				return err
			}
			items = items[:0]
		}
	}
	if err := errors.CombineErrors(it.Error(), rit.Error()); err != nil {
		return errors.Wrap(err, "alter table ttl")
	}
	return ts.applyAlterBatch(ctx, t, items, maxEvent)
}

// applyAlterBatch writes the records of one batch of a reindex, skipping
// rows a commit changed since the snapshot, and advances the event-time
// frontier to maxEvent (minus the delay).
func (ts *TableStore) applyAlterBatch(ctx context.Context, t *ttlTable, items []alterItem, maxEvent int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db := ts.store.db
	b := db.NewBatch()
	defer b.Close()
	ts.commitMu.Lock()
	defer ts.commitMu.Unlock()
	var removed int64
	var key []byte
	for _, item := range items {
		key = expiryKey(key[:0], t.oid, item.rowKey)
		v, closer, err := db.Get(key)
		hasRec := err == nil
		var rec int64
		if hasRec {
			if len(v) == 8 {
				rec = fromOrderedTime(v)
			}
			_ = closer.Close()
		} else if !errors.Is(err, pebble.ErrNotFound) {
			return errors.Wrap(err, "alter table ttl")
		}
		if hasRec != item.hadRec || rec != item.oldRec {
			continue // written or deleted since the snapshot: it has its record
		}
		rk := rowKey(t.oid, item.rowKey)
		if _, closer, err := db.Get(rk); errors.Is(err, pebble.ErrNotFound) {
			continue // deleted since the snapshot
		} else if err != nil {
			return errors.Wrap(err, "alter table ttl")
		} else {
			_ = closer.Close()
		}
		switch {
		case item.expired:
			if err := b.Delete(rk, nil); err != nil {
				return err
			}
			err = b.Delete(key, nil)
			removed++
		case !item.hasExp:
			err = b.Delete(key, nil)
		default:
			if err = b.Set(key, orderedTime(nil, item.exp), nil); err == nil {
				err = b.Set(ttlIndexKey(nil, t.oid, item.exp, item.rowKey), nil, nil)
			}
		}
		if err != nil {
			return err
		}
	}
	var f int64 = noFrontier
	if t.spec.EventColumn >= 0 && maxEvent != math.MinInt64 {
		if f = addSat(maxEvent, -t.spec.EventDelay); f > t.frontier.Load() {
			if err := b.Set(oidKey(keyTTLFrontierBase, t.oid), orderedTime(nil, f), nil); err != nil {
				return err
			}
		}
	}
	if removed > 0 {
		if err := b.Set(oidKey(keyTTLExpiredBase, t.oid), binary.BigEndian.AppendUint64(nil, uint64(t.expired.Load()+removed)), nil); err != nil {
			return err
		}
	}
	if b.Empty() {
		return nil
	}
	// Not synced here: the catalog change that follows is, and it syncs
	// the WAL these batches are in.
	if err := db.Apply(b, pebble.NoSync); err != nil {
		return errors.Wrap(err, "alter table ttl")
	}
	t.expired.Add(removed)
	if f > t.frontier.Load() {
		t.frontier.Store(f)
	}
	return nil
}

// rewriteTTLRecords writes, under commitMu, the TTL records of a commit
// whose records were encoded before an AlterTTL changed the TTL of a
// table it writes (the batch's later writes win).
func (ts *TableStore) rewriteTTLRecords(b *pebble.Batch, tc *ttlCommit, tx *Txn) error {
	clear(tc.events)
	for table, m := range tx.writes {
		tt := ts.ttl.table(table)
		for k, e := range m {
			if e.row == nil && !e.baseExists {
				continue
			}
			var err error
			if tt != nil {
				err = ts.writeTTLRecords(b, tc, tt, []byte(k), e.row)
			} else {
				// The TTL is gone: a record would be ignored; drop it.
				err = b.Delete(expiryKey(nil, table, []byte(k)), nil)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
