package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"sort"
	"strconv"
	"time"

	"github.com/cockroachdb/errors"

	sinkkafka "github.com/streamdb/streamdb/sinks/kafka"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// A sink FROM a materialized view. The view runtime keeps the view's rows,
// not a change log, so the sink diffs snapshots: it keeps a shadow copy of
// what it has produced (key JSON -> row JSON) in its internal table and,
// when the view has changed, produces the difference. Exactly once:
//
//  1. one table-store transaction updates the shadow and stores the
//     difference as pending records of epoch E = position+1;
//  2. one Kafka transaction produces them, each with header position E;
//  3. one table-store transaction drops the pending records and sets the
//     position to E.
//
// After a crash between 1 and 3, the pending records are produced again
// only if the topic's committed position is below E. The cost is a scan of
// the view per change (at most every viewSinkPoll); primary_key must be
// unique in the view (the last row of a key wins).
const viewSinkPoll = 500 * time.Millisecond

// Row kinds of a view sink's internal table: (kind, key, value, epoch).
const (
	viewSinkPosition int64 = iota
	viewSinkShadow
	viewSinkPending
)

type viewSinkState struct {
	position uint64
	shadow   map[string][]byte
	pending  []sinkkafka.Message
}

func (r *sinkRunner) loadViewSinkState() (*viewSinkState, error) {
	tx := r.m.srv.tables.Begin()
	defer tx.Rollback()
	st := &viewSinkState{shadow: map[string][]byte{}}
	type pend struct {
		idx []byte
		msg sinkkafka.Message
	}
	var pending []pend
	err := tx.Scan(r.ctx, offsetsOID(r.desc), func(_ []byte, row types.Row) error {
		if len(row) != 4 {
			return nil
		}
		switch row[0].Int() {
		case viewSinkPosition:
			st.position = uint64(row[3].Int())
		case viewSinkShadow:
			st.shadow[row[1].Str()] = row[2].Bytes()
		case viewSinkPending:
			msg, err := decodePending(row[2].Bytes())
			if err != nil {
				return err
			}
			pending = append(pending, pend{idx: row[1].Bytes(), msg: msg})
		}
		return nil
	})
	sort.Slice(pending, func(i, j int) bool { return bytes.Compare(pending[i].idx, pending[j].idx) < 0 })
	for _, p := range pending {
		st.pending = append(st.pending, p.msg)
	}
	return st, err
}

func encodePending(m sinkkafka.Message) []byte {
	b := binary.AppendUvarint(nil, uint64(len(m.Key)))
	b = append(b, m.Key...)
	if m.Value == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return append(b, m.Value...)
}

func decodePending(b []byte) (sinkkafka.Message, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n+1 {
		return sinkkafka.Message{}, types.Errorf(types.CodeDataCorrupted, "corrupt pending sink record")
	}
	m := sinkkafka.Message{Key: b[k : k+int(n)]}
	if b[k+int(n)] == 1 {
		m.Value = b[k+int(n)+1:]
	}
	return m, nil
}

func viewSinkRow(kind int64, key, value []byte, epoch uint64) types.Row {
	return types.Row{types.DInt(kind), types.DBytes(key), types.DBytes(value), types.DInt(int64(epoch))}
}

var viewSinkKey = []int{0, 1}

// finishEpoch drops the pending records and records position e.
func (r *sinkRunner) finishEpoch(st *viewSinkState, e uint64) error {
	tx := r.m.srv.tables.Begin()
	oid := offsetsOID(r.desc)
	for i := range st.pending {
		row := viewSinkRow(viewSinkPending, binary.BigEndian.AppendUint32(nil, uint32(i)), nil, 0)
		key := state.PrimaryKey(nil, row, viewSinkKey)
		if old, ok, err := tx.Get(oid, key); err != nil {
			tx.Rollback()
			return err
		} else if ok {
			if err := tx.Delete(oid, key, old); err != nil {
				tx.Rollback()
				return err
			}
		}
	}
	pos := viewSinkRow(viewSinkPosition, nil, nil, e)
	if err := tx.Put(oid, state.PrimaryKey(nil, pos, viewSinkKey), pos); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	st.pending = nil
	st.position = e
	r.mu.Lock()
	r.position = e
	r.mu.Unlock()
	return nil
}

