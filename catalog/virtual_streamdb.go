package catalog

import "github.com/streamdb/streamdb/sql/types"

// streamdbTables lists the streamdb system views (OIDs 13101-13199) that
// DESIGN.md sections 5 and 6 name. Their rows come from the runtime
// (checkpointer, state store, sources) through VirtualInput.RuntimeRows;
// the columns here are the contract those parts fill.
func streamdbTables() []*virtualTable {
	const sd = "streamdb"
	tables := []*virtualTable{
		// One row per checkpoint attempt, newest last.
		{schema: sd, name: "checkpoints", oid: 13101, relkind: "v",
			columns: cols(`epoch int8, kind text, started timestamptz, duration interval,
				bytes_uploaded int8, bytes_reused int8, files int8, status text,
				time_to_first_barrier interval, alignment_time interval, location text`)},
		// One row per state table (per view and operator).
		{schema: sd, name: "state_tables", oid: 13102, relkind: "v",
			columns: cols(`table_id int8, relation_oid oid, relation_name text, operator text,
				keys int8, live_bytes int8, ttl interval, ttl_time text, expired_rows int8`)},
		// One row per source partition.
		{schema: sd, name: "sources", oid: 13103, relkind: "v",
			columns: cols(`source_oid oid, source_name text, connector text, partition int4,
				"offset" int8, high_watermark int8, lag int8, last_event timestamptz`)},
		// One row per running dataflow (materialized view, sink, table with a connector).
		{schema: sd, name: "dataflows", oid: 13104, relkind: "v",
			columns: cols(`relation_oid oid, relation_name text, kind text, status text,
				parallelism int4, max_parallelism int4, committed_epoch int8,
				freshness interval, rows_in int8, rows_out int8, row_errors int8,
				last_error text, started timestamptz,
				watermark timestamptz, late_rows int8`)},
		// One row with the state store's counters.
		{schema: sd, name: "storage", oid: 13105, relkind: "v",
			columns: cols(`block_cache_bytes int8, block_cache_hit_rate float8,
				memtable_bytes int8, memtable_count int8, live_bytes int8,
				compaction_debt_bytes int8, compactions_in_progress int8, write_stalls int8,
				write_stall_duration interval, sstables int8,
				row_cache_bytes int8, row_cache_capacity int8, row_cache_hits int8,
				row_cache_misses int8, row_cache_evictions int8, l0_files int8`)},
	}
	for _, t := range tables {
		t.generate = runtimeRows(t.qualified(), t.columns)
	}
	// One row per sink. Sinks are not relations (nothing can be read
	// from them), so pg_class does not list them; this is where BI and
	// IDE users find them, with what they read and where they write.
	tables = append(tables, &virtualTable{schema: sd, name: "sinks", oid: 13106, relkind: "v",
		columns: cols(`sink_oid oid, schema_name text, sink_name text, owner text,
			connector text, definition text, options text[]`),
		generate: (*virtualContext).streamdbSinks})
	return tables
}

// sinkConnectorOption marks a materialized view that is a sink without an
// outside system (connector = 'blackhole'; server/blackhole_sink.go).
const sinkConnectorOption = "sink.connector"

func (v *virtualContext) streamdbSinks() []types.Row {
	var rows []types.Row
	for _, d := range v.in.Relations {
		connector := d.Options["connector"]
		switch {
		case d.Kind == KindSink:
		case d.Kind == KindMaterializedView && d.Options[sinkConnectorOption] != "":
			connector = d.Options[sinkConnectorOption]
		default:
			continue
		}
		opts := types.Null
		if o := optionsText(d.Options); o != nil {
			opts = dTextArray(o)
		}
		rows = append(rows, types.Row{
			dOID(d.OID), dStr(d.Namespace), dStr(d.Name), dStr(d.Owner),
			dStr(connector), dStr(d.Query), opts,
		})
	}
	return rows
}

// runtimeRows returns a generator that passes through the rows the runtime
// supplied for one table, keeping only those of the right shape.
func runtimeRows(qualified string, columns types.Schema) func(v *virtualContext) []types.Row {
	return func(v *virtualContext) []types.Row {
		supplied := v.in.RuntimeRows[qualified]
		rows := make([]types.Row, 0, len(supplied))
		for _, r := range supplied {
			if rowMatches(columns, r) {
				rows = append(rows, r)
			}
		}
		return rows
	}
}

// rowMatches reports whether r has one datum per column, each NULL or of
// the kind the column's type uses.
func rowMatches(columns types.Schema, r types.Row) bool {
	if len(r) != len(columns) {
		return false
	}
	for i, d := range r {
		if !d.IsNull() && d.K != datumKind(columns[i].Type) {
			return false
		}
	}
	return true
}

// datumKind is the Datum kind a non-NULL value of t has.
func datumKind(t *types.T) types.Kind {
	switch t.Family {
	case types.BoolFamily:
		return types.KBool
	case types.IntFamily:
		return types.KInt
	case types.FloatFamily:
		return types.KFloat
	case types.NumericFamily:
		return types.KDecimal
	case types.StringFamily:
		return types.KString
	case types.BytesFamily:
		return types.KBytes
	case types.DateFamily:
		return types.KDate
	case types.TimeFamily:
		return types.KTime
	case types.TimestampFamily:
		return types.KTimestamp
	case types.TimestampTZFamily:
		return types.KTimestampTZ
	case types.IntervalFamily:
		return types.KInterval
	case types.JSONFamily:
		return types.KJSON
	case types.ArrayFamily:
		return types.KArray
	}
	return types.KNull
}
