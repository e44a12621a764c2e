package server

import (
	"context"
	"maps"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// ALTER TABLE t SET (ttl = '...', ttl_time = ..., ttl_update = ...) and
// ALTER TABLE t RESET (ttl | ttl_time | ttl_update), on tables and on the
// tables of sources (Kafka, nexmark):
//
//   - SET merges the given options into the table's and validates the
//     result like CREATE TABLE ... WITH (same SQLSTATEs: 22023, 42703,
//     0A000 for a table with a UNIQUE constraint). RESET (ttl) removes
//     the TTL (and ttl_time, ttl_update); RESET (ttl_time) goes back to
//     processing time, RESET (ttl_update) to 'on_write'. Other options
//     answer 0A000 (connector options cannot change), and so does a TTL
//     on a log-only source (logonly.go: created without TTL, it keeps its
//     rows as its change log, which expiry cannot remove).
//   - Existing rows get an expiry atomically with the catalog change
//     (state.TableStore.AlterTTL, in bounded batches; concurrent writers
//     keep theirs): processing time: now + ttl, as CockroachDB's
//     row-level TTL does (no write time is stored), except that a table
//     that already had a processing-time TTL keeps each row's last write
//     (or refreshing read) time, so a new interval re-derives expiries;
//     event time: the row's column + ttl. Rows that had already expired
//     are removed, never brought back.
//   - RESET (ttl) removes rows that had expired, then the records and
//     the index: every remaining row is permanent.
//   - Crashes: setting a TTL on a table without one is atomic with the
//     catalog change (records of a table whose catalog entry has no TTL
//     are ignored, and cleared by the next ALTER), and so is RESET (the
//     records go after the catalog change). Changing an existing TTL
//     rewrites the records in place before the catalog change: a crash in
//     between leaves the old TTL in the catalog with some rows' expiries
//     already derived from the new one (never an expired row brought
//     back). Making that atomic too needs the records of a change written
//     to their own key space and switched with the catalog (not done).
//   - Views over the table are not touched: expiry is not a delete.
//   - ALTER MATERIALIZED VIEW ... SET (ttl ...) stays 0A000: a view's
//     operator keys have no record of when they were last changed before
//     the view had a TTL, and its dataflow would have to be rebuilt.

// alterTableOptions applies one SET (...) or RESET (...) command to nd's
// options. Only TTL options may change.
func alterTableOptions(nd *catalog.Descriptor, cmd *pg_query.AlterTableCmd) error {
	reset := cmd.Subtype == pg_query.AlterTableType_AT_ResetRelOptions
	if nd.Options == nil {
		nd.Options = map[string]string{}
	}
	defs := cmd.Def.GetList().GetItems()
	for _, n := range defs {
		d := n.GetDefElem()
		key := d.Defname
		if d.Defnamespace != "" {
			key = d.Defnamespace + "." + key
		}
		if key != optTTL && key != optTTLTime && key != optTTLUpdate {
			verb := "SET"
			if reset {
				verb = "RESET"
			}
			return types.Errorf(types.CodeFeatureNotSupported, "ALTER TABLE %s (%s) is not supported: only ttl, ttl_time and ttl_update can change", verb, key)
		}
		if reset {
			delete(nd.Options, key)
			switch key {
			case optTTL: // the others mean nothing without it
				delete(nd.Options, optTTLTime)
				delete(nd.Options, optTTLUpdate)
				delete(nd.Options, optTTLAttNum)
			case optTTLTime:
				delete(nd.Options, optTTLAttNum)
			}
			continue
		}
		val := ""
		if d.Arg != nil {
			val = defString(d.Arg)
		}
		nd.Options[key] = val
		if key == optTTLTime {
			delete(nd.Options, optTTLAttNum) // resolved again by name
		}
	}
	return nil
}

// refuseViewTTLAlter answers 0A000 for ALTER MATERIALIZED VIEW ...
// SET/RESET (...).
func refuseViewTTLAlter(d *catalog.Descriptor, at *pg_query.AlterTableStmt) error {
	if d.Kind != catalog.KindMaterializedView {
		return nil
	}
	for _, cn := range at.Cmds {
		if st := cn.GetAlterTableCmd().GetSubtype(); st == pg_query.AlterTableType_AT_SetRelOptions || st == pg_query.AlterTableType_AT_ResetRelOptions {
			return types.Errorf(types.CodeFeatureNotSupported, "ALTER MATERIALIZED VIEW ... SET/RESET (...) is not supported: a view's TTL is set when it is created; recreate the view")
		}
	}
	return nil
}

// updateTable commits an altered table descriptor; when its TTL options
// changed, the table store re-indexes the rows first and the catalog
// change is the commit point (state.TableStore.AlterTTL).
func (s *Server) updateTable(ctx context.Context, d, nd *catalog.Descriptor) error {
	if sameTTLOptions(d.Options, nd.Options) {
		return s.cat.Update(nd)
	}
	// The event-time column keeps its identity across renames: resolve
	// an unchanged ttl_time by its attnum, not by the name it was given.
	if a, err := strconv.Atoi(nd.Options[optTTLAttNum]); err == nil {
		for i := range nd.Columns {
			if int(nd.Columns[i].AttNum) == a && !nd.Columns[i].Dropped {
				nd.Options[optTTLTime] = nd.Columns[i].Name
			}
		}
	}
	delete(nd.Options, optTTLAttNum)
	if err := validateTableTTL(nd); err != nil {
		return err
	}
	var spec *state.TTLSpec
	if sp, ok, err := tableTTLSpec(nd); err != nil {
		return err
	} else if ok {
		spec = &sp
	}
	return s.tables.AlterTTL(ctx, nd.OID, spec, func() error { return s.cat.Update(nd) })
}

func sameTTLOptions(a, b map[string]string) bool {
	pick := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for _, k := range []string{optTTL, optTTLTime, optTTLUpdate, optTTLAttNum} {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	return maps.Equal(pick(a), pick(b))
}
