package server

import (
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/types"
)

// Log-only sources. A source whose rows can only ever be appended (a
// nexmark source; a Kafka CREATE SOURCE, which is FORMAT PLAIN, without a
// primary key) stores each row once, as its change-log record, instead of
// a 't' row plus an 'l' record (state/logonly.go). Reads of such a table
// (ad-hoc SELECT, COPY TO, cursors, joins, the snapshot a view backfills
// from) scan its log; views tail it as before.
//
// The kind is decided when the table is created and recorded in its
// descriptor (optStorage); the table store keeps its own durable mark,
// set before the first row is written. Tables created before this existed
// have no optStorage and keep rows and log.
//
// Not log-only, deliberately:
//   - tables with a TTL: expiry deletes 't' rows through the expiry index;
//   - tables with a primary key (CDC tables, a source declaring one): rows
//     are upserted and looked up by key (access paths, ON CONFLICT);
//   - plain tables: UPDATE and DELETE need the current row by key.
//
// A log-only table has no key lookups (it has no primary key, so the
// planner never plans one); UPDATE, DELETE and TRUNCATE are refused
// (0A000), like INSERT on a source. Its log is never truncated.
const (
	// optStorage is the storage kind chosen at creation: storageLog, or
	// absent (rows and log).
	optStorage = "streamdb.storage"
	storageLog = "log"
)

// chooseLogOnly marks a new append-only table without TTL or primary key
// as log-only (called by the source managers' prepareTable).
func chooseLogOnly(desc *catalog.Descriptor) {
	if desc.Options[optAppendOnly] != "true" || len(desc.PrimaryKey) > 0 || desc.Options[optTTL] != "" {
		return
	}
	desc.Options[optStorage] = storageLog
}

// registerLogOnly makes the table store keep a log-only table's rows as
// its log. It runs before the source writes its first row (tableCreated,
// at creation and at start); a table already holding rows as 't' keys
// stays as it is (the store refuses, and the refusal is logged).
func (s *Server) registerLogOnly(desc *catalog.Descriptor) {
	if desc.Options[optStorage] != storageLog || s.tables.IsLogOnly(desc.OID) {
		return
	}
	if err := s.tables.SetLogOnly(desc.OID); err != nil {
		s.logger.Error("source keeps rows and log", "source", desc.Name, "err", err)
	}
}

// tableStorageRows are the streamdb.state_tables rows of log-only tables:
// operator 'table storage (log only)', live_bytes the table store's
// estimate of the log (keys NULL: not counted). Other tables keep rows and
// change log and have no such row (their TTL row, if any, is 'table rows').
func (s *Server) tableStorageRows() []types.Row {
	var out []types.Row
	for _, d := range s.cat.Relations() {
		if d.Kind != catalog.KindTable || !s.tables.IsLogOnly(d.OID) {
			continue
		}
		bytes := types.Null
		if rows, log, err := s.tables.TableBytes(d.OID); err == nil {
			bytes = types.DInt(rows + log)
		}
		out = append(out, types.Row{types.DInt(int64(d.OID)), types.DInt(int64(d.OID)), types.DString(d.Name), types.DString("table storage (log only)"),
			types.Null, bytes, types.Null, types.Null, types.Null})
	}
	return out
}
