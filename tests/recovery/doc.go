// Package recovery is the kill -9 harness of issue 5: it builds the streamdb
// binary, feeds three tables and a dozen materialized views from a seeded
// random workload of inserts, updates and deletes with checkpoints every
// second, SIGKILLs the process at random moments (every third kill waits for
// a checkpoint upload to start so that some land before the manifest is
// written) and checks after every restart that
// no acknowledged table write is lost and that every view equals its query
// run ad hoc over the tables.
package recovery
