package nexmark

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
)

// Recovery modes.
const (
	// RecoverLocal restarts on the same data directory: the state store is
	// restored from the local checkpoint copy (hard links).
	RecoverLocal = "local"
	// RecoverStore deletes the state store and the local checkpoint copy
	// before the restart, so the state is downloaded from the checkpoint
	// store.
	RecoverStore = "store"
)

// RecoveryOptions configure RunRecovery.
type RecoveryOptions struct {
	Binary   string
	WorkDir  string
	KeepData bool
	// Query is the query under test (default q20, the largest join state).
	Query string
	// Events is about the number of events the view has processed at the
	// kill (default 1,000,000); the sources are bounded to twice that, so
	// a backlog remains after the restart.
	Events int64
	Chunk  int
	// CheckpointInterval of the server (default 10s); the kill waits for a
	// checkpoint completed after the view reached Events.
	CheckpointInterval time.Duration
	Mode               string
	Timeout            time.Duration
	// Sets are extra server settings (key=value, as --set), for example
	// views.max_epoch_rows=0 and sources.max_backlog_rows=0 to measure the
	// unbounded epochs and sources of before issue 8's change.
	Sets []string
	Logf func(format string, args ...any)
}

// RecoveryResult is one kill -9 and restart.
type RecoveryResult struct {
	Query string `json:"query"`
	Mode  string `json:"mode"`
	// EventsAtKill is the slowest source's position (events generated) at
	// the kill; the sources are bounded to TotalEvents.
	EventsAtKill int64 `json:"events_at_kill"`
	TotalEvents  int64 `json:"total_events"`
	// StateBytesAtKill is the query's live state (streamdb.state_tables)
	// when it was killed; CheckpointBytes the size of the last checkpoint
	// (bytes uploaded + reused).
	StateBytesAtKill int64 `json:"state_bytes_at_kill"`
	CheckpointBytes  int64 `json:"checkpoint_bytes"`
	// ReadySeconds: restart → the server accepts connections (restore
	// included). FirstOutputSeconds: restart → the query's dataflow has
	// emitted its first row since the restart. CaughtUpSeconds: restart →
	// every source finished and FLUSH returned (the backlog processed).
	ReadySeconds       float64 `json:"ready_seconds"`
	FirstOutputSeconds float64 `json:"first_output_seconds"`
	CaughtUpSeconds    float64 `json:"caught_up_seconds"`
	// ViewRowsInAtKill is the input rows the view had read at the kill;
	// InputRowsAtKill the rows its input tables held then (read just
	// before the kill, so a lower bound): their difference is the backlog
	// the view had not read. With source backpressure the generators stay
	// within sources.max_backlog_rows of the view, so the backlog is
	// bounded and more events remain to be generated after the restart.
	ViewRowsInAtKill int64    `json:"view_rows_in_at_kill"`
	InputRowsAtKill  int64    `json:"input_rows_at_kill,omitempty"`
	Sets             []string `json:"sets,omitempty"`
	// NoBacklog is set when the view had read everything before the kill,
	// so the restart had no new output to produce.
	NoBacklog bool   `json:"no_backlog,omitempty"`
	Error     string `json:"error,omitempty"`
}

