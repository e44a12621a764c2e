package state

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/oserror"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/streamdb/streamdb/sql/types"
)

// Options tune one Pebble instance. They map the RocksDB knobs Flink users
// know (block cache, write buffers, background threads, bloom filters,
// compression) onto Pebble. A zero field takes the value of the profile
// (Profile, "ssd" by default); the ssd defaults fit 2 cores and a few GiB
// of memory.
type Options struct {
	// Profile presets the other fields: "ssd" (default) or "hdd" (larger
	// memtables and blocks, fewer concurrent compactions, zstd: fewer, larger
	// sequential I/Os).
	Profile string
	// BlockCacheSize is the size of the block cache (RocksDB block_cache).
	// Default 256 MiB.
	BlockCacheSize int64
	// MemtableSize is the size of one memtable (RocksDB write_buffer_size).
	// Default 64 MiB (hdd 128 MiB).
	MemtableSize int64
	// MemtableCount is the number of memtables that may be queued before
	// writes stop (RocksDB max_write_buffer_number). Default 2.
	MemtableCount int
	// CompactionConcurrency is the number of concurrent compactions
	// (RocksDB max_background_jobs). Default 2 (hdd 1).
	CompactionConcurrency int
	// BloomBitsPerKey sizes the bloom filters of sstables; negative disables
	// them. Default 10 (about 1% false positives).
	BloomBitsPerKey int
	// Compression is "snappy" (default), "zstd" (default for hdd) or "none".
	Compression string
	// BlockSize is the target uncompressed sstable block size. Default
	// 4 KiB (hdd 32 KiB).
	BlockSize int
	// L0CompactionThreshold is the number of L0 sublevels that makes L0
	// compact into the next level (RocksDB
	// level0_file_num_compaction_trigger). Default 32, where RocksDB and
	// Pebble use 4: every compaction rewrites SSTs that the next
	// incremental checkpoint must upload again, and with uniformly spread
	// updates an L0 compaction rewrites most of the next level. The
	// working state of views is decoded in memory (Pebble is read at
	// restore and by table scans), so a deeper L0 costs little read time
	// and saves upload bytes: with 1% of the keys of a 512 MiB store
	// changed between checkpoints, 200 checkpoints uploaded 4.0% of the
	// state each on average at 32, 9.5% at 4 (BenchmarkCheckpoint).
	L0CompactionThreshold int
	// L0StopWritesThreshold is the number of L0 sublevels at which writes
	// stop until compactions catch up (RocksDB
	// level0_stop_writes_trigger). Default 3 x L0CompactionThreshold.
	L0StopWritesThreshold int
	// LBaseMaxBytes is the size of the first level below L0 (RocksDB
	// max_bytes_for_level_base). Zero: Pebble's default (64 MiB).
	LBaseMaxBytes int64
	// LevelMultiplier is the size ratio between adjacent levels (RocksDB
	// max_bytes_for_level_multiplier). Zero: 10.
	LevelMultiplier int
	// NoSync disables the fsync of commits. Only for tests and benchmarks
	// that do not care about durability: with it an acknowledged write can
	// be lost on a power failure (a process crash alone loses nothing).
	// It is a negative flag so that the zero Options are durable.
	NoSync bool
	// RecycleWAL lets Pebble reuse old WAL files for new logs (saves the
	// file-size metadata update of each fsync while a new log grows). Off
	// by default, as in RocksDB (recycle_log_file_num = 0): a checkpoint
	// copies the live WAL files whole, and a recycled file carries up to a
	// memtable of stale records after its live ones, which Checkpoint
	// copied and synced with the store held still: 1-5 s per checkpoint of
	// a loaded q20 run with 64 MiB memtables.
	RecycleWAL bool

	// fs replaces the operating system's file system (tests simulate power
	// loss with a crashable in-memory one).
	fs vfs.FS
}

// Profile names.
const (
	ProfileSSD = "ssd"
	ProfileHDD = "hdd"
)

// DefaultOptions returns the defaults of the ssd profile.
func DefaultOptions() Options {
	o := Options{}
	o.EnsureDefaults()
	return o
}

