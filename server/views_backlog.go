package server

import (
	"context"
	"math"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// Bounded epochs, source backpressure and end of input.
//
// # Bounded epochs
//
// An epoch used to cover every table commit made before it started. After
// a restart (or whenever a view falls behind) that made the first epoch
// swallow the whole backlog: no output until all of it was processed, and
// the operators' epoch buffers (and a windowed view's open state) grew
// with the backlog. Now each epoch reads at most views.max_epoch_rows
// change-log rows of each table a view reads (Options.ViewMaxEpochRows,
// default 65,536) and the epoch is cut at a table commit seq: the largest
// seq through which every running view has read all the logs it needs.
// Every view then applies exactly the commits up to that seq (never part
// of a commit), as if the epoch had been started right after it, so each
// committed epoch is still a consistent prefix of the table history; the
// coordinator runs the next epoch at once until the views have caught up.
//
// Rows read past the cut are not read again: each view keeps them, per
// table, in a lookahead buffer (at most about one budget of rows per
// table) that the next epoch consumes first.
//
// # Backpressure
//
// A nexmark generator writes into its table's log as fast as it can. A
// view that cannot keep up would let the unread log grow without bound
// (and make a restart's catch-up as long as the generator's lead). So a
// generator pauses while the rows it wrote that the slowest running view
// reading its table has not yet applied exceed sources.max_backlog_rows
// (Options.SourceMaxBacklogRows, default 1,048,576); a table no running
// view reads is not held back.
//
// # End of input
//
// A bounded nexmark source (nexmark.event.num) that has written all its
// events will never write another row. Once a view has applied its whole
// log, the view's input watermark of that table moves to +infinity (as
// Flink does at the end of a bounded input), so EMIT ON WINDOW CLOSE views
// emit their last windows and watermark-expired state is dropped. FLUSH
// waits for that epoch too.

const (
	// defaultViewMaxEpochRows is views.max_epoch_rows' default.
	defaultViewMaxEpochRows = 1 << 16
	// defaultSourceMaxBacklogRows is sources.max_backlog_rows' default.
	defaultSourceMaxBacklogRows = 1 << 20
)

// logRecord is one change-log record read ahead of the epoch cut.
type logRecord struct {
	seq uint64
	op  types.Op
	row types.Row
}

// logLookahead is what a view has read of one table's log: recs are the
// records with seq in (offset, scanned], in log order.
type logLookahead struct {
	recs    []logRecord
	scanned uint64
}

// errBudgetReached stops a log scan once a view has read its epoch budget.
var errBudgetReached = errors.New("epoch row budget reached")

// readAhead fills each running view's lookahead of each table it reads, up
// to target and about budget rows per table, and returns the epoch's cut:
// the largest seq <= target through which every view has read every log.
// A view whose read fails is marked failed (and no longer holds the cut
// back). The views read concurrently, one goroutine each.
func (m *viewManager) readAhead(ordered []*viewRuntime, target uint64) uint64 {
	budget := m.srv.opts.ViewMaxEpochRows
	if budget <= 0 {
		budget = math.MaxInt
	}
	complete := make([]uint64, len(ordered))
	var wg sync.WaitGroup
	for i, v := range ordered {
		complete[i] = target
		if v.status != "running" || len(v.tables) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := m.readViewAhead(v, target, budget)
			if err != nil {
				v.status, v.lastError = "failed", err.Error()
				m.logger.Error("materialized view failed", "view", v.desc.Name, "err", err)
				return
			}
			complete[i] = c
		}()
	}
	wg.Wait()
	cut := target
	for i, v := range ordered {
		if v.status == "running" {
			cut = min(cut, complete[i])
		}
	}
	return cut
}

