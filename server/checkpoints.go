package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/checkpoint"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/types"
)

// Store names: the directories under the data directory, and the store
// names in checkpoint manifests.
const (
	tablesStoreName = "tables"
	stateStoreName  = "state"
)

// checkpointOptions maps the server options and checkpoint.* settings onto
// the checkpointer's.
func checkpointOptions(o *Options, logger *slog.Logger) checkpoint.Options {
	co := checkpoint.Options{
		Dir:       o.CheckpointDir,
		DataDir:   o.DataDir,
		Interval:  o.CheckpointInterval,
		MinPause:  o.SettingDuration("checkpoint.min_pause"),
		Timeout:   o.SettingDuration("checkpoint.timeout"),
		Retain:    o.SettingInt("checkpoint.retain"),
		FullEvery: o.SettingInt("checkpoint.full_every"),
		// checkpoint.flush_memtables = off: the WAL is copied instead.
		KeepMemtable: strings.EqualFold(o.Setting("checkpoint.flush_memtables"), "off"),
		Logger:       logger,
	}
	co.EnsureDefaults()
	return co
}

// restoreAtStart runs before the stores open.
//
// With RestoreFrom (a savepoint URL) both stores are restored into a data
// directory that must not hold them yet. Otherwise the newest intact
// checkpoint of the checkpoint store rolls the state store back (the views
// then replay the table logs from its offsets); the table store is
// restored only when it is missing, because on the same machine it holds
// acknowledged writes newer than any checkpoint. When both stores exist
// locally and no checkpoint can be restored, the local stores are used
// as they are (each is a consistent, synced Pebble instance); when the
// table store is missing and a checkpoint store holds damaged checkpoints
// only, start fails rather than begin on partial state.
func restoreAtStart(ctx context.Context, o *Options, logger *slog.Logger) error {
	tablesDir := filepath.Join(o.DataDir, tablesStoreName)
	stateDir := filepath.Join(o.DataDir, stateStoreName)
	if o.RestoreFrom != "" {
		// Only the table store marks a used data directory: the state store
		// is swapped in first, so a state store alone is what an
		// interrupted restore leaves, and it is replaced.
		if nonEmptyDir(tablesDir) {
			return errors.Newf("--restore-from %s needs a data directory without stores, but %s exists; use a new --data-dir", o.RestoreFrom, tablesDir)
		}
		res, err := checkpoint.Restore(ctx, checkpoint.RestoreOptions{
			URL: o.RestoreFrom, DataDir: o.DataDir, Stores: []string{stateStoreName, tablesStoreName}, Logger: logger,
		})
		if err != nil {
			return errors.Wrapf(err, "restoring from %s", o.RestoreFrom)
		}
		if res == nil {
			return errors.Newf("restoring from %s: no savepoint or checkpoint found there", o.RestoreFrom)
		}
		logger.Info("restored from savepoint", "url", o.RestoreFrom, "id", res.Manifest.ID, "epoch", res.Manifest.Epoch, "bytes", res.BytesDownloaded, "duration", res.Duration)
		return nil
	}
	co := checkpointOptions(o, logger)
	tablesLocal := nonEmptyDir(tablesDir)
	stores := []string{stateStoreName}
	if !tablesLocal {
		// The state store is swapped in first: if the restore is
		// interrupted before the table store is in place, the next start
		// still sees the table store missing and restores both again.
		stores = []string{stateStoreName, tablesStoreName}
	}
	res, err := checkpoint.Restore(ctx, checkpoint.RestoreOptions{
		URL: co.Dir, DataDir: o.DataDir, Stores: stores, LocalDir: checkpoint.LocalDir(o.DataDir), Logger: logger,
	})
	if err != nil {
		if tablesLocal && nonEmptyDir(stateDir) {
			logger.Warn("no checkpoint could be restored; starting from the local stores as they are", "err", err)
			return nil
		}
		return errors.Wrap(err, "restoring the last checkpoint")
	}
	if res != nil {
		logger.Info("restored checkpoint", "id", res.Manifest.ID, "epoch", res.Manifest.Epoch, "stores", stores,
			"from_local", res.FromLocal, "bytes_downloaded", res.BytesDownloaded, "bytes_linked", res.BytesLinked, "duration", res.Duration)
	}
	return nil
}

func nonEmptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

// startCheckpointer opens the checkpoint store and starts periodic
// checkpoints; its metrics join the server's registry.
func (s *Server) startCheckpointer(ctx context.Context) error {
	c, err := checkpoint.New(ctx, checkpointOptions(&s.opts, s.logger), checkpointSource{s: s, logs: newLogTruncator(s)})
	if err != nil {
		return errors.Wrap(err, "opening the checkpoint store")
	}
	for _, col := range c.Collectors() {
		s.reg.MustRegister(col)
	}
	s.checkpointer = c
	c.Start()
	return nil
}

func (s *Server) closeCheckpointer() {
	if s.checkpointer == nil {
		return
	}
	if err := s.checkpointer.Close(); err != nil {
		s.logger.Error("closing the checkpoint store", "err", err)
	}
}

// checkpointSource captures the two stores consistently: the state store
// between two epoch commits (so it holds exactly the last committed epoch
// and that epoch's table-log offsets), then the table store, whose logs
// therefore cover at least those offsets.
//
// The capture holds the coordinator's commitMu, not its mu: every write to
// the state store is one atomic batch, and an epoch in progress has
// written nothing yet (its changes are in its batch until the commit), so
// the store between commits is the last committed epoch. A checkpoint thus
// waits for at most one commit, not for the epoch being computed, and the
// views go on computing while it hard-links the store.
type checkpointSource struct {
	s    *Server
	logs *logTruncator // log_truncation.go
}

// Stores lists both stores without a lock: the checkpointer flushes their memtables while the views and
// writers run on. The stores stay open while the checkpointer runs: it is
// closed first (closeStores).
func (src checkpointSource) Stores(fn func(string, *pebble.DB) error) error {
	s := src.s
	if err := fn(stateStoreName, s.views.store.DB()); err != nil {
		return err
	}
	return fn(tablesStoreName, s.tables.Store().DB())
}

func (src checkpointSource) Capture(ctx context.Context, take func(string, *pebble.DB) error) (checkpoint.Capture, error) {
	s := src.s
	var c checkpoint.Capture
	m := s.views
	// The store stays open: the checkpointer is closed before the views
	// (closeStores).
	m.commitMu.Lock()
	err := take(stateStoreName, m.store.DB())
	c.Epoch = m.epoch
	covered := m.lastTarget
	var logBounds string
	if err == nil && src.logs != nil {
		logBounds, err = src.logs.captureBounds(m, covered) // log_truncation.go
	}
	m.commitMu.Unlock()
	if err != nil {
		return c, err
	}
	seq := s.tables.CommitSeq()
	c.CatalogVersion = s.cat.Version()
	if err := take(tablesStoreName, s.tables.Store().DB()); err != nil {
		return c, err
	}
	c.Position = fmt.Sprintf("epoch %d, table commit seq %d, catalog version %d", c.Epoch, seq, c.CatalogVersion)
	c.Metadata = map[string]string{
		// Table-log offsets: per view and table they are in the state store
		// itself; these bound them.
		"epoch_table_commit_seq": strconv.FormatUint(covered, 10),
		"table_commit_seq":       strconv.FormatUint(seq, 10),
		logBoundsKey:             logBounds,
	}
	return c, nil
}

// checkpointNow runs CHECKPOINT: the views first commit an epoch covering
// every write committed before the statement, then a checkpoint is taken
// and uploaded before the command completes.
func (sess *session) checkpointNow(ctx context.Context, w pgwire.ResultWriter) error {
	srv := sess.srv
	if !sess.currentRole().Superuser {
		return types.Errorf(types.CodeInsufficientPrivilege, "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT")
	}
	if srv.checkpointer == nil {
		return types.Unsupported("CHECKPOINT without a checkpoint store")
	}
	if srv.views != nil {
		if err := srv.views.flush(ctx); err != nil {
			return err
		}
	}
	if _, err := srv.ttl.sweep(ctx); err != nil { // ttl.go
		return err
	}
	if _, err := srv.checkpointer.Checkpoint(ctx); err != nil {
		return err
	}
	return w.Complete("CHECKPOINT")
}

