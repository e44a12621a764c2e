// Package security holds the end-to-end security tests of a real
// in-process server: TLS (psql and pgx with sslmode=verify-full against a
// CA made in the test), roles and privileges, connection limits and
// timeouts, and a hostile-traffic test (random and malformed frames from
// many connections while healthy sessions keep working, with memory and
// goroutines back to baseline afterwards).
package security
