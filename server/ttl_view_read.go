package server

import (
	"bytes"
	"math"
	"slices"
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
	// limit is maxViewReadKeys (tests lower it).
	limit int
	mu    sync.Mutex
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
	if len(r.keys) >= r.limit {
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
	needRows := v.df.TTLReadTouchesState()
	refreshed := map[string]bool{}
	var keyBuf, valBuf []byte
	// Records and rows are both in key group | row key order: one iterator
	// each, walked forward (sorted keys, or every record when reads
	// overflowed).
	recIt, err := db.NewIter(&pebble.IterOptions{LowerBound: rec, UpperBound: prefixEnd(rec)})
	if err != nil {
		return nil, errors.Wrap(err, "view ttl refresh")
	}
	defer recIt.Close()
	rows := viewPrefix(oid)
	rowIt, err := db.NewIter(&pebble.IterOptions{LowerBound: rows, UpperBound: prefixEnd(rows)})
	if err != nil {
		return nil, errors.Wrap(err, "view ttl refresh")
	}
	defer rowIt.Close()
	// refresh applies a read at time at of the row under groupKey (key
	// group | row key) whose record says exp.
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
			// The batch copies keys and values: one buffer each serves all.
			keyBuf = append(append(keyBuf[:0], rec...), groupKey...)
			valBuf = orderedMicros(valBuf[:0], next)
			if err := batch.Set(keyBuf, valBuf, nil); err != nil {
				return err
			}
			keyBuf = append(orderedMicros(append(keyBuf[:0], viewTTLIndexTable(oid)...), next), groupKey...)
			if err := batch.Set(keyBuf, nil, nil); err != nil {
				return err
			}
			refreshed[string(groupKey)] = true
		}
		if !needRows {
			return nil // no operator state to refresh
		}
		keyBuf = append(append(keyBuf[:0], rows...), groupKey...)
		if !rowIt.SeekGE(keyBuf) || !bytes.Equal(rowIt.Key(), keyBuf) {
			return rowIt.Error()
		}
		val, err := rowIt.ValueAndErr()
		if err != nil {
			return errors.Wrap(err, "view ttl refresh")
		}
		_, row, err := decodeViewRow(val)
		if err != nil {
			return err
		}
		v.df.TouchTTLRow(row)
		return nil
	}
	if all != 0 {
		for valid := recIt.First(); valid; valid = recIt.Next() {
			if len(recIt.Value()) != 8 {
				continue
			}
			gk := recIt.Key()[len(rec):]
			at := all
			if t, ok := keys[string(gk)]; ok {
				at = max(at, t)
				delete(keys, string(gk))
			}
			if err := refresh(gk, fromOrderedMicros(recIt.Value()), at); err != nil {
				return nil, err
			}
		}
		if err := recIt.Error(); err != nil {
			return nil, errors.Wrap(err, "view ttl refresh")
		}
	}
	sorted := make([]string, 0, len(keys))
	for gk := range keys {
		sorted = append(sorted, gk)
	}
	slices.Sort(sorted)
	var seek []byte
	for _, gk := range sorted {
		seek = append(append(seek[:0], rec...), gk...)
		if !recIt.SeekGE(seek) || !bytes.Equal(recIt.Key(), seek) || len(recIt.Value()) != 8 {
			if err := recIt.Error(); err != nil {
				return nil, errors.Wrap(err, "view ttl refresh")
			}
			continue // deleted since, or never expires
		}
		if err := refresh([]byte(gk), fromOrderedMicros(recIt.Value()), keys[gk]); err != nil {
			return nil, err
		}
	}
	return refreshed, nil
}