// savepointURL recognises SELECT streamdb.savepoint('<url>') (a single
// call with a string literal, nothing else) and returns the URL.
func savepointURL(n *pg_query.Node) (string, bool) {
	sel := n.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 || len(sel.FromClause) > 0 || sel.WhereClause != nil {
		return "", false
	}
	rt := sel.TargetList[0].GetResTarget()
	if rt == nil {
		return "", false
	}
	fc := rt.Val.GetFuncCall()
	if fc == nil || len(fc.Funcname) != 2 || len(fc.Args) != 1 {
		return "", false
	}
	if fc.Funcname[0].GetString_().GetSval() != "streamdb" || fc.Funcname[1].GetString_().GetSval() != "savepoint" {
		return "", false
	}
	c := fc.Args[0].GetAConst()
	if c == nil || c.GetSval() == nil {
		return "", false
	}
	return c.GetSval().GetSval(), true
}

// savepointColumns is the result of SELECT streamdb.savepoint(...).
var savepointColumns = types.Schema{{Name: "savepoint", Type: types.Text}}

// savepoint runs SELECT streamdb.savepoint('<url>'): a full, self-contained
// copy of both stores at the URL. The single row is the URL, which
// streamdb serve --restore-from accepts.
func (sess *session) savepoint(ctx context.Context, url string, w pgwire.ResultWriter) error {
	srv := sess.srv
	// A savepoint copies every table, whoever owns it.
	if err := sess.requireSuperuser("write a savepoint"); err != nil {
		return err
	}
	if srv.checkpointer == nil {
		return types.Unsupported("savepoints without a checkpoint store")
	}
	if srv.views != nil {
		if err := srv.views.flush(ctx); err != nil {
			return err
		}
	}
	if _, err := srv.checkpointer.Savepoint(ctx, url); err != nil {
		return err
	}
	if err := w.Columns(savepointColumns); err != nil {
		return err
	}
	if err := w.Row(types.Row{types.DString(url)}); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}

// checkpointRows are the rows of streamdb.checkpoints, oldest first.
func (s *Server) checkpointRows() []types.Row {
	if s.checkpointer == nil {
		return nil
	}
	hist := s.checkpointer.History()
	rows := make([]types.Row, 0, len(hist))
	for _, a := range hist {
		d := a.Duration
		if a.Status == checkpoint.StatusRunning {
			d = time.Since(a.Started)
		}
		rows = append(rows, types.Row{
			types.DInt(int64(a.Epoch)), types.DString(a.Kind), types.DTimestampTZ(types.TimestampFromTime(a.Started)),
			types.DInterval(types.IntervalValue{Micros: d.Microseconds()}),
			types.DInt(a.BytesUploaded), types.DInt(a.BytesReused), types.DInt(int64(a.Files)), types.DString(a.Status),
			// One coordinator commits epochs, so nothing is aligned:
			// time_to_first_barrier is the wait for the epoch commit in
			// progress, alignment_time the synchronous capture (hard
			// links), the only time the checkpoint holds commits still.
			phaseInterval(a, a.Phases.FirstBarrier), phaseInterval(a, a.Phases.Sync),
			types.DString(a.Location),
		})
	}
	return rows
}

// phaseInterval is a phase duration of attempt a, NULL before the capture
// ended (the phase is not known yet) or when it failed before it.
func phaseInterval(a checkpoint.Attempt, d time.Duration) types.Datum {
	if a.Epoch == 0 && a.Status != checkpoint.StatusCompleted {
		return types.Null
	}
	return types.DInterval(types.IntervalValue{Micros: d.Microseconds()})
}
