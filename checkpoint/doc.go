// Package checkpoint takes incremental checkpoints of streamdb's Pebble
// stores into object storage (gocloud.dev/blob: file://, s3://, gs://,
// azblob://), restores them, applies retention and writes savepoints.
//
// # What a checkpoint is
//
// The server runs two Pebble instances: <data>/tables (plain tables, their
// change logs and the catalog; every acknowledged write is synced there)
// and <data>/state (materialized view contents and operator state,
// committed one epoch at a time, with the table-log offsets each view has
// applied). A checkpoint captures both at one consistent point through a
// Source: the state store at a committed epoch first, then the table store,
// so the table logs always cover the offsets the captured epoch records.
// Each capture is a Pebble checkpoint (hard links; the WAL is flushed
// first so the copied WAL is nearly empty) in
// <data>/checkpoints-local/chk-<id>/<store>.
//
// # Phases, and what the dataflow waits for
//
// A checkpoint runs in phases, each recorded in Attempt.Phases (and logged):
//
//  1. Flush: every store's memtable is flushed (Source.Stores), holding
//     no lock of the source, while the views and writers run on.
//  2. First barrier: Source.Capture waits for its consistency point. The
//     server captures the state store under the view coordinator's commit
//     lock, held only around an epoch's commit (an epoch in progress has
//     written nothing yet), so this is at most one commit, never the
//     epoch being computed.
//  3. Sync: the Pebble checkpoints themselves (hard links, the MANIFEST
//     and the WAL written since the flush). This is the only part that
//     holds epoch commits still; streamdb.checkpoints shows it as
//     alignment_time, and phase 2 as time_to_first_barrier.
//  4. Upload: the files go to the store Options.UploadConcurrency at a
//     time (default 4), then the manifest. Duration ends here (Flink's
//     end-to-end duration).
//  5. Retention (below), then the source's CompletionListener; neither
//     counts in Duration, both delay only the next checkpoint.
//
// The stores are opened without WAL recycling (state.Options.RecycleWAL):
// Pebble's Checkpoint copies each live WAL file whole, and a recycled file
// carries up to a memtable of stale records that the copy would write
// and sync in phase 3.
//
// # Layout in the store
//
//	shared/<store>/<NNNNNN>.sst     immutable SSTs, uploaded once, shared
//	chk-<id>/<store>/MANIFEST-*     small per-checkpoint files (MANIFEST,
//	chk-<id>/<store>/OPTIONS-*      OPTIONS, markers, the flushed WAL)
//	chk-<id>/<store>/<NNNNNN>.sst   SST copies of a full checkpoint only
//	chk-<id>/MANIFEST.json          written last: the commit point
//
// Pebble never reuses a file number and never changes an SST, so the same
// name means the same bytes: an incremental checkpoint uploads only the
// SSTs the store does not hold yet (known from an index built from the
// manifests in the store at start and extended by every upload), and its
// manifest references the rest. Every checkpoint.full_every-th checkpoint is
// full: its SSTs are also copied (server-side) under its own chk-<id>/, so
// losing one shared object cannot invalidate every retained checkpoint.
// The manifest (JSON, format_version 1) lists every file of every store
// with its object key, size and SHA-256, plus the epoch, the catalog
// version and metadata from the server. An unknown format version is
// refused with SQLSTATE 0A000.
//
// One checkpoint runs at a time (checkpoints and savepoints share a lock);
// periodic ones wait checkpoint.min_pause after the previous one ended and
// are skipped when nothing changed; checkpoint.timeout aborts one (no
// manifest is written, so what it uploaded is garbage).
//
// # Retention
//
// After each checkpoint, the newest checkpoint.retain committed checkpoints
// are kept, plus the newest full one. Older ones are deleted manifest
// first. Shared objects are reference-counted from the manifests actually
// present in the store (never from memory alone): an object no kept
// manifest references is deleted; if a kept manifest cannot be read,
// nothing shared is deleted. Uncommitted chk-<id>/ prefixes older than the
// newest committed checkpoint (aborted attempts) are deleted. Only the
// newest local checkpoint directory is kept.
//
// # Restore and the recovery bound
//
// At start, before the stores open, the server restores the newest intact
// checkpoint: its manifest decodes and every file exists with the recorded
// size (and, when downloaded, checksum). A damaged checkpoint is skipped
// for the next older one; if none is intact the error names the files.
// When <data>/checkpoints-local/chk-<id> holds the same checkpoint, SSTs
// are hard-linked from it (no download). Files are assembled beside the
// store and renamed into place only when complete: never partial state.
//
// Which stores are restored matters. On a restart on the same machine only
// the state store is rolled back to the checkpoint; the table store is
// kept, because it holds acknowledged writes made after the checkpoint, and
// the views replay the table logs from the checkpointed offsets. The table
// store is restored from the checkpoint only when it is missing (machine
// lost, new data directory, --restore-from). So a restart loses nothing
// acknowledged; losing the machine (or its disk) loses at most the table
// writes acknowledged since the last completed checkpoint, i.e. up to
// checkpoint.interval plus the checkpoint's duration.
//
// # Savepoints
//
// Checkpointer.Savepoint writes a full, self-contained copy of both stores
// to any URL (kind "savepoint": every file under chk-<id>/, manifest last).
// Restore with that URL and both stores (streamdb serve --restore-from)
// starts another data directory or machine from it.
package checkpoint
