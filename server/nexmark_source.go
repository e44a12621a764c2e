package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sources/nexmark"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// A nexmark source (CREATE SOURCE ... WITH (connector = 'nexmark', ...)) is
// an append-only table whose rows a generator writes in batches. Each batch
// and the generator position after it (the next event number) commit in one
// table-store transaction, so ad-hoc SELECT and views read it like any
// table, and a restart resumes exactly where the last batch ended.
//
// Options (RisingWave's names):
//
//	nexmark.table.type          'person' | 'auction' | 'bid' (required)
//	nexmark.event.num           events of all kinds to generate (default: unbounded)
//	nexmark.max.chunk.size      rows per transaction (default 1024)
//	nexmark.min.event.gap.in.ns event-time distance between events (default 100000: 10,000 events/s)
//	nexmark.seed                0 (default) reproduces the Java generator
//	nexmark.base.time.ms        event time of event 0 (default 2015-07-15 00:00:00 UTC)
//
// The position lives in a private table (optOffsetsOID, as for Kafka) with
// one row (0, next event number).

const (
	optNexmarkType     = "nexmark.table.type"
	optNexmarkEvents   = "nexmark.event.num"
	optNexmarkChunk    = "nexmark.max.chunk.size"
	optNexmarkGap      = "nexmark.min.event.gap.in.ns"
	optNexmarkSeed     = "nexmark.seed"
	optNexmarkBaseTime = "nexmark.base.time.ms"

	defaultNexmarkChunk = 1024
	maxNexmarkChunk     = 1 << 20
)

func isNexmarkTable(d *catalog.Descriptor) bool {
	return strings.EqualFold(d.Options["connector"], "nexmark")
}

// nexmarkSpec is a nexmark source's parsed options.
type nexmarkSpec struct {
	kind  nexmark.Kind
	cfg   nexmark.Config
	chunk int
	// slots[i] is the table slot of generator column i, -1 if the source
	// does not declare it; tz[i] makes a timestamp a timestamptz.
	slots     []int
	tz        []bool
	rowIDSlot int
}

func parseNexmarkSpec(d *catalog.Descriptor) (*nexmarkSpec, error) {
	kind, ok := nexmark.ParseKind(d.Options[optNexmarkType])
	if !ok {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "option %q must be 'person', 'auction' or 'bid'", optNexmarkType)
	}
	sp := &nexmarkSpec{kind: kind, cfg: nexmark.DefaultConfig(0), chunk: defaultNexmarkChunk, rowIDSlot: -1}
	intOpt := func(name string, dst *int64, lo int64) error {
		v, present := d.Options[name]
		if !present {
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo {
			return types.Errorf(types.CodeInvalidParameterValue, "option %q must be an integer >= %d, not %q", name, lo, v)
		}
		*dst = n
		return nil
	}
	chunk := int64(sp.chunk)
	for _, o := range []struct {
		name string
		dst  *int64
		lo   int64
	}{
		{optNexmarkEvents, &sp.cfg.EventCount, 0},
		{optNexmarkChunk, &chunk, 1},
		{optNexmarkGap, &sp.cfg.EventGapNanos, 1},
		{optNexmarkSeed, &sp.cfg.Seed, -1 << 62},
		{optNexmarkBaseTime, &sp.cfg.BaseTimeMillis, 0},
	} {
		if err := intOpt(o.name, o.dst, o.lo); err != nil {
			return nil, err
		}
	}
	sp.chunk = int(min(chunk, maxNexmarkChunk))
	for k := range d.Options {
		if strings.HasPrefix(k, "nexmark.") {
			switch k {
			case optNexmarkType, optNexmarkEvents, optNexmarkChunk, optNexmarkGap, optNexmarkSeed, optNexmarkBaseTime:
			default:
				return nil, types.Errorf(types.CodeInvalidParameterValue, "unrecognized nexmark option %q", k)
			}
		}
	}
	if err := sp.cfg.Validate(); err != nil {
		return nil, err
	}
	gen := nexmark.Columns(kind)
	sp.slots = make([]int, len(gen))
	sp.tz = make([]bool, len(gen))
	for i := range sp.slots {
		sp.slots[i] = -1
	}
	for slot := range d.Columns {
		c := &d.Columns[slot]
		if c.Hidden {
			sp.rowIDSlot = slot
			continue
		}
		if c.Dropped {
			continue
		}
		found := false
		for i, g := range gen {
			if g.Name != c.Name {
				continue
			}
			found = true
			t := c.Type()
			switch {
			case t.Family == g.Type.Family:
			case g.Type.Family == types.TimestampFamily && t.Family == types.TimestampTZFamily:
				sp.tz[i] = true
			default:
				return nil, types.Errorf(types.CodeDatatypeMismatch, "column %q of a nexmark %s source must be of type %s, not %s", c.Name, kind, g.Type.Name(), t.Name())
			}
			sp.slots[i] = slot
		}
		if !found {
			names := make([]string, len(gen))
			for i, g := range gen {
				names[i] = g.Name
			}
			return nil, types.Errorf(types.CodeUndefinedColumn, "a nexmark %s source has no column %q (columns: %s)", kind, c.Name, strings.Join(names, ", "))
		}
	}
	if sp.rowIDSlot < 0 {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "a nexmark source cannot have a primary key")
	}
	return sp, nil
}

