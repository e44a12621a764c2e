// Package migrate runs real migration tools (golang-migrate, dbmate) as
// libraries against an in-process streamdb server: up and down migrations
// that create and drop a table, an index and a materialized view, with
// the tools' advisory locks and bookkeeping tables.
package migrate
