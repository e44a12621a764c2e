package checkpoint

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/blob"

	"github.com/streamdb/streamdb/sql/types"
)

// Options configure a Checkpointer. Zero fields take the documented
// defaults (EnsureDefaults).
type Options struct {
	// Dir is the checkpoint store URL (checkpoint.dir). Default
	// file://<DataDir>/checkpoints.
	Dir string
	// DataDir is the server's data directory; local checkpoint copies live
	// in <DataDir>/checkpoints-local.
	DataDir string
	// Interval between periodic checkpoints (checkpoint.interval). Default
	// 10s; negative disables periodic checkpoints (CHECKPOINT still works).
	Interval time.Duration
	// MinPause is the least time between the end of one checkpoint and
	// the start of the next periodic one (checkpoint.min_pause). Default 1s.
	MinPause time.Duration
	// Timeout aborts a checkpoint still running after it
	// (checkpoint.timeout). Default 10m.
	Timeout time.Duration
	// Retain is the number of completed checkpoints kept
	// (checkpoint.retain). Default 3.
	Retain int
	// FullEvery makes every FullEvery-th checkpoint self-contained
	// (checkpoint.full_every). Default 100.
	FullEvery int
	// KeepMemtable skips the memtable flush before a capture
	// (checkpoint.flush_memtables = off): the WAL, holding up to a
	// memtable of recent writes, is copied during the capture and uploaded
	// with every checkpoint instead. Shorter checkpoints, more bytes: with
	// a 1 GiB state growing 5 % per 10 s (BenchmarkCheckpointUnderLoad
	// -load.grow_pct 5), duration p50/p99 0.53/1.06 s instead of
	// 1.1-1.4/3.6-4.1 s, but 142 MiB uploaded per checkpoint instead of
	// 88 and a synchronous part of up to 0.7 s instead of 0.3 s.
	KeepMemtable bool
	// UploadConcurrency is the number of files uploaded (or copied
	// server-side) at once. Default 4: object stores answer each request
	// after a round trip, and hashing a file takes a core.
	UploadConcurrency int
	// Logger receives progress and failures. Default slog.Default().
	Logger *slog.Logger
}

