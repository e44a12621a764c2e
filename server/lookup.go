package server

import (
	"context"
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Key lookups on materialized views through the row cache
// (state.row_cache_size, state.RowCache).
//
// A lookup by a view's leading columns (EXPLAIN "lookup on (...)") costs
// one bounded Pebble seek per key group (maxParallelism of them: a view
// row's key group hashes the whole row, so the leading columns do not
// name one). The row cache keeps the answer of such a lookup: the key is
// view OID | generation | the key encoding of the leading columns, the
// value every stored row under that prefix (its row key, its TTL expiry
// and its stored value: count and encoded row). A hit decodes the rows and
// reads no Pebble at all.
//
// Freshness follows the epochs. The cache's versions are view epochs:
// every epoch's batch writes the epoch number with the view rows, so the
// statement's snapshot tells exactly which epoch it holds
// (viewSnapshot.versioned), and a hit is never older or newer than the
// snapshot (state.RowCache). After runEpochLocked commits an epoch, the
// changes each view's epoch produced (its epochOut, the changes applyRows
// stored) are folded into the cached answers they touch, for every prefix
// width that lookups of that view use (write-through: an answer stays
// cached and correct under ingest). Views whose stored rows change other
// than by their changes (a rebuild, a view's first epoch) and views with a
// TTL (sweeps remove rows, reads refresh expiries) get a new generation
// instead: their old answers become unreachable and age out of the LRU.
// DROP gives the view a new generation too. An expired row is never
// served: a hit checks each row's expiry against the view's read time,
// as the scan does. The cache is in memory only: a restart or a
// checkpoint restore starts it empty.
//
// Warming: a view's first miss for a prefix width caches the answers of
// every prefix from one scan of the view (warmLookups), because serving
// workloads look up most keys and a scan costs about as much as a few
// hundred lookups' seeks.
//
// Plain tables are not cached: their key lookups read Txn.ScanPrefix (own
// writes, snapshot, TTL), one bounded seek.
type viewLookups struct {
	cache *state.RowCache
	// gens hands out generations: never reused, so an answer cached under
	// a view's old generation can never be hit again.
	gens atomic.Uint64
	// views maps OID to *viewLookup (read on every lookup: a sync.Map).
	views sync.Map
}

// viewLookup is the row cache state of one view.
type viewLookup struct {
	gen atomic.Uint64
	// widths has bit n set when a lookup by the view's first n columns
	// filled the cache (n < 64): the widths whose answers an epoch's
	// changes must update.
	widths atomic.Uint64
	// warmed has bit n set once the answers of every prefix of n columns
	// were cached from one scan of the view (or the view proved too
	// large); warming is set while one lookup does that.
	warmed  atomic.Uint64
	warming atomic.Bool
}

// rowCacheSizeOption maps state.row_cache_size (0: off) to
// Options.RowCacheSize (0: the default, negative: off).
func rowCacheSizeOption(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

func newViewLookups(size int64) *viewLookups {
	return &viewLookups{cache: state.NewRowCache(size)}
}

func (l *viewLookups) view(oid uint32) *viewLookup {
	if lv, ok := l.views.Load(oid); ok {
		return lv.(*viewLookup)
	}
	lv := &viewLookup{}
	lv.gen.Store(l.gens.Add(1))
	got, _ := l.views.LoadOrStore(oid, lv)
	return got.(*viewLookup)
}

// existing returns the state of a view that lookups used, or nil.
func (l *viewLookups) existing(oid uint32) *viewLookup {
	if lv, ok := l.views.Load(oid); ok {
		return lv.(*viewLookup)
	}
	return nil
}

func (l *viewLookups) purge(lv *viewLookup) { lv.gen.Store(l.gens.Add(1)) }

func appendLookupKey(buf []byte, oid uint32, gen uint64, prefix []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf[:0], oid)
	buf = binary.BigEndian.AppendUint64(buf, gen)
	return append(buf, prefix...)
}

// epochCommitted folds the changes of the epoch just committed into the
// cached answers (the row cache's pass of that epoch). It runs before the
// views' rebuild flags and committed epochs are reset.
func (l *viewLookups) epochCommitted(m *viewManager, views []*viewRuntime, epoch uint64) {
	if l == nil || l.cache == nil {
		return
	}
	l.cache.BeginWrite(epoch)
	defer l.cache.EndWrite()
	var rowKey, key []byte
	var ends [64]int
	for _, v := range views {
		if v.status != "running" {
			continue // a failed view's batch was not merged
		}
		lv := l.existing(v.desc.OID)
		if lv == nil {
			continue
		}
		if v.rebuild || v.committedEpoch == 0 || m.srv.ttl.view(v.desc.OID) != nil {
			l.purge(lv)
			continue
		}
		widths := lv.widths.Load()
		if widths == 0 {
			continue
		}
		gen := lv.gen.Load()
		for _, ch := range v.epochOut {
			// The row key as applyRows builds it, with the end of
			// each column's encoding.
			rowKey = rowKey[:0]
			for i, d := range ch.row {
				rowKey = types.AppendKey(rowKey, d, false)
				if i < len(ends) {
					ends[i] = len(rowKey)
				}
			}
			for w := widths; w != 0; w &= w - 1 {
				n := bits.TrailingZeros64(w)
				if n == 0 || n > len(ch.row) || n > len(ends) {
					continue
				}
				key = appendLookupKey(key, v.desc.OID, gen, rowKey[:ends[n-1]])
				insert := ch.op.IsInsert()
				l.cache.Update(key, func(old []byte) ([]byte, bool) {
					return applyLookupChange(old, rowKey, insert, ch.row), true
				})
			}
		}
	}
}

// dropView forgets a dropped view's cached answers.
func (l *viewLookups) dropView(oid uint32) {
	if l == nil {
		return
	}
	l.cache.BeginWrite(0) // the epoch stays
	defer l.cache.EndWrite()
	if lv := l.existing(oid); lv != nil {
		l.purge(lv)
		l.views.Delete(oid)
	}
}

// A cached answer is a sequence of rows, each
//
//	uvarint len(row key) | row key | expiry (8B BE, micros; MaxInt64: none) | uvarint len(value) | value
//
// where value is the stored view row (count, then the encoded row).
type lookupRow struct {
	rowKey []byte
	expiry int64
	value  []byte
}

func appendLookupRow(buf []byte, r lookupRow) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(r.rowKey)))
	buf = append(buf, r.rowKey...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.expiry))
	buf = binary.AppendUvarint(buf, uint64(len(r.value)))
	return append(buf, r.value...)
}

