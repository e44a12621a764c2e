package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sources/kafka"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Options a Kafka table or source stores in its descriptor besides the
// user's WITH options.
const (
	// optOffsetsOID is the internal table (allocated from the catalog,
	// not a catalog relation) holding the next offset of every partition,
	// written in the same transaction as the rows those offsets cover.
	optOffsetsOID = "streamdb.offsets_oid"
	// optAppendOnly marks a CREATE SOURCE: rows are appended, never
	// updated.
	optAppendOnly = planner.OptionAppendOnly
)

// deadLetterSchema / deadLetterTable name the table bad records go to with
// on_error = 'skip'. It is a real table, created on first use.
const (
	deadLetterSchema = "streamdb"
	deadLetterTable  = "source_errors"
	// deadLetterPrefix is how many bytes of a bad record's key and value
	// are kept (the full value is identified by its SHA-256).
	deadLetterPrefix = 256
)

// ingestBatch is the most records applied in one transaction.
const ingestBatch = 20000

// kafkaManager runs the ingesters of Kafka tables and sources and the
// Kafka sinks.
type kafkaManager struct {
	srv *Server

	mu        sync.Mutex
	ingesters map[uint32]*ingester
	sinks     map[uint32]*sinkRunner
	closed    bool // no new ingesters or sinks start after close
	// deadLetterMu serializes the creation of streamdb.source_errors.
	deadLetterMu sync.Mutex

	records   *prometheus.CounterVec
	lag       *prometheus.GaugeVec
	badRecs   *prometheus.CounterVec
	sinkRecs  *prometheus.CounterVec
	sinkTxns  *prometheus.CounterVec
	partCheck time.Duration // new-partition check interval (tests shorten it)
}

// startKafka starts an ingester for every table with connector = 'kafka'
// and a runner for every sink.
func startKafka(s *Server) *kafkaManager {
	m := &kafkaManager{srv: s, ingesters: map[uint32]*ingester{}, sinks: map[uint32]*sinkRunner{}, partCheck: 5 * time.Second}
	if v := s.opts.Settings["kafka.partition_check_interval"]; v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			m.partCheck = d
		}
	}
	m.records = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamdb_source_records_total", Help: "Kafka records applied, by source table and partition."}, []string{"source", "partition"})
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamdb_source_lag_records", Help: "Kafka records not yet applied (high watermark - next offset), by source table and partition."}, []string{"source", "partition"})
	m.badRecs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamdb_source_bad_records_total", Help: "Kafka records that failed to decode, by source table."}, []string{"source"})
	m.sinkRecs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamdb_sink_records_total", Help: "Records produced by Kafka sinks (committed transactions)."}, []string{"sink"})
	m.sinkTxns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamdb_sink_transactions_total", Help: "Kafka transactions committed by sinks."}, []string{"sink"})
	if s.reg != nil {
		s.reg.MustRegister(m.records, m.lag, m.badRecs, m.sinkRecs, m.sinkTxns)
	}
	for _, d := range s.cat.Relations() {
		switch {
		case d.Kind == catalog.KindTable && isKafkaTable(d):
			if err := m.startIngester(d); err != nil {
				s.logger.Error("starting Kafka source", "table", d.Name, "err", err)
			}
		case d.Kind == catalog.KindSink:
			if err := m.startSink(d); err != nil {
				s.logger.Error("starting Kafka sink", "sink", d.Name, "err", err)
			}
		}
	}
	return m
}

func isKafkaTable(d *catalog.Descriptor) bool {
	return strings.EqualFold(d.Options["connector"], "kafka")
}

// close stops every ingester and sink (before the stores close).
func (m *kafkaManager) close() {
	if m == nil {
		return
	}
	m.mu.Lock()
	ings := m.ingesters
	sinks := m.sinks
	m.ingesters, m.sinks = map[uint32]*ingester{}, map[uint32]*sinkRunner{}
	m.closed = true
	m.mu.Unlock()
	for _, g := range ings {
		g.stop()
	}
	for _, r := range sinks {
		r.stop()
	}
}

