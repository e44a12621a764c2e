package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Row TTL of tables, sources and materialized views.
//
//	CREATE TABLE t (...) WITH (ttl = '1 hour',
//	    ttl_time = 'processing' | '<timestamp column>',
//	    ttl_update = 'on_write' | 'on_read_and_write')
//
// The same WITH clause applies to CREATE SOURCE (Kafka and nexmark) and to
// Kafka CDC tables: they are tables of the table store.
//
// What expiry means, exactly:
//
//   - A row's expiry is set at every write: the server clock
//     (Options.Clock) plus ttl for ttl_time = 'processing' (the default),
//     or the row's value of the event-time column plus ttl. A row whose
//     event time is NULL never expires. With 'on_read_and_write' every read
//     that returns the row (SELECT, joins, COPY TO, the row lookups of
//     UPDATE/DELETE/ON CONFLICT) also moves its expiry to the table's time
//     plus ttl, never backwards. Cost: each refreshed row costs one
//     unsynced write of two small keys at the end of the reading
//     transaction, so a full scan of a large table rewrites its expiry
//     index; use it for point-read workloads.
//   - The table's time is the clock for processing time. For event time it
//     is the table's event-time frontier: the largest event time ever
//     committed to the table minus the WATERMARK delay when the table has
//     one. It only advances when rows are written; it is persisted and
//     survives restarts.
//   - A row is expired once the table's time is at or past its expiry
//     (expiry <= time). Expired rows are never returned (NeverReturnExpired):
//     SELECT, joins, COPY TO do not see them, UPDATE/DELETE do not touch
//     them, an INSERT of the same primary key succeeds, an upsert sees no
//     old row. A late event already past the frontier is stored invisible.
//     A transaction reads at one processing time (taken at its first read
//     of a TTL table); event-time visibility uses the frontier at each
//     read. A transaction that read a row before it expired may still
//     update it afterwards (the row comes back with a new expiry).
//   - Physical removal: a sweep (every Options.TTLSweepInterval, default
//     10 s, and at CHECKPOINT) walks the table's expiry-ordered index up to
//     the table's time, deletes the rows whose expiry still matches and
//     drops the walked index range with one range delete. The rows it
//     removes are counted in streamdb.state_tables.expired_rows and in
//     streamdb_ttl_expired_rows on /metrics.
//   - Expiry is not a delete: nothing is written to the change log, so a
//     materialized view over the table keeps what it computed from the
//     expired rows (DESIGN.md section 4: rows of a view expire only if the
//     view has its own TTL). A later row with the same key reaches the view
//     as a plain insert. A view that is rebuilt from a snapshot (created,
//     or restarted without committed state) does not see expired rows.
//   - Validation: a bad or non-positive interval, an interval with months
//     (a month has no fixed length), an unknown ttl_time/ttl_update value
//     or a non-timestamp column answer 22023; an unknown column 42703;
//     ttl_time or ttl_update without ttl 22023. TTL on a table with a
//     UNIQUE constraint besides the primary key answers 0A000 (the unique
//     index entries of expired rows would still block their values).
//   - ALTER TABLE ... SET/RESET (ttl, ttl_time, ttl_update) changes the TTL
//     of a table that holds rows (ttl_alter.go): existing rows get their
//     expiry before the catalog change commits.

// Table options of TTL.
const (
	optTTL       = "ttl"
	optTTLTime   = "ttl_time"
	optTTLUpdate = "ttl_update"
	// optTTLAttNum records the attnum of the event-time column, which
	// survives column renames.
	optTTLAttNum = "ttl.attnum"

	ttlTimeProcessing       = "processing"
	ttlUpdateOnWrite        = "on_write"
	ttlUpdateOnReadAndWrite = "on_read_and_write"
)

