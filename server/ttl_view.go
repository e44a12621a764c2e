package server

import (
	"context"
	"encoding/binary"
	"math"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// TTL of materialized views:
//
//	CREATE MATERIALIZED VIEW v WITH (ttl = '1 hour'
//	    [, ttl_time = 'processing' | '<timestamp column of the view>']
//	    [, ttl_update = 'on_write' | 'on_read_and_write']) AS ...
//
// The view's time is the server clock (processing time, the default) or,
// with ttl_time naming one of the view's timestamp columns, the view's
// event-time frontier: the largest value of that column in any row the
// view ever produced (persisted; the wall clock does not matter).
// ttl_update = 'on_read_and_write' (processing time only) makes a user's
// read of a view row refresh the row and the operator key that produced
// it (ttl_view_read.go).
//
//   - Operator state expires per operator key (sql/exec/dataflow_ttl.go): a
//     group, a join key (both sides), a DISTINCT row untouched by any
//     change for ttl is forgotten as a whole, without output; a later event
//     for that key starts afresh (a new group counts from zero; a
//     retraction of a forgotten row is dropped). Views with operators that
//     cannot forget a key (top-N, set operations, window functions,
//     windowed aggregates, interval joins, DISTINCT ON, NOT IN) refuse TTL
//     with 0A000.
//   - An operator key's expiry is the view's time at the last epoch that
//     changed it (or, with on_read_and_write, that applied a read of its
//     row), plus ttl.
//   - The view's own rows expire too: a row's expiry is the view's time at
//     the last epoch that changed its count, plus ttl (processing time), or
//     its ttl_time column plus ttl (event time; NULL never expires). Expired rows
//     are never returned (ad-hoc SELECT filters by the clock at the read;
//     views over this view backfill without them) and are removed by the
//     sweep at the next epoch (epochs run every barrier_interval when
//     tables change, and the TTL sweep forces one every TTLSweepInterval
//     and at CHECKPOINT) over an expiry-ordered index, walked up to now and
//     dropped with one range delete. A retraction of an expired row is
//     ignored (the row is gone), so a view row never goes negative.
//   - A group and its output row are usually touched in the same epoch and
//     expire together; an output row can outlive its group when the group
//     changed without changing the row, and a group can outlive its output
//     row when several groups produce the same row.
//   - A view rebuilt from a snapshot (a restart without committed state)
//     starts every expiry afresh.
//   - Counters: streamdb.state_tables.expired_rows (view rows removed, and
//     operator state entries removed, per state table) and
//     streamdb_ttl_expired_rows{relation} on /metrics.
//
// Layout in the view state store (view OIDs are below 2^23):
//
//	0x40000000|OID (4B BE) | key group (2B) | row key                   -> expiry (8B, ordered)
//	0x60000000|OID (4B BE) | expiry (8B, ordered) | key group | row key -> empty
//	state table 0 "ttlexp" | OID                                         -> view rows removed (8B BE)
//	state table 0 "ttlfront" | OID                                       -> event-time frontier (8B, ordered)

// viewTTL is the TTL state of one view.
type viewTTL struct {
	ttl int64 // microseconds
	// eventCol is the slot of the event-time column in the view's rows;
	// -1: processing time.
	eventCol int
	// frontier is the event-time frontier (math.MinInt64: none yet),
	// published for readers.
	frontier atomic.Int64
	// now is the processing time of the view's current epoch (set and read
	// by the goroutine running the view's epoch).
	now     int64
	expired atomic.Int64
	// reads are the rows users read since the last epoch
	// (ttl_update = 'on_read_and_write', ttl_view_read.go); nil: reads
	// refresh nothing.
	reads *viewReads
}

func viewTTLRecordTable(view uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, 0x40000000|view)
}
func viewTTLIndexTable(view uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, 0x60000000|view)
}
func viewTTLExpiredKey(view uint32) []byte {
	return binary.BigEndian.AppendUint32(metaKey("ttlexp"), view)
}
func viewTTLFrontierKey(view uint32) []byte {
	return binary.BigEndian.AppendUint32(metaKey("ttlfront"), view)
}

// readTime is the view's time for a read: the clock or the frontier.
func (vt *viewTTL) readTime(sw *ttlSweeper) int64 {
	if vt.eventCol >= 0 {
		return vt.frontier.Load()
	}
	return types.TimestampFromTime(sw.srv.opts.Clock())
}

func orderedMicros(buf []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(t)^(1<<63))
}