// prepareTable validates a Kafka table's options before it is created and
// allocates its offsets table. It is the hook createTable calls.
func (m *kafkaManager) prepareTable(desc *catalog.Descriptor) error {
	if !isKafkaTable(desc) {
		if c := desc.Options["connector"]; c != "" {
			return types.Errorf(types.CodeFeatureNotSupported, "connector %q is not supported (only 'kafka')", c)
		}
		return nil
	}
	format, err := kafka.ParseFormat(desc.Options[parser.OptionFormat], desc.Options[parser.OptionEncode])
	if err != nil {
		return err
	}
	if _, err := kafka.ParseConfig(desc.Options); err != nil {
		return err
	}
	if format != kafka.FormatPlain && len(desc.PrimaryKey) == 0 {
		return types.Errorf(types.CodeInvalidTableDefinition, "FORMAT %s requires a PRIMARY KEY", strings.ToUpper(format.String()))
	}
	if desc.Options[optAppendOnly] == "true" && format != kafka.FormatPlain {
		return types.Errorf(types.CodeFeatureNotSupported, "CREATE SOURCE supports FORMAT PLAIN ENCODE JSON only (use CREATE TABLE for DEBEZIUM and UPSERT)")
	}
	for _, c := range desc.Columns {
		if c.Default != "" && !c.Hidden {
			return types.Errorf(types.CodeFeatureNotSupported, "column defaults are not supported on Kafka tables (column %q)", c.Name)
		}
	}
	oid, err := m.srv.cat.AllocOID()
	if err != nil {
		return err
	}
	desc.Options[optOffsetsOID] = strconv.FormatUint(uint64(oid), 10)
	chooseLogOnly(desc) // logonly.go
	return nil
}

// tableCreated starts the ingester of a just-created Kafka table.
func (m *kafkaManager) tableCreated(desc *catalog.Descriptor) {
	if !isKafkaTable(desc) {
		return
	}
	if err := m.startIngester(desc); err != nil {
		m.srv.logger.Error("starting Kafka source", "table", desc.Name, "err", err)
	}
}

// dropped stops the ingester or sink of a dropped relation and removes its
// offsets.
func (m *kafkaManager) dropped(d *catalog.Descriptor) {
	m.mu.Lock()
	g := m.ingesters[d.OID]
	delete(m.ingesters, d.OID)
	r := m.sinks[d.OID]
	delete(m.sinks, d.OID)
	m.mu.Unlock()
	if g != nil {
		g.stop()
	}
	if r != nil {
		r.stop()
	}
	if oid := offsetsOID(d); oid != 0 {
		_ = m.srv.tables.DropTableData(oid)
	}
}

func offsetsOID(d *catalog.Descriptor) uint32 {
	n, _ := strconv.ParseUint(d.Options[optOffsetsOID], 10, 32)
	return uint32(n)
}

// ingester feeds one table from its topic.
type ingester struct {
	m      *kafkaManager
	desc   *catalog.Descriptor
	cfg    kafka.Config
	format kafka.Format
	dec    *kafka.Decoder
	// slots maps decoder columns to table slots; casts apply typmods.
	slots     []int
	casts     []*exec.Compiled
	rowIDSlot int
	offsets   uint32
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}

	mu        sync.Mutex
	status    string
	lastError string
	started   time.Time
	consumer  *kafka.Consumer
	applied   int64
	errors    int64
}

