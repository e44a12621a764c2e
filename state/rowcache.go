package state

import (
	"sync"
	"sync/atomic"
)

// RowCache is a bounded cache of immutable values (encoded rows) in front
// of Pebble for point lookups, keyed by bytes the caller chooses
// (relation, row key or key prefix). It is an LRU per shard, sized in bytes
// (key + value + a fixed per-entry overhead), and safe for concurrent use.
// A nil *RowCache is a cache that is off: every method works and Get
// always misses.
//
// # Versions: never older than the reader's snapshot
//
// The store behind the cache has versions the caller defines, readable
// from any snapshot (the server uses the view epoch, which every epoch's
// batch writes with its changes). A version's changes reach the cache in
// a write pass (BeginWrite(v) ... EndWrite, one at a time, after the batch
// of version v committed): the writer updates or removes the entries its
// changes touch (Update, Delete, or by changing the keys it builds). Every
// entry records the version it is valid as of. The cache is at version A
// (applied) once the pass of A ended.
//
//   - Get(key, v), for a reader whose snapshot is at version v, hits only
//     when A >= v and the entry's version is <= v. Every pass up to v has
//     ended, and an entry still present was valid at its version and
//     changed by no pass since (that pass would have updated or removed
//     it), so it is valid at v. An entry newer than v may contain changes
//     the reader's snapshot does not: a miss, and the reader reads its
//     snapshot.
//   - Fill(key, val, v) stores a value read from a snapshot at version v
//     only when the cache is at v with no pass running, checked under the
//     shard lock that Update and Delete take: a later pass finds the entry
//     and updates it; a pass already running or ended makes the check fail.
//     So a value is never older than the passes it missed, nor updated
//     twice by one.
//   - Update and Delete (inside a pass) stamp the pass's version.
//
// Values are never modified in place: Get's result stays valid after the
// entry changes.
type RowCache struct {
	shards [rowCacheShards]rowCacheShard
	// applying is the version of the running pass (== applied when none
	// runs); applied the version of the last pass that ended.
	applying, applied atomic.Uint64
	writeMu           sync.Mutex
	capacity          int64

	hits, misses, evictions atomic.Int64
}

// RowCacheStats are the counters of a RowCache (streamdb.storage,
// /metrics).
type RowCacheStats struct {
	Capacity  int64 // bytes; 0: off
	Bytes     int64 // bytes held
	Entries   int64
	Hits      int64
	Misses    int64
	Evictions int64
}

const (
	rowCacheShards = 16
	// rowCacheEntryOverhead approximates the memory of an entry beyond its
	// key and value bytes (the struct, the map slot).
	rowCacheEntryOverhead = 96
)

type rowCacheShard struct {
	mu      sync.Mutex
	entries map[string]*rowCacheEntry
	// head is the sentinel of the LRU list: head.next is the most
	// recently used entry, head.prev the least.
	head     rowCacheEntry
	bytes    int64
	capacity int64
}

type rowCacheEntry struct {
	key        string
	val        []byte
	version    uint64
	prev, next *rowCacheEntry
}

// NewRowCache returns a cache of capacity bytes; capacity <= 0 returns nil
// (off).
func NewRowCache(capacity int64) *RowCache {
	if capacity <= 0 {
		return nil
	}
	c := &RowCache{capacity: capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.entries = map[string]*rowCacheEntry{}
		s.head.next, s.head.prev = &s.head, &s.head
		s.capacity = max(capacity/rowCacheShards, 1)
	}
	return c
}

func (c *RowCache) shard(key []byte) *rowCacheShard {
	// FNV-1a: keys are short; no allocation.
	h := uint32(2166136261)
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	return &c.shards[h%rowCacheShards]
}