func fromOrderedMicros(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// validateViewTTL checks the TTL options of a new view (the event-time
// column is checked against the view's columns by enableView).
func validateViewTTL(opts map[string]string) error {
	spec, ok, err := parseTTLOptions(opts, func(string) (int, error) { return 0, nil })
	if err != nil || !ok {
		return err
	}
	if spec.RefreshOnRead && spec.EventColumn >= 0 {
		return types.Errorf(types.CodeFeatureNotSupported, "ttl_update = 'on_read_and_write' with an event-time ttl_time is not supported on a materialized view: "+
			"a read happens at processing time and carries no event time to extend a row's expiry by (as in Flink, reads refresh processing-time TTL only); use ttl_time = 'processing'")
	}
	return nil
}

// viewTTLSpec reads a view's TTL: its length and the slot of its
// event-time column (-1: processing time).
func viewTTLSpec(d *catalog.Descriptor) (ttl int64, eventCol int, refreshOnRead bool, ok bool, err error) {
	opts := make(map[string]string, len(d.Options))
	for k, v := range d.Options {
		opts[k] = v
	}
	spec, ok, err := parseTTLOptions(opts, func(col string) (int, error) {
		for i := range d.Columns {
			c := &d.Columns[i]
			if c.Name != col || c.Hidden || c.Dropped {
				continue
			}
			if f := c.Type().Family; f != types.TimestampFamily && f != types.TimestampTZFamily {
				return -1, types.Errorf(types.CodeInvalidParameterValue, "ttl_time column %q must be of type timestamp or timestamp with time zone, not %s", col, c.Type().Name)
			}
			return i, nil
		}
		return -1, types.Errorf(types.CodeUndefinedColumn, "column %q named in ttl_time is not a column of materialized view %q", col, d.Name)
	})
	if err != nil || !ok {
		return 0, -1, false, ok, err
	}
	return spec.TTL, spec.EventColumn, spec.RefreshOnRead, true, nil
}

// enableView gives a view's new dataflow its TTL (refusing, 0A000, an
// operator that cannot forget keys).
func (sw *ttlSweeper) enableView(m *viewManager, d *catalog.Descriptor, df *exec.Dataflow, plan planner.Node) error {
	ttl, eventCol, refreshOnRead, ok, err := viewTTLSpec(d)
	if err != nil || !ok {
		return err
	}
	if err := df.EnableTTL(ttl); err != nil {
		return err
	}
	vt := &viewTTL{ttl: ttl, eventCol: eventCol}
	if refreshOnRead { // ttl_view_read.go
		if eventCol >= 0 {
			return validateViewTTL(d.Options)
		}
		if err := df.EnableTTLReadRefresh(plan); err != nil {
			return err
		}
		vt.reads = &viewReads{limit: maxViewReadKeys, keys: map[string]int64{}}
	}
	vt.frontier.Store(math.MinInt64)
	if v, ok, err := m.store.Get(viewTTLExpiredKey(d.OID)); err != nil {
		return err
	} else if ok && len(v) == 8 {
		vt.expired.Store(int64(binary.BigEndian.Uint64(v)))
	}
	if v, ok, err := m.store.Get(viewTTLFrontierKey(d.OID)); err != nil {
		return err
	} else if ok && len(v) == 8 {
		vt.frontier.Store(fromOrderedMicros(v))
	}
	sw.viewsMu.Lock()
	sw.views[d.OID] = vt
	sw.viewsMu.Unlock()
	return nil
}

func (sw *ttlSweeper) view(oid uint32) *viewTTL {
	if sw == nil {
		return nil
	}
	sw.viewsMu.Lock()
	defer sw.viewsMu.Unlock()
	return sw.views[oid]
}

func (sw *ttlSweeper) hasViews() bool {
	sw.viewsMu.Lock()
	defer sw.viewsMu.Unlock()
	return len(sw.views) > 0
}

// beginViewEpoch reads the clock for a view's epoch.
func (sw *ttlSweeper) beginViewEpoch(v *viewRuntime) {
	vt := sw.view(v.desc.OID)
	if vt == nil || v.df == nil {
		return
	}
	vt.now = vt.readTime(sw)
	v.df.SetTTLNow(vt.now)
}

// advanceFrontier moves an event-time view's frontier over the epoch's
// output (before its operator keys expire and its rows are swept).
func (sw *ttlSweeper) advanceFrontier(vt *viewTTL, v *viewRuntime, batch *pebble.Batch) error {
	f := vt.frontier.Load()
	for _, ch := range v.epochOut {
		if !ch.op.IsInsert() || vt.eventCol >= len(ch.row) {
			continue
		}
		if d := ch.row[vt.eventCol]; (d.K == types.KTimestamp || d.K == types.KTimestampTZ) && d.I > f {
			f = d.I
		}
	}
	vt.now = f
	v.df.SetTTLNow(f)
	if f == vt.frontier.Load() {
		return nil
	}
	vt.frontier.Store(f)
	return batch.Set(viewTTLFrontierKey(v.desc.OID), orderedMicros(nil, f), nil)
}

// sweepViewRows removes, in the epoch's batch, the view rows whose expiry
// is at or before the epoch's time, and forgets their counts, before the
// epoch's changes are applied (so a change of an expired row starts from
// zero). A rebuild drops every record instead: its rows are all rewritten.
func (sw *ttlSweeper) sweepViewRows(m *viewManager, v *viewRuntime, batch *pebble.Batch) error {
	vt := sw.view(v.desc.OID)
	if vt == nil {
		return nil
	}
	oid := v.desc.OID
	if vt.eventCol >= 0 {
		if err := sw.advanceFrontier(vt, v, batch); err != nil {
			return err
		}
		if vt.now == math.MinInt64 {
			return nil // no event yet: nothing can expire
		}
	}
	rec, idx := viewTTLRecordTable(oid), viewTTLIndexTable(oid)
	// Rows read since the last epoch get their new expiry first, so that
	// this epoch's sweep spares them (ttl_view_read.go).
	refreshed, err := sw.refreshReadRows(m, v, vt, batch)
	if err != nil {
		return err
	}
	if v.rebuild {
		if err := batch.DeleteRange(rec, prefixEnd(rec), nil); err != nil {
			return err
		}
		return batch.DeleteRange(idx, prefixEnd(idx), nil)
	}
	if v.rowCounts == nil {
		return nil // rows stay invisible; a later epoch with counts sweeps
	}
	db := m.store.DB()
	var upper []byte
	if vt.now == math.MaxInt64 {
		upper = prefixEnd(idx)
	} else {
		upper = orderedMicros(append([]byte(nil), idx...), vt.now+1)
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: idx, UpperBound: upper})
	if err != nil {
		return errors.Wrap(err, "view ttl sweep")
	}
	defer it.Close()
	var last []byte
	var removed int64
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if len(k) < 4+8+2 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt ttl index entry of materialized view %q", v.desc.Name)
		}
		last = append(last[:0], k...)
		exp := fromOrderedMicros(k[4:12])
		groupKey := k[12:]
		recKey := append(append([]byte(nil), rec...), groupKey...)
		val, closer, gerr := db.Get(recKey)
		if errors.Is(gerr, pebble.ErrNotFound) {
			continue // the row was deleted since
		}
		if gerr != nil {
			return errors.Wrap(gerr, "view ttl sweep")
		}
		match := len(val) == 8 && fromOrderedMicros(val) == exp
		_ = closer.Close()
		if !match || refreshed[string(groupKey)] {
			continue // rewritten since: a newer entry follows
		}
		rowKey := append(binary.BigEndian.AppendUint32(nil, oid), groupKey...)
		if err := batch.Delete(rowKey, nil); err != nil {
			return err
		}
		if err := batch.Delete(recKey, nil); err != nil {
			return err
		}
		delete(v.rowCounts, string(groupKey[2:]))
		removed++
	}
	if err := it.Error(); err != nil {
		return errors.Wrap(err, "view ttl sweep")
	}
	if last == nil {
		return nil
	}
	if err := batch.DeleteRange(idx, append(last, 0), nil); err != nil {
		return err
	}
	if removed > 0 {
		total := vt.expired.Add(removed)
		return batch.Set(viewTTLExpiredKey(oid), binary.BigEndian.AppendUint64(nil, uint64(total)), nil)
	}
	return nil
}