// EnsureDefaults fills zero fields.
func (o *Options) EnsureDefaults() {
	if o.Dir == "" {
		o.Dir = FileURL(filepath.Join(o.DataDir, "checkpoints"))
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Second
	}
	if o.MinPause == 0 {
		o.MinPause = time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Retain <= 0 {
		o.Retain = 3
	}
	if o.FullEvery <= 0 {
		o.FullEvery = 100
	}
	if o.UploadConcurrency <= 0 {
		o.UploadConcurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// LocalDir is where local checkpoint copies of a data directory live.
func LocalDir(dataDir string) string { return filepath.Join(dataDir, "checkpoints-local") }

// Capture describes what a Source captured.
type Capture struct {
	// Epoch is the last committed epoch in the captured state store.
	Epoch uint64
	// CatalogVersion is the catalog version in the captured table store.
	CatalogVersion uint64
	// Position identifies the captured contents (for example the epoch
	// and the table store's commit seq): a periodic checkpoint whose
	// Position equals the last one's is skipped, nothing having changed.
	Position string
	// Metadata is copied into the manifest (source offsets and such).
	Metadata map[string]string
}

// Source is what the checkpointer captures: the server, which knows which
// Pebble instances form one consistent state and when they are quiet.
type Source interface {
	// Stores calls fn once per store, holding no lock of the source. The
	// checkpointer flushes the memtables there, before Capture, so that
	// the capture itself (which may stop the dataflow) only hard-links
	// SSTs and copies the little WAL written since.
	Stores(fn func(store string, db *pebble.DB) error) error
	// Capture calls take once per store, in an order and under locks
	// that make the set consistent (the state store at a committed epoch
	// first, then the table store, whose logs then cover at least the
	// offsets that epoch records), and describes what was captured.
	Capture(ctx context.Context, take func(store string, db *pebble.DB) error) (Capture, error)
}

// CompletionListener is an optional interface of a Source: Completed is
// called after a checkpoint's manifest is written and retention ran, with
// the Metadata its Capture returned (the server then truncates the table
// change logs that no retained checkpoint can need).
type CompletionListener interface {
	Completed(metadata map[string]string)
}

// Attempt is one checkpoint (or savepoint) attempt, a row of
// streamdb.checkpoints.
type Attempt struct {
	ID            uint64
	Epoch         uint64
	Kind          string
	Started       time.Time
	Duration      time.Duration
	BytesUploaded int64
	BytesReused   int64
	Files         int
	// Status is "running", "completed", "failed" or "aborted" (timeout).
	Status   string
	Error    string
	Location string

	// Phases of the attempt. Duration is the whole of it, from the start
	// until the manifest is durable in the store (Flink's end-to-end
	// duration); the phases below add up to about it, retention aside.
	Phases Phases
	// Stores breaks the bytes down per store.
	Stores []StoreStat
}

// Phases are the durations of the steps of a checkpoint.
type Phases struct {
	// Flush is the memtable flush of every store before the capture,
	// while the dataflow keeps running.
	Flush time.Duration
	// FirstBarrier is the wait from the request of the capture until the
	// source captured its first store: the end of the epoch in progress
	// (streamdb.checkpoints.time_to_first_barrier).
	FirstBarrier time.Duration
	// Sync is the time spent capturing the stores (hard links, WAL and
	// MANIFEST copies): what the dataflow waits for, the synchronous part
	// (streamdb.checkpoints.alignment_time).
	Sync time.Duration
	// Upload is the asynchronous part: files sent to the store (several
	// at once) and the manifest written.
	Upload time.Duration
	// Retention is the garbage collection after the checkpoint committed;
	// it is not part of Duration.
	Retention time.Duration
}

// StoreStat is what a checkpoint did with one store's files.
type StoreStat struct {
	Name          string
	Files         int
	BytesUploaded int64
	BytesReused   int64
	// BytesSST is the part of BytesUploaded that went to new shared SSTs;
	// the rest is the per-checkpoint files (MANIFEST, WAL, OPTIONS).
	BytesSST int64
}

// Status values of an Attempt.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusAborted   = "aborted"
)

// historySize bounds the attempts kept for streamdb.checkpoints.
const historySize = 100

// Checkpointer takes checkpoints of a Source into a store, one at a time.
type Checkpointer struct {
	opts   Options
	src    Source
	bucket *blob.Bucket
	logger *slog.Logger

	// mu serialises checkpoints, savepoints and retention; the fields
	// below it are guarded by it.
	mu           sync.Mutex
	nextID       uint64
	lastFullID   uint64
	lastPosition string
	lastEnd      time.Time
	// shared indexes the objects under shared/ known to hold the bytes a
	// manifest recorded for them: verified against the store at start,
	// extended by uploads, trimmed by garbage collection.
	shared map[string]File

	histMu  sync.Mutex
	history []Attempt

	metrics metrics

	trigger chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started bool
	closed  atomic.Bool
}

type metrics struct {
	duration     prometheus.Histogram
	syncDuration prometheus.Histogram
	uploaded     prometheus.Counter
	reused       prometheus.Counter
	failures     prometheus.Counter
	total        prometheus.Counter
}

// New opens the store and indexes the shared files that retained
// manifests reference. It does not start the periodic loop (Start).
func New(ctx context.Context, opts Options, src Source) (*Checkpointer, error) {
	opts.EnsureDefaults()
	b, err := OpenBucket(ctx, opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Checkpointer{
		opts: opts, src: src, bucket: b, logger: opts.Logger, shared: map[string]File{},
		trigger: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		nextID: 1,
	}
	c.metrics = metrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "streamdb_checkpoint_duration_seconds", Help: "Duration of completed checkpoints.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "streamdb_checkpoint_sync_duration_seconds", Help: "Synchronous part of completed checkpoints: the store captures the dataflow waits for.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamdb_checkpoint_uploaded_bytes_total", Help: "Bytes uploaded to the checkpoint store.",
		}),
		reused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamdb_checkpoint_reused_bytes_total", Help: "Bytes of shared SSTs a checkpoint referenced without uploading.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamdb_checkpoint_failures_total", Help: "Checkpoints that failed or timed out.",
		}),
		total: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamdb_checkpoints_total", Help: "Checkpoints completed.",
		}),
	}
	if err := c.loadIndex(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	return c, nil
}

