package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/checkpoint"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/state"
)

// Server is a running streamdb server.
type Server struct {
	opts    Options
	logger  *slog.Logger
	started time.Time

	tables       *state.TableStore
	cat          *catalog.Catalog
	views        *viewManager
	kafka        *kafkaManager // kafka_source.go
	nexmark      *nexmarkManager
	checkpointer *checkpoint.Checkpointer
	advisory     advisoryLocks // advisory.go
	notify       notifyHub     // notify.go

	pg     *pgwire.Server
	pgLn   net.Listener
	pgDone chan struct{}

	httpSrv *http.Server
	httpLn  net.Listener
	reg     *prometheus.Registry

	metrics serverMetrics
	ttl     *ttlSweeper // ttl.go

	mu       sync.Mutex
	sessions map[int32]*session
	closed   atomic.Bool
}

type serverMetrics struct {
	statements *prometheus.CounterVec
	errors     *prometheus.CounterVec
	sessions   prometheus.GaugeFunc
	commits    prometheus.Counter
}

// Start opens the stores and the catalog and starts listening. It returns
// once the listeners are bound.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.EnsureDefaults()
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if err := checkListenSecurity(opts); err != nil {
		return nil, err
	}
	if _, set := os.LookupEnv("GOGC"); !set && opts.GCPercent > 0 {
		debug.SetGCPercent(opts.GCPercent)
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, errors.Wrapf(err, "creating data directory %s", opts.DataDir)
	}
	if err := restoreAtStart(ctx, &opts, logger); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, logger: logger, started: time.Now(), sessions: map[int32]*session{}}
	sopts := state.DefaultOptions()
	applyStateOptions(&sopts, opts)
	ts, err := state.OpenTableStore(filepath.Join(opts.DataDir, "tables"), sopts)
	if err != nil {
		return nil, errors.Wrap(err, "opening the table store")
	}
	s.tables = ts
	cat, err := catalog.Open(ts)
	if err != nil {
		_ = ts.Close()
		return nil, errors.Wrap(err, "opening the catalog")
	}
	s.cat = cat
	if err := s.startTTL(); err != nil { // ttl.go
		_ = ts.Close()
		return nil, err
	}
	s.nexmark = newNexmarkManager(s) // nexmark_source.go: started below, after the views
	vm, err := startViews(s)
	if err != nil {
		_ = ts.Close()
		return nil, err
	}
	s.views = vm

	s.reg = NewMetricsRegistry()
	s.registerMetrics()
	s.registerWatermarkMetrics()
	// lookup.go
	s.registerRowCacheMetrics()
	s.startTTLSweeper() // ttl.go
	s.kafka = startKafka(s)
	s.nexmark.start()
	if err := s.startCheckpointer(ctx); err != nil {
		s.closeStores()
		return nil, err
	}

	tlsConfig, tlsRequired, err := pgwireTLS(opts) // tls.go
	if err != nil {
		s.closeStores()
		return nil, err
	}
	pgOpts := pgwire.Options{
		MaxConnections: opts.MaxConnections,
		MaxMessageSize: opts.MaxMessageSize,
		Authenticator:  &authenticator{s: s},
		Logger:         logger,
		TLSConfig:      tlsConfig,
		RequireTLS:     tlsRequired,
		// pgwire takes a negative count as none; 0 would mean its default.
		ReservedSuperuserConnections: reservedSlots(opts),
		AuthenticationTimeout:        opts.SettingDuration("authentication_timeout"),
		IsSuperuser:                  s.isSuperuser, // roles.go
	}
	s.pg = pgwire.NewServer(pgOpts, s)
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		s.closeStores()
		return nil, errors.Wrapf(err, "listening on %s", opts.Listen)
	}
	s.pgLn = ln
	s.pgDone = make(chan struct{})
	go func() {
		defer close(s.pgDone)
		if err := s.pg.Serve(ln); err != nil && !s.closed.Load() {
			logger.Error("pgwire server stopped", "err", err)
		}
	}()
	if opts.HTTP != "-" && opts.HTTP != "" {
		hs, hl, err := newHTTPServer(opts.HTTP, s.reg, s.healthy, logger)
		if err != nil {
			_ = s.pg.Close()
			<-s.pgDone
			s.closeStores()
			return nil, errors.Wrapf(err, "listening on %s (HTTP)", opts.HTTP)
		}
		hs.Handler = s.withDashboard(hs.Handler) // dashboard.go
		s.httpSrv, s.httpLn = hs, hl
		go func() {
			if err := hs.Serve(hl); err != nil && err != http.ErrServerClosed {
				logger.Error("HTTP server stopped", "err", err)
			}
		}()
	}
	logger.Info("streamdb started", "pgwire", s.PGAddr(), "http", s.HTTPAddr(), "data_dir", opts.DataDir)
	return s, nil
}