// noteViewRow records the new expiry of a view row the epoch wrote (count
// > 0) or drops the record of a deleted one.
func (sw *ttlSweeper) noteViewRow(v *viewRuntime, rowKey []byte, count int64, row types.Row, batch *pebble.Batch) error {
	vt := sw.view(v.desc.OID)
	if vt == nil {
		return nil
	}
	oid := v.desc.OID
	groupKey := viewRowKey(nil, oid, rowKey)[4:]
	recKey := append(viewTTLRecordTable(oid), groupKey...)
	if count <= 0 {
		return batch.Delete(recKey, nil)
	}
	base := vt.now
	if vt.eventCol >= 0 {
		if vt.eventCol >= len(row) {
			return batch.Delete(recKey, nil)
		}
		d := row[vt.eventCol]
		if d.K != types.KTimestamp && d.K != types.KTimestampTZ {
			return batch.Delete(recKey, nil) // NULL event time: never expires
		}
		base = d.I
	}
	exp := base + vt.ttl
	if base > math.MaxInt64-vt.ttl {
		exp = math.MaxInt64
	}
	if err := batch.Set(recKey, orderedMicros(nil, exp), nil); err != nil {
		return err
	}
	return batch.Set(append(orderedMicros(viewTTLIndexTable(oid), exp), groupKey...), nil, nil)
}

