package state

import (
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// Store is one Pebble instance with streamdb's tuning applied.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options
	// writeStalls counts Pebble write-stall events (memtables or L0 full).
	writeStalls atomic.Int64
	// stallStart is when the current write stall began (unix ns, 0: none);
	// stallNanos adds up the stalls that ended.
	stallStart atomic.Int64
	stallNanos atomic.Int64
}

// Open opens (creating if needed) the Pebble instance in dir.
func Open(dir string, opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, opts: opts}
	listener := &pebble.EventListener{
		WriteStallBegin: func(pebble.WriteStallBeginInfo) {
			s.writeStalls.Add(1)
			s.stallStart.Store(time.Now().UnixNano())
		},
		WriteStallEnd: func() {
			if begin := s.stallStart.Swap(0); begin != 0 {
				s.stallNanos.Add(time.Now().UnixNano() - begin)
			}
		},
	}
	po, err := opts.pebbleOptions(listener)
	if err != nil {
		return nil, err
	}
	// The DB holds its own reference to the cache.
	defer po.Cache.Unref()
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, types.WithCode(errors.Wrapf(err, "open state store %s", dir), types.CodeIOError)
	}
	s.db = db
	return s, nil
}

// DB is the underlying Pebble instance, for packages that need more than
// this wrapper offers (checkpoints, operator state).
func (s *Store) DB() *pebble.DB { return s.db }

// Dir is the directory of the store.
func (s *Store) Dir() string { return s.dir }

// Options are the options the store was opened with (defaults applied).
func (s *Store) Options() Options { return s.opts }

// writeOptions are the options of durable writes: fsynced unless NoSync.
func (s *Store) writeOptions() *pebble.WriteOptions {
	if s.opts.NoSync {
		return pebble.NoSync
	}
	return pebble.Sync
}

// Close flushes nothing extra (the WAL is enough) and closes the instance.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	return errors.Wrapf(err, "close state store %s", s.dir)
}

// Get returns a copy of the value stored under key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, errors.Wrap(err, "state get")
	}
	out := append([]byte(nil), v...)
	return out, true, closer.Close()
}

// ScanPrefix calls fn for every key starting with prefix, in key order. key
// and value are only valid during the call.
func (s *Store) ScanPrefix(prefix []byte, fn func(key, value []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return errors.Wrap(err, "state scan")
	}
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return errors.Wrap(err, "state scan")
		}
		if err := fn(it.Key(), v); err != nil {
			_ = it.Close()
			return err
		}
	}
	return errors.Wrap(it.Close(), "state scan")
}

// Write applies the writes fn makes to a batch atomically, and durably
// (fsynced unless NoSync) before it returns.
func (s *Store) Write(fn func(b *pebble.Batch) error) error {
	b := s.db.NewBatch()
	defer b.Close()
	if err := fn(b); err != nil {
		return err
	}
	return types.WithCode(errors.Wrap(b.Commit(s.writeOptions()), "state write"), types.CodeIOError)
}

// Metrics are the storage numbers shown in streamdb.storage and /metrics.
type Metrics struct {
	BlockCacheSize    int64 // bytes in use
	BlockCacheHits    int64
	BlockCacheMisses  int64
	BlockCacheHitRate float64 // hits / (hits + misses), 0 when unused
	MemtableBytes     uint64
	MemtableCount     int64
	// CompactionDebtBytes estimates the bytes compactions must rewrite to
	// bring the LSM back into shape.
	CompactionDebtBytes uint64
	// WriteStalls counts the times Pebble delayed writes since Open.
	WriteStalls int64
	// WriteStallDuration is the time writes spent stalled since Open.
	WriteStallDuration time.Duration
	// CompactionsInProgress counts the compactions running now.
	CompactionsInProgress int64
	// SSTables counts the store's sstables; L0Files those in level 0, whose
	// growth is what stalls writes.
	SSTables int64
	L0Files  int64
	// DiskUsageBytes is the size of all files of the store.
	DiskUsageBytes uint64
	// ReadAmplification is the number of sstable layers a read may visit.
	ReadAmplification int
}

// Metrics samples the store's metrics.
func (s *Store) Metrics() Metrics {
	m := s.db.Metrics()
	out := Metrics{
		BlockCacheSize:        m.BlockCache.Size,
		BlockCacheHits:        m.BlockCache.Hits,
		BlockCacheMisses:      m.BlockCache.Misses,
		MemtableBytes:         m.MemTable.Size,
		MemtableCount:         m.MemTable.Count,
		CompactionDebtBytes:   m.Compact.EstimatedDebt,
		WriteStalls:           s.writeStalls.Load(),
		WriteStallDuration:    time.Duration(s.stallNanos.Load()),
		CompactionsInProgress: m.Compact.NumInProgress,
		SSTables:              m.Total().TablesCount,
		L0Files:               m.Levels[0].TablesCount,
		DiskUsageBytes:        m.DiskSpaceUsage(),
		ReadAmplification:     m.ReadAmp(),
	}
	if total := m.BlockCache.Hits + m.BlockCache.Misses; total > 0 {
		out.BlockCacheHitRate = float64(m.BlockCache.Hits) / float64(total)
	}
	return out
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix (nil if there is none).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
