// Package migrate runs real migration tools (golang-migrate, dbmate) as
// libraries against an in-process streamdb server next to an in-process
// kfake Kafka broker: up and down migrations that create and drop a
// table, an index, a materialized view and a Kafka sink from the view
// (the view and the sink in one migration, so in one transaction), with
// the tools' advisory locks and bookkeeping tables. The sink's topic is
// read back after up. A migration that creates a table, a view and a sink
// and then fails must leave none of them behind (ROLLBACK undoes CREATE).
// The same suites, without the sink, run against one throwaway PostgreSQL
// cluster (testutil.StartPostgres, a database per suite) so that their
// expectations are known good.
package migrate