// validateTableTTL checks the TTL options of a new table and normalizes
// them (lower-case keywords, the event-time column's attnum).
func validateTableTTL(desc *catalog.Descriptor) error {
	spec, ok, err := parseTTLOptions(desc.Options, func(col string) (int, error) {
		slot := findSlot(desc, col)
		if slot < 0 {
			return -1, types.Errorf(types.CodeUndefinedColumn, "column %q named in ttl_time does not exist", col)
		}
		if f := desc.Columns[slot].Type().Family; f != types.TimestampFamily && f != types.TimestampTZFamily {
			return -1, types.Errorf(types.CodeInvalidParameterValue, "ttl_time column %q must be of type timestamp or timestamp with time zone, not %s", col, desc.Columns[slot].Type().Name)
		}
		return slot, nil
	})
	if err != nil || !ok {
		return err
	}
	for _, ix := range desc.Indexes {
		if ix.Unique && !ix.Primary {
			return types.Unsupported("ttl on a table with a UNIQUE constraint besides the primary key")
		}
	}
	if spec.EventColumn >= 0 {
		desc.Options[optTTLAttNum] = strconv.Itoa(int(desc.Columns[spec.EventColumn].AttNum))
	}
	return nil
}

// parseTTLOptions reads ttl, ttl_time and ttl_update from opts (ok false:
// no TTL). column resolves an event-time column name to its slot.
func parseTTLOptions(opts map[string]string, column func(string) (int, error)) (spec state.TTLSpec, ok bool, err error) {
	for k := range opts {
		if strings.HasPrefix(k, "ttl") && k != optTTL && k != optTTLTime && k != optTTLUpdate && k != optTTLAttNum {
			return spec, false, types.Errorf(types.CodeInvalidParameterValue, "unrecognized parameter %q", k)
		}
	}
	text, has := opts[optTTL]
	if !has {
		for _, k := range []string{optTTLTime, optTTLUpdate} {
			if _, set := opts[k]; set {
				return spec, false, types.Errorf(types.CodeInvalidParameterValue, "%s requires ttl", k)
			}
		}
		return spec, false, nil
	}
	iv, perr := types.ParseInterval(strings.TrimSpace(text))
	if perr != nil || strings.TrimSpace(text) == "" {
		return spec, false, types.Errorf(types.CodeInvalidParameterValue, "invalid value for ttl: %q is not an interval such as '1 hour' or '7 days'", text)
	}
	if iv.Months != 0 {
		return spec, false, types.Errorf(types.CodeInvalidParameterValue, "invalid value for ttl: %q has months or years, which have no fixed length; use days", text)
	}
	micros := int64(iv.Days)*86_400_000_000 + iv.Micros
	if micros <= 0 {
		return spec, false, types.Errorf(types.CodeInvalidParameterValue, "invalid value for ttl: %q must be positive", text)
	}
	spec = state.TTLSpec{TTL: micros, EventColumn: -1}
	switch t := opts[optTTLTime]; strings.ToLower(t) {
	case "", ttlTimeProcessing:
		opts[optTTLTime] = ttlTimeProcessing
	default:
		slot, err := column(t)
		if err != nil {
			return spec, false, err
		}
		spec.EventColumn = slot
	}
	switch u := strings.ToLower(opts[optTTLUpdate]); u {
	case "", ttlUpdateOnWrite:
		opts[optTTLUpdate] = ttlUpdateOnWrite
	case ttlUpdateOnReadAndWrite:
		opts[optTTLUpdate] = u
		spec.RefreshOnRead = true
	default:
		return spec, false, types.Errorf(types.CodeInvalidParameterValue, "invalid value for ttl_update: %q (expected 'on_write' or 'on_read_and_write')", opts[optTTLUpdate])
	}
	return spec, true, nil
}

// ttlColumn reports whether slot is the ttl_time column of a table.
func ttlColumn(desc *catalog.Descriptor, slot int) bool {
	a, err := strconv.Atoi(desc.Options[optTTLAttNum])
	return err == nil && slot < len(desc.Columns) && int(desc.Columns[slot].AttNum) == a
}

// tableTTLSpec is the TTL of a stored table descriptor (validated at
// creation).
func tableTTLSpec(desc *catalog.Descriptor) (state.TTLSpec, bool, error) {
	opts := make(map[string]string, len(desc.Options))
	for k, v := range desc.Options {
		opts[k] = v
	}
	spec, ok, err := parseTTLOptions(opts, func(col string) (int, error) {
		if a, err := strconv.Atoi(desc.Options[optTTLAttNum]); err == nil {
			for i := range desc.Columns {
				if int(desc.Columns[i].AttNum) == a && !desc.Columns[i].Dropped {
					return i, nil
				}
			}
		}
		return -1, types.Errorf(types.CodeDataCorrupted, "the ttl_time column of table %q is gone", desc.Name)
	})
	if err != nil || !ok {
		return spec, ok, err
	}
	if spec.EventColumn >= 0 {
		if d, err := strconv.ParseInt(desc.Options[optWatermarkDelayMicros], 10, 64); err == nil {
			spec.EventDelay = d
		}
	}
	return spec, true, nil
}