// nextLookupRow decodes the first row of b and returns the rest.
func nextLookupRow(b []byte) (lookupRow, []byte, error) {
	var r lookupRow
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n+8 {
		return r, nil, types.Errorf(types.CodeInternalError, "corrupt row cache entry")
	}
	b = b[k:]
	r.rowKey, b = b[:n], b[n:]
	r.expiry, b = int64(binary.BigEndian.Uint64(b)), b[8:]
	n, k = binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return r, nil, types.Errorf(types.CodeInternalError, "corrupt row cache entry")
	}
	b = b[k:]
	r.value, b = b[:n], b[n:]
	return r, b, nil
}

// applyLookupChange returns a new cached answer: old with one change of
// the row under rowKey (count + 1 for an insert, - 1 for a delete; a row
// whose count reaches 0 is gone), as applyRows applies it.
func applyLookupChange(old, rowKey []byte, insert bool, row types.Row) []byte {
	out := make([]byte, 0, len(old)+len(rowKey)+64)
	found := false
	for rest := old; len(rest) > 0; {
		r, next, err := nextLookupRow(rest)
		if err != nil {
			return old // cannot happen: the cache wrote it
		}
		rest = next
		if found || string(r.rowKey) != string(rowKey) {
			out = appendLookupRow(out, r)
			continue
		}
		found = true
		count := int64(binary.BigEndian.Uint64(r.value))
		if insert {
			count++
		} else {
			count--
		}
		if count <= 0 {
			continue
		}
		value := binary.BigEndian.AppendUint64(make([]byte, 0, len(r.value)), uint64(count))
		r.value = append(value, r.value[8:]...)
		out = appendLookupRow(out, r)
	}
	if !found && insert {
		out = appendLookupRow(out, lookupRow{rowKey: rowKey, expiry: math.MaxInt64, value: appendViewRow(nil, 1, row)})
	}
	return out
}

// versioned returns the statement's snapshot and the view epoch it holds
// (the epoch's batch writes it with the rows), which is the row cache
// version the snapshot is exactly as of; 0: unknown, bypass the cache.
func (vs *viewSnapshot) versioned(m *viewManager) (*pebble.Snapshot, uint64, error) {
	snap := vs.get(m)
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.version == 0 {
		v, closer, err := snap.Get(metaKey("epoch"))
		switch {
		case err == nil:
			if len(v) == 8 {
				vs.version = binary.BigEndian.Uint64(v)
			}
			_ = closer.Close()
		case !errors.Is(err, pebble.ErrNotFound):
			return nil, 0, errors.Wrap(err, "view lookup")
		}
	}
	return snap, vs.version, nil
}

