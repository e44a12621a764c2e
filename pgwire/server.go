package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
)

// Options configures a Server. The zero value of every field means its
// documented default.
type Options struct {
	// MaxConnections is the number of concurrent client sessions (Postgres
	// max_connections). Default 100. A client beyond it gets 53300 "sorry,
	// too many clients already".
	MaxConnections int
	// ReservedSuperuserConnections are the last slots of MaxConnections that
	// only Superuser may take (superuser_reserved_connections). Default 3.
	ReservedSuperuserConnections int
	// Superuser is the user allowed into the reserved slots. Default
	// "streamdb".
	Superuser string
	// MaxMessageSize bounds the declared length of a frontend message; a
	// larger one is answered 08P01 "message too large" and the connection
	// closed, before anything is allocated. Default 64 MiB.
	MaxMessageSize int
	// AuthenticationTimeout bounds startup plus authentication
	// (authentication_timeout). Default 60s.
	AuthenticationTimeout time.Duration
	// Authenticator decides how users authenticate. Default: trust everyone.
	Authenticator Authenticator
	// ServerVersion is reported as server_version. It must start with the
	// major version ("16.") because psql and drivers parse it. Default
	// "16.4 (streamdb)".
	ServerVersion string
	// Logger receives connection-level events. Default slog.Default().
	Logger *slog.Logger
	// TLSConfig enables TLS: SSLRequest is answered 'S' and the handshake
	// run. nil disables TLS (SSLRequest is answered 'N').
	TLSConfig *tls.Config
	// IsSuperuser reports whether user may take the reserved slots. Default:
	// user == Superuser.
	IsSuperuser func(user string) bool
	// RequireTLS refuses a StartupMessage that did not come over TLS
	// (28000), before authentication.
	RequireTLS bool
}

// Defaults of Options.
const (
	DefaultMaxConnections               = 100
	DefaultReservedSuperuserConnections = 3
	DefaultSuperuser                    = "streamdb"
	DefaultMaxMessageSize               = 64 << 20
	DefaultAuthenticationTimeout        = 60 * time.Second
	DefaultServerVersion                = "16.4 (streamdb)"
)

func (o Options) withDefaults() Options {
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.ReservedSuperuserConnections < 0 {
		o.ReservedSuperuserConnections = 0
	} else if o.ReservedSuperuserConnections == 0 {
		o.ReservedSuperuserConnections = DefaultReservedSuperuserConnections
	}
	if o.ReservedSuperuserConnections >= o.MaxConnections {
		// Postgres refuses to start in this case; we keep one ordinary slot.
		o.ReservedSuperuserConnections = o.MaxConnections - 1
	}
	if o.Superuser == "" {
		o.Superuser = DefaultSuperuser
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.AuthenticationTimeout <= 0 {
		o.AuthenticationTimeout = DefaultAuthenticationTimeout
	}
	if o.Authenticator == nil {
		o.Authenticator = TrustAuthenticator{}
	}
	if o.ServerVersion == "" {
		o.ServerVersion = DefaultServerVersion
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Server accepts Postgres protocol connections and serves each with a
// Session from its Backend.
type Server struct {
	opts    Options
	backend Backend
	log     *slog.Logger

	// ctx is the parent of every connection context; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	// nextPID numbers sessions (BackendKeyData, pg_backend_pid()).
	nextPID atomic.Int32
	// mockAuthNonce seeds the fake SCRAM salts of unknown users.
	mockAuthNonce [32]byte

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	byPID     map[int32]*conn
	// sessions counts connections holding a slot (past StartupMessage).
	sessions int
	wg       sync.WaitGroup
}

// NewServer returns a Server; call Serve to accept connections.
func NewServer(opts Options, backend Backend) *Server {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:      opts,
		backend:   backend,
		log:       opts.Logger,
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		byPID:     make(map[int32]*conn),
	}
	_, _ = rand.Read(s.mockAuthNonce[:])
	return s
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("pgwire: server closed")

// Serve accepts connections on ln until ln fails or Close is called (then
// it returns ErrServerClosed). It may be called for several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Transient failures (EMFILE, ECONNABORTED) must not end the
			// server: back off like net/http does.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			s.log.Warn("pgwire: accept failed; retrying", "err", err, "backoff", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !s.startConn(nc) {
			return ErrServerClosed
		}
	}
}

// startConn registers and starts the goroutine of a new connection; false
// when the server is closed.
func (s *Server) startConn(nc net.Conn) bool {
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = nc.Close()
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.serve()
	}()
	return true
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops accepting, closes every connection and waits for their
// goroutines to finish (each Session is closed).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = errors.CombineErrors(err, cerr)
		}
	}
	for c := range s.conns {
		_ = c.raw.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return err
}

// NumConnections is the number of open client connections, including ones
// still in startup or authentication.
func (s *Server) NumConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// removeConn forgets a finished connection and frees its slot.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.registeredPID && s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
	s.releaseSlotLocked(c)
}

func (s *Server) releaseSlotLocked(c *conn) {
	if c.hasSlot {
		s.sessions--
		c.hasSlot = false
	}
}

// releaseSlot frees c's slot early: a client refused during startup may
// reconnect before the goroutine of the refused connection has ended.
func (s *Server) releaseSlot(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseSlotLocked(c)
}

// acquireSlot takes a session slot: false when MaxConnections are in use.
func (s *Server) acquireSlot(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions >= s.opts.MaxConnections {
		return false
	}
	s.sessions++
	c.hasSlot = true
	return true
}

// slotAllowed reports whether an authenticated user may keep the slot it
// holds: ordinary users may not use the reserved superuser slots.
func (s *Server) slotAllowed(user string) bool {
	if user == s.opts.Superuser || s.opts.IsSuperuser != nil && s.opts.IsSuperuser(user) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions <= s.opts.MaxConnections-s.opts.ReservedSuperuserConnections
}

// registerKey makes c reachable by CancelRequest.
func (s *Server) registerKey(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byPID[c.pid] = c
	c.registeredPID = true
}

// cancelRequest cancels the query in flight on the connection with the
// given key. Like Postgres, it answers nothing either way.
func (s *Server) cancelRequest(pid int32, secret []byte) {
	s.mu.Lock()
	target := s.byPID[pid]
	s.mu.Unlock()
	if target == nil {
		s.log.Debug("pgwire: cancel request for unknown backend", "pid", pid)
		return
	}
	if len(secret) != len(target.secret) || subtle.ConstantTimeCompare(secret, target.secret[:]) != 1 {
		s.log.Warn("pgwire: cancel request with wrong key", "pid", pid)
		return
	}
	target.cancelInFlight()
}