// Start sets the version of a cache that has seen no pass (the store's
// version when it opened); a cache at version 0 never hits.
func (c *RowCache) Start(v uint64) {
	if c == nil {
		return
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.applied.Load() == 0 {
		c.applying.Store(v)
		c.applied.Store(v)
	}
}

// Get returns the value cached under key if it is valid for a reader at
// version v (see the type's doc). It counts a hit or a miss.
func (c *RowCache) Get(key []byte, v uint64) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	if v == 0 {
		c.misses.Add(1)
		return nil, false
	}
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.entries[string(key)]
	if ok && e.version <= v && c.applied.Load() >= v {
		s.moveToFront(e)
		val := e.val
		s.mu.Unlock()
		c.hits.Add(1)
		return val, true
	}
	s.mu.Unlock()
	c.misses.Add(1)
	return nil, false
}

// Fill caches val under key as read from a snapshot at version v, unless
// the cache has moved past v; it reports whether the cache is still at v.
// The cache keeps val: the caller must not modify it afterwards.
func (c *RowCache) Fill(key, val []byte, v uint64) bool {
	if c == nil || v == 0 {
		return false
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.applying.Load() != v || c.applied.Load() != v {
		return false
	}
	c.setLocked(s, key, val, v)
	return true
}

// Capacity returns the cache's size in bytes (0: off).
func (c *RowCache) Capacity() int64 {
	if c == nil {
		return 0
	}
	return c.capacity
}

func (c *RowCache) setLocked(s *rowCacheShard, key, val []byte, v uint64) {
	if e, ok := s.entries[string(key)]; ok {
		s.bytes += int64(len(val) - len(e.val))
		e.val, e.version = val, v
		s.moveToFront(e)
	} else {
		size := int64(len(key) + len(val) + rowCacheEntryOverhead)
		if size > s.capacity {
			return
		}
		e := &rowCacheEntry{key: string(key), val: val, version: v}
		s.entries[e.key] = e
		s.bytes += size
		s.pushFront(e)
	}
	for s.bytes > s.capacity && s.head.prev != &s.head {
		victim := s.head.prev
		s.removeLocked(victim)
		c.evictions.Add(1)
	}
}

// BeginWrite starts the pass of version v (> the cache's version), whose
// batch has committed. Passes are serialised.
func (c *RowCache) BeginWrite(v uint64) {
	if c == nil {
		return
	}
	c.writeMu.Lock()
	c.applying.Store(max(v, c.applied.Load()))
}

// EndWrite ends the pass: every entry its changes touch has been updated
// or removed, and the cache is at its version.
func (c *RowCache) EndWrite() {
	if c == nil {
		return
	}
	c.applied.Store(c.applying.Load())
	c.writeMu.Unlock()
}

// Update replaces, inside a pass, the value under key if one is
// cached: fn gets the old value (not to be modified) and returns the new
// one, or keep = false to remove the entry. Absent keys stay absent.
func (c *RowCache) Update(key []byte, fn func(old []byte) (val []byte, keep bool)) {
	if c == nil {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[string(key)]
	if !ok {
		return
	}
	val, keep := fn(e.val)
	if !keep {
		s.removeLocked(e)
		return
	}
	c.setLocked(s, key, val, c.applying.Load())
}

// Delete removes the entry under key, inside a pass.
func (c *RowCache) Delete(key []byte) {
	c.Update(key, func([]byte) ([]byte, bool) { return nil, false })
}

// Stats returns the cache's counters.
func (c *RowCache) Stats() RowCacheStats {
	if c == nil {
		return RowCacheStats{}
	}
	st := RowCacheStats{Capacity: c.capacity, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Bytes += s.bytes
		st.Entries += int64(len(s.entries))
		s.mu.Unlock()
	}
	return st
}

func (s *rowCacheShard) pushFront(e *rowCacheEntry) {
	e.prev, e.next = &s.head, s.head.next
	s.head.next.prev = e
	s.head.next = e
}

func (s *rowCacheShard) moveToFront(e *rowCacheEntry) {
	if s.head.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	s.pushFront(e)
}

func (s *rowCacheShard) removeLocked(e *rowCacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.entries, e.key)
	s.bytes -= int64(len(e.key) + len(e.val) + rowCacheEntryOverhead)
}