func (m *kafkaManager) startIngester(d *catalog.Descriptor) error {
	cfg, err := kafka.ParseConfig(d.Options)
	if err != nil {
		return err
	}
	m.srv.registerLogOnly(d) // logonly.go: before the first row
	cfg.Group = "streamdb-" + d.Namespace + "." + d.Name
	cfg.PartitionCheck = m.partCheck
	format, err := kafka.ParseFormat(d.Options[parser.OptionFormat], d.Options[parser.OptionEncode])
	if err != nil {
		return err
	}
	g := &ingester{m: m, desc: d, cfg: cfg, format: format, rowIDSlot: -1, offsets: offsetsOID(d), done: make(chan struct{}), status: "starting", started: time.Now()}
	if g.offsets == 0 {
		return types.Errorf(types.CodeDataCorrupted, "Kafka table %q has no offsets table", d.Name)
	}
	var cols []kafka.Column
	var key []int
	for i := range d.Columns {
		c := &d.Columns[i]
		if c.Hidden {
			g.rowIDSlot = i
			continue
		}
		if c.Dropped {
			continue
		}
		t := c.Type()
		base := t.WithTypmod(-1)
		for _, pk := range d.PrimaryKey {
			if pk == i {
				key = append(key, len(cols))
			}
		}
		cols = append(cols, kafka.Column{Name: c.Name, Type: base})
		g.slots = append(g.slots, i)
		var cast *exec.Compiled
		if !base.Identical(t) {
			if cast, err = exec.Compile(&planner.Cast{Arg: &planner.ColRef{Idx: 0, Typ: base}, Typ: t}); err != nil {
				return err
			}
		}
		g.casts = append(g.casts, cast)
	}
	if g.dec, err = kafka.NewDecoder(kafka.DecoderOptions{Format: format, Columns: cols, Key: key, MissingAsNull: cfg.MissingAsNull}); err != nil {
		return err
	}
	if cfg.SkipBadRecords {
		if err := m.ensureDeadLetterTable(); err != nil {
			return err
		}
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	m.mu.Lock()
	if old := m.ingesters[d.OID]; old != nil || m.closed {
		m.mu.Unlock()
		return nil
	}
	m.ingesters[d.OID] = g
	m.mu.Unlock()
	go g.run()
	return nil
}

// errDescriptorChanged ends an ingester whose table was altered or dropped.
var errDescriptorChanged = errors.New("table definition changed")

// restartIngester replaces the ingester of a table whose descriptor
// changed with one for the current descriptor (none if it was dropped).
func (m *kafkaManager) restartIngester(oid uint32) {
	m.mu.Lock()
	old := m.ingesters[oid]
	delete(m.ingesters, oid)
	m.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if d, ok := m.srv.cat.ByOID(oid); ok && isKafkaTable(d) {
		if err := m.startIngester(d); err != nil {
			m.srv.logger.Error("restarting Kafka source", "table", d.Name, "err", err.Error())
		}
	}
}

func (g *ingester) stop() {
	g.cancel()
	<-g.done
}

func (g *ingester) setStatus(status string, err error) {
	g.mu.Lock()
	g.status = status
	if err != nil {
		g.lastError = err.Error()
	}
	g.mu.Unlock()
}

// badRecordError marks a record that cannot be applied: the ingester stops
// at it (default policy) instead of retrying.
type badRecordError struct{ cause error }

func (e *badRecordError) Error() string { return e.cause.Error() }
func (e *badRecordError) Unwrap() error { return e.cause }

func (g *ingester) run() {
	defer close(g.done)
	log := g.m.srv.logger.With("table", g.desc.Namespace+"."+g.desc.Name, "topic", g.cfg.Topic)
	backoff := 500 * time.Millisecond
	for {
		err := g.runOnce()
		if g.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errDescriptorChanged) {
			go g.m.restartIngester(g.desc.OID)
			return
		}
		var bad *badRecordError
		if errors.As(err, &bad) {
			g.setStatus("failed", err)
			log.Error("Kafka source stopped at a bad record (WITH (on_error = 'skip') records bad records in streamdb.source_errors instead)", "err", err.Error())
			return
		}
		g.setStatus("retrying", err)
		log.Warn("Kafka source error; retrying", "err", err.Error(), "backoff", backoff)
		select {
		case <-g.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// loadOffsets reads the stored next offset of every partition.
func (g *ingester) loadOffsets() (map[int32]int64, error) {
	tx := g.m.srv.tables.Begin()
	defer tx.Rollback()
	out := map[int32]int64{}
	err := tx.Scan(g.ctx, g.offsets, func(_ []byte, row types.Row) error {
		if len(row) == 2 {
			out[int32(row[0].Int())] = row[1].Int()
		}
		return nil
	})
	return out, err
}

func (g *ingester) runOnce() error {
	offsets, err := g.loadOffsets()
	if err != nil {
		return err
	}
	cons, err := kafka.NewConsumer(g.ctx, g.cfg, offsets)
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.consumer = cons
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.consumer = nil
		g.mu.Unlock()
		cons.Close()
	}()
	g.setStatus("running", nil)
	var recs []kafka.Record
	for {
		recs, err = cons.Poll(g.ctx, ingestBatch, recs[:0])
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			continue
		}
		if d, ok := g.m.srv.cat.ByOID(g.desc.OID); !ok || d != g.desc {
			// Dropped, or altered (ALTER TABLE): the decoder and slots are
			// stale. Unapplied records are re-read from the stored offsets.
			return errDescriptorChanged
		}
		if err := g.apply(recs, cons); err != nil {
			return err
		}
		cons.CommitForMonitoring(g.ctx)
		g.updateLag(cons)
	}
}

func (g *ingester) updateLag(cons *kafka.Consumer) {
	name := g.desc.Name
	for _, st := range cons.Stats() {
		if st.HighWatermark >= 0 && st.Next >= 0 {
			g.m.lag.WithLabelValues(name, strconv.Itoa(int(st.Partition))).Set(float64(max(0, st.HighWatermark-st.Next)))
		}
	}
}

// apply writes a batch of records, and the offsets after them, in one
// transaction. At a bad record it either records it in the dead-letter
// table (skip) or commits what precedes it and returns a badRecordError.
func (g *ingester) apply(recs []kafka.Record, cons *kafka.Consumer) error {
	ts := g.m.srv.tables
	for attempt := 0; ; attempt++ {
		tx := ts.Begin()
		next := map[int32]int64{}
		counts := map[int32]int64{}
		var bad error
		var changes []kafka.Change
		var keyBuf []byte
		var badCount int64
		var rowIDs int64
		var rowIDLimit int64
		for _, r := range recs {
			sp := tx.Savepoint()
			var err error
			changes, err = g.dec.Decode(r.Key, r.Value, changes[:0])
			if err == nil {
				for _, ch := range changes {
					var row types.Row
					if row, err = g.tableRow(ch.Row, ch.Kind == kafka.Delete); err != nil {
						break
					}
					if g.rowIDSlot >= 0 {
						// A table without a primary key (PLAIN): append.
						if rowIDs == rowIDLimit {
							first, rerr := ts.ReserveRowIDs(g.desc.OID, 1024)
							if rerr != nil {
								tx.Rollback()
								return rerr
							}
							rowIDs, rowIDLimit = first, first+1024
						}
						row[g.rowIDSlot] = types.DInt(rowIDs)
						err = tx.InsertFresh(g.desc.OID, state.RowIDKey(rowIDs), row)
						rowIDs++
						if err != nil {
							break
						}
						continue
					}
					keyBuf = state.PrimaryKey(keyBuf[:0], row, g.desc.PrimaryKey)
					if ch.Kind == kafka.Delete {
						old, ok, gerr := tx.Get(g.desc.OID, keyBuf)
						if gerr != nil {
							err = gerr
							break
						}
						if ok {
							if err = tx.Delete(g.desc.OID, keyBuf, old); err != nil {
								break
							}
						}
						continue
					}
					if err = tx.Put(g.desc.OID, keyBuf, row); err != nil {
						break
					}
				}
			}
			if err != nil {
				tx.RollbackTo(sp)
				if types.Code(err) == types.CodeSerializationFailure || types.Code(err) == types.CodeUniqueViolation {
					tx.Rollback()
					return err
				}
				located := errors.Wrapf(err, "bad record in topic %q partition %d offset %d", g.cfg.Topic, r.Partition, r.Offset)
				if !g.cfg.SkipBadRecords {
					bad = &badRecordError{cause: located}
					break
				}
				if derr := g.m.writeDeadLetter(tx, g.desc, g.cfg.Topic, r, err); derr != nil {
					tx.Rollback()
					return derr
				}
				badCount++
			}
			next[r.Partition] = r.Offset + 1
			counts[r.Partition]++
		}
		for p, off := range next {
			row := types.Row{types.DInt(int64(p)), types.DInt(off)}
			if err := tx.Put(g.offsets, state.PrimaryKey(nil, row, []int{0}), row); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			if types.Code(err) == types.CodeSerializationFailure && attempt < 100 {
				continue // a concurrent write to the same keys: redo the batch
			}
			return err
		}
		for p, off := range next {
			cons.Applied(p, off, counts[p])
			g.m.records.WithLabelValues(g.desc.Name, strconv.Itoa(int(p))).Add(float64(counts[p]))
		}
		g.mu.Lock()
		g.applied += int64(len(recs))
		g.errors += badCount
		g.mu.Unlock()
		if badCount > 0 {
			g.m.badRecs.WithLabelValues(g.desc.Name).Add(float64(badCount))
		}
		if bad != nil {
			g.m.badRecs.WithLabelValues(g.desc.Name).Inc()
			g.mu.Lock()
			g.errors++
			g.mu.Unlock()
		}
		return bad
	}
}

// tableRow maps a decoded row onto the table's slots, applying typmods and
// NOT NULL (not for the key-only rows of deletes).
func (g *ingester) tableRow(dec types.Row, keyOnly bool) (types.Row, error) {
	row := make(types.Row, len(g.desc.Columns))
	env := viewEnv()
	for i, slot := range g.slots {
		v := dec[i]
		if c := g.casts[i]; c != nil && !v.IsNull() && !keyOnly {
			var err error
			if v, err = c.Eval(g.ctx, env, types.Row{v}); err != nil {
				return nil, err
			}
		}
		if v.IsNull() && g.desc.Columns[slot].NotNull && !keyOnly {
			return nil, types.Errorf(types.CodeNotNullViolation, "null value in column %q of relation %q violates not-null constraint", g.desc.Columns[slot].Name, g.desc.Name)
		}
		row[slot] = v
	}
	return row, nil
}

// ensureDeadLetterTable creates streamdb.source_errors if it is missing.
func (m *kafkaManager) ensureDeadLetterTable() error {
	m.deadLetterMu.Lock()
	defer m.deadLetterMu.Unlock()
	if _, ok := m.srv.cat.LookupRelation(deadLetterSchema, deadLetterTable); ok {
		return nil
	}
	cols := []struct {
		name string
		oid  uint32
	}{
		{"source_oid", types.OidInt8}, {"partition", types.OidInt4}, {"offset", types.OidInt8},
		{"source_name", types.OidText}, {"topic", types.OidText}, {"key", types.OidText},
		{"value_prefix", types.OidText}, {"value_sha256", types.OidText}, {"value_length", types.OidInt8},
		{"error", types.OidText}, {"recorded_at", types.OidTimestampTZ},
	}
	d := &catalog.Descriptor{Kind: catalog.KindTable, Namespace: deadLetterSchema, Name: deadLetterTable, Owner: "streamdb",
		Options: map[string]string{}, Comment: "Bad Kafka records skipped by sources with on_error = 'skip'"}
	for i, c := range cols {
		d.Columns = append(d.Columns, catalog.Column{Name: c.name, TypeOid: c.oid, Typmod: -1, NotNull: i < 3, AttNum: int16(i + 1)})
	}
	d.PrimaryKey = []int{0, 1, 2}
	d.PKName = deadLetterTable + "_pkey"
	d.Indexes = []catalog.Index{{Name: d.PKName, Columns: []int{0, 1, 2}, Unique: true, Primary: true,
		Def: "CREATE UNIQUE INDEX source_errors_pkey ON streamdb.source_errors USING btree (source_oid, partition, \"offset\")"}}
	return m.srv.cat.Create(d)
}

// writeDeadLetter records a bad record in the dead-letter table, in the
// ingest transaction (so it is recorded exactly once with the offsets).
func (m *kafkaManager) writeDeadLetter(tx *state.Txn, src *catalog.Descriptor, topic string, r kafka.Record, cause error) error {
	dl, ok := m.srv.cat.LookupRelation(deadLetterSchema, deadLetterTable)
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation \"streamdb.source_errors\" does not exist")
	}
	sum := sha256.Sum256(r.Value)
	row := types.Row{
		types.DInt(int64(src.OID)), types.DInt(int64(r.Partition)), types.DInt(r.Offset),
		types.DString(src.Namespace + "." + src.Name), types.DString(topic), printable(r.Key),
		printable(r.Value), types.DString(hex.EncodeToString(sum[:])), types.DInt(int64(len(r.Value))),
		types.DString(cause.Error()), types.DTimestampTZ(time.Now().UnixMicro()),
	}
	if r.Key == nil {
		row[5] = types.Datum{}
	}
	return tx.Put(dl.OID, state.PrimaryKey(nil, row, dl.PrimaryKey), row)
}

