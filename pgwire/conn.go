package pgwire

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// writeBufferSize is the size of the per-connection write buffer; it is
// flushed when full, so large results stream.
const writeBufferSize = 32 << 10

// conn is one client connection. Everything except raw, secret, pid and
// the in-flight cancel function is owned by the connection's goroutine.
type conn struct {
	srv *Server
	// raw is the accepted socket (Server.Close closes it to unblock the
	// goroutine); nc is raw or the TLS connection over it.
	raw net.Conn
	nc  net.Conn
	log *slog.Logger

	// ctx lives as long as the connection; queries run under children of it.
	ctx    context.Context
	cancel context.CancelFunc

	// in records read errors of the socket so a failed Receive can tell a
	// dead connection (close quietly) from a malformed frame (08P01).
	in *errRecordingReader
	rd *pgproto3.Backend
	wr *bufio.Writer
	// writeErr is the first write error; once set nothing more is written.
	writeErr error
	// scratch holds the encoding of one outgoing message.
	scratch []byte
	errResp pgproto3.ErrorResponse

	pid           int32
	secret        [4]byte
	registeredPID bool // guarded by srv.mu
	hasSlot       bool // guarded by srv.mu
	user          string

	session Session
	// loc is the session TimeZone, for timestamptz text input and output.
	loc *time.Location

	inFlightMu     sync.Mutex
	inFlightCancel context.CancelFunc

	stmts   map[string]*preparedStmt
	portals map[string]*portal
	// ignoreTillSync is set by an error in an extended-protocol batch.
	ignoreTillSync bool
	// fatalErr is a Receive error met inside a Session call (COPY FROM
	// STDIN); the loop ends the connection with it once the call returns.
	fatalErr error

	rw     resultWriter
	fields []pgproto3.FieldDescription

	notifyState // LISTEN/NOTIFY, notify.go
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{
		srv:     s,
		raw:     nc,
		nc:      nc,
		log:     s.log.With("remote", nc.RemoteAddr().String()),
		ctx:     ctx,
		cancel:  cancel,
		loc:     time.UTC,
		stmts:   make(map[string]*preparedStmt),
		portals: make(map[string]*portal),
	}
	c.rw.c = c
	c.wr = bufio.NewWriterSize(nc, writeBufferSize)
	return c
}

// errRecordingReader remembers the first error of the underlying reader.
type errRecordingReader struct {
	r   io.Reader
	err error
}

func (r *errRecordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

// errConnectionGone marks a read or write failure of the socket: the
// connection is closed without sending anything.
var errConnectionGone = errors.New("connection closed")

// classifyReadError turns a Receive error into errConnectionGone (the
// socket failed) or a 08P01 protocol error (the frame was bad).
func (c *conn) classifyReadError(err error) error {
	if c.in.err != nil {
		return errors.Mark(err, errConnectionGone)
	}
	return protocolError(err)
}

// serve runs the connection to its end.
func (c *conn) serve() {
	defer c.finish()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic serving connection", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			c.sendFatal(types.Errorf(types.CodeInternalError, "internal error: %v", r))
		}
	}()
	if !c.startup() {
		return
	}
	c.loop()
}

// finish releases everything the connection holds.
func (c *conn) finish() {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic closing connection", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		c.cancel()
		_ = c.nc.Close()
		_ = c.raw.Close()
		c.srv.removeConn(c)
	}()
	for name, p := range c.portals {
		delete(c.portals, name)
		p.release()
	}
	for name, ps := range c.stmts {
		delete(c.stmts, name)
		ps.release()
	}
	if c.session != nil {
		c.session.Close()
	}
}

// cancelInFlight cancels the query running on this connection, if any. It
// is called from other goroutines (CancelRequest).
func (c *conn) cancelInFlight() {
	c.inFlightMu.Lock()
	defer c.inFlightMu.Unlock()
	if c.inFlightCancel != nil {
		c.inFlightCancel()
	}
}

// beginQuery returns the context of the next Session call and the function
// that ends it.
func (c *conn) beginQuery() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(c.ctx)
	c.inFlightMu.Lock()
	c.inFlightCancel = cancel
	c.inFlightMu.Unlock()
	return ctx, func() {
		c.inFlightMu.Lock()
		c.inFlightCancel = nil
		c.inFlightMu.Unlock()
		cancel()
	}
}

