package nexmark

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
)

// Variants of a throughput run.
const (
	// VariantView materializes the query (its result kept in Pebble).
	VariantView = "view"
	// VariantBlackhole runs the same SELECT into a black-hole sink: the
	// result is computed and discarded, as Flink and RisingWave measure.
	VariantBlackhole = "blackhole"
	// VariantGenerator runs the three sources and no query: the cost of
	// generating the events and writing them into the source tables.
	VariantGenerator = "generator"
)

// RunOptions configure one throughput run.
type RunOptions struct {
	// Binary is the streamdb executable (required).
	Binary string
	// WorkDir holds the run's data directory and server log; default
	// os.TempDir(). The data directory is removed after the run unless
	// KeepData.
	WorkDir  string
	KeepData bool
	// Query is the Nexmark query name (q0 ...); ignored for
	// VariantGenerator.
	Query string
	// Variant is VariantView (default), VariantBlackhole or
	// VariantGenerator.
	Variant string
	// Events is the number of events of all kinds (default 1,000,000).
	Events int64
	// Chunk is the generator's rows per table-store transaction
	// (nexmark.max.chunk.size; default 10,000).
	Chunk int
	// CheckpointInterval is the server's checkpoint interval (default 10s).
	CheckpointInterval time.Duration
	// SampleEvery is the throughput sampling period (default 1s).
	SampleEvery time.Duration
	// Timeout bounds the whole run (default 30 minutes).
	Timeout time.Duration
	// Sets are extra server --set key=value settings.
	Sets []string
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
}