// RunRecovery builds up state, kills the server with SIGKILL and measures
// the restart.
func RunRecovery(ctx context.Context, opts RecoveryOptions) (RecoveryResult, error) {
	if opts.Query == "" {
		opts.Query = "q20"
	}
	if opts.Events <= 0 {
		opts.Events = 1_000_000
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 10_000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	if opts.Mode == "" {
		opts.Mode = RecoverLocal
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Minute
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.WorkDir == "" {
		opts.WorkDir = os.TempDir()
	}
	res := RecoveryResult{Query: opts.Query, Mode: opts.Mode, TotalEvents: opts.Events * 2, Sets: opts.Sets}
	query, err := LookupQuery(opts.Query)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	dir, remove, err := scratchDir(opts.WorkDir, "recovery", opts.KeepData)
	if err != nil {
		return res, err
	}
	defer remove()
	dataDir := filepath.Join(dir, "data")
	srv, err := StartServer(ctx, ServerOptions{Binary: opts.Binary, DataDir: dataDir, CheckpointInterval: opts.CheckpointInterval, Sets: opts.Sets})
	if err != nil {
		return res, err
	}
	defer srv.Stop()
	conn, err := srv.Connect(ctx)
	if err != nil {
		return res, err
	}
	relation := "nexmark_" + query.Name
	for _, ddl := range append(SourceDDL(res.TotalEvents, opts.Chunk), QueryDDL(relation, query, VariantView)) {
		if _, err := conn.Exec(ctx, ddl); err != nil {
			conn.Close(ctx)
			return res, errors.Wrap(err, "creating the sources and the view")
		}
	}
	opts.Logf("recovery %s (%s): kill -9 after about %d events", query.Name, opts.Mode, opts.Events)
	// Kill once the view has read about Events events' worth of input
	// (its input rows; q20 reads bids and auctions, 98 % of the events)
	// and a checkpoint has completed since: the generator runs ahead of
	// the view, so the restart finds a backlog to catch up on.
	var checkpointsBefore int64
	for {
		var rowsIn, checkpoints int64
		if err := conn.QueryRow(ctx, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = $1", relation).Scan(&rowsIn); err != nil {
			conn.Close(ctx)
			return res, errors.Wrap(err, "polling the view")
		}
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM streamdb.checkpoints WHERE status = 'completed'").Scan(&checkpoints); err != nil {
			conn.Close(ctx)
			return res, errors.Wrap(err, "polling the checkpoints")
		}
		if rowsIn < int64(float64(opts.Events)*0.9) {
			checkpointsBefore = checkpoints
		} else if checkpoints > checkpointsBefore {
			res.ViewRowsInAtKill = rowsIn
			break
		}
		select {
		case <-ctx.Done():
			conn.Close(ctx)
			return res, errors.Wrap(ctx.Err(), "waiting for the view to reach the kill point")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := conn.QueryRow(ctx, `SELECT coalesce(min("offset"), 0)::bigint FROM streamdb.sources WHERE connector = 'nexmark'`).Scan(&res.EventsAtKill); err != nil {
		conn.Close(ctx)
		return res, errors.Wrap(err, "polling the sources")
	}
	_ = conn.QueryRow(ctx, "SELECT coalesce(sum(live_bytes), 0)::bigint FROM streamdb.state_tables WHERE relation_name = $1", relation).Scan(&res.StateBytesAtKill)
	for _, table := range []string{"person", "auction", "bid"} {
		if !regexp.MustCompile(`\b` + table + `\b`).MatchString(query.SQL) {
			continue
		}
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err == nil {
			res.InputRowsAtKill += n
		}
	}
	_ = conn.QueryRow(ctx, "SELECT (bytes_uploaded + bytes_reused)::bigint FROM streamdb.checkpoints WHERE status = 'completed' ORDER BY epoch DESC LIMIT 1").Scan(&res.CheckpointBytes)
	conn.Close(ctx)
	if err := srv.Kill(); err != nil {
		return res, err
	}
	if opts.Mode == RecoverStore {
		for _, sub := range []string{"state", "checkpoints-local"} {
			if err := os.RemoveAll(filepath.Join(dataDir, sub)); err != nil {
				return res, errors.Wrapf(err, "removing %s", sub)
			}
		}
	}
	if err := srv.Start(ctx); err != nil {
		return res, err
	}
	restarted := srv.Started
	res.ReadySeconds = time.Since(restarted).Seconds()
	conn, err = srv.Connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	// First new output: the dataflow's output counter (reset by the
	// restart) moves. If the view had caught up with everything before the
	// kill there is nothing new to emit; then first output is left 0 and
	// NoBacklog set.
	for {
		var rowsOut, done int64
		err := conn.QueryRow(ctx, "SELECT rows_out FROM streamdb.dataflows WHERE relation_name = $1", relation).Scan(&rowsOut)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return res, errors.Wrap(err, "polling the view")
		}
		if rowsOut > 0 {
			res.FirstOutputSeconds = time.Since(restarted).Seconds()
			break
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM streamdb.sources WHERE connector = 'nexmark' AND "offset" >= high_watermark`).Scan(&done); err != nil {
			return res, errors.Wrap(err, "polling the sources")
		}
		if done == 3 {
			if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
				return res, errors.Wrap(err, "FLUSH")
			}
			if err := conn.QueryRow(ctx, "SELECT rows_out FROM streamdb.dataflows WHERE relation_name = $1", relation).Scan(&rowsOut); err != nil {
				return res, errors.Wrap(err, "polling the view")
			}
			if rowsOut > 0 {
				res.FirstOutputSeconds = time.Since(restarted).Seconds()
			} else {
				res.NoBacklog = true
			}
			break
		}
		select {
		case <-ctx.Done():
			return res, errors.Wrap(ctx.Err(), "waiting for the first output after the restart")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := waitSourcesDone(ctx, conn, relation); err != nil {
		return res, err
	}
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		return res, errors.Wrap(err, "FLUSH")
	}
	res.CaughtUpSeconds = time.Since(restarted).Seconds()
	first := fmt.Sprintf("first output %.2f s", res.FirstOutputSeconds)
	if res.NoBacklog {
		first = "no backlog (the view had read every event before the kill)"
	}
	opts.Logf("recovery %s (%s): ready %.2f s, %s, caught up %.2f s (state %s at the kill)", query.Name, opts.Mode,
		res.ReadySeconds, first, res.CaughtUpSeconds, bytesHuman(res.StateBytesAtKill))
	return res, nil
}
