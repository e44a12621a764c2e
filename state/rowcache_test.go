package state

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRowCacheVersions(t *testing.T) {
	c := NewRowCache(1 << 20)
	c.Start(5)
	k := []byte("k")
	if _, ok := c.Get(k, 5); ok {
		t.Fatal("hit on an empty cache")
	}
	c.Fill(k, []byte("v5"), 4) // read from an older snapshot: refused
	if _, ok := c.Get(k, 5); ok {
		t.Fatal("a value read at version 4 was cached at version 5")
	}
	c.Fill(k, []byte("v5"), 5)
	if v, ok := c.Get(k, 5); !ok || string(v) != "v5" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	// A reader whose snapshot is newer than the cache's last pass misses:
	// the pass of its version may not have updated the entry yet.
	if _, ok := c.Get(k, 6); ok {
		t.Fatal("hit for a snapshot newer than the cache")
	}
	c.BeginWrite(6)
	// During the pass: fills are refused, entries not yet updated still
	// serve readers at 5, updated ones do not.
	c.Fill([]byte("other"), []byte("x"), 5)
	c.Fill([]byte("other"), []byte("x"), 6)
	if v, ok := c.Get(k, 5); !ok || string(v) != "v5" {
		t.Fatalf("Get before the update = %q, %v", v, ok)
	}
	c.Update(k, func(old []byte) ([]byte, bool) { return []byte("v6"), true })
	c.Update([]byte("absent"), func(old []byte) ([]byte, bool) { return []byte("x"), true })
	if _, ok := c.Get(k, 5); ok {
		t.Fatal("an entry updated for version 6 served a reader at version 5")
	}
	if _, ok := c.Get(k, 6); ok {
		t.Fatal("hit at version 6 before the pass ended")
	}
	c.EndWrite()
	if v, ok := c.Get(k, 6); !ok || string(v) != "v6" {
		t.Fatalf("Get after the pass = %q, %v", v, ok)
	}
	for _, key := range []string{"other", "absent"} {
		if _, ok := c.Get([]byte(key), 6); ok {
			t.Fatalf("%s: cached by a refused fill or an update of an absent key", key)
		}
	}
	c.BeginWrite(7)
	c.Delete(k)
	c.EndWrite()
	if _, ok := c.Get(k, 7); ok {
		t.Fatal("deleted entry hit")
	}
	st := c.Stats()
	if st.Hits != 3 || st.Entries != 0 {
		t.Fatalf("stats %+v", st)
	}
	var off *RowCache
	off.Fill(k, []byte("v"), 1)
	off.BeginWrite(1)
	off.EndWrite()
	if _, ok := off.Get(k, 1); ok || NewRowCache(0) != nil {
		t.Fatal("an off cache hit")
	}
}

func TestRowCacheEvictsLeastRecentlyUsed(t *testing.T) {
	// One shard's budget holds about 4 entries of this size.
	entry := rowCacheEntryOverhead + 1 + 100
	c := NewRowCache(int64(4*entry+entry/2) * rowCacheShards)
	c.Start(1)
	var keys [][]byte
	for i := 0; len(keys) < 6; i++ {
		k := []byte{byte(i)}
		if c.shard(k) == c.shard([]byte{0}) {
			keys = append(keys, k)
		}
	}
	val := make([]byte, 100)
	for _, k := range keys[:4] {
		c.Fill(k, val, 1)
	}
	c.Get(keys[0], 1) // keys[1] is now the least recently used
	c.Fill(keys[4], val, 1)
	if _, ok := c.Get(keys[1], 1); ok {
		t.Fatal("the least recently used entry was kept")
	}
	for _, k := range [][]byte{keys[0], keys[2], keys[3], keys[4]} {
		if _, ok := c.Get(k, 1); !ok {
			t.Fatalf("%v evicted", k)
		}
	}
	if st := c.Stats(); st.Evictions != 1 || st.Bytes > st.Capacity {
		t.Fatalf("stats %+v", st)
	}
	c.Fill(keys[5], make([]byte, 10*entry), 1) // larger than a shard: not cached
	if _, ok := c.Get(keys[5], 1); ok {
		t.Fatal("an entry larger than the shard was cached")
	}
}

// TestRowCacheConcurrentModel runs one writer (versions of a small
// key/value store, each followed by its pass) against readers that read
// a snapshot version, look the key up and fill it as the server does, and
// checks every value a reader gets from the cache against the store's
// value at the reader's version.
func TestRowCacheConcurrentModel(t *testing.T) {
	const keys, versions, readers = 16, 3000, 4
	c := NewRowCache(1 << 20)
	c.Start(1)
	// history[v][k] is key k's value at version v, published before
	// current moves to v.
	history := make([][keys]string, versions+2)
	for k := range keys {
		history[1][k] = fmt.Sprintf("%d@1", k)
	}
	var current atomic.Uint64
	current.Store(1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var hits, reads atomic.Int64
	errs := make(chan error, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for !stop.Load() {
				v := current.Load() // the reader's snapshot
				reads.Add(1)
				k := rng.IntN(keys)
				key := []byte{byte(k)}
				want := history[v][k]
				if got, ok := c.Get(key, v); ok {
					hits.Add(1)
					if string(got) != want {
						errs <- fmt.Errorf("key %d at version %d: cache %q, store %q", k, v, got, want)
						return
					}
					continue
				}
				c.Fill(key, []byte(want), v)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(99, 1))
	for v := uint64(2); v <= versions; v++ {
		// Let the readers keep up, so that they also read versions the
		// cache is at (on a loaded machine the writer could finish first).
		for reads.Load() < int64(v)*8 && len(errs) == 0 {
			runtime.Gosched()
		}
		history[v] = history[v-1]
		changed := rng.IntN(keys)
		history[v][changed] = fmt.Sprintf("%d@%d", changed, v)
		current.Store(v) // the batch of v committed
		c.BeginWrite(v)
		c.Update([]byte{byte(changed)}, func([]byte) ([]byte, bool) {
			return []byte(history[v][changed]), rng.IntN(4) != 0 // sometimes removed instead
		})
		c.EndWrite()
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if hits.Load() == 0 {
		t.Fatal("no reader ever hit: the model tested nothing")
	}
}
