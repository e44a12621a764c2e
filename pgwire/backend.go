package pgwire

import (
	"context"
	"io"
	"net"

	"github.com/streamdb/streamdb/sql/types"
)

// StartupInfo is what the client sent in its StartupMessage, after
// authentication succeeded.
type StartupInfo struct {
	User       string
	Database   string
	Params     map[string]string // every startup parameter (application_name, options, DateStyle, ...)
	RemoteAddr net.Addr
	// BackendPID identifies the session (pg_backend_pid()).
	BackendPID int32
}

// Backend is implemented by the server: it creates sessions. pgwire never
// imports the planner or executor; everything crosses this interface.
type Backend interface {
	// NewSession starts a session for an authenticated connection. An error
	// (e.g. 3D000 for an unknown database) is sent to the client and the
	// connection closed. The returned parameters are sent as ParameterStatus
	// in addition to pgwire's defaults (which they override).
	NewSession(ctx context.Context, info StartupInfo) (Session, map[string]string, error)
}

// Session is the backend state of one connection. pgwire calls it from the
// connection's goroutine only. ctx is cancelled by a CancelRequest carrying
// this connection's key, or when the connection closes.
type Session interface {
	// SimpleQuery runs every statement in sql (a simple Query message) in
	// order, writing each statement's result to w, and stops at the first
	// error, which it returns. An empty or all-whitespace sql must call
	// w.EmptyQuery().
	SimpleQuery(ctx context.Context, sql string, w ResultWriter) error
	// Prepare parses and plans one statement (extended protocol Parse).
	// paramTypes are the OIDs the client gave (0 = infer); the returned
	// statement reports every parameter's type.
	Prepare(ctx context.Context, sql string, paramTypes []uint32) (Statement, error)
	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction,
	// 'E' in a failed transaction.
	TxStatus() byte
	// Sync is called when the client sends Sync (end of an extended-protocol
	// batch); implicit transactions end here.
	Sync(ctx context.Context) error
	// Close releases the session when the connection ends.
	Close()
}

// Statement is a prepared statement.
type Statement interface {
	// ParamTypes has one type per $n.
	ParamTypes() []*types.T
	// Columns describes the result rows; nil when the statement returns no
	// rows (NoData).
	Columns() types.Schema
	// Execute runs the statement with the decoded parameters, writing its
	// result to w. w.Columns must not be called again for prepared statements
	// (the RowDescription came from Describe); rows go through w.Row.
	Execute(ctx context.Context, params []types.Datum, w ResultWriter) error
	// Close releases the statement.
	Close()
}

// ResultWriter receives a statement's result. Row may not keep the row
// after it returns.
type ResultWriter interface {
	// Columns announces the row description of a row-returning result in the
	// simple protocol (ignored by the extended protocol, which describes).
	Columns(cols types.Schema) error
	Row(r types.Row) error
	// Complete ends the result with a command tag ("SELECT 3", "INSERT 0 1").
	Complete(tag string) error
	// EmptyQuery answers an empty query string.
	EmptyQuery() error
	// Notice sends a NoticeResponse (e.g. "table does not exist, skipping").
	Notice(severity, code, message string) error
	// ParameterStatus reports a changed reportable setting (TimeZone,
	// DateStyle, application_name, ...).
	ParameterStatus(name, value string) error
	// CopyIn starts COPY FROM STDIN: it sends CopyInResponse (format 0 text,
	// 1 binary; ncols columns) and returns the concatenated CopyData payloads
	// up to CopyDone. A CopyFail from the client makes Read return an error
	// with SQLSTATE 57014.
	CopyIn(format int16, ncols int) (io.Reader, error)
	// CopyOut starts COPY TO STDOUT: it sends CopyOutResponse and returns a
	// writer whose each Write becomes one CopyData message; the caller then
	// calls Complete, which sends CopyDone first.
	CopyOut(format int16, ncols int) (io.Writer, error)
}
