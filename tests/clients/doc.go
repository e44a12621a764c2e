// Package clients drives a real, listening in-process server with real
// clients: psql (the binary), pgx in each of its query execution modes, and
// psycopg2 (a Python script). It also sends malformed protocol frames on raw
// TCP connections. A missing psql or psycopg2 skips its test locally and
// fails it under CI (CI=true), where `make test` installs them.
package clients
