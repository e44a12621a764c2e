package server

import (
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/streamdb/streamdb/catalog"
)

// Change-log truncation. A table's change log (state/doc.go) is read by
// the views over it and by Kafka sinks from it; everything before the
// lowest commit seq any of them can still ask for is dropped with one range
// delete per table, after each completed checkpoint.
//
// What a consumer can still ask for:
//
//   - A view restarts from a checkpoint: the state store rolls back to it
//     and the view re-reads the log after the offsets committed there. A
//     restore may fall back to an older intact checkpoint, so the bound is
//     the lowest offset over every retained checkpoint (checkpoint.retain):
//     each capture records, per table, one more than the lowest offset any
//     view committed for it (the manifest's log_bounds), and the completed
//     ones are kept in the table store with the truncations (so a restart
//     knows the older retained checkpoints too).
//   - A running view needs the log after its in-memory offsets (at least
//     the committed ones, but a view created after the capture has none
//     there).
//   - A view being created reads a table snapshot and then the log after
//     it: the table store never truncates past the oldest open snapshot,
//     and no truncation runs while a view is being created (its offsets
//     are not set until its backfill ends).
//   - A Kafka sink from a table resumes after its stored position (which
//     the topic can only be ahead of); one that is not running, or has not
//     read its position yet, holds the whole log. A sink created after a
//     truncation publishes a snapshot of the table first (kafka_sink.go).
//
// A table nobody reads keeps no log beyond the capture: a view created
// later backfills from a snapshot. Log-only tables (logonly.go) are never
// truncated: their log is their rows.
//
// A kill -9 between a truncation and the next checkpoint loses nothing:
// truncations only use bounds of completed checkpoints, and every retained
// checkpoint's offsets are at or above them.

// logBoundsKey is the manifest metadata key of a capture's log bounds:
// "oid:seq,oid:seq" (records below seq of table oid are not needed by a
// restore to that checkpoint), and "*:seq" for every other table.
const logBoundsKey = "log_bounds"

// logTruncator keeps the log bounds of the retained checkpoints.
type logTruncator struct {
	s  *Server
	mu sync.Mutex
	// retained are the bounds of the last completed checkpoints, oldest
	// first (loaded from the table store at the first completion).
	retained []logBounds
	loaded   bool
}

// logBounds are one checkpoint's bounds: per table, and for every table
// not listed.
type logBounds struct {
	Tables map[uint32]uint64 `json:"tables"`
	Other  uint64            `json:"other"`
}

func (b logBounds) of(oid uint32) uint64 {
	if v, ok := b.Tables[oid]; ok {
		return v
	}
	return b.Other
}

func newLogTruncator(s *Server) *logTruncator { return &logTruncator{s: s} }

// captureBounds computes the bounds of the state store being captured.
// Called with the view coordinator's mutex held (between epochs), so the
// stored offsets are the captured ones.
func (t *logTruncator) captureBounds(m *viewManager, covered uint64) (string, error) {
	b := logBounds{Tables: map[uint32]uint64{}, Other: covered + 1}
	err := m.store.ScanPrefix(metaKey("off"), func(k, v []byte) error {
		if len(k) != len(metaKey("off"))+8 || len(v) != 8 {
			return nil
		}
		table := binary.BigEndian.Uint32(k[len(k)-4:])
		need := binary.BigEndian.Uint64(v) + 1
		if cur, ok := b.Tables[table]; !ok || need < cur {
			b.Tables[table] = need
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return b.encode(), nil
}

func (b logBounds) encode() string {
	oids := make([]uint32, 0, len(b.Tables))
	for oid := range b.Tables {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	var sb strings.Builder
	for _, oid := range oids {
		sb.WriteString(strconv.FormatUint(uint64(oid), 10))
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatUint(b.Tables[oid], 10))
		sb.WriteByte(',')
	}
	sb.WriteString("*:")
	sb.WriteString(strconv.FormatUint(b.Other, 10))
	return sb.String()
}

func parseLogBounds(s string) (logBounds, bool) {
	b := logBounds{Tables: map[uint32]uint64{}}
	other := false
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			return b, false
		}
		seq, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return b, false
		}
		if k == "*" {
			b.Other, other = seq, true
			continue
		}
		oid, err := strconv.ParseUint(k, 10, 32)
		if err != nil {
			return b, false
		}
		b.Tables[uint32(oid)] = seq
	}
	return b, other
}

// Completed truncates the change logs after a completed checkpoint
// (checkpoint.CompletionListener).
func (src checkpointSource) Completed(metadata map[string]string) {
	if src.logs == nil {
		return
	}
	b, ok := parseLogBounds(metadata[logBoundsKey])
	if !ok {
		return
	}
	if err := src.logs.completed(b); err != nil {
		src.s.logger.Warn("change log truncation failed", "err", err)
	}
}

func (t *logTruncator) completed(b logBounds) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.s
	if !t.loaded {
		// The bounds of checkpoints retained from before this process.
		if v, err := s.tables.LogRetention(); err != nil {
			return err
		} else if v != nil {
			_ = json.Unmarshal(v, &t.retained) // unreadable: start afresh, only bounding less
		}
		t.loaded = true
	}
	retain := max(1, checkpointOptions(&s.opts, s.logger).Retain)
	t.retained = append(t.retained, b)
	if n := len(t.retained) - retain; n > 0 {
		t.retained = append(t.retained[:0], t.retained[n:]...)
	}
	record, err := json.Marshal(t.retained)
	if err != nil {
		return err
	}

	m := s.views
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bfMu.Lock()
	creating := len(m.backfilling)
	m.bfMu.Unlock()
	if creating > 0 {
		return nil // its offsets are not known yet: the next checkpoint truncates
	}
	bounds := map[uint32]uint64{}
	for _, d := range s.cat.Relations() {
		if d.Kind != catalog.KindTable || s.tables.IsLogOnly(d.OID) {
			continue
		}
		bound := ^uint64(0)
		for _, r := range t.retained {
			bound = min(bound, r.of(d.OID))
		}
		bounds[d.OID] = bound
	}
	// A view that failed keeps its stored offsets, which the captures
	// read; running views may be ahead of them, or newer than the
	// captures.
	for _, v := range m.views {
		for table, off := range v.offsets {
			if cur, ok := bounds[table]; ok {
				bounds[table] = min(cur, off+1)
			}
		}
	}
	s.kafka.sinkLogNeeds(func(table uint32, need uint64) {
		if cur, ok := bounds[table]; ok {
			bounds[table] = min(cur, need)
		}
	})
	_, err = s.tables.TruncateLogs(bounds, record)
	return err
}