// readViewAhead reads the logs of v's tables into its lookaheads and
// returns the seq through which all of them are complete.
func (m *viewManager) readViewAhead(v *viewRuntime, target uint64, budget int) (uint64, error) {
	if v.lookahead == nil {
		v.lookahead = map[uint32]*logLookahead{}
	}
	complete := target
	for _, oid := range v.tables {
		la := v.lookahead[oid]
		if la == nil || la.scanned < v.offsets[oid] {
			// Nothing read yet, or the offsets moved under it (a new
			// runtime): start from the offset.
			la = &logLookahead{scanned: v.offsets[oid]}
			v.lookahead[oid] = la
		}
		if la.scanned < target && len(la.recs) < budget {
			last, stopped := la.scanned, false
			err := m.srv.tables.ScanLog(oid, la.scanned+1, func(seq uint64, op types.Op, row types.Row) error {
				if seq > target {
					return errPastTarget
				}
				if seq != last && len(la.recs) >= budget {
					// Stop at a commit boundary: every record of last is read.
					stopped = true
					return errBudgetReached
				}
				last = seq
				la.recs = append(la.recs, logRecord{seq: seq, op: op, row: row})
				return nil
			})
			if err != nil && !errors.Is(err, errPastTarget) && !errors.Is(err, errBudgetReached) {
				return 0, err
			}
			if stopped {
				la.scanned = last
			} else {
				// Every record up to target is read (the log is read up to
				// the last visible commit, which is at least target).
				la.scanned = target
			}
		}
		complete = min(complete, la.scanned)
	}
	return complete, nil
}

// pushLookahead pushes the view's records of table oid with seq <= cut into
// its dataflow (update pairs kept in one chunk) and drops them from the
// lookahead.
func pushLookahead(ctx context.Context, v *viewRuntime, oid uint32, cut uint64, c *types.Chunk) error {
	la := v.lookahead[oid]
	if la == nil {
		return nil
	}
	n := 0
	for ; n < len(la.recs) && la.recs[n].seq <= cut; n++ {
		r := &la.recs[n]
		if c.Len() >= types.ChunkCapacity && r.op != types.UpdateInsert {
			if err := v.df.Push(ctx, oid, c); err != nil {
				return err
			}
			c.Reset()
		}
		c.Append(r.op, r.row)
	}
	if c.Len() > 0 {
		if err := v.df.Push(ctx, oid, c); err != nil {
			return err
		}
		c.Reset()
	}
	rest := copy(la.recs, la.recs[n:])
	clear(la.recs[rest:]) // release the pushed rows
	la.recs = la.recs[:rest]
	return nil
}

// publishConsumedLocked records, per table read by a running view, the
// smallest offset of those views (what backpressure waits on), and wakes
// the waiters. Called with m.mu held, after an epoch commits or a view
// goes away.
func (m *viewManager) publishConsumedLocked() {
	consumed := map[uint32]uint64{}
	for _, v := range m.views {
		if v.status != "running" {
			continue
		}
		for _, t := range v.tables {
			if c, ok := consumed[t]; !ok || v.offsets[t] < c {
				consumed[t] = v.offsets[t]
			}
		}
	}
	m.coverMu.Lock()
	m.consumed = consumed
	close(m.coverChan)
	m.coverChan = make(chan struct{})
	m.coverMu.Unlock()
}

// waitConsumed blocks until every running view reading table has applied
// its log through seq (at once when none reads it), or ctx ends, or the
// view runtime stops.
func (m *viewManager) waitConsumed(ctx context.Context, table uint32, seq uint64) {
	if m == nil {
		return
	}
	for {
		m.coverMu.Lock()
		c, ok := m.consumed[table]
		ch := m.coverChan
		m.coverMu.Unlock()
		if !ok || c >= seq {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-m.done:
			return
		}
	}
}

// sourceBackpressure holds a generator back while its table's unapplied
// log exceeds the bound: it remembers the commits the generator made that
// the slowest view may not have applied yet.
type sourceBackpressure struct {
	m     *viewManager
	table uint32
	bound int64
	// pending are the generator's commits (grouped) in order: the table
	// commit seq after each group and its rows; rows is their sum.
	pending []pendingCommit
	rows    int64
}

type pendingCommit struct {
	seq  uint64
	rows int64
}