// printable keeps a prefix of raw bytes as text: valid UTF-8 as is, else
// hex with a \x prefix like bytea output.
func printable(b []byte) types.Datum {
	if len(b) > deadLetterPrefix {
		b = b[:deadLetterPrefix]
	}
	if utf8.Valid(b) && !strings.ContainsRune(string(b), 0) {
		return types.DString(string(b))
	}
	return types.DString(`\x` + hex.EncodeToString(b))
}

// runtimeRows adds the rows of streamdb.sources (one per partition) and
// streamdb.dataflows (one per Kafka table and sink).
func (m *kafkaManager) runtimeRows(in *catalog.VirtualInput) {
	if m == nil {
		return
	}
	if in.RuntimeRows == nil {
		in.RuntimeRows = map[string][]types.Row{}
	}
	m.mu.Lock()
	ings := make([]*ingester, 0, len(m.ingesters))
	for _, g := range m.ingesters {
		ings = append(ings, g)
	}
	sinks := make([]*sinkRunner, 0, len(m.sinks))
	for _, r := range m.sinks {
		sinks = append(sinks, r)
	}
	m.mu.Unlock()
	null := types.Datum{}
	for _, g := range ings {
		g.mu.Lock()
		cons := g.consumer
		status, lastErr, applied, nerr, started := g.status, g.lastError, g.applied, g.errors, g.started
		g.mu.Unlock()
		var stats []kafka.PartitionStats
		if cons != nil {
			stats = cons.Stats()
		} else if offs, err := g.loadOffsets(); err == nil {
			for p, o := range offs {
				stats = append(stats, kafka.PartitionStats{Partition: p, Next: o, HighWatermark: -1})
			}
		}
		for _, st := range stats {
			r := types.Row{types.DInt(int64(g.desc.OID)), types.DString(g.desc.Name), types.DString("kafka"), types.DInt(int64(st.Partition)), null, null, null, null}
			if st.Next >= 0 {
				r[4] = types.DInt(st.Next)
			}
			if st.HighWatermark >= 0 {
				r[5] = types.DInt(st.HighWatermark)
				if st.Next >= 0 {
					r[6] = types.DInt(max(0, st.HighWatermark-st.Next))
				}
			}
			if !st.LastEvent.IsZero() {
				r[7] = types.DTimestampTZ(st.LastEvent.UnixMicro())
			}
			in.RuntimeRows["streamdb.sources"] = append(in.RuntimeRows["streamdb.sources"], r)
		}
		le := null
		if lastErr != "" {
			le = types.DString(lastErr)
		}
		in.RuntimeRows["streamdb.dataflows"] = append(in.RuntimeRows["streamdb.dataflows"], types.Row{
			types.DInt(int64(g.desc.OID)), types.DString(g.desc.Name), types.DString("kafka source"), types.DString(status),
			types.DInt(1), types.DInt(1), null, null, types.DInt(applied), types.DInt(applied - nerr), types.DInt(nerr), le,
			types.DTimestampTZ(started.UnixMicro()), null, null, // watermark, late_rows
		})
	}
	for _, r := range sinks {
		in.RuntimeRows["streamdb.dataflows"] = append(in.RuntimeRows["streamdb.dataflows"], r.dataflowRow())
	}
}
