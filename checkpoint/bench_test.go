package checkpoint

import (
	"context"
	"crypto/rand"
	"flag"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/state"
)

var (
	benchStateMB      = flag.Int("checkpoint.state_mb", 256, "BenchmarkCheckpoint: size of the state store in MiB (1 KiB incompressible values)")
	benchKeepMemtable = flag.Bool("checkpoint.keep_memtable", false, "BenchmarkCheckpoint: Options.KeepMemtable")
	benchL0           = flag.Int("checkpoint.l0_threshold", 0, "BenchmarkCheckpoint: state.Options.L0CompactionThreshold")
	benchLBase        = flag.Int64("checkpoint.lbase_mb", 0, "BenchmarkCheckpoint: state.Options.LBaseMaxBytes in MiB")
	benchMult         = flag.Int("checkpoint.level_multiplier", 0, "BenchmarkCheckpoint: state.Options.LevelMultiplier")
	benchCount        = flag.Int("checkpoint.count", 0, "BenchmarkCheckpoint: incremental checkpoints per run instead of b.N (use with -benchtime 1x for large states: the state is loaded once)")
)

// BenchmarkCheckpoint measures incremental checkpoints of a state store of
// -checkpoint.state_mb MiB into a file:// store, with 1% of the keys
// rewritten between checkpoints, and restore from the local copy and from
// the store. Reported: bytes uploaded per checkpoint as a share of the
// state, and the restore times.
func BenchmarkCheckpoint(b *testing.B) {
	const valueSize = 1024
	keys := *benchStateMB << 10
	// The server's default memtable (64 MiB).
	src := newTestSourceMemtable(b, state.DefaultOptions().MemtableSize)
	r := mrand.New(mrand.NewPCG(5, 6))
	val := make([]byte, valueSize)
	write := func(ks []int) {
		for start := 0; start < len(ks); start += 10_000 {
			end := min(start+10_000, len(ks))
			err := src.stores["state"].Write(func(batch *pebble.Batch) error {
				for _, k := range ks[start:end] {
					_, _ = rand.Read(val)
					if err := batch.Set(testKey(k), val, nil); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		src.epoch++
	}
	loadStart := time.Now()
	write(r.Perm(keys))
	src.write("tables", seq(0, 1000), 0)
	// Settle the compactions of the load, so that they are not charged to
	// the checkpoints measured.
	if err := src.stores["state"].DB().Compact(context.Background(), []byte("a"), []byte("z"), true); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded and compacted %d keys (%d MiB of values) in %v", keys, keys*valueSize>>20, time.Since(loadStart))
	url := FileURL(filepath.Join(b.TempDir(), "store"))
	c := newCheckpointer(b, src, url, func(o *Options) { o.KeepMemtable = *benchKeepMemtable })
	first := time.Now()
	a := mustCheckpoint(b, c)
	b.Logf("first (full) checkpoint: %d bytes uploaded in %v", a.BytesUploaded, time.Since(first))
	b.ResetTimer()
	var uploaded, total int64
	var dur time.Duration
	n := b.N
	if *benchCount > 0 {
		n = *benchCount
	}
	for i := 0; i < n; i++ {
		b.StopTimer()
		write(randomKeys(r, keys, keys/100))
		b.StartTimer()
		a := mustCheckpoint(b, c)
		uploaded += a.BytesUploaded
		if testing.Verbose() {
			b.Logf("checkpoint %d: %d bytes uploaded, %d reused, %d files, %v", i, a.BytesUploaded, a.BytesReused, a.Files, a.Duration)
		}
		total += a.BytesUploaded + a.BytesReused
		dur += a.Duration
	}
	b.StopTimer()
	b.ReportMetric(100*float64(uploaded)/float64(total), "%uploaded")
	b.ReportMetric(float64(uploaded)/float64(n), "B_uploaded/op")
	b.ReportMetric(float64(total)/float64(n), "B_state/op")

	// Restore: from the local copy (hard links), then from the store.
	src.close()
	start := time.Now()
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: src.dir, Stores: storeNames, LocalDir: LocalDir(src.dir), Logger: quietLogger()})
	if err != nil || !res.FromLocal {
		b.Fatalf("local restore: %+v %v", res, err)
	}
	local := time.Since(start)
	dst := b.TempDir()
	start = time.Now()
	res, err = Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil || res.FromLocal {
		b.Fatalf("store restore: %+v %v", res, err)
	}
	remote := time.Since(start)
	b.ReportMetric(local.Seconds(), "s_restore_local")
	b.ReportMetric(remote.Seconds(), "s_restore_store")
	b.Logf("checkpoints: %.2f%% of %d state bytes uploaded on average, %v each; restore %v from the local copy, %v (%d bytes) from the store",
		100*float64(uploaded)/float64(total), total/int64(n), dur/time.Duration(n), local, remote, res.BytesDownloaded)
	_ = os.RemoveAll(dst)
}
