package nexmark

import (
	"bufio"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
)

// ServingOptions configure RunServing.
type ServingOptions struct {
	Binary   string
	WorkDir  string
	KeepData bool
	// Clients is the number of concurrent connections (default 64).
	Clients int
	// Duration of each measurement (default 10s).
	Duration time.Duration
	// Warmup is how long ingest runs before the keys are read (default 5s).
	Warmup time.Duration
	// Postgres also measures PostgreSQL serving the same rows (default
	// on; skipped with an error note when no server is installed).
	SkipPostgres       bool
	CheckpointInterval time.Duration
	Logf               func(format string, args ...any)
}

// ServingStats is the outcome of one serving measurement.
type ServingStats struct {
	System  string  `json:"system"`
	Clients int     `json:"clients"`
	Queries int64   `json:"queries"`
	QPS     float64 `json:"qps"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	// IngestRunning says whether the Nexmark generator and the view were
	// being maintained during the measurement.
	IngestRunning bool `json:"ingest_running"`
	// RowCacheHitRatio is the share of key lookups the row cache answered
	// during the measurement (streamdb only, from /metrics; -1: unknown).
	RowCacheHitRatio float64 `json:"row_cache_hit_ratio,omitempty"`
	// LoadAvg is the machine's 1-minute load average at the end of the
	// measurement: the box is shared, and QPS follows the CPU left.
	LoadAvg float64 `json:"load_avg"`
	Error   string  `json:"error,omitempty"`
}

// ServingResult is the serving benchmark's outcome: prepared point
// SELECTs by the q17 view's key (auction, day) from many clients while
// q17 ingest runs, next to PostgreSQL serving the same rows from a table
// with that primary key.
type ServingResult struct {
	Rows     int           `json:"rows"`
	Keys     int           `json:"keys_queried"`
	Streamdb ServingStats  `json:"streamdb"`
	Postgres *ServingStats `json:"postgres,omitempty"`
	Error    string        `json:"error,omitempty"`
}

const servingQuery = "SELECT * FROM nexmark_q17 WHERE auction = $1 AND day = $2"

type servingKey struct {
	auction int64
	day     string
}

// RunServing runs the serving benchmark.
func RunServing(ctx context.Context, opts ServingOptions) (ServingResult, error) {
	if opts.Clients <= 0 {
		opts.Clients = 64
	}
	if opts.Duration <= 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Warmup <= 0 {
		opts.Warmup = 5 * time.Second
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
	var res ServingResult
	q17, err := LookupQuery("q17")
	if err != nil {
		return res, err
	}
	srv, conn, cleanup, err := startScratchServer(ctx, opts.WorkDir, "serving", opts.KeepData,
		ServerOptions{Binary: opts.Binary, CheckpointInterval: opts.CheckpointInterval})
	if err != nil {
		return res, err
	}
	defer cleanup()
	// Unbounded sources: ingest runs for the whole measurement.
	for _, ddl := range append(SourceDDL(0, 10_000), QueryDDL("nexmark_q17", q17, VariantView)) {
		if _, err := conn.Exec(ctx, ddl); err != nil {
			return res, errors.Wrap(err, "creating the sources and q17")
		}
	}
	time.Sleep(opts.Warmup)
	rows, err := conn.Query(ctx, "SELECT * FROM nexmark_q17")
	if err != nil {
		return res, errors.Wrap(err, "reading q17")
	}
	var keys []servingKey
	var all [][]any
	var columns []string
	for _, f := range rows.FieldDescriptions() {
		columns = append(columns, f.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return res, errors.Wrap(err, "reading q17")
		}
		all = append(all, vals)
		keys = append(keys, servingKey{vals[0].(int64), vals[1].(string)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, errors.Wrap(err, "reading q17")
	}
	if len(keys) == 0 {
		return res, errors.New("q17 has no rows after the warm-up")
	}
	res.Rows, res.Keys = len(all), len(keys)
	opts.Logf("serving: %d q17 rows; %d clients for %v against streamdb (ingest running)", len(keys), opts.Clients, opts.Duration)
	hits0, misses0, cacheErr := rowCacheCounters(ctx, srv.HTTPAddr)
	res.Streamdb, err = pointSelects(ctx, srv.ConnString(), keys, opts)
	if err != nil {
		return res, err
	}
	res.Streamdb.RowCacheHitRatio = -1
	if hits1, misses1, err := rowCacheCounters(ctx, srv.HTTPAddr); err == nil && cacheErr == nil && hits1+misses1 > hits0+misses0 {
		res.Streamdb.RowCacheHitRatio = (hits1 - hits0) / (hits1 + misses1 - hits0 - misses0)
	}
	res.Streamdb.System, res.Streamdb.IngestRunning = "streamdb", true
	opts.Logf("serving: streamdb %.0f QPS, p99 %.2f ms", res.Streamdb.QPS, res.Streamdb.P99Ms)
	if opts.SkipPostgres {
		return res, nil
	}
	// Stop ingest before PostgreSQL runs: the two systems share the CPUs.
	_ = srv.Stop()
	pgStats := ServingStats{System: "postgresql", Clients: opts.Clients}
	res.Postgres = &pgStats
	if err := servePostgres(ctx, opts, columns, all, keys, &pgStats); err != nil {
		pgStats.Error = err.Error()
		return res, err
	}
	opts.Logf("serving: PostgreSQL %.0f QPS, p99 %.2f ms", pgStats.QPS, pgStats.P99Ms)
	return res, nil
}

func servePostgres(ctx context.Context, opts ServingOptions, columns []string, all [][]any, keys []servingKey, out *ServingStats) error {
	pg, err := StartPostgres(ctx, opts.WorkDir)
	if err != nil {
		return err
	}
	defer pg.Stop()
	out.System += " " + pg.Version
	conn, err := pgx.Connect(ctx, pg.ConnString())
	if err != nil {
		return errors.Wrap(err, "connecting to PostgreSQL")
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE nexmark_q17 (auction bigint, day text, total_bids bigint, rank1_bids bigint,
		rank2_bids bigint, rank3_bids bigint, min_price bigint, max_price bigint, avg_price numeric, sum_price numeric,
		PRIMARY KEY (auction, day))`); err != nil {
		return errors.Wrap(err, "creating the PostgreSQL table")
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"nexmark_q17"}, columns, pgx.CopyFromRows(all)); err != nil {
		return errors.Wrap(err, "loading PostgreSQL")
	}
	if _, err := conn.Exec(ctx, "ANALYZE nexmark_q17"); err != nil {
		return errors.Wrap(err, "ANALYZE")
	}
	stats, err := pointSelects(ctx, pg.ConnString(), keys, opts)
	if err != nil {
		return err
	}
	stats.System = out.System
	*out = stats
	return nil
}