func (o *RunOptions) setDefaults() {
	if o.Variant == "" {
		o.Variant = VariantView
	}
	if o.Events <= 0 {
		o.Events = 1_000_000
	}
	if o.Chunk <= 0 {
		o.Chunk = 10_000
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 10 * time.Second
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.WorkDir == "" {
		o.WorkDir = os.TempDir()
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Sample is one point of a run's time series.
type Sample struct {
	// Seconds since the run started (the first CREATE SOURCE).
	Seconds float64 `json:"t"`
	// Processed estimates the events the query has consumed: its input
	// rows so far scaled by events ÷ its input rows at the end (the
	// generator interleaves the kinds uniformly). For the generator
	// variant it is Generated.
	Processed int64 `json:"processed"`
	// Generated is the slowest source's position (events generated and
	// committed to the source tables).
	Generated  int64   `json:"generated"`
	RSSBytes   int64   `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`

	rowsIn int64
}

// Checkpoint is one completed checkpoint of a run.
type Checkpoint struct {
	Epoch         int64   `json:"epoch"`
	Kind          string  `json:"kind"`
	DurationMs    float64 `json:"duration_ms"`
	BytesUploaded int64   `json:"bytes_uploaded"`
}

// QueryResult is the outcome of one throughput run.
type QueryResult struct {
	Query                string  `json:"query"`
	Variant              string  `json:"variant"`
	Events               int64   `json:"events"`
	CheckpointIntervalMs int64   `json:"checkpoint_interval_ms"`
	WallSeconds          float64 `json:"wall_seconds"`
	EventsPerSec         float64 `json:"events_per_sec"`
	CPUSeconds           float64 `json:"cpu_seconds"`
	// EventsPerCoreSec = Events ÷ CPUSeconds (the server process's
	// utime+stime during the run, generator included).
	EventsPerCoreSec float64 `json:"events_per_sec_per_core"`
	// GeneratorCPUSeconds is the CPU a generator-only run of the same
	// event count took (sources, no query); GeneratorShare is its part
	// of CPUSeconds, and EventsPerCoreSecExclGenerator the per-core
	// figure with it taken out. Zero when no generator run was made.
	GeneratorCPUSeconds           float64 `json:"generator_cpu_seconds,omitempty"`
	GeneratorShare                float64 `json:"generator_share,omitempty"`
	EventsPerCoreSecExclGenerator float64 `json:"events_per_sec_per_core_excl_generator,omitempty"`
	PeakRSSBytes                  int64   `json:"peak_rss_bytes"`
	// SteadyRSSBytes is the median VmRSS over the second half of the run.
	SteadyRSSBytes  int64        `json:"steady_rss_bytes"`
	Checkpoints     []Checkpoint `json:"checkpoints"`
	CheckpointP50Ms float64      `json:"checkpoint_p50_ms"`
	CheckpointP99Ms float64      `json:"checkpoint_p99_ms"`
	// CheckpointBytesP50 is the median of bytes uploaded per checkpoint;
	// the first checkpoint is full, later ones incremental.
	CheckpointBytesP50  int64 `json:"checkpoint_bytes_uploaded_p50"`
	CheckpointBytesMean int64 `json:"checkpoint_bytes_uploaded_mean"`
	// StateBytes is the query's live state (view rows and operator state,
	// streamdb.state_tables.live_bytes) at the end; StateDirBytes is the
	// size of <data_dir>/state on disk.
	StateBytes           int64      `json:"state_bytes"`
	StateBytesPerMillion float64    `json:"state_bytes_per_million_events"`
	StateDirBytes        int64      `json:"state_dir_bytes"`
	ViewRows             int64      `json:"view_rows,omitempty"`
	Target               *Target    `json:"target,omitempty"`
	RatioToBestDurable   float64    `json:"ratio_to_best_durable,omitempty"`
	LoadAvg              [3]float64 `json:"loadavg_at_end"`
	Samples              []Sample   `json:"samples"`
	Error                string     `json:"error,omitempty"`
}

// RunQuery runs one query over a fresh server and measures it.
func RunQuery(ctx context.Context, opts RunOptions) (_ QueryResult, retErr error) {
	opts.setDefaults()
	res := QueryResult{Query: opts.Query, Variant: opts.Variant, Events: opts.Events,
		CheckpointIntervalMs: opts.CheckpointInterval.Milliseconds()}
	var query Query
	switch opts.Variant {
	case VariantGenerator:
		res.Query = "generator"
	case VariantView, VariantBlackhole:
		var err error
		if query, err = LookupQuery(opts.Query); err != nil {
			return res, err
		}
	default:
		return res, errors.Newf("unknown variant %q (view, blackhole or generator)", opts.Variant)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp(opts.WorkDir, "streamdb-bench-"+res.Query+"-")
	if err != nil {
		return res, errors.Wrap(err, "creating the data directory")
	}
	defer func() {
		// A failed run keeps its directory: the server log says why.
		if retErr != nil {
			retErr = errors.Wrapf(retErr, "server log in %s", filepath.Join(dir, "server.log"))
		} else if !opts.KeepData {
			os.RemoveAll(dir)
		}
	}()
	srv, err := StartServer(ctx, ServerOptions{Binary: opts.Binary, DataDir: filepath.Join(dir, "data"),
		CheckpointInterval: opts.CheckpointInterval, Sets: opts.Sets, LogPath: filepath.Join(dir, "server.log")})
	if err != nil {
		return res, err
	}
	defer srv.Stop()
	conn, err := srv.Connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	before, err := srv.Stat()
	if err != nil {
		return res, err
	}
	start := time.Now()
	for _, ddl := range SourceDDL(opts.Events, opts.Chunk) {
		if _, err := conn.Exec(ctx, ddl); err != nil {
			return res, errors.Wrap(err, "creating the Nexmark sources")
		}
	}
	relation := ""
	if opts.Variant != VariantGenerator {
		relation = "nexmark_" + query.Name
		if _, err := conn.Exec(ctx, QueryDDL(relation, query, opts.Variant)); err != nil {
			return res, errors.Wrapf(err, "creating %s", relation)
		}
	}
	opts.Logf("%s %s: %d events, checkpoints every %v", res.Query, opts.Variant, opts.Events, opts.CheckpointInterval)

	sampler := newSampler(srv, relation, start, before.CPUSeconds)
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sampler.run(samplerCtx, opts.SampleEvery, opts.Logf)
	}()
	waitErr := waitSourcesDone(ctx, conn, relation)
	if waitErr == nil {
		if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
			waitErr = errors.Wrap(err, "FLUSH")
		}
	}
	end := time.Now()
	after, statErr := srv.Stat()
	stopSampler()
	wg.Wait()
	if waitErr != nil {
		return res, waitErr
	}
	if statErr != nil {
		return res, statErr
	}
	res.WallSeconds = end.Sub(start).Seconds()
	res.CPUSeconds = after.CPUSeconds - before.CPUSeconds
	res.EventsPerSec = float64(opts.Events) / res.WallSeconds
	if res.CPUSeconds > 0 {
		res.EventsPerCoreSec = float64(opts.Events) / res.CPUSeconds
	}
	res.PeakRSSBytes = after.PeakRSSBytes
	res.LoadAvg = ReadLoadAvg()
	finalRowsIn := int64(0)
	if relation != "" {
		if err := conn.QueryRow(ctx, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = $1", relation).Scan(&finalRowsIn); err != nil {
			return res, errors.Wrap(err, "reading the query's input rows")
		}
	}
	res.Samples = sampler.finish(opts.Events, finalRowsIn, end.Sub(start).Seconds(), after)
	res.SteadyRSSBytes = steadyRSS(res.Samples, after.RSSBytes)
	if err := readCheckpoints(ctx, conn, &res); err != nil {
		return res, err
	}
	if relation != "" {
		if err := conn.QueryRow(ctx, "SELECT coalesce(sum(live_bytes), 0)::bigint FROM streamdb.state_tables WHERE relation_name = $1",
			relation).Scan(&res.StateBytes); err != nil {
			return res, errors.Wrap(err, "reading state sizes")
		}
		res.StateBytesPerMillion = float64(res.StateBytes) / (float64(opts.Events) / 1e6)
		if opts.Variant == VariantView {
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+relation).Scan(&res.ViewRows); err != nil {
				return res, errors.Wrapf(err, "counting %s", relation)
			}
		}
	}
	res.StateDirBytes = dirSize(filepath.Join(dir, "data", "state"))
	if t, ok := Targets()[res.Query]; ok {
		res.Target = &t
		res.RatioToBestDurable = res.EventsPerCoreSec / t.BestDurable
	}
	opts.Logf("%s %s: %.0f events/s, %.0f events/s per core (%.1f CPU s in %.1f s), peak RSS %d MiB",
		res.Query, res.Variant, res.EventsPerSec, res.EventsPerCoreSec, res.CPUSeconds, res.WallSeconds, res.PeakRSSBytes>>20)
	return res, nil
}

// QueryDDL creates the query as a materialized view or a black-hole sink
// named relation.
func QueryDDL(relation string, q Query, variant string) string {
	if variant == VariantBlackhole {
		return "CREATE SINK " + relation + " AS " + q.SQL + " WITH (connector = 'blackhole')"
	}
	return "CREATE MATERIALIZED VIEW " + relation + " AS " + q.SQL
}

// waitSourcesDone polls until the three Nexmark sources have finished, and
// fails if the query's dataflow reports an error.
func waitSourcesDone(ctx context.Context, conn *pgx.Conn, relation string) error {
	for {
		var finished int
		// A bounded source's high watermark is its event count.
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM streamdb.sources WHERE connector = 'nexmark' AND "offset" >= high_watermark`).Scan(&finished); err != nil {
			return errors.Wrap(err, "polling the sources")
		}
		if relation != "" {
			var status, lastError string
			err := conn.QueryRow(ctx, "SELECT status, coalesce(last_error, '') FROM streamdb.dataflows WHERE relation_name = $1", relation).Scan(&status, &lastError)
			if err != nil {
				return errors.Wrapf(err, "polling %s", relation)
			}
			if lastError != "" || (status != "running" && status != "finished") {
				return errors.Newf("%s is %s: %s", relation, status, lastError)
			}
		}
		if finished == 3 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Wrap(ctx.Err(), "waiting for the sources to finish")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readCheckpoints(ctx context.Context, conn *pgx.Conn, res *QueryResult) error {
	rows, err := conn.Query(ctx, `SELECT epoch, kind, extract(epoch FROM duration)::float8, bytes_uploaded
		FROM streamdb.checkpoints WHERE status = 'completed' ORDER BY epoch`)
	if err != nil {
		return errors.Wrap(err, "reading streamdb.checkpoints")
	}
	defer rows.Close()
	var durations []float64
	var bytes []int64
	var total int64
	for rows.Next() {
		var c Checkpoint
		var seconds float64
		if err := rows.Scan(&c.Epoch, &c.Kind, &seconds, &c.BytesUploaded); err != nil {
			return errors.Wrap(err, "reading streamdb.checkpoints")
		}
		c.DurationMs = seconds * 1000
		res.Checkpoints = append(res.Checkpoints, c)
		durations = append(durations, c.DurationMs)
		bytes = append(bytes, c.BytesUploaded)
		total += c.BytesUploaded
	}
	if err := rows.Err(); err != nil {
		return errors.Wrap(err, "reading streamdb.checkpoints")
	}
	if len(durations) > 0 {
		res.CheckpointP50Ms = percentile(durations, 0.50)
		res.CheckpointP99Ms = percentile(durations, 0.99)
		fb := make([]float64, len(bytes))
		for i, b := range bytes {
			fb[i] = float64(b)
		}
		res.CheckpointBytesP50 = int64(percentile(fb, 0.50))
		res.CheckpointBytesMean = total / int64(len(bytes))
	}
	return nil
}

// percentile is the nearest-rank percentile of xs (copied, not sorted in
// place).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(p*float64(len(s))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func steadyRSS(samples []Sample, last int64) int64 {
	if len(samples) < 2 {
		return last
	}
	half := samples[len(samples)/2:]
	rss := make([]float64, len(half))
	for i, s := range half {
		rss[i] = float64(s.RSSBytes)
	}
	return int64(percentile(rss, 0.5))
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n
}

// sampler polls the server once per period on its own connection.
type sampler struct {
	srv      *Server
	relation string
	start    time.Time
	cpu0     float64
	samples  []Sample
}

func newSampler(srv *Server, relation string, start time.Time, cpu0 float64) *sampler {
	return &sampler{srv: srv, relation: relation, start: start, cpu0: cpu0}
}

func (s *sampler) run(ctx context.Context, every time.Duration, logf func(string, ...any)) {
	conn, err := s.srv.Connect(ctx)
	if err != nil {
		logf("sampler: %v", err)
		return
	}
	defer conn.Close(context.Background())
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var smp Sample
		smp.Seconds = time.Since(s.start).Seconds()
		if err := conn.QueryRow(ctx, `SELECT coalesce(min("offset"), 0)::bigint FROM streamdb.sources WHERE connector = 'nexmark'`).Scan(&smp.Generated); err != nil {
			if ctx.Err() == nil {
				logf("sampler: %v", err)
			}
			return
		}
		if s.relation != "" {
			if err := conn.QueryRow(ctx, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = $1", s.relation).Scan(&smp.rowsIn); err != nil {
				if ctx.Err() == nil {
					logf("sampler: %v", err)
				}
				return
			}
		}
		if ps, err := s.srv.Stat(); err == nil {
			smp.RSSBytes, smp.CPUSeconds = ps.RSSBytes, ps.CPUSeconds-s.cpu0
		}
		s.samples = append(s.samples, smp)
	}
}

// finish scales the input-row counts to events and appends the final point.
func (s *sampler) finish(events, finalRowsIn int64, seconds float64, last ProcStat) []Sample {
	out := append(s.samples, Sample{Seconds: seconds, Generated: events, rowsIn: finalRowsIn,
		RSSBytes: last.RSSBytes, CPUSeconds: last.CPUSeconds - s.cpu0})
	for i := range out {
		switch {
		case s.relation == "":
			out[i].Processed = out[i].Generated
		case finalRowsIn > 0:
			out[i].Processed = int64(float64(out[i].rowsIn) / float64(finalRowsIn) * float64(events))
		}
	}
	return out
}

// FillGenerator records a generator-only run's CPU in res.
func (res *QueryResult) FillGenerator(gen QueryResult) {
	res.GeneratorCPUSeconds, res.GeneratorShare, res.EventsPerCoreSecExclGenerator = 0, 0, 0
	if gen.CPUSeconds <= 0 || res.CPUSeconds <= 0 {
		return
	}
	res.GeneratorCPUSeconds = gen.CPUSeconds
	res.GeneratorShare = gen.CPUSeconds / res.CPUSeconds
	// Below a tenth of the CPU left, the difference is noise (checkpoint
	// work grows with wall time, which the machine's load stretches): no
	// figure rather than an absurd one.
	if res.CPUSeconds > 1.1*gen.CPUSeconds {
		res.EventsPerCoreSecExclGenerator = float64(res.Events) / (res.CPUSeconds - gen.CPUSeconds)
	}
}

// String is a one-line summary.
func (res QueryResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-9s %9d events %8.1f s %9.0f ev/s %9.0f ev/s/core", res.Query, res.Variant, res.Events,
		res.WallSeconds, res.EventsPerSec, res.EventsPerCoreSec)
	if res.Error != "" {
		fmt.Fprintf(&b, " error: %s", res.Error)
	}
	return b.String()
}
