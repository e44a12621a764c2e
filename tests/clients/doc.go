// Package clients drives a real, listening in-process server with real
// clients: psql (the binary), pgx in each of its query execution modes, and
// psycopg2 (a Python script). It also sends malformed protocol frames on raw
// TCP connections. A missing psql or psycopg2 skips its test locally and
// fails it under CI (CI=true), where `make test` installs them.
//
// TestAgainstPostgres runs the same suites against a throwaway PostgreSQL
// 15 cluster so that their expectations are known good, and compares the
// catalog queries of BI tools, IDEs, drivers and psql
// (testdata/introspection/<tool>/*.sql; capture.py there turns a server log
// into fixtures) between streamdb and PostgreSQL, with every legitimate
// difference written down in introspectionExceptions.
package clients