// loop reads and dispatches messages until the connection ends.
func (c *conn) loop() {
	for {
		if c.writeErr != nil {
			return
		}
		idleLimit := c.idleInTransactionLimit()
		if idleLimit > 0 {
			_ = c.raw.SetReadDeadline(time.Now().Add(idleLimit))
		}
		c.beginWaitForInput() // notify.go
		msg, err := c.rd.Receive()
		c.endWaitForInput()
		if idleLimit > 0 {
			_ = c.raw.SetReadDeadline(time.Time{})
			if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				c.sendFatal(types.Errorf(codeIdleInTransactionTimeout, "terminating connection due to idle-in-transaction timeout"))
				return
			}
		}
		if err != nil {
			c.endWithReadError(err)
			return
		}
		if c.ignoreTillSync {
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate:
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
		case *pgproto3.Parse:
			c.extended(c.parse(m))
		case *pgproto3.Bind:
			c.extended(c.bind(m))
		case *pgproto3.Describe:
			c.extended(c.describe(m))
		case *pgproto3.Execute:
			c.extended(c.execute(m))
		case *pgproto3.Close:
			c.extended(c.close(m))
		case *pgproto3.Sync:
			c.sync()
		case *pgproto3.Flush:
			_ = c.flush()
		case *pgproto3.Terminate:
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Accepted and ignored, as Postgres does: a COPY FROM STDIN
			// failed and the client is still sending its data.
		case *pgproto3.FunctionCall:
			// A simple-protocol message: answered with ReadyForQuery.
			c.sendError(types.Errorf(types.CodeFeatureNotSupported, "fastpath function calls are not supported"))
			c.readyForQuery()
		default:
			c.sendFatal(types.Errorf(types.CodeProtocolViolation, "invalid frontend message type %d", frontendMessageType(msg)))
			return
		}
		if c.fatalErr != nil {
			c.endWithReadError(c.fatalErr)
			return
		}
	}
}

// endWithReadError ends the connection after a failed Receive: quietly when
// the socket is gone, with a FATAL 08P01 when the frame was malformed.
func (c *conn) endWithReadError(err error) {
	err = c.classifyReadError(err)
	if errors.Is(err, errConnectionGone) {
		return
	}
	c.log.Info("pgwire: closing connection after a protocol error", "err", err)
	c.sendFatal(err)
}

// frontendMessageType returns the type byte of msg, for error messages.
func frontendMessageType(msg pgproto3.FrontendMessage) byte {
	switch msg.(type) {
	case *pgproto3.Bind:
		return 'B'
	case *pgproto3.Close:
		return 'C'
	case *pgproto3.Describe:
		return 'D'
	case *pgproto3.Execute:
		return 'E'
	case *pgproto3.FunctionCall:
		return 'F'
	case *pgproto3.Flush:
		return 'H'
	case *pgproto3.Parse:
		return 'P'
	case *pgproto3.Query:
		return 'Q'
	case *pgproto3.Sync:
		return 'S'
	case *pgproto3.Terminate:
		return 'X'
	case *pgproto3.CopyData:
		return 'd'
	case *pgproto3.CopyDone:
		return 'c'
	case *pgproto3.CopyFail:
		return 'f'
	case *pgproto3.PasswordMessage, *pgproto3.SASLInitialResponse, *pgproto3.SASLResponse, *pgproto3.GSSResponse:
		return 'p'
	}
	return 0
}

// IdleInTransactionLimiter is implemented by sessions that enforce
// idle_in_transaction_session_timeout: while the session is in a
// transaction block ('T' or 'E'), waiting longer than the returned duration
// (0 = no limit) for the next message ends the connection with FATAL 25P03,
// as Postgres does.
type IdleInTransactionLimiter interface {
	IdleInTransactionTimeout() time.Duration
}

// codeIdleInTransactionTimeout is SQLSTATE 25P03.
const codeIdleInTransactionTimeout = "25P03"

func (c *conn) idleInTransactionLimit() time.Duration {
	l, ok := c.session.(IdleInTransactionLimiter)
	if !ok || c.session.TxStatus() == 'I' {
		return 0
	}
	return l.IdleInTransactionTimeout()
}
