package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/state"
)

// TestTrimRecycledWAL checks that a checkpoint's WAL, copied from a
// recycled log file, is cut to its live records and still replays them.
func TestTrimRecycledWAL(t *testing.T) {
	// The stores do not recycle WAL files by default any more; a store
	// that does (state.Options.RecycleWAL) still gets its copy trimmed.
	before, after := checkpointWALAfterLogs(t, true)
	if before < 512<<10 {
		t.Fatalf("the WAL was not recycled (%d bytes): the test no longer covers the stale tail", before)
	}
	if after*10 > before {
		t.Fatalf("trimmed WAL still %d of %d bytes", after, before)
	}
}

// TestCheckpointWALWithoutRecycling checks that a store with the default
// options (no WAL recycling) gives checkpoints a WAL of its live records
// only: nothing for Pebble's Checkpoint to copy and sync beyond them.
func TestCheckpointWALWithoutRecycling(t *testing.T) {
	before, after := checkpointWALAfterLogs(t, false)
	if before != after || before > 64<<10 {
		t.Fatalf("the checkpoint's WAL has %d bytes, %d of them live: a stale tail was copied", before, after)
	}
}

// checkpointWALAfterLogs fills and flushes several 1 MiB memtables, writes
// a few live records, checkpoints the store and returns the size of the
// checkpoint's WAL before and after trimming (checking that the live and
// flushed records are there).
func checkpointWALAfterLogs(t *testing.T, recycle bool) (before, after int64) {
	opts := state.DefaultOptions()
	opts.NoSync = true
	opts.MemtableSize = 1 << 20
	opts.RecycleWAL = recycle
	st, err := state.Open(filepath.Join(t.TempDir(), "db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	val := make([]byte, 1024)
	// Fill several logs and flush them so the next logs are recycled
	// files with stale tails.
	for round := 0; round < 4; round++ {
		for i := 0; i < 2000; i++ {
			if err := db.Set([]byte(fmt.Sprintf("k%d-%05d", round, i)), val, pebble.NoSync); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Live records after the last flush: only in the WAL.
	for i := 0; i < 10; i++ {
		if err := db.Set([]byte(fmt.Sprintf("live-%d", i)), []byte("v"), pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "chk")
	if err := db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) == 0 {
		t.Fatal("checkpoint has no WAL")
	}
	for _, l := range logs {
		info, _ := os.Stat(l)
		before += info.Size()
		if err := trimRecycledWAL(l); err != nil {
			t.Fatal(err)
		}
		info, _ = os.Stat(l)
		after += info.Size()
	}
	t.Logf("WAL bytes in the checkpoint: %d before trimming, %d after", before, after)
	restored, err := pebble.Open(dir, &pebble.Options{Logger: quietPebble{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for i := 0; i < 10; i++ {
		v, closer, err := restored.Get([]byte(fmt.Sprintf("live-%d", i)))
		if err != nil {
			t.Fatalf("live-%d lost by trimming: %v", i, err)
		}
		if string(v) != "v" {
			t.Fatalf("live-%d = %q", i, v)
		}
		closer.Close()
	}
	if _, closer, err := restored.Get([]byte("k3-01999")); err != nil {
		t.Fatalf("flushed key lost: %v", err)
	} else {
		closer.Close()
	}
	return before, after
}

// quietPebble sends Pebble's log lines to the test log.
type quietPebble struct{ t *testing.T }

func (q quietPebble) Infof(format string, args ...any)  { q.t.Logf(format, args...) }
func (q quietPebble) Errorf(format string, args ...any) { q.t.Logf(format, args...) }
func (q quietPebble) Fatalf(format string, args ...any) { q.t.Fatalf(format, args...) }
