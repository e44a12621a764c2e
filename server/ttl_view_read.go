package server

import (
	"math"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/sql/types"
)

// Refresh on read of materialized views (ttl_update = 'on_read_and_write',
// processing time only):
//
//   - A user's read of a view row (ad-hoc SELECT by full scan or key
//     lookup, COPY (query) TO, a cursor, INSERT ... SELECT) moves the row's
//     expiry to the read's time plus ttl, never backwards, and the expiry
//     of the operator key that produced it (its GROUP BY group or DISTINCT
//     row, sql/exec/dataflow_read_ttl.go) to the next epoch's time plus
//     ttl. So a group that is read keeps counting: a later insert gives
//     count + 1, not 1. Internal reads refresh nothing: a view's backfill,
//     a view over the view, a sink polling the view.
//   - The read path writes nothing: it records the keys of the rows it
//     returns in a bounded in-memory set per view (maxViewReadKeys). The
//     next epoch (every barrier_interval while tables change, and every
//     TTLSweepInterval and at CHECKPOINT in any case) writes the new
//     expiries with its atomic batch, before its sweep, so a row read
//     before its expiry survives even when the epoch runs after it.
//     Reads beyond the bound in one epoch refresh every row of the view
//     that was live at the latest of them (a full scan does the same).
//     Reads recorded but not yet applied when the server stops are lost:
//     those rows keep their previous expiry (like a table's refresh, which
//     is not synced either).
//   - Which views: the view row must name the operator key: GROUP BY
//     views whose group columns are plain output columns, DISTINCT, and
//     projections/filters over tables. Other shapes answer 0A000 at CREATE
//     with the reason. Event-time ttl_time answers 0A000: a read has no
//     event time (Flink refreshes processing-time TTL only, too).
//   - Views with a TTL run on one worker (views_parallel.go), so the
//     operator keys of a read row are all in one dataflow.

// maxViewReadKeys bounds the rows of one view whose reads are recorded
// between two epochs.
const maxViewReadKeys = 1 << 16

// viewReads are the rows of one view users read since the last epoch.
type viewReads struct {
	mu sync.Mutex
	// keys maps key group | row key to the latest read time.
	keys map[string]int64
	// all, when non-zero, is the latest read time of the reads that did
	// not fit: every row live then is refreshed.
	all int64
}

func (r *viewReads) note(groupKey []byte, at int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.keys[string(groupKey)]; ok {
		r.keys[string(groupKey)] = max(t, at)
		return
	}
	if len(r.keys) >= maxViewReadKeys {
		r.all = max(r.all, at)
		return
	}
	r.keys[string(groupKey)] = at
}

func (r *viewReads) drain() (keys map[string]int64, all int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys, all = r.keys, r.all
	r.keys, r.all = make(map[string]int64, min(len(keys), 1024)), 0
	return keys, all
}

// userRead wraps the row callback of a user's scan of relation oid: when
// oid is a view whose reads refresh its TTL, every row returned is
// recorded. Otherwise fn comes back unchanged.
func (sw *ttlSweeper) userRead(oid uint32, fn func(types.Row) error) func(types.Row) error {
	vt := sw.view(oid)
	if vt == nil || vt.reads == nil {
		return fn
	}
	at := vt.readTime(sw)
	var rowKey, key []byte
	return func(r types.Row) error {
		rowKey = rowKey[:0]
		for _, d := range r {
			rowKey = types.AppendKey(rowKey, d, false)
		}
		key = viewRowKey(key, oid, rowKey)
		vt.reads.note(key[4:], at)
		return fn(r)
	}
}

// refreshReadRows applies the reads of view v recorded since the last
// epoch, in the epoch's batch: each read row still live at its read gets
// expiry read time + ttl (when that is later), and its operator key is
// touched (exec.Dataflow.TouchTTLRow). It returns the refreshed rows
// (key group | row key), which this epoch's sweep must spare: it reads
// the committed records, not the batch.
func (sw *ttlSweeper) refreshReadRows(m *viewManager, v *viewRuntime, vt *viewTTL, batch *pebble.Batch) (map[string]bool, error) {
	if vt.reads == nil {
		return nil, nil
	}
	keys, all := vt.reads.drain()
	if v.rebuild || (len(keys) == 0 && all == 0) {
		return nil, nil // a rebuild rewrites every row with a fresh expiry
	}
	oid := v.desc.OID
	rec := viewTTLRecordTable(oid)
	db := m.store.DB()
	refreshed := map[string]bool{}
	refresh := func(groupKey []byte, exp, at int64) error {
		if exp <= at {
			return nil // expired before the read (the read did not see it)
		}
		next := at + vt.ttl
		if at > math.MaxInt64-vt.ttl {
			next = math.MaxInt64
		}
		if next <= vt.now {
			return nil // the read's lifetime has run out too: the sweep removes it
		}
		if next > exp {
			if err := batch.Set(append(append([]byte(nil), rec...), groupKey...), orderedMicros(nil, next), nil); err != nil {
				return err
			}
			if err := batch.Set(append(orderedMicros(viewTTLIndexTable(oid), next), groupKey...), nil, nil); err != nil {
				return err
			}
			refreshed[string(groupKey)] = true
		}
		val, closer, err := db.Get(viewRowKey(nil, oid, groupKey[2:]))
		if errors.Is(err, pebble.ErrNotFound) {
			return nil
		}
		if err != nil {
			return errors.Wrap(err, "view ttl refresh")
		}
		_, row, err := decodeViewRow(val)
		_ = closer.Close()
		if err != nil {
			return err
		}
		v.df.TouchTTLRow(row)
		return nil
	}
	if all != 0 {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: rec, UpperBound: prefixEnd(rec)})
		if err != nil {
			return nil, errors.Wrap(err, "view ttl refresh")
		}
		defer it.Close()
		for valid := it.First(); valid; valid = it.Next() {
			if len(it.Value()) != 8 {
				continue
			}
			gk := append([]byte(nil), it.Key()[len(rec):]...)
			at := max(all, keys[string(gk)])
			delete(keys, string(gk))
			if err := refresh(gk, fromOrderedMicros(it.Value()), at); err != nil {
				return nil, err
			}
		}
		if err := it.Error(); err != nil {
			return nil, errors.Wrap(err, "view ttl refresh")
		}
	}
	for gk, at := range keys {
		val, closer, err := db.Get(append(append([]byte(nil), rec...), gk...))
		if errors.Is(err, pebble.ErrNotFound) {
			continue // deleted since, or never expires
		}
		if err != nil {
			return nil, errors.Wrap(err, "view ttl refresh")
		}
		ok := len(val) == 8
		var exp int64
		if ok {
			exp = fromOrderedMicros(val)
		}
		_ = closer.Close()
		if !ok || len(gk) < 2 {
			continue
		}
		if err := refresh([]byte(gk), exp, at); err != nil {
			return nil, err
		}
	}
	return refreshed, nil
}
