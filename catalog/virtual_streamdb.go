package catalog

// streamdbTables lists the streamdb system views (OIDs 13101-13199) that
// DESIGN.md section 5 and 6 name. Their rows come from the runtime
// (checkpointer, state store, sources), which does not feed VirtualInput
// yet, so they are empty for now; the columns are the contract.
func streamdbTables() []*virtualTable {
	const sd = "streamdb"
	return []*virtualTable{
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
				last_error text, started timestamptz`)},
		// One row with the state store's counters.
		{schema: sd, name: "storage", oid: 13105, relkind: "v",
			columns: cols(`block_cache_bytes int8, block_cache_hit_rate float8,
				memtable_bytes int8, memtable_count int8, live_bytes int8,
				compaction_debt_bytes int8, compactions_in_progress int8, write_stalls int8,
				write_stall_duration interval, sstables int8`)},
	}
}