// newSourceBackpressure returns the backpressure of a source writing
// table. A nil manager or a bound <= 0 never holds back.
func (m *viewManager) newSourceBackpressure(table uint32) *sourceBackpressure {
	bp := &sourceBackpressure{m: m, table: table}
	if m != nil {
		bp.bound = m.srv.opts.SourceMaxBacklogRows
	}
	return bp
}

// maxPendingCommits bounds a backpressure's list of commits: beyond it,
// neighbours are merged (waiting for the later seq of a merged pair only
// holds back a bit longer).
const maxPendingCommits = 256

// wrote records a commit of rows rows; seq is the table store's commit seq
// after it (at or past the commit's own).
func (bp *sourceBackpressure) wrote(seq uint64, rows int) {
	if bp.m == nil || bp.bound <= 0 || rows == 0 {
		return
	}
	bp.rows += int64(rows)
	// Group small commits so the list stays short (about 64 entries per
	// bound).
	if n := len(bp.pending); n > 0 && bp.pending[n-1].rows < bp.bound/64 {
		bp.pending[n-1] = pendingCommit{seq: seq, rows: bp.pending[n-1].rows + int64(rows)}
		return
	}
	bp.pending = append(bp.pending, pendingCommit{seq: seq, rows: int64(rows)})
	if len(bp.pending) > maxPendingCommits {
		// No view has read them (none reads the table yet): keep them
		// counted, in half as many groups, for the view that will.
		merged := bp.pending[:0]
		for i := 0; i < len(bp.pending); i += 2 {
			c := bp.pending[i]
			if i+1 < len(bp.pending) {
				c = pendingCommit{seq: bp.pending[i+1].seq, rows: c.rows + bp.pending[i+1].rows}
			}
			merged = append(merged, c)
		}
		bp.pending = merged
	}
}

// wait returns once the rows not yet applied by every running view reading
// the table are within the bound, at once when no running view reads it
// (the rows stay counted for a view created later), or when ctx ends or
// the view runtime stops.
func (bp *sourceBackpressure) wait(ctx context.Context) {
	for bp.rows > bp.bound {
		bp.m.coverMu.Lock()
		consumed, ok := bp.m.consumed[bp.table]
		bp.m.coverMu.Unlock()
		if !ok {
			return
		}
		for len(bp.pending) > 0 && bp.pending[0].seq <= consumed {
			bp.rows -= bp.pending[0].rows
			bp.pending = bp.pending[1:]
		}
		if bp.rows <= bp.bound || len(bp.pending) == 0 {
			return
		}
		bp.m.waitConsumed(ctx, bp.table, bp.pending[0].seq)
		select {
		case <-ctx.Done():
			return
		case <-bp.m.done:
			return
		default:
		}
	}
}

// endInputsLocked marks the inputs of v whose bounded source has written
// everything and whose log v has applied completely: their watermark goes
// to +infinity at the coming barrier. Called with m.mu held, before the
// view's barrier.
func (m *viewManager) endInputsLocked(v *viewRuntime) {
	for _, t := range v.tables {
		if v.ended[t] {
			continue
		}
		if seq, ok := m.srv.nexmark.finishedThrough(t); ok && v.offsets[t] >= seq {
			if v.ended == nil {
				v.ended = map[uint32]bool{}
			}
			v.ended[t] = true
			v.df.EndInput(t)
		}
	}
}

// endPendingLocked reports whether a running view has applied the whole
// log of a finished bounded source but not yet marked the input's end: the
// coordinator runs an epoch for it even with no new commit, and FLUSH
// waits for it. Called with m.mu held.
func (m *viewManager) endPendingLocked() bool {
	for _, v := range m.views {
		if v.status != "running" || v.df == nil {
			continue
		}
		for _, t := range v.tables {
			if v.ended[t] {
				continue
			}
			if seq, ok := m.srv.nexmark.finishedThrough(t); ok && v.offsets[t] >= seq {
				return true
			}
		}
	}
	return false
}

// unboundedIfZero maps a configured bound of 0 ("no bound") to the
// Options' -1 (0 there means the default).
func unboundedIfZero(n int64) int {
	if n == 0 {
		return -1
	}
	return int(n)
}