// registerTableTTL hands a table's TTL to the table store (at creation,
// before any row is written, and at start).
func (s *Server) registerTableTTL(desc *catalog.Descriptor) error {
	if desc.Kind != catalog.KindTable {
		return nil
	}
	spec, ok, err := tableTTLSpec(desc)
	if err != nil || !ok {
		return err
	}
	return s.tables.SetTTL(desc.OID, spec)
}

// ttlSweeper runs the periodic TTL sweep and holds the TTL of views
// (ttl_view.go).
type ttlSweeper struct {
	srv     *Server
	mu      sync.Mutex // one sweep at a time
	expired *prometheus.GaugeVec
	stop    chan struct{}
	done    chan struct{}

	viewsMu sync.Mutex
	views   map[uint32]*viewTTL
}

// startTTL sets the table store's clock and registers the TTL of every
// table. It runs before the views start, so that no view backfill reads an
// expired row.
func (s *Server) startTTL() error {
	s.ttl = &ttlSweeper{srv: s, stop: make(chan struct{}), done: make(chan struct{}), views: map[uint32]*viewTTL{}}
	s.tables.SetClock(s.opts.Clock)
	for _, d := range s.cat.Relations() {
		if err := s.registerTableTTL(d); err != nil {
			return err
		}
	}
	return nil
}

// startTTLSweeper starts the periodic sweep and registers its metrics.
func (s *Server) startTTLSweeper() {
	sw := s.ttl
	sw.expired = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "streamdb_ttl_expired_rows",
		Help: "Rows removed by TTL sweeps since the relation was created, by relation (a gauge: it is loaded from the store at start).",
	}, []string{"relation"})
	if s.reg != nil {
		s.reg.MustRegister(sw.expired)
	}
	go sw.loop(s.opts.TTLSweepInterval)
}

func (sw *ttlSweeper) loop(interval time.Duration) {
	defer close(sw.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-sw.stop:
			return
		case <-t.C:
		}
		if _, err := sw.sweep(context.Background()); err != nil {
			sw.srv.logger.Error("ttl sweep failed", "err", err)
		}
	}
}

// sweep removes expired rows now and refreshes the metrics.
func (sw *ttlSweeper) sweep(ctx context.Context) (int64, error) {
	if sw == nil {
		return 0, nil
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	n, err := sw.srv.tables.SweepExpired(ctx)
	if err == nil {
		err = sw.sweepViews(ctx) // ttl_view.go
	}
	for _, d := range sw.srv.cat.Relations() {
		if st, ok := sw.srv.tables.TTL(d.OID); ok {
			sw.expired.WithLabelValues(d.Namespace + "." + d.Name).Set(float64(st.Expired))
		}
		if vt := sw.view(d.OID); vt != nil {
			sw.expired.WithLabelValues(d.Namespace + "." + d.Name).Set(float64(vt.expired.Load()))
		}
	}
	return n, err
}

func (sw *ttlSweeper) close() {
	if sw == nil || sw.expired == nil { // the loop never started
		return
	}
	close(sw.stop)
	<-sw.done
}

// tableTTLRows are the streamdb.state_tables rows of tables with a TTL:
// table_id and relation_oid are the table's OID, keys NULL (not counted).
func (s *Server) tableTTLRows() []types.Row {
	var out []types.Row
	for _, d := range s.cat.Relations() {
		st, ok := s.tables.TTL(d.OID)
		if !ok || d.Kind != catalog.KindTable {
			continue
		}
		ttlTime := ttlTimeProcessing
		if st.Spec.EventColumn >= 0 && st.Spec.EventColumn < len(d.Columns) {
			ttlTime = d.Columns[st.Spec.EventColumn].Name
		}
		out = append(out, types.Row{
			types.DInt(int64(d.OID)), types.DInt(int64(d.OID)), types.DString(d.Name), types.DString("table rows"),
			types.Null, types.Null, types.DInterval(types.IntervalValue{Micros: st.Spec.TTL}), types.DString(ttlTime),
			types.DInt(st.Expired),
		})
	}
	return out
}