// EnsureDefaults fills zero fields from the profile.
func (o *Options) EnsureDefaults() {
	if o.Profile == "" {
		o.Profile = ProfileSSD
	}
	hdd := strings.EqualFold(o.Profile, ProfileHDD)
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = 256 << 20
	}
	if o.MemtableSize == 0 {
		o.MemtableSize = 64 << 20
		if hdd {
			o.MemtableSize = 128 << 20
		}
	}
	if o.MemtableCount == 0 {
		o.MemtableCount = 2
	}
	if o.CompactionConcurrency == 0 {
		o.CompactionConcurrency = 2
		if hdd {
			o.CompactionConcurrency = 1
		}
	}
	if o.L0CompactionThreshold == 0 {
		o.L0CompactionThreshold = 32
	}
	if o.L0StopWritesThreshold == 0 {
		o.L0StopWritesThreshold = 3 * o.L0CompactionThreshold
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = 10
	}
	if o.Compression == "" {
		o.Compression = "snappy"
		if hdd {
			o.Compression = "zstd"
		}
	}
	if o.BlockSize == 0 {
		o.BlockSize = 4 << 10
		if hdd {
			o.BlockSize = 32 << 10
		}
	}
}

// validate reports a bad option as a configuration error (F0000).
func (o *Options) validate() error {
	switch strings.ToLower(o.Profile) {
	case ProfileSSD, ProfileHDD:
	default:
		return types.Errorf(types.CodeConfigFileError, "invalid state profile %q (want \"ssd\" or \"hdd\")", o.Profile)
	}
	if _, err := compressionProfile(o.Compression); err != nil {
		return err
	}
	if o.BlockCacheSize < 0 || o.MemtableSize < 0 || o.MemtableCount < 0 || o.CompactionConcurrency < 0 || o.BlockSize < 0 {
		return types.Errorf(types.CodeConfigFileError, "state options must not be negative")
	}
	if o.MemtableCount < 2 {
		// Pebble stops writes while the only memtable flushes.
		return types.Errorf(types.CodeConfigFileError, "state memtable count must be at least 2, got %d", o.MemtableCount)
	}
	return nil
}

func compressionProfile(name string) (*sstable.CompressionProfile, error) {
	switch strings.ToLower(name) {
	case "snappy":
		return sstable.SnappyCompression, nil
	case "zstd":
		return sstable.ZstdCompression, nil
	case "none":
		return sstable.NoCompression, nil
	}
	return nil, types.Errorf(types.CodeConfigFileError, "invalid state compression %q (want \"snappy\", \"zstd\" or \"none\")", name)
}

// pebbleOptions translates o (defaults applied and validated) into Pebble
// options. The caller owns (and must unref) the returned cache.
func (o *Options) pebbleOptions(listener *pebble.EventListener) (*pebble.Options, error) {
	compression, err := compressionProfile(o.Compression)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	po := &pebble.Options{
		Cache:                       pebble.NewCache(o.BlockCacheSize),
		MemTableSize:                uint64(o.MemtableSize),
		MemTableStopWritesThreshold: o.MemtableCount,
		EventListener:               listener,
		Logger:                      quietLogger{},
		FormatMajorVersion:          pebble.FormatNewest,
		FS:                          o.fs,
	}
	if po.FS == nil {
		po.FS = vfs.Default
	}
	if !o.RecycleWAL {
		po.FS = noReuseFS{po.FS}
	}
	po.L0CompactionThreshold = o.L0CompactionThreshold
	po.L0StopWritesThreshold = max(o.L0StopWritesThreshold, o.L0CompactionThreshold+1)
	po.LBaseMaxBytes = o.LBaseMaxBytes
	po.Experimental.LevelMultiplier = o.LevelMultiplier
	concurrency := o.CompactionConcurrency
	po.CompactionConcurrencyRange = func() (int, int) { return 1, concurrency }
	for i := range po.Levels {
		l := &po.Levels[i]
		l.BlockSize = o.BlockSize
		l.Compression = func() *sstable.CompressionProfile { return compression }
		if o.BloomBitsPerKey > 0 {
			l.FilterPolicy = bloom.FilterPolicy(o.BloomBitsPerKey)
		}
	}
	return po, nil
}

// noReuseFS makes Pebble create every WAL file afresh instead of reusing
// (renaming and overwriting in place) an obsolete one, which
// vfs.FS.ReuseForWrite's contract allows: the old file is removed.
type noReuseFS struct{ vfs.FS }

func (fs noReuseFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if err := fs.Remove(oldname); err != nil && !oserror.IsNotExist(err) {
		return nil, err
	}
	return fs.Create(newname, category)
}

// Unwrap gives Pebble's helpers that look through FS wrappers the
// underlying file system.
func (fs noReuseFS) Unwrap() vfs.FS { return fs.FS }

// quietLogger drops Pebble's informational messages (one per WAL replay,
// per open) and sends errors to slog.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	slog.Error("pebble: " + fmt.Sprintf(format, args...))
}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}
