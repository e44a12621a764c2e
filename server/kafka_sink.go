package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/internal/kafkaconn"
	sinkkafka "github.com/streamdb/streamdb/sinks/kafka"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Options of a sink descriptor besides the user's WITH options.
const (
	// optSinkInput is the OID of the table the sink reads.
	optSinkInput = "streamdb.input_oid"
	// optSinkKey is the primary-key slots of the input used as the record
	// key, comma-separated.
	optSinkKey = "streamdb.key_slots"
)

// sinkBatch is the most changes produced in one Kafka transaction; a
// transaction always ends at a commit boundary of the input.
const sinkBatch = 50000

// sinkRunner feeds one sink from its input table's change log: each batch
// of committed changes (commit seqs pos+1..last) is produced in one Kafka
// transaction, and last is recorded in the record headers (the restart
// point, see sinks/kafka) and in the sink's offsets table.
type sinkRunner struct {
	m      *kafkaManager
	desc   *catalog.Descriptor
	input  uint32
	conn   kafkaconn.Conn
	topic  string
	format sinkkafka.Format
	cols   []sinkkafka.Column
	key    []int
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	status    string
	lastError string
	started   time.Time
	produced  int64
	position  uint64
	// positionRead is set once position holds the stored position (the
	// log before it may then be truncated, log_truncation.go).
	positionRead bool
}

func (m *kafkaManager) startSink(d *catalog.Descriptor) error {
	conn, err := kafkaconn.Parse(d.Options)
	if err != nil {
		return types.WithCode(err, types.CodeInvalidParameterValue)
	}
	format, err := sinkkafka.ParseFormat(d.Options[parser.OptionFormat], d.Options[parser.OptionEncode])
	if err != nil {
		return err
	}
	in, _ := strconv.ParseUint(d.Options[optSinkInput], 10, 32)
	input, ok := m.srv.cat.ByOID(uint32(in))
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "input of sink %q does not exist", d.Name)
	}
	r := &sinkRunner{m: m, desc: d, input: input.OID, conn: conn, topic: d.Options["topic"], format: format, done: make(chan struct{}), status: "starting", started: time.Now()}
	slotMap := map[int]int{}
	for i := range input.Columns {
		c := &input.Columns[i]
		if c.Hidden || c.Dropped {
			continue
		}
		slotMap[i] = len(r.cols)
		r.cols = append(r.cols, sinkkafka.Column{Name: c.Name, Type: c.Type()})
	}
	if ks := d.Options[optSinkKey]; ks != "" {
		for _, s := range strings.Split(ks, ",") {
			n, _ := strconv.Atoi(s)
			r.key = append(r.key, slotMap[n])
		}
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.sinks[d.OID] = r
	m.mu.Unlock()
	go r.run(input)
	return nil
}

func (r *sinkRunner) stop() {
	r.cancel()
	<-r.done
}

func (r *sinkRunner) setStatus(status string, err error) {
	r.mu.Lock()
	r.status = status
	if err != nil {
		r.lastError = err.Error()
	}
	r.mu.Unlock()
}

