package server

import (
	"log/slog"
	"runtime"
	"time"
)

// Options configure a server. The zero value of a field means its default,
// applied by EnsureDefaults.
type Options struct {
	// Listen is the pgwire address. Default "127.0.0.1:5544".
	Listen string
	// HTTP is the address of /metrics, /healthz and the dashboard. Default
	// "127.0.0.1:5545"; "-" disables it (the --http "" flag maps to "-").
	HTTP string
	// DataDir holds the state stores. Default "./streamdb-data".
	DataDir string
	// CheckpointDir is the checkpoint store URL. Default file://<DataDir>/checkpoints.
	CheckpointDir string
	// CheckpointInterval. Default 10s.
	CheckpointInterval time.Duration
	// RestoreFrom is a savepoint URL to start from.
	RestoreFrom string
	// MaxConnections is the pgwire connection limit (53300 beyond it).
	// Default 100.
	MaxConnections int
	// MaxMessageSize bounds one protocol message (08P01 beyond it). Default
	// 64 MiB.
	MaxMessageSize int
	// Users maps user name to password; empty means trust authentication
	// (allowed only on loopback addresses). A password stored as a SCRAM
	// verifier ("SCRAM-SHA-256$...") is used as is.
	Users map[string]string
	// AuthMethod is "scram-sha-256" (default when Users is set) or
	// "password" (cleartext).
	AuthMethod string
	// State tuning (Pebble), see state.Options.
	BlockCacheSize        int64
	MemtableSize          int64
	MemtableCount         int
	CompactionConcurrency int
	BloomBitsPerKey       int
	L0CompactionThreshold int
	Compression           string
	Profile               string
	// RowCacheSize is the size in bytes of the row cache of key lookups on
	// materialized views (state.row_cache_size, lookup.go). Default (0):
	// 64 MiB; negative: off.
	RowCacheSize int64
	// BarrierInterval is the dataflow epoch length. Default 1s.
	BarrierInterval time.Duration
	// ViewParallelism is the number of workers a materialized view's
	// dataflow runs on (key groups split among them; see
	// sql/exec/dataflow_parallel.go). Default (0): runtime.NumCPU().
	ViewParallelism int
	// ViewMaxEpochRows bounds the change-log rows of each table a view
	// reads in one epoch (views.max_epoch_rows): a view behind its tables
	// (after a restart) catches up in epochs of about this size, so
	// output flows while it catches up. Default 65,536; negative: no
	// bound. See views_backlog.go.
	ViewMaxEpochRows int
	// SourceMaxBacklogRows bounds the rows a nexmark generator writes
	// ahead of the slowest running view reading its table
	// (sources.max_backlog_rows): it pauses beyond it. Default 1,048,576;
	// negative: no bound.
	SourceMaxBacklogRows int64
	// ListenerReady, if set, receives the bound addresses (tests use
	// port 0).
	Settings map[string]string
	// Logger receives the server's logs. Default: slog.Default().
	Logger *slog.Logger
	// Clock is the time that row TTL reads (processing-time expiry, see
	// ttl.go); nothing else uses it. Default: the wall clock (time.Now).
	// Tests inject a clock they move by hand.
	Clock func() time.Time
	// TTLSweepInterval is the time between sweeps that physically remove
	// expired rows (CHECKPOINT sweeps too). Default 10s.
	TTLSweepInterval time.Duration
	// GCPercent is the Go garbage collector's target (GOGC) that Start
	// sets for the process, unless the GOGC environment variable is set;
	// negative leaves the runtime's setting alone. Default 200: the
	// dataflows allocate per chunk and keep little garbage alive, and
	// Nexmark profiles at Go's default (100) spent 7-12 % of the CPU
	// in the collector's mark phase; 200 halves the collections for about
	// 30 % more peak heap (q0 at 1 M events: 1.47 -> 1.93 GiB peak RSS).
	// GOMEMLIMIT still applies when set.
	GCPercent int
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:5544"
	}
	if o.HTTP == "" {
		o.HTTP = "127.0.0.1:5545"
	}
	if o.DataDir == "" {
		o.DataDir = "./streamdb-data"
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = 10 * time.Second
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 100
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = 64 << 20
	}
	if o.BarrierInterval == 0 {
		o.BarrierInterval = time.Second
	}
	if o.GCPercent == 0 {
		o.GCPercent = 200
	}
	if o.ViewParallelism <= 0 {
		o.ViewParallelism = runtime.NumCPU()
	}
	if o.ViewMaxEpochRows == 0 {
		o.ViewMaxEpochRows = defaultViewMaxEpochRows
	}
	if o.SourceMaxBacklogRows == 0 {
		o.SourceMaxBacklogRows = defaultSourceMaxBacklogRows
	}
	if o.RowCacheSize == 0 {
		o.RowCacheSize = 64 << 20
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.TTLSweepInterval <= 0 {
		o.TTLSweepInterval = 10 * time.Second
	}
}