// nexmarkManager runs the generators of the nexmark sources.
type nexmarkManager struct {
	srv *Server

	mu      sync.Mutex
	runners map[uint32]*nexmarkRunner
}

// newNexmarkManager makes the manager without starting any source: the
// server sets it before the views start (their epochs ask it whether a
// bounded source has finished), and starts the sources with start once the
// views run (a generator's backpressure follows the views).
func newNexmarkManager(s *Server) *nexmarkManager {
	return &nexmarkManager{srv: s, runners: map[uint32]*nexmarkRunner{}}
}

// start starts a generator for every nexmark source in the catalog.
func (m *nexmarkManager) start() {
	for _, d := range m.srv.cat.Relations() {
		if d.Kind == catalog.KindTable && isNexmarkTable(d) {
			m.tableCreated(d)
		}
	}
}

// prepareTable validates a nexmark source before it is created and
// allocates its position table. It reports handled = false for other
// tables.
func (m *nexmarkManager) prepareTable(desc *catalog.Descriptor) (handled bool, err error) {
	if m == nil || !isNexmarkTable(desc) {
		return false, nil
	}
	if desc.Options[optAppendOnly] != "true" {
		return true, types.Errorf(types.CodeFeatureNotSupported, "connector 'nexmark' is for CREATE SOURCE only")
	}
	if _, err := parseNexmarkSpec(desc); err != nil {
		return true, err
	}
	oid, err := m.srv.cat.AllocOID()
	if err != nil {
		return true, err
	}
	desc.Options[optOffsetsOID] = strconv.FormatUint(uint64(oid), 10)
	chooseLogOnly(desc) // logonly.go
	return true, nil
}

// tableCreated starts the generator of a nexmark source.
func (m *nexmarkManager) tableCreated(desc *catalog.Descriptor) {
	if m == nil || !isNexmarkTable(desc) {
		return
	}
	sp, err := parseNexmarkSpec(desc)
	if err != nil {
		m.srv.logger.Error("starting nexmark source", "source", desc.Name, "err", err)
		return
	}
	m.srv.registerLogOnly(desc) // logonly.go: before the first row
	gen, err := nexmark.New(sp.cfg)
	if err != nil {
		m.srv.logger.Error("starting nexmark source", "source", desc.Name, "err", err)
		return
	}
	r := &nexmarkRunner{m: m, desc: desc, spec: sp, gen: gen, offsets: offsetsOID(desc), done: make(chan struct{}), started: time.Now(), status: "starting"}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	m.mu.Lock()
	if m.runners[desc.OID] != nil {
		m.mu.Unlock()
		return
	}
	m.runners[desc.OID] = r
	m.mu.Unlock()
	go r.run()
}