// lookupRows calls fn for the rows of view oid whose row key starts with
// prefix, as of the statement's snapshot: from the row cache when it holds
// the answer, else by scanRowsPrefixAt's seeks, whose answer it caches.
func (m *viewManager) lookupRows(ctx context.Context, vs *viewSnapshot, oid uint32, prefix []byte, fn func(types.Row) error) error {
	l := m.lookups
	if l == nil || l.cache == nil {
		return m.scanRowsPrefixAt(ctx, vs.get(m), oid, prefix, fn) // viewsnap.go
	}
	snap, ver, err := vs.versioned(m)
	if err != nil {
		return err
	}
	lv := l.view(oid)
	key := appendLookupKey(nil, oid, lv.gen.Load(), prefix)
	answer, hit := l.cache.Get(key, ver)
	if !hit {
		if answer, err = m.readLookupAnswer(ctx, snap, oid, prefix); err != nil {
			return err
		}
		if ver != 0 {
			if n, ok := keyColumns(prefix); ok && n < 64 {
				// Before the fill: an epoch that commits after the fill
				// must see the width (state.RowCache.Fill).
				lv.widths.Or(1 << n)
				l.cache.Fill(key, answer, ver)
				if lv.warmed.Load()&(1<<n) == 0 && lv.warming.CompareAndSwap(false, true) {
					err := m.warmLookups(ctx, snap, ver, oid, lv, n)
					lv.warming.Store(false)
					if err != nil {
						return err
					}
				}
			}
		}
	}
	now := int64(math.MinInt64)
	if vt := m.srv.ttl.view(oid); vt != nil {
		now = vt.readTime(m.srv.ttl) // ttl_view.go
	}
	for rest := answer; len(rest) > 0; {
		r, next, err := nextLookupRow(rest)
		if err != nil {
			return err
		}
		rest = next
		if r.expiry <= now {
			continue // expired: never returned
		}
		if err := emitStoredViewRow(r.value, fn); err != nil {
			return err
		}
	}
	return nil
}

// warmLookups caches, from one scan of view oid in snap (at version ver),
// the answer of every prefix of n columns that has rows: serving
// workloads look up most of a view's keys, and one scan costs about as
// much as a few hundred lookups' seeks. Views with a TTL are not warmed
// (their answers last one epoch), nor views whose answers would take more
// than half of the cache. When an epoch passes during the scan the fills
// are refused, and a later miss tries again.
func (m *viewManager) warmLookups(ctx context.Context, snap *pebble.Snapshot, ver uint64, oid uint32, lv *viewLookup, n int) error {
	l := m.lookups
	if m.srv.ttl.view(oid) != nil {
		lv.warmed.Or(1 << n)
		return nil
	}
	prefix := viewPrefix(oid)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return errors.Wrap(err, "view lookup")
	}
	defer it.Close()
	answers := map[string][]byte{}
	budget := l.cache.Capacity() / 2
	var size int64
	rows := 0
	for valid := it.First(); valid; valid = it.Next() {
		if rows++; rows&1023 == 0 && ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		k := it.Key()
		rowKey := k[6:]
		end, ok := keyPrefixEnd(rowKey, n)
		if !ok {
			continue // fewer columns: cannot be looked up by n
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Wrap(err, "view lookup")
		}
		p := string(rowKey[:end])
		before := len(answers[p])
		answers[p] = appendLookupRow(answers[p], lookupRow{rowKey: rowKey, expiry: math.MaxInt64, value: v})
		size += int64(len(answers[p]) - before)
		if before == 0 {
			size += int64(len(p) + 12 + 96)
		}
		if size > budget {
			lv.warmed.Or(1 << n) // too large: lookups fill one by one
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return errors.Wrap(err, "view lookup")
	}
	gen := lv.gen.Load()
	var key []byte
	for p, answer := range answers {
		key = appendLookupKey(key, oid, gen, []byte(p))
		if !l.cache.Fill(key, answer, ver) {
			return nil // an epoch passed: a later miss warms again
		}
	}
	lv.warmed.Or(1 << n)
	return nil
}

// keyPrefixEnd returns the length of the key encoding of the first n
// values of rowKey.
func keyPrefixEnd(rowKey []byte, n int) (int, bool) {
	rest := rowKey
	for range n {
		_, r, err := types.DecodeKey(rest, false)
		if err != nil {
			return 0, false
		}
		rest = r
	}
	return len(rowKey) - len(rest), true
}