func applyStateOptions(so *state.Options, o Options) {
	if o.BlockCacheSize > 0 {
		so.BlockCacheSize = o.BlockCacheSize
	}
	if o.MemtableSize > 0 {
		so.MemtableSize = o.MemtableSize
	}
	if o.MemtableCount > 0 {
		so.MemtableCount = o.MemtableCount
	}
	if o.CompactionConcurrency > 0 {
		so.CompactionConcurrency = o.CompactionConcurrency
	}
	if o.BloomBitsPerKey > 0 {
		so.BloomBitsPerKey = o.BloomBitsPerKey
	}
	if o.L0CompactionThreshold > 0 {
		so.L0CompactionThreshold = o.L0CompactionThreshold
	}
	if o.Compression != "" {
		so.Compression = o.Compression
	}
	if o.Profile != "" {
		so.Profile = o.Profile
	}
}

// checkListenSecurity refuses to serve a non-loopback address with trust
// authentication.
func checkListenSecurity(o Options) error {
	if len(o.Users) > 0 {
		return nil
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return errors.Wrapf(err, "bad listen address %q", o.Listen)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.Newf("refusing to listen on %s without passwords: trust authentication is only allowed on loopback addresses; configure [users] in the config file", o.Listen)
}

func (s *Server) registerMetrics() {
	s.metrics.statements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "streamdb_statements_total", Help: "SQL statements executed, by kind.",
	}, []string{"kind"})
	s.metrics.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "streamdb_statement_errors_total", Help: "SQL statements that failed, by SQLSTATE class.",
	}, []string{"class"})
	s.metrics.commits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "streamdb_table_commits_total", Help: "Committed write transactions on plain tables.",
	})
	s.metrics.sessions = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "streamdb_sessions", Help: "Open client sessions.",
	}, func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(len(s.sessions))
	})
	s.reg.MustRegister(s.metrics.statements, s.metrics.errors, s.metrics.commits, s.metrics.sessions)
}

func (s *Server) healthy() error {
	if s.closed.Load() {
		return errors.New("shutting down")
	}
	return nil
}

// PGAddr is the bound pgwire address.
func (s *Server) PGAddr() string {
	if s.pgLn == nil {
		return ""
	}
	return s.pgLn.Addr().String()
}

// HTTPAddr is the bound HTTP address, "" when disabled.
func (s *Server) HTTPAddr() string {
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// Close shuts the server down: it stops accepting, ends every session and
// closes the stores.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	var firstErr error
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.httpSrv.Shutdown(ctx)
		cancel()
	}
	if err := s.pg.Close(); err != nil {
		firstErr = err
	}
	<-s.pgDone
	if err := s.closeStores(); err != nil && firstErr == nil {
		firstErr = err
	}
	s.logger.Info("streamdb stopped")
	return firstErr
}

func (s *Server) closeStores() error {
	s.ttl.close()
	s.nexmark.close()
	s.kafka.close()
	s.closeCheckpointer()
	if s.views != nil {
		if err := s.views.close(); err != nil {
			s.logger.Error("closing the view state store", "err", err)
		}
	}
	if s.tables != nil {
		return s.tables.Close()
	}
	return nil
}

// Run starts the server and serves until ctx is done, then shuts down.
func Run(ctx context.Context, opts Options) error {
	s, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}