// dropped stops the generator of a dropped source (its position table is
// removed by the Kafka manager's dropped, which handles optOffsetsOID).
func (m *nexmarkManager) dropped(d *catalog.Descriptor) {
	if m == nil {
		return
	}
	m.mu.Lock()
	r := m.runners[d.OID]
	delete(m.runners, d.OID)
	m.mu.Unlock()
	if r != nil {
		r.stop()
	}
}

func (m *nexmarkManager) close() {
	if m == nil {
		return
	}
	m.mu.Lock()
	rs := m.runners
	m.runners = map[uint32]*nexmarkRunner{}
	m.mu.Unlock()
	for _, r := range rs {
		r.stop()
	}
}

// waitIdle blocks until every bounded generator has written all its
// events (tests and benchmarks), or ctx ends.
func (m *nexmarkManager) waitIdle(ctx context.Context) error {
	for {
		busy := false
		m.mu.Lock()
		for _, r := range m.runners {
			r.mu.Lock()
			if r.status != "finished" && r.status != "failed" {
				busy = true
			}
			r.mu.Unlock()
		}
		m.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

type nexmarkRunner struct {
	m       *nexmarkManager
	desc    *catalog.Descriptor
	spec    *nexmarkSpec
	gen     *nexmark.Generator
	offsets uint32
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	started time.Time

	// generated is the committed position (the next event number), for
	// streamdb.sources (the generator itself belongs to run's goroutine).
	generated atomic.Int64
	// finishedSeq is 1 + the table commit seq once a bounded generator
	// has committed all its events (0 before): end of input for the views
	// (views_backlog.go).
	finishedSeq atomic.Uint64

	mu        sync.Mutex
	status    string
	lastError string
	rows      int64
}

func (r *nexmarkRunner) stop() {
	r.cancel()
	<-r.done
}

func (r *nexmarkRunner) setStatus(s string, err error) {
	r.mu.Lock()
	r.status = s
	if err != nil {
		r.lastError = err.Error()
	}
	r.mu.Unlock()
}

func (r *nexmarkRunner) run() {
	defer close(r.done)
	backoff := 100 * time.Millisecond
	for {
		err := r.runOnce()
		if err == nil || r.ctx.Err() != nil {
			return
		}
		r.setStatus("retrying", err)
		r.m.srv.logger.Warn("nexmark source error; retrying", "source", r.desc.Name, "err", err)
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (r *nexmarkRunner) loadPosition() (int64, error) {
	tx := r.m.srv.tables.Begin()
	defer tx.Rollback()
	var next int64
	err := tx.Scan(r.ctx, r.offsets, func(_ []byte, row types.Row) error {
		if len(row) == 2 {
			next = row[1].Int()
		}
		return nil
	})
	return next, err
}

// runOnce resumes from the stored position and writes batches until the
// stream ends (nil) or an error.
func (r *nexmarkRunner) runOnce() error {
	next, err := r.loadPosition()
	if err != nil {
		return err
	}
	r.gen.SetNext(next)
	r.generated.Store(next)
	r.setStatus("running", nil)
	ts := r.m.srv.tables
	sp := r.spec
	var gen []types.Row
	// Scan at most this many events per batch so an unbounded stream of a
	// rare kind (person: 1 in 50) still commits its position regularly.
	maxScan := int64(sp.chunk) * 64
	// Backpressure (views_backlog.go): pause while the slowest view
	// reading the table is too far behind.
	bp := r.m.srv.views.newSourceBackpressure(r.desc.OID)
	for !r.gen.Done() {
		if r.ctx.Err() != nil {
			return nil
		}
		start := r.gen.Next()
		gen = r.gen.AppendRows(gen[:0], sp.kind, sp.chunk, maxScan)
		tx := ts.Begin()
		if len(gen) > 0 {
			first, err := ts.ReserveRowIDs(r.desc.OID, int64(len(gen)))
			if err != nil {
				tx.Rollback()
				r.gen.SetNext(start)
				return err
			}
			// One allocation for the batch's rows: the transaction holds
			// them until Commit has encoded them.
			width := len(r.desc.Columns)
			slab := make([]types.Datum, width*len(gen))
			for i, g := range gen {
				row := types.Row(slab[i*width : (i+1)*width : (i+1)*width])
				for j, slot := range sp.slots {
					if slot < 0 {
						continue
					}
					v := g[j]
					if sp.tz[j] {
						v = types.DTimestampTZ(v.Int())
					}
					row[slot] = v
				}
				id := first + int64(i)
				row[sp.rowIDSlot] = types.DInt(id)
				if err := tx.InsertFresh(r.desc.OID, state.RowIDKey(id), row); err != nil {
					tx.Rollback()
					r.gen.SetNext(start)
					return err
				}
			}
		}
		pos := types.Row{types.DInt(0), types.DInt(r.gen.Next())}
		if err := tx.Put(r.offsets, state.PrimaryKey(nil, pos, []int{0}), pos); err != nil {
			tx.Rollback()
			r.gen.SetNext(start)
			return err
		}
		// Unsynced: the batch and the position after it are one atomic
		// write, so a crash that loses it restarts from the previous
		// durable position and regenerates the same events. A view syncs
		// the store before it reads the log, so it never applies a batch a
		// crash can still lose; any synced commit or checkpoint makes it
		// durable. One fsync per batch cost the generator most of its wall
		// time at small batch sizes.
		if err := tx.CommitUnsynced(); err != nil {
			r.gen.SetNext(start)
			return err
		}
		r.mu.Lock()
		r.rows += int64(len(gen))
		r.mu.Unlock()
		r.generated.Store(r.gen.Next())
		bp.wrote(ts.CommitSeq(), len(gen))
		bp.wait(r.ctx)
	}
	r.finishedSeq.Store(ts.CommitSeq() + 1)
	r.setStatus("finished", nil)
	return nil
}

// finishedThrough reports whether the bounded nexmark source writing table
// has committed all its events, and the table commit seq by which it had.
func (m *nexmarkManager) finishedThrough(table uint32) (uint64, bool) {
	if m == nil {
		return 0, false
	}
	m.mu.Lock()
	r := m.runners[table]
	m.mu.Unlock()
	if r == nil {
		return 0, false
	}
	seq := r.finishedSeq.Load()
	return seq - 1, seq > 0
}

// runtimeRows adds one streamdb.dataflows row per nexmark source.
func (m *nexmarkManager) runtimeRows(in *catalog.VirtualInput) {
	if m == nil {
		return
	}
	if in.RuntimeRows == nil {
		in.RuntimeRows = map[string][]types.Row{}
	}
	m.mu.Lock()
	rs := make([]*nexmarkRunner, 0, len(m.runners))
	for _, r := range m.runners {
		rs = append(rs, r)
	}
	m.mu.Unlock()
	null := types.Datum{}
	for _, r := range rs {
		r.mu.Lock()
		status, lastErr, rows := r.status, r.lastError, r.rows
		r.mu.Unlock()
		le := null
		if lastErr != "" {
			le = types.DString(lastErr)
		}
		// streamdb.sources: offset = the next event number, high_watermark =
		// the event count of a bounded stream, last_event = the event time
		// of the last event generated.
		next := r.generated.Load()
		src := types.Row{types.DInt(int64(r.desc.OID)), types.DString(r.desc.Name), types.DString("nexmark"), types.DInt(0),
			types.DInt(next), null, null, null}
		if n := r.spec.cfg.EventCount; n > 0 {
			src[5], src[6] = types.DInt(n), types.DInt(max(0, n-next))
		}
		if next > 0 {
			src[7] = types.DTimestampTZ(r.gen.TimestampMillis(next-1) * 1000)
		}
		in.RuntimeRows["streamdb.sources"] = append(in.RuntimeRows["streamdb.sources"], src)
		in.RuntimeRows["streamdb.dataflows"] = append(in.RuntimeRows["streamdb.dataflows"], types.Row{
			types.DInt(int64(r.desc.OID)), types.DString(r.desc.Name), types.DString("nexmark source"), types.DString(status),
			types.DInt(1), types.DInt(1), null, null, types.DInt(rows), types.DInt(rows), types.DInt(0), le,
			types.DTimestampTZ(r.started.UnixMicro()), null, null, // watermark, late_rows
		})
	}
}