// Collectors are the checkpointer's Prometheus metrics.
func (c *Checkpointer) Collectors() []prometheus.Collector {
	m := c.metrics
	return []prometheus.Collector{m.duration, m.syncDuration, m.uploaded, m.reused, m.failures, m.total}
}

// loadIndex reads the manifests in the store: the next id follows every
// chk-<id>/ prefix present (committed or not), the newest full checkpoint
// is remembered, and every shared object a readable manifest references
// and the store holds at the recorded size enters the index.
func (c *Checkpointer) loadIndex(ctx context.Context) error {
	ids, err := listCheckpointIDs(ctx, c.bucket)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		c.nextID = ids[0] + 1
	}
	present, err := listObjects(ctx, c.bucket, sharedPrefix)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, found, err := readManifest(ctx, c.bucket, id)
		if err != nil {
			c.logger.Warn("checkpoint manifest unreadable; its shared files will be uploaded again", "id", id, "err", err)
			continue
		}
		if !found {
			continue
		}
		if (m.Kind == KindFull) && m.ID > c.lastFullID {
			c.lastFullID = m.ID
		}
		for _, s := range m.Stores {
			for _, f := range s.Files {
				key := f.Key
				if f.Shared != "" {
					key = f.Shared
				}
				if size, ok := present[key]; ok && size == f.Size && strings.HasPrefix(key, sharedPrefix) {
					f.Key, f.Shared = key, ""
					c.shared[key] = f
				}
			}
		}
	}
	return nil
}

// Start runs periodic checkpoints in the background until Close.
func (c *Checkpointer) Start() {
	c.started = true
	go c.loop()
}

