package checkpoint

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/state"
)

var (
	loadStateMB     = flag.Int("load.state_mb", 1024, "BenchmarkCheckpointUnderLoad: state store size at the start, MiB of values")
	loadValue       = flag.Int("load.value_bytes", 512, "BenchmarkCheckpointUnderLoad: value size")
	loadEpoch       = flag.Duration("load.epoch", time.Second, "BenchmarkCheckpointUnderLoad: epoch length (the server's barrier_interval)")
	loadBusy        = flag.Float64("load.busy", 0.9, "BenchmarkCheckpointUnderLoad: share of each epoch the epoch lock is held (the dataflow computing); 1 = epochs back to back")
	loadUpdatePct   = flag.Float64("load.update_pct", 1, "BenchmarkCheckpointUnderLoad: percent of the keys rewritten per checkpoint interval")
	loadGrowPct     = flag.Float64("load.grow_pct", 0, "BenchmarkCheckpointUnderLoad: percent of the initial state added as new keys per checkpoint interval")
	loadLogMBs      = flag.Float64("load.log_mb_s", 2, "BenchmarkCheckpointUnderLoad: MiB/s appended to the table store (the table change logs)")
	loadCheckpoints = flag.Int("load.checkpoints", 10, "BenchmarkCheckpointUnderLoad: checkpoints measured")
	loadInterval    = flag.Duration("load.interval", 10*time.Second, "BenchmarkCheckpointUnderLoad: checkpoint interval")
	loadConcurrency = flag.Int("load.upload_concurrency", 0, "BenchmarkCheckpointUnderLoad: Options.UploadConcurrency (0: default)")
	loadCaptureLock = flag.String("load.capture_lock", "commit", "BenchmarkCheckpointUnderLoad: lock the capture takes: \"commit\" (held around each epoch's commit, as the server does) or \"epoch\" (held through whole epochs, as the server did before)")
)

// loadSource models the server under ingest: a state store written one
// epoch at a time by a committer that holds the epoch lock while it
// "computes" (like the view coordinator's mutex, held through whole
// epochs), and a table store appended to continuously (the table change
// logs, committed outside that lock). Capture takes the commit lock, held
// only around each epoch's commit, as the server's checkpointSource does
// (or, with -load.capture_lock epoch, the epoch lock: it then waits for the
// epoch in progress, as the server did before).
type loadSource struct {
	dir    string
	state  *state.Store
	tables *state.Store

	mu       sync.Mutex // the epoch lock, held while an epoch computes and commits
	commitMu sync.Mutex // held around an epoch's commit
	epoch    uint64
}

func (s *loadSource) Stores(fn func(string, *pebble.DB) error) error {
	if err := fn("state", s.state.DB()); err != nil {
		return err
	}
	return fn("tables", s.tables.DB())
}

func (s *loadSource) Capture(ctx context.Context, take func(string, *pebble.DB) error) (Capture, error) {
	lock := &s.commitMu
	if *loadCaptureLock == "epoch" {
		lock = &s.mu
	}
	lock.Lock()
	err := take("state", s.state.DB())
	epoch := s.epoch
	lock.Unlock()
	if err != nil {
		return Capture{}, err
	}
	if err := take("tables", s.tables.DB()); err != nil {
		return Capture{}, err
	}
	return Capture{Epoch: epoch, Position: fmt.Sprint(epoch, time.Now().UnixNano())}, nil
}

// stateKey spreads key k over the key space as the server's state keys
// are: table id | key group (a hash) | key.
func stateKey(buf []byte, k uint64) []byte {
	h := fnv.New32a()
	var kb [8]byte
	binary.BigEndian.PutUint64(kb[:], k)
	_, _ = h.Write(kb[:])
	buf = binary.BigEndian.AppendUint32(buf[:0], 1<<31|42<<8)
	buf = binary.BigEndian.AppendUint16(buf, uint16(h.Sum32()%128))
	return append(buf, kb[:]...)
}

