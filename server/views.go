package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// The view runtime: materialized views are standing dataflows maintained by
// one coordinator goroutine that runs global epochs (the views of one
// dependency level concurrently).
//
// # Epochs
//
// Every barrier_interval (skipped when no table committed since), and at
// once when a FLUSH asks, the coordinator takes the table store's commit
// seq T, cuts the epoch at a seq S <= T so that no view reads more than
// views.max_epoch_rows rows of any table log (views_backlog.go; the next
// epoch follows at once while S < T), and, for every running view in OID
// order (a view only depends on relations created before it, so OID order
// is a topological order): pushes the change-log records of each of its
// tables with seq in (offset, S], pushes the changes the upstream views it
// reads produced in this same epoch, and delivers the barrier. The view's
// changes are then applied to its stored rows. One Pebble batch (synced)
// commits, for every view, the row changes, the operator state changes,
// the new source offsets, and the epoch number: readers (ad-hoc SELECT, which iterates the state store
// at a point in time) see whole epochs only.
//
// # State store layout (<data_dir>/state)
//
//	stateTableID (4B BE) | key group (2B BE) | key -> value
//
// The state table id of a view's rows is the view's OID; its key is the
// key encoding (types.AppendKey) of the whole row and the value a count
// (8B BE) followed by types.AppendRow(row): a view is a multiset, the row
// itself is its stream key and duplicates count. The key group is
// fnv32(key) % maxParallelism, so key groups can move between workers or
// machines as units later. The stateful operators of view OID v use state
// tables 1<<31 | v<<8 | i (see exec/dataflow_state.go: per-entry input
// multisets, keyed by the operator's partitioning columns). State table 0
// holds metadata: "epoch"; per view "state" | OID (the view commits its
// operator state); per view and table "off" | view OID | table OID -> the
// last applied commit seq.
//
// # Restart
//
// A view whose state marker is present resumes from its committed state
// and offsets: each stateful operator is reloaded from its state tables
// (read at start, not lazily) and the view tails its tables' change logs
// from the stored offsets; no base table is read. A view without committed
// state (or whose upstream view has none) is rebuilt from a snapshot and
// its first epoch replaces its stored rows by the difference against the
// recomputed result. Either way the stored rows keep answering SELECT (the
// last committed epoch) meanwhile.
//
// # Deviations (written down, to be lifted)
//
//   - Parallelism is one worker per view: the coordinator runs the views
//     of one dependency level concurrently, one goroutine each. There is
//     no intra-view parallelism yet: a worker per key-group range would
//     split each stateful operator's input by the key group of its key
//     (the same hash as the row keys here), with barrier alignment at the
//     exchanges.
//   - Views over views receive the upstream view's changes in process in
//     the same epoch instead of through a change log in the state store:
//     no log is written (nothing would read it).
//   - Table change logs are truncated after each completed checkpoint
//     to the smallest offset of the views reading a table in the
//     retained checkpoints and in memory (log_truncation.go); no
//     truncation runs while a view is being created.
//   - Creating a view over tables only backfills from its own snapshot
//     while the other views keep running (progress in streamdb.dataflows,
//     status "backfilling", and the log every 2^20 rows); a view over
//     views backfills holding the coordinator, because the upstream views'
//     committed rows must match their dataflows.
type viewManager struct {
	srv    *Server
	store  *state.Store
	logger *slog.Logger

	// mu serialises epochs with the creation and removal of views.
	mu    sync.Mutex
	views map[uint32]*viewRuntime
	epoch uint64
	// lastTarget is the table commit seq the last epoch covered.
	lastTarget uint64
	// commitMu is held around an epoch's commit and the update of epoch
	// and lastTarget (every other state-store write is one atomic batch):
	// a checkpoint captures the state store under it instead of mu, so it
	// waits for a commit, never for a whole epoch (checkpoints.go).
	commitMu sync.Mutex

	// covered is the table commit seq every running view has applied, with
	// a channel closed when it advances.
	coverMu   sync.Mutex
	covered   uint64
	coverChan chan struct{}
	// lookups is the row cache of key lookups (lookup.go).
	lookups *viewLookups
	// consumed is, per table read by a running view, the smallest offset
	// of those views (source backpressure, views_backlog.go).
	consumed map[uint32]uint64

	// backfilling are the views being created, shown in
	// streamdb.dataflows (under bfMu: backfill runs without mu).
	bfMu        sync.Mutex
	backfilling map[uint32]*viewRuntime

	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// maxParallelism is the number of key groups of a view's state.
const maxParallelism = 128

type viewRuntime struct {
	desc    *catalog.Descriptor
	plan    planner.Node
	df      *exec.Dataflow
	tables  []uint32          // table inputs
	upviews []uint32          // view inputs
	offsets map[uint32]uint64 // per table input: last applied commit seq
	// lookahead holds per table input the log records read past the last
	// epoch's cut; ended marks the inputs whose bounded source has ended
	// (views_backlog.go). Both belong to the coordinator.
	lookahead map[uint32]*logLookahead
	ended     map[uint32]bool
	// rebuild: the next epoch's output is the whole result (a dataflow
	// rebuilt after a restart), to be diffed against the stored rows.
	rebuild bool
	// output of the current epoch, for downstream views, and its length.
	epochOut  []change
	epochRows int64
	// rowCounts is the hot copy of the stored rows' counts by row key
	// (nil: read the store).
	rowCounts map[string]int64

	status         string
	lastError      string
	rowsOut        int64
	rowErrors      int64
	committedEpoch uint64
	committedAt    time.Time
	started        time.Time
	backfilled     atomic.Int64
	// loggedRowErrors and rowErrorLoggedAt rate-limit the row error log.
	loggedRowErrors  int64
	rowErrorLoggedAt time.Time
}

type change struct {
	op  types.Op
	row types.Row
}

func startViews(s *Server) (*viewManager, error) {
	sopts := state.DefaultOptions()
	applyStateOptions(&sopts, s.opts)
	st, err := state.Open(filepath.Join(s.opts.DataDir, "state"), sopts)
	if err != nil {
		return nil, errors.Wrap(err, "opening the view state store")
	}
	m := &viewManager{
		srv: s, store: st, logger: s.logger, views: map[uint32]*viewRuntime{}, backfilling: map[uint32]*viewRuntime{},
		coverChan: make(chan struct{}), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
		lookups: newViewLookups(s.opts.RowCacheSize),
	}
	if v, ok, err := st.Get(metaKey("epoch")); err == nil && ok && len(v) == 8 {
		m.epoch = binary.BigEndian.Uint64(v)
	}
	m.lookups.cache.Start(m.epoch) // lookup.go
	// Resume every view: rebuild its dataflow from a snapshot; the stored
	// rows keep answering meanwhile.
	ctx := context.Background()
	for _, d := range s.cat.Relations() {
		if d.Kind != catalog.KindMaterializedView {
			continue
		}
		v, err := m.newRuntime(ctx, d)
		if err != nil {
			m.logger.Error("materialized view cannot be resumed", "view", d.Name, "err", err)
			m.views[d.OID] = &viewRuntime{desc: d, status: "failed", lastError: err.Error(), started: time.Now()}
			continue
		}
		if err := m.resume(ctx, v); err != nil {
			m.logger.Error("materialized view cannot be resumed", "view", d.Name, "err", err)
			v.status, v.lastError = "failed", err.Error()
		}
		m.views[d.OID] = v
	}
	go m.loop()
	return m, nil
}

// resume brings a view's dataflow back after a restart: from its
// committed operator state and source offsets when it has them (no base
// table is read), else by rebuilding from a snapshot, diffed against the
// stored rows in its first epoch. A view whose upstream view rebuilds
// rebuilds too (it receives the upstream's whole result).
func (m *viewManager) resume(ctx context.Context, v *viewRuntime) error {
	oid := v.desc.OID
	_, stateful, err := m.store.Get(stateMarkerKey(oid))
	if err != nil {
		return err
	}
	upRebuilds := false
	for _, up := range v.upviews {
		if u := m.views[up]; u == nil || u.rebuild {
			upRebuilds = true
		}
	}
	if stateful && !upRebuilds {
		offsets := map[uint32]uint64{}
		err := m.store.ScanPrefix(offsetPrefix(oid), func(k, val []byte) error {
			if len(k) >= 4 && len(val) == 8 {
				offsets[binary.BigEndian.Uint32(k[len(k)-4:])] = binary.BigEndian.Uint64(val)
			}
			return nil
		})
		complete := err == nil
		for _, t := range v.tables {
			_, ok := offsets[t]
			complete = complete && ok
		}
		if complete {
			start := time.Now()
			// The stored rows' counts load while the operators restore
			// (independent reads of the same committed epoch).
			counts := map[string]int64{}
			countsDone := make(chan error, 1)
			go func() {
				countsDone <- m.store.ScanPrefix(viewPrefix(oid), func(k, val []byte) error {
					if len(k) < 6 || len(val) < 8 {
						return types.Errorf(types.CodeDataCorrupted, "corrupt row of materialized view %q", v.desc.Name)
					}
					counts[string(k[6:])] = int64(binary.BigEndian.Uint64(val[:8]))
					return nil
				})
			}()
			restoreErr := v.df.Restore(ctx, m.store, m.epoch)
			if err := <-countsDone; err != nil {
				return err
			}
			if restoreErr != nil {
				return restoreErr
			}
			v.rowCounts = counts
			for _, t := range v.tables {
				v.offsets[t] = offsets[t]
			}
			v.committedEpoch = m.epoch
			m.logger.Info("materialized view resumed from its committed state", "view", v.desc.Name, "epoch", m.epoch, "duration", time.Since(start))
			return nil
		}
	}
	v.rebuild = true
	rebuilding := func(up uint32) bool { u := m.views[up]; return u == nil || u.rebuild }
	if err := m.backfillWith(ctx, v, rebuilding); err != nil {
		return err
	}
	m.logger.Info("materialized view rebuilt from a snapshot", "view", v.desc.Name, "epoch", m.epoch, "backfilled_rows", v.backfilled.Load())
	return nil
}

// stateMarkerKey marks a view whose operator state and offsets are
// committed with every epoch.
func stateMarkerKey(view uint32) []byte {
	return binary.BigEndian.AppendUint32(metaKey("state"), view)
}

// stateBase is the first state table id of a view's operators: ids with
// the high bit set cannot collide with view OIDs (the ids of view rows).
func stateBase(view uint32) uint32 { return 1<<31 | view<<8 }

// maxStateTables bounds the stateful operators of one view.
const maxStateTables = 256

// close stops the coordinator and closes the state store.
func (m *viewManager) close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	close(m.stop)
	<-m.done
	return m.store.Close()
}