// keyColumns counts the key-encoded values in prefix.
func keyColumns(prefix []byte) (int, bool) {
	n := 0
	for len(prefix) > 0 {
		_, rest, err := types.DecodeKey(prefix, false)
		if err != nil {
			return 0, false
		}
		prefix = rest
		n++
	}
	return n, true
}

// readLookupAnswer reads the stored rows of view oid under prefix from
// snap, one bounded seek per key group (as scanRowsPrefixAt), with each
// row's TTL expiry, expired rows included (the reader filters).
func (m *viewManager) readLookupAnswer(ctx context.Context, snap *pebble.Snapshot, oid uint32, prefix []byte) ([]byte, error) {
	hasTTL := m.srv.ttl.view(oid) != nil
	var answer, recKey []byte
	var bounds keyGroupBounds
	it, err := snap.NewIter(nil)
	if err != nil {
		return nil, errors.Wrap(err, "view lookup")
	}
	defer it.Close()
	for group := 0; group < maxParallelism; group++ {
		if ctx.Err() != nil {
			return nil, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		bounds.set(it, oid, group, prefix)
		for valid := it.First(); valid; valid = it.Next() {
			k := it.Key()
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, errors.Wrap(err, "view lookup")
			}
			r := lookupRow{rowKey: k[6:], expiry: math.MaxInt64, value: v}
			if hasTTL {
				// The TTL record of the row (ttl_view.go): its expiry.
				recKey = append(append(recKey[:0], viewTTLRecordTable(oid)...), k[4:]...)
				rec, closer, err := snap.Get(recKey)
				switch {
				case err == nil:
					if len(rec) == 8 {
						r.expiry = fromOrderedMicros(rec)
					}
					_ = closer.Close()
				case !errors.Is(err, pebble.ErrNotFound):
					return nil, errors.Wrap(err, "view lookup")
				}
			}
			answer = appendLookupRow(answer, r)
		}
		if err := it.Error(); err != nil {
			return nil, errors.Wrap(err, "view lookup")
		}
	}
	return answer, nil
}

// registerRowCacheMetrics exports the row cache's counters on /metrics.
func (s *Server) registerRowCacheMetrics() {
	stats := s.RowCacheStats
	counter := func(name, help string, f func(state.RowCacheStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(stats())) })
	}
	s.reg.MustRegister(
		counter("streamdb_row_cache_hits_total", "Key lookups answered by the row cache.", func(st state.RowCacheStats) int64 { return st.Hits }),
		counter("streamdb_row_cache_misses_total", "Key lookups that read Pebble (not cached, or a snapshot taken while an epoch committed).", func(st state.RowCacheStats) int64 { return st.Misses }),
		counter("streamdb_row_cache_evictions_total", "Row cache entries evicted to stay within state.row_cache_size.", func(st state.RowCacheStats) int64 { return st.Evictions }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "streamdb_row_cache_bytes", Help: "Bytes held by the row cache."}, func() float64 { return float64(stats().Bytes) }),
	)
}

// RowCacheStats returns the counters of the row cache of view key lookups
// (zero when it is off).
func (s *Server) RowCacheStats() state.RowCacheStats {
	if s.views == nil || s.views.lookups == nil {
		return state.RowCacheStats{}
	}
	return s.views.lookups.cache.Stats()
}

// storageRows is the row of streamdb.storage: the view state store's
// Pebble numbers and the row cache's counters.
func (s *Server) storageRows() []types.Row {
	if s.views == nil {
		return nil
	}
	m := s.views.store.Metrics()
	rc := s.RowCacheStats()
	return []types.Row{{
		types.DInt(m.BlockCacheSize), types.DFloat(m.BlockCacheHitRate),
		types.DInt(int64(m.MemtableBytes)), types.DInt(m.MemtableCount), types.DInt(int64(m.DiskUsageBytes)),
		types.DInt(int64(m.CompactionDebtBytes)), types.DInt(m.CompactionsInProgress), types.DInt(m.WriteStalls),
		types.DInterval(types.IntervalValue{Micros: m.WriteStallDuration.Microseconds()}), types.DInt(m.SSTables),
		types.DInt(rc.Bytes), types.DInt(rc.Capacity), types.DInt(rc.Hits),
		types.DInt(rc.Misses), types.DInt(rc.Evictions), types.DInt(m.L0Files),
	}}
}