// BenchmarkCheckpointUnderLoad measures periodic checkpoints of a state
// store of -load.state_mb MiB while epochs commit to it and the table store
// grows, with the server's store options (state.DefaultOptions) and
// synced commits. It reports the checkpoint duration p50/p99, its phases
// (flush, time to first barrier, synchronous capture, upload, retention)
// and the bytes uploaded per checkpoint as a share of each store.
//
//	go test -run '^$' -bench CheckpointUnderLoad -benchtime 1x ./checkpoint/ -args -load.state_mb 1024
func BenchmarkCheckpointUnderLoad(b *testing.B) {
	dir := b.TempDir()
	open := func(name string) *state.Store {
		st, err := state.Open(filepath.Join(dir, name), state.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		return st
	}
	src := &loadSource{dir: dir, state: open("state"), tables: open("tables")}
	valueSize := *loadValue
	keys := uint64(*loadStateMB) << 20 / uint64(valueSize)
	r := mrand.New(mrand.NewPCG(7, 8))
	val := make([]byte, valueSize)
	fill := func() {
		for i := 0; i < len(val); i += 8 {
			binary.LittleEndian.PutUint64(val[i:], r.Uint64())
		}
	}
	var kbuf []byte
	loadStart := time.Now()
	for start := uint64(0); start < keys; start += 20_000 {
		batch := src.state.DB().NewBatch()
		for k := start; k < min(start+20_000, keys); k++ {
			fill()
			kbuf = stateKey(kbuf, k)
			if err := batch.Set(kbuf, val, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(pebble.NoSync); err != nil {
			b.Fatal(err)
		}
	}
	if err := src.state.DB().Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded and compacted %d keys of %d bytes (%d MiB) in %v", keys, valueSize, int(keys)*valueSize>>20, time.Since(loadStart))

	c := newLoadCheckpointer(b, src)
	first := time.Now()
	if _, err := c.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("first (full) checkpoint in %v", time.Since(first))

	// The load: epochs on the state store, appends to the table store.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	epochsPerInterval := float64(*loadInterval) / float64(*loadEpoch)
	updatesPerEpoch := int(float64(keys) * *loadUpdatePct / 100 / epochsPerInterval)
	growPerEpoch := int(float64(keys) * *loadGrowPct / 100 / epochsPerInterval)
	nextKey := keys
	var epochDurs []time.Duration
	wg.Add(2)
	go func() {
		defer wg.Done()
		er := mrand.New(mrand.NewPCG(9, 10))
		ev := make([]byte, valueSize)
		var ek []byte
		t := time.NewTicker(*loadEpoch)
		defer t.Stop()
		for ctx.Err() == nil {
			start := time.Now()
			src.mu.Lock()
			batch := src.state.DB().NewBatch()
			for i := 0; i < updatesPerEpoch+growPerEpoch; i++ {
				k := er.Uint64N(keys)
				if i >= updatesPerEpoch {
					k = nextKey
					nextKey++
				}
				for j := 0; j < len(ev); j += 8 {
					binary.LittleEndian.PutUint64(ev[j:], er.Uint64())
				}
				ek = stateKey(ek, k)
				_ = batch.Set(ek, ev, nil)
			}
			// The rest of the epoch's computation, lock held.
			if busy := time.Duration(float64(*loadEpoch)**loadBusy) - time.Since(start); busy > 0 {
				time.Sleep(busy)
			}
			src.commitMu.Lock()
			if err := batch.Commit(pebble.Sync); err != nil {
				b.Error(err)
			}
			src.epoch++
			src.commitMu.Unlock()
			src.mu.Unlock()
			epochDurs = append(epochDurs, time.Since(start))
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}()
	go func() {
		defer wg.Done()
		// Table commits of 64 KiB every few milliseconds.
		const commit = 64 << 10
		per := time.Duration(float64(time.Second) / (*loadLogMBs * (1 << 20) / commit))
		lr := mrand.New(mrand.NewPCG(11, 12))
		row := make([]byte, 200)
		seq := uint64(0)
		var lk [16]byte
		t := time.NewTicker(per)
		defer t.Stop()
		for ctx.Err() == nil {
			batch := src.tables.DB().NewBatch()
			for n := 0; n < commit; n += len(row) {
				for j := 0; j < len(row); j += 8 {
					binary.LittleEndian.PutUint64(row[j:], lr.Uint64())
				}
				seq++
				binary.BigEndian.PutUint64(lk[:8], 7)
				binary.BigEndian.PutUint64(lk[8:], seq)
				_ = batch.Set(lk[:], row, nil)
			}
			if err := batch.Commit(pebble.Sync); err != nil {
				b.Error(err)
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}()

	var attempts []Attempt
	b.ResetTimer()
	tick := time.NewTicker(*loadInterval)
	for len(attempts) < *loadCheckpoints {
		<-tick.C
		a, err := c.Checkpoint(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		attempts = append(attempts, a)
		if testing.Verbose() {
			b.Logf("checkpoint %d: %v (flush %v, first barrier %v, sync %v, upload %v, retention %v), %s",
				a.ID, a.Duration.Round(time.Millisecond), a.Phases.Flush.Round(time.Millisecond), a.Phases.FirstBarrier.Round(time.Millisecond),
				a.Phases.Sync.Round(time.Millisecond), a.Phases.Upload.Round(time.Millisecond), a.Phases.Retention.Round(time.Millisecond), storeLine(a))
		}
	}
	tick.Stop()
	b.StopTimer()
	cancel()
	wg.Wait()

	pct := func(get func(Attempt) time.Duration, p float64) time.Duration {
		ds := make([]time.Duration, len(attempts))
		for i, a := range attempts {
			ds[i] = get(a)
		}
		return percentile(ds, p)
	}
	report := func(name string, get func(Attempt) time.Duration) {
		b.ReportMetric(pct(get, 50).Seconds(), name+"_p50_s")
		b.ReportMetric(pct(get, 99).Seconds(), name+"_p99_s")
	}
	report("duration", func(a Attempt) time.Duration { return a.Duration })
	report("sync", func(a Attempt) time.Duration { return a.Phases.Sync })
	report("first_barrier", func(a Attempt) time.Duration { return a.Phases.FirstBarrier })
	report("flush", func(a Attempt) time.Duration { return a.Phases.Flush })
	report("upload", func(a Attempt) time.Duration { return a.Phases.Upload })
	report("retention", func(a Attempt) time.Duration { return a.Phases.Retention })
	for _, name := range []string{"state", "tables"} {
		var up, total, sst int64
		for _, a := range attempts {
			for _, st := range a.Stores {
				if st.Name == name {
					up += st.BytesUploaded
					sst += st.BytesSST
					total += st.BytesUploaded + st.BytesReused
				}
			}
		}
		b.ReportMetric(100*float64(up)/float64(max(total, 1)), "%uploaded_"+name)
		b.ReportMetric(float64(up)/float64(len(attempts))/(1<<20), "MiB_uploaded/ckpt_"+name)
		b.ReportMetric(float64(total)/float64(len(attempts))/(1<<20), "MiB_"+name)
	}
	b.ReportMetric(percentile(epochDurs, 99).Seconds(), "epoch_p99_s")
	b.Logf("%d checkpoints every %v: duration p50 %v p99 %v; sync p99 %v; first barrier p99 %v; flush p99 %v; upload p99 %v; epochs %d, p99 %v",
		len(attempts), *loadInterval, pct(func(a Attempt) time.Duration { return a.Duration }, 50),
		pct(func(a Attempt) time.Duration { return a.Duration }, 99), pct(func(a Attempt) time.Duration { return a.Phases.Sync }, 99),
		pct(func(a Attempt) time.Duration { return a.Phases.FirstBarrier }, 99), pct(func(a Attempt) time.Duration { return a.Phases.Flush }, 99),
		pct(func(a Attempt) time.Duration { return a.Phases.Upload }, 99), len(epochDurs), percentile(epochDurs, 99))
	// The stores close in the cleanups, before b.TempDir is removed.
}

func newLoadCheckpointer(b *testing.B, src *loadSource) *Checkpointer {
	opts := Options{Dir: FileURL(filepath.Join(src.dir, "store")), DataDir: src.dir, Interval: -1, MinPause: -1,
		UploadConcurrency: *loadConcurrency, KeepMemtable: *benchKeepMemtable, Logger: quietLogger()}
	c, err := New(context.Background(), opts, src)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

func storeLine(a Attempt) string {
	s := ""
	for _, st := range a.Stores {
		s += fmt.Sprintf("%s: %.1f MiB uploaded (%.1f MiB SSTs) of %.1f MiB; ", st.Name,
			float64(st.BytesUploaded)/(1<<20), float64(st.BytesSST)/(1<<20), float64(st.BytesUploaded+st.BytesReused)/(1<<20))
	}
	return s
}

// percentile is the nearest-rank percentile p (0-100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
