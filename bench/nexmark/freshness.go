package nexmark

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
)

// FreshnessOptions configure RunFreshness.
type FreshnessOptions struct {
	Binary   string
	WorkDir  string
	KeepData bool
	// Saturate is how long the saturated-rate probe writes (default 5s).
	Saturate time.Duration
	// Duration of the measurement at half that rate (default 20s).
	Duration time.Duration
	// MarkerEvery is the pause between markers (default 100ms).
	MarkerEvery time.Duration
	// Batch is the rows per INSERT of the background load (default 1000).
	Batch              int
	CheckpointInterval time.Duration
	Logf               func(format string, args ...any)
}

// FreshnessResult is the freshness benchmark's outcome: the time from an
// INSERT (sent with pgx; timed from just before the send) until a reader
// polling the view sees its effect, while a background writer loads
// another table, feeding a GROUP BY view, at half the saturated rate.
type FreshnessResult struct {
	SaturatedRowsPerSec float64 `json:"saturated_rows_per_sec"`
	LoadRowsPerSec      float64 `json:"load_rows_per_sec"`
	Markers             int     `json:"markers"`
	P50Ms               float64 `json:"p50_ms"`
	P99Ms               float64 `json:"p99_ms"`
	MaxMs               float64 `json:"max_ms"`
	// BarrierInterval is the server's epoch interval (its default).
	BarrierInterval    string `json:"barrier_interval"`
	CheckpointInterval string `json:"checkpoint_interval"`
	Error              string `json:"error,omitempty"`
}

const freshnessDDL = `CREATE TABLE load_t (k bigint, v bigint);
CREATE MATERIALIZED VIEW load_v AS SELECT k, count(*) AS n, sum(v) AS s, max(v) AS m FROM load_t GROUP BY k;
CREATE TABLE marker (id bigint, seq bigint);
CREATE MATERIALIZED VIEW marker_v AS SELECT id, max(seq) AS seq FROM marker GROUP BY id`

// RunFreshness measures view freshness at half the saturated write rate.
func RunFreshness(ctx context.Context, opts FreshnessOptions) (FreshnessResult, error) {
	if opts.Saturate <= 0 {
		opts.Saturate = 5 * time.Second
	}
	if opts.Duration <= 0 {
		opts.Duration = 20 * time.Second
	}
	if opts.MarkerEvery <= 0 {
		opts.MarkerEvery = 100 * time.Millisecond
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.WorkDir == "" {
		opts.WorkDir = os.TempDir()
	}
	res := FreshnessResult{BarrierInterval: "1s (default)", CheckpointInterval: opts.CheckpointInterval.String()}
	srv, writer, cleanup, err := startScratchServer(ctx, opts.WorkDir, "freshness", opts.KeepData,
		ServerOptions{Binary: opts.Binary, CheckpointInterval: opts.CheckpointInterval})
	if err != nil {
		return res, err
	}
	defer cleanup()
	if _, err := writer.Exec(ctx, freshnessDDL); err != nil {
		return res, errors.Wrap(err, "creating the tables and views")
	}
	// Saturated rate: batches as fast as one writer goes, then FLUSH so
	// the view has kept up with every row.
	var next int64
	insert := func(ctx context.Context) error {
		_, err := writer.Exec(ctx, "INSERT INTO load_t SELECT g % 10000, g FROM generate_series($1::bigint, $2::bigint) AS g", next, next+int64(opts.Batch)-1)
		next += int64(opts.Batch)
		return err
	}
	start := time.Now()
	for time.Since(start) < opts.Saturate {
		if err := insert(ctx); err != nil {
			return res, errors.Wrap(err, "saturating")
		}
	}
	if _, err := writer.Exec(ctx, "FLUSH"); err != nil {
		return res, errors.Wrap(err, "FLUSH")
	}
	res.SaturatedRowsPerSec = float64(next) / time.Since(start).Seconds()
	res.LoadRowsPerSec = res.SaturatedRowsPerSec / 2
	opts.Logf("freshness: saturated at %.0f rows/s; loading at %.0f rows/s for %v", res.SaturatedRowsPerSec, res.LoadRowsPerSec, opts.Duration)

	loadCtx, stopLoad := context.WithCancel(ctx)
	var loadErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		interval := time.Duration(float64(opts.Batch) / res.LoadRowsPerSec * float64(time.Second))
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
			}
			if err := insert(loadCtx); err != nil && loadCtx.Err() == nil {
				loadErr.Store(err)
				return
			}
		}
	}()
	latencies, err := probeFreshness(ctx, srv, opts)
	stopLoad()
	wg.Wait()
	if err != nil {
		return res, err
	}
	if e, ok := loadErr.Load().(error); ok {
		return res, errors.Wrap(e, "background load")
	}
	res.Markers = len(latencies)
	res.P50Ms, res.P99Ms = percentile(latencies, 0.5), percentile(latencies, 0.99)
	res.MaxMs = percentile(latencies, 1)
	opts.Logf("freshness: %d markers, p50 %.0f ms, p99 %.0f ms", res.Markers, res.P50Ms, res.P99Ms)
	return res, nil
}

// probeFreshness inserts a marker row every opts.MarkerEvery on one
// connection while a reader polls the marker view's max(seq) on another;
// when the reader first sees seq s, every marker up to s not yet seen is
// done, its latency the time since its INSERT was sent.
func probeFreshness(ctx context.Context, srv *Server, opts FreshnessOptions) ([]float64, error) {
	ins, err := srv.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer ins.Close(context.Background())
	reader, err := srv.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer reader.Close(context.Background())
	var mu sync.Mutex
	var sent []time.Time // sent[i] is when marker i+1 was sent
	insertErr := make(chan error, 1)
	stopInsert := make(chan struct{})
	inserterDone := make(chan struct{})
	go func() {
		defer close(inserterDone)
		defer close(insertErr)
		tick := time.NewTicker(opts.MarkerEvery)
		defer tick.Stop()
		deadline := time.Now().Add(opts.Duration)
		for seq := int64(1); time.Now().Before(deadline); seq++ {
			mu.Lock()
			sent = append(sent, time.Now())
			mu.Unlock()
			if _, err := ins.Exec(ctx, "INSERT INTO marker VALUES (1, $1)", seq); err != nil {
				insertErr <- errors.Wrap(err, "inserting a marker")
				return
			}
			select {
			case <-tick.C:
			case <-stopInsert:
				return
			}
		}
	}()
	defer func() {
		// Before the connections close: the inserter may be mid-INSERT.
		close(stopInsert)
		<-inserterDone
	}()
	var latencies []float64
	var seen int64
	inserting := true
	var lastChange time.Time
	for {
		var seq int64
		err := reader.QueryRow(ctx, "SELECT seq FROM marker_v WHERE id = 1").Scan(&seq)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, errors.Wrap(err, "polling the marker view")
		}
		now := time.Now()
		mu.Lock()
		total := int64(len(sent))
		for ; seen < seq && seen < total; seen++ {
			latencies = append(latencies, float64(now.Sub(sent[seen]).Microseconds())/1000)
		}
		mu.Unlock()
		if inserting {
			select {
			case err, ok := <-insertErr:
				if ok && err != nil {
					return nil, err
				}
				inserting, lastChange = false, now
			default:
			}
		}
		if !inserting {
			if seen >= total {
				return latencies, nil
			}
			if now.Sub(lastChange) > time.Minute {
				return nil, errors.Newf("markers %d..%d not visible a minute after the last insert", seen+1, total)
			}
		}
		time.Sleep(time.Millisecond)
	}
}
