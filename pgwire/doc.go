// Package pgwire serves the Postgres frontend/backend protocol (version 3.0)
// on top of the Backend and Session interfaces of backend.go. It knows
// nothing about SQL: parsing, planning and execution live behind Session,
// and everything that crosses the boundary is a types.Datum, a types.Schema
// or an error carrying a SQLSTATE (sql/types/errors.go).
//
// # Layers
//
//   - Server (server.go) owns the listeners, the set of live connections,
//     the connection slots (max_connections with reserved superuser slots)
//     and the (pid, secret) table that CancelRequest looks up. It starts one
//     goroutine per accepted connection.
//   - conn (conn.go) is one client connection: its read loop dispatches
//     frontend messages, it owns the Session, the prepared statements and
//     portals, and the context of the query in flight (cancelled by a
//     CancelRequest from another connection).
//   - startup.go and auth.go/scram.go run the startup handshake: SSLRequest
//     and GSSEncRequest, CancelRequest, StartupMessage, then trust, cleartext
//     password or SCRAM-SHA-256 authentication.
//   - simple.go (Query), extended.go (Parse/Bind/Describe/Execute/Close/
//     Sync/Flush) and copy.go (COPY sub-protocol) turn messages into Session
//     and Statement calls; resultWriter (writer.go) turns their results back
//     into RowDescription, DataRow and CommandComplete messages.
//   - errors.go maps Go errors to ErrorResponse fields (SQLSTATE, position,
//     detail, hint).
//
// Reading uses pgproto3.Backend (which checks the declared length of every
// message against Options.MaxMessageSize before allocating). Writing does
// not go through pgproto3.Backend's per-Flush buffer: messages are encoded
// into a reusable scratch slice and copied into a bufio.Writer that is
// flushed only on ReadyForQuery, Flush, CopyInResponse, authentication
// requests and when it fills up. DataRow messages are encoded by hand so a
// row costs no allocation beyond what the value codecs need.
//
// # Connection lifecycle
//
//  1. Accept; the connection counts in NumConnections. Startup and
//     authentication run under a deadline (Options.AuthenticationTimeout).
//  2. Startup packet: SSLRequest is answered 'S' (and the TLS handshake run)
//     when Options.TLSConfig is set, 'N' otherwise; GSSEncRequest is
//     answered 'N'. A CancelRequest cancels the matching connection's query
//     and closes. A StartupMessage takes a connection slot (53300 when none
//     is left).
//  3. Authentication (Options.Authenticator), then the reserved-slot check,
//     then Backend.NewSession. Errors here are FATAL ErrorResponses.
//  4. ParameterStatus for every reportable setting, BackendKeyData,
//     ReadyForQuery.
//  5. The message loop. Each query runs under its own context derived from
//     the connection's; Session methods are only called from this goroutine.
//     After an error in an extended-protocol batch every message up to Sync
//     is discarded. A malformed or unknown message is a FATAL 08P01 and
//     closes the connection; a panic is recovered, logged and closes only
//     this connection.
//  6. Terminate, EOF or Server.Close: prepared statements and portals are
//     released, Session.Close is called, the slot is freed.
package pgwire