func (r *sinkRunner) run(input *catalog.Descriptor) {
	defer close(r.done)
	log := r.m.srv.logger.With("sink", r.desc.Name, "topic", r.topic)
	backoff := 500 * time.Millisecond
	for {
		var err error
		if input.Kind == catalog.KindMaterializedView {
			err = r.runViewOnce() // kafka_sink_view.go
		} else {
			err = r.runOnce(input)
		}
		if r.ctx.Err() != nil {
			return
		}
		if types.Code(err) == types.CodeFeatureNotSupported {
			r.setStatus("failed", err)
			log.Error("Kafka sink stopped", "err", err.Error())
			return
		}
		r.setStatus("retrying", err)
		log.Warn("Kafka sink error; retrying", "err", err.Error(), "backoff", backoff)
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// storedPosition reads the position recorded in the sink's offsets table.
func (r *sinkRunner) storedPosition() (uint64, error) {
	tx := r.m.srv.tables.Begin()
	defer tx.Rollback()
	var pos uint64
	err := tx.Scan(r.ctx, offsetsOID(r.desc), func(_ []byte, row types.Row) error {
		if len(row) == 2 {
			pos = uint64(row[1].Int())
		}
		return nil
	})
	return pos, err
}

func (r *sinkRunner) storePosition(pos uint64) error {
	tx := r.m.srv.tables.Begin()
	row := types.Row{types.DInt(0), types.DInt(int64(pos))}
	if err := tx.Put(offsetsOID(r.desc), state.PrimaryKey(nil, row, []int{0}), row); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (r *sinkRunner) runOnce(input *catalog.Descriptor) error {
	prod, err := sinkkafka.NewProducer(r.conn, r.topic, "streamdb-sink-"+strconv.FormatUint(uint64(r.desc.OID), 10))
	if err != nil {
		return err
	}
	defer prod.Close()
	pos, err := r.storedPosition()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	inKafka, err := prod.CommittedPosition(ctx)
	cancel()
	if err != nil {
		return err
	}
	// The stored position can lag Kafka (a crash after the Kafka commit):
	// the topic is the authority; the store only helps when the topic
	// was emptied by retention.
	pos = max(pos, inKafka)
	enc, err := sinkkafka.NewEncoder(r.format, r.cols, r.key)
	if err != nil {
		return err
	}
	ts := r.m.srv.tables
	visible := make([]int, 0, len(input.Columns))
	for i := range input.Columns {
		if !input.Columns[i].Hidden && !input.Columns[i].Dropped {
			visible = append(visible, i)
		}
	}
	errBatchFull := errors.New("batch full")
	var msgs []sinkkafka.Message
	row := make(types.Row, len(visible))
	project := func(full types.Row) {
		for i, slot := range visible {
			if slot < len(full) {
				row[i] = full[slot]
			} else {
				row[i] = types.Datum{}
			}
		}
	}
	if pos, err = r.snapshotIfTruncated(prod, enc, pos, project, row); err != nil {
		return err
	}
	r.mu.Lock()
	r.position = pos
	r.positionRead = true
	r.mu.Unlock()
	r.setStatus("running", nil)
	for {
		seq, notify := ts.CommitNotify()
		if seq > pos {
			msgs = msgs[:0]
			last := pos
			var encErr error
			err := ts.ScanLog(r.input, pos+1, func(s uint64, op types.Op, full types.Row) error {
				if s != last && len(msgs) >= sinkBatch {
					return errBatchFull
				}
				last = s
				project(full)
				msgs, encErr = enc.Encode(op, row, msgs)
				return encErr
			})
			if err != nil && !errors.Is(err, errBatchFull) {
				return err
			}
			if last == pos {
				// Commits of other tables only.
				last = seq
			}
			if len(msgs) > 0 {
				// A commit is visible in the log before its group fsync
				// completes. Publishing a change that a crash could still
				// take back would let the re-ingested change (a Kafka
				// source rewinds with it) be published a second time, so
				// make everything read durable first (one fsync covers
				// every earlier commit, and is nearly free when they were
				// already synced).
				if err := r.m.srv.tables.Store().DB().LogData(nil, pebble.Sync); err != nil {
					return types.WithCode(errors.Wrap(err, "syncing the table store"), types.CodeIOError)
				}
				if err := prod.Produce(r.ctx, msgs, last); err != nil {
					// Fenced or failed: the caller re-creates the producer
					// and re-reads the committed position.
					return err
				}
				r.m.sinkRecs.WithLabelValues(r.desc.Name).Add(float64(len(msgs)))
				r.m.sinkTxns.WithLabelValues(r.desc.Name).Inc()
			}
			if err := r.storePosition(last); err != nil {
				return err
			}
			pos = last
			r.mu.Lock()
			r.position = pos
			r.produced += int64(len(msgs))
			r.mu.Unlock()
			if errors.Is(err, errBatchFull) {
				continue
			}
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-notify:
		case <-time.After(time.Second):
		}
	}
}

func (r *sinkRunner) dataflowRow() types.Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	le := types.Datum{}
	if r.lastError != "" {
		le = types.DString(r.lastError)
	}
	return types.Row{
		types.DInt(int64(r.desc.OID)), types.DString(r.desc.Name), types.DString("kafka sink"), types.DString(r.status),
		types.DInt(1), types.DInt(1), types.DInt(int64(r.position)), types.Datum{}, types.DInt(r.produced), types.DInt(r.produced), types.DInt(0), le,
		types.DTimestampTZ(r.started.UnixMicro()), types.Datum{}, types.Datum{}, // watermark, late_rows
	}
}

// sinkLogNeeds calls fn with, for every sink from a table, the lowest
// commit seq of the table's change log it can still read
// (log_truncation.go): one more than its position, or 0 (the whole log)
// while it has not read its position or has no runner.
func (m *kafkaManager) sinkLogNeeds(fn func(table uint32, need uint64)) {
	if m == nil {
		return
	}
	for _, d := range m.srv.cat.Relations() {
		if d.Kind != catalog.KindSink {
			continue
		}
		in, err := strconv.ParseUint(d.Options[optSinkInput], 10, 32)
		if err != nil {
			continue
		}
		m.mu.Lock()
		r := m.sinks[d.OID]
		m.mu.Unlock()
		need := uint64(0)
		if r != nil {
			r.mu.Lock()
			if r.positionRead {
				need = r.position + 1
			}
			r.mu.Unlock()
		}
		fn(uint32(in), need)
	}
}

// snapshotIfTruncated starts a sink whose position is below the start of
// its input's change log (a sink created after the log was truncated,
// log_truncation.go): it publishes the table's rows as of a snapshot as
// inserts, in one Kafka transaction, and returns the snapshot's seq as the
// new position. Otherwise it returns pos.
func (r *sinkRunner) snapshotIfTruncated(prod *sinkkafka.Producer, enc *sinkkafka.Encoder, pos uint64, project func(types.Row), row types.Row) (uint64, error) {
	ts := r.m.srv.tables
	start, err := ts.LogStart(r.input)
	if err != nil || pos+1 >= start {
		return pos, err
	}
	tx := ts.Begin()
	defer tx.Rollback()
	var msgs []sinkkafka.Message
	err = tx.Scan(r.ctx, r.input, func(_ []byte, full types.Row) error {
		project(full)
		var encErr error
		msgs, encErr = enc.Encode(types.Insert, row, msgs)
		return encErr
	})
	if err != nil {
		return pos, err
	}
	snap := tx.StartSeq()
	if err := ts.Store().DB().LogData(nil, pebble.Sync); err != nil {
		return pos, types.WithCode(errors.Wrap(err, "syncing the table store"), types.CodeIOError)
	}
	if len(msgs) > 0 {
		if err := prod.Produce(r.ctx, msgs, snap); err != nil {
			return pos, err
		}
		r.m.sinkRecs.WithLabelValues(r.desc.Name).Add(float64(len(msgs)))
		r.m.sinkTxns.WithLabelValues(r.desc.Name).Inc()
	}
	if err := r.storePosition(snap); err != nil {
		return pos, err
	}
	r.m.srv.logger.Info("Kafka sink started from a snapshot of its input (the change log before its position was truncated)",
		"sink", r.desc.Name, "rows", len(msgs), "seq", snap)
	return snap, nil
}
