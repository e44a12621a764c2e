package server

// TEMPORARY STUB (owned by the tooling engineer): it lets cmd/streamdb and
// the test harnesses compile until the lead's server.go lands. The lead
// deletes this file when server.go defines Start, Run and Server.

import (
	"context"

	"github.com/cockroachdb/errors"
)

// Server is a running streamdb server (stub).
type Server struct{}

// Start is a stub: the engine wiring is not there yet.
func Start(ctx context.Context, opts Options) (*Server, error) {
	return nil, errors.New("server.Start is not implemented yet (server/start_stub.go)")
}

// PGAddr is a stub.
func (s *Server) PGAddr() string { return "" }

// HTTPAddr is a stub.
func (s *Server) HTTPAddr() string { return "" }

// Close is a stub.
func (s *Server) Close() error { return nil }

// Run is a stub.
func Run(ctx context.Context, opts Options) error {
	_, err := Start(ctx, opts)
	return err
}
