// Package node runs JavaScript clients from npm against a real, listening
// in-process streamdb server, and the same scripts against PostgreSQL 15
// (testutil.StartPostgres) so that their expectations are known good:
//
//   - pg.mjs: node-postgres (npm "pg"), a pool of concurrent clients,
//     parameters and named prepared statements (extended protocol), type
//     round-trips, errors with SQLSTATE and position, a materialized view.
//   - migrate.mjs with migrations/: node-pg-migrate's CLI and runner, up and
//     down, its advisory lock and its pgmigrations table, with a table, an
//     index, a materialized view and (streamdb only) a Kafka sink into an
//     in-process kfake broker whose topic the Go test reads back; and a
//     migration in failing/ that creates the three and then fails, which
//     must leave nothing behind.
//
// package.json and package-lock.json pin exact versions. The tests run
// `npm ci` into node_modules/ (ignored by git) when it is missing or was
// installed from another lock file, so a second run costs nothing. A
// missing node or npm skips the tests locally and fails them under CI
// (CI=true), where `make test-deps` installs them.
package node