func (c *Checkpointer) loop() {
	defer close(c.done)
	var tick <-chan time.Time
	if c.opts.Interval > 0 {
		t := time.NewTicker(c.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-c.stop:
			return
		case <-tick:
		}
		c.mu.Lock()
		wait := c.opts.MinPause - time.Since(c.lastEnd)
		c.mu.Unlock()
		if wait > 0 {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if _, err := c.checkpoint(ctx, false); err != nil {
			select {
			case <-c.stop:
				// Close aborted it: the checkpoint is simply not taken
				// (nothing was committed), which is not an error to alert on.
				c.logger.Info("checkpoint abandoned: shutting down", "err", err)
			default:
				c.logger.Error("checkpoint failed", "err", err)
			}
		}
		cancel()
	}
}

// Close stops the periodic loop (aborting a checkpoint in progress) and
// closes the store.
func (c *Checkpointer) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(c.stop)
	if c.started {
		<-c.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bucket.Close()
}

// Checkpoint takes a checkpoint now (CHECKPOINT;), waiting for one in
// progress to end first, and returns its record.
func (c *Checkpointer) Checkpoint(ctx context.Context) (Attempt, error) {
	return c.checkpoint(ctx, true)
}

// History returns the recorded attempts, oldest first.
func (c *Checkpointer) History() []Attempt {
	c.histMu.Lock()
	defer c.histMu.Unlock()
	return append([]Attempt(nil), c.history...)
}

// record adds or updates attempt a (matched by Started and Kind).
func (c *Checkpointer) record(a Attempt) {
	c.histMu.Lock()
	defer c.histMu.Unlock()
	for i := len(c.history) - 1; i >= 0; i-- {
		if c.history[i].Started.Equal(a.Started) && c.history[i].Kind == a.Kind && c.history[i].ID == a.ID {
			c.history[i] = a
			return
		}
	}
	c.history = append(c.history, a)
	if len(c.history) > historySize {
		c.history = append(c.history[:0], c.history[len(c.history)-historySize:]...)
	}
}

// errUnchanged skips a periodic checkpoint when nothing changed.
var errUnchanged = errors.New("nothing changed since the last checkpoint")

// checkpoint runs one checkpoint under c.mu.
func (c *Checkpointer) checkpoint(ctx context.Context, forced bool) (Attempt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	id := c.nextID
	a := Attempt{ID: id, Kind: KindIncremental, Started: time.Now(), Status: StatusRunning, Location: redactURL(c.opts.Dir)}
	full := c.lastFullID == 0 || id-c.lastFullID >= uint64(c.opts.FullEvery)
	if full {
		a.Kind = KindFull
	}
	m, err := c.capture(ctx, id, forced, &a)
	if errors.Is(err, errUnchanged) {
		return Attempt{}, nil
	}
	c.nextID++
	if err == nil {
		c.record(a)
		uploadStart := time.Now()
		err = c.upload(ctx, m, full, &a)
		a.Phases.Upload = time.Since(uploadStart)
	}
	c.lastEnd = time.Now()
	a.Duration = c.lastEnd.Sub(a.Started)
	if err != nil {
		a.Status, a.Error = StatusFailed, err.Error()
		if ctx.Err() == context.DeadlineExceeded {
			a.Status = StatusAborted
			err = types.Errorf(types.CodeQueryCanceled, "checkpoint %d aborted after checkpoint.timeout (%s): %v", id, c.opts.Timeout, err)
		}
		c.metrics.failures.Inc()
		c.record(a)
		// The manifest was not written: what was uploaded is garbage that
		// the next retention pass removes. The local copy goes now.
		_ = os.RemoveAll(c.localDir(id))
		return a, err
	}
	a.Status = StatusCompleted
	c.metrics.total.Inc()
	c.metrics.duration.Observe(a.Duration.Seconds())
	c.metrics.syncDuration.Observe(a.Phases.Sync.Seconds())
	c.lastPosition = m.Metadata[positionKey]
	if full {
		c.lastFullID = id
	}
	// Completed as soon as the manifest is durable; retention follows.
	c.record(a)
	retainStart := time.Now()
	if err := c.retain(ctx); err != nil {
		c.logger.Warn("checkpoint retention failed", "err", err)
	}
	c.pruneLocal(id)
	a.Phases.Retention = time.Since(retainStart)
	c.record(a)
	listenerStart := time.Now()
	if l, ok := c.src.(CompletionListener); ok {
		l.Completed(m.Metadata)
	}
	perStore := make([]any, 0, 2*len(a.Stores))
	for _, st := range a.Stores {
		perStore = append(perStore, st.Name+"_uploaded", st.BytesUploaded, st.Name+"_total", st.BytesUploaded+st.BytesReused)
	}
	c.logger.Info("checkpoint completed", append([]any{"id", id, "epoch", a.Epoch, "kind", a.Kind, "duration", a.Duration,
		"bytes_uploaded", a.BytesUploaded, "bytes_reused", a.BytesReused, "files", a.Files,
		"flush", a.Phases.Flush, "first_barrier", a.Phases.FirstBarrier, "sync", a.Phases.Sync,
		"upload", a.Phases.Upload, "retention", a.Phases.Retention, "completion_listener", time.Since(listenerStart)}, perStore...)...)
	return a, nil
}

// positionKey records Capture.Position in the manifest metadata.
const positionKey = "position"

func (c *Checkpointer) localDir(id uint64) string {
	return filepath.Join(LocalDir(c.opts.DataDir), "chk-"+strconv.FormatUint(id, 10))
}

// capture makes the local Pebble checkpoints of checkpoint id and returns
// the manifest skeleton (no files yet).
func (c *Checkpointer) capture(ctx context.Context, id uint64, forced bool, a *Attempt) (*Manifest, error) {
	dir := c.localDir(id)
	if err := os.RemoveAll(dir); err != nil {
		return nil, errors.Wrapf(err, "clearing %s", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrapf(err, "creating %s", dir)
	}
	m, err := captureInto(ctx, c.src, dir, id, a.Kind, !c.opts.KeepMemtable, &a.Phases)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if !forced && m.Metadata[positionKey] != "" && m.Metadata[positionKey] == c.lastPosition {
		_ = os.RemoveAll(dir)
		return nil, errUnchanged
	}
	a.Epoch = m.Epoch
	return m, nil
}

// captureInto asks src for Pebble checkpoints in dir/<store> and returns
// the manifest without files. With flush, every store's memtable is
// flushed first, while the source runs on: what Capture then copies as WAL
// is only what was written since, and the capture, which may hold the
// dataflow still, is hard links and small copies.
func captureInto(ctx context.Context, src Source, dir string, id uint64, kind string, flush bool, ph *Phases) (*Manifest, error) {
	if flush {
		start := time.Now()
		// The stores flush concurrently.
		type flushing struct {
			store string
			done  <-chan struct{}
		}
		var started []flushing
		err := src.Stores(func(store string, db *pebble.DB) error {
			done, err := db.AsyncFlush()
			if err != nil {
				return types.WithCode(errors.Wrapf(err, "flushing the %s store", store), types.CodeIOError)
			}
			started = append(started, flushing{store, done})
			return nil
		})
		for _, f := range started {
			select {
			case <-f.done:
			case <-ctx.Done():
				if err == nil {
					err = types.WithCode(errors.Wrapf(ctx.Err(), "flushing the %s store", f.store), types.CodeQueryCanceled)
				}
			}
		}
		ph.Flush = time.Since(start)
		if err != nil {
			return nil, err
		}
	}
	var names []string
	requested := time.Now()
	capt, err := src.Capture(ctx, func(store string, db *pebble.DB) error {
		start := time.Now()
		if len(names) == 0 {
			ph.FirstBarrier = start.Sub(requested)
		}
		defer func() { ph.Sync += time.Since(start) }()
		if !validName(store) {
			return errors.AssertionFailedf("bad store name %q", store)
		}
		names = append(names, store)
		// WithFlushedWAL syncs the WAL so that the copy holds every
		// committed write: the store's state at this point, whole.
		if err := db.Checkpoint(filepath.Join(dir, store), pebble.WithFlushedWAL()); err != nil {
			return types.WithCode(errors.Wrapf(err, "checkpointing the %s store", store), types.CodeIOError)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := &Manifest{
		FormatVersion: FormatVersion, ID: id, Epoch: capt.Epoch, Created: time.Now().UTC(), Kind: kind,
		CatalogVersion: capt.CatalogVersion, Metadata: map[string]string{},
	}
	for k, v := range capt.Metadata {
		m.Metadata[k] = v
	}
	if capt.Position != "" {
		m.Metadata[positionKey] = capt.Position
	}
	for _, n := range names {
		m.Stores = append(m.Stores, StoreFiles{Name: n})
	}
	return m, nil
}

// isSST reports whether a Pebble file is an immutable sstable (or blob
// file), safe to share between checkpoints by name.
func isSST(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

// localFiles lists the regular files of a captured store directory,
// sorted by name.
func localFiles(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "listing %s", dir)
	}
	out := entries[:0]
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// uploadJob is one file of a captured store: where it goes and what the
// manifest records for it once done.
type uploadJob struct {
	store int // index in Manifest.Stores and Attempt.Stores
	local string
	// key is the object written (shared/ for a new SST, chk-<id>/ for the
	// per-checkpoint files); empty when a shared object is reused.
	key string
	// copyTo, for a full checkpoint, is the chk-<id>/ key the shared SST
	// is copied to server-side.
	copyTo string
	file   File
	wal    bool
	sst    bool
}

// upload sends the files of the captured checkpoint m, several at once,
// then its manifest, and leaves a copy of the manifest in the local
// directory (which makes it usable for local recovery).
func (c *Checkpointer) upload(ctx context.Context, m *Manifest, full bool, a *Attempt) error {
	dir := c.localDir(m.ID)
	a.Stores = make([]StoreStat, len(m.Stores))
	var jobs []*uploadJob
	for si := range m.Stores {
		s := &m.Stores[si]
		a.Stores[si].Name = s.Name
		sdir := filepath.Join(dir, s.Name)
		entries, err := localFiles(sdir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			j := &uploadJob{store: si, local: filepath.Join(sdir, name), file: File{Name: name}}
			own := chkDir(m.ID) + s.Name + "/" + name
			if !isSST(name) {
				j.key, j.wal = own, strings.HasSuffix(name, ".log")
				jobs = append(jobs, j)
				continue
			}
			info, err := e.Info()
			if err != nil {
				return errors.Wrapf(err, "reading %s", j.local)
			}
			key := sharedKey(s.Name, name)
			j.sst = true
			if f, ok := c.shared[key]; ok && f.Size == info.Size() {
				j.file = f
			} else {
				j.key = key
			}
			if full {
				j.copyTo = own
			}
			jobs = append(jobs, j)
		}
	}
	if err := c.runUploads(ctx, jobs); err != nil {
		return err
	}
	for _, j := range jobs {
		st := &a.Stores[j.store]
		st.Files++
		switch {
		case j.key == "":
			st.BytesReused += j.file.Size
		case j.sst:
			st.BytesUploaded += j.file.Size
			st.BytesSST += j.file.Size
			c.shared[j.key] = File{Name: j.file.Name, Key: j.file.Key, Size: j.file.Size, SHA256: j.file.SHA256}
		default:
			st.BytesUploaded += j.file.Size
		}
		f := j.file
		if j.copyTo != "" {
			f.Key, f.Shared = j.copyTo, f.Key
		}
		m.Stores[j.store].Files = append(m.Stores[j.store].Files, f)
	}
	for _, st := range a.Stores {
		a.Files += st.Files
		a.BytesUploaded += st.BytesUploaded
		a.BytesReused += st.BytesReused
		c.metrics.uploaded.Add(float64(st.BytesUploaded))
		c.metrics.reused.Add(float64(st.BytesReused))
	}
	data, err := EncodeManifest(m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.bucket.WriteAll(ctx, manifestKey(m.ID), data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return storeError(err, "writing", manifestKey(m.ID))
	}
	if err := os.WriteFile(filepath.Join(dir, manifestName), data, 0o644); err != nil {
		c.logger.Warn("writing the local checkpoint manifest", "err", err)
	}
	return nil
}

// runUploads runs the jobs on Options.UploadConcurrency goroutines; the
// first error cancels the others and is returned.
func (c *Checkpointer) runUploads(ctx context.Context, jobs []*uploadJob) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *uploadJob)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range min(c.opts.UploadConcurrency, max(len(jobs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if err := c.runUpload(ctx, j); err != nil {
					fail(err)
				}
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// runUpload sends one file (unless its shared object is reused) and makes
// the full checkpoint's server-side copy.
func (c *Checkpointer) runUpload(ctx context.Context, j *uploadJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.key != "" {
		if j.wal {
			if err := trimRecycledWAL(j.local); err != nil {
				return err
			}
		}
		n, sum, err := uploadFile(ctx, c.bucket, j.key, j.local)
		if err != nil {
			return err
		}
		j.file = File{Name: j.file.Name, Key: j.key, Size: n, SHA256: sum}
	}
	if j.copyTo != "" {
		// A server-side copy: the shared object stays for the
		// incremental checkpoints that follow.
		if err := c.bucket.Copy(ctx, j.copyTo, j.file.Key, nil); err != nil {
			return storeError(err, "copying", j.file.Key)
		}
	}
	return nil
}

// pruneLocal removes every local checkpoint directory but keep's (local
// recovery only ever uses the newest).
func (c *Checkpointer) pruneLocal(keep uint64) {
	root := LocalDir(c.opts.DataDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if id, ok := parseChkDir(e.Name()); ok && id != keep {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				c.logger.Warn("removing an old local checkpoint", "dir", e.Name(), "err", err)
			}
		}
	}
}