func (m *viewManager) loop() {
	defer close(m.done)
	interval := m.srv.opts.BarrierInterval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	// The first epoch runs at once: views resumed after a restart commit
	// their rebuilt result.
	m.mu.Lock()
	if err := m.runEpochLocked(context.Background()); err != nil {
		m.logger.Error("view epoch failed", "err", err)
	}
	m.mu.Unlock()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		case <-m.wake:
		}
		if err := m.runEpoch(context.Background()); err != nil {
			m.logger.Error("view epoch failed", "err", err)
		}
	}
}

// metaKey is a key of state table 0.
func metaKey(parts ...string) []byte {
	k := make([]byte, 6, 32)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func offsetKey(view, source uint32) []byte {
	k := metaKey("off")
	k = binary.BigEndian.AppendUint32(k, view)
	return binary.BigEndian.AppendUint32(k, source)
}

func offsetPrefix(view uint32) []byte {
	return binary.BigEndian.AppendUint32(metaKey("off"), view)
}

// rowKey is the state key of a view row: view OID | key group | key.
func viewRowKey(buf []byte, view uint32, rowKey []byte) []byte {
	// FNV-1a, inline: hash/fnv's hasher is an allocation per call, and
	// this runs once per changed view row.
	h := uint32(2166136261)
	for _, c := range rowKey {
		h = (h ^ uint32(c)) * 16777619
	}
	buf = binary.BigEndian.AppendUint32(buf[:0], view)
	buf = binary.BigEndian.AppendUint16(buf, uint16(h%maxParallelism))
	return append(buf, rowKey...)
}

func viewPrefix(view uint32) []byte { return binary.BigEndian.AppendUint32(nil, view) }

// appendViewRow appends a stored view row: its multiplicity, then the row.
func appendViewRow(buf []byte, count int64, r types.Row) []byte {
	return types.AppendRow(binary.BigEndian.AppendUint64(buf, uint64(count)), r)
}

func decodeViewRow(v []byte) (int64, types.Row, error) {
	if len(v) < 8 {
		return 0, nil, types.Errorf(types.CodeDataCorrupted, "corrupt materialized view row")
	}
	r, err := types.DecodeRow(v[8:])
	return int64(binary.BigEndian.Uint64(v[:8])), r, err
}

// emitStoredViewRow calls fn once per copy of the stored view row v (a
// view is a multiset: a row stored with count n is returned n times).
func emitStoredViewRow(v []byte, fn func(types.Row) error) error {
	count, row, err := decodeViewRow(v)
	if err != nil {
		return err
	}
	for i := int64(0); i < count; i++ {
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// bindView binds a view's stored query for streaming.
func (m *viewManager) bindView(d *catalog.Descriptor) (planner.Node, error) {
	stmts, err := parser.Parse(d.Query)
	if err != nil || len(stmts) != 1 || stmts[0].AST == nil {
		return nil, types.Errorf(types.CodeDataCorrupted, "materialized view %q has an invalid stored definition", d.Name)
	}
	path := []string{d.Namespace, "public"}
	if sp := d.Options[searchPathOption]; sp != "" {
		path = strings.Split(sp, ",")
	}
	b := planner.NewBinder(newBoundNamesCatalog(m.srv.cat, d), path, d.Query, nil)
	plan, err := b.BindMaterializedView(stmts[0].AST)
	if err != nil {
		return nil, err
	}
	return visibleOnly(plan), nil
}

// visibleOnly projects hidden columns (a table's row id) away.
func visibleOnly(plan planner.Node) planner.Node {
	cols := plan.Columns()
	idx := visibleIdx(cols)
	if len(idx) == len(cols) {
		return plan
	}
	p := &planner.Project{Input: plan}
	for _, i := range idx {
		p.Exprs = append(p.Exprs, &planner.ColRef{Idx: i, Typ: cols[i].Type})
		p.Cols = append(p.Cols, cols[i])
	}
	return p
}

func viewEnv() *exec.Env {
	return &exec.Env{Eval: &builtins.Context{StmtTime: time.Now(), Location: time.UTC}}
}

// newRuntime builds the dataflow of a view (not yet fed).
func (m *viewManager) newRuntime(ctx context.Context, d *catalog.Descriptor) (*viewRuntime, error) {
	plan, err := m.bindView(d)
	if err != nil {
		return nil, err
	}
	return m.runtimeFor(ctx, d, plan)
}

func (m *viewManager) runtimeFor(ctx context.Context, d *catalog.Descriptor, plan planner.Node) (*viewRuntime, error) {
	if d.OID >= 1<<23 {
		return nil, types.Unsupported("materialized views with an OID above 2^23")
	}
	workers, err := m.viewParallelism(d) // views_parallel.go
	if err != nil {
		return nil, err
	}
	df, err := exec.NewParallelDataflow(ctx, viewEnv(), plan, m.dataflowOptions(d), workers) // watermark.go
	if err != nil {
		return nil, err
	}
	if err := m.srv.ttl.enableView(m, d, df, plan); err != nil { // ttl_view.go
		return nil, err
	}
	if reason := df.SerialReason(); reason != "" {
		m.logger.Info("materialized view runs on one worker", "view", d.Name, "reason", reason)
	}
	if len(df.StateTables()) >= maxStateTables { // the last id keeps the input watermarks
		return nil, types.Unsupported(fmt.Sprintf("a materialized view with more than %d stateful operators", maxStateTables))
	}
	v := &viewRuntime{desc: d, plan: plan, df: df, offsets: map[uint32]uint64{}, status: "running", started: time.Now()}
	for _, oid := range df.Inputs() {
		src, ok := m.srv.cat.ByOID(oid)
		if !ok {
			return nil, types.Errorf(types.CodeUndefinedTable, "relation with OID %d does not exist", oid)
		}
		switch src.Kind {
		case catalog.KindTable:
			v.tables = append(v.tables, oid)
		case catalog.KindMaterializedView:
			v.upviews = append(v.upviews, oid)
		default:
			return nil, types.Unsupported(fmt.Sprintf("reading %s %q in a materialized view", kindWord(src.Kind), src.Name))
		}
	}
	return v, nil
}

// backfill feeds a new dataflow the current contents of its inputs: the
// tables from one snapshot (their offsets become the snapshot's seq), and,
// unless restarting (when upstream views are rebuilt too and send their
// whole result in the first epoch), the committed rows of upstream views.
// Called with m.mu held or before the coordinator starts.
func (m *viewManager) backfill(ctx context.Context, v *viewRuntime, restarting bool) error {
	return m.backfillWith(ctx, v, func(uint32) bool { return restarting })
}

// backfillWith is backfill where skipUp says which upstream views send their
// whole result in the next epoch (they rebuild) and must not be scanned.
func (m *viewManager) backfillWith(ctx context.Context, v *viewRuntime, skipUp func(uint32) bool) error {
	if err := v.df.Start(ctx); err != nil {
		return err
	}
	tx := m.srv.tables.Begin()
	tx.SkipTTLRefresh() // ttl.go: a backfill is not a user read
	defer tx.Rollback()
	if err := m.syncTables(); err != nil {
		return err
	}
	var c types.Chunk
	flush := func(oid uint32) error {
		if c.Len() == 0 {
			return nil
		}
		if n := v.backfilled.Add(int64(c.Len())); n%(1<<20) < int64(c.Len()) {
			m.logger.Info("materialized view backfill progress", "view", v.desc.Name, "rows", n)
		}
		err := v.df.Push(ctx, oid, &c)
		c.Reset()
		return err
	}
	for _, oid := range v.tables {
		err := tx.Scan(ctx, oid, func(_ []byte, row types.Row) error {
			c.Append(types.Insert, row)
			if c.Len() >= types.ChunkCapacity {
				return flush(oid)
			}
			return nil
		})
		if err == nil {
			err = flush(oid)
		}
		if err != nil {
			return err
		}
		v.offsets[oid] = tx.StartSeq()
	}
	for _, oid := range v.upviews {
		if skipUp(oid) {
			continue
		}
		err := m.scanRows(ctx, oid, func(r types.Row) error {
			c.Append(types.Insert, r)
			if c.Len() >= types.ChunkCapacity {
				return flush(oid)
			}
			return nil
		})
		if err == nil {
			err = flush(oid)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanRows calls fn for every row of a view's last committed epoch
// (duplicates repeated). fn may not keep the row past the call... it may:
// rows are decoded fresh.
func (m *viewManager) scanRows(ctx context.Context, oid uint32, fn func(types.Row) error) error {
	if d, ok := m.srv.cat.ByOID(oid); ok && isBlackholeSink(d) { // blackhole_sink.go
		return errReadBlackholeSink(d.Name)
	}
	n := 0
	ttlFilter, err := m.srv.ttl.rowFilter(m.store.DB(), oid) // ttl_view.go
	if err != nil {
		return err
	}
	defer ttlFilter.close()
	return m.store.ScanPrefix(viewPrefix(oid), func(key, value []byte) error {
		if n++; n&1023 == 0 && ctx.Err() != nil {
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		if !ttlFilter.live(key) { // ttl_view.go
			return nil
		}
		return emitStoredViewRow(value, fn)
	})
}

// isView reports whether oid is a materialized view this manager keeps.
func (m *viewManager) isView(oid uint32) bool {
	d, ok := m.srv.cat.ByOID(oid)
	return ok && d.Kind == catalog.KindMaterializedView
}

// create registers a new view: builds its dataflow, backfills it and
// commits its first epoch before returning.
func (m *viewManager) create(ctx context.Context, d *catalog.Descriptor, plan planner.Node) error {
	v, err := m.runtimeFor(ctx, d, plan)
	if err != nil {
		return err
	}
	start := time.Now()
	v.status = "backfilling"
	v.rowCounts = map[string]int64{}
	m.bfMu.Lock()
	m.backfilling[d.OID] = v
	m.bfMu.Unlock()
	defer func() {
		m.bfMu.Lock()
		delete(m.backfilling, d.OID)
		m.bfMu.Unlock()
	}()
	if len(v.upviews) == 0 {
		// A view over tables only backfills from its own snapshot while
		// the other views keep running; its offsets are the snapshot's.
		err = m.backfill(ctx, v, false)
		m.mu.Lock()
	} else {
		// Upstream views' committed rows must match their dataflows:
		// hold the coordinator.
		m.mu.Lock()
		err = m.backfill(ctx, v, false)
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	v.status = "running"
	m.views[d.OID] = v
	m.logger.Info("materialized view backfilled", "view", d.Name, "rows", v.backfilled.Load(), "duration", time.Since(start))
	err = m.runEpochLocked(ctx)
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if v.status == "failed" {
		return types.Errorf(types.CodeInternalError, "materialized view %q failed during backfill: %s", d.Name, v.lastError)
	}
	return nil
}

// drop stops a view and deletes its state.
func (m *viewManager) drop(oid uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.views, oid)
	m.publishConsumedLocked() // its sources no longer wait for it
	// lookup.go: the row cache forgets the view's answers.
	defer m.lookups.dropView(oid)
	return m.store.Write(func(b *pebble.Batch) error {
		p := viewPrefix(oid)
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
		if err := b.DeleteRange(exec.StateTablePrefix(stateBase(oid)), exec.StateTablePrefix(stateBase(oid+1)), nil); err != nil {
			return err
		}
		if err := b.Delete(stateMarkerKey(oid), nil); err != nil {
			return err
		}
		if err := m.srv.ttl.dropView(b, oid); err != nil { // ttl_view.go
			return err
		}
		op := offsetPrefix(oid)
		return b.DeleteRange(op, prefixEnd(op), nil)
	})
}

func prefixEnd(p []byte) []byte { return appendPrefixEnd(nil, p) }

// appendPrefixEnd appends to dst[:0] the first key past every key with
// prefix p, or returns nil (no upper bound) when there is none (p is all
// 0xff).
func appendPrefixEnd(dst, p []byte) []byte {
	end := append(dst[:0], p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// flush waits until every view has committed an epoch covering every table
// commit made before the call.
func (m *viewManager) flush(ctx context.Context) error {
	target := m.srv.tables.CommitSeq()
	for {
		m.coverMu.Lock()
		covered, ch := m.covered, m.coverChan
		m.coverMu.Unlock()
		if running, endPending := m.runningState(); !running || covered >= target && !endPending {
			return nil
		}
		select {
		case m.wake <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		case <-m.done:
			return types.Errorf(types.CodeAdminShutdown, "terminating FLUSH: the server is shutting down")
		}
	}
}

// runningState reports whether a view is running, and whether a running
// view has yet to mark the end of a finished bounded source (FLUSH waits
// for that epoch too).
func (m *viewManager) runningState() (running, endPending bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.views {
		if v.status == "running" {
			running = true
			break
		}
	}
	return running, running && m.endPendingLocked()
}

func (m *viewManager) runEpoch(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	if m.srv.tables.CommitSeq() == m.lastTarget && !m.endPendingLocked() {
		// Nothing was committed since the last epoch (or every view has
		// applied it) and no source ended: no view can change.
		return nil
	}
	return m.runEpochLocked(ctx)
}

// syncTables makes every visible table commit durable. A commit is
// visible a moment before its fsync completes; a view must never apply
// (and record in its offsets) a commit that a crash can still lose, or the
// commit seq would be reused by a different commit after the restart and
// skipped. Every commit visible before the call is covered: its batch was
// applied before it became visible.
func (m *viewManager) syncTables() error {
	err := m.srv.tables.Store().DB().LogData(nil, pebble.Sync)
	return types.WithCode(errors.Wrap(err, "syncing the table store"), types.CodeIOError)
}

// errPastTarget stops a log scan at the epoch's target seq.
var errPastTarget = errors.New("past the epoch's target seq")

// runEpochLocked runs one epoch over every running view and commits it.
func (m *viewManager) runEpochLocked(ctx context.Context) error {
	target := m.srv.tables.CommitSeq()
	if err := m.syncTables(); err != nil {
		return err
	}
	ordered := make([]*viewRuntime, 0, len(m.views))
	for _, v := range m.views {
		ordered = append(ordered, v)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].desc.OID < ordered[j].desc.OID })
	// Bounded epochs (views_backlog.go): the epoch covers the commits up to
	// cut, at most about views.max_epoch_rows rows of each table log per
	// view; the rest waits for the next epoch, which runs at once.
	cut := m.readAhead(ordered, target)
	epoch := m.epoch + 1
	batch := m.store.DB().NewBatch()
	defer batch.Close()
	// Views run level by level (a view's level is one more than its
	// upstream views'), the views of one level concurrently, one goroutine
	// each, each into its own batch; the batches are merged into one
	// atomic commit.
	level := map[uint32]int{}
	var levels [][]*viewRuntime
	for _, v := range ordered {
		v.epochOut = v.epochOut[:0]
		v.epochRows = 0
		l := 0
		for _, up := range v.upviews {
			l = max(l, level[up]+1)
		}
		level[v.desc.OID] = l
		for len(levels) <= l {
			levels = append(levels, nil)
		}
		levels[l] = append(levels[l], v)
	}
	for _, views := range levels {
		batches := make([]*pebble.Batch, len(views))
		var wg sync.WaitGroup
		for i, v := range views {
			if v.status != "running" {
				continue
			}
			batches[i] = m.store.DB().NewBatch()
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := m.runViewEpoch(ctx, v, cut, epoch, batches[i])
				if err != nil {
					// The view stops; its stored rows keep the last
					// committed epoch. Views reading it stop too.
					v.status, v.lastError = "failed", err.Error()
					v.epochOut = nil
					m.logger.Error("materialized view failed", "view", v.desc.Name, "err", err)
					return
				}
				v.epochRows = n
			}()
		}
		wg.Wait()
		for i, b := range batches {
			if b == nil {
				continue
			}
			var err error
			if views[i].status == "running" {
				err = batch.Apply(b, nil)
			}
			_ = b.Close()
			if err != nil {
				return types.WithCode(errors.Wrap(err, "merging a view epoch"), types.CodeIOError)
			}
		}
	}
	var eb [8]byte
	binary.BigEndian.PutUint64(eb[:], epoch)
	if err := batch.Set(metaKey("epoch"), eb[:], nil); err != nil {
		return err
	}
	m.commitMu.Lock()
	if err := batch.Commit(pebble.Sync); err != nil {
		m.commitMu.Unlock()
		// The dataflows have moved past what is stored: they can no longer
		// be maintained consistently until a restart rebuilds them.
		for _, v := range ordered {
			if v.status == "running" {
				v.status, v.lastError = "failed", "committing an epoch: "+err.Error()
			}
		}
		m.publishConsumedLocked() // failed views hold no source back
		return types.WithCode(errors.Wrap(err, "committing a view epoch"), types.CodeIOError)
	}
	m.epoch = epoch
	m.lastTarget = cut
	m.commitMu.Unlock()
	m.lookups.epochCommitted(m, ordered, epoch) // lookup.go: the row cache follows the epoch
	now := time.Now()
	for _, v := range ordered {
		if v.status == "running" {
			v.committedEpoch, v.committedAt = epoch, now
			v.rowsOut += v.epochRows
			v.rebuild = false
		}
	}
	m.coverMu.Lock()
	if cut > m.covered {
		m.covered = cut
	}
	m.coverMu.Unlock()
	m.publishConsumedLocked() // wakes FLUSH and backpressured sources
	if cut < target {
		// A backlog remains: the next epoch runs at once.
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// runViewEpoch feeds one view the changes up to the epoch's cut (read ahead
// into its lookahead), delivers the barrier and writes the view's row
// changes and offsets into batch.
func (m *viewManager) runViewEpoch(ctx context.Context, v *viewRuntime, cut, epoch uint64, batch *pebble.Batch) (int64, error) {
	for _, up := range v.upviews {
		u := m.views[up]
		if u == nil || u.status != "running" {
			return 0, types.Errorf(types.CodeObjectNotInPrerequisiteState, "upstream materialized view %d is not running", up)
		}
	}
	m.srv.ttl.beginViewEpoch(v) // ttl_view.go
	var c types.Chunk
	newOffsets := map[uint32]uint64{}
	for _, oid := range v.tables {
		if err := pushLookahead(ctx, v, oid, cut, &c); err != nil {
			return 0, err
		}
		newOffsets[oid] = max(v.offsets[oid], cut)
	}
	for _, up := range v.upviews {
		for _, ch := range m.views[up].epochOut {
			if c.Len() >= types.ChunkCapacity && ch.op != types.UpdateInsert {
				if err := v.df.Push(ctx, up, &c); err != nil {
					return 0, err
				}
				c.Reset()
			}
			c.Append(ch.op, ch.row)
		}
		if c.Len() > 0 {
			if err := v.df.Push(ctx, up, &c); err != nil {
				return 0, err
			}
			c.Reset()
		}
	}
	for oid, seq := range newOffsets {
		v.offsets[oid] = seq
	}
	m.endInputsLocked(v) // views_backlog.go: bounded sources that ended
	out, err := v.df.Barrier(ctx, epoch)
	if err != nil {
		return 0, err
	}
	if n, last := v.df.RowErrors(); n > v.loggedRowErrors && time.Since(v.rowErrorLoggedAt) > 10*time.Second {
		// Rate-limited: a bad input can produce an error per row.
		m.logger.Warn("materialized view: row-level errors became NULL", "view", v.desc.Name, "errors", n, "last", last)
		v.loggedRowErrors, v.rowErrorLoggedAt = n, time.Now()
	}
	for i, r := range out.Rows {
		v.epochOut = append(v.epochOut, change{out.Ops[i], r})
	}
	if err := m.srv.ttl.sweepViewRows(m, v, batch); err != nil { // ttl_view.go
		return 0, err
	}
	if err := m.applyRows(v, out, batch); err != nil {
		return 0, err
	}
	// Operator state: the new view's or rebuilt view's first epoch starts
	// from empty state tables (a rebuild clears them).
	fresh := v.rebuild || v.committedEpoch == 0
	if v.rebuild {
		lo, hi := exec.StateTablePrefix(stateBase(v.desc.OID)), exec.StateTablePrefix(stateBase(v.desc.OID+1))
		if err := batch.DeleteRange(lo, hi, nil); err != nil {
			return 0, err
		}
	}
	err = v.df.StateChanges(m.store, fresh,
		func(k, val []byte) error { return batch.Set(k, val, nil) },
		func(k []byte) error { return batch.Delete(k, nil) })
	if err != nil {
		return 0, err
	}
	if err := batch.Set(stateMarkerKey(v.desc.OID), []byte{1}, nil); err != nil {
		return 0, err
	}
	for oid, seq := range newOffsets {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], seq)
		if err := batch.Set(offsetKey(v.desc.OID, oid), b[:], nil); err != nil {
			return 0, err
		}
	}
	return int64(out.Len()), nil
}

type pendingRow struct {
	count int64
	row   types.Row
}

// applyRows applies a view's changes of one epoch to its stored rows. In
// rebuild mode the changes are the whole result: every stored row not in it
// is deleted.
func (m *viewManager) applyRows(v *viewRuntime, out *types.Chunk, batch *pebble.Batch) error {
	if isBlackholeSink(v.desc) { // blackhole_sink.go: the output is discarded
		return nil
	}
	oid := v.desc.OID
	// Sized for the chunk, and the pendingRows carved from one slice
	// (never grown past its capacity, so the pointers stay valid): one
	// epoch of q0 changes hundreds of thousands of rows.
	pending := make(map[string]*pendingRow, len(out.Rows))
	slab := make([]pendingRow, 0, len(out.Rows))
	var keyBuf []byte
	lookup := func(key string) (*pendingRow, error) {
		if p, ok := pending[key]; ok {
			return p, nil
		}
		slab = append(slab, pendingRow{})
		p := &slab[len(slab)-1]
		switch {
		case v.rebuild:
		case v.rowCounts != nil:
			p.count = v.rowCounts[key]
		default:
			val, ok, err := m.store.Get(viewRowKey(keyBuf, oid, []byte(key)))
			if err != nil {
				return nil, err
			}
			if ok {
				if p.count, p.row, err = decodeViewRow(val); err != nil {
					return nil, err
				}
			}
		}
		pending[key] = p
		return p, nil
	}
	var k []byte
	for i, r := range out.Rows {
		k = k[:0]
		for _, d := range r {
			k = types.AppendKey(k, d, false)
		}
		p, err := lookup(string(k))
		if err != nil {
			return err
		}
		// Equal keys are equal rows: any change's row is the stored row.
		p.row = r
		if out.Ops[i].IsInsert() {
			p.count++
		} else if p.count > 0 || !m.srv.ttl.ignoresRetraction(oid) { // ttl_view.go: an expired row
			p.count--
		}
	}
	if v.rebuild {
		v.rowCounts = map[string]int64{}
		// Delete every stored row; the batch's later Sets win.
		p := viewPrefix(oid)
		if err := batch.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	var valBuf []byte
	for key, p := range pending {
		if err := m.srv.ttl.noteViewRow(v, []byte(key), p.count, p.row, batch); err != nil { // ttl_view.go
			return err
		}
		// The batch copies keys and values: one buffer each serves every row.
		k = viewRowKey(k, oid, []byte(key))
		if p.count <= 0 {
			if p.count < 0 {
				v.rowErrors++
				m.logger.Warn("materialized view row count went negative", "view", v.desc.Name)
			}
			if !v.rebuild {
				if err := batch.Delete(k, nil); err != nil {
					return err
				}
			}
			if v.rowCounts != nil {
				delete(v.rowCounts, key)
			}
			continue
		}
		valBuf = appendViewRow(valBuf[:0], p.count, p.row)
		if err := batch.Set(k, valBuf, nil); err != nil {
			return err
		}
		if v.rowCounts != nil {
			v.rowCounts[key] = p.count
		}
	}
	return nil
}

// dataflowRows are the rows of streamdb.dataflows.
func (m *viewManager) dataflowRows() []types.Row {
	var out []types.Row
	m.bfMu.Lock()
	for oid, v := range m.backfilling {
		out = append(out, types.Row{
			types.DInt(int64(oid)), types.DString(v.desc.Name), types.DString("materialized view"), types.DString("backfilling"),
			dataflowWorkers(v.df), types.DInt(maxParallelism), types.Null, types.Null, types.DInt(v.backfilled.Load()),
			types.DInt(0), types.DInt(0), types.Null, types.DTimestampTZ(types.TimestampFromTime(v.started)),
			types.Null, types.DInt(0), // watermark, late_rows
		})
	}
	m.bfMu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	oids := make([]uint32, 0, len(m.views))
	for oid := range m.views {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	for _, oid := range oids {
		v := m.views[oid]
		var rowsIn int64
		rowErrors := v.rowErrors
		if v.df != nil {
			rowsIn = v.df.RowsIn()
			n, _ := v.df.RowErrors()
			rowErrors += n
		}
		freshness := types.Null
		if !v.committedAt.IsZero() {
			freshness = types.DInterval(types.IntervalValue{Micros: time.Since(v.committedAt).Microseconds()})
		}
		lastErr := types.Null
		if v.lastError != "" {
			lastErr = types.DString(v.lastError)
		}
		out = append(out, types.Row{
			types.DInt(int64(oid)), types.DString(v.desc.Name), types.DString("materialized view"), types.DString(v.status),
			dataflowWorkers(v.df), types.DInt(maxParallelism), types.DInt(int64(v.committedEpoch)),
			freshness, types.DInt(rowsIn), types.DInt(v.rowsOut), types.DInt(rowErrors),
			lastErr, types.DTimestampTZ(types.TimestampFromTime(v.started)),
			watermarkDatum(v.df), types.DInt(lateRows(v.df)), // watermark.go
		})
	}
	return out
}

// stateTableRows are the rows of streamdb.state_tables: per view, its rows
// and each stateful operator's state table (entries counted exactly,
// bytes estimated by Pebble). TTL is not implemented: ttl and ttl_time are
// NULL, expired_rows 0.
func (m *viewManager) stateTableRows() []types.Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	db := m.store.DB()
	size := func(lo, hi []byte) types.Datum {
		n, err := db.EstimateDiskUsage(lo, hi)
		if err != nil {
			return types.Null
		}
		return types.DInt(int64(n))
	}
	oids := make([]uint32, 0, len(m.views))
	for oid := range m.views {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	var out []types.Row
	for _, oid := range oids {
		v := m.views[oid]
		name := types.DString(v.desc.Name)
		p := viewPrefix(oid)
		out = append(out, types.Row{types.DInt(int64(oid)), types.DInt(int64(oid)), name, types.DString("materialize (view rows)"),
			types.Null, size(p, prefixEnd(p)), types.Null, types.Null, types.DInt(0)})
		if v.df == nil {
			continue
		}
		for _, st := range v.df.StateTableInfos() {
			p := exec.StateTablePrefix(st.ID)
			out = append(out, types.Row{types.DInt(int64(st.ID)), types.DInt(int64(oid)), name, types.DString(st.Operator),
				types.DInt(st.Entries), size(p, prefixEnd(p)), types.Null, types.Null, types.DInt(0)})
		}
	}
	return out
}
