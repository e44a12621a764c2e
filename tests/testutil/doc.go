// Package testutil holds what the end-to-end test packages under tests/
// share: starting an in-process server with its logs in the test log, and
// building and running the streamdb binary as a subprocess that a test can
// SIGKILL. It is imported only by tests.
package testutil