func (r *sinkRunner) runViewOnce() error {
	prod, err := sinkkafka.NewProducer(r.conn, r.topic, "streamdb-sink-"+strconv.FormatUint(uint64(r.desc.OID), 10))
	if err != nil {
		return err
	}
	defer prod.Close()
	enc, err := sinkkafka.NewEncoder(r.format, r.cols, r.key)
	if err != nil {
		return err
	}
	st, err := r.loadViewSinkState()
	if err != nil {
		return err
	}
	if len(st.pending) > 0 {
		e := st.position + 1
		ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
		inKafka, err := prod.CommittedPosition(ctx)
		cancel()
		if err != nil {
			return err
		}
		if inKafka < e {
			if err := prod.Produce(r.ctx, st.pending, e); err != nil {
				return err
			}
		}
		if err := r.finishEpoch(st, e); err != nil {
			return err
		}
	}
	r.setStatus("running", nil)
	views := r.m.srv.views
	if views == nil {
		return types.Unsupported("sinks from materialized views without the view runtime")
	}
	oid := offsetsOID(r.desc)
	var lastSeq uint64
	var lastScan time.Time
	for {
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-time.After(viewSinkPoll):
		}
		// A view changes only after a table commit; rescan for a while
		// after one, since the view applies it asynchronously.
		seq := r.m.srv.tables.CommitSeq()
		if seq == lastSeq && time.Since(lastScan) > 3*time.Second && !lastScan.IsZero() {
			continue
		}
		if seq != lastSeq {
			lastSeq = seq
			lastScan = time.Now()
		}
		cur := map[string][]byte{}
		err := views.scanRows(r.ctx, r.input, func(row types.Row) error {
			cur[string(enc.KeyJSON(row))] = enc.RowJSON(row)
			return nil
		})
		if err != nil {
			return err
		}
		keys := make([]string, 0)
		for k, v := range cur {
			if old, ok := st.shadow[k]; !ok || !bytes.Equal(old, v) {
				keys = append(keys, k)
			}
		}
		for k := range st.shadow {
			if _, ok := cur[k]; !ok {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		sort.Strings(keys)
		e := st.position + 1
		tx := r.m.srv.tables.Begin()
		var msgs []sinkkafka.Message
		for _, k := range keys {
			msg, err := enc.Diff([]byte(k), st.shadow[k], cur[k])
			if err != nil {
				tx.Rollback()
				return err
			}
			pend := viewSinkRow(viewSinkPending, binary.BigEndian.AppendUint32(nil, uint32(len(msgs))), encodePending(msg), e)
			if err := tx.Put(oid, state.PrimaryKey(nil, pend, viewSinkKey), pend); err != nil {
				tx.Rollback()
				return err
			}
			msgs = append(msgs, msg)
			sh := viewSinkRow(viewSinkShadow, []byte(k), cur[k], e)
			shKey := state.PrimaryKey(nil, sh, viewSinkKey)
			if cur[k] == nil {
				old, ok, err := tx.Get(oid, shKey)
				if err == nil && ok {
					err = tx.Delete(oid, shKey, old)
				}
				if err != nil {
					tx.Rollback()
					return err
				}
			} else if err := tx.Put(oid, shKey, sh); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		for _, k := range keys {
			if v, ok := cur[k]; ok {
				st.shadow[k] = v
			} else {
				delete(st.shadow, k)
			}
		}
		st.pending = msgs
		if err := prod.Produce(r.ctx, msgs, e); err != nil {
			return errors.Wrap(err, "producing a view sink epoch")
		}
		r.m.sinkRecs.WithLabelValues(r.desc.Name).Add(float64(len(msgs)))
		r.m.sinkTxns.WithLabelValues(r.desc.Name).Inc()
		r.mu.Lock()
		r.produced += int64(len(msgs))
		r.mu.Unlock()
		if err := r.finishEpoch(st, e); err != nil {
			return err
		}
	}
}