// ignoresRetraction says whether a retraction that would take a view row's
// count below zero is ignored: in a view with a TTL the row has expired.
func (sw *ttlSweeper) ignoresRetraction(view uint32) bool { return sw.view(view) != nil }

// viewRowFilter hides expired rows from a scan of a view's rows: it walks
// the expiry records in step with the rows (both in key group | row key
// order).
type viewRowFilter struct {
	now   int64
	it    *pebble.Iterator
	valid bool
}

// rowFilter returns the filter of a scan of view oid over r, nil when the
// view has no TTL.
func (sw *ttlSweeper) rowFilter(r pebble.Reader, oid uint32) (*viewRowFilter, error) {
	vt := sw.view(oid)
	if vt == nil {
		return nil, nil
	}
	rec := viewTTLRecordTable(oid)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: rec, UpperBound: prefixEnd(rec)})
	if err != nil {
		return nil, errors.Wrap(err, "view scan")
	}
	return &viewRowFilter{now: vt.readTime(sw), it: it, valid: it.First()}, nil
}

// live reports whether the view row stored under key (view OID | key
// group | row key) is unexpired. Calls come in key order.
func (f *viewRowFilter) live(key []byte) bool {
	if f == nil || len(key) < 4 {
		return true
	}
	gk := key[4:]
	for f.valid && string(f.it.Key()[4:]) < string(gk) {
		f.valid = f.it.Next()
	}
	if !f.valid || string(f.it.Key()[4:]) != string(gk) {
		return true // no record: written before the view had one
	}
	v := f.it.Value()
	return len(v) != 8 || fromOrderedMicros(v) > f.now
}

func (f *viewRowFilter) close() {
	if f != nil {
		_ = f.it.Close()
	}
}

// dropView adds the removal of a view's TTL records to b.
func (sw *ttlSweeper) dropView(b *pebble.Batch, oid uint32) error {
	if sw != nil {
		sw.viewsMu.Lock()
		delete(sw.views, oid)
		sw.viewsMu.Unlock()
	}
	for _, p := range [][]byte{viewTTLRecordTable(oid), viewTTLIndexTable(oid)} {
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	return b.Delete(viewTTLExpiredKey(oid), nil)
}

// sweepViews runs an epoch when views have a TTL, even with no table
// change: it expires their operator keys and removes their expired rows.
func (sw *ttlSweeper) sweepViews(ctx context.Context) error {
	m := sw.srv.views
	if m == nil || !sw.hasViews() {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	return m.runEpochLocked(ctx)
}

// fillViewTTLRows fills the ttl, ttl_time and expired_rows columns of the
// streamdb.state_tables rows of views with a TTL.
func (sw *ttlSweeper) fillViewTTLRows(rows []types.Row) []types.Row {
	m := sw.srv.views
	if m == nil || !sw.hasViews() {
		return rows
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	opExpired := map[uint32]map[uint32]int64{}
	for _, r := range rows {
		oid := uint32(r[1].Int())
		vt := sw.view(oid)
		if vt == nil {
			continue
		}
		r[6] = types.DInterval(types.IntervalValue{Micros: vt.ttl})
		r[7] = types.DString(ttlTimeProcessing)
		if v := m.views[oid]; vt.eventCol >= 0 && v != nil && vt.eventCol < len(v.desc.Columns) {
			r[7] = types.DString(v.desc.Columns[vt.eventCol].Name)
		}
		if uint32(r[0].Int()) == oid {
			r[8] = types.DInt(vt.expired.Load())
			continue
		}
		if _, ok := opExpired[oid]; !ok {
			if v := m.views[oid]; v != nil && v.df != nil {
				opExpired[oid] = v.df.TTLExpiredEntries()
			}
		}
		r[8] = types.DInt(opExpired[oid][uint32(r[0].Int())])
	}
	return rows
}