// pointSelects runs opts.Clients connections issuing the prepared point
// SELECT (pgx prepares and caches it per connection) on random keys for
// opts.Duration.
func pointSelects(ctx context.Context, connString string, keys []servingKey, opts ServingOptions) (ServingStats, error) {
	stats := ServingStats{Clients: opts.Clients}
	conns := make([]*pgx.Conn, opts.Clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
	}()
	for i := range conns {
		c, err := pgx.Connect(ctx, connString)
		if err != nil {
			return stats, errors.Wrapf(err, "client %d", i)
		}
		conns[i] = c
	}
	latencies := make([][]float64, opts.Clients)
	errs := make([]error, opts.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(opts.Duration)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 17))
			for time.Now().Before(deadline) {
				k := keys[rng.IntN(len(keys))]
				t0 := time.Now()
				rows, err := c.Query(ctx, servingQuery, k.auction, k.day)
				if err == nil {
					n := 0
					for rows.Next() {
						n++
					}
					rows.Close()
					err = rows.Err()
					if err == nil && n != 1 {
						err = errors.Newf("key (%d, %s): %d rows", k.auction, k.day, n)
					}
				}
				if err != nil {
					errs[i] = err
					return
				}
				latencies[i] = append(latencies[i], float64(time.Since(t0).Microseconds())/1000)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var merged []float64
	for i := range latencies {
		if errs[i] != nil {
			return stats, errors.Wrapf(errs[i], "client %d", i)
		}
		merged = append(merged, latencies[i]...)
	}
	stats.Queries = int64(len(merged))
	stats.QPS = float64(len(merged)) / elapsed.Seconds()
	stats.P50Ms, stats.P99Ms = percentile(merged, 0.5), percentile(merged, 0.99)
	stats.LoadAvg = ReadLoadAvg()[0]
	return stats, nil
}

// rowCacheCounters reads the row cache's hit and miss counters from the
// server's /metrics.
func rowCacheCounters(ctx context.Context, httpAddr string) (hits, misses float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/metrics", nil)
	if err != nil {
		return 0, 0, errors.Wrap(err, "reading /metrics")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, errors.Wrap(err, "reading /metrics")
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "streamdb_row_cache_hits_total":
			dst = &hits
		case "streamdb_row_cache_misses_total":
			dst = &misses
		default:
			continue
		}
		if *dst, err = strconv.ParseFloat(value, 64); err != nil {
			return 0, 0, errors.Wrap(err, "reading /metrics")
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("no row cache counters on /metrics")
	}
	return hits, misses, errors.Wrap(sc.Err(), "reading /metrics")
}
