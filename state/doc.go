// Package state is streamdb's storage layer over Pebble.
//
// Store is a thin, documented wrapper around one Pebble instance: tuning
// (Options, with "ssd"/"hdd" profiles that map Flink's RocksDB knobs onto
// Pebble), Open/Close and a few metrics for streamdb.storage.
//
// TableStore keeps the rows of plain tables, their change logs, row-id
// counters and sequences in its own Store (the server opens it in
// <data>/tables, apart from operator state, because recovery rolls operator
// state back to a checkpoint but must never roll back an acknowledged
// write). Txn gives snapshot reads with read-your-writes, savepoints for
// statement atomicity, and first-committer-wins conflict checks; commits
// are fsynced (group commit) before Commit returns.
//
// # Key layout of a TableStore
//
//	't' | tableOID (4B BE) | row key                  -> types.AppendRow(row)
//	'l' | tableOID (4B BE) | commitSeq (8B BE) | n (4B BE) -> op byte | types.AppendRow(row)
//	'm' "commitseq"                                   -> last commit seq (8B BE)
//	'm' "rowid" | tableOID (4B BE)                    -> row-id high-water mark (8B BE)
//	'm' "seq"   | seqOID (4B BE)                      -> sequence record (see sequence.go)
//	'm' "logonly"  | tableOID (4B BE)                 -> (empty) the table is log-only
//	'm' "logstart" | tableOID (4B BE)                 -> bound of its last log truncation (8B BE)
//	'm' "logretention"                                -> the truncating caller's record
//	'e', 'x', 'm' "ttl..."                            -> row TTL records and index (see ttl.go)
//	'c' ...                                           -> owned by package catalog
//
// The row key is the concatenation of types.AppendKey(d, false) over the
// primary-key columns (PrimaryKey builds it), or, for a table without a
// primary key, the 8-byte big-endian hidden row id from NextRowID.
//
// The change log records, per committed transaction, every row operation in
// the order the transaction made it: op is a types.Op (Insert, Delete, or an
// UpdateDelete/UpdateInsert pair), n numbers the records of one commit from
// 0. Commit sequence numbers are global, start at 1, increase by one per
// committed write transaction and are persisted in the same batch, so they
// are never reused after a restart. A consumer (an incremental view, a
// Kafka sink) reads ScanLog(table, fromSeq), remembers the last seq it
// applied and waits for more with CommitNotify.
//
// # Log truncation
//
// TruncateLogs drops, per table, the records below a bound with one range
// delete. The caller (the server, after each completed checkpoint) knows
// the consumers and computes the bounds; TruncateLogs lowers a bound to
// one past the oldest open transaction's snapshot (a snapshot may be the
// starting point of a new consumer, which then reads the log after it),
// never truncates a log-only table, and records the bound as the table's
// LogStart (a consumer that finds its position below it must start from
// a snapshot) together with the caller's LogRetention record, in one
// batch.
//
// # Log-only tables
//
// A table that can only ever be appended to (an append-only source with
// no primary key) can be made log-only with SetLogOnly when it is created:
// each row is then stored once, as its change-log record (op Insert),
// instead of a 't' row and an 'l' record. That halves what the source
// writes, flushes, compacts and uploads with checkpoints. Scan reads the
// log in commit order (then the transaction's own inserts); the key it
// passes is the record's log position. InsertFresh is the only write;
// Get, Insert, Put, Update, Delete and key-range scans fail with 0A000
// (a log-only table has no primary key, so no planner path asks for
// them). The mark is durable ('m' "logonly"); SetLogOnly refuses a table
// that already stores 't' rows, so tables of an existing data directory
// keep their layout. A table with a TTL is never log-only. The log of a
// log-only table is never truncated.
//
// # Durability
//
// Commit applies one Pebble batch (rows, log records, commit seq) and then
// waits for the write-ahead log to be fsynced. Concurrent committers share
// fsyncs (group commit): the batch is applied without sync under the commit
// mutex, which keeps commit seqs in the order Pebble applies them, and the
// fsync is then requested with DB.LogData(nil, Sync) outside the mutex, so
// every fsync covers all batches applied before it. Like Pebble itself, a
// committed row is visible to other transactions a moment before its fsync
// completes; the committing client never sees its command tag earlier.
//
// BenchmarkCommit on the 2-core development VM (one small row per commit):
// 1 committer ~5,900 commits/s (~170 µs each, about one fsync); 8
// concurrent committers ~20,600 commits/s, 3.5 times more, because each
// fsync covers the batches of several committers. With the disk busy
// (load average 10) the ratio grows: 1,300 against 7,400 commits/s.
//
// # Conflicts
//
// First committer wins. Under the commit mutex, each key the transaction
// writes is checked against the last commit that wrote it (an in-memory
// map pruned to the commits newer than the oldest open snapshot): a key
// that did not exist in the snapshot and was created meanwhile fails the
// commit with 23505; any other key written by a commit newer than the
// snapshot fails it with 40001. Nothing is written on failure.
//
// # Row cache
//
// RowCache is a bounded, byte-sized LRU in front of Pebble for point
// lookups (state.row_cache_size; the server caches the answers of key
// lookups on materialized views in it). Its entries carry the store
// version they are valid as of (the server uses the view epoch, readable
// from any snapshot); the writer folds each version's changes into the
// entries after committing it. A reader hits only entries valid at its
// snapshot's version, and a fill from an older snapshot is refused, so the
// cache never serves a row older or newer than the reader's snapshot
// (the protocol is in RowCache's doc).
package state
